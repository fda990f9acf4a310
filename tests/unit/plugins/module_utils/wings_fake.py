# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A scripted in-memory Wings websocket for ConsoleSession's tests (test_console*.py): no network.

``FakeWings`` answers like Wings (auth success + status, stats, logs while running) and records what
the session sent; ``FakeSocket.push`` queues an event, ``later`` delays what follows. The ``wings``
fixture (conftest.py) puts it in place of websocket-client's ``create_connection``.
"""

from __future__ import annotations

import base64
import collections
import json
import time

import websocket

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _console, _wings

SOCKET_URL = "ws://127.0.0.1:9/api/servers/0000-uuid/ws"
ORIGIN = "http://panel.test"


def make_token(serial: int, lifetime: int = 600, scope: str | None = "websocket") -> str:
    claims = {"iat": 1000, "exp": 1000 + lifetime, "n": serial, "permissions": ["*"]}
    if scope is not None:  # panels from 1.12.3 (and Pelican) add it; older ones do not
        claims["scope"] = scope
    claims = json.dumps(claims).encode()
    body = base64.urlsafe_b64encode(claims).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.secret-signature-{serial}"


def frame(event: str, *args: str) -> tuple[int, str]:
    message = {"event": event}
    if args:
        message["args"] = list(args)
    return _wings.OPCODE_TEXT, json.dumps(message) + "\n"


def is_gate(item) -> bool:
    return isinstance(item, tuple) and item[0] == "gate"


class FakeSocket:
    def __init__(self, wings: FakeWings):
        self.wings = wings
        self.inbox: collections.deque = collections.deque()
        self.sent: list[dict] = []
        self.timeout = None
        self.authenticated = False
        self.closed = False
        self.send_budget = wings.send_budget  # sends that succeed before the socket drops (None: all)

    def settimeout(self, timeout):
        self.timeout = timeout

    def push(self, event: str, *args: str) -> None:
        self.inbox.append(frame(event, *args))

    def send(self, data: str) -> None:
        if self.closed or self.send_budget == 0:
            raise websocket.WebSocketConnectionClosedException("socket is already closed.")
        if self.send_budget is not None:
            self.send_budget -= 1
        message = json.loads(data)
        self.sent.append(message)
        self.wings.on_message(self, message)

    def later(self, delay: float) -> None:
        """Frames pushed after this arrive ``delay`` seconds from now (a gate in the inbox)."""
        self.inbox.append(("gate", time.monotonic() + delay))

    def recv_data(self):
        if self.inbox and is_gate(self.inbox[0]):
            if time.monotonic() < self.inbox[0][1]:
                time.sleep(min(self.timeout or 0.01, 0.01))
                raise websocket.WebSocketTimeoutException("timed out")
            self.inbox.popleft()
        if self.inbox and not is_gate(self.inbox[0]):
            item = self.inbox.popleft()
            if isinstance(item, BaseException):
                raise item
            return item
        time.sleep(min(self.timeout or 0.01, 0.01))
        raise websocket.WebSocketTimeoutException("timed out")

    def shutdown(self):
        self.closed = True

    def close(self, timeout=None):
        self.closed = True


class FakeWings:
    """Answers like Wings: auth success + status on first auth, stats, logs while running."""

    def __init__(self, state: str = "running", lifetime: int = 600):
        self.state = state
        self.lifetime = lifetime
        self.sockets: list[FakeSocket] = []
        self.origins: list[str] = []
        self.tokens: list[str] = []
        self.history = [f"[12:00:00] [Server thread/INFO]: line {i}" for i in range(5)]
        self.handshake_status: int | None = None
        self.on_auth = None  # hook(socket, message) run after the auth answer
        self.throttle_next: set[str] = set()  # events answered once with "throttled"
        self.sleeps: list[float] = []  # the session's sleeps (reconnect and throttle delays)
        self.send_budget: int | None = None  # for new sockets
        self.refusals = 0  # connections refused before the next one is accepted
        self.scope: str | None = "websocket"  # None: a panel older than 1.12.3
        self.on_logs = None  # hook(socket) answering "send logs" instead of the plain history
        self.denied_auths = 0  # the next auths answered with the denylist's jwt error (tokens revoked that second)

    def credentials(self) -> dict:
        self.tokens.append(make_token(len(self.tokens) + 1, self.lifetime, self.scope))
        return {"token": self.tokens[-1], "socket": SOCKET_URL}

    def create_connection(self, url, **options):
        self.origins.append(options.get("origin"))
        if self.refusals:
            self.refusals -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        if self.handshake_status:
            raise websocket.WebSocketBadStatusException(
                "Handshake status 403 Forbidden", self.handshake_status, "Forbidden", {}, b"Forbidden"
            )
        self.sockets.append(FakeSocket(self))
        return self.sockets[-1]

    def on_message(self, sock: FakeSocket, message: dict) -> None:
        event = message["event"]
        if event == "auth" and self.denied_auths:
            self.denied_auths -= 1
            sock.push("jwt error", "jwt: created too far in past (denylist)")
        elif event == "auth":
            first = not sock.authenticated
            sock.authenticated = True
            sock.push("auth success")
            if first:
                sock.push("status", self.state)
            if self.on_auth:
                self.on_auth(sock, message)
        elif event in self.throttle_next:
            self.throttle_next.discard(event)
            sock.push("throttled", event)
        elif event == "send stats":
            sock.push("stats", json.dumps({"state": self.state, "memory_bytes": 42}))
        elif event == "send logs" and self.on_logs is not None:
            self.on_logs(sock)
        elif event == "send logs" and self.state != "offline":
            for line in self.history:
                sock.push("console output", line)

    @property
    def socket(self) -> FakeSocket:
        return self.sockets[-1]


def session(wings, **kwargs) -> _console.ConsoleSession:
    kwargs.setdefault("timeout", 2.0)
    con = _console.ConsoleSession(wings.credentials, origin=ORIGIN, **kwargs)
    con._sleep = wings.sleeps.append  # record the delays instead of sleeping
    return con


def assert_no_token(wings: FakeWings, *texts) -> None:
    for token in wings.tokens:
        for text in texts:
            assert token not in text
            assert token.split(".")[2] not in text
