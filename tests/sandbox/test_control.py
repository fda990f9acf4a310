"""The control endpoint: request log, faults, state changes, settings, reset."""

from __future__ import annotations

import time

import pytest
import requests


def test_request_log(clean):
    sb = clean
    sid = sb["servers"][0]["identifier"]
    sb.api("GET", "/api/client", params={"per_page": 2, "filter[name]": "mc"})
    sb.api("GET", f"/api/client/servers/{sid}/resources", key="subuser")
    sb.api("GET", "/api/client", key=None)
    sb.api("GET", "/api/client/nope")
    log = sb.requests_log()
    assert [(e["method"], e["path"], e["status"], e["user"]) for e in log] == [
        ("GET", "/api/client", 200, "owner"),
        ("GET", f"/api/client/servers/{sid}/resources", 200, "helper"),
        ("GET", "/api/client", 401, None),
        ("GET", "/api/client/nope", 404, None),
    ]
    assert log[0]["query"] == {"per_page": "2", "filter[name]": "mc"}
    assert all(isinstance(e["time"], float) and abs(e["time"] - time.time()) < 60 for e in log)
    assert all("fault" not in e for e in log)
    # the control endpoint itself is not logged
    assert not any(e["path"].startswith("/_sandbox") for e in sb.requests_log())
    assert sb.control("DELETE", "/requests").status_code == 204
    assert sb.requests_log() == []


def test_fault_html_502_not_executed(clean):
    sb = clean
    sid = sb.server("mc-06")["identifier"]
    r = sb.control(
        "POST", "/faults", json={"route": "POST /api/client/servers/*/power", "count": 2, "status": 502, "body": "html"}
    )
    assert r.status_code == 201
    for _unused in range(2):
        resp = sb.api("POST", f"/api/client/servers/{sid}/power", json={"signal": "start"})
        assert resp.status_code == 502
        assert resp.headers["Content-Type"].startswith("text/html")
        assert "502 Bad Gateway" in resp.text
    time.sleep(0.3)
    # never reached the handler: no state change, no activity
    assert sb.control("GET", f"/servers/{sid}").json()["state"] == "offline"
    events = [a["attributes"]["event"] for a in sb.api("GET", f"/api/client/servers/{sid}/activity").json()["data"]]
    assert "server:power.start" not in events
    log = sb.requests_log()
    faulted = [e for e in log if e["method"] == "POST"]
    assert len(faulted) == 2
    assert all(e["status"] == 502 and e["fault"]["status"] == 502 and e["user"] == "owner" for e in faulted)
    # count used up: the third goes through (command to an offline server -> real 502 JSON)
    assert sb.control("GET", "/faults").json() == []


def test_fault_json_text_and_method_wildcard(clean):
    sb = clean
    sb.control("POST", "/faults", json={"route": "* /api/client/account", "status": 503, "body": "json"})
    resp = sb.api("GET", "/api/client/account")
    assert resp.status_code == 503
    assert resp.json()["errors"][0]["status"] == "503"
    sb.control("POST", "/faults", json={"route": "GET /api/client", "status": 500, "body": "oops"})
    resp = sb.api("GET", "/api/client")
    assert resp.status_code == 500 and resp.text == "oops"
    assert sb.api("GET", "/api/client").status_code == 200


def test_fault_command_not_sent(clean):
    sb = clean
    s = sb.server("mc-05")
    sid = s["identifier"]
    sb.control("PATCH", f"/servers/{sid}", json={"state": "running"})
    try:
        sb.control("POST", "/faults", json={"route": "POST /api/client/servers/*/command", "status": 502})
        resp = sb.api("POST", f"/api/client/servers/{sid}/command", json={"command": "say faulted"})
        assert resp.status_code == 502 and "Bad Gateway" in resp.text
        resp = sb.api("POST", f"/api/client/servers/{sid}/command", json={"command": "say real"})
        assert resp.status_code == 204
        acts = sb.api("GET", f"/api/client/servers/{sid}/activity").json()["data"]
        cmds = [
            a["attributes"]["properties"].get("command")
            for a in acts
            if a["attributes"]["event"] == "server:console.command"
        ]
        assert "say real" in cmds and "say faulted" not in cmds
        posts = [e for e in sb.requests_log() if e["method"] == "POST"]
        assert [(e["status"], "fault" in e) for e in posts] == [(502, True), (204, False)]
    finally:
        sb.control("PATCH", f"/servers/{sid}", json={"state": "offline"})


