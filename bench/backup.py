#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup: ``server_backup`` state=present, wait=true, on a server with a 500 MiB data folder.

    python -m bench.backup                 # 500 MiB, 3 runs after one warm-up
    python -m bench.backup --size 100      # MiB of data (keep the default for the figures in the docs)
    python -m bench.backup --quick         # 1 run after the warm-up

One `--virtual` sandbox server whose data folder holds ``--size`` MiB of random bytes in 8 MiB files (a game's
world files are compressed already, so the archive is as large as the data: the node's gzip works hardest on
it). The module runs as a process of its own the way Ansible runs it (``python -m ...server_backup args.json``)
with a fresh name each run, so that it always makes a backup and waits for it.

Baseline (the floor): the sandbox's own time for that backup, from its panel's row (``GET
<control_url>/backups``, epoch floats): ``completed_at - created_at``, from the moment the panel made the row and
asked the node to the node's report (archive written, checksummed). Target: module / floor <= 1.1.

Completion noticed: the module's exit (epoch) minus the row's ``completed_at`` - an upper bound of how late the
module learnt of the end, as it includes building its result and exiting. Target <= 0.5 s (the node's
``backup completed`` websocket event, no polling). Requests: the panel requests of one run, from the sandbox's
request log. Target <= 3.

Each backup is deleted after its run (outside the timing), so the disk holds the data and at most one archive.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import requests
import yaml

from bench import common

NAME = "backup"
MIB = 1024 * 1024
SIZE_MIB = 500
FILE_MIB = 8
RATIO_TARGET = 1.1
NOTICE_TARGET = 0.5  # s
REQUESTS_TARGET = 3
MODULE = "ansible_collections.gameops.pterodactyl.plugins.modules.server_backup"
FLEET = common.fleet(
    [{"name": "Paper", "done": ')! For help, type "help"', "stop": "stop", "boot_seconds": 0.5}],
    [
        {
            "name": "world",
            "node": "node-eu1",
            "state": "running",
            "feature_limits": {"databases": 0, "allocations": 0, "backups": 5},
        }
    ],
)


def fill(data_dir: pathlib.Path, size_mib: int) -> int:
    """``size_mib`` MiB of random bytes in ``world/region/r.N.mca`` files of FILE_MIB MiB; the bytes written."""
    region = data_dir / "world" / "region"
    region.mkdir(parents=True, exist_ok=True)
    written, index = 0, 0
    while written < size_mib * MIB:
        chunk = min(FILE_MIB * MIB, size_mib * MIB - written)
        (region / f"r.{index}.0.mca").write_bytes(os.urandom(chunk))
        written += chunk
        index += 1
    return written


def invoke(workdir: pathlib.Path, args: dict) -> tuple[float, float, float, dict]:
    """The module as a process with ``args`` (as Ansible runs it, without Ansible around it): (seconds, its
    start and exit as epoch seconds, its JSON result)."""
    args_file = workdir / "module-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(common.ensure_collection_link()))
    epoch, started = time.time(), time.perf_counter()
    proc = subprocess.run(
        [common.PYTHON, "-m", MODULE, str(args_file)], capture_output=True, text=True, env=env, timeout=1800
    )
    elapsed, ended = time.perf_counter() - started, time.time()
    try:
        result = json.loads(proc.stdout[proc.stdout.index("{") :])
    except ValueError:
        raise RuntimeError(f"server_backup printed no result (exit {proc.returncode}): {proc.stderr[-2000:]}") from None
    return elapsed, epoch, ended, result


def row_of(box: dict, name: str) -> dict:
    rows = [row for row in common.control(box, "GET", "/backups").json() if row["name"] == name]
    if len(rows) != 1:
        raise RuntimeError(f"expected one backup row named {name}, found {len(rows)}")
    return rows[0]


