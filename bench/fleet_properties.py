#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet properties: ``server_properties`` on 200 servers whose values are already set, against
``ansible.builtin.uri`` writing the same file blindly (``POST /files/write``), forks 20.

A 200-server virtual sandbox (rate limit lifted); every server's data folder gets the game's default
``server.properties`` (the same bytes for all). A first ``server_properties`` run sets the values (every host
changed); that file, read back, is the body the ``uri`` play POSTs. Then the two plays alternate, the request
log cleared before each run: ``server_properties`` finds every value set (one read, no write per host),
``uri`` rewrites every file with the content it already has. No target: the time ratio and the requests per
host are reported, with which files each run rewrote (their modification times).
"""

from __future__ import annotations

import collections
import json
import pathlib
import sys

from bench import common

NAME = "fleet_properties"
SERVERS = 200
FORKS = 20
PROPERTIES = {"motd": "A fleet configured as code", "max-players": 40, "pvp": False, "view-distance": 12}
PLAYS = {"server_properties": "server_properties.yml", "uri": "write_uri.yml"}
MODULE_FILES = {"server_properties": "AnsiballZ_server_properties.py", "uri": "AnsiballZ_uri.py"}


def prepare(box: dict) -> bytes:
    """The game's default server.properties in every server's data folder, the same bytes everywhere."""
    servers = box["servers"][:SERVERS]
    default = common.default_properties(servers[0]).read_bytes()
    for server in servers[1:]:
        folder = pathlib.Path(server["data_dir"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "server.properties").write_bytes(default)
    return default


def files_of(box: dict) -> dict[str, tuple[bytes, int]]:
    """Each server's server.properties: (its bytes, its modification time in ns)."""
    found = {}
    for server in box["servers"][:SERVERS]:
        path = pathlib.Path(server["data_dir"]) / "server.properties"
        found[server["identifier"]] = (path.read_bytes(), path.stat().st_mtime_ns)
    return found


def server_of(entry: dict) -> str:
    """The server a logged request names (``/api/client/servers/{id}/...``)."""
    parts = entry["path"].split("/")
    return parts[4] if len(parts) > 4 and parts[3] == "servers" else "{none}"


def play(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, key: str, variables: pathlib.Path) -> dict:
    """One whole ansible-playbook run of ``key``'s play, log and rate-limit windows cleared first."""
    before = files_of(box)
    common.reset(box)
    elapsed, proc = common.run_playbook(
        PLAYS[key], inventory, common.ansible_env(workdir), "-e", f"@{variables}", forks=FORKS
    )
    log = common.request_log(box)
    after = files_of(box)
    totals = common.recap(proc.stdout)
    if totals.get("hosts") != SERVERS or totals.get("ok") != SERVERS or totals.get("failed", 0):
        raise common.PlaybookFailed(f"{PLAYS[key]}: unexpected recap {totals}")
    return {
        "play": key,
        "elapsed": elapsed,
        "cpu": proc.cpu_seconds,
        "changed": totals.get("changed", 0),
        "requests": len(log),
        "kinds": dict(collections.Counter(common.describe(entry, server_of(entry)) for entry in log)),
        "statuses": dict(collections.Counter(str(entry["status"]) for entry in log)),
        "rewritten": sum(1 for name, (_data, mtime) in after.items() if mtime != before[name][1]),
        "contents": {data for data, _mtime in after.values()},
    }


def run(quick: bool = False) -> dict:
    runs = 1 if quick else 3
    load_at_start = common.load_average()
    with common.sandboxed(NAME, servers=SERVERS, virtual=True) as (workdir, box):
        default = prepare(box)
        inventory = common.write_inventory(workdir / "hosts.yml", box, box["servers"][:SERVERS])
        variables = workdir / "vars.json"
        variables.write_text(json.dumps({"properties": PROPERTIES}), encoding="utf-8")
        first = play(workdir, box, inventory, "server_properties", variables)
        if first["changed"] != SERVERS or len(first["contents"]) != 1:
            raise RuntimeError(f"the first run set {first['changed']} of {SERVERS} servers' properties")
        wanted = next(iter(first["contents"]))
        variables.write_text(
            json.dumps({"properties": PROPERTIES, "file_text": wanted.decode("utf-8")}), encoding="utf-8"
        )
        warm_up = play(workdir, box, inventory, "uri", variables)
        records = []
        for index in range(runs):
            order = list(PLAYS) if index % 2 == 0 else list(reversed(PLAYS))
            records += [play(workdir, box, inventory, key, variables) for key in order]
        alone = modules_alone(workdir, box, inventory, variables, 3 if quick else 7)
    for record in [warm_up, *records]:
        if record["contents"] != {wanted}:
            raise RuntimeError(f"a {record['play']} run left files other than the wanted one")
    figures = finish(first, records, default, wanted, alone)
    figures["load_at_start"] = load_at_start
    common.write_section(NAME, render(figures))
    return figures


