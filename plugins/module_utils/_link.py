# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The link to a server's Wings websocket: connect with ``Origin``, authenticate, renew the token,
reconnect, send within Wings 1.12's limits. Private to the collection.

``WingsLink`` owns the socket and the token; what Wings says about the server (states, stats,
console lines, other events) goes to ``_on_server_event``, which ``_console.ConsoleSession``
implements. After a drop it reconnects in a bounded loop with the backoff of ``_retry`` (never a
recursion between sending and reconnecting), then calls ``_after_reconnect``. The token never
appears in an error, a result or ``repr``.
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

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _token, _wings, _wings_errors
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._retry import Backoff

POLL_SECONDS = 1.0  # longest single socket read, so refresh/resync checks run regularly
THROTTLE_PAUSE_SECONDS = 1.0  # after "throttled": wait this long, then resend once
_LAST_FRAME = "__last__"  # key of the last frame sent, whatever its event
_DROPS = (websocket.WebSocketException, OSError) if HAS_WEBSOCKET else (OSError,)
_READ_TIMEOUTS = (websocket.WebSocketTimeoutException, TimeoutError) if HAS_WEBSOCKET else (TimeoutError,)


class WingsLink:
    """One authenticated websocket to a Wings node, kept open across token expiry and drops.

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
        self._budget = _wings.SendBudget()
        self._throttle_retried = False
        self._last_sent: dict[str, str] = {}
        self._closed = False

    @property
    def credential_fetches(self) -> int:
        """credentials() calls (first + refreshes + reconnects)."""
        return self._token.fetches

    def close(self) -> None:
        """Close the socket; the link can be opened again."""
        self._closed = True
        self._drop_socket(polite=True)

    # -- what a session on the link implements --

    def _on_server_event(self, event: str, args: list[str]) -> bool:
        """Take in an event about the server; False when it is not one (auth, tokens, errors)."""
        return False

    def _after_reconnect(self) -> None:
        """Called once a reconnect authenticated: resynchronise what the session knows."""

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
        if parsed is None or self._on_server_event(*parsed):
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
            elif event == _wings.EVENT_JWT_ERROR and _wings.JWT_DENYLIST in text and not self._authenticated:
                # The only token sent on this socket was denied: issued in the same second as the
                # user's tokens were revoked (a permission change; Wings compares whole seconds).
                # One issued in the next second passes; MAX_REFRESHES_WITHOUT_SUCCESS bounds this.
                self._sleep(_wings.next_second_delay(time.time()))
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
        """Fresh credentials, a new socket, auth, then ``send stats`` to resynchronise the state, and
        ``_after_reconnect`` (the console session closes the gap from Wings' history).

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
                self._after_reconnect()
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