def delete_backup(box: dict, identifier: str, uuid: str) -> None:
    response = requests.delete(
        f"{box['panel_url']}/api/client/servers/{identifier}/backups/{uuid}",
        headers={"Authorization": "Bearer " + box["keys"]["owner"], "Accept": "application/json"},
        timeout=common.HTTP_TIMEOUT,
    )
    response.raise_for_status()


def one_run(workdir: pathlib.Path, box: dict, index: int, size: int) -> dict:
    identifier = box["servers"][0]["identifier"]
    name = f"bench-{index}"
    args = {"url": box["panel_url"], "api_key": box["keys"]["owner"], "server": identifier, "name": name}
    os.sync()  # no run pays for another's writes
    common.clear_log(box)
    elapsed, started, ended, result = invoke(workdir, dict(args, state="present", wait=True))
    log = common.request_log(box)
    if result.get("failed") or not result.get("changed"):
        raise RuntimeError(f"server_backup did not make {name}: {json.dumps(result)[:2000]}")
    row = row_of(box, name)
    if not row["is_successful"] or row["completed_at"] is None:
        raise RuntimeError(f"backup {name} did not succeed: {row}")
    delete_backup(box, identifier, row["uuid"])
    times = sorted(entry["time"] for entry in log)
    floor = row["completed_at"] - row["created_at"]
    return {
        "module": elapsed,
        "floor": floor,
        "ratio": elapsed / floor,
        "noticed": ended - row["completed_at"],
        "before": row["created_at"] - started,  # start-up and the requests before the node is asked
        "requests": len(log),
        "kinds": common.count_requests(log, identifier)["kinds"],
        "after_last_request": ended - times[-1] if times else None,
        "waited_with": result.get("waited_with"),
        "bytes": row["bytes"],
        "data": size,
    }


def run(quick: bool = False, size_mib: int = SIZE_MIB, runs: int | None = None) -> dict:
    runs = runs or (1 if quick else 3)
    with common.workspace(NAME) as workdir:
        fleet = workdir / "fleet.yml"
        fleet.write_text(yaml.safe_dump(FLEET), encoding="utf-8")
        common.ensure_collection_link()
        with common.sandbox(workdir, fleet=str(fleet), virtual=True, rate_limit=common.UNLIMITED_RATE) as box:
            common.control(box, "PATCH", "/settings", {"backup_throttle": {"count": 2, "period": 0}})
            size = fill(pathlib.Path(box["servers"][0]["data_dir"]), size_mib)
            one_run(workdir, box, 0, size)  # warm-up: the module's imports, the data in the page cache
            samples = [one_run(workdir, box, index, size) for index in range(1, runs + 1)]
    figures = finish(samples, size_mib)
    common.write_section(NAME, render(figures))
    return figures


def finish(samples: list[dict], size_mib: int) -> dict:
    figures = {"samples": samples, "size_mib": size_mib}
    for key in ("module", "floor", "ratio", "noticed", "before"):
        figures[key] = common.median([sample[key] for sample in samples])
    figures["requests"] = max(sample["requests"] for sample in samples)
    figures["waited_with"] = sorted({str(sample["waited_with"]) for sample in samples})
    figures["ratio_met"] = figures["ratio"] <= RATIO_TARGET
    figures["notice_met"] = max(sample["noticed"] for sample in samples) <= NOTICE_TARGET
    figures["requests_met"] = figures["requests"] <= REQUESTS_TARGET
    figures["met"] = figures["ratio_met"] and figures["notice_met"] and figures["requests_met"]
    return figures


