# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A console session on a server's Wings websocket.

The websocket is the only real-time view of a server: its true power state (the panel caches
``/resources`` for 20 seconds), its console output and its live stats. ``ConsoleSession`` speaks
the Wings protocol correctly: ``Origin`` header, ``auth`` before anything else, token refresh on
the same socket, bounded reconnects that resynchronise with ``send stats``, and clear errors for
``daemon error``, ``throttled``, a suspended or deleted server.

The session is single-threaded: the socket is only read while one of its methods runs. Whatever
Wings sends in between waits in the socket buffer and is read by the next call, so nothing that
arrives after a call starts is lost. Every wait has a deadline.

The token never appears in an error, a result or ``repr``: the socket URL carries no query, the
auth frame is never echoed, and messages are built from fixed text plus Wings' own event text.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import ssl
import time
import traceback
from typing import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

try:
    import websocket
except ImportError:
    websocket = None
    HAS_WEBSOCKET = False
    WEBSOCKET_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_WEBSOCKET = True
    WEBSOCKET_IMPORT_ERROR = None

from ansible_collections.gameops.pterodactyl.plugins.module_utils.api import PterodactylError

STATES = ("offline", "starting", "running", "stopping")

# Expiry-type "jwt error" texts: refresh the token and re-authenticate (as the panel's own UI does).
JWT_EXPIRY_MARKERS = ("jwt: exp claim is invalid", "jwt: created too far in past (denylist)")

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8

CLOSE_GOING_AWAY = 1001      # Wings 1.11: server deleted
CLOSE_SUSPENDED = 4409       # Wings 1.12: server is suspended

POLL_SECONDS = 1.0           # longest single socket read, so refresh/resync checks run regularly
RESYNC_SECONDS = 5.0         # wait_for_state: ask for stats when nothing changed for this long
HISTORY_QUIET_SECONDS = 0.5  # history: the replay is over when no line came for this long
HISTORY_FIRST_LINE_SECONDS = 3.0
OFFLINE_QUIET_SECONDS = 0.5  # history while offline: Wings sends nothing, do not wait long
STATS_WAIT_SECONDS = 10.0
DRAIN_SECONDS = 1.0          # most time spent reading what is already buffered
STALE_EXPIRY_SECONDS = 1.0   # expiry signals this soon after a refresh refer to the old token
MAX_REFRESHES_WITHOUT_SUCCESS = 2
RECONNECT_BACKOFF = (0.2, 0.5, 1.0, 2.0)
# ConsoleError codes a reconnect cannot cure
TERMINAL_CODES = frozenset(("origin", "not found", "tls", "jwt error", "daemon error", "suspended",
                            "deleted", "closed", "bad credentials", "missing library"))

_ANSI_RE = re.compile(
    r"(?:\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"    # OSC ... BEL / ST
    r"|(?:(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~])"    # CSI ... final byte (7-bit and 8-bit forms)
    r"|(?:\x1b[PX^_][^\x1b]*\x1b\\)"            # DCS / SOS / PM / APC strings
    r"|(?:\x1b[ -/]*[0-~])"                     # other two-byte escapes (charset, keypad, ...)
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EVENT_PREFIX_RE = re.compile(r"^Error Event \[[^\]]*\]:\s*")


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------

class ConsoleError(PterodactylError):
    """A websocket failure. Same fields as ``PterodactylError``; ``status`` may be a close code."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 detail: str | None = None, hint: str | None = None, path: str | None = None):
        super().__init__(message, status=status, code=code, detail=detail, method="WEBSOCKET",
                         path=path, hint=hint)


class ConsoleTimeout(ConsoleError):
    """``wait_for_state`` ran out of time: ``last_state`` and the states ``seen`` meanwhile."""

    def __init__(self, last_state: str | None, seen: list[str], *, wanted: Iterable[str] = (),
                 timeout: float | None = None, path: str | None = None):
        self.last_state = last_state
        self.seen = list(seen)
        self.wanted = sorted(wanted)
        waited = "" if timeout is None else " after {0:g}s".format(timeout)
        message = "the server is still '{0}'{1} waiting for {2}; states seen: {3}".format(
            last_state, waited, " or ".join(self.wanted) or "a state change",
            ", ".join(self.seen) or "none")
        super().__init__(message, code="timeout", detail=message, path=path,
                         hint="raise the timeout, or check the server's console for why it hangs")


# --------------------------------------------------------------------------------------------
# pure helpers
# --------------------------------------------------------------------------------------------

def strip_ansi(text: str) -> str:
    """Console text without ANSI escape sequences (CSI, OSC, ...) and stray control characters."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", text))


