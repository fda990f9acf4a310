# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A console session on a server's Wings websocket: the real power state, console lines, live stats.

``ConsoleSession`` sends the ``Origin`` header and ``auth`` before anything else, refreshes the
token on the same socket (``_token.WebsocketToken``), and after a drop reconnects in a bounded loop with the
backoff of ``_retry``, then resynchronises with ``send stats`` and closes the console gap from Wings'
history (``_stream``, ``_splice``). The protocol itself (frames, close codes, Wings 1.12's send limits)
is ``_wings``, its failures ``_wings_errors``. Single-threaded: the socket is read only while a method
runs, and what Wings sends in between waits in the socket buffer for the next call. Every wait has a
deadline. The token never appears in an error, a result or ``repr``. Private to the collection.
"""

from __future__ import annotations

import contextlib
import ssl
import time
import traceback
from collections.abc import Callable

try:
    import websocket
except ImportError:
    websocket = None
    HAS_WEBSOCKET = False
    WEBSOCKET_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_WEBSOCKET = True
    WEBSOCKET_IMPORT_ERROR = None

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _stream, _token, _wings, _wings_errors
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError, ConsoleTimeout
from ansible_collections.gameops.pterodactyl.plugins.module_utils._retry import Backoff

POLL_SECONDS = 1.0  # longest single socket read, so refresh/resync checks run regularly
RESYNC_SECONDS = 5.0  # wait_for_state: ask for stats when nothing changed for this long
REPLAY_POLL_SECONDS = 0.1  # longest single read while a replay is under way (its end is timed)
SETTLE_SECONDS = _stream.LEAD_SECONDS + _stream.REPLAY_SECONDS + 1.0  # the longest wait for a replay
STATS_WAIT_SECONDS = 10.0
DRAIN_SECONDS = 1.0  # most time spent reading what is already buffered
THROTTLE_PAUSE_SECONDS = 1.0  # after "throttled": wait this long, then resend once
_LAST_FRAME = "__last__"  # key of the last frame sent, whatever its event
_DROPS = (websocket.WebSocketException, OSError) if HAS_WEBSOCKET else (OSError,)
_READ_TIMEOUTS = (websocket.WebSocketTimeoutException, TimeoutError) if HAS_WEBSOCKET else (TimeoutError,)


class ConsoleSession:
    """One authenticated websocket to a server's Wings node. Use as a context manager.

    ``_sleep`` and ``_backoff`` (reconnect delays: the HTTP retries' policy) are replaceable in tests."""

    def __init__(
        self,
        credentials: Callable[[], dict],
        *,
        origin: str,
        validate_certs: bool = True,
        ca_path: str | None = None,
        timeout: float = 30.0,
        max_reconnects: int = 3,
    ) -> None:
        if not HAS_WEBSOCKET:
            raise _wings_errors.missing_library(WEBSOCKET_IMPORT_ERROR)
        self._token = _token.WebsocketToken(credentials)
        self.origin = origin
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = float(timeout)
        self.max_reconnects = int(max_reconnects)
        self.socket_url: str | None = None  # redacted, for messages
        self.refreshes = 0  # successful re-authentications on an open socket
        self.reconnects = 0  # successful reconnects after a drop
        self.throttled_events = 0  # "throttled" events received: none while the limits are kept
        self._sleep: Callable[[float], None] = time.sleep
        self._backoff = Backoff()
        self._ws = None
        self._authenticated = False
        self._reconnecting = False
        self._view = _wings.ServerView()
        self._stream = _stream.ConsoleStream()
        self._view.on_lines = lambda lines: self._stream.receive(lines, time.monotonic())
        self._budget = _wings.SendBudget()
        self._throttle_retried = False
        self._last_sent: dict[str, str] = {}
        self._closed = False

    @property
    def credential_fetches(self) -> int:
        """credentials() calls (first + refreshes + reconnects)."""
        return self._token.fetches

    @property
    def recent_lines(self) -> list[str]:
        """The last console lines seen (up to 30, oldest first, Wings' own messages included), kept at
        all times, also while only a power state is awaited: for "the last lines seen" in a failure."""
        return self._stream.recent_lines()

    def continuity(self) -> dict:
        """``reconnects``, ``gap_closed`` (every line printed while the websocket was down was
        recovered from Wings' history), ``missed_lines`` (0, or None: unknown) and ``console_gaps``
        (one record per reconnect: ``closed``, ``missed_lines``, ``recovered_lines``, ``reason``)."""
        return _stream.summary(self._stream.gaps, self.reconnects)

    def continuity_warning(self) -> str | None:
        """A warning for the task when some gap could not be closed, else None."""
        return _stream.warning(self.continuity())

    def __enter__(self) -> ConsoleSession:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<ConsoleSession socket={self.socket_url} origin={self.origin} state={self._view.state} "
            f"open={self._ws is not None}>"
        )

    def open(self) -> None:
        """Connect, authenticate and learn the current state (bounded by ``timeout``)."""
        if self._ws is None:
            self._closed = False
            self._connect_and_auth()
            deadline = time.monotonic() + self.timeout
            while self._view.state is None and time.monotonic() < deadline:  # Wings sends "status" after auth
                self._next_event(min(deadline, time.monotonic() + POLL_SECONDS))
            if self._view.state is None:
                self.stats()

    def close(self) -> None:
        """Close the socket; the session can be opened again."""
        self._closed = True
        self._drop_socket(polite=True)

    def state(self) -> str:
        """The server's current power state, as Wings reports it right now."""
        self.open()
        self._drain()
        if self._view.state is None:
            self.stats()
        return self._view.state

    def wait_for_state(self, states, timeout: float) -> tuple[str, list[str]]:
        """Wait until the state is one of ``states``: ``(state, states seen)``, else ConsoleTimeout.

        ``seen`` starts with the state at the call and lists each change (repeats folded). When nothing
        changes for a while, ``send stats`` resynchronises (Wings drops ``status`` events for slow readers)."""
        wanted = {states} if isinstance(states, str) else set(states)
        self.open()
        seen = self._view.seen = [self._view.state] if self._view.state else []
        try:
            self._drain()
            last_change = time.monotonic()
            deadline, serial = last_change + timeout, self._view.state_serial
            while self._view.state not in wanted:
                now = time.monotonic()
                if now >= deadline:
                    raise ConsoleTimeout(self._view.state, seen, wanted=wanted, timeout=timeout, path=self.socket_url)
                if now - last_change >= RESYNC_SECONDS:
                    self._send(_wings.EVENT_SEND_STATS)
                    last_change = now
                self._next_event(min(deadline, now + POLL_SECONDS))
                if self._view.state_serial != serial:
                    serial, last_change = self._view.state_serial, time.monotonic()
        finally:
            self._view.seen = None
        return self._view.state, seen

    def run_command(
        self, send: Callable[[], None], *, wait_for=None, max_lines: int | None = None, timeout: float = 10.0
    ) -> dict:
        """Call ``send()`` (the panel's POST /command) and collect the console lines that follow (not those
        already waiting): until ``wait_for`` (a regex) matches a line, ``max_lines``, or ``timeout`` seconds."""
        collector, timed_out = self._lines(send, wait_for, max_lines, timeout)
        return {"output": collector.lines, "matched": collector.matched, "timed_out": timed_out}

    def follow(self, seconds: float, until=None, max_lines: int | None = None) -> dict:
        """Console lines for ``seconds``, or until ``until`` matches a line, or ``max_lines``.
        ``timed_out`` is true when ``until`` was given and did not match in time."""
        collector, ran_out = self._lines(None, until, max_lines, seconds)
        timed_out = ran_out and collector.pattern is not None
        return {"output": collector.lines, "matched": collector.matched, "timed_out": timed_out}

    def history(self) -> list[str]:
        """The recent console lines Wings keeps (``send logs``, up to 150), then the live lines that came
        while they were read, each once and in order. ``[]`` for a server that is not running: Wings
        replays nothing for it."""
        self.open()
        self._drain()
        self._settle()
        if self._view.state == "offline":
            return []
        self._stream.begin(time.monotonic(), reconnect=False)
        self._settle()
        return list(self._stream.history)

    def stats(self) -> dict:
        """Live resource stats (``send stats``); also refreshes the known state."""
        self.open()
        self._drain()
        serial = self._view.stats_serial
        self._send(_wings.EVENT_SEND_STATS)
        waited = min(self.timeout, STATS_WAIT_SECONDS)
        deadline = time.monotonic() + waited
        while self._view.stats_serial == serial:
            if time.monotonic() >= deadline:
                raise _wings_errors.no_answer("answer 'send stats'", waited, _wings_errors.HEALTHY, self.socket_url)
            self._next_event(deadline)
        return dict(self._view.stats)

    def _lines(self, send, pattern, max_lines: int | None, seconds: float) -> tuple[_wings.Collector, bool]:
        """Collect lines after ``send()`` (when given) until done; True when the deadline ended it.

        At the deadline a replay under way is let finish: its lines were printed before it."""
        collector = _wings.Collector(_wings.compile_pattern(pattern), max_lines)
        self.open()
        self._drain()
        self._settle()
        self._stream.collector = collector
        try:
            if send is not None:
                send()
            deadline = time.monotonic() + seconds
            while not collector.done and time.monotonic() < deadline:
                self._next_event(deadline)
            if not collector.done:
                self._settle()
            return collector, not collector.done
        finally:
            self._stream.collector = None

    def _settle(self) -> None:
        """Let a replay under way finish (bounded); its lines are held back until it does."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while self._stream.pending and time.monotonic() < deadline:
            self._next_event(deadline)
        self._stream.finish(time.monotonic())

    def _drain(self) -> None:
        """Handle what is already buffered (state changes, refreshes), briefly and bounded."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            if not self._next_event(deadline, wait=0.01):
                return

    def _next_event(self, deadline: float, wait: float | None = None) -> bool:
        """Read and handle one frame; False when none came before ``deadline`` (or ``wait``)."""
        if self._ws is not None and self._authenticated and self._token.due():
            self._refresh_token()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        wait = min(remaining, POLL_SECONDS if wait is None else wait)
        frame = self._recv(min(wait, REPLAY_POLL_SECONDS) if self._stream.pending else wait)
        if frame is not None:
            self._dispatch(frame)
        if self._stream.step(time.monotonic(), self._view.state):
            self._send(_wings.EVENT_SEND_LOGS)  # once per replay, after the early lines came
        return frame is not None

    def _recv(self, timeout: float, during_auth: bool = False):
        """One data frame, None on a read timeout or after a reconnect (during auth a drop is an error)."""
        if self._ws is None:
            self._reconnect("the websocket was not connected")
            return None
        self._ws.settimeout(max(timeout, 0.001))
        try:
            opcode, data = self._ws.recv_data()
        except _READ_TIMEOUTS:
            return None
        except _DROPS as exc:
            if not during_auth:
                self._reconnect(_wings.describe_drop(exc))
                return None
            self._drop_socket()
            raise _wings_errors.lost_in_auth("during", exc, self.socket_url) from None
        if opcode == _wings.OPCODE_CLOSE:
            self._on_close(data, reconnect=not during_auth)
            return None
        return data if opcode in (_wings.OPCODE_TEXT, _wings.OPCODE_BINARY) else None

    def _dispatch(self, frame) -> None:
        """Handle one frame: server news goes to the view; tokens, throttling and errors here."""
        parsed = _wings.parse_event(frame)
        if parsed is None or self._view.apply(*parsed):
            return
        event, args = parsed
        text = args[0] if args else ""
        if event == _wings.EVENT_AUTH_SUCCESS:
            if self._token.confirm() and self._authenticated:
                self.refreshes += 1
            self._authenticated = True
        elif event in (_wings.EVENT_TOKEN_EXPIRING, _wings.EVENT_TOKEN_EXPIRED) or (
            event == _wings.EVENT_JWT_ERROR and _wings.jwt_error_action(text) == "refresh"
        ):
            if not self._token.signal_is_stale():
                self._refresh_token()
        elif event == _wings.EVENT_THROTTLED:
            self.throttled_events += 1
            self._on_throttled(text or "global")
        else:
            scoped = _wings.token_has_scope(self._token.value)
            error = _wings_errors.event_error(event, text, self.socket_url, scoped)
            if error is not None:
                raise error

    def _on_throttled(self, scope: str) -> None:
        frame = self._last_sent.get(_LAST_FRAME if scope == "global" else scope)
        if self._throttle_retried or frame is None:
            raise _wings_errors.throttled_error(scope, self.socket_url)
        self._throttle_retried = True  # back off once, then resend what was dropped
        self._sleep(THROTTLE_PAUSE_SECONDS)
        self._send_raw(frame, event=None if scope == "global" else scope)

    def _refresh_token(self) -> None:
        """New credentials and a new ``auth`` on the same socket; reading goes on meanwhile."""
        token = self._token.refresh(self.socket_url)
        self._send_raw(_wings.encode_event(_wings.EVENT_AUTH, [token]), event=_wings.EVENT_AUTH)

    def _connect_and_auth(self) -> None:
        socket_url = self._token.fetch()
        self.socket_url = _wings.redact_url(socket_url)
        self._ws = self._connect(socket_url)
        self._authenticated = False
        self._token.pending = True
        self._budget = _wings.SendBudget()  # Wings' buckets are per socket
        self._budget.take(_wings.EVENT_AUTH, time.monotonic())
        try:
            self._ws.send(_wings.encode_event(_wings.EVENT_AUTH, [self._token.value]))
        except _DROPS as exc:
            self._drop_socket()
            raise _wings_errors.lost_in_auth("before", exc, self.socket_url) from None
        deadline = time.monotonic() + self.timeout
        while not self._authenticated:
            if time.monotonic() >= deadline:
                self._drop_socket()
                hint = _wings_errors.HEALTHY + " and reachable"
                raise _wings_errors.no_answer("confirm authentication", self.timeout, hint, self.socket_url)
            frame = self._recv(min(deadline - time.monotonic(), POLL_SECONDS), during_auth=True)
            if frame is not None:
                self._dispatch(frame)

    def _connect(self, socket_url: str):
        """The upgraded websocket, or a ConsoleError that says what to fix."""
        options = {"origin": self.origin, "timeout": self.timeout, "enable_multithread": False}
        if socket_url.startswith("wss:"):
            options["sslopt"] = _wings.build_sslopt(self.validate_certs, self.ca_path)
        try:
            return websocket.create_connection(socket_url, **options)
        except websocket.WebSocketBadStatusException as exc:
            status, body = getattr(exc, "status_code", None), getattr(exc, "resp_body", None)
            raise _wings_errors.handshake_error(status, self.origin, body, self.socket_url) from None
        except ssl.SSLError as exc:
            raise _wings_errors.tls_error(exc, self.socket_url) from None
        except _DROPS as exc:
            raise _wings_errors.connect_error(exc, self.socket_url) from None

    def _reconnect(self, reason: str) -> None:
        """Fresh credentials, a new socket, auth, then ``send stats`` to resynchronise the state; the
        console gap is closed from Wings' history as the next reads go on (``_stream``).

        A bounded loop, never a recursion: up to ``max_reconnects`` attempts after backoff delays. A
        failure in an attempt (even of its ``send stats``) ends that attempt; nothing reconnects again."""
        self._drop_socket()
        if self._closed:
            raise ConsoleError("the console session is closed", code="SessionClosed", path=self.socket_url)
        last_error: ConsoleError | None = None
        self._reconnecting = True
        try:
            for attempt in range(1, self.max_reconnects + 1):
                self._sleep(self._backoff.delay(attempt))
                try:
                    self._connect_and_auth()
                    self._send(_wings.EVENT_SEND_STATS)
                except ConsoleError as exc:
                    self._drop_socket()
                    if exc.code in _wings.TERMINAL_CODES:
                        raise
                    last_error = exc
                    continue
                self.reconnects += 1
                self._stream.begin(time.monotonic(), reconnect=True)
                return
        finally:
            self._reconnecting = False
        raise _wings_errors.reconnect_failed(reason, self.max_reconnects, last_error, self.socket_url) from None

    def _on_close(self, data, reconnect: bool = True) -> None:
        code, reason = _wings.parse_close(data)
        self._drop_socket()
        error = _wings_errors.close_error(code, reason, self.socket_url, during_auth=not reconnect)
        if error is not None:
            raise error
        self._reconnect(f"closed by Wings with code {code}")

    def _drop_socket(self, polite: bool = False) -> None:
        """Forget the socket; ``polite`` sends a close frame first (bounded), else just shut it."""
        ws, self._ws = self._ws, None
        self._authenticated = False
        self._token.pending = False
        if ws is not None:
            with contextlib.suppress(*_DROPS):
                if polite:
                    ws.close(timeout=0.5)
                else:
                    ws.shutdown()

    def _send(self, event: str, args: list[str] | None = None) -> None:
        self._send_raw(_wings.encode_event(event, args), event=event)

    def _send_raw(self, frame: str, event: str | None = None) -> None:
        """Send one frame within Wings 1.12's limits (waiting if needed); on failure one reconnect (it
        authenticates) and one retry; never nested."""
        delay = self._budget.take(event or "", time.monotonic())  # Wings 1.12 drops what exceeds it
        if delay > 0 and event != _wings.EVENT_AUTH:  # a late refresh would let the token expire
            self._sleep(delay)
        if event is not None:
            self._last_sent[event] = frame
        self._last_sent[_LAST_FRAME] = frame
        connected = self._ws is not None
        if self._try_send(frame):
            return
        reason = "sending failed" if connected else "the websocket was not connected"
        if self._reconnecting:
            self._drop_socket()
            raise _wings_errors.connection_lost(
                f"the websocket was lost again while reconnecting ({reason})", self.socket_url
            )
        self._reconnect(reason)
        if event == _wings.EVENT_AUTH or self._try_send(frame):
            return  # an auth frame: the reconnect authenticated with fresh credentials already
        self._drop_socket()
        raise _wings_errors.connection_lost("cannot send on the Wings websocket after reconnecting", self.socket_url)

    def _try_send(self, frame: str) -> bool:
        if self._ws is None:
            return False
        try:
            self._ws.send(frame)
        except _DROPS:
            return False
        return True
