"""Inbound ``args`` as the panel's own console sends them (``[null]``), over a started sandbox.

Wings decodes a message into ``{Event string; Args []string}`` with Go's encoding/json: a JSON null
element leaves the string empty, so ``[null]`` is ``[""]``; ``send logs`` and ``send stats`` never read
their args, so ``[null]``, ``[]`` and no ``args`` at all behave the same. ``auth``, ``set state`` and
``send command`` join their args, so ``[null]`` is an empty value there (reference §1.2, §2.1;
upstream router/websocket/websocket.go HandleInbound, router/websocket/message.go).
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

pytestmark = pytest.mark.timeout(90)

GENERIC = "an unexpected error was encountered while handling this request"


async def _collect(ws: aiohttp.ClientWebSocketResponse, seconds: float = 0.6) -> list[dict]:
    out = []
    while True:
        try:
            msg = await ws.receive(timeout=seconds)
        except TimeoutError:
            return out
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        out.append(json.loads(msg.data))


def _replies(messages: list[dict]) -> list[dict]:
    """Without what a running server sends by itself (periodic stats, console lines)."""
    return [m for m in messages if m["event"] not in ("stats", "console output")]


def _connect_and_check(sb, server: dict, running: bool, w12: bool) -> None:
    data = sb.api("GET", f"/api/client/servers/{server['identifier']}/websocket").json()["data"]

    async def main():
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(data["socket"], headers={"Origin": sb["panel_url"]}, autoclose=False)
            await ws.send_str(json.dumps({"event": "auth", "args": [data["token"]]}))
            first = await _collect(ws)
            assert first[0] == {"event": "auth success"}

            for raw in (
                '{"event":"send stats","args":[null]}',
                '{"event":"send stats","args":[]}',
                '{"event":"send stats"}',
                '{"event":"send stats","args":null}',
            ):
                await ws.send_str(raw)
                got = await _collect(ws, 0.4)
                stats = [m for m in got if m["event"] == "stats"]
                assert stats, raw
                assert json.loads(stats[0]["args"][0])["state"] == ("running" if running else "offline")
                assert not [m for m in got if m["event"] in ("daemon error", "jwt error")], (raw, got)

            logs = ['{"event":"send logs","args":[null]}', '{"event":"send logs"}']
            if not w12:  # Wings 1.12 allows two send logs per 5 s
                logs.append('{"event":"send logs","args":[]}')
            for raw in logs:
                await ws.send_str(raw)
                got = await _collect(ws, 0.5)
                assert not [m for m in got if m["event"] in ("daemon error", "jwt error")], (raw, got)
                lines = [m["args"][0] for m in got if m["event"] == "console output"]
                if running:
                    assert any('For help, type "help"' in line for line in lines), (raw, lines)
                else:
                    assert lines == []

            # the joined events see an empty value, as Wings does
            await ws.send_str('{"event":"set state","args":[null]}')  # unknown power action
            got = _replies(await _collect(ws, 0.5))
            errors = [m for m in got if m["event"] == "daemon error"]
            assert len(errors) == 1 and errors[0]["args"][0].endswith("]: " + GENERIC)
            await ws.send_str('{"event":"auth","args":[null]}')  # an empty token: malformed
            got = _replies(await _collect(ws, 0.5))
            assert [m["event"] for m in got] == ["daemon error"]
            # a non-string element is still a decode error: dropped, no reply
            await ws.send_str('{"event":"send stats","args":[1]}')
            assert _replies(await _collect(ws, 0.4)) == []
            await ws.close()

    asyncio.run(asyncio.wait_for(main(), 60))


@pytest.mark.parametrize("version", [None, "1.12"])
def test_null_args_as_the_panel_console_sends_them(start_sandbox, version):
    sb = start_sandbox(servers=2, version=version)
    offline, running = sb["servers"][0], sb["servers"][1]
    state = sb.control("PATCH", f"/servers/{running['identifier']}", json={"state": "running"})
    assert state.status_code == 200 and state.json()["state"] == "running"
    _connect_and_check(sb, offline, running=False, w12=version is not None)
    _connect_and_check(sb, running, running=True, w12=version is not None)