def console_lines(raw: str | bytes) -> list[str]:
    """The printable lines of one ``console output`` argument: decoded, stripped, no empty ones."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    lines = (strip_ansi(part).rstrip() for part in raw.splitlines())
    return [line for line in lines if line]


def parse_event(frame: str | bytes) -> tuple[str, list[str]] | None:
    """``(event, args)`` from one Wings frame, or None for anything that is not an event."""
    if isinstance(frame, (bytes, bytearray)):
        frame = bytes(frame).decode("utf-8", errors="replace")
    try:
        message = json.loads(frame)
    except ValueError:
        return None
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return None
    args = message.get("args") or []
    if not isinstance(args, list):
        args = [args]
    return message["event"], [arg if isinstance(arg, str) else json.dumps(arg) for arg in args]


def parse_stats(raw: str) -> dict:
    """The stats object carried (as a JSON string) in a ``stats`` event."""
    try:
        stats = json.loads(raw)
    except ValueError as exc:
        raise ConsoleError("Wings sent stats that are not JSON",
                           code="bad stats", detail=str(exc)) from None
    if not isinstance(stats, dict):
        raise ConsoleError("Wings sent stats that are not an object", code="bad stats")
    return stats


def parse_close(data: bytes | str | None) -> tuple[int | None, str]:
    """``(code, reason)`` of a close frame's payload."""
    if isinstance(data, str):
        data = data.encode("utf-8", errors="replace")
    if not data or len(data) < 2:
        return None, ""
    return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", errors="replace")


def strip_event_prefix(text: str) -> str:
    """Wings' error text without its ``Error Event [<uuid>]: `` prefix."""
    return _EVENT_PREFIX_RE.sub("", text)


def jwt_error_action(text: str) -> str:
    """``"refresh"`` for a ``jwt error`` that reports expiry, ``"fatal"`` for any other."""
    return "refresh" if any(marker in text for marker in JWT_EXPIRY_MARKERS) else "fatal"


def token_lifetime(token: str) -> float | None:
    """Seconds between the token's ``iat`` and ``exp`` (both panel clock), None when unknown.

    Read without verifying: only used to refresh ahead of time, measured on the local monotonic
    clock from when the token was fetched, so clock skew between controller and panel is harmless.
    """
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(claims, dict):
        return None
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
        return None
    return float(expires - issued) if expires > issued else None


def refresh_margin(lifetime: float) -> float:
    """How long before expiry to refresh on our own (a backstop for a lost ``token expiring``)."""
    return min(20.0, lifetime / 5.0)


def refresh_due(obtained_at: float, lifetime: float | None, now: float) -> bool:
    """Whether a token fetched at monotonic ``obtained_at`` should be refreshed ahead of time."""
    if lifetime is None:
        return False
    return now - obtained_at >= lifetime - refresh_margin(lifetime)


def redact_url(url: str) -> str:
    """A URL without user info, query or fragment: safe for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = "{0}:{1}".format(host, parts.port)
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def build_sslopt(validate_certs: bool, ca_path: str | None) -> dict:
    """websocket-client ``sslopt`` with the same meaning as the HTTP client's options."""
    if not validate_certs:
        return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "check_hostname": True}
    if ca_path:
        sslopt["ca_cert_path" if os.path.isdir(ca_path) else "ca_certs"] = ca_path
    return sslopt


def compile_pattern(pattern) -> re.Pattern | None:
    """A compiled regular expression (or None), with a ConsoleError for a bad one."""
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConsoleError("invalid regular expression {0!r}: {1}".format(pattern, exc),
                           code="bad regex", detail=str(exc)) from None


# --------------------------------------------------------------------------------------------
# the session
# --------------------------------------------------------------------------------------------

class _Collector:
    """Console lines gathered for one call, with its stop conditions."""

    def __init__(self, pattern: re.Pattern | None, max_lines: int | None):
        self.pattern = pattern
        self.max_lines = max_lines
        self.lines: list[str] = []
        self.matched = False

    def add(self, lines: list[str]) -> None:
        for line in lines:
            if self.done:
                return
            self.lines.append(line)
            if self.pattern is not None and self.pattern.search(line):
                self.matched = True

    @property
    def full(self) -> bool:
        return self.max_lines is not None and len(self.lines) >= self.max_lines

    @property
    def done(self) -> bool:
        return self.matched or self.full


