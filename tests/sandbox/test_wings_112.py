"""Wings 1.12 mode (``--version 1.12``) and panel/node version skew, over real HTTP and websockets.

Contract: ../shared/reference/wings-websocket.md §1.1 (30-socket cap, 4096-byte read limit, 4409),
§1.3 (the JWT ``scope`` claim), §1.6 (suspension on an inbound message), §3.1 (token buckets and
``throttled``). Without ``--version`` the node stays Wings 1.11 (last tests here).
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import jwt
import pytest
import requests

from sandbox.launcher import launch

pytestmark = pytest.mark.timeout(90)

NO_CONNECT = "jwt: missing connect permission"


# --------------------------------------------------------------------------- helpers


class Socket:
    """One console websocket of a started sandbox (aiohttp, permessage-deflate off by default)."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, token: str):
        self.session, self.ws, self.token = session, ws, token

    async def send(self, event: str, *args, raw: dict | None = None) -> None:
        message = raw if raw is not None else {"event": event, "args": list(args)}
        await self.ws.send_str(json.dumps(message))

    async def recv(self, timeout: float = 3.0) -> dict:
        msg = await self.ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return json.loads(msg.data)

    async def collect(self, seconds: float = 0.6) -> list[dict]:
        """Every message until ``seconds`` pass without one."""
        out = []
        while True:
            try:
                msg = await self.ws.receive(timeout=seconds)
            except TimeoutError:
                return out
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            out.append(json.loads(msg.data))

    async def auth(self) -> list[dict]:
        await self.send("auth", self.token)
        first = await self.recv()
        assert first == {"event": "auth success"}, first
        return [first] + await self.collect(0.4)

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


def ws_token(sb, server: dict, key: str = "owner") -> dict:
    r = sb.api("GET", f"/api/client/servers/{server['identifier']}/websocket", key=key)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def open_socket(sb, server: dict, *, compress: int = 0) -> Socket:
    data = ws_token(sb, server)
    session = aiohttp.ClientSession()
    try:
        ws = await session.ws_connect(
            data["socket"], headers={"Origin": sb["panel_url"]}, autoclose=False, autoping=True, compress=compress
        )
    except BaseException:
        await session.close()
        raise
    return Socket(session, ws, data["token"])


def socket_url(sb, server: dict) -> str:
    return sb["wings_url"].replace("http://", "ws://") + f"/api/servers/{server['uuid']}/ws"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def events(messages: list[dict], name: str) -> list[dict]:
    return [m for m in messages if m["event"] == name]


def throttled(messages: list[dict]) -> list[str]:
    return [m["args"][0] for m in messages if m["event"] == "throttled"]


@pytest.fixture(scope="module")
def node12(tmp_path_factory):
    """A sandbox whose node runs Wings 1.12 (and, by default, a panel of the same version)."""
    sb = launch(tmp_path_factory.mktemp("w12"), servers=5, virtual=True, version="1.12")
    yield sb
    assert sb.stop() == 0, sb.log()


def server(sb, index: int) -> dict:
    return sb["servers"][index]


# --------------------------------------------------------------------------- versions and scope


