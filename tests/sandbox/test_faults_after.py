"""Faults with ``"after": true``: the panel runs the request for real, then the client gets the fault.

So a test can cover "the panel did it, but the client saw an error (or no answer)". The request log
keeps the fault's status as ``status`` and what the panel really answered as ``real_status``.
"""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.timeout(90)


def _wait_state(sb, ident: str, state: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    current = None
    while time.monotonic() < deadline:
        current = sb.control("GET", f"/servers/{ident}").json()["state"]
        if current == state:
            return current
        time.sleep(0.1)
    return current


def _events(sb, ident: str) -> list[str]:
    return [a["attributes"]["event"] for a in sb.api("GET", f"/api/client/servers/{ident}/activity").json()["data"]]


def test_after_status_power_runs_but_client_sees_502(clean):
    sb = clean
    ident = sb.server("mc-05")["identifier"]
    added = sb.control(
        "POST", "/faults", json={"route": "POST /api/client/servers/*/power", "status": 502, "after": True}
    )
    assert added.status_code == 201 and added.json()[0]["after"] is True
    try:
        r = sb.api("POST", f"/api/client/servers/{ident}/power", json={"signal": "start"})
        assert r.status_code == 502 and "502 Bad Gateway" in r.text  # the proxy page (default for 5xx)
        # ... yet the panel ran it: the server starts and the activity is there
        assert _wait_state(sb, ident, "running") == "running"
        assert "server:power.start" in _events(sb, ident)
        entry = [e for e in sb.requests_log() if e["method"] == "POST"][0]
        assert entry["status"] == 502 and entry["real_status"] == 204 and entry["user"] == "owner"
        assert entry["fault"]["after"] is True
        assert sb.control("GET", "/faults").json() == []
    finally:
        sb.control("PATCH", f"/servers/{ident}", json={"state": "offline"})


def test_after_drop_command_is_executed_without_an_answer(clean):
    sb = clean
    ident = sb.server("mc-05")["identifier"]
    sb.control("PATCH", f"/servers/{ident}", json={"state": "running"})
    try:
        sb.control("POST", "/faults", json={"route": "POST /api/client/servers/*/command", "drop": True, "after": True})
        with pytest.raises(requests.ConnectionError):
            sb.api("POST", f"/api/client/servers/{ident}/command", json={"command": "say after-drop"})
        assert "server:console.command" in _events(sb, ident)
        entry = [e for e in sb.requests_log() if e["method"] == "POST"][0]
        assert entry["status"] is None and entry["real_status"] == 204
    finally:
        sb.control("PATCH", f"/servers/{ident}", json={"state": "offline"})


def test_after_fault_keeps_the_real_error_in_the_log(clean):
    sb = clean
    ident = sb.server("mc-06")["identifier"]
    sb.control(
        "POST",
        "/faults",
        json={"route": "POST /api/client/servers/*/command", "status": 500, "body": {"message": "boom"}, "after": True},
    )
    r = sb.api("POST", f"/api/client/servers/{ident}/command", json={"command": "say x"})
    assert r.status_code == 500 and r.json() == {"message": "boom"}
    entry = [e for e in sb.requests_log() if e["method"] == "POST"][0]
    assert entry["status"] == 500 and entry["real_status"] == 502  # offline server: the panel's own 502
    assert "server:console.command" not in _events(sb, ident)  # the panel failed it itself


def test_after_fault_counts_toward_the_rate_limit(start_sandbox):
    sb = start_sandbox(servers=1, virtual=True, rate_limit=2)
    sb.control("POST", "/faults", json={"route": "GET /api/client", "status": 503, "after": True, "delay": 0.2})
    started = time.monotonic()
    assert sb.api("GET", "/api/client").status_code == 503
    assert time.monotonic() - started >= 0.2
    assert sb.api("GET", "/api/client").status_code == 200
    assert sb.api("GET", "/api/client").status_code == 429  # the faulted request was counted
    log = sb.requests_log()
    assert [(e["status"], e.get("real_status")) for e in log] == [(503, 200), (200, None), (429, None)]


def test_after_needs_status_or_drop(clean):
    r = clean.control("POST", "/faults", json={"route": "GET /api/client", "delay": 1, "after": True})
    assert r.status_code == 400 and "after" in r.json()["error"]
    assert clean.control("GET", "/faults").json() == []
