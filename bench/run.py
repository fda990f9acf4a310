#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make bench``: run every benchmark, each as a subprocess, and summarize them in docs/performance.md.

    .venv/bin/python -m bench.run                      # all of them (30 minutes or more on 2 cores)
    .venv/bin/python -m bench.run per_task fleet_restart
    .venv/bin/python -m bench.run --quick              # fewer repetitions

Each benchmark writes its own section of docs/performance.md; this runner adds a summary section with one
row per benchmark (a partial run replaces only its rows). A missed target is reported, not an error: the
exit code is 0 unless a benchmark could not run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

if __package__ in (None, ""):  # run by path: its package (and sandbox, hack) would not be importable
    sys.exit("run it as a module from the repository root: python -m bench.run")

from bench import common

BENCH = common.ROOT / "bench"
# name -> (script, extra arguments in --quick mode, timeout in seconds)
BENCHMARKS = {
    "inventory": ("inventory.py", ["--runs", "1"], 900),
    "per_task": ("per_task.py", ["--quick"], 900),
    "state_detection": ("state_detection.py", ["--quick"], 600),
    "requests_per_operation": ("requests_per_operation.py", ["--quick"], 600),
    "fleet_restart": ("fleet_restart.py", ["--quick"], 1200),
    "files_requests": ("files_requests.py", ["--quick"], 600),
    "file_upload": ("file_upload.py", ["--quick"], 900),
    "backup": ("backup.py", ["--quick"], 1200),
    "update_fleet": ("update_fleet.py", ["--quick"], 1800),
    "fleet_properties": ("fleet_properties.py", ["--quick"], 1800),
}
SUMMARY = "summary"
ROW_RE = re.compile(r"^\| `(\w+)` \| (.*) \|$")


def summary_lines(name: str, output: str) -> list[str]:
    """The benchmark's own summary: its lines starting with ``name:``; for bench/inventory.py its ratio rows."""
    if name == "inventory":
        rows = [
            line.strip("| ").split(" | ")
            for line in output.splitlines()
            if line.startswith(("| (plugin", "| cached /")) and " | <= " in line
        ]
        return [f"{row[0]} = {row[1]} (target {row[2]}): {row[3]}" for row in rows if len(row) >= 4]
    return [line[len(name) + 1 :].strip() for line in output.splitlines() if line.startswith(name + ":")]


def run_one(name: str, quick: bool) -> dict:
    script, quick_args, timeout = BENCHMARKS[name]
    argv = [common.PYTHON, "-m", "bench." + script.removesuffix(".py")] + (quick_args if quick else [])
    print(f"== {name}: {' '.join(argv[1:])}", flush=True)
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, cwd=common.ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {
            "name": name,
            "ok": False,
            "seconds": time.monotonic() - started,
            "lines": [f"did not finish within {timeout} s"],
        }
    result = {
        "name": name,
        "ok": proc.returncode == 0,
        "seconds": time.monotonic() - started,
        "lines": summary_lines(name, proc.stdout),
    }
    if not result["ok"]:
        result["lines"].append(f"failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
    for line in result["lines"]:
        print("   " + line, flush=True)
    print(f"   ({result['seconds']:.0f} s)", flush=True)
    return result


def status_of(result: dict) -> str:
    if not result["ok"]:
        return "**NOT MEASURED**"
    text = " ".join(result["lines"])
    if "MISSED" in text:
        return "**MISSED**"
    return "no target" if "no target" in text else "met"


def previous_rows() -> dict:
    """Rows of the summary table already in docs/performance.md, by benchmark name."""
    if not common.PERFORMANCE_MD.exists():
        return {}
    text = common.PERFORMANCE_MD.read_text(encoding="utf-8")
    start, end = text.find(f"<!-- {SUMMARY}:start -->"), text.find(f"<!-- {SUMMARY}:end -->")
    rows = {}
    for line in text[start:end].splitlines() if start != -1 else []:
        match = ROW_RE.match(line)
        if match:
            rows[match.group(1)] = line
    return rows


def write_summary(results: list[dict], quick: bool) -> None:
    rows = previous_rows()
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    for result in results:
        figures = "; ".join(result["lines"]).replace("|", "/") or "-"
        quick_mark = " (quick)" if quick else ""
        rows[result["name"]] = f"| `{result['name']}` | {figures} | {status_of(result)} | {stamp}{quick_mark} |"
    ordered = [rows[name] for name in BENCHMARKS if name in rows]
    body = "\n".join(
        [
            "## Summary",
            "",
            "Written by `bench/run.py`; each row comes from the benchmark's own section below. "
            f"Machine: {common.machine()}.",
            "A missed target is marked **MISSED**; the benchmark's section says why.",
            "",
            "| benchmark | figures | targets | run (UTC) |",
            "|---|---|---|---|",
        ]
        + ordered
    )
    ensure_title()
    common.write_section(SUMMARY, body)


def ensure_title() -> None:
    """docs/performance.md starts with its title and the (empty) summary section, before every other section."""
    text = common.PERFORMANCE_MD.read_text(encoding="utf-8") if common.PERFORMANCE_MD.exists() else ""
    if f"<!-- {SUMMARY}:start -->" in text:
        return
    rest = text[len(common.DOC_TITLE) :] if text.startswith(common.DOC_TITLE) else text
    rest = rest.split("\n", 1)[1] if rest.startswith("# Performance") else rest
    head = common.DOC_TITLE + f"\n<!-- {SUMMARY}:start -->\n<!-- {SUMMARY}:end -->\n"
    common.PERFORMANCE_MD.parent.mkdir(parents=True, exist_ok=True)
    common.PERFORMANCE_MD.write_text(head + "\n" + rest.lstrip("\n"), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and write docs/performance.md.")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    names = args.names or [name for name, spec in BENCHMARKS.items() if (BENCH / spec[0]).exists()]
    common.ensure_collection_link()
    ensure_title()
    started = time.monotonic()
    results = [run_one(name, args.quick) for name in names]
    write_summary(results, args.quick)
    print(
        f"== {len(results)} benchmark(s) in {time.monotonic() - started:.0f} s; "
        + ", ".join(f"{r['name']} {status_of(r).strip('*').lower()}" for r in results)
    )
    print(f"written to {common.PERFORMANCE_MD}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
