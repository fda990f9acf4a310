#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests per operation, counted from the sandbox's request log (cleared before each operation).

Operations, each by ``ansible-playbook`` on one host of a virtual sandbox: ``server_power`` with wait
(started, restarted, stopped), ``server_command`` with ``wait_for``, ``resource_facts`` (fresh false and
true), ``server_subuser`` unchanged (the play run once before, not counted); then ``ansible-inventory
--list`` with the inventory plugin for N servers. Baseline: the fewest requests the panel's API allows.
Targets: power with wait <= 3 HTTP requests naming the server; an unchanged subuser 1 (and the task
unchanged); the inventory ceil(N/100) list requests.
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
SUBUSER_TARGET = 1
INVENTORY_PLUGIN = common.ROOT / "plugins" / "inventory" / "pterodactyl.py"
# (label, playbook, extra vars, the fewest requests the API allows and which, target or None[, prepared]);
# a prepared operation's play runs once before the log is cleared, and the measured run must be unchanged.
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
        "`server_subuser` unchanged (the subuser has these permissions)",
        "subuser.yml",
        {},
        (1, "GET users (every subuser with its permissions)"),
        SUBUSER_TARGET,
        True,
    ),
]


def describe(entry: dict, identifier: str) -> str:
    """``GET /servers/{id}/websocket`` style key of one logged request."""
    path = entry["path"].replace(identifier, "{id}")
    return f"{entry['method']} {path.replace('/api/client', '', 1) or '/'}"


def count(log: list[dict], identifier: str) -> dict:
    named = [entry for entry in log if identifier in entry["path"]]
    kinds = collections.Counter(describe(entry, identifier) for entry in log)
    return {
        "total": len(log),
        "named": len(named),
        "kinds": dict(kinds),
        "errors": sum(1 for entry in log if entry["status"] is None or entry["status"] >= 400),
    }


def measure_operation(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, operation: tuple) -> dict:
    label, playbook, extra, minimum, target, *prepared = operation
    identifier = box["servers"][0]["identifier"]
    env = common.ansible_env(workdir)
    if prepared and prepared[0]:
        common.run_playbook(playbook, inventory, env, "-e", json.dumps(extra), forks=1)
    common.clear_log(box)
    _, proc = common.run_playbook(playbook, inventory, env, "-e", json.dumps(extra), forks=1)
    counts = count(common.request_log(box), identifier)
    met = None if target is None else counts["named"] <= target
    if prepared and prepared[0]:
        counts["changed"] = common.recap(proc.stdout).get("changed", 0)
        met = met and counts["changed"] == 0
    counts.update(label=label, minimum=minimum, target=target, met=met)
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
        kinds = ", ".join(f"{item[0]} x{item[1]}" if item[1] > 1 else item[0] for item in sorted(op["kinds"].items()))
        target = f"<= {op['target']} naming the server: {common.verdict(op['met'])}" if op["target"] else "-"
        if "changed" in op:
            target = target.replace(":", f", task unchanged (changed={op['changed']}):", 1)
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
        f"requests_per_operation: {op['label']}: {op['total']} requests ({op['named']} naming the server)"
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
