#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet restart: 200 running virtual servers restarted by ``server_power state=restarted`` (wait), forks 20.

Limited run: the panel's default limit of 720 client-API requests a minute (fixed 60-s window from the first
hit, per user). Baseline run, in the same sandbox and alternated with it: the same play with the limit lifted,
which is the time of the work itself. Floor the limit sets for R accepted requests (see floor_for):
``max(baseline, 60 * (ceil(R / 720) - 1) + baseline * R_last / R)``. Targets: zero failures; limited time
<= 1.2x the floor. In full mode, an extra run with a limit of 400 a minute shows the client waiting out 429s.
"""

from __future__ import annotations

import collections
import math
import pathlib
import sys

from bench import common

NAME = "fleet_restart"
SERVERS = 200
FORKS = 20
RATE_LIMIT = 720
WINDOW = 60.0
TARGET = 1.2
RATE_LIMIT_WAIT = 180
# Extra scenario (full mode): a limit that 3 requests x 200 servers exceed, so that 429s are waited out.
BINDING_LIMIT = 400


def one_run(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, limit: int) -> dict:
    """Every server running, limit set, windows and log cleared; then the timed restart of the fleet."""
    common.drive_all(box, "running")
    common.reset(box)
    common.set_rate_limit(box, limit)
    elapsed, proc = common.run_playbook(
        "fleet_restart.yml",
        inventory,
        common.ansible_env(workdir),
        "-e",
        f"rate_limit_wait={RATE_LIMIT_WAIT}",
        forks=FORKS,
        check=False,
    )
    log = common.request_log(box)
    statuses = collections.Counter(entry["status"] for entry in log)
    totals = common.recap(proc.stdout)
    failures = totals.get("failed", 0) + totals.get("unreachable", 0) + (SERVERS - totals.get("hosts", 0))
    times = [entry["time"] for entry in log]
    return {
        "limit": limit,
        "elapsed": elapsed,
        "rc": proc.returncode,
        "failures": failures,
        "changed": totals.get("changed", 0),
        "requests": len(log),
        "throttled": statuses.get(429, 0),
        "accepted": len(log) - statuses.get(429, 0),
        "statuses": dict(statuses),
        "span": max(times) - min(times) if times else 0.0,
        "fatal": [line[:400] for line in proc.stdout.splitlines() if line.startswith("fatal:")][:3],
    }


def floor_for(accepted: int, baseline: float, limit: int = RATE_LIMIT) -> float:
    """The least time R accepted requests can take under ``limit`` a minute, the work itself taking ``baseline``.

    k = ceil(R / limit) windows are needed; the last one opens 60 * (k - 1) s after the first request, and the
    R_last = R - limit * (k - 1) requests made in it still need their share of the work, baseline * R_last / R.
    With R <= limit (k = 1) this is the baseline itself.
    """
    windows = max(1, math.ceil(accepted / limit))
    last = accepted - limit * (windows - 1)
    return max(baseline, WINDOW * (windows - 1) + baseline * last / max(1, accepted))


def run(quick: bool = False) -> dict:
    reps = 1 if quick else 2
    common.ensure_collection_link()
    runs: list[dict] = []
    with (
        common.workspace(NAME) as workdir,
        common.sandbox(workdir, servers=SERVERS, virtual=True, rate_limit=RATE_LIMIT) as box,
    ):
        inventory = common.write_inventory(workdir / "hosts.yml", box, box["servers"][:SERVERS])
        for index in range(reps):
            order = [RATE_LIMIT, common.UNLIMITED_RATE] if index % 2 == 0 else [common.UNLIMITED_RATE, RATE_LIMIT]
            runs += [one_run(workdir, box, inventory, limit) for limit in order]
        if not quick:
            runs.append(one_run(workdir, box, inventory, BINDING_LIMIT))
    return finish(runs)


def finish(runs: list[dict]) -> dict:
    limited = [r for r in runs if r["limit"] == RATE_LIMIT]
    baseline = [r for r in runs if r["limit"] == common.UNLIMITED_RATE]
    figures = {
        "runs": runs,
        "limited": common.median([r["elapsed"] for r in limited]),
        "baseline": common.median([r["elapsed"] for r in baseline]),
        "accepted": max(r["accepted"] for r in limited),
        "throttled": max(r["throttled"] for r in limited),
        "failures": sum(r["failures"] for r in limited),
        "baseline_failures": sum(r["failures"] for r in baseline),
    }
    figures["floor"] = floor_for(figures["accepted"], figures["baseline"])
    figures["ratio"] = figures["limited"] / figures["floor"]
    figures["met"] = figures["ratio"] <= TARGET and figures["failures"] == 0
    figures["binding"] = [
        dict(r, floor=floor_for(r["accepted"], figures["baseline"], r["limit"]))
        for r in runs
        if r["limit"] == BINDING_LIMIT
    ]
    common.write_section(NAME, render(figures))
    return figures


def render(figures: dict) -> str:
    rows = [
        [
            limit_label(r["limit"]),
            f"{r['elapsed']:.1f}",
            r["failures"],
            r["changed"],
            r["requests"],
            r["accepted"],
            r["throttled"],
            f"{r['span']:.1f}",
        ]
        for r in figures["runs"]
    ]
    windows = math.ceil(figures["accepted"] / RATE_LIMIT)
    lines = [
        "## Fleet restart",
        "",
        f"`bench/fleet_restart.py`. Machine: {common.machine()}.",
        "",
        f"{SERVERS} running `--virtual` servers, one host each in a static inventory (`ansible_connection=local`), "
        f"restarted by `server_power state=restarted` (wait for running again) with forks {FORKS} and "
        f"`rate_limit_wait: {RATE_LIMIT_WAIT}`. The sandbox starts with `--rate-limit {RATE_LIMIT}`; for the baseline "
        "runs the limit is lifted through `PATCH <control_url>/settings`. Runs alternate; before each, every server is "
        "running and the request log and rate-limit windows are cleared. Requests and 429s are counted from the "
        "request log.",
        "",
        common.table(
            [
                "rate limit",
                "time (s)",
                "failures",
                "changed",
                "requests",
                "accepted",
                "429",
                "first to last request (s)",
            ],
            rows,
            ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"],
        ),
        "",
        "The floor. The panel counts accepted requests (a 429 does not count) in a fixed 60-s window that opens at "
        f"the first hit; at most L ({RATE_LIMIT}) fit in a window, so R accepted requests need k = ceil(R/L) windows, "
        "and the "
        "R_last = R - L x (k - 1) requests of the last window cannot be sent before 60 x (k - 1) s after the first "
        "request. The work itself (Ansible, the modules, the servers' restart) takes the baseline time W, measured "
        "with the limit lifted; the requests of the last window still need their share of it, W x R_last / R. So "
        "floor = max(W, 60 x (k - 1) + W x R_last / R): with R <= L (k = 1) the limit adds nothing and the floor "
        "is W. (The looser `W + 60 x (k - 1)` would assume that no work overlaps the wait for a window.)",
        "",
        f"R = {figures['accepted']} accepted requests ({figures['accepted'] / SERVERS:.1f} per server), {windows} "
        f"window(s); baseline {figures['baseline']:.1f} s (median); floor {figures['floor']:.1f} s; limited run "
        f"{figures['limited']:.1f} s (median).",
        "",
        f"**Limited time / floor = {figures['ratio']:.2f}x** (target <= {TARGET:.1f}x), failures under the limit: "
        f"{figures['failures']} (target 0), 429 answers: {figures['throttled']}: {common.verdict(figures['met'])}.",
    ]
    lines += explain(figures) + render_binding(figures)
    return "\n".join(lines)


def limit_label(limit: int) -> str:
    if limit == common.UNLIMITED_RATE:
        return "lifted (baseline)"
    return f"{limit}/min{'' if limit == RATE_LIMIT else ' (extra)'}"


def render_binding(figures: dict) -> list[str]:
    """The extra run whose requests do not fit in one window, if there was one."""
    lines = []
    for item in figures["binding"]:
        lines += [
            "",
            f"Extra run, no target: with a limit of {item['limit']} a minute the same {item['requests']} requests "
            f"(R = {item['accepted']} accepted) need {math.ceil(item['accepted'] / item['limit'])} windows, so the "
            f"client must wait out 429s: {item['throttled']} answers were 429, {item['failures']} host(s) failed, "
            f"{item['elapsed']:.1f} s against a floor of {item['floor']:.1f} s "
            f"({item['elapsed'] / item['floor']:.2f}x).",
        ]
    if figures["throttled"] == 0 and figures["accepted"] <= RATE_LIMIT:
        lines += [
            "",
            f"With {SERVERS} servers the {RATE_LIMIT}-a-minute limit does not bind: {figures['accepted']} requests "
            "fit in one window, so the floor is the baseline.",
        ]
    return lines


def explain(figures: dict) -> list[str]:
    notes = []
    if figures["failures"] or figures["baseline_failures"]:
        failed = [r for r in figures["runs"] if r["failures"]]
        counts = "; ".join(f"{r['failures']} with limit {r['limit']}" for r in failed)
        messages = " / ".join(f"`{line}`" for r in failed for line in r["fatal"])
        notes.append(f"Failures: {counts}. First messages: {messages}")
    if figures["ratio"] > TARGET:
        cause = (
            "the client waited out 429s"
            if figures["throttled"]
            else "no 429 was answered, so the difference is noise between runs on this machine, not the rate limit"
        )
        notes.append(f"The limited run is {(figures['ratio'] - 1) * 100:.0f}% above the floor: {cause}.")
    return ["", " ".join(notes)] if notes else []


def summary(figures: dict) -> list[str]:
    return [
        f"fleet_restart: limited {figures['limited']:.1f} s, baseline {figures['baseline']:.1f} s, "
        f"R={figures['accepted']}, 429={figures['throttled']}, floor {figures['floor']:.1f} s, "
        f"ratio {figures['ratio']:.2f} (target <= {TARGET:.1f}), "
        f"failures {figures['failures']}: {common.outcome(figures['met'])}"
    ]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
