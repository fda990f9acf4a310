"""The Wings websocket: ``GET /api/servers/{uuid}/ws`` (Wings 1.11 behaviour by default).

Written from ``../shared/reference/wings-websocket.md`` §1–§3.  ``add_wings_routes(app, node_context)``
registers the route (plus ``POST /api/servers/{uuid}/ws/deny``), tracks open sockets, closes them on
app shutdown and sets ``node_context.drop_connections(uuid=None)`` (abrupt TCP close, for fault tests).

``node_context`` (``sandbox.fleet.NodeContext``) gives ``servers_by_uuid`` (each server has
``runtime``, a ``sandbox.power.ServerRuntime``), ``daemon_token``, ``panel_url``, ``allowed_origins``,
``boot_time``, ``token_ttl``, ``denied_jtis`` (jti -> deny time) and optionally ``wings_version``
(default "1.11"; "1.12.0" and later: the Wings 1.12 security release's limits, §1.1, §1.6 and §3.1 of the
reference: per-socket token buckets with ``throttled`` events, the 30-socket cap, the 4096-byte read
limit, close 4409 for suspended servers; "1.12.2" and later also require the JWT ``scope`` claim to
contain ``websocket``; a bare "1.12" means the newest 1.12 modelled, so both).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import re
import time
import uuid as uuidlib
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from jwt.algorithms import HMACAlgorithm
from jwt.utils import base64url_decode

from .power import OFFLINE, PowerError, PowerLocked

log = logging.getLogger("sandbox.wings")

NOT_FOUND = "The requested resource does not exist on this instance."
GENERIC_HTTP = "An unexpected error was encountered while processing this request"
GENERIC_WS = "an unexpected error was encountered while handling this request"
LOCKED = "another power action is currently being processed for this server, please try again later"

ERR_NO_JWT = "jwt: no jwt present"
ERR_EXP = "jwt: exp claim is invalid"
ERR_DENYLIST = "jwt: created too far in past (denylist)"
ERR_NO_CONNECT = "jwt: missing connect permission"
ERR_UUID = "jwt: server uuid mismatch"

POWER_PERMISSIONS = {
    "start": "control.start",
    "stop": "control.stop",
    "restart": "control.restart",
    "kill": "control.stop",
}

# the events SendJson only sends to a token with a permission (W ``router/websocket/websocket.go``); every
# event whose name starts with "backup completed" needs "backup.read"
EVENT_PERMISSIONS = {"install output": "admin.websocket.install", "transfer logs": "admin.websocket.transfer"}

# Wings 1.12 (reference §1.1, §3.1)
MAX_SOCKETS = 30
TOO_MANY_SOCKETS = "Too many open websocket connections."
READ_LIMIT = 4096
MAX_DECODED = 32768
CLOSE_SUSPENDED = 4409
THROTTLED = "throttled"
GLOBAL_LIMIT = (0.2, 10)  # one token every 200 ms, burst 10 (the read loop's limiter)
EVENT_LIMITS = {"auth": (5.0, 2), "send logs": (5.0, 2), "send command": (1.0, 10)}
DEFAULT_LIMIT = (1.0, 4)  # every other event name shares the "_default" bucket

# "1.12" without a patch level: the newest 1.12 release the sandbox models
UNSPECIFIED_PATCH = 99


def version_tuple(value: Any, default: str = "1.11") -> tuple[int, int, int]:
    """``"1.12"`` -> (1, 12, 99) (newest patch), ``"1.12.2"`` -> (1, 12, 2), ``None`` -> the default."""
    text = str(value if value not in (None, "") else default).strip().lstrip("vV")
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    if not parts:
        parts = [int(p) for p in default.split(".")]
    while len(parts) < 2:
        parts.append(0)
    if len(parts) == 2:
        parts.append(UNSPECIFIED_PATCH)
    return parts[0], parts[1], parts[2]


def node_features(ctx: Any) -> dict:
    """What the node's Wings version turns on."""
    v = version_tuple(getattr(ctx, "wings_version", None))
    return {"w12": v >= (1, 12, 0), "scope": v >= (1, 12, 2)}


