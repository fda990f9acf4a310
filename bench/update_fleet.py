#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet update: the ``update`` role on 50 running virtual servers, serial 10, against ``uri`` tasks.

The change: a new ``MINECRAFT_VERSION`` (Paper egg), then a restart, running and stable for STABLE_FOR s, and
the console answering ``list``. The role (bench/playbooks/update_role.yml) does it as it does for users: a check
of the new values, a backup waited for, the variable, the restart with ``stable_for``, the verify command read
back on the console. Baseline (bench/playbooks/update_uri.yml): the same steps as ``ansible.builtin.uri`` tasks
with polling loops, as users write it today - the backup POSTed and GET every second until ``completed_at``,
the PUT of the variable, the restart, ``/resources`` every second until running, a sleep of STABLE_FOR s and
one more ``/resources``, the command POSTed (uri cannot read the console's answer: the baseline does a little
less). Both with ``serial: 10`` and forks 10, each run a fresh version; runs alternate (role, uri, uri, role).
Reported: the time ratio role / uri and the panel requests per server (the sandbox's request log). No target
for the ratio in issue 15; the requests are compared with the baseline's.
"""

from __future__ import annotations

import collections
import json
import pathlib
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
import yaml

from bench import common

NAME = "update_fleet"
SERVERS = 50
SERIAL = 10
STABLE_FOR = 5
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PLAYBOOKS = {"role": "update_role.yml", "uri": "update_uri.yml"}
LABELS = {
    "role": "`update` role (backup, variable, restart, stable, verify)",
    "uri": "`ansible.builtin.uri` + polling loops",
}
EGG = {
    "name": "Paper",
    "done": ')! For help, type "help"',
    "stop": "stop",
    "boot_seconds": 0.5,
    "startup": "java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}",
    "docker_images": {"Java 17": "ghcr.io/pterodactyl/yolks:java_17", "Java 21": "ghcr.io/pterodactyl/yolks:java_21"},
    "docker_image": "ghcr.io/pterodactyl/yolks:java_17",
    "version_variable": "MINECRAFT_VERSION",
    "variables": [
        {
            "name": "Minecraft Version",
            "env_variable": "MINECRAFT_VERSION",
            "default_value": "latest",
            "user_viewable": True,
            "user_editable": True,
            "rules": "required|string|max:20",
        },
        {
            "name": "Server Jar File",
            "env_variable": "SERVER_JARFILE",
            "default_value": "server.jar",
            "user_viewable": True,
            "user_editable": True,
            "rules": "required|regex:/^([\\w\\d._-]+)(\\.jar)$/",
        },
    ],
}


def fleet_file(path: pathlib.Path) -> pathlib.Path:
    """SERVERS running Paper servers on one node, 1.20.4, room for 10 backups each."""
    fleet = common.fleet(
        [EGG],
        [
            {
                "name": f"mc-{index + 1:02d}",
                "node": "node-eu1",
                "egg": "Paper",
                "state": "running",
                "variables": {"MINECRAFT_VERSION": "1.20.4"},
                "feature_limits": {"databases": 0, "allocations": 0, "backups": 10},
            }
            for index in range(SERVERS)
        ],
    )
    path.write_text(yaml.safe_dump(fleet, sort_keys=False), encoding="utf-8")
    return path


def versions(box: dict) -> collections.Counter:
    """MINECRAFT_VERSION of every server, counted (GET /startup of each, outside the timing)."""
    headers = {"Authorization": "Bearer " + box["keys"]["owner"], "Accept": "application/json"}

    def one(server: dict) -> str:
        url = f"{box['panel_url']}/api/client/servers/{server['identifier']}/startup"
        response = requests.get(url, headers=headers, timeout=common.HTTP_TIMEOUT)
        response.raise_for_status()
        variables = {item["attributes"]["env_variable"]: item["attributes"] for item in response.json()["data"]}
        return str(variables["MINECRAFT_VERSION"]["server_value"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        return collections.Counter(pool.map(one, box["servers"]))


def one_run(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, kind: str, version: str) -> dict:
    common.drive_all(box, "running")
    common.reset(box)
    extra = {"version": version, "stable_for": STABLE_FOR, "update_serial": SERIAL}
    elapsed, proc = common.run_playbook(
        PLAYBOOKS[kind], inventory, common.ansible_env(workdir), "-e", json.dumps(extra), forks=SERIAL, check=False
    )
    log = common.request_log(box)
    totals = common.recap(proc.stdout)
    found = versions(box)
    failures = totals.get("failed", 0) + totals.get("unreachable", 0) + (SERVERS - totals.get("hosts", 0))
    if proc.returncode != 0 or failures or found != collections.Counter({version: SERVERS}):
        raise RuntimeError(
            f"{PLAYBOOKS[kind]} did not update every server to {version} (rc {proc.returncode}, versions "
            f"{dict(found)}):\n{(proc.stdout + proc.stderr)[-3000:]}"
        )
    identifiers = [server["identifier"] for server in box["servers"]]
    per_server = collections.Counter()
    for entry in log:
        for identifier in identifiers:
            if f"/servers/{identifier}" in entry["path"]:
                per_server[identifier] += 1
                break
    kinds = collections.Counter(
        UUID_RE.sub("{backup}", common.describe(entry, next((i for i in identifiers if i in entry["path"]), "{id}")))
        for entry in log
    )
    return {
        "kind": kind,
        "version": version,
        "elapsed": elapsed,
        "cpu": proc.cpu_seconds,
        "requests": len(log),
        "per_server": len(log) / SERVERS,
        "per_server_range": (min(per_server.values(), default=0), max(per_server.values(), default=0)),
        "kinds": {kind_: count / SERVERS for kind_, count in sorted(kinds.items())},
        "errors": sum(1 for entry in log if entry["status"] is None or entry["status"] >= 400),
    }


def run(quick: bool = False) -> dict:
    order = ["role", "uri"] if quick else ["role", "uri", "uri", "role"]
    samples: dict = {"role": [], "uri": []}
    load = common.load_average()
    with common.workspace(NAME) as workdir:
        common.ensure_collection_link()
        fleet = fleet_file(workdir / "fleet.yml")
        with common.sandbox(workdir, fleet=str(fleet), virtual=True, rate_limit=common.UNLIMITED_RATE) as box:
            common.control(box, "PATCH", "/settings", {"backup_throttle": {"count": 2, "period": 0}})
            inventory = common.write_inventory(workdir / "hosts.yml", box, box["servers"])
            for index, kind in enumerate(order):
                samples[kind].append(one_run(workdir, box, inventory, kind, f"1.21.{index + 1}"))
    figures = {"samples": samples, "load": load}
    for kind in samples:
        figures[kind] = common.median([sample["elapsed"] for sample in samples[kind]])
        figures[kind + "_cpu"] = common.median([sample["cpu"] for sample in samples[kind]])
        figures[kind + "_requests"] = common.median([sample["per_server"] for sample in samples[kind]])
    figures["ratio"] = figures["role"] / figures["uri"]
    figures["cpu_ratio"] = figures["role_cpu"] / figures["uri_cpu"]
    common.write_section(NAME, render(figures))
    return figures


def render(figures: dict) -> str:
    samples = figures["samples"]
    rows = [
        [
            LABELS[kind],
            f"{figures[kind]:.1f}",
            common.fmt_runs([s["elapsed"] for s in samples[kind]], 1),
            f"{figures[kind + '_cpu']:.0f}",
            f"{figures[kind + '_requests']:.1f}",
            "{}-{}".format(*samples[kind][-1]["per_server_range"]),
            sum(s["errors"] for s in samples[kind]),
        ]
        for kind in ("role", "uri")
    ]
    kind_rows = []
    for kind in ("role", "uri"):
        for request, per in samples[kind][-1]["kinds"].items():
            kind_rows.append([LABELS[kind].split(" (")[0], request, f"{per:g}"])
    lines = [
        "## Fleet update",
        "",
        f"`bench/update_fleet.py`. Machine: {common.machine()} (load average {figures['load']} at the start).",
        "",
        f"{SERVERS} running `--virtual` Paper servers of one sandbox, `MINECRAFT_VERSION` changed (a fresh version "
        f"each run), then a restart, running and stable for {STABLE_FOR} s, and the console's `list`; `serial: "
        f"{SERIAL}`, forks {SERIAL}, rate limit lifted. The role: `gameops.pterodactyl.update` "
        "(bench/playbooks/update_role.yml: a check of the new values, a backup waited for on the websocket, the "
        "variable, `server_power` restarted with `stable_for`, `server_command` reading `players online` back). "
        "Baseline: the same steps as `ansible.builtin.uri` tasks with polling loops (bench/playbooks/"
        "update_uri.yml: the backup POSTed and read every second until `completed_at`, the PUT of the variable, the "
        f"restart, `/resources` every second until running, a {STABLE_FOR}-s sleep and one more `/resources`, the "
        "command POSTed - uri cannot read the console, so the baseline verifies less, and it has no rollback). "
        "Every run is checked: no failed host, every server on the new version. Runs alternate "
        f"({', '.join(s['kind'] for s in sorted(samples['role'] + samples['uri'], key=lambda s: s['version']))}), "
        "medians; CPU: user + system seconds of ansible-playbook and its children.",
        "",
        common.table(
            ["playbook", "median (s)", "runs (s)", "CPU (s)", "requests per server", "range (last run)", "errors"],
            rows,
            ["---", "---:", "---", "---:", "---:", "---:", "---:"],
        ),
        "",
        f"**role / uri = {figures['ratio']:.2f}x** (CPU {figures['cpu_ratio']:.2f}x; issue 15 sets no time target). "
        f"**Requests per server: role {figures['role_requests']:.1f}, uri {figures['uri_requests']:.1f}.**",
        "",
        "Requests per server by kind (last run of each):",
        "",
        common.table(["playbook", "request", "per server"], kind_rows, ["---", "---", "---:"]),
        "",
        explain(figures),
    ]
    return "\n".join(lines)


def explain(figures: dict) -> str:
    role, uri = figures["role_requests"], figures["uri_requests"]
    faster = "faster" if figures["ratio"] < 1 else "slower"
    cpu = "less" if figures["role_cpu"] < figures["uri_cpu"] else "more"
    return (
        f"Where the difference comes from: the role is {faster} and uses {cpu} CPU ({figures['role_cpu']:.0f} s "
        f"against {figures['uri_cpu']:.0f} s on this 2-core machine, where every task is a module process "
        "Ansible starts): the role runs five module processes per server (a check of the new values, the "
        "backup, the variable, the power, the command), the uri play eight (seven `uri`, one `wait_for` for the "
        "stable time) and an `assert`, plus a process for every retry of its loops (none here: each loop's "
        "first read found the backup done and the server running, so its 1-s delays cost nothing in this run). "
        "The role makes "
        f"{'fewer' if role < uri else 'more'} panel requests ({role:.1f} per server against {uri:.1f}): each of "
        "its three waiting modules (backup, power, command) asks for a websocket token, the startup is read by "
        "the check and again by the change (the check also reads the server to predict the startup command), "
        "`server_backup` lists the backups and `server_power` reads the server before acting, where the uri play "
        "sends its steps blind; the uri loops' reads grow with how long the backup and the restart take (one "
        "read each here: small data folders, virtual servers that restart in under a second). A first read "
        "that finds `running` cannot tell a server that is back from one whose restart has not begun (the "
        "panel answers the POST before the node acts); `server_power` waits, on the websocket's status events, "
        "for the server to leave `running` and come back."
    )


def summary(figures: dict) -> list[str]:
    return [
        f"update_fleet: {SERVERS} servers, serial {SERIAL}: update role {figures['role']:.1f} s, uri + polling "
        f"{figures['uri']:.1f} s, ratio {figures['ratio']:.2f} (CPU {figures['cpu_ratio']:.2f}; no target); "
        f"requests per server {figures['role_requests']:.1f} and {figures['uri_requests']:.1f}",
    ]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