def modules_alone(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, variables: pathlib.Path, runs: int):
    """Seconds of each play's module process run on its own: the AnsiballZ payload one host ran (kept with
    ANSIBLE_KEEP_REMOTE_FILES, its arguments inside it), alternated, median of ``runs``; each run makes its request."""
    host = box["servers"][0]["name"]
    payloads = {
        key: common.keep_payload(workdir, inventory, PLAYS[key], MODULE_FILES[key], host, "-e", f"@{variables}")
        for key in PLAYS
    }
    samples = common.alternate({key: [str(path)] for key, path in payloads.items()}, runs)
    return {"runs": runs, **{key: common.median(samples[key]) for key in PLAYS}}


def finish(first: dict, records: list[dict], default: bytes, wanted: bytes, alone: dict) -> dict:
    by_play = {key: [r for r in records if r["play"] == key] for key in PLAYS}
    figures = {
        "first": first,
        "records": records,
        "default_size": len(default),
        "wanted_size": len(wanted),
        "median": {key: common.median([r["elapsed"] for r in by_play[key]]) for key in PLAYS},
        "cpu": {key: common.median([r["cpu"] for r in by_play[key]]) for key in PLAYS},
        "per_host": {key: max(r["requests"] for r in by_play[key]) / SERVERS for key in PLAYS},
        "alone": alone,
    }
    figures["ratio"] = figures["median"]["server_properties"] / figures["median"]["uri"]
    figures["cpu_ratio"] = figures["cpu"]["server_properties"] / figures["cpu"]["uri"]
    figures["pair_ratios"] = [
        next(r["elapsed"] for r in pair if r["play"] == "server_properties")
        / next(r["elapsed"] for r in pair if r["play"] == "uri")
        for pair in zip(records[::2], records[1::2], strict=True)
    ]
    return figures


def render(figures: dict) -> str:
    first = figures["first"]
    rows = [
        [
            "`server_properties` (first run: sets the values)",
            f"{first['elapsed']:.1f}",
            f"{first['cpu']:.1f}",
            first["changed"],
            first["requests"],
            f"{first['requests'] / SERVERS:.1f}",
            common.kinds_text(first["kinds"]),
            first["rewritten"],
        ]
    ]
    rows += [
        [
            "`server_properties` (unchanged)" if r["play"] == "server_properties" else "`uri` (blind write)",
            f"{r['elapsed']:.1f}",
            f"{r['cpu']:.1f}",
            r["changed"],
            r["requests"],
            f"{r['requests'] / SERVERS:.1f}",
            common.kinds_text(r["kinds"]),
            r["rewritten"],
        ]
        for r in figures["records"]
    ]
    med, cpu, per_host = figures["median"], figures["cpu"], figures["per_host"]
    return "\n".join(
        [
            "## Fleet properties",
            "",
            f"`bench/fleet_properties.py`. Machine: {common.machine()}.",
            "",
            f"{SERVERS} `--virtual` servers, one host each in a static inventory (`ansible_connection=local`), forks "
            f"{FORKS}, rate limit lifted. Every server's data folder first gets the game's default `server.properties` "
            f"({figures['default_size']} bytes, the same for all). A first `server_properties` run sets "
            f"{', '.join(f'`{key}`' for key in PROPERTIES)}; the file it leaves ({figures['wanted_size']} bytes, read "
            "back) is what the baseline play POSTs to `/files/write` on every server with `ansible.builtin.uri` "
            "(`body_format: raw`), whatever the server holds. After one warm-up `uri` run the plays alternate, the "
            "request log and rate-limit windows cleared before each; every run must end ok on every host, and every "
            "file must hold the wanted bytes after it. Whole `ansible-playbook` runs, wall-clock and CPU seconds "
            "(CPU: `ansible-playbook` and every process it waited for).",
            "",
            common.table(
                ["run", "time (s)", "CPU (s)", "changed", "requests", "per host", "requests made", "files rewritten"],
                rows,
                ["---", "---:", "---:", "---:", "---:", "---:", "---", "---:"],
            ),
            "",
            f"**server_properties (unchanged) / uri (blind write) = {figures['ratio']:.2f}x** wall-clock "
            f"(medians: {med['server_properties']:.1f} s and {med['uri']:.1f} s; CPU {figures['cpu_ratio']:.2f}x, "
            f"{cpu['server_properties']:.1f} s and {cpu['uri']:.1f} s); no target. Ratios of the alternated pairs: "
            f"{common.fmt_runs(figures['pair_ratios'])} (load average at the start {figures['load_at_start']}, at the "
            "end in the machine line: other work on this shared machine moves these figures). Requests per host: "
            f"{per_host['server_properties']:.0f} for `server_properties` (it reads the file, finds the values set "
            f"and writes nothing), {per_host['uri']:.0f} for `uri` (it writes without reading). Both make one "
            "request per host; the difference is that the blind write rewrites every file on every run (the "
            "'files rewritten' column: modification times that changed) while reporting every host unchanged "
            "(`uri` cannot know), says nothing about what the file held, and needs the whole file's content in the "
            "play, where `server_properties` needs only the keys and reports (and writes) only real changes.",
            "",
            explain(figures),
        ]
    )


