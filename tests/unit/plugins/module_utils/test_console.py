# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ConsoleSession's protocol decisions against a scripted in-memory socket (no network).

The real behaviour is tested against the sandbox in tests/integration_py/test_console_client.py;
these pin down the event handling exactly and fast.
"""

from __future__ import annotations

import time

import pytest
import websocket
from wings_fake import ORIGIN, SOCKET_URL, FakeWings, assert_no_token, session

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _console, _token, _wings
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    ConsoleError,
    ConsoleTimeout,
    PterodactylError,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._retry import Backoff


def opened(wings, **kwargs) -> _console.ConsoleSession:
    """A session of ``wings`` that has already authenticated: where most tests start."""
    con = session(wings, **kwargs)
    con.open()
    return con


def test_open_authenticates_first_and_learns_state(wings):
    with session(wings) as con:
        assert con.state() == "running"
        assert wings.origins == [ORIGIN]
        assert wings.socket.sent[0] == {"event": "auth", "args": [wings.tokens[0]]}
        assert_no_token(wings, repr(con))
    assert wings.socket.closed


def test_token_expiring_refreshes_on_the_same_socket_without_losing_lines(wings, monkeypatch):
    monkeypatch.setattr(_token, "STALE_EXPIRY_SECONDS", 0.0)

    def script(sock, message):
        if len(wings.tokens) == 1:
            sock.later(0.1)
            for i in range(3):
                sock.push("console output", f"before {i}")
            sock.push("token expiring")
            for i in range(3):
                sock.push("console output", f"after {i}")

    wings.on_auth = script
    con = opened(wings)
    result = con.follow(0.3)
    assert result["output"] == ["before 0", "before 1", "before 2", "after 0", "after 1", "after 2"]
    assert len(wings.sockets) == 1 and con.credential_fetches == 2 and con.refreshes == 1
    assert wings.socket.sent[-1] == {"event": "auth", "args": [wings.tokens[1]]}


@pytest.mark.parametrize("text", ["jwt: exp claim is invalid", "jwt: created too far in past (denylist)"])
def test_expiry_jwt_error_refreshes(wings, text, monkeypatch):
    monkeypatch.setattr(_token, "STALE_EXPIRY_SECONDS", 0.0)
    con = opened(wings)
    wings.socket.later(0.05)
    wings.socket.push("jwt error", text)
    wings.socket.push("jwt error", text)  # the next event before our re-auth: not a 2nd refresh
    con.follow(0.2)
    assert con.credential_fetches == 2 and con.refreshes == 1


def test_a_token_denied_at_once_is_fetched_again_in_the_next_second(wings):
    """A user's tokens revoked in the second the token was issued (a permission change just before):
    a token of the next second is asked for at once, not a wait for the auth timeout."""
    wings.denied_auths = 1
    started = time.monotonic()
    with session(wings, timeout=5.0) as con:
        assert con.state() == "running"
    assert time.monotonic() - started < 1.0  # the sleep is recorded, not slept
    assert len(wings.sockets) == 1 and len(wings.tokens) == 2
    assert len(wings.sleeps) == 1 and 0.05 <= wings.sleeps[0] <= 1.05
    assert [m["args"] for m in wings.socket.sent if m["event"] == "auth"] == [[wings.tokens[0]], [wings.tokens[1]]]


def test_tokens_denied_again_and_again_fail_soon_and_clearly(wings):
    wings.denied_auths = 10
    started = time.monotonic()
    with pytest.raises(ConsoleError) as info:
        session(wings, timeout=5.0).open()
    assert time.monotonic() - started < 1.0 and info.value.code == "WebsocketTokenRejected"
    assert len(wings.tokens) == 3  # the first, then MAX_REFRESHES_WITHOUT_SUCCESS
    assert_no_token(wings, str(info.value), repr(info.value))


def test_other_jwt_error_is_fatal_and_clear(wings):
    con = opened(wings)
    wings.socket.push("jwt error", "Error Event [1234]: jwt: missing connect permission")
    with pytest.raises(ConsoleError) as info:
        con.follow(1)
    assert "jwt: missing connect permission" in str(info.value)
    assert "websocket.connect" in str(info.value)
    assert_no_token(wings, str(info.value), repr(info.value))


def test_proactive_refresh_before_expiry(wings):
    wings.lifetime = 1  # refresh a fifth before the end: after 0.8 s
    con = opened(wings)
    con.follow(1.2)
    assert con.credential_fetches >= 2 and con.refreshes >= 1 and len(wings.sockets) == 1


def test_dropped_connection_reconnects_and_resyncs_with_stats(wings):
    con = opened(wings)
    wings.state = "offline"
    wings.socket.inbox.append(websocket.WebSocketConnectionClosedException("Connection to remote host was lost."))
    state, seen = con.wait_for_state({"offline"}, timeout=2)
    assert state == "offline" and seen[0] == "running" and seen[-1] == "offline"
    assert len(wings.sockets) == 2 and con.reconnects == 1 and con.credential_fetches == 2
    assert {"event": "send stats"} in wings.socket.sent
    assert wings.socket.sent[0]["event"] == "auth"


def test_reconnect_attempts_are_bounded(wings):
    con = session(wings, max_reconnects=2)
    con.open()
    wings.socket.inbox.append(OSError("connection reset"))
    original = wings.create_connection
    calls = []

    def refuse(url, **options):
        calls.append(url)
        raise ConnectionRefusedError(111, "Connection refused")

    _console.websocket.create_connection = refuse
    try:
        with pytest.raises(ConsoleError, match="could not reconnect after 2 attempts"):
            con.follow(2)
    finally:
        _console.websocket.create_connection = original
    assert len(calls) == 2


def test_handshake_403_names_the_origin_requirement(wings):
    wings.handshake_status = 403
    with pytest.raises(ConsoleError) as info:
        session(wings).open()
    assert str(info.value).startswith(
        "Wings refused the websocket (HTTP 403): the Origin header 'http://panel.test' must equal "
        "the panel URL configured in Wings (remote / allowed_origins); set websocket_origin"
    )
    assert info.value.status == 403


@pytest.mark.parametrize("code, expected", [(4409, "suspended"), (1001, "server deleted")])
def test_terminal_close_codes(wings, code, expected):
    con = opened(wings)
    wings.socket.inbox.append((_wings.OPCODE_CLOSE, code.to_bytes(2, "big") + b"server deleted"))
    with pytest.raises(ConsoleError, match=expected) as info:
        con.follow(1)
    assert info.value.status == code and len(wings.sockets) == 1


def test_deleted_event_is_terminal(wings):
    con = opened(wings)
    wings.socket.push("deleted", "null")
    with pytest.raises(ConsoleError, match="deleted"):
        con.follow(1)


def test_daemon_error_is_reported_with_its_text(wings):
    con = opened(wings)
    wings.socket.push("daemon error", "Error Event [abc]: another power action is currently being processed")
    with pytest.raises(ConsoleError, match="another power action is currently being processed"):
        con.follow(1)


def test_throttled_backs_off_once_then_fails(wings, monkeypatch):
    con = opened(wings)
    wings.throttle_next.add("send stats")
    stats = con.stats()
    assert stats["memory_bytes"] == 42 and con.throttled_events == 1
    assert [m for m in wings.socket.sent if m["event"] == "send stats"] == [{"event": "send stats"}] * 2
    wings.socket.push("throttled", "global")
    with pytest.raises(ConsoleError, match="throttled"):
        con.follow(1)


def test_history_running_and_offline(wings):
    con = opened(wings)
    assert con.history() == wings.history
    wings.state = "offline"
    wings.socket.push("status", "offline")
    started = time.monotonic()
    assert con.history() == []
    assert time.monotonic() - started < 1.5


def test_run_command_subscribes_before_sending_and_matches(wings):
    con = opened(wings)
    wings.socket.push("console output", "stale line")  # before the command: not output

    def send():
        wings.socket.push("console output", "\x1b[32mreply one\x1b[0m")
        wings.socket.push("console output", "DONE marker")
        wings.socket.push("console output", "after the marker")

    result = con.run_command(send, wait_for=r"^DONE", timeout=2)
    assert result == {"output": ["reply one", "DONE marker"], "matched": True, "timed_out": False}


def test_run_command_max_lines_and_timeout(wings):
    con = opened(wings)

    def send():
        for i in range(10):
            wings.socket.push("console output", f"line {i}")

    assert con.run_command(send, max_lines=3)["output"] == ["line 0", "line 1", "line 2"]
    started = time.monotonic()
    result = con.run_command(send, wait_for="never", timeout=0.3)
    assert result["timed_out"] and not result["matched"] and len(result["output"]) == 10
    assert time.monotonic() - started < 1.5


def test_run_command_lets_panel_errors_through(wings):
    con = opened(wings)

    def send():
        raise PterodactylError("Server must be online in order to send commands.", status=502)

    with pytest.raises(PterodactylError) as info:
        con.run_command(send)
    assert info.value.status == 502 and con._stream.collector is None


def test_wait_for_state_timeout_reports_seen_states(wings):
    con = opened(wings)
    wings.socket.push("status", "stopping")
    with pytest.raises(ConsoleTimeout) as info:
        con.wait_for_state(["offline"], timeout=0.3)
    assert info.value.last_state == "stopping" and info.value.seen == ["running", "stopping"]


def test_wait_for_state_resyncs_with_stats_when_quiet(wings, monkeypatch):
    monkeypatch.setattr(_console, "RESYNC_SECONDS", 0.1)
    con = opened(wings)
    wings.state = "offline"  # the status event was lost; stats tell the truth
    state, seen = con.wait_for_state({"offline"}, timeout=2)
    assert state == "offline" and seen == ["running", "offline"]


def test_auth_timeout_is_bounded(wings):
    wings.on_message = lambda sock, message: None  # Wings never answers
    started = time.monotonic()
    with pytest.raises(ConsoleError, match="did not confirm authentication"):
        session(wings, timeout=0.3).open()
    assert time.monotonic() - started < 1.5


def test_bad_credentials_shape(wings):
    con = _console.ConsoleSession(lambda: {"data": {}}, origin=ORIGIN, timeout=1)
    with pytest.raises(ConsoleError, match="lack a token"):
        con.open()


# ---- _Token, the iterative reconnect and its Backoff delays ---------------------------------


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_refreshes_ahead_of_expiry_on_the_local_clock(monkeypatch):
    clock, fake = Clock(), FakeWings()  # tokens live 600 s: refresh 20 s before the end
    token = _token.WebsocketToken(fake.credentials, clock)
    assert token.fetch() == SOCKET_URL and token.value == fake.tokens[0] and token.lifetime == 600.0
    clock.now += 579
    assert not token.due()
    clock.now += 1
    assert token.due() and not token.signal_is_stale()
    assert token.refresh() == fake.tokens[1] and token.fetches == 2 and token.pending
    assert not token.due() and token.signal_is_stale()  # an auth is pending: signals refer to the old token
    assert token.confirm() and not token.pending and not token.confirm()
    assert token.signal_is_stale()  # fetched less than STALE_EXPIRY_SECONDS ago
    clock.now += _token.STALE_EXPIRY_SECONDS
    assert not token.signal_is_stale() and not token.due()


def test_token_refresh_is_refused_when_wings_keeps_rejecting_it():
    token = _token.WebsocketToken(FakeWings().credentials, Clock())
    token.fetch()
    token.refresh()
    token.refresh()  # no "auth success" in between
    with pytest.raises(ConsoleError) as info:
        token.refresh()
    assert info.value.code == "WebsocketTokenRejected" and token.fetches == 3


def test_token_expired_refreshes_on_the_same_socket(wings, monkeypatch):
    monkeypatch.setattr(_token, "STALE_EXPIRY_SECONDS", 0.0)
    con = opened(wings)
    wings.socket.push("token expired")
    con.follow(0.2)
    assert con.credential_fetches == 2 and con.refreshes == 1 and len(wings.sockets) == 1
    assert wings.socket.sent[-1] == {"event": "auth", "args": [wings.tokens[1]]}


def track_reconnects(con) -> dict:
    """Wrap ``con._reconnect`` to count its calls and how deeply they nest."""
    depth = {"now": 0, "max": 0, "calls": 0}
    original = con._reconnect

    def wrapped(reason):
        depth["calls"] += 1
        depth["now"] += 1
        depth["max"] = max(depth["max"], depth["now"])
        try:
            return original(reason)
        finally:
            depth["now"] -= 1

    con._reconnect = wrapped
    return depth


def test_reconnect_waits_the_backoff_delays_then_succeeds(wings):
    con = session(wings, max_reconnects=3)
    con._backoff = Backoff(uniform=lambda low, high: high)  # the ceiling of each attempt
    con.open()
    wings.refusals = 2  # the node is down for two attempts
    wings.socket.inbox.append(OSError("connection reset"))
    depth = track_reconnects(con)
    assert con.state() == "running"
    assert wings.sleeps == [0.5, 1.0, 2.0] and con.reconnects == 1 and depth == {"now": 0, "max": 1, "calls": 1}
    assert {"event": "send stats"} in wings.socket.sent


def test_reconnect_gives_up_after_the_bound_with_backoff_delays(wings):
    con = session(wings, max_reconnects=4)
    con._backoff = Backoff(base=0.5, maximum=1.5, uniform=lambda low, high: (low, high))
    con.open()
    wings.refusals = 99
    wings.socket.inbox.append(OSError("connection reset"))
    with pytest.raises(ConsoleError, match="could not reconnect after 4 attempts") as info:
        con.follow(2)
    assert info.value.code == "WebsocketConnectionLost"
    assert wings.sleeps == [(0.25, 0.5), (0.5, 1.0), (0.75, 1.5), (0.75, 1.5)]
    assert wings.refusals == 99 - 4 and con.reconnects == 0


def test_a_drop_during_the_resend_after_a_reconnect_does_not_nest(wings):
    con = opened(wings)
    wings.socket.closed = True  # the next send fails
    wings.send_budget = 2  # new sockets take the auth and the resync, then drop
    depth = track_reconnects(con)
    with pytest.raises(ConsoleError, match="cannot send on the Wings websocket after reconnecting") as info:
        con.stats()
    assert info.value.code == "WebsocketConnectionLost"
    assert depth == {"now": 0, "max": 1, "calls": 1} and len(wings.sockets) == 2 and con.reconnects == 1


def test_a_drop_during_the_resync_fails_that_attempt_only(wings):
    con = session(wings, max_reconnects=3)
    con.open()
    wings.send_budget = 1  # new sockets take the auth, then drop
    wings.socket.inbox.append(OSError("connection reset"))
    depth = track_reconnects(con)
    with pytest.raises(ConsoleError, match="could not reconnect after 3 attempts") as info:
        con.follow(2)
    assert info.value.code == "WebsocketConnectionLost" and "lost again while reconnecting" in str(info.value)
    assert depth == {"now": 0, "max": 1, "calls": 1} and len(wings.sockets) == 4 and len(wings.sleeps) == 3


# ---- other events: backups, installs ----


def test_wait_for_event_sees_only_what_follows_the_mark(wings):
    con = opened(wings)
    wings.socket.push("backup completed", '{"uuid": "old", "is_successful": true}')
    mark = con.event_mark()  # the old completion arrived before the mark
    wings.socket.later(0.2)
    wings.socket.push("daemon message", "(restoring): world/level.dat")
    wings.socket.push("backup completed", '{"uuid": "b1", "is_successful": true}')
    args = con.wait_for_event("backup completed", since=mark, timeout=5, match=lambda a: '"b1"' in a[0])
    assert '"b1"' in args[0]
    assert con.events("daemon message", mark) == [["(restoring): world/level.dat"]]
    assert con.events("backup completed", 0)[0] == ['{"uuid": "old", "is_successful": true}']


def test_wait_for_event_times_out_naming_the_event(wings):
    con = opened(wings)
    mark = con.event_mark()
    with pytest.raises(ConsoleTimeout) as caught:
        con.wait_for_event("install completed", since=mark, timeout=0.3)
    assert caught.value.code == "WaitTimeout" and "the 'install completed' event" in str(caught.value)