def test_ready_file_and_token_carry_the_versions(node12):
    assert node12["wings_version"] == "1.12" and node12["panel_version"] == "1.12"
    token = ws_token(node12, server(node12, 0))["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["scope"] == "websocket"
    # the claim sits between permissions and user_uuid; the 1.11 claims are all still there
    keys = list(claims)
    assert keys.index("permissions") < keys.index("scope") < keys.index("user_uuid")
    assert {"iss", "aud", "jti", "iat", "nbf", "exp", "server_uuid", "user_id", "unique_id"} <= set(keys)


def test_panel_older_than_the_node_is_refused_connect(start_sandbox):
    sb = start_sandbox(servers=1, virtual=True, version="1.12", panel_version="1.11")
    assert (sb["wings_version"], sb["panel_version"]) == ("1.12", "1.11")
    token = ws_token(sb, server(sb, 0))["token"]
    assert "scope" not in jwt.decode(token, options={"verify_signature": False})

    async def main():
        sock = await open_socket(sb, server(sb, 0))
        try:
            await sock.send("auth", sock.token)
            reply = await sock.recv()
            assert reply["event"] == "jwt error"
            assert reply["args"][0].startswith("Error Event [") and reply["args"][0].endswith("]: " + NO_CONNECT)
            # not authenticated: everything else is a plain jwt error, the socket stays open
            await sock.send("send stats")
            assert await sock.recv() == {"event": "jwt error", "args": ["jwt: no jwt present"]}
        finally:
            await sock.close()

    run(main())


def test_wings_1120_does_not_require_scope_but_throttles(start_sandbox):
    sb = start_sandbox(servers=1, virtual=True, version="1.12.0", panel_version="1.11")

    async def main():
        sock = await open_socket(sb, server(sb, 0))
        try:
            first = await sock.auth()
            assert [m["event"] for m in first] == ["auth success", "status", "stats"]
            for _unused in range(6):
                await sock.send("send stats")
            got = await sock.collect()
            assert len(events(got, "stats")) == 4 and throttled(got) == ["send stats"]
        finally:
            await sock.close()

    run(main())


def test_fleet_file_settings(start_sandbox, tmp_path):
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(
        "wings_version: '1.12'\npanel_version: '1.12.2'\nserver_identifiers: serv\n"
        "users: [owner]\nservers:\n  - name: one\n"
    )
    sb = start_sandbox(fleet=fleet, virtual=True)
    assert (sb["wings_version"], sb["panel_version"], sb["server_identifiers"]) == ("1.12", "1.12.2", "serv")
    assert sb["servers"][0]["identifier"] == "serv_" + sb["servers"][0]["uuid"][:8]
    # a 1.12.2 panel does not emit scope yet; the command line wins over the file
    token = ws_token(sb, server(sb, 0))["token"]
    assert "scope" not in jwt.decode(token, options={"verify_signature": False})
    sb2 = start_sandbox(fleet=fleet, virtual=True, panel_version="1.12.3", server_identifiers="short")
    assert sb2["panel_version"] == "1.12.3" and sb2["servers"][0]["identifier"] == sb2["servers"][0]["uuid"][:8]
    token = ws_token(sb2, server(sb2, 0))["token"]
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == "websocket"


# --------------------------------------------------------------------------- token buckets


def test_global_bucket_one_throttled_per_episode(node12):
    async def main():
        sock = await open_socket(node12, server(node12, 0))
        try:
            # unparsable frames use only the read loop's bucket (burst 10, 5/s)
            for _unused in range(16):
                await sock.ws.send_str("not json")
            got = await sock.collect()
            assert got == [{"event": "throttled", "args": ["global"]}]
            await asyncio.sleep(1.0)  # a few tokens back: the next frame passes and ends the episode
            first = await sock.auth()
            assert events(first, "status")
            await asyncio.sleep(2.2)  # bucket full again
            for _unused in range(16):
                await sock.ws.send_str("not json")
            assert await sock.collect() == [{"event": "throttled", "args": ["global"]}]
        finally:
            await sock.close()

    run(main())


def test_default_bucket_is_shared_but_throttled_is_per_event_name(node12):
    srv = server(node12, 0)

    async def main():
        sock = await open_socket(node12, srv)
        try:
            await sock.auth()
            for _unused in range(6):
                await sock.send("send stats")
            got = await sock.collect()
            assert len(events(got, "stats")) == 4
            assert throttled(got) == ["send stats"]  # once for the episode, not twice
            # "set state" shares the empty _default bucket: dropped, with its own throttled event
            await sock.send("set state", "start")
            await sock.send("set state", "start")
            got = await sock.collect()
            assert got == [{"event": "throttled", "args": ["set state"]}]
            assert node12.control("GET", f"/servers/{srv['identifier']}").json()["state"] == "offline"
            await asyncio.sleep(1.1)
            await sock.send("send stats")
            got = await sock.collect()
            assert [m["event"] for m in got] == ["stats"]
        finally:
            await sock.close()

    run(main())


def test_auth_logs_and_command_buckets(node12):
    async def main():
        sock = await open_socket(node12, server(node12, 1))
        try:
            for _unused in range(3):  # auth: burst 2 per 5 s
                await sock.send("auth", sock.token)
            got = await sock.collect()
            assert len(events(got, "auth success")) == 2 and throttled(got) == ["auth"]
            for _unused in range(3):  # send logs: burst 2 per 5 s (offline: no lines)
                await sock.send("send logs")
            assert throttled(await sock.collect()) == ["send logs"]
            await asyncio.sleep(2.1)  # refill the read loop's bucket
            for _unused in range(10):  # send command: burst 10, 1/s (offline: ignored)
                await sock.send("send command", "say hi")
            assert await sock.collect(0.3) == []
            # the 11th after a short pause: the read loop has tokens again, the command bucket not
            await sock.send("send command", "say hi")
            assert await sock.collect() == [{"event": "throttled", "args": ["send command"]}]
        finally:
            await sock.close()

    run(main())


def test_buckets_apply_before_authentication(node12):
    async def main():
        sock = await open_socket(node12, server(node12, 0))
        try:
            for _unused in range(5):
                await sock.send("send stats")
            got = await sock.collect()
            assert got.count({"event": "jwt error", "args": ["jwt: no jwt present"]}) == 4
            assert throttled(got) == ["send stats"]
        finally:
            await sock.close()

    run(main())


def test_binary_frames_are_dropped(node12):
    async def main():
        sock = await open_socket(node12, server(node12, 0))
        try:
            await sock.auth()
            await sock.ws.send_bytes(json.dumps({"event": "send stats"}).encode())
            assert await sock.collect(0.5) == []
            await sock.send("send stats")
            assert [m["event"] for m in await sock.collect(0.5)] == ["stats"]
        finally:
            await sock.close()

    run(main())


# --------------------------------------------------------------------------- frames, sockets, suspension


def test_read_limit_closes_1009(node12):
    async def main():
        sock = await open_socket(node12, server(node12, 0))
        try:
            await sock.auth()
            padded = json.dumps({"event": "send stats", "args": ["x" * 3900]})
            assert len(padded) <= 4096
            await sock.ws.send_str(padded)
            assert [m["event"] for m in await sock.collect(0.5)] == ["stats"]
            await sock.ws.send_str(json.dumps({"event": "send stats", "args": ["x" * 4100]}))
            msg = await sock.ws.receive(timeout=3)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1009
        finally:
            await sock.close()

    run(main())


def test_thirty_sockets_per_server(node12):
    srv = server(node12, 2)
    url = socket_url(node12, srv)
    http_url = url.replace("ws://", "http://")

    async def main():
        socks = [await open_socket(node12, srv) for _unused in range(30)]
        try:
            # the upgrade response carries the 1.12 headers
            headers = socks[0].ws._response.headers
            assert headers["Content-Security-Policy"] == "default-src 'self'" and headers["X-Frame-Options"] == "DENY"
            async with aiohttp.ClientSession() as session:
                with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                    await session.ws_connect(url, headers={"Origin": node12["panel_url"]})
                assert info.value.status == 400
            # the cap is checked before the upgrade: even a plain GET gets the JSON error
            r = await asyncio.to_thread(requests.get, http_url, timeout=10)
            assert r.status_code == 400 and r.json() == {"error": "Too many open websocket connections."}
            # other servers are not affected
            other = await open_socket(node12, server(node12, 3))
            await other.close()
            await socks.pop().close()
            await asyncio.sleep(0.2)
            socks.append(await open_socket(node12, srv))
            await socks[-1].auth()
        finally:
            for s in socks:
                await s.close()

    run(main())
    # below the cap, a plain GET is gorilla's missing-upgrade 400 again
    r = requests.get(http_url, timeout=10)
    assert r.status_code == 400 and r.text.startswith("Bad Request")


def test_suspended_at_connect_4409_and_on_inbound_message(node12):
    srv = server(node12, 4)
    ident = srv["identifier"]

    async def main():
        sock = await open_socket(node12, srv)
        try:
            await sock.auth()
            assert node12.control("PATCH", f"/servers/{ident}", json={"status": "suspended"}).status_code == 200
            # any inbound message: the socket is cancelled, the TCP connection closed without a close frame
            await sock.send("send stats")
            msg = await sock.ws.receive(timeout=3)
            assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR), msg
            assert sock.ws.close_code in (None, 1006)
        finally:
            await sock.close()
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(
                socket_url(node12, srv), headers={"Origin": node12["panel_url"]}, autoclose=False
            )
            msg = await ws.receive(timeout=3)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4409 and msg.extra == "server is suspended"
            await ws.close()

    try:
        run(main())
    finally:
        node12.control("PATCH", f"/servers/{ident}", json={"status": None})