def explain(figures: dict) -> str:
    """Where the difference comes from, as far as the module processes themselves account for it."""
    cpu, alone = figures["cpu"], figures["alone"]
    per_host = {key: cpu[key] / SERVERS * 1000 for key in PLAYS}
    cpu_delta = per_host["server_properties"] - per_host["uri"]
    alone_delta = (alone["server_properties"] - alone["uri"]) * 1000
    text = "Where the difference comes from. "
    if abs(figures["ratio"] - figures["cpu_ratio"]) < 0.1:
        text += (
            f"With {FORKS} forks on this machine's {common.nproc()} CPUs the runs are bound by CPU (the wall-clock "
            f"and CPU ratios agree: {figures['ratio']:.2f}x and {figures['cpu_ratio']:.2f}x). "
        )
    text += (
        f"CPU per host: {per_host['server_properties']:.0f} ms for `server_properties`, {per_host['uri']:.0f} ms "
        f"for `uri` ({cpu_delta:+.0f} ms). The module process each host runs, on its own (the AnsiballZ payload "
        "kept with `ANSIBLE_KEEP_REMOTE_FILES`, its one request included; alternated, median of "
        f"{alone['runs']}): `server_properties` {alone['server_properties'] * 1000:.0f} ms, `uri` "
        f"{alone['uri'] * 1000:.0f} ms ({alone_delta:+.0f} ms)"
    )
    if cpu_delta <= 0:
        return text + ". The requests are one per host either way."
    if alone_delta > 0:
        text += (
            f", about {min(1.0, alone_delta / cpu_delta):.0%} of the CPU difference per host; the rest is in "
            "Ansible's handling of each task around the module"
        )
    else:
        text += (
            ": the module process does not account for the difference, so it is in Ansible's handling of each task "
            "around the module"
        )
    return text + " (this benchmark does not break that down). The requests are one per host either way."


def summary(figures: dict) -> list[str]:
    """One line: the medians, the ratios (no target), the requests per host of each play."""
    labels = {"server_properties": "server_properties unchanged", "uri": "uri blind write"}
    times = ", ".join(f"{labels[key]} {figures['median'][key]:.1f} s" for key in PLAYS)
    requests = " and ".join(f"{figures['per_host'][key]:.0f}" for key in PLAYS)
    ratios = f"ratio {figures['ratio']:.2f} (CPU {figures['cpu_ratio']:.2f}; no target)"
    return [f"fleet_properties: {SERVERS} servers, forks {FORKS}: {times}, {ratios}; requests per host {requests}"]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
