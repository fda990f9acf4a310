# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console client's pure helpers: ANSI stripping, event parsing, token-expiry decisions."""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import ssl
import subprocess
import sys

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _wings, _wings_errors
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    CLIENT_CODES,
    ConsoleError,
    ConsoleTimeout,
    PterodactylError,
)

WINGS_DAEMON_LINE = "\u001b[33m\u001b[1m[Pterodactyl Daemon]:\u001b[39m Server marked as running...\u001b[0m"


def make_token(claims: dict) -> str:
    def part(obj) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


# ---- ANSI and console lines ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (WINGS_DAEMON_LINE, "[Pterodactyl Daemon]: Server marked as running..."),
        ("\x1b[1;31mred\x1b[0m plain", "red plain"),
        ("\x1b[38;5;208morange\x1b[m", "orange"),
        ("\x1b[38;2;1;2;3mtrue colour\x1b[0m", "true colour"),
        ("\x1b]0;window title\x07after", "after"),
        ("\x1b]8;;https://example.org\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b[2K\x1b[1Gprogress 50%", "progress 50%"),
        ("\x9b31mC1 csi\x9b0m", "C1 csi"),
        ("\x1b(Bcharset", "charset"),
        ("bell\x07 and backspace\x08", "bell and backspace"),
        ("tabs\tstay", "tabs\tstay"),
        ("unicode ✓ é \ufffd stays", "unicode ✓ é \ufffd stays"),
        ("[yellow] not ansi [/]", "[yellow] not ansi [/]"),
    ],
)
def test_strip_ansi(raw, expected):
    assert _wings.strip_ansi(raw) == expected


def test_console_lines_splits_strips_and_drops_empty():
    assert _wings.console_lines("one\r\ntwo\n\n  \nthree\n") == ["one", "two", "three"]


def test_console_lines_tolerates_bytes_that_are_not_utf8():
    assert _wings.console_lines(b"bad \xff\xfe bytes\n") == ["bad \ufffd\ufffd bytes"]


def test_console_lines_keeps_leading_indent():
    assert _wings.console_lines("\x1b[32m    at Foo.bar\x1b[0m") == ["    at Foo.bar"]


# ---- frames -------------------------------------------------------------------------------


def test_parse_event_frame_ending_in_newline_with_go_escapes():
    frame = '{"event":"console output","args":["\\u003cPlayer\\u003e hi \\u0026 bye"]}\n'
    assert _wings.parse_event(frame) == ("console output", ["<Player> hi & bye"])


def test_parse_event_without_args():
    assert _wings.parse_event('{"event":"auth success"}') == ("auth success", [])


def test_parse_event_bytes_frame_with_invalid_utf8():
    frame = b'{"event":"console output","args":["x \xff y"]}'
    assert _wings.parse_event(frame) == ("console output", ["x \ufffd y"])


@pytest.mark.parametrize("frame", ["not json", "[1,2]", '{"args":[]}', '{"event":5}', ""])
def test_parse_event_ignores_garbage(frame):
    assert _wings.parse_event(frame) is None


def test_parse_event_coerces_odd_args_to_strings():
    assert _wings.parse_event('{"event":"x","args":[1,{"a":2}]}') == ("x", ["1", '{"a": 2}'])
    assert _wings.parse_event('{"event":"x","args":"lone"}') == ("x", ["lone"])


def test_parse_stats_decodes_the_json_string():
    raw = json.dumps({"memory_bytes": 1, "state": "running", "network": {"rx_bytes": 2, "tx_bytes": 3}})
    assert _wings.parse_stats(raw)["network"]["rx_bytes"] == 2


@pytest.mark.parametrize("raw", ["{oops", "[1]"])
def test_parse_stats_rejects_garbage(raw):
    with pytest.raises(ConsoleError):
        _wings.parse_stats(raw)


def test_parse_close():
    assert _wings.parse_close((4409).to_bytes(2, "big") + b"server is suspended") == (4409, "server is suspended")
    assert _wings.parse_close((1001).to_bytes(2, "big")) == (1001, "")
    assert _wings.parse_close(b"") == (None, "")
    assert _wings.parse_close(None) == (None, "")


# ---- token-expiry decisions ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, action",
    [
        ("jwt: exp claim is invalid", "refresh"),
        ("Error Event [8d1b2c7e-0000-4000-8000-000000000000]: jwt: exp claim is invalid", "refresh"),
        ("jwt: created too far in past (denylist)", "refresh"),
        ("jwt: missing connect permission", "fatal"),
        ("jwt: server uuid mismatch", "fatal"),
        ("jwt: no jwt present", "fatal"),
        ("", "fatal"),
    ],
)
def test_jwt_error_action(text, action):
    assert _wings.jwt_error_action(text) == action


def test_strip_event_prefix():
    text = "Error Event [8d1b2c7e-0000-4000-8000-000000000000]: another power action is in progress"
    assert _wings.strip_event_prefix(text) == "another power action is in progress"
    assert _wings.strip_event_prefix("plain") == "plain"