class TokenBucket:
    """golang.org/x/time/rate.Limiter with Allow(): starts full, one token every ``every`` seconds."""

    def __init__(self, every: float, burst: int):
        self.every = float(every)
        self.burst = int(burst)
        self.tokens = float(burst)
        self.last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) / self.every)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class JwtClassError(Exception):
    """Errors Wings reports as ``jwt error`` (the message is shown)."""


class OtherError(Exception):
    """Errors Wings reports as a generic ``daemon error``."""


def go_json(obj: Any) -> str:
    """Go's encoding/json output: compact, UTF-8, HTML characters and U+2028/9 escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def is_suspended(server: Any) -> bool:
    """The panel's status, or the node's own flag (set while a backup is restored)."""
    runtime = getattr(server, "runtime", None)
    return getattr(server, "status", None) == "suspended" or bool(getattr(runtime, "suspended", False))


def error_event_text(message: str) -> str:
    return f"Error Event [{uuidlib.uuid4()}]: {message}"


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class Token:
    """A verified websocket JWT (only the claims Wings reads)."""

    def __init__(self, claims: dict):
        self.claims = claims
        self.exp = claims.get("exp")
        self.iat = claims.get("iat")
        self.jti = claims.get("jti") or ""
        self.server_uuid = claims.get("server_uuid") or ""
        self.user_uuid = claims.get("user_uuid") or ""
        self.permissions = list(claims.get("permissions") or [])
        self.scope = claims.get("scope") if isinstance(claims.get("scope"), str) else ""

    def has_scope(self, scope: str) -> bool:
        """Wings 1.12.2+: ``scope`` is a space-separated list."""
        return scope in self.scope.split(" ")

    def expired(self, now: float | None = None) -> bool:
        # gbrlsnchs/jwt ExpirationTimeValidator at second precision
        now = time.time() if now is None else now
        return self.exp is None or math.floor(now) > self.exp

    def denylisted(self, ctx: Any) -> bool:
        if self.iat is None:
            return True
        # Wings compares with its boot time; the sandbox floors it so a token issued in the
        # same second as the boot (tests start the sandbox and ask at once) is not refused.
        if self.iat < math.floor(float(getattr(ctx, "boot_time", 0) or 0)):
            return True
        denied = getattr(ctx, "denied_jtis", None) or {}
        if self.jti and self.jti in denied:
            deny_time = denied[self.jti] if isinstance(denied, dict) else math.inf
            if self.iat < (deny_time or 0):
                return True
        return False

    def has_permission(self, permission: str, ctx: Any) -> bool:
        for p in self.permissions:
            if p == permission or (p == "*" and not permission.startswith("admin")):
                return not self.denylisted(ctx)
        return False


def parse_token(raw: str, key: str, *, scoped: bool = False) -> Token:
    """Verify like Wings' tokens.ParseToken + NewTokenPayload (exp only, denylist/connect by the caller)."""
    try:
        header_b64, payload_b64, sig_b64 = raw.encode("utf-8").split(b".")
    except ValueError:
        raise OtherError("jwt: malformed token") from None
    try:
        signature = base64url_decode(sig_b64)
        header = json.loads(base64url_decode(header_b64))
    except (ValueError, TypeError):
        raise OtherError("jwt: malformed token") from None
    if not isinstance(header, dict):
        raise OtherError("jwt: malformed token")
    # HS256 with the node token; the header's alg is not consulted (no ValidateHeader in Wings)
    hmac = HMACAlgorithm(HMACAlgorithm.SHA256)
    if not hmac.verify(header_b64 + b"." + payload_b64, hmac.prepare_key(key), signature):
        raise OtherError("jwt: HMAC verification failed")
    try:
        claims = json.loads(base64url_decode(payload_b64))
    except (ValueError, TypeError):
        raise OtherError("jwt: malformed token") from None
    if not isinstance(claims, dict):
        raise OtherError("json: cannot unmarshal into Go value of type tokens.WebsocketPayload")
    for name in ("exp", "nbf", "iat"):
        if claims.get(name) is not None and not _is_int(claims[name]):
            raise OtherError(f"json: cannot unmarshal {name}")
    for name in ("iss", "sub", "jti", "server_uuid", "user_uuid") + (("scope",) if scoped else ()):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise OtherError(f"json: cannot unmarshal {name}")
    perms = claims.get("permissions")
    if perms is not None and not (isinstance(perms, list) and all(isinstance(p, str) for p in perms)):
        raise OtherError("json: cannot unmarshal permissions")
    token = Token(claims)
    if token.expired():
        raise JwtClassError(ERR_EXP)
    return token


