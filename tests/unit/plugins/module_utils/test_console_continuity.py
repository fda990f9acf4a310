# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ConsoleSession keeps the console whole across a reconnect (the replay of Wings' history), keeps the
last lines seen, stays within Wings 1.12's limits and explains a panel too old for its Wings; against
the scripted socket of wings_fake.py. The splice itself: test_splice.py; the real thing against the
sandbox: tests/integration_py/test_console_gaps_live.py.
"""

from __future__ import annotations

import pytest
from wings_fake import FakeWings, assert_no_token, session

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _stream
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError

# ---- console continuity across a reconnect (the replay of Wings' history) --------------------


def drop_after(wings: FakeWings, lines: list[str]) -> None:
    """The current socket delivers ``lines`` a moment from now, then the connection breaks."""
    wings.socket.later(0.1)
    for line in lines:
        wings.socket.push("console output", line)
    wings.socket.inbox.append(OSError("connection reset"))


def on_new_socket(wings: FakeWings, *lines: str) -> None:
    """Live lines a new socket receives right after its auth (the early lines)."""

    def script(sock, message):
        if sock is not wings.sockets[0] and len(sock.sent) == 1:
            for line in lines:
                sock.push("console output", line)

    wings.on_auth = script


def test_reconnect_during_follow_closes_the_gap_with_interleaved_lines(wings):
    con = session(wings)
    con.open()
    drop_after(wings, [f"line {i}" for i in range(5)])
    on_new_socket(wings, "line 8", "line 9", "line 10")

    def replay(sock):  # Wings' goroutine: the replay mixed with live lines and a daemon message
        sock.push("console output", "line 3")
        sock.push("console output", "line 11")  # live, printed after the snapshot
        sock.push("console output", "line 4")
        sock.push("console output", "\x1b[33m\x1b[1m[Pterodactyl Daemon]:\x1b[39m hello\x1b[0m")
        for i in (5, 6, 7, 8, 9, 10):
            sock.push("console output", f"line {i}")
        sock.push("console output", "line 12")

    wings.on_logs = replay
    result = con.follow(1.5)
    expected = [f"line {i}" for i in range(11)] + ["line 11", "[Pterodactyl Daemon]: hello", "line 12"]
    assert result["output"] == expected
    assert con.continuity() == {
        "reconnects": 1,
        "gap_closed": True,
        "missed_lines": 0,
        "console_gaps": [{"closed": True, "missed_lines": 0, "recovered_lines": 3, "reason": _stream.REASON_CLOSED}],
    }
    assert con.continuity_warning() is None
    sent = [m["event"] for m in wings.socket.sent]
    assert sent == ["auth", "send stats", "send logs"]  # one replay per new socket, after the early lines


def test_run_command_sees_a_wait_for_line_printed_during_the_gap(wings):
    con = session(wings)
    con.open()
    on_new_socket(wings, "tick 3", "tick 4", "tick 5")
    wings.on_logs = lambda sock: [
        sock.push("console output", line)
        for line in ("tick 1", "There are 0 players online", "tick 3", "tick 4", "tick 5")
    ]

    def send():
        drop_after(wings, ["tick 1"])

    result = con.run_command(send, wait_for="players online", timeout=2)
    assert result["matched"] and result["output"] == ["tick 1", "There are 0 players online"]
    assert con.continuity()["gap_closed"]


def test_history_empty_because_the_server_went_offline_leaves_the_gap_open(wings):
    con = session(wings)
    con.open()
    wings.state = "offline"  # the new socket's status: Wings replays nothing
    drop_after(wings, ["line 1", "line 2"])
    result = con.follow(1.0)
    assert result["output"] == ["line 1", "line 2"]
    summary = con.continuity()
    assert summary["gap_closed"] is False and summary["missed_lines"] is None
    assert summary["console_gaps"][0]["reason"] == _stream.REASON_OFFLINE
    assert "may be missing" in con.continuity_warning()
    assert "send logs" not in [m["event"] for m in wings.socket.sent]


def test_a_gap_longer_than_the_history_is_reported(wings):
    con = session(wings)
    con.open()
    drop_after(wings, ["old 1", "old 2"])
    on_new_socket(wings, "new 200", "new 201", "new 202")
    wings.on_logs = lambda sock: [sock.push("console output", f"new {i}") for i in range(53, 203)]
    result = con.follow(1.5)
    assert result["output"][0] == "old 1" and result["output"][2] == "new 53" and result["output"][-1] == "new 202"
    gap = con.continuity()["console_gaps"][0]
    assert gap["closed"] is False and gap["missed_lines"] is None and gap["recovered_lines"] == 147
    assert gap["reason"] == _stream.REASON_NO_OVERLAP


def test_history_splits_the_replay_from_live_lines(wings):
    con = session(wings)
    con.open()
    wings.socket.push("console output", "live 1")
    wings.socket.push("console output", "live 2")
    wings.socket.push("console output", "live 3")
    wings.on_logs = lambda sock: [
        sock.push("console output", line) for line in ("old 1", "live 1", "live 4", "live 2", "live 3")
    ]
    assert con.history() == ["old 1", "live 1", "live 2", "live 3", "live 4"]
    assert con.continuity() == {"reconnects": 0, "gap_closed": True, "missed_lines": 0, "console_gaps": []}


def test_recent_lines_are_kept_while_waiting_for_a_state(wings):
    con = session(wings)
    con.open()
    for i in range(35):
        wings.socket.push("console output", f"crash report line {i}")
    wings.socket.push("status", "offline")
    state, _seen = con.wait_for_state({"offline"}, timeout=2)
    assert state == "offline"
    assert con.recent_lines == [f"crash report line {i}" for i in range(5, 35)]


def test_send_logs_never_bursts_past_wings_limits(wings):
    con = session(wings)
    con.open()
    for _call in range(3):
        con.history()
    assert [m["event"] for m in wings.socket.sent].count("send logs") == 3
    assert len(wings.sleeps) == 1 and 1.0 < wings.sleeps[0] <= 5.5  # the third waited for Wings' bucket


@pytest.mark.parametrize(
    "scope, code, hint",
    [
        (None, "PanelWingsVersionSkew", "older than 1.12.3"),
        ("websocket", "WebsocketTokenRejected", "websocket.connect"),
    ],
)
def test_missing_connect_permission_names_the_version_skew_when_the_token_has_no_scope(wings, scope, code, hint):
    wings.scope = scope
    wings.on_auth = lambda sock, message: (
        sock.inbox.clear() or sock.push("jwt error", "Error Event [ab12]: jwt: missing connect permission")
    )
    with pytest.raises(ConsoleError) as info:
        session(wings).open()
    assert info.value.code == code and hint in str(info.value)
    if scope is None:
        assert "Wings 1.12.2 or newer" in str(info.value) and "upgrade the panel" in str(info.value)
    assert_no_token(wings, str(info.value), repr(info.value), str(info.value.to_failure()))


def test_token_refreshes_are_not_held_back_by_the_auth_bucket(wings):
    wings.lifetime = 1  # refreshed every 0.8 s: faster than Wings 1.12's 2 auths per 5 s
    con = session(wings)
    con.open()
    con.follow(2.0)
    assert con.refreshes >= 2 and wings.sleeps == []  # waiting would let the token expire
