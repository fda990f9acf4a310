# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make demo` (hack/demo.py) end to end, and playbooks/rolling_restart.yml and broadcast.yml
through the inventory plugin against the sandbox."""

from __future__ import annotations

import os
import pathlib
import re
import socket
import subprocess
import sys
import time

import psutil
import pytest
import yaml
from shared import run_inventory_playbook

from hack import devenv
from sandbox.launcher import launch

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = devenv.BIN  # the running virtual environment (a worktree has no .venv of its own)
PYTHON = BIN / "python" if (BIN / "python").exists() else pathlib.Path(sys.executable)
REPORT = ROOT / ".build" / "reports" / "fleet_report.html"
DEMO_DATA = ROOT / ".build" / "demo" / "data"

FLEET = {
    "users": [{"username": "owner"}],
    "nodes": [{"name": "node-a"}],
    "eggs": [{"name": "Paper", "done": ')! For help, type "help"', "stop": "stop", "boot_seconds": 0.3}],
    "servers": [
        {"name": "one", "state": "running"},
        {"name": "two", "state": "running"},
        {"name": "idle"},
    ],
}


def demo_processes() -> list:
    """Processes of a demo sandbox: its command line or working folder is under .build/demo/data."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
            cwd = proc.info["cwd"] or ""
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if (str(DEMO_DATA) in cmdline or cwd.startswith(str(DEMO_DATA))) and proc.status() != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


@pytest.mark.slow
def test_make_demo():
    """What `make demo` runs: exit 0, a report, the sandbox stopped, no process or port left."""
    started = time.time()
    result = subprocess.run(
        [str(PYTHON), "-m", "hack.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("PTERODACTYL_")},
    )
    elapsed = time.time() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    assert f"fleet report: {REPORT}" in output
    assert "sandbox stopped, nothing left running" in output
    assert REPORT.is_file() and REPORT.stat().st_mtime >= started
    assert not re.search(r"\b(ptlc|ptla)_[A-Za-z0-9]{20,}", output), "an API key was printed"
    inventory = (ROOT / ".build" / "demo" / "demo.pterodactyl.yml").read_text()
    assert "ptlc_" not in inventory
    # every step of the tour ran
    for task in (
        "Start the server and wait until it is running",
        "Ask who is online and wait for the answer",
        "Show its resources",
        "Restart the server and wait until it is running again",
        "Show its activity log, newest first",
        "Render the report",
    ):
        assert task in output, task
    assert "failed=1" not in output
    panel = re.search(r"panel at http://127\.0\.0\.1:(\d+)", output)
    assert panel, output[-3000:]
    with socket.socket() as sock:
        sock.settimeout(1)
        assert sock.connect_ex(("127.0.0.1", int(panel.group(1)))) != 0, "the panel still listens"
    assert demo_processes() == []
    assert elapsed < 150, f"make demo took {elapsed:.0f} s"


# --------------------------------------------------------------------------- #
# rolling_restart.yml and broadcast.yml
# --------------------------------------------------------------------------- #


@pytest.fixture
def fleet_sandbox(tmp_path):
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(yaml.safe_dump(FLEET))
    sandbox = launch(tmp_path / "sandbox", fleet=str(fleet))
    yield sandbox
    assert sandbox.stop() == 0, sandbox.log()


def playbook(tmp_path, sandbox, name, *args) -> subprocess.CompletedProcess:
    result = run_inventory_playbook(tmp_path, sandbox, ROOT / "playbooks" / name, *args)
    assert sandbox["keys"]["owner"] not in result.stdout + result.stderr
    return result


def recap(output: str) -> dict:
    return {
        m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M)
    }


def posts(sandbox, status: int | None = None) -> list:
    """(server, command|power, time) of every POST, or of those answered with `status`."""
    return [
        (r["path"].split("/")[4], r["path"].rsplit("/", 1)[1], r["time"])
        for r in sandbox.requests_log()
        if r["method"] == "POST" and status in (None, r["status"])
    ]


