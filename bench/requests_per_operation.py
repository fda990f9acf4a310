#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests per operation, counted from the sandbox's request log (cleared before each operation).

Operations, each by ``ansible-playbook`` on one host of a virtual sandbox: ``server_power`` with wait
(started, restarted, stopped), ``server_command`` with ``wait_for``, ``resource_facts`` (fresh false and
true), ``server_schedule`` with 3 tasks unchanged (made by a first run, not counted), ``server_startup``
with the variables as they are, ``server_subuser`` unchanged (made by a first run, not counted); then
``ansible-inventory --list`` with the inventory plugin for N servers. Baseline: the fewest requests the
panel's API allows. Targets: power with wait <= 3 HTTP requests naming the server; the unchanged schedule,
``server_startup`` and subuser 1 request each (and the task reported unchanged); the inventory ceil(N/100)
list requests.
"""

from __future__ import annotations

import collections
import json
import math
import pathlib
import subprocess
import sys

import yaml

from bench import common

NAME = "requests_per_operation"
POWER_TARGET = 3
SCHEDULE_TARGET = 1
SUBUSER_TARGET = 1
INVENTORY_PLUGIN = common.ROOT / "plugins" / "inventory" / "pterodactyl.py"
# (label, playbook, extra vars, the fewest requests the API allows and which, target or None[, extra vars of a
# first run of the playbook, not counted, that makes what the counted run finds])
POWER_MINIMUM = "GET server (state conflicts, permissions) + GET websocket (the live state) + POST power"
OPERATIONS = [
    (
        "`server_power` state=started, wait (offline -> running)",
        "power.yml",
        {"power_state": "started"},
        (3, POWER_MINIMUM),
        POWER_TARGET,
    ),
    (
        "`server_command` command=list, wait_for",
        "command.yml",
        {},
        (2, "GET websocket (to read the answer) + POST command"),
        None,
    ),
    (
        "`resource_facts` fresh=false",
        "resource_facts.yml",
        {"fresh": False},
        (2, "GET server (limits) + GET resources"),
        None,
    ),
    (
        "`resource_facts` fresh=true",
        "resource_facts.yml",
        {"fresh": True},
        (2, "GET server (limits) + GET websocket"),
        None,
    ),
    (
        "`server_power` state=restarted, wait",
        "power.yml",
        {"power_state": "restarted"},
        (3, POWER_MINIMUM),
        POWER_TARGET,
    ),
    ("`server_power` state=stopped, wait", "power.yml", {"power_state": "stopped"}, (3, POWER_MINIMUM), POWER_TARGET),
    (
        "`server_schedule` with 3 tasks, unchanged",
        "schedule.yml",
        {"expect_changed": False},
        (1, "GET schedules (the tasks included)"),
        SCHEDULE_TARGET,
        {"expect_changed": True},
    ),
    (
        "`server_startup` unchanged (MINECRAFT_VERSION as it is)",
        "startup.yml",
        {"startup_variables": {"MINECRAFT_VERSION": "latest"}},
        (1, "GET startup (the variables, their rules, the images)"),
        1,
    ),
    (
        "`server_subuser` unchanged (the subuser has these permissions)",
        "subuser.yml",
        {},
        (1, "GET users (every subuser with its permissions)"),
        SUBUSER_TARGET,
        {},
    ),
]
# Operations whose task must report no change (a changed one would not be the operation measured).
UNCHANGED = {"schedule.yml", "startup.yml", "subuser.yml"}


def measure_operation(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, operation: tuple) -> dict:
    label, playbook, extra, minimum, target, *prepare = operation
    for first in prepare:  # a first run that makes what the counted run finds unchanged
        common.run_playbook(playbook, inventory, common.ansible_env(workdir), "-e", json.dumps(first), forks=1)
    counts = common.requests_of_play(workdir, box, inventory, playbook, extra)
    met = None if target is None else counts["named"] <= target
    if playbook in UNCHANGED and counts["changed"]:
        met = False  # the task changed something: not the unchanged run this row is about
    counts.update(label=label, minimum=minimum, target=target, met=met, unchanged=playbook in UNCHANGED)
    return counts


def measure_inventory(workdir: pathlib.Path, box: dict) -> dict:
    servers = len(box["servers"])
    config = workdir / f"bench{servers}.pterodactyl.yml"
    config.write_text(
        yaml.safe_dump(
            {"plugin": "gameops.pterodactyl.pterodactyl", "url": box["panel_url"], "api_key": box["keys"]["owner"]}
        ),
        encoding="utf-8",
    )
    common.clear_log(box)
    proc = subprocess.run(
        [str(common.BIN / "ansible-inventory"), "-i", str(config), "--list"],
        capture_output=True,
        text=True,
        env=common.ansible_env(workdir),
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ansible-inventory failed: {proc.stderr[-3000:]}")
    hosts = len(json.loads(proc.stdout).get("_meta", {}).get("hostvars", {}))
    log = common.request_log(box)
    lists = [entry for entry in log if entry["method"] == "GET" and entry["path"] == "/api/client"]
    target = math.ceil(servers / 100)
    return {
        "servers": servers,
        "hosts": hosts,
        "lists": len(lists),
        "total": len(log),
        "target": target,
        "statuses": dict(collections.Counter(str(entry["status"]) for entry in log)),
        "met": len(lists) <= target and len(log) == len(lists) and hosts == servers,
    }


def run(quick: bool = False) -> dict:
    sizes = [250] if quick else [250, 1000]
    common.ensure_collection_link()
    figures: dict = {"operations": [], "inventory": [], "inventory_plugin": INVENTORY_PLUGIN.exists()}
    with common.workspace(NAME) as workdir:
        with common.sandbox(workdir, servers=sizes[0], virtual=True, rate_limit=common.UNLIMITED_RATE) as box:
            inventory = common.write_inventory(workdir / "hosts.yml", box, box["servers"][:1])
            common.run_playbook("power.yml", inventory, common.ansible_env(workdir), "-e", "power_state=stopped")
            figures["operations"] = [measure_operation(workdir, box, inventory, op) for op in OPERATIONS]
            if figures["inventory_plugin"]:
                figures["inventory"].append(measure_inventory(workdir, box))
        for size in sizes[1:] if figures["inventory_plugin"] else []:
            with common.sandbox(workdir, servers=size, virtual=True, rate_limit=common.UNLIMITED_RATE) as box:
                figures["inventory"].append(measure_inventory(workdir, box))
    checks = [op["met"] for op in figures["operations"] if op["met"] is not None]
    checks += [inv["met"] for inv in figures["inventory"]]
    figures["met"] = all(checks) and figures["inventory_plugin"]
    common.write_section(NAME, render(figures))
    return figures


def render(figures: dict) -> str:
    rows = []
    for op in figures["operations"]:
        kinds = common.kinds_text(op["kinds"])
        unchanged = f", reported unchanged ({op['changed']} changed)" if op.get("unchanged") else ""
        target = f"<= {op['target']} naming the server{unchanged}: {common.verdict(op['met'])}" if op["target"] else "-"
        rows.append([op["label"], op["total"], op["named"], f"{op['minimum'][0]} ({op['minimum'][1]})", kinds, target])
    lines = [
        "## Requests per operation",
        "",
        f"`bench/requests_per_operation.py`. Machine: {common.machine()}.",
        "",
        "Counted from the sandbox's request log (`GET <control_url>/requests`, cleared before each operation); each "
        "operation is one `ansible-playbook` task on one host (server given by identifier) of a `--virtual` sandbox. "
        "Websocket traffic goes to Wings and is not a panel request. Baseline: the fewest panel requests the "
        "operation can be done with.",
        "",
        common.table(
            ["operation", "requests", "naming the server", "baseline (fewest possible)", "requests made", "target"],
            rows,
            ["---", "---:", "---:", "---", "---", "---"],
        ),
        "",
    ]
    lines += render_inventory(figures)
    return "\n".join(lines)


def render_inventory(figures: dict) -> list[str]:
    if not figures["inventory_plugin"]:
        return ["Inventory: **not measured** - `plugins/inventory/pterodactyl.py` does not exist."]
    rows = [
        [
            inv["servers"],
            inv["hosts"],
            inv["lists"],
            inv["total"],
            ", ".join(f"{item[0]} x{item[1]}" for item in sorted(inv["statuses"].items())),
            f"<= {inv['target']}: {common.verdict(inv['met'])}",
        ]
        for inv in figures["inventory"]
    ]
    return [
        "Inventory: `ansible-inventory -i bench.pterodactyl.yml --list` with `plugin: gameops.pterodactyl.pterodactyl` "
        "(defaults: no resources, no cache). Baseline and target: ceil(N/100) list requests (pages of 100).",
        "",
        common.table(
            ["servers (N)", "hosts listed", "list requests", "all requests", "statuses", "target"],
            rows,
            ["---:", "---:", "---:", "---:", "---", "---"],
        ),
    ]


def summary(figures: dict) -> list[str]:
    lines = [
        f"requests_per_operation: {op['label']}: {op['total']} request{'s' if op['total'] != 1 else ''} "
        f"({op['named']} naming the server)"
        for op in figures["operations"]
    ]
    lines += [
        f"requests_per_operation: inventory N={inv['servers']}: {inv['lists']} list requests "
        f"(target <= {inv['target']})"
        for inv in figures["inventory"]
    ]
    return lines + [f"requests_per_operation: targets {common.outcome(figures['met'])}"]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