def test_token_lifetime_reads_iat_and_exp():
    assert _wings.token_lifetime(make_token({"iat": 1000, "exp": 1600})) == 600.0


@pytest.mark.parametrize(
    "token",
    [
        "",
        "abc",
        "a.b",
        "a.!!!.c",
        make_token({"exp": 5}),
        make_token({"iat": 10, "exp": 5}),
        make_token({"iat": "x", "exp": 5}),
        "a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c",
    ],
)
def test_token_lifetime_unknown(token):
    assert _wings.token_lifetime(token) is None


def test_refresh_due_uses_local_clock_and_margin():
    assert not _wings.refresh_due(100.0, 600.0, 100.0 + 579.0)
    assert _wings.refresh_due(100.0, 600.0, 100.0 + 580.0)  # 20 s margin for 10 min tokens
    assert not _wings.refresh_due(100.0, 5.0, 103.9)
    assert _wings.refresh_due(100.0, 5.0, 104.0)  # a fifth of short lifetimes
    assert not _wings.refresh_due(100.0, None, 1e9)


# ---- misc helpers ---------------------------------------------------------------------------


def test_redact_url_drops_query_and_user_info():
    url = "wss://user:secret@node.example.org:8080/api/servers/abc/ws?token=eyJhbGciOi#frag"
    assert _wings.redact_url(url) == "wss://node.example.org:8080/api/servers/abc/ws"