def test_fault_delay_then_proceeds(clean):
    sb = clean
    sb.control("POST", "/faults", json={"route": "GET /api/client/account", "delay": 0.5})
    t0 = time.monotonic()
    resp = sb.api("GET", "/api/client/account")
    assert resp.status_code == 200 and time.monotonic() - t0 >= 0.5
    entry = sb.requests_log()[-1]
    assert entry["status"] == 200 and entry["fault"]["delay"] == 0.5


def test_fault_drop(clean):
    sb = clean
    sid = sb.server("mc-06")["identifier"]
    sb.control("POST", "/faults", json={"route": "POST /api/client/servers/*/power", "drop": True})
    with pytest.raises(requests.ConnectionError):
        sb.api("POST", f"/api/client/servers/{sid}/power", json={"signal": "start"})
    time.sleep(0.2)
    assert sb.control("GET", f"/servers/{sid}").json()["state"] == "offline"
    entry = [e for e in sb.requests_log() if e["method"] == "POST"][-1]
    assert entry["status"] is None and entry["fault"]["drop"] is True
    # the panel still answers afterwards
    assert sb.api("GET", "/api/client/account").status_code == 200


def test_delete_faults_and_reset(clean):
    sb = clean
    sb.control("POST", "/faults", json={"route": "GET /api/client", "status": 500, "count": 5})
    assert sb.control("DELETE", "/faults").status_code == 204
    assert sb.api("GET", "/api/client").status_code == 200
    sb.control("POST", "/faults", json={"route": "GET /api/client", "status": 500, "count": 5})
    before = int(sb.api("GET", "/api/client/account").headers["X-RateLimit-Remaining"])
    assert sb.control("POST", "/reset").status_code == 204
    assert sb.requests_log() == []
    resp = sb.api("GET", "/api/client")
    assert resp.status_code == 200
    assert int(resp.headers["X-RateLimit-Remaining"]) == 719 >= before


def test_bad_control_requests(clean):
    sb = clean
    assert sb.control("POST", "/faults", json={"count": 1}).status_code == 400
    assert sb.control("PATCH", "/servers/nope", json={}).status_code == 404
    assert sb.control("GET", "/nothing").status_code == 404
    assert (
        sb.control("PATCH", f"/servers/{sb['servers'][0]['identifier']}", json={"status": "weird"}).status_code == 422
    )
    assert (
        sb.control(
            "PUT", "/subusers", json={"server": sb["servers"][0]["identifier"], "username": "ghost", "permissions": []}
        ).status_code
        == 404
    )


def test_state_dump_and_patch_fields(clean):
    sb = clean
    s = sb.server("mc-02")
    r = sb.control("PATCH", f"/servers/{s['identifier']}", json={"name": "renamed", "description": "new text"})
    try:
        assert r.json()["name"] == "renamed"
        attrs = sb.api("GET", f"/api/client/servers/{s['identifier']}").json()["attributes"]
        assert (attrs["name"], attrs["description"]) == ("renamed", "new text")
    finally:
        sb.control(
            "PATCH", f"/servers/{s['identifier']}", json={"name": s["name"], "description": "Sandbox server 2 (Paper)"}
        )
    state = sb.control("GET", "/state").json()
    assert {u["username"] for u in state["users"]} == {"owner", "admin", "helper", "other"}
    text = str(state)
    assert sb["keys"]["owner"] not in text  # no secrets


def test_subuser_put_adds_and_removes(clean):
    sb = clean
    s = sb.server("mc-06")
    url = f"/api/client/servers/{s['identifier']}"
    assert sb.api("GET", url, key="other").status_code == 404
    sb.control(
        "PUT", "/subusers", json={"server": s["identifier"], "username": "other", "permissions": ["control.console"]}
    )
    try:
        meta = sb.api("GET", url, key="other").json()["meta"]
        assert meta == {"is_server_owner": False, "user_permissions": ["control.console"]}
    finally:
        sb.control("PUT", "/subusers", json={"server": s["identifier"], "username": "other", "permissions": None})
    assert sb.api("GET", url, key="other").status_code == 404


def test_websockets_drop_route(clean):
    r = clean.control("POST", "/websockets/drop", json={"server": clean["servers"][0]["identifier"]})
    assert r.status_code == 200 and r.json() == {"dropped": 0}
    assert clean.control("POST", "/websockets/drop").json() == {"dropped": 0}
