# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Wings websocket protocol without the socket: event names, frames, close codes, tokens.

Everything here is pure (no socket, no clock, no panel call), so each decision of the console
session can be tested on its own. Malformed input raises :class:`ConsoleError` with a code of
``CLIENT_CODES``; the websocket's failures become errors in ``_wings_errors``. Private to the
collection.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError

STATES = ("offline", "starting", "running", "stopping")

# Events the session sends.
EVENT_AUTH = "auth"
EVENT_SEND_STATS = "send stats"
EVENT_SEND_LOGS = "send logs"
# Events Wings sends.
EVENT_AUTH_SUCCESS = "auth success"
EVENT_STATUS = "status"
EVENT_STATS = "stats"
EVENT_CONSOLE_OUTPUT = "console output"
EVENT_TOKEN_EXPIRING = "token expiring"
EVENT_TOKEN_EXPIRED = "token expired"
EVENT_JWT_ERROR = "jwt error"
EVENT_DAEMON_ERROR = "daemon error"
EVENT_THROTTLED = "throttled"
EVENT_DELETED = "deleted"
EVENT_BACKUP_COMPLETED = (
    "backup completed"  # args[0]: JSON {"checksum", "checksum_type", "file_size", "is_successful", "uuid"}
)
EVENT_BACKUP_RESTORE_COMPLETED = "backup restore completed"
EVENT_INSTALL_STARTED = "install started"
EVENT_INSTALL_OUTPUT = "install output"  # one line of the install script (admins only: admin.websocket.install)
EVENT_INSTALL_COMPLETED = "install completed"
EVENT_DAEMON_MESSAGE = "daemon message"
# Server news a session keeps for waits (ConsoleSession.wait_for_event) besides states, stats and lines.
KEPT_EVENTS = frozenset(
    (
        EVENT_BACKUP_COMPLETED,
        EVENT_BACKUP_RESTORE_COMPLETED,
        EVENT_INSTALL_STARTED,
        EVENT_INSTALL_OUTPUT,
        EVENT_INSTALL_COMPLETED,
        EVENT_DAEMON_MESSAGE,
        "transfer status",
    )
)

# Expiry-type "jwt error" texts: refresh the token and re-authenticate (as the panel's own UI does).
JWT_DENYLIST = "jwt: created too far in past (denylist)"
JWT_EXPIRY_MARKERS = ("jwt: exp claim is invalid", JWT_DENYLIST)

OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8

CLOSE_GOING_AWAY = 1001  # Wings 1.11: server deleted
CLOSE_SUSPENDED = 4409  # Wings 1.12: server is suspended

# ConsoleError codes a reconnect cannot cure
TERMINAL_CODES = frozenset(
    (
        "WebsocketOriginRejected",
        "WebsocketServerUnknown",
        "WebsocketTLSError",
        "WebsocketTokenRejected",
        "PanelWingsVersionSkew",
        "WingsDaemonError",
        "ServerSuspended",
        "ServerDeleted",
        "WebsocketClosed",
        "SessionClosed",
        "WebsocketCredentialsInvalid",
        "MissingLibrary",
    )
)