# --------------------------------------------------------------------------- the default stays Wings 1.11


def test_default_node_is_wings_111(clean):
    sb = clean
    assert sb["wings_version"] == "1.11" and sb["panel_version"] == "1.11"
    srv = sb.server("mc-04")
    token = ws_token(sb, srv)["token"]
    assert "scope" not in jwt.decode(token, options={"verify_signature": False})

    async def main():
        sock = await open_socket(sb, srv)
        try:
            headers = sock.ws._response.headers
            assert "Content-Security-Policy" not in headers
            await sock.auth()
            for _unused in range(12):
                await sock.send("send stats")
            got = await sock.collect()
            assert len(events(got, "stats")) == 12 and not throttled(got)
            await sock.ws.send_str(json.dumps({"event": "send stats", "args": ["x" * 6000]}))  # no read limit
            assert [m["event"] for m in await sock.collect(0.5)] == ["stats"]
        finally:
            await sock.close()

    run(main())
    time.sleep(0.1)


def test_versions_switched_through_the_control_endpoint(start_sandbox):
    sb = start_sandbox(servers=1, virtual=True)
    r = sb.control("PATCH", "/settings", json={"wings_version": "1.12", "panel_version": "1.11"})
    assert r.status_code == 200
    assert (r.json()["wings_version"], r.json()["panel_version"]) == ("1.12", "1.11")
    assert sb.control("GET", "/state").json()["wings_version"] == "1.12"

    async def main():
        sock = await open_socket(sb, server(sb, 0))
        try:
            await sock.send("auth", sock.token)
            reply = await sock.recv()
            assert reply["event"] == "jwt error" and reply["args"][0].endswith(NO_CONNECT)
        finally:
            await sock.close()
        sb.control("PATCH", "/settings", json={"panel_version": "1.12.3"})
        sock = await open_socket(sb, server(sb, 0))
        try:
            await sock.auth()
            for _unused in range(5):
                await sock.send("send stats")
            assert throttled(await sock.collect()) == ["send stats"]
        finally:
            await sock.close()

    run(main())