def test_rolling_restart_playbook(tmp_path, fleet_sandbox):
    ids = {s["name"]: s["identifier"] for s in fleet_sandbox["servers"]}
    countdown = ["-e", '{"rolling_restart_countdown": [1]}']

    fleet_sandbox.control("DELETE", "/requests")
    check = playbook(tmp_path, fleet_sandbox, "rolling_restart.yml", "--check", *countdown)
    assert check.returncode == 0, check.stdout[-6000:]
    assert posts(fleet_sandbox) == [], "check mode sent a request that changes something"

    fleet_sandbox.control("DELETE", "/requests")
    run = playbook(tmp_path, fleet_sandbox, "rolling_restart.yml", *countdown)
    assert run.returncode == 0, run.stdout[-6000:]
    totals = recap(run.stdout)
    assert totals["idle"]["changed"] == 0 and totals["idle"]["failed"] == 0
    assert totals["one"]["changed"] > 0 and totals["two"]["changed"] > 0
    sent = posts(fleet_sandbox)
    order = [(ids_name, kind) for ids_name, kind, _when in sent]
    one, two = ids["one"], ids["two"]
    per_server = [("command", "command", "power", "command")]  # countdown, final message, restart, verification
    assert [kind for server, kind in order if server == one] == list(per_server[0])
    assert [kind for server, kind in order if server == two] == list(per_server[0])
    # serial: 1 - the second server's countdown starts after the first one was verified
    first_done = max(t for server, _kind, t in sent if server == one)
    second_start = min(t for server, _kind, t in sent if server == two)
    first_start = min(t for server, _kind, t in sent if server == one)
    if first_start < second_start:
        assert first_done < second_start
    else:
        assert max(t for server, _kind, t in sent if server == two) < first_start
    assert ids["idle"] not in {entry[0] for entry in sent}
    for name in ("one", "two"):
        state = fleet_sandbox.control("GET", f"/servers/{ids[name]}").json()
        assert state.get("state") == "running", state


def test_rolling_restart_stops_after_a_failure(tmp_path, fleet_sandbox):
    """max_fail_percentage 0 (the default): a server that fails its verification stops the run."""
    fleet_sandbox.control("DELETE", "/requests")
    run = playbook(
        tmp_path,
        fleet_sandbox,
        "rolling_restart.yml",
        "-e",
        '{"rolling_restart_countdown": [], "rolling_restart_verify_regex": "never printed", '
        '"rolling_restart_verify_timeout": 1}',
    )
    assert run.returncode != 0
    totals = recap(run.stdout)
    assert sum(1 for host in totals.values() if host["failed"]) == 1
    restarted = {server for server, kind, _when in posts(fleet_sandbox) if kind == "power"}
    assert len(restarted) == 1


def test_broadcast_playbook(tmp_path, fleet_sandbox):
    ids = {s["name"]: s["identifier"] for s in fleet_sandbox["servers"]}
    fleet_sandbox.control("DELETE", "/requests")
    run = playbook(tmp_path, fleet_sandbox, "broadcast.yml", "-e", "broadcast_message='Maintenance <soon> &amp; more'")
    assert run.returncode == 0, run.stdout[-6000:]
    # the offline server is tried (the panel answers 502) and skipped, not failed
    sent = posts(fleet_sandbox, status=204)
    assert sorted(entry[0] for entry in sent) == sorted([ids["one"], ids["two"]])
    activity = fleet_sandbox.api("GET", f"/api/client/servers/{ids['one']}/activity").json()["data"]
    commands = [
        a["attributes"]["properties"].get("command")
        for a in activity
        if a["attributes"]["event"] == "server:console.command"
    ]
    assert commands == ["say Maintenance <soon> &amp; more"]
    totals = recap(run.stdout)
    assert totals["idle"]["changed"] == 0

    missing = playbook(tmp_path, fleet_sandbox, "broadcast.yml")
    assert missing.returncode != 0 and "broadcast_message" in missing.stdout