_ANSI_RE = re.compile(
    r"(?:\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"  # OSC ... BEL / ST
    r"|(?:(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~])"  # CSI ... final byte (7-bit and 8-bit forms)
    r"|(?:\x1b[PX^_][^\x1b]*\x1b\\)"  # DCS / SOS / PM / APC strings
    r"|(?:\x1b[ -/]*[0-~])"  # other two-byte escapes (charset, keypad, ...)
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DAEMON_RE = re.compile(r"^\[[^\[\]]* Daemon\]:")  # "[Pterodactyl Daemon]: ..." (app_name varies)
_EVENT_PREFIX_RE = re.compile(r"^Error Event \[[^\]]*\]:\s*")


# ---- console text ----------------------------------------------------------------------------


def strip_ansi(text: str) -> str:
    """Console text without ANSI escape sequences (CSI, OSC, ...) and stray control characters."""
    return _CONTROL_RE.sub("", _ANSI_RE.sub("", text))


def console_lines(raw: str | bytes) -> list[str]:
    """The printable lines of one ``console output`` argument: decoded, stripped, no empty ones."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    lines = (strip_ansi(part).rstrip() for part in raw.splitlines())
    return [line for line in lines if line]


def is_daemon_line(line: str) -> bool:
    """Whether a (stripped) console line is one of Wings' own messages: those are never in the
    history that ``send logs`` replays, only in the live stream."""
    return bool(_DAEMON_RE.match(line))


def compile_pattern(pattern) -> re.Pattern | None:
    """A compiled regular expression (or None), with a ConsoleError for a bad one."""
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConsoleError(
            f"invalid regular expression {pattern!r}: {exc}", code="InvalidRegex", detail=str(exc)
        ) from None


class Collector:
    """Console lines gathered for one call, with its stop conditions (a match, a line count)."""

    def __init__(self, pattern: re.Pattern | None, max_lines: int | None) -> None:
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


class ServerView:
    """What Wings' events tell about the server: its state, its last stats, console lines.

    ``state_serial`` and ``stats_serial`` count the reports (waits compare them); ``seen``, when a
    list, records each state change (consecutive repeats folded); ``on_lines``, when set, receives
    the console lines of each ``console output`` event (the session's stream).
    """

    def __init__(self) -> None:
        self.state: str | None = None
        self.state_serial = 0
        self.stats: dict | None = None
        self.stats_serial = 0
        self.seen: list[str] | None = None
        self.on_lines: Callable[[list[str]], None] | None = None

    def apply(self, event: str, args: list[str]) -> bool:
        """Take in one event; False when it is not about the server (auth, tokens, errors...)."""
        if event == EVENT_STATUS:
            if args:
                self.set_state(args[0])
        elif event == EVENT_STATS:
            if args:
                self.stats = parse_stats(args[0])
                self.stats_serial += 1
                if isinstance(self.stats.get("state"), str):
                    self.set_state(self.stats["state"])
        elif event == EVENT_CONSOLE_OUTPUT:
            if self.on_lines is not None and args:
                self.on_lines(console_lines(args[0]))
        else:
            return False
        return True

    def set_state(self, state: str) -> None:
        self.state = state
        self.state_serial += 1
        if self.seen is not None and (not self.seen or self.seen[-1] != state):
            self.seen.append(state)


# ---- Wings 1.12's per-socket limits -----------------------------------------------------------

# (seconds per token, burst) of router/websocket/limiter.go: beyond them Wings drops the message
# and answers "throttled". The session spends from a copy of these buckets before each send.
GLOBAL_LIMIT = (0.2, 10)
EVENT_LIMITS = {EVENT_AUTH: (5.0, 2), EVENT_SEND_LOGS: (5.0, 2), "send command": (1.0, 10)}
DEFAULT_LIMIT = (1.0, 4)  # every other event (send stats, set state)
LIMIT_MARGIN = 1.1  # refill a little slower than Wings does: clocks and latency differ


class SendBudget:
    """Token buckets like Wings 1.12's for one socket (the global one and the event's): how long to
    wait so that one more message stays within them. Pure: the clock is passed in."""

    def __init__(self) -> None:
        self._buckets: dict[str, list[float]] = {}  # name -> [tokens, at]; tokens < 0: owed

    def take(self, event: str, now: float) -> float:
        """Spend one message of ``event`` and return the seconds to wait before sending it (0: now)."""
        names = ["", event if event in EVENT_LIMITS else "_default"]
        limits = [GLOBAL_LIMIT, EVENT_LIMITS.get(event, DEFAULT_LIMIT)]
        waits = []
        for name, (every, burst) in zip(names, limits, strict=True):
            bucket = self._buckets.setdefault(name, [float(burst), now])
            bucket[0] = min(float(burst), bucket[0] + (now - bucket[1]) / (every * LIMIT_MARGIN))
            bucket[1] = now
            waits.append(max(0.0, (1.0 - bucket[0]) * every * LIMIT_MARGIN))
        for name in names:
            self._buckets[name][0] -= 1.0
        return max(waits)


# ---- frames ----------------------------------------------------------------------------------


def encode_event(event: str, args: list[str] | None = None) -> str:
    """One frame for Wings: ``{"event": ..., "args": [...]}`` (no ``args`` when there are none)."""
    message: dict = {"event": event}
    if args:
        message["args"] = list(args)
    return json.dumps(message)


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
        raise ConsoleError("Wings sent stats that are not JSON", code="WingsBadStats", detail=str(exc)) from None
    if not isinstance(stats, dict):
        raise ConsoleError("Wings sent stats that are not an object", code="WingsBadStats")
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


def describe_drop(exc: BaseException) -> str:
    """A short description of a connection failure (never the URL query nor a frame)."""
    text = str(exc).strip()
    name = exc.__class__.__name__
    return f"{name}: {text[:200]}" if text else name


# ---- tokens ----------------------------------------------------------------------------------


def jwt_error_action(text: str) -> str:
    """``"refresh"`` for a ``jwt error`` that reports expiry, ``"fatal"`` for any other."""
    return "refresh" if any(marker in text for marker in JWT_EXPIRY_MARKERS) else "fatal"


def token_claims(token: str) -> dict | None:
    """The token's claims, read without verifying (only Wings can): None when unreadable.

    Used to refresh ahead of expiry and to explain a refusal; never logged nor shown."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


def token_lifetime(token: str) -> float | None:
    """Seconds between the token's ``iat`` and ``exp`` (both panel clock), None when unknown.

    Only used to refresh ahead of time, measured on the local monotonic clock from when the token
    was fetched, so clock skew between controller and panel is harmless.
    """
    claims = token_claims(token) or {}
    issued, expires = claims.get("iat"), claims.get("exp")
    if not isinstance(issued, (int, float)) or not isinstance(expires, (int, float)):
        return None
    return float(expires - issued) if expires > issued else None


def token_has_scope(token: str) -> bool | None:
    """Whether the token carries the ``scope`` claim that Wings 1.12.2+ requires (panels from
    1.12.3 and Pelican emit it); None when the token cannot be read."""
    claims = token_claims(token)
    return None if claims is None else "scope" in claims


def next_second_delay(now: float) -> float:
    """Seconds until just past the next whole second of ``now`` (epoch): a token issued then is newer
    than a revocation made during the second ``now`` is in."""
    return round(1.0 - now % 1.0 + 0.05, 3)


def refresh_margin(lifetime: float) -> float:
    """How long before expiry to refresh on our own (a backstop for a lost ``token expiring``)."""
    return min(20.0, lifetime / 5.0)


def refresh_due(obtained_at: float, lifetime: float | None, now: float) -> bool:
    """Whether a token fetched at monotonic ``obtained_at`` should be refreshed ahead of time."""
    if lifetime is None:
        return False
    return now - obtained_at >= lifetime - refresh_margin(lifetime)


def credentials_pair(creds) -> tuple[str, str]:
    """``(token, socket URL)`` from the panel's websocket credentials, or a ConsoleError."""
    token = creds.get("token") if isinstance(creds, dict) else None
    socket_url = creds.get("socket") if isinstance(creds, dict) else None
    if not isinstance(token, str) or not token or not isinstance(socket_url, str) or not socket_url:
        raise ConsoleError(
            "the panel's websocket credentials lack a token or a socket URL",
            code="WebsocketCredentialsInvalid",
            hint="check that the panel URL points at a Pterodactyl panel",
        )
    return token, socket_url


# ---- connection options ----------------------------------------------------------------------


def redact_url(url: str) -> str:
    """A URL without user info, query or fragment: safe for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def build_sslopt(validate_certs: bool, ca_path: str | None) -> dict:
    """websocket-client ``sslopt`` with the same meaning as the HTTP client's options."""
    if not validate_certs:
        return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
    sslopt = {"cert_reqs": ssl.CERT_REQUIRED, "check_hostname": True}
    if ca_path:
        sslopt["ca_cert_path" if os.path.isdir(ca_path) else "ca_certs"] = ca_path
    return sslopt
