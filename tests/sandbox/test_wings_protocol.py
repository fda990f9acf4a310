"""sandbox/wings.py in-process: the websocket protocol of reference §1–§3 with crafted tokens.

Each test builds an aiohttp app with ``add_wings_routes`` on 127.0.0.1 and virtual runtimes, so
tokens with any claims can be signed with the known node token.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import re
import time
import types

import aiohttp
import jwt
import pytest
from aiohttp import web
from sandbox_expect import WINGS_STATS_KEYS

from sandbox.fleet import NodeContext
from sandbox.power import ServerRuntime
from sandbox.wings import add_wings_routes

pytestmark = pytest.mark.timeout(30)

KEY = "n0de-t0ken-" + "x" * 53
PANEL = "http://panel.sandbox.test:8080"
UUID_A = "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
UUID_B = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
PREFIX = re.compile(r"^Error Event \[[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\]: ")
GENERIC = "an unexpected error was encountered while handling this request"
LOCKED = "another power action is currently being processed for this server, please try again later"


def make_server(uuid: str, tmp: pathlib.Path, **runtime_options) -> types.SimpleNamespace:
    egg = types.SimpleNamespace(startup_done=')! For help, type "help"', stop_command="stop")
    server = types.SimpleNamespace(
        uuid=uuid,
        identifier=uuid[:8],
        egg=egg,
        status=None,
        is_transferring=False,
        limits={"memory": 2048, "disk": 0},
        boot_seconds=0.1,
        crash_after=None,
        noisy=False,
        invalid_utf8=False,
    )
    options = {"start_delay": 0.1, "stop_delay": 0.1}
    options.update(runtime_options)
    server.runtime = ServerRuntime(server, data_dir=tmp / uuid, virtual=True, **options)
    return server


def token(
    server_uuid: str = UUID_A,
    permissions=("*",),
    *,
    ttl: int = 600,
    iat: int | None | str = "now",
    key: str = KEY,
    **extra,
) -> str:
    now = int(time.time())
    claims = {
        "iss": PANEL,
        "aud": ["http://127.0.0.1"],
        "jti": "a" * 32,
        "iat": now if iat == "now" else iat,
        "nbf": now - 300,
        "exp": now + ttl,
        "server_uuid": server_uuid,
        "permissions": list(permissions),
        "user_uuid": "5e1f6a2b-3c4d-4e5f-9a0b-1c2d3e4f5a6b",
        "user_id": 1,
        "unique_id": "abcdefgh12345678",
    }
    claims.update(extra)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="HS256")


class Client:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.raw: list[str] = []

    async def send(self, event: str, *args: str) -> None:
        await self.ws.send_str(json.dumps({"event": event, "args": list(args)}))

    async def recv(self, timeout: float = 3.0) -> dict:
        msg = await self.ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        assert msg.data.endswith("\n")
        self.raw.append(msg.data)
        return json.loads(msg.data)

    async def until(self, predicate, timeout: float = 3.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("message not seen in time")
            message = await self.recv(remaining)
            if predicate(message):
                return message

    async def silent(self, seconds: float = 0.3) -> None:
        try:
            msg = await self.ws.receive(timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {msg}")

    async def auth(self, tok: str) -> None:
        await self.send("auth", tok)
        assert await self.recv() == {"event": "auth success"}


class Node:
    """The Wings app on a free loopback port plus an aiohttp client session."""

    def __init__(self, tmp: pathlib.Path, **ctx_options):
        self.servers = {UUID_A: make_server(UUID_A, tmp), UUID_B: make_server(UUID_B, tmp)}
        self.ctx = NodeContext(
            servers_by_uuid=self.servers, daemon_token=KEY, panel_url=PANEL, boot_time=time.time() - 5, **ctx_options
        )

    async def __aenter__(self):
        self.app = web.Application()
        add_wings_routes(self.app, self.ctx)
        self.runner = web.AppRunner(self.app, handle_signals=False)
        await self.runner.setup()
        self.site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await self.site.start()
        port = self.site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc):
        await self.session.close()
        await asyncio.gather(*(s.runtime.close() for s in self.servers.values()))
        await self.runner.cleanup()

    async def connect(self, uuid: str = UUID_A, origin: str | None = PANEL) -> Client:
        headers = {"Origin": origin} if origin is not None else {}
        ws = await self.session.ws_connect(
            f"{self.url}/api/servers/{uuid}/ws", headers=headers, autoclose=False, autoping=True
        )
        return Client(ws)

    def runtime(self, uuid: str = UUID_A) -> ServerRuntime:
        return self.servers[uuid].runtime


def run(test, tmp_path, **ctx_options):
    async def main():
        async with Node(tmp_path, **ctx_options) as node:
            await test(node)

    asyncio.run(asyncio.wait_for(main(), 25))


def test_handshake_errors(tmp_path):
    async def test(node: Node):
        upgrade = {
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
        # unknown server: 404 JSON before anything else
        async with node.session.get(
            f"{node.url}/api/servers/00000000-0000-4000-8000-000000000000/ws", headers=dict(upgrade, Origin=PANEL)
        ) as resp:
            assert resp.status == 404
            assert await resp.text() == '{"error":"The requested resource does not exist on this instance."}'
        url = f"{node.url}/api/servers/{UUID_A}/ws"
        for origin in ("http://evil.example", PANEL + "/", PANEL.upper(), None):
            headers = dict(upgrade)
            if origin is not None:
                headers["Origin"] = origin
            async with node.session.get(url, headers=headers) as resp:
                assert resp.status == 403, origin
                assert (await resp.text()).startswith("Forbidden")
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await node.connect(origin="http://evil.example")
        assert err.value.status == 403
        # not an upgrade request at all
        async with node.session.get(url, headers={"Origin": PANEL}) as resp:
            assert resp.status == 400
        # allowed origins
        node.ctx.allowed_origins = ["https://other.example"]
        client = await node.connect(origin="https://other.example")
        await client.ws.close()
        node.ctx.allowed_origins = ["*"]
        client = await node.connect(origin=None)
        await client.ws.close()

    run(test, tmp_path)


def test_before_auth_and_bad_tokens(tmp_path):
    async def test(node: Node):
        c = await node.connect()
        for event in ("send logs", "send stats", "set state", "send command", "whatever"):
            await c.send(event, "start")
            assert await c.recv() == {"event": "jwt error", "args": ["jwt: no jwt present"]}
        assert node.runtime().state == "offline"
        # bad JSON and non-string args are dropped, the socket stays open
        await c.ws.send_str("not json")
        await c.ws.send_str('{"event":"auth","args":[1]}')
        await c.silent()

        async def error(tok: str, event: str, text: str) -> None:
            await c.send("auth", tok)
            message = await c.recv()
            assert message["event"] == event, message
            assert PREFIX.match(message["args"][0]), message
            assert message["args"][0][PREFIX.match(message["args"][0]).end() :] == text

        await error(token(key="wrong-key-" + "y" * 40), "daemon error", GENERIC)
        await error("not.a.jwt", "daemon error", GENERIC)
        await error("garbage", "daemon error", GENERIC)
        await error(token(ttl=-5), "jwt error", "jwt: exp claim is invalid")
        await error(token(exp=None), "jwt error", "jwt: exp claim is invalid")
        await error(token(iat=int(time.time()) - 3600), "jwt error", "jwt: created too far in past (denylist)")
        await error(token(iat=None), "jwt error", "jwt: created too far in past (denylist)")
        await error(token(permissions=["control.console"]), "jwt error", "jwt: missing connect permission")
        await error(token(permissions=[]), "jwt error", "jwt: missing connect permission")
        await error(token(exp=time.time() + 600), "daemon error", GENERIC)  # time claims must be integers
        # the socket is still usable: a good token now works
        await c.auth(token())
        assert await c.recv() == {"event": "status", "args": ["offline"]}
        stats = await c.recv()
        assert stats["event"] == "stats"
        assert json.loads(stats["args"][0])["state"] == "offline"
        # nbf, iss, aud are not checked; the header alg is not consulted
        await c.auth(token(nbf=int(time.time()) + 3600, iss="elsewhere", aud="nobody"))
        await c.silent()

    run(test, tmp_path)


def test_auth_success_sequence_and_reauth(tmp_path):
    async def test(node: Node):
        c = await node.connect()
        tok = token(permissions=["websocket.connect"])
        half = len(tok) // 2
        await c.send("auth", tok[:half], tok[half:])  # args are joined with ""
        assert await c.recv() == {"event": "auth success"}
        assert await c.recv() == {"event": "status", "args": ["offline"]}
        stats_msg = await c.recv()
        stats = json.loads(stats_msg["args"][0])
        assert list(stats) == WINGS_STATS_KEYS
        assert stats["state"] == "offline" and stats["uptime"] == 0 and stats["memory_bytes"] == 0
        assert c.raw[0] == '{"event":"auth success"}\n'
        assert c.raw[1] == '{"event":"status","args":["offline"]}\n'
        # re-auth: only auth success
        await c.auth(token())
        await c.silent()
        # a failed re-auth keeps the previous token
        await c.send("auth", token(key="bad-key-" + "z" * 40))
        assert (await c.recv())["event"] == "daemon error"
        await c.send("send stats")
        assert (await c.recv())["event"] == "stats"
        # unknown events get no reply
        await c.send("dance")
        await c.silent()
        # auth while running: status running and no stats at auth
        await node.runtime().power("start")
        await asyncio.sleep(0.3)
        c2 = await node.connect()
        await c2.auth(token())
        assert await c2.recv() == {"event": "status", "args": ["running"]}
        message = await c2.recv(timeout=2)
        assert message["event"] == "stats" and json.loads(message["args"][0])["state"] == "running"

    run(test, tmp_path)


def test_server_uuid_mismatch_and_denylist(tmp_path):
    async def test(node: Node):
        c = await node.connect(UUID_A)
        await c.auth(token(server_uuid=UUID_B))  # W11: accepted at auth time...
        assert await c.recv() == {"event": "jwt error", "args": ["jwt: server uuid mismatch"]}  # ...not after
        await c.send("send stats")
        assert await c.recv() == {"event": "jwt error", "args": ["jwt: server uuid mismatch"]}
        # deny the jti through Wings' endpoint: tokens issued before are refused
        c2 = await node.connect(UUID_A)
        await c2.auth(token(iat=int(time.time()) - 2))
        await c2.recv()
        await c2.recv()
        url = f"{node.url}/api/servers/{UUID_A}/ws/deny"
        async with node.session.post(url, json={"jtis": ["a" * 32]}) as resp:
            assert resp.status == 401
        async with node.session.post(url, json={"jtis": ["a" * 32]}, headers={"Authorization": "Bearer x"}) as resp:
            assert resp.status == 403
        async with node.session.post(
            url, json={"jtis": ["a" * 32]}, headers={"Authorization": f"Bearer {KEY}"}
        ) as resp:
            assert resp.status == 204
        await c2.send("send stats")
        assert await c2.recv() == {"event": "jwt error", "args": ["jwt: created too far in past (denylist)"]}
        await c2.send("auth", token(iat=int(time.time()) - 2))
        message = await c2.recv()
        assert message["event"] == "jwt error" and message["args"][0].endswith("(denylist)")
        await asyncio.sleep(1.05)
        await c2.auth(token())  # issued after the deny time

    run(test, tmp_path)


def test_set_state_permissions_commands_and_logs(tmp_path):
    async def test(node: Node):
        rt = node.runtime()
        helper = await node.connect()
        await helper.auth(token(permissions=["websocket.connect", "control.console", "control.start"]))
        await helper.recv()
        await helper.recv()
        # offline: send logs and send command are silent
        await helper.send("send logs")
        await helper.send("send command", "say nobody hears")
        await helper.silent()
        await helper.send("set state", "start")
        assert await helper.until(lambda m: m["event"] == "status") == {"event": "status", "args": ["starting"]}
        await helper.until(lambda m: m == {"event": "status", "args": ["running"]})
        # kill and stop need control.stop, restart control.restart: silently ignored
        for action in ("kill", "stop", "restart"):
            await helper.send("set state", action)
        await asyncio.sleep(0.3)
        assert rt.state == "running"
        # start while running: a generic daemon error (the real text only with admin.websocket.errors)
        await helper.send("set state", "start")
        message = await helper.until(lambda m: m["event"] == "daemon error")
        assert message["args"][0].endswith(GENERIC) and PREFIX.match(message["args"][0])
        admin = await node.connect()
        await admin.auth(token(permissions=["*", "admin.websocket.errors"]))
        await admin.send("set state", "start")
        message = await admin.until(lambda m: m["event"] == "daemon error")
        assert message["args"][0].endswith(": server is running")
        await admin.send("set state", "explode")
        message = await admin.until(lambda m: m["event"] == "daemon error")
        assert message["args"][0].endswith(": attempting to handle unknown power action")
        # commands: answered on every socket of the server
        await helper.send("send command", "say", " hello <world> & co")
        line = await helper.until(lambda m: m["event"] == "console output" and "[Server]" in m["args"][0])
        assert line["args"][0].endswith("[Server] hello <world> & co")
        assert "\\u003cworld\\u003e \\u0026 co" in helper.raw[-1]  # Go's HTML escaping
        await admin.until(lambda m: m["event"] == "console output" and "[Server]" in m["args"][0])
        # send logs: the history, one console output per line
        for i in range(160):
            rt._line(f"filler {i}")
        reader = await node.connect()
        await reader.auth(token())
        await reader.recv()
        await reader.send("send logs")
        lines = []
        while len(lines) < 150:
            message = await reader.recv()
            if message["event"] == "console output":
                lines.append(message["args"][0])
        assert lines[0] == "filler 10" and lines[-1] == "filler 159"
        # without control.console commands are ignored
        viewer = await node.connect()
        await viewer.auth(token(permissions=["websocket.connect"]))
        await viewer.send("send command", "say from viewer")
        await asyncio.sleep(0.2)
        assert not any("from viewer" in line for line in rt.history)
        # admin kill works
        await admin.send("set state", "kill")
        await admin.until(lambda m: m == {"event": "status", "args": ["offline"]})

    run(test, tmp_path)


def test_power_lock_message(tmp_path):
    async def test(node: Node):
        rt = node.runtime()
        rt.stop_delay = 0.8
        c = await node.connect()
        await c.auth(token())
        await rt.power("start")
        await c.until(lambda m: m == {"event": "status", "args": ["running"]})
        await c.send("set state", "stop")
        await c.until(lambda m: m == {"event": "status", "args": ["stopping"]})
        for action in ("restart", "start", "stop"):
            await c.send("set state", action)
            message = await c.until(lambda m: m["event"] == "daemon error")
            assert PREFIX.match(message["args"][0])
            assert message["args"][0][PREFIX.match(message["args"][0]).end() :] == LOCKED
        await c.until(lambda m: m == {"event": "status", "args": ["offline"]})
        # during a restart too, and kill still goes through
        await c.send("set state", "start")
        await c.until(lambda m: m == {"event": "status", "args": ["running"]})
        await c.send("set state", "restart")
        await c.until(lambda m: m == {"event": "status", "args": ["stopping"]})
        await c.send("set state", "stop")
        message = await c.until(lambda m: m["event"] == "daemon error")
        assert message["args"][0].endswith(LOCKED)
        await c.send("set state", "kill")
        await c.until(lambda m: m == {"event": "status", "args": ["offline"]})

    run(test, tmp_path)


def test_expiry_ticker_and_reauth(tmp_path):
    async def test(node: Node):
        c = await node.connect()
        await c.auth(token(ttl=3))
        await c.recv()
        await c.recv()
        t0 = time.monotonic()
        expiring = await c.until(lambda m: m["event"] != "stats", timeout=3)
        assert expiring == {"event": "token expiring"}
        assert time.monotonic() - t0 < 3.0
        await c.until(lambda m: m == {"event": "jwt error", "args": ["jwt: exp claim is invalid"]}, timeout=4)
        # every event is now replaced, inbound ones too; the socket stays open
        await c.send("send stats")
        assert await c.recv() == {"event": "jwt error", "args": ["jwt: exp claim is invalid"]}
        await c.auth(token())
        await c.send("send stats")
        message = await c.until(lambda m: m["event"] != "token expiring")
        assert message["event"] == "stats"

    run(test, tmp_path, token_ttl=3)


def test_drop_connections_and_shutdown(tmp_path):
    async def test(node: Node):
        a1 = await node.connect(UUID_A)
        a2 = await node.connect(UUID_A)
        b = await node.connect(UUID_B)
        for client in (a1, a2, b):
            await client.auth(token(server_uuid=UUID_B if client is b else UUID_A))
        assert node.ctx.drop_connections(UUID_A) == 2
        for client in (a1, a2):
            msg = await client.ws.receive(timeout=3)
            while msg.type == aiohttp.WSMsgType.TEXT:
                msg = await client.ws.receive(timeout=3)
            assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
            assert client.ws.close_code != 1000
        await b.send("send stats")
        assert (await b.until(lambda m: m["event"] == "stats"))["event"] == "stats"
        # app shutdown closes the rest
        await node.runner.cleanup()
        msg = await b.ws.receive(timeout=3)
        while msg.type == aiohttp.WSMsgType.TEXT:
            msg = await b.ws.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)

    run(test, tmp_path)


def test_w12_suspended_close(tmp_path):
    async def test(node: Node):
        node.servers[UUID_A].status = "suspended"
        node.ctx.wings_version = "1.12"  # opt-in W12 behaviour
        c = await node.connect()
        msg = await c.ws.receive(timeout=3)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 4409 and msg.extra == "server is suspended"

    run(test, tmp_path)


def test_w11_suspended_server_connects_but_cannot_start(tmp_path):
    async def test(node: Node):
        node.servers[UUID_A].status = "suspended"
        c = await node.connect()
        await c.auth(token(permissions=["*", "admin.websocket.errors"]))
        await c.recv()
        await c.recv()
        await c.send("set state", "start")
        message = await c.until(lambda m: m["event"] == "daemon error")
        assert message["args"][0].endswith("server is currently in a suspended state")

    run(test, tmp_path)