def test_build_sslopt(tmp_path):
    assert _wings.build_sslopt(False, None) == {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("x")
    assert _wings.build_sslopt(True, str(ca_file))["ca_certs"] == str(ca_file)
    assert _wings.build_sslopt(True, str(tmp_path))["ca_cert_path"] == str(tmp_path)
    assert _wings.build_sslopt(True, None) == {"cert_reqs": ssl.CERT_REQUIRED, "check_hostname": True}


def test_compile_pattern():
    assert _wings.compile_pattern(None) is None
    assert _wings.compile_pattern("a+").search("caat")
    with pytest.raises(ConsoleError, match="invalid regular expression"):
        _wings.compile_pattern("(unclosed")


def test_console_errors_are_pterodactyl_errors():
    error = ConsoleTimeout("starting", ["offline", "starting"], wanted={"running"}, timeout=5)
    assert isinstance(error, ConsoleError) and isinstance(error, PterodactylError)
    assert error.last_state == "starting" and error.seen == ["offline", "starting"]
    assert error.message == (
        "the server is still 'starting' after 5s waiting for running; states seen: offline, starting"
    )


def test_import_without_websocket_client_or_requests():
    """ansible-test import sanity loads the module bare: it must import and fail late and clearly."""
    script = (
        "import sys\n"
        "sys.modules['websocket'] = None\n"
        "sys.modules['requests'] = None\n"
        "from ansible_collections.gameops.pterodactyl.plugins.module_utils import _console as console\n"
        "assert console.HAS_WEBSOCKET is False\n"
        "assert 'websocket' in console.WEBSOCKET_IMPORT_ERROR\n"
        "try:\n"
        "    console.ConsoleSession(lambda: {}, origin='http://panel')\n"
        "except console.ConsoleError as exc:\n"
        "    print(exc)\n"
    )
    root = os.path.dirname(os.path.dirname(_wings.__file__.rsplit("/plugins/", 1)[0] + "/x"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, cwd=root, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "websocket-client" in done.stdout


# ---- error codes ----------------------------------------------------------------------------

OLD_CODES = (
    "timeout",
    "bad stats",
    "bad regex",
    "missing library",
    "jwt error",
    "daemon error",
    "throttled",
    "deleted",
    "bad credentials",
    "connection",
    "tls",
    "origin",
    "not found",
    "handshake",
    "closed",
    "suspended",
)


def test_every_code_raised_is_a_client_code():
    plugins = pathlib.Path(_wings.__file__).resolve().parents[1]
    sources = sorted(plugins.rglob("*.py"))  # every code literal of the collection, not only the console's
    codes = set()
    for source in sources:
        with open(source, encoding="utf-8") as handle:
            codes.update(re.findall(r'code="([^"]+)"', handle.read()))
    codes.update(_wings.TERMINAL_CODES)
    assert codes and codes <= set(CLIENT_CODES), codes - set(CLIENT_CODES)
    assert not codes & set(OLD_CODES)


@pytest.mark.parametrize(
    "close, during_auth, code",
    [
        (4409, False, "ServerSuspended"),
        (1001, False, "ServerDeleted"),
        (4000, False, "WebsocketClosed"),
        (1006, False, None),
        (None, False, None),
        (1006, True, "WebsocketConnectionLost"),
        (4409, True, "ServerSuspended"),
    ],
)
def test_close_error_codes(close, during_auth, code):
    error = _wings_errors.close_error(close, "why", "ws://node/x", during_auth=during_auth)
    assert (error.code if error else None) == code
    if error:
        assert error.status == close and error.method == "WEBSOCKET"


@pytest.mark.parametrize(
    "status, code",
    [
        (403, "WebsocketOriginRejected"),
        (404, "WebsocketServerUnknown"),
        (502, "WebsocketHandshakeFailed"),
    ],
)
def test_handshake_error_codes(status, code):
    error = _wings_errors.handshake_error(status, "http://panel", b"body", "ws://node/x")
    assert error.code == code and error.status == status


def test_event_and_other_error_codes():
    path = "ws://node/x"
    assert _wings_errors.event_error("jwt error", "jwt: server uuid mismatch", path).code == "WebsocketTokenRejected"
    assert _wings_errors.event_error("daemon error", "Error Event [x]: busy", path).code == "WingsDaemonError"
    assert _wings_errors.event_error("deleted", "", path).code == "ServerDeleted"
    assert _wings_errors.event_error("console output", "hi", path) is None
    assert _wings_errors.throttled_error("global", path).code == "WebsocketThrottled"
    assert _wings_errors.tls_error(ssl.SSLError("bad"), path).code == "WebsocketTLSError"
    assert _wings_errors.connect_error(OSError("refused"), path).code == "WebsocketConnectionLost"
    assert _wings_errors.no_answer("confirm authentication", 2, "hint", path).code == "WaitTimeout"
    assert _wings_errors.missing_library("trace").code == "MissingLibrary"
    with pytest.raises(ConsoleError) as info:
        _wings.credentials_pair({"token": "", "socket": "ws://x"})
    assert info.value.code == "WebsocketCredentialsInvalid"
    with pytest.raises(ConsoleError) as info:
        _wings.parse_stats("[1]")
    assert info.value.code == "WingsBadStats"
    with pytest.raises(ConsoleError) as info:
        _wings.compile_pattern("(unclosed")
    assert info.value.code == "InvalidRegex"


def test_encode_event():
    assert json.loads(_wings.encode_event("send stats")) == {"event": "send stats"}
    assert json.loads(_wings.encode_event("send command", ["say hi"])) == {"event": "send command", "args": ["say hi"]}
    assert _wings.parse_event(_wings.encode_event("auth", ["t"])) == ("auth", ["t"])


def test_server_view_folds_states_and_counts_reports():
    view = _wings.ServerView()
    view.seen = []
    assert view.apply("status", ["starting"]) and view.apply("status", ["starting"])
    assert view.apply("stats", [json.dumps({"state": "running", "memory_bytes": 1})])
    assert not view.apply("auth success", [])
    assert view.seen == ["starting", "running"] and view.state_serial == 3 and view.stats_serial == 1
    assert view.apply("console output", ["ignored without a collector"])


def test_send_budget_keeps_wings_1_12_limits():
    budget = _wings.SendBudget()
    assert [budget.take("send logs", 0.0) for _call in range(2)] == [0.0, 0.0]  # a burst of 2
    assert budget.take("send logs", 0.0) == pytest.approx(5.0 * _wings.LIMIT_MARGIN)  # then one per 5 s
    assert [budget.take("send stats", 100.0) for _call in range(4)] == [0.0] * 4  # the shared bucket: 4
    assert budget.take("set state", 100.0) == pytest.approx(_wings.LIMIT_MARGIN)  # then one a second
    fresh = _wings.SendBudget()
    waits = [fresh.take("send logs" if i % 2 else "auth", 0.0) for i in range(4)]
    waits += [fresh.take("send command", 0.0) for _call in range(8)]  # the global bucket holds 10
    assert waits[:10] == [0.0] * 10 and waits[10] > 0


def test_daemon_lines_are_told_from_game_lines():
    assert _wings.is_daemon_line("[Pterodactyl Daemon]: Server marked as offline...")
    assert _wings.is_daemon_line("[Pelican Daemon]: Checking server disk space usage")
    assert not _wings.is_daemon_line("[12:00:01] [Server thread/INFO]: Done (4.211s)!")


def test_token_scope_is_read_without_verifying():
    def token(claims) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJIUzI1NiJ9.{body}.sig"

    assert _wings.token_has_scope(token({"permissions": ["*"], "scope": "websocket"})) is True
    assert _wings.token_has_scope(token({"permissions": ["*"]})) is False
    assert _wings.token_has_scope("not-a-token") is None


@pytest.mark.parametrize(
    "scoped, code",
    [(False, "PanelWingsVersionSkew"), (True, "WebsocketTokenRejected"), (None, "WebsocketTokenRejected")],
)
def test_missing_connect_permission_and_the_version_skew(scoped, code):
    text = "Error Event [7f3a]: jwt: missing connect permission"
    error = _wings_errors.event_error("jwt error", text, "ws://node/x", scoped)
    assert error.code == code and error.code in CLIENT_CODES and code in _wings.TERMINAL_CODES
    if scoped is False:
        assert "older than 1.12.3" in error.hint and "Wings 1.12.2 or newer" in error.hint
    else:
        assert "websocket.connect" in error.hint