def render(figures: dict) -> str:
    samples = figures["samples"]
    rows = [
        [
            index + 1,
            f"{s['floor']:.2f}",
            f"{s['module']:.2f}",
            f"{s['ratio']:.3f}",
            f"{s['before']:.2f}",
            f"{s['noticed']:.3f}",
            s["requests"],
            s["waited_with"],
            f"{s['bytes'] / MIB:.0f}",
        ]
        for index, s in enumerate(samples)
    ]
    lines = [
        "## Backup",
        "",
        f"`bench/backup.py`. Machine: {common.machine()}.",
        "",
        f"One `--virtual` sandbox server whose data folder holds {figures['size_mib']} MiB of random bytes "
        f"({FILE_MIB} MiB world files: a game's world files are compressed already, so the node's gzip gets "
        "nothing off them and the archive is as large as the data). `server_backup` state=present, wait=true, run "
        f"as its own process (`python -m {MODULE} args.json`, how Ansible runs a module) under a fresh name each "
        "run, so that it always makes a backup and waits for it; the backup is deleted after each run (outside "
        f"the timing). One warm-up, then {len(samples)} run(s), medians. Floor: the sandbox's own time for that "
        "backup, from its panel's row (`GET <control_url>/backups`, epoch floats): `completed_at - created_at`, "
        "from the panel making the row and asking the node to the node's report (archive written and "
        "checksummed). Noticed: the module's exit minus that `completed_at` (an upper bound: it includes "
        "building the result and exiting).",
        "",
        common.table(
            [
                "run",
                "floor (s)",
                "module (s)",
                "module / floor",
                "start to row made (s)",
                "noticed after (s)",
                "requests",
                "waited with",
                "archive (MiB)",
            ],
            rows,
            ["---:", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---:"],
        ),
        "",
        f"Requests of a run: {common.kinds_text(samples[-1]['kinds'])}.",
        "",
        f"**module / floor = {figures['ratio']:.3f}x** (median of the runs' ratios; target <= {RATIO_TARGET}x): "
        f"{common.verdict(figures['ratio_met'])}. **Completion noticed within {figures['noticed']:.3f} s** (median; "
        f"at most {max(s['noticed'] for s in samples):.3f} s) of the node's report (target <= {NOTICE_TARGET} s): "
        f"{common.verdict(figures['notice_met'])}. **{figures['requests']} panel requests** (target <= "
        f"{REQUESTS_TARGET}): {common.verdict(figures['requests_met'])}.",
        "",
        explain(figures),
    ]
    return "\n".join(lines)


def explain(figures: dict) -> str:
    extra = figures["module"] - figures["floor"]
    text = (
        f"The module takes {extra:.2f} s more than the node's own work: {figures['before']:.2f} s from its start to "
        "the panel's row (the interpreter, imports and arguments, the listing of the backups, the websocket "
        f"opened before the backup is asked for, the POST), and {figures['noticed']:.3f} s from the node's report "
        "to its exit. That extra does not grow with the data, so the ratio only gets closer to 1 for larger "
        "backups"
    )
    if not figures["ratio_met"]:
        seconds = extra / (RATIO_TARGET - 1)
        text += (
            f"; it is within {RATIO_TARGET}x of a backup the node takes {seconds:.1f} s or more for (here "
            f"{figures['floor']:.2f} s for {figures['size_mib']} MiB)"
        )
    return text + "."


def summary(figures: dict) -> list[str]:
    return [
        f"backup: {figures['size_mib']} MiB, module {figures['module']:.2f} s, floor (sandbox archive) "
        f"{figures['floor']:.2f} s, ratio {figures['ratio']:.3f} (target <= {RATIO_TARGET}) "
        f"{common.outcome(figures['ratio_met'])}",
        f"backup: completion noticed {figures['noticed']:.3f} s after the node's report (target <= "
        f"{NOTICE_TARGET}) {common.outcome(figures['notice_met'])}; {figures['requests']} requests (target <= "
        f"{REQUESTS_TARGET}) {common.outcome(figures['requests_met'])}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=SIZE_MIB, help=f"MiB of data (default {SIZE_MIB})")
    parser.add_argument("--runs", type=int, default=None, help="timed runs after the warm-up (default 3)")
    parser.add_argument("--quick", action="store_true", help="one timed run")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1 (MiB)")
    figures = run(args.quick, args.size, args.runs)
    for line in summary(figures):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
