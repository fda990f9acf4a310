"""The CLI: ready file, fleets, determinism, clean shutdown with no orphans."""

from __future__ import annotations

import json
import pathlib
import re
import signal
import subprocess
import sys
import time

import psutil

ROOT = pathlib.Path(__file__).resolve().parents[2]
FLEETS = ROOT / "sandbox" / "fleets"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

KEY_RE = re.compile(r"^ptl[ca]_[A-Za-z0-9]{43}$")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``python -m sandbox *args`` from the repository root, as a user types it; its output captured, never raising."""
    return subprocess.run(
        [PYTHON, "-m", "sandbox", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )


def test_ready_file(sandbox):
    sb = sandbox
    assert sb["panel_url"].startswith("http://127.0.0.1:")
    assert sb["wings_url"].startswith("http://127.0.0.1:")
    assert sb["control_url"] == sb["panel_url"] + "/_sandbox"
    assert sb["pid"] == sb.proc.pid
    assert sb["flavor"] == "pterodactyl"
    assert set(sb["keys"]) >= {"owner", "subuser", "admin", "application", "other"}
    for role, key in sb["keys"].items():
        assert len(key) == 48 and KEY_RE.match(key), role
    assert sb["keys"]["application"].startswith("ptla_")
    assert sb["keys"]["owner"].startswith("ptlc_")
    assert set(sb["users"]) == {"owner", "admin", "helper", "other"}
    assert len(sb["servers"]) == 6
    for i, s in enumerate(sb["servers"]):
        assert s["name"] == f"mc-{i + 1:02d}"
        assert s["identifier"] == s["uuid"][:8]
        assert s["status"] is None and s["state"] == "offline" and s["owner"] == "owner"
        assert s["node"] == ("node-eu1", "node-us1")[i % 2]
    helper = [s for s in sb["servers"] if "helper" in s["subusers"]]
    assert helper and "control.stop" not in helper[0]["subusers"]["helper"]
    assert not list(sb.ready_path.parent.glob(".*.tmp"))


def test_deterministic_fleet(start_sandbox):
    a = start_sandbox(servers=3, virtual=True)
    b = start_sandbox(servers=3, virtual=True)
    c = start_sandbox(servers=3, virtual=True, seed=7)
    assert [s["uuid"] for s in a["servers"]] == [s["uuid"] for s in b["servers"]]
    assert a["users"] == b["users"]
    assert [s["uuid"] for s in a["servers"]] != [s["uuid"] for s in c["servers"]]
    assert a["keys"]["owner"] != b["keys"]["owner"]  # secrets are random per run


def test_demo_fleet_running_servers_and_sigint(start_sandbox):
    sb = start_sandbox(fleet=FLEETS / "demo.yml")
    try:
        states = {s["name"]: s["state"] for s in sb["servers"]}
        assert states["survival"] == "running" and states["creative"] == "running"
        assert states["minigames"] == "offline"
        kids = sb.children()
        assert len([k for k in kids if "gameserver" in " ".join(k.cmdline())]) == 2
        s = sb.server("survival")
        assert s["subusers"] == {"helper": ["websocket.connect", "control.console", "control.start", "activity.read"]}
        res = sb.api("GET", f"/api/client/servers/{s['identifier']}/resources").json()["attributes"]
        assert res["current_state"] == "running" and res["resources"]["memory_bytes"] > 0
        attrs = sb.api("GET", f"/api/client/servers/{s['identifier']}").json()["attributes"]
        assert attrs["limits"]["memory"] == 2048 and attrs["description"] == "Main survival world"
        assert (
            sb.api("GET", "/api/client", params={"filter[external_id]": "demo-survival"}).json()["meta"]["pagination"][
                "total"
            ]
            == 1
        )
        assert sb.api("GET", f"/api/client/servers/{sb.server('others-world')['identifier']}").status_code == 404
    finally:
        assert sb.stop(signal.SIGINT) == 0, sb.log()
    for k in kids:
        assert not psutil.pid_exists(k.pid) or k.status() == psutil.STATUS_ZOMBIE


def test_bad_fleet_file(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("users: [{username: a}]\nservers: [{name: x, status: exploded}]\n")
    proc = run_cli("--fleet", str(bad), "--ready-file", str(tmp_path / "r.json"))
    assert proc.returncode == 2
    assert "exploded" in proc.stderr
    assert not (tmp_path / "r.json").exists()
    proc = run_cli("--fleet", str(tmp_path / "missing.yml"), "--ready-file", str(tmp_path / "r.json"))
    assert proc.returncode == 2


def test_virtual_many_servers_start_fast(start_sandbox):
    t0 = time.monotonic()
    sb = start_sandbox(servers=2000, virtual=True)
    assert time.monotonic() - t0 < 15
    assert len(sb["servers"]) == 2000
    meta = sb.api("GET", "/api/client", params={"per_page": 100, "page": 20}).json()["meta"]["pagination"]
    assert meta["total"] == 2000 and meta["count"] == 100 and meta["total_pages"] == 20
    assert sb.stop() == 0


def test_data_dir_kept(start_sandbox, tmp_path):
    data = tmp_path / "data"
    sb = start_sandbox(servers=1, data_dir=data)
    try:
        s = sb["servers"][0]
        sb.control("PATCH", f"/servers/{s['identifier']}", json={"state": "running"})
        assert (data / s["uuid"]).is_dir()
    finally:
        assert sb.stop() == 0
    assert data.is_dir() and (data / s["uuid"]).is_dir()
    assert json.loads(sb.ready_path.read_text())["pid"] == sb.proc.pid  # the ready file is left in place
