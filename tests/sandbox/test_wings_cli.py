"""The Wings websocket end to end: ``python -m sandbox`` (fixtures in conftest.py), tokens from the panel,
real game-server processes, websocket-client as a third-party client would use it."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
import websocket

pytestmark = pytest.mark.timeout(60)

PREFIX = re.compile(r"^Error Event \[[0-9a-f-]{36}\]: ")
LOCKED = "another power action is currently being processed for this server, please try again later"


class Console:
    def __init__(self, sb, server: dict, key: str = "owner", origin: str | None = None):
        self.sb, self.server, self.key = sb, server, key
        creds = self.credentials()
        self.ws = websocket.create_connection(creds["socket"], origin=origin or sb["panel_url"], timeout=5)
        self.token = creds["token"]

    def credentials(self) -> dict:
        resp = self.sb.api("GET", f"/api/client/servers/{self.server['identifier']}/websocket", self.key)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    def send(self, event: str, *args: str) -> None:
        self.ws.send(json.dumps({"event": event, "args": list(args)}))

    def recv(self, timeout: float = 5.0) -> dict:
        self.ws.settimeout(timeout)
        return json.loads(self.ws.recv())

    def until(self, predicate, timeout: float = 5.0) -> tuple[dict, list[dict]]:
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"not seen within {timeout}s; last: {seen[-5:]}")
            try:
                message = self.recv(remaining)
            except websocket.WebSocketTimeoutException:
                continue
            seen.append(message)
            if predicate(message):
                return message, seen

    def state(self, state: str, timeout: float = 8.0) -> list[dict]:
        return self.until(lambda m: m == {"event": "status", "args": [state]}, timeout)[1]

    def quiet(self, seconds: float) -> list[dict]:
        out = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                out.append(self.recv(max(0.01, deadline - time.monotonic())))
            except websocket.WebSocketTimeoutException:
                break
        return out

    def auth(self, token: str | None = None) -> dict:
        self.send("auth", token or self.token)
        return self.recv()

    def close(self) -> None:
        self.ws.close()


def test_origin_and_unknown_server(start_sandbox):
    sb = start_sandbox(servers=1)
    server = sb["servers"][0]
    creds = Console.credentials(type("C", (), {"sb": sb, "server": server, "key": "owner"})())
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(creds["socket"], origin="http://evil.example", timeout=5)
    assert err.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(creds["socket"], origin=sb["panel_url"] + "/", timeout=5)
    assert err.value.status_code == 403
    http = creds["socket"].replace("ws://", "http://").replace(server["uuid"], "00000000-0000-4000-8000-000000000000")
    resp = requests.get(http, headers={"Origin": sb["panel_url"]}, timeout=5)
    assert resp.status_code == 404
    assert resp.json() == {"error": "The requested resource does not exist on this instance."}


def test_console_lifecycle_permissions_and_power_lock(start_sandbox):
    sb = start_sandbox(servers=2)
    server = sb["servers"][0]
    owner = Console(sb, server)
    # nothing but auth before auth
    owner.send("send stats")
    assert owner.recv() == {"event": "jwt error", "args": ["jwt: no jwt present"]}
    owner.send("auth", "eyJhbGciOiJIUzI1NiJ9.e30.AAAA")
    bad = owner.recv()
    assert bad["event"] == "daemon error" and PREFIX.match(bad["args"][0])
    assert owner.auth() == {"event": "auth success"}
    assert owner.recv() == {"event": "status", "args": ["offline"]}
    stats = owner.recv()
    assert stats["event"] == "stats" and json.loads(stats["args"][0])["state"] == "offline"

    owner.send("set state", "start")
    seen = owner.state("running")
    statuses = [m["args"][0] for m in seen if m["event"] == "status"]
    assert statuses == ["starting", "running"]
    console = [m["args"][0] for m in seen if m["event"] == "console output"]
    assert any("[Pterodactyl Daemon]:" in line for line in console)
    assert any("Preparing level" in line for line in console)

    # stats about once a second with uptime in milliseconds, from the real process
    first, _unused = owner.until(lambda m: m["event"] == "stats", timeout=3)
    second, _unused = owner.until(lambda m: m["event"] == "stats", timeout=3)
    a, b = json.loads(first["args"][0]), json.loads(second["args"][0])
    assert a["state"] == b["state"] == "running"
    assert 600 <= b["uptime"] - a["uptime"] <= 1800
    assert b["memory_bytes"] > 1_000_000 and b["disk_bytes"] > 0

    owner.send("send command", "say hello from the test")
    line, _unused = owner.until(
        lambda m: m["event"] == "console output" and "[Server] hello from the test" in m["args"][0]
    )
    # the panel's POST /command reaches the same process
    resp = sb.api("POST", f"/api/client/servers/{server['identifier']}/command", json={"command": "list"})
    assert resp.status_code == 204, resp.text
    owner.until(lambda m: m["event"] == "console output" and "players online" in m["args"][0])

    # send logs: the process's lines (no daemon lines), at most 150
    viewer = Console(sb, server)
    viewer.auth()
    viewer.recv()  # status running
    viewer.send("send logs")
    logs = [m["args"][0] for m in viewer.quiet(1.0) if m["event"] == "console output"]
    assert any("Done (" in line for line in logs)
    assert any("[Server] hello from the test" in line for line in logs)
    assert not any("Daemon]:" in line for line in logs)
    assert len(logs) <= 150

    # the subuser (no control.stop) cannot kill or stop: silently ignored
    helper = Console(sb, server, key="subuser")
    assert helper.auth() == {"event": "auth success"}
    helper.recv()
    helper.send("set state", "kill")
    helper.send("set state", "stop")
    assert not [m for m in helper.quiet(1.0) if m["event"] in ("status", "daemon error")]
    helper.send("send stats")
    stats, _unused = helper.until(lambda m: m["event"] == "stats")
    assert json.loads(stats["args"][0])["state"] == "running"

    # a second power action during a stop gets the lock message
    owner.send("set state", "restart")
    owner.send("set state", "stop")
    message, before = owner.until(lambda m: m["event"] == "daemon error")
    assert PREFIX.match(message["args"][0]) and message["args"][0].endswith(LOCKED)
    seen = before + owner.state("running", timeout=10)
    assert [m["args"][0] for m in seen if m["event"] == "status"] == ["stopping", "offline", "starting", "running"]

    # kill: stopping, offline at once; offline stats with zeros
    owner.send("set state", "kill")
    seen = owner.state("offline", timeout=3)
    zero, _unused = owner.until(lambda m: m["event"] == "stats")
    assert json.loads(zero["args"][0])["uptime"] == 0
    for console in (owner, viewer, helper):
        console.close()


def test_token_expiry_and_reauth(start_sandbox):
    sb = start_sandbox(servers=1, token_ttl=4)
    server = sb["servers"][0]
    c = Console(sb, server)
    assert c.auth() == {"event": "auth success"}
    c.recv()
    c.recv()
    t0 = time.monotonic()
    message, _unused = c.until(lambda m: m["event"] in ("token expiring", "jwt error"), timeout=4)
    assert message == {"event": "token expiring"}
    assert time.monotonic() - t0 < 3.5
    message, _unused = c.until(lambda m: m["event"] == "jwt error", timeout=5)
    assert message == {"event": "jwt error", "args": ["jwt: exp claim is invalid"]}
    c.send("send stats")
    c.until(lambda m: m == {"event": "jwt error", "args": ["jwt: exp claim is invalid"]})
    # the socket stays open: a fresh token resumes delivery
    fresh = c.credentials()["token"]
    assert c.auth(fresh) == {"event": "auth success"}
    c.send("send stats")
    stats, _unused = c.until(lambda m: m["event"] == "stats")
    assert json.loads(stats["args"][0])["state"] == "offline"
    c.close()


def test_drop_connections_from_the_control_endpoint(start_sandbox):
    sb = start_sandbox(servers=1, virtual=True)
    server = sb["servers"][0]
    c = Console(sb, server)
    c.auth()
    resp = sb.control("POST", "/websockets/drop", json={"server": server["identifier"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["dropped"] == 1
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            c.recv(timeout=1)