class ConsoleSession:
    """One authenticated websocket to a server's Wings node. Use as a context manager."""

    def __init__(self, credentials: Callable[[], dict], *, origin: str, validate_certs: bool = True,
                 ca_path: str | None = None, timeout: float = 30.0, max_reconnects: int = 3):
        if not HAS_WEBSOCKET:
            raise ConsoleError("the websocket-client Python library is required for the console",
                               code="missing library", detail=WEBSOCKET_IMPORT_ERROR,
                               hint="install websocket-client on the controller (pip install websocket-client)")
        self._credentials = credentials
        self.origin = origin
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = float(timeout)
        self.max_reconnects = int(max_reconnects)
        self.socket_url: str | None = None       # redacted, for messages
        self.credential_fetches = 0              # credentials() calls (refreshes + reconnects + first)
        self.refreshes = 0                       # successful re-authentications on an open socket
        self.reconnects = 0                      # successful reconnects after a drop
        self._ws = None
        self._token: str | None = None
        self._token_obtained = 0.0
        self._token_lifetime: float | None = None
        self._auth_pending = False
        self._refreshes_without_success = 0
        self._authenticated = False
        self._state: str | None = None
        self._state_serial = 0                   # bumped on every state report
        self._last_stats: dict | None = None
        self._stats_serial = 0
        self._throttle_retried = False
        self._last_sent: dict[str, str] = {}
        self._collector: _Collector | None = None
        self._seen_states: list[str] | None = None   # wait_for_state's record of changes
        self._closed = False

    # ---- context manager / lifecycle -------------------------------------------------------

    def __enter__(self) -> "ConsoleSession":
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<ConsoleSession socket={0} origin={1} state={2} open={3}>".format(
            self.socket_url, self.origin, self._state, self._ws is not None)

    def open(self) -> None:
        """Connect, authenticate and learn the current state (bounded by ``timeout``)."""
        if self._ws is None:
            self._closed = False
            self._connect_and_auth()
            self._await_initial_state(time.monotonic() + self.timeout)

    def close(self) -> None:
        """Close the socket; the session can be opened again."""
        self._closed = True
        self._drop_socket(polite=True)

    # ---- public API ------------------------------------------------------------------------

    def state(self) -> str:
        """The server's current power state, as Wings reports it right now."""
        self.open()
        self._drain()
        if self._state is None:
            self.stats()
        return self._state

    def wait_for_state(self, states, timeout: float) -> tuple[str, list[str]]:
        """Wait until the state is one of ``states``: ``(state, states seen)``, else ConsoleTimeout.

        ``seen`` starts with the state at the call and lists each change (consecutive repeats
        folded). If nothing changes for a while, ``send stats`` resynchronises: Wings drops
        ``status`` events for slow readers.
        """
        wanted = {states} if isinstance(states, str) else set(states)
        self.open()
        seen = [self._state] if self._state else []
        self._seen_states = seen
        try:
            self._drain()
            self._wait_for(wanted, seen, timeout)
        finally:
            self._seen_states = None
        return self._state, seen

    def _wait_for(self, wanted: set[str], seen: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_change = time.monotonic()
        serial = self._state_serial
        while self._state not in wanted:
            now = time.monotonic()
            if now >= deadline:
                raise ConsoleTimeout(self._state, seen, wanted=wanted, timeout=timeout,
                                     path=self.socket_url)
            if now - last_change >= RESYNC_SECONDS:
                self._send("send stats")
                last_change = now
            self._next_event(min(deadline, now + POLL_SECONDS))
            if self._state_serial != serial:
                serial = self._state_serial
                last_change = time.monotonic()

    def run_command(self, send: Callable[[], None], *, wait_for=None, max_lines: int | None = None,
                    timeout: float = 10.0) -> dict:
        """Call ``send()`` (the panel's POST /command) and collect the console lines that follow.

        Lines already waiting before the call are not part of the output. Collection stops when
        ``wait_for`` (a regular expression) matches a line, after ``max_lines`` lines, or
        ``timeout`` seconds after ``send()`` returned.
        """
        pattern = compile_pattern(wait_for)
        self.open()
        self._drain()
        collector = _Collector(pattern, max_lines)
        self._collector = collector
        try:
            send()
            timed_out = self._collect(collector, time.monotonic() + timeout)
        finally:
            self._collector = None
        return {"output": collector.lines, "matched": collector.matched, "timed_out": timed_out}

    def follow(self, seconds: float, until=None, max_lines: int | None = None) -> dict:
        """Console lines for ``seconds``, or until ``until`` matches a line, or ``max_lines``.

        ``timed_out`` is true when ``until`` was given and did not match in time.
        """
        pattern = compile_pattern(until)
        self.open()
        self._drain()
        collector = _Collector(pattern, max_lines)
        self._collector = collector
        try:
            ran_out = self._collect(collector, time.monotonic() + seconds)
        finally:
            self._collector = None
        return {"output": collector.lines, "matched": collector.matched,
                "timed_out": ran_out and pattern is not None}

    def history(self) -> list[str]:
        """The recent console lines Wings keeps (``send logs``, up to 150).

        Wings replays nothing while the server is offline: the result is then ``[]`` after a
        short quiet period, and the caller should say that the server is offline.
        Live lines printed during the replay are included.
        """
        self.open()
        self._drain()
        offline = self._state == "offline"
        first_wait = OFFLINE_QUIET_SECONDS if offline else min(HISTORY_FIRST_LINE_SECONDS, self.timeout)
        collector = _Collector(None, None)
        self._collector = collector
        try:
            self._send("send logs")
            self._collect_until_quiet(collector, first_wait, time.monotonic() + self.timeout)
        finally:
            self._collector = None
        return collector.lines

    def stats(self) -> dict:
        """Live resource stats (``send stats``); also refreshes the known state."""
        self.open()
        self._drain()
        serial = self._stats_serial
        self._send("send stats")
        deadline = time.monotonic() + min(self.timeout, STATS_WAIT_SECONDS)
        while self._stats_serial == serial:
            if time.monotonic() >= deadline:
                raise ConsoleError("Wings did not answer 'send stats' within {0:g}s".format(
                    min(self.timeout, STATS_WAIT_SECONDS)), code="timeout", path=self.socket_url,
                    hint="check that the Wings node is healthy")
            self._next_event(deadline)
        return dict(self._last_stats)

    # ---- collection loops ------------------------------------------------------------------

    def _collect(self, collector: _Collector, deadline: float) -> bool:
        """Read until the collector is done; True when the deadline ended it."""
        while not collector.done:
            if time.monotonic() >= deadline:
                return True
            self._next_event(deadline)
        return False

    def _collect_until_quiet(self, collector: _Collector, first_wait: float, deadline: float) -> None:
        """Read until no line arrived for a quiet period (the first one may be longer)."""
        quiet_until = min(deadline, time.monotonic() + first_wait)
        count = 0
        while time.monotonic() < quiet_until:
            self._next_event(quiet_until)
            if len(collector.lines) != count:
                count = len(collector.lines)
                quiet_until = min(deadline, time.monotonic() + HISTORY_QUIET_SECONDS)

    def _await_initial_state(self, deadline: float) -> None:
        """After the first auth Wings sends ``status``; fall back to ``send stats``."""
        while self._state is None and time.monotonic() < deadline:
            self._next_event(min(deadline, time.monotonic() + POLL_SECONDS))
        if self._state is None:
            self.stats()

    def _drain(self) -> None:
        """Handle what is already buffered (state changes, refreshes), briefly and bounded."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            if not self._next_event(deadline, wait=0.01):
                return

    # ---- reading and dispatch --------------------------------------------------------------

    def _next_event(self, deadline: float, wait: float | None = None) -> bool:
        """Read and handle one frame; False when none came before ``deadline`` (or ``wait``)."""
        self._refresh_if_due()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        frame = self._recv(min(remaining, wait if wait is not None else POLL_SECONDS))
        if frame is None:
            return False
        event = parse_event(frame)
        if event is not None:
            self._dispatch(*event)
        return True

    def _recv(self, timeout: float):
        """One data frame (text or bytes), None on a read timeout or after a reconnect."""
        if self._ws is None:
            self._reconnect("the websocket was not connected")
            return None
        self._ws.settimeout(max(timeout, 0.001))
        try:
            opcode, data = self._ws.recv_data()
        except (websocket.WebSocketTimeoutException, TimeoutError):
            return None
        except (websocket.WebSocketException, OSError) as exc:
            self._reconnect(_describe_drop(exc))
            return None
        if opcode == OPCODE_CLOSE:
            self._on_close(data)
            return None
        if opcode in (OPCODE_TEXT, OPCODE_BINARY):
            return data
        return None

    def _dispatch(self, event: str, args: list[str]) -> None:
        handler = self._HANDLERS.get(event)
        if handler is not None:
            handler(self, args)

    def _on_auth_success(self, args: list[str]) -> None:
        if self._authenticated and self._auth_pending:
            self.refreshes += 1
        self._authenticated = True
        self._auth_pending = False
        self._refreshes_without_success = 0

    def _on_status(self, args: list[str]) -> None:
        if args:
            self._set_state(args[0])

    def _on_stats(self, args: list[str]) -> None:
        if not args:
            return
        stats = parse_stats(args[0])
        self._last_stats = stats
        self._stats_serial += 1
        if isinstance(stats.get("state"), str):
            self._set_state(stats["state"])

    def _on_console_output(self, args: list[str]) -> None:
        if self._collector is not None and args:
            self._collector.add(console_lines(args[0]))

    def _on_token_expiring(self, args: list[str]) -> None:
        if not self._expiry_signal_is_stale():
            self._refresh_token()

    def _on_jwt_error(self, args: list[str]) -> None:
        text = args[0] if args else ""
        if jwt_error_action(text) == "refresh":
            if not self._expiry_signal_is_stale():
                self._refresh_token()
            return
        detail = strip_event_prefix(text)
        hint = "check the user's websocket.connect permission on this server"
        if "server uuid mismatch" in detail:
            hint = "the token was issued for another server: check the server reference"
        raise ConsoleError("Wings rejected the websocket token: {0}".format(detail or "jwt error"),
                           code="jwt error", detail=text, hint=hint, path=self.socket_url)

    def _on_daemon_error(self, args: list[str]) -> None:
        text = args[0] if args else ""
        raise ConsoleError("Wings reported an error on the websocket: {0}".format(
            strip_event_prefix(text) or "daemon error"), code="daemon error", detail=text,
            path=self.socket_url, hint="see the Wings log for the 'Error Event' id")

    def _on_throttled(self, args: list[str]) -> None:
        scope = args[0] if args else "global"
        frame = self._last_sent.get(scope) if scope != "global" else self._last_sent.get("__last__")
        if not self._throttle_retried and frame is not None:
            self._throttle_retried = True   # back off once, then resend what was dropped
            time.sleep(1.0)
            self._send_raw(frame)
            return
        raise ConsoleError("Wings throttled the websocket ({0}): too many messages; try again "
                           "later".format(scope), code="throttled", detail=scope,
                           path=self.socket_url,
                           hint="other clients or tasks may be flooding this server's websocket")

    def _on_deleted(self, args: list[str]) -> None:
        raise ConsoleError("the server was deleted while the console was open", code="deleted",
                           status=CLOSE_GOING_AWAY, path=self.socket_url)

    _HANDLERS = {
        "auth success": _on_auth_success,
        "status": _on_status,
        "stats": _on_stats,
        "console output": _on_console_output,
        "token expiring": _on_token_expiring,
        "token expired": _on_token_expiring,
        "jwt error": _on_jwt_error,
        "daemon error": _on_daemon_error,
        "throttled": _on_throttled,
        "deleted": _on_deleted,
    }

    def _set_state(self, state: str) -> None:
        self._state = state
        self._state_serial += 1
        seen = self._seen_states
        if seen is not None and (not seen or seen[-1] != state):
            seen.append(state)

    # ---- tokens ----------------------------------------------------------------------------

    def _fetch_credentials(self) -> tuple[str, str]:
        """``(token, socket URL)`` from the panel; its PterodactylError propagates unchanged."""
        self.credential_fetches += 1
        creds = self._credentials()
        token = creds.get("token") if isinstance(creds, dict) else None
        socket_url = creds.get("socket") if isinstance(creds, dict) else None
        if not isinstance(token, str) or not token or not isinstance(socket_url, str) or not socket_url:
            raise ConsoleError("the panel's websocket credentials lack a token or a socket URL",
                               code="bad credentials",
                               hint="check that the panel URL points at a Pterodactyl panel")
        self._token = token
        self._token_obtained = time.monotonic()
        self._token_lifetime = token_lifetime(token)
        return token, socket_url

    def _expiry_signal_is_stale(self) -> bool:
        """An expiry signal about the token just replaced (or one being replaced) is ignored."""
        if self._auth_pending:
            return True
        return time.monotonic() - self._token_obtained < STALE_EXPIRY_SECONDS

    def _refresh_if_due(self) -> None:
        if self._ws is None or self._auth_pending or not self._authenticated:
            return
        if refresh_due(self._token_obtained, self._token_lifetime, time.monotonic()):
            self._refresh_token()

    def _refresh_token(self) -> None:
        """New credentials and a new ``auth`` on the same socket; reading goes on meanwhile."""
        if self._refreshes_without_success >= MAX_REFRESHES_WITHOUT_SUCCESS:
            raise ConsoleError("Wings keeps rejecting fresh websocket tokens as expired",
                               code="jwt error", path=self.socket_url,
                               hint="check that the panel's and the Wings node's clocks agree, "
                                    "and that Wings was not restarted with a different token")
        self._refreshes_without_success += 1
        token, _socket = self._fetch_credentials()
        self._auth_pending = True
        self._send_raw(json.dumps({"event": "auth", "args": [token]}), event="auth")

    # ---- connection ------------------------------------------------------------------------

    def _connect_and_auth(self) -> None:
        token, socket_url = self._fetch_credentials()
        self.socket_url = redact_url(socket_url)
        self._ws = self._connect(socket_url)
        self._authenticated = False
        self._auth_pending = True
        try:
            self._ws.send(json.dumps({"event": "auth", "args": [token]}))
        except (websocket.WebSocketException, OSError) as exc:
            self._drop_socket()
            raise ConsoleError("the websocket closed before authentication: {0}".format(
                _describe_drop(exc)), code="connection", path=self.socket_url) from None
        deadline = time.monotonic() + self.timeout
        while not self._authenticated:
            if time.monotonic() >= deadline:
                self._drop_socket()
                raise ConsoleError("Wings did not confirm authentication within {0:g}s".format(
                    self.timeout), code="timeout", path=self.socket_url,
                    hint="check that the Wings node is healthy and reachable")
            frame = self._recv_during_auth(deadline)
            if frame is not None:
                event = parse_event(frame)
                if event is not None:
                    self._dispatch(*event)

    def _recv_during_auth(self, deadline: float):
        """Like ``_recv`` but a drop here is an error, not a reconnect (no recursion)."""
        self._ws.settimeout(max(min(deadline - time.monotonic(), POLL_SECONDS), 0.001))
        try:
            opcode, data = self._ws.recv_data()
        except (websocket.WebSocketTimeoutException, TimeoutError):
            return None
        except (websocket.WebSocketException, OSError) as exc:
            self._drop_socket()
            raise ConsoleError("the websocket closed during authentication: {0}".format(
                _describe_drop(exc)), code="connection", path=self.socket_url) from None
        if opcode == OPCODE_CLOSE:
            self._on_close(data, reconnect=False)
        return data if opcode in (OPCODE_TEXT, OPCODE_BINARY) else None

    def _connect(self, socket_url: str):
        """The upgraded websocket, or a ConsoleError that says what to fix."""
        options = {"origin": self.origin, "timeout": self.timeout,
                   "enable_multithread": False}
        if socket_url.startswith("wss:"):
            options["sslopt"] = build_sslopt(self.validate_certs, self.ca_path)
        try:
            return websocket.create_connection(socket_url, **options)
        except websocket.WebSocketBadStatusException as exc:
            raise self._handshake_error(exc) from None
        except ssl.SSLError as exc:
            raise ConsoleError("TLS failed on the Wings websocket {0}: {1}".format(
                self.socket_url, exc.__class__.__name__), code="tls", detail=str(exc),
                path=self.socket_url,
                hint="set ca_path to the CA that signed the Wings certificate, or validate_certs: false") from None
        except (websocket.WebSocketException, OSError) as exc:
            raise ConsoleError("cannot connect to the Wings websocket {0}: {1}".format(
                self.socket_url, _describe_drop(exc)), code="connection", path=self.socket_url,
                hint="the controller must reach the node's FQDN and daemon port "
                     "that the panel advertises") from None

    def _handshake_error(self, exc) -> ConsoleError:
        status = getattr(exc, "status_code", None)
        if status == 403:
            return ConsoleError(
                "Wings refused the websocket (HTTP 403): the Origin header '{0}' must equal the "
                "panel URL configured in Wings (remote / allowed_origins); set websocket_origin".format(
                    self.origin), status=403, code="origin", path=self.socket_url,
                detail=_body_text(getattr(exc, "resp_body", None)))
        if status == 404:
            return ConsoleError("Wings does not know this server (HTTP 404 on the websocket)",
                                status=404, code="not found", path=self.socket_url,
                                hint="the server may have been deleted or moved to another node")
        return ConsoleError("Wings refused the websocket (HTTP {0})".format(status), status=status,
                            code="handshake", path=self.socket_url,
                            detail=_body_text(getattr(exc, "resp_body", None)),
                            hint="check the Wings log; a proxy in front of Wings must pass websockets")

    def _reconnect(self, reason: str) -> None:
        """Fresh credentials, a new socket, auth, then ``send stats`` to resynchronise state."""
        self._drop_socket()
        if self._closed:
            raise ConsoleError("the console session is closed", code="closed", path=self.socket_url)
        last_error = None
        for attempt in range(self.max_reconnects):
            time.sleep(RECONNECT_BACKOFF[min(attempt, len(RECONNECT_BACKOFF) - 1)])
            try:
                self._connect_and_auth()
            except ConsoleError as exc:
                if exc.code in TERMINAL_CODES:
                    raise
                last_error = exc
                continue
            self.reconnects += 1
            self._send("send stats")
            return
        raise ConsoleError("lost the Wings websocket ({0}) and could not reconnect after {1} "
                           "attempts: {2}".format(reason, self.max_reconnects, last_error),
                           code="connection", path=self.socket_url,
                           hint="check that the Wings node is up and reachable") from None

    def _on_close(self, data, reconnect: bool = True) -> None:
        code, reason = parse_close(data)
        self._drop_socket()
        if code == CLOSE_SUSPENDED:
            raise ConsoleError("Wings closed the websocket: the server is suspended", status=code,
                               code="suspended", detail=reason, path=self.socket_url,
                               hint="unsuspend the server in the panel")
        if code == CLOSE_GOING_AWAY or (code is not None and 4000 <= code < 5000):
            raise ConsoleError("Wings closed the websocket ({0}{1})".format(
                code, ": " + reason if reason else ""), status=code,
                code="deleted" if code == CLOSE_GOING_AWAY else "closed", detail=reason,
                path=self.socket_url)
        description = "closed by Wings with code {0}".format(code)
        if not reconnect:
            raise ConsoleError("the websocket was {0} during authentication".format(description),
                               status=code, code="connection", detail=reason, path=self.socket_url)
        self._reconnect(description)

    def _drop_socket(self, polite: bool = False) -> None:
        """Forget the socket; ``polite`` sends a close frame first (bounded), else just shut it."""
        ws, self._ws = self._ws, None
        self._authenticated = False
        self._auth_pending = False
        if ws is None:
            return
        try:
            if polite:
                ws.close(timeout=0.5)
            else:
                ws.shutdown()
        except (websocket.WebSocketException, OSError):
            pass

    # ---- sending ---------------------------------------------------------------------------

    def _send(self, event: str, args: list[str] | None = None) -> None:
        frame = {"event": event}
        if args:
            frame["args"] = args
        self._send_raw(json.dumps(frame), event=event)

    def _send_raw(self, frame: str, event: str | None = None) -> None:
        """Send one frame; a failure triggers a reconnect (which re-authenticates itself)."""
        if event is not None:
            self._last_sent[event] = frame
        self._last_sent["__last__"] = frame
        for _attempt in range(2):
            if self._ws is None:
                self._reconnect("the websocket was not connected")
            elif not self._try_send(frame):
                self._reconnect("sending failed")
            else:
                return
            if event == "auth":
                return          # the reconnect authenticated with fresh credentials already
        raise ConsoleError("cannot send on the Wings websocket after reconnecting",
                           code="connection", path=self.socket_url)

    def _try_send(self, frame: str) -> bool:
        try:
            self._ws.send(frame)
        except (websocket.WebSocketException, OSError):
            return False
        return True


def _describe_drop(exc: BaseException) -> str:
    """A short description of a connection failure (never the URL query nor a frame)."""
    text = str(exc).strip()
    name = exc.__class__.__name__
    return "{0}: {1}".format(name, text[:200]) if text else name


def _body_text(body) -> str | None:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return body[:500] if isinstance(body, str) else None