class WingsSocket:
    """One open websocket of one server."""

    def __init__(self, ctx: Any, server: Any, request: web.Request, ws: web.WebSocketResponse):
        self.ctx = ctx
        self.server = server
        self.uuid = str(server.uuid)
        self.runtime = server.runtime
        self.request = request
        self.ws = ws
        self.token: Token | None = None
        self.queue: asyncio.Queue | None = None
        self.tasks: set[asyncio.Task] = set()
        self.send_lock = asyncio.Lock()
        self.closed = False
        features = node_features(ctx)
        self.w12 = features["w12"]
        self.scoped = features["scope"]
        # Wings 1.12: the read loop's global bucket and the per-event buckets of limiter.go
        self.global_bucket = TokenBucket(*GLOBAL_LIMIT)
        self.global_throttled = False
        self.buckets: dict[str, TokenBucket] = {}
        self.throttled: dict[str, bool] = {}

    # ----------------------------------------------------------------- sending
    async def raw_send(self, event: str, args: list[str] | None = None) -> None:
        """unsafeSendJson: no token check."""
        if self.closed or self.ws.closed:
            return
        message: dict[str, Any] = {"event": event}
        if args:
            message["args"] = [str(a) for a in args]
        text = go_json(message) + "\n"
        try:
            async with self.send_lock:
                await asyncio.wait_for(self.ws.send_str(text), 10)
        except (TimeoutError, ConnectionError, RuntimeError, OSError):
            # broken pipe: Wings stops the listener and closes the connection
            self.abort()

    def token_error(self) -> str | None:
        """Wings' TokenValid."""
        token = self.token
        if token is None:
            return ERR_NO_JWT
        if token.expired():
            return ERR_EXP
        if token.denylisted(self.ctx):
            return ERR_DENYLIST
        if not self.may_connect(token):
            return ERR_NO_CONNECT
        if token.server_uuid != self.uuid:
            return ERR_UUID
        return None

    def may_connect(self, token: Token) -> bool:
        """The connect permission; Wings 1.12.2+ also needs ``websocket`` in the token's scope."""
        if self.scoped and not token.has_scope("websocket"):
            return False
        return token.has_permission("websocket.connect", self.ctx)

    def is_throttled(self, event: str) -> bool:
        """limiter.go IsThrottled: one bucket per heavy event, a shared one for the rest; one
        ``throttled`` event per episode and event name (the flag resets on the next allowed one)."""
        name = event if event in EVENT_LIMITS else "_default"
        bucket = self.buckets.get(name)
        if bucket is None:
            bucket = self.buckets[name] = TokenBucket(*EVENT_LIMITS.get(name, DEFAULT_LIMIT))
        if bucket.allow():
            self.throttled[event] = False
            return False
        if not self.throttled.get(event):
            self.throttled[event] = True
            self.spawn(self.raw_send(THROTTLED, [event]))
        return True

    def suspended(self) -> bool:
        return is_suspended(self.server)

    async def send(self, event: str, args: list[str] | None = None) -> None:
        """SendJson: an invalid token turns every event into a ``jwt error``; some events need a permission."""
        error = self.token_error()
        if error is not None:
            await self.raw_send("jwt error", [error])
            return
        needed = EVENT_PERMISSIONS.get(event)
        if event.startswith("backup completed"):
            needed = "backup.read"
        if needed is not None and self.token is not None and not self.token.has_permission(needed, self.ctx):
            return
        await self.raw_send(event, args)

    async def send_error(self, exc: Exception) -> None:
        """SendErrorJson."""
        if isinstance(exc, JwtClassError):
            await self.raw_send("jwt error", [error_event_text(str(exc))])
            return
        text = GENERIC_WS
        if self.token is not None and self.token.has_permission("admin.websocket.errors", self.ctx):
            text = str(exc)
        await self.raw_send("daemon error", [error_event_text(text)])

    # ----------------------------------------------------------------- lifecycle
    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def abort(self) -> None:
        """Close the TCP connection without a close frame."""
        self.closed = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def cleanup(self) -> None:
        self.closed = True
        current = asyncio.current_task()
        tasks = [t for t in self.tasks if t is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)
        if self.queue is not None:
            self.runtime.unsubscribe(self.queue)
            self.queue = None

    # ----------------------------------------------------------------- inbound
    async def handle(self, event: str, args: list[str]) -> None:
        if self.w12:
            if self.suspended():
                # HandleInbound fails with ErrSuspended: the socket is cancelled, no close frame
                self.abort()
                return
            if self.is_throttled(event):
                return
        try:
            if event != "auth":
                error = self.token_error()
                if error is not None:
                    await self.raw_send("jwt error", [error])
                    return
            joined = "".join(args)
            if event == "auth":
                await self.on_auth(joined)
            elif event == "set state":
                await self.on_set_state(joined)
            elif event == "send command":
                if not self.token.has_permission("control.console", self.ctx):
                    return
                if self.runtime.state == OFFLINE:
                    return
                await self.runtime.send_command(joined)
            elif event == "send logs":
                if not self.runtime.is_running():
                    return
                for line in list(self.runtime.history):
                    await self.send("console output", [line])
            elif event == "send stats":
                await self.send("stats", [self.runtime.stats_json()])
            # unknown events: no reply
        except (JwtClassError, OtherError, PowerError) as exc:
            await self.send_error(exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("websocket %s: %s failed", self.uuid, event)
            await self.send_error(exc)

    async def on_auth(self, raw: str) -> None:
        token = parse_token(raw, str(self.ctx.daemon_token), scoped=self.scoped)
        if token.denylisted(self.ctx):
            raise JwtClassError(ERR_DENYLIST)
        if not self.may_connect(token):
            raise JwtClassError(ERR_NO_CONNECT)
        first = self.token is None
        self.token = token
        await self.raw_send("auth success")
        if not first:
            return
        # register the listeners first so that nothing published from now on is lost
        self.queue = self.runtime.subscribe()
        await self.send("status", [self.runtime.state])
        if (
            self.runtime.state == OFFLINE
            and getattr(self.server, "status", None) != "installing"
            and not getattr(self.server, "is_transferring", False)
        ):
            await self.send("stats", [self.runtime.stats_json(refresh_disk=True)])
        self.spawn(self.forward())
        self.spawn(self.expiry_ticker())

    async def on_set_state(self, action: str) -> None:
        permission = POWER_PERMISSIONS.get(action)
        if permission is not None and not self.token.has_permission(permission, self.ctx):
            return  # silently ignored
        # the action belongs to the server, not to this socket: it goes on if the socket closes
        task = _detach(self.runtime.power(action, try_lock=True))
        try:
            await asyncio.shield(task)
        except PowerLocked:
            await self.send("daemon error", [error_event_text(LOCKED)])

    # ----------------------------------------------------------------- outbound
    async def forward(self) -> None:
        queue = self.queue
        while queue is not None and not self.closed:
            event, args = await queue.get()
            await self.send(event, args)

    async def expiry_ticker(self) -> None:
        ttl = float(getattr(self.ctx, "token_ttl", 600) or 600)
        if self.token is not None and _is_int(self.token.exp) and _is_int(self.token.iat):
            ttl = min(ttl, max(1, self.token.exp - self.token.iat))
        interval = min(30.0, max(1.0, ttl / 4))
        threshold = min(60.0, ttl / 2)
        while not self.closed:
            await asyncio.sleep(interval)
            token = self.token
            if token is None or token.exp is None:
                continue
            remaining = token.exp - time.time()
            if remaining <= 0:
                await self.send("token expired")
            elif remaining <= threshold:
                await self.send("token expiring")


_detached: set[asyncio.Task] = set()


def _detach(coro) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(coro)
    _detached.add(task)

    def done(t: asyncio.Task) -> None:
        _detached.discard(t)
        if not t.cancelled():
            t.exception()  # retrieved here; the socket reports it if it is still waiting

    task.add_done_callback(done)
    return task


def _parse_inbound(data: Any) -> tuple[str, list[str]] | None:
    """Decode like Go's json.Unmarshal into {Event string; Args []string}; None = dropped."""
    if data is None:
        return "", []
    if not isinstance(data, dict):
        return None
    event: Any = ""
    args: Any = None
    for key, value in data.items():  # Go matches field names case-insensitively
        low = key.lower()
        if low == "event" and (key == "event" or "event" not in data):
            event = value
        elif low == "args" and (key == "args" or "args" not in data):
            args = value
    if event is None:
        event = ""
    if not isinstance(event, str):
        return None
    if args is None:
        args = []
    if not isinstance(args, list):
        return None
    # a JSON null leaves Go's string at its zero value: ["x", null] decodes as ["x", ""]
    args = ["" if a is None else a for a in args]
    if not all(isinstance(a, str) for a in args):
        return None
    return event, args


# Routes a resource family adds to the node (sandbox/files_wings.py: /download/file, /upload/file); registered
# when the family module is imported (sandbox.panel.load_families), added by add_wings_routes.
WINGS_FAMILY_ROUTES: list[tuple[str, str, Any]] = []  # (method, path, handler(node_context, request))


def register_route(method: str, path: str, handler) -> None:
    """Add a node route; ``handler(node_context, request)`` answers it."""
    WINGS_FAMILY_ROUTES.append((method, path, handler))


def add_wings_routes(app: web.Application, node_context: Any) -> None:
    """Register the Wings websocket (and the families' node routes) on ``app``; wire ``drop_connections``."""
    ctx = node_context
    from .panel import load_families  # here: panel imports this module

    load_families()
    for method, path, handler in WINGS_FAMILY_ROUTES:
        app.router.add_route(method, path, functools.partial(handler, ctx))
    sockets: set[WingsSocket] = set()

    def request_id(request: web.Request) -> str:
        return request.headers.get("X-Request-Id") or str(uuidlib.uuid4())

    def upgrade_error(request: web.Request, status: int, text: str, extra: dict | None = None) -> web.Response:
        # gorilla's http.Error, then Wings appends its own JSON error to the body
        body = text + "\n" + go_json({"error": GENERIC_HTTP, "request_id": request_id(request)})
        return web.Response(
            status=status,
            body=body.encode(),
            headers={
                **(extra or {}),
                "Content-Type": "text/plain; charset=utf-8",
                "X-Content-Type-Options": "nosniff",
                "Sec-Websocket-Version": "13",
                "X-Request-Id": request_id(request),
            },
        )

    def open_sockets(uuid: str) -> int:
        return sum(1 for sock in sockets if sock.uuid == uuid)

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(
            status=404,
            body=go_json({"error": NOT_FOUND}).encode(),
            headers={"Content-Type": "application/json; charset=utf-8", "X-Request-Id": request_id(request)},
        )

    def origin_allowed(origin: str) -> bool:
        if origin == (getattr(ctx, "panel_url", "") or ""):
            return True
        return any(allowed == "*" or allowed == origin for allowed in getattr(ctx, "allowed_origins", None) or [])

    async def websocket(request: web.Request) -> web.StreamResponse:
        server = ctx.servers_by_uuid.get(request.match_info["uuid"])
        if server is None or getattr(server, "runtime", None) is None:
            return await not_found(request)
        w12 = node_features(ctx)["w12"]
        extra: dict[str, str] = {}
        if w12:
            # the cap is checked before the upgrade, over every open socket of the server
            if open_sockets(str(server.uuid)) >= MAX_SOCKETS:
                return web.Response(
                    status=400,
                    body=go_json({"error": TOO_MANY_SOCKETS}).encode(),
                    headers={"Content-Type": "application/json; charset=utf-8", "X-Request-Id": request_id(request)},
                )
            extra = {"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY"}
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, compress=w12, max_msg_size=READ_LIMIT if w12 else 0)
        if not ws.can_prepare(request).ok:
            return upgrade_error(request, 400, "Bad Request", extra)
        if not origin_allowed(request.headers.get("Origin", "")):
            return upgrade_error(request, 403, "Forbidden", extra)
        ws.headers.update(extra)
        await ws.prepare(request)
        if w12 and is_suspended(server):
            await ws.close(code=CLOSE_SUSPENDED, message=b"server is suspended")
            return ws
        sock = WingsSocket(ctx, server, request, ws)
        sockets.add(sock)
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    data = msg.data
                    if w12:
                        # the read loop's global limiter runs before anything else looks at the frame
                        if not sock.global_bucket.allow():
                            if not sock.global_throttled:
                                sock.global_throttled = True
                                await sock.raw_send(THROTTLED, ["global"])
                            continue
                        sock.global_throttled = False
                        if msg.type != WSMsgType.TEXT or len(data.encode("utf-8")) > MAX_DECODED:
                            continue  # binary frames and huge decompressed messages are dropped
                    try:
                        parsed = _parse_inbound(json.loads(data))
                    except (ValueError, TypeError):
                        continue  # unparsable: dropped, the socket stays open
                    if parsed is None:
                        continue
                    sock.spawn(sock.handle(*parsed))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            sockets.discard(sock)
            await sock.cleanup()
        return ws

    async def deny(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        parts = auth.split(" ", 1)
        if len(parts) != 2 or parts[0] != "Bearer":
            return web.json_response(
                {"error": "The required authorization heads were not present in the request."},
                status=401,
                dumps=go_json,
            )
        if parts[1] != str(ctx.daemon_token):
            return web.json_response(
                {"error": "You are not authorized to access this endpoint."}, status=403, dumps=go_json
            )
        if request.match_info["uuid"] not in ctx.servers_by_uuid:
            return await not_found(request)
        try:
            body = await request.json()
            jtis = body["jtis"]
            assert isinstance(jtis, list)
        except Exception:
            return web.json_response(
                {"error": "The data passed in the request was not in a parsable format. Please try again."},
                status=400,
                dumps=go_json,
            )
        denied = getattr(ctx, "denied_jtis", None)
        if denied is None:
            denied = {}
            ctx.denied_jtis = denied
        for jti in jtis:
            denied[str(jti)] = time.time()
        return web.Response(status=204)

    def drop_connections(uuid: str | None = None) -> int:
        """Abruptly close the TCP connection of every websocket (of one server); returns how many."""
        count = 0
        for sock in list(sockets):
            if uuid is None or sock.uuid == uuid:
                sock.abort()
                count += 1
        return count

    async def on_shutdown(_app: web.Application) -> None:
        socks = list(sockets)
        for sock in socks:
            sock.closed = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sock.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"), 1)
            sock.abort()
        for sock in socks:
            with contextlib.suppress(Exception):
                await sock.cleanup()

    app.router.add_get("/api/servers/{uuid}/ws", websocket, allow_head=False)  # other methods: 405
    app.router.add_post("/api/servers/{uuid}/ws/deny", deny)
    # gin's NoRoute in Wings' router: any other path answers 404 with Wings' one-key error body
    # (what a client gets when it is given the node's address instead of the panel's).
    app.router.add_route("*", "/{tail:.*}", not_found)
    app.on_shutdown.append(on_shutdown)
    with contextlib.suppress(AttributeError, TypeError):
        ctx.drop_connections = drop_connections
