"""The panel side: ``/api/client`` routes behind a check pipeline in the real panel's order.

Order for every API request (reference §2/§12): route match (404/405, no auth) → [Pelican: server
binding] → 401 (302 to the login page when the request does not expect JSON) → 400 malformed JSON →
429 throttle (``X-RateLimit-*`` on every later response) → 404 unknown server → 403 application key →
404 not visible → 409 state conflict → controller (403 permission, 422 validation, action).
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import ipaddress
import json
import logging
import re
import secrets
import string
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from aiohttp import web

from . import errors as E
from .activity import activity_properties
from .errors import ApiError, php_compact
from .fleet import PELICAN_PERMISSIONS, PERMISSION_GROUPS, SERV_PREFIX, ApiKey, Fleet, Server, User, iso
from .wings import version_tuple

log = logging.getLogger("sandbox.panel")

RESOURCE_CACHE_SECONDS = 20.0
RATE_WINDOW = 60.0
PELICAN_WEBSOCKET_LIMIT = 5
POWER_SIGNALS = ("start", "stop", "restart", "kill")
POWER_PERMISSIONS = {
    "start": "control.start",
    "stop": "control.stop",
    "kill": "control.stop",
    "restart": "control.restart",
}
LIST_FILTERS = ["uuid", "name", "description", "external_id", "*"]
IPV4_FILTER = re.compile(r"^(\d{1,3}\.){3}\d{1,3}(:\d{0,5})?$")
PORT_FILTER = re.compile(r"^:\d{1,5}$")
PHP_INT = re.compile(r"^[+-]?(0|[1-9]\d*)$")

# My own wording for the permission descriptions (free text in the real panel).
PERMISSION_DESCRIPTIONS = {
    "websocket": ("Connecting to the server's live console websocket.", {"connect": "Open the console websocket."}),
    "control": (
        "Controlling the server process.",
        {
            "console": "Send commands to the console.",
            "start": "Start the server.",
            "stop": "Stop or kill the server.",
            "restart": "Restart the server.",
        },
    ),
    "user": (
        "Managing the server's subusers.",
        {
            "create": "Add subusers.",
            "read": "List subusers and their permissions.",
            "update": "Change subusers' permissions.",
            "delete": "Remove subusers.",
        },
    ),
    "file": (
        "Working with the server's files.",
        {
            "create": "Create files and folders.",
            "read": "List folders.",
            "read-content": "Read and download files.",
            "update": "Change files.",
            "delete": "Delete files.",
            "archive": "Compress and extract archives.",
            "sftp": "Log in over SFTP.",
        },
    ),
    "backup": (
        "Working with backups.",
        {
            "create": "Make backups.",
            "read": "List backups.",
            "delete": "Delete backups.",
            "download": "Download backups.",
            "restore": "Restore a backup over the server.",
        },
    ),
    "allocation": (
        "Working with network allocations.",
        {
            "read": "See all allocations.",
            "create": "Add allocations.",
            "update": "Change the primary allocation and notes.",
            "delete": "Remove allocations.",
        },
    ),
    "startup": (
        "Working with startup settings.",
        {
            "read": "See startup variables.",
            "update": "Change startup variables.",
            "docker-image": "Change the Docker image.",
        },
    ),
    "database": (
        "Working with databases.",
        {
            "create": "Create databases.",
            "read": "List databases.",
            "update": "Rotate passwords.",
            "delete": "Delete databases.",
            "view_password": "See database passwords.",
        },
    ),
    "schedule": (
        "Working with schedules.",
        {
            "create": "Create schedules.",
            "read": "List schedules.",
            "update": "Change schedules.",
            "delete": "Delete schedules.",
        },
    ),
    "settings": ("Server settings.", {"rename": "Rename the server.", "reinstall": "Reinstall the server."}),
    "activity": ("Server activity log.", {"read": "Read the activity log."}),
}


# --------------------------------------------------------------------------- PHP-ish query handling


def php_parse_query(qs: str) -> dict:
    """parse_str: nested keys (``a[b]``, ``a[]``), later values override, '.'/' ' in names become '_'."""
    out: dict = {}
    for part in qs.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        name = urllib.parse.unquote_plus(name)
        value = urllib.parse.unquote_plus(value)
        m = re.match(r"^([^\[]*)((?:\[[^\]]*\])*)$", name)
        if m and m.group(2):
            base, rest = m.group(1), re.findall(r"\[([^\]]*)\]", m.group(2))
        else:
            base, rest = name, []
        base = base.replace(".", "_").replace(" ", "_")
        if not base:
            continue
        keys = [base] + rest
        cur = out
        for i, k in enumerate(keys):
            last = i == len(keys) - 1
            if k == "" and i > 0:
                ints = [x for x in cur if isinstance(x, int)]
                k = max(ints) + 1 if ints else 0
            elif i > 0 and PHP_INT.match(k) and not k.startswith(("+", "-0")):
                k = int(k)
            if last:
                cur[k] = value
            else:
                if not isinstance(cur.get(k), dict):
                    cur[k] = {}
                cur = cur[k]
    return out


def clean_input(value: Any) -> Any:
    """TrimStrings + ConvertEmptyStringsToNull."""
    if isinstance(value, str):
        value = value.strip()
        return None if value == "" else value
    if isinstance(value, dict):
        return {k: clean_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_input(v) for v in value]
    return value


def http_build_query(data: dict, prefix: str | None = None) -> str:
    """PHP http_build_query(..., PHP_QUERY_RFC3986)."""
    parts = []
    for k, v in data.items():
        key = f"{prefix}[{k}]" if prefix is not None else str(k)
        if v is None:
            continue
        if isinstance(v, dict):
            sub = http_build_query(v, key)
            if sub:
                parts.append(sub)
            continue
        if isinstance(v, list):
            sub = http_build_query(dict(enumerate(v)), key)
            if sub:
                parts.append(sub)
            continue
        if v is True:
            v = "1"
        elif v is False:
            v = "0"
        parts.append(urllib.parse.quote(key, safe="") + "=" + urllib.parse.quote(str(v), safe=""))
    return "&".join(parts)


def php_int_param(value: Any, default: int, maximum: int = 100) -> int | None:
    """What `min($request->query('per_page', default), maximum)` ends up paginating with (None: model default)."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return None
    try:
        number = float(value)
    except ValueError:
        return maximum  # PHP 8: a non-numeric string compares greater than the maximum
    return int(min(number, maximum))


def expects_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    types = []
    for i, item in enumerate(a for a in accept.split(",") if a.strip()):
        fields = [f.strip() for f in item.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    pass
        types.append((-q, i, fields[0].lower()))
    types.sort()
    first = types[0][2] if types else None
    if first and ("/json" in first or "+json" in first):
        return True
    ajax = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    return ajax and (first is None or first in ("*/*", "*"))


def rand_alnum(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


class Ctx:
    """Per-request state through the pipeline."""

    def __init__(self, request: web.Request):
        self.request = request
        self.user: User | None = None
        self.key: ApiKey | None = None
        self.server: Server | None = None
        self.headers: dict[str, str] = {}
        self.query: dict = {}
        self.body: dict = {}
        self.params: dict = {}  # the route's named groups (``server``, later ``backup``, ``schedule``...)
        self.bound: dict = {}  # the models a family's binder found for those groups (``bound["backup"]``)


# --------------------------------------------------------------------------- routes

ROUTES = [
    (re.compile(r"^/api/client$"), "api:client.index", ("GET",)),
    (re.compile(r"^/api/client/permissions$"), "api:client.permissions", ("GET",)),
    (re.compile(r"^/api/client/account$"), "api:client.account", ("GET",)),
    (re.compile(r"^/api/client/account/activity$"), "api:client.account.activity", ("GET",)),
    (re.compile(r"^/api/client/servers/(?P<server>[^/]+)$"), "api:client:server.view", ("GET",)),
    (re.compile(r"^/api/client/servers/(?P<server>[^/]+)/websocket$"), "api:client:server.ws", ("GET",)),
    (re.compile(r"^/api/client/servers/(?P<server>[^/]+)/resources$"), "api:client:server.resources", ("GET",)),
    (re.compile(r"^/api/client/servers/(?P<server>[^/]+)/activity$"), "api:client:server.activity", ("GET",)),
    (re.compile(r"^/api/client/servers/(?P<server>[^/]+)/command$"), "api:client:server.command", ("POST",)),
    (re.compile(r"^/api/client/servers/(?P<server>[^/]+)/power$"), "api:client:server.power", ("POST",)),
]

# --------------------------------------------------------------------------- resource families
# A family module (sandbox/files.py; backups, startup, schedules... later) adds its routes with
# ``route()`` when it is imported; ``load_families()`` imports every module named in FAMILIES (Panel does
# it). Its handlers run behind the same pipeline as ROUTES (401, 400 JSON, 429, 404 bind, 403 application
# key, 404 visibility, 409 state) and do the panel's 403 permission and 422 validation themselves, as the
# real controllers' form requests do. Handler signature: ``async def handler(panel, ctx) -> web.StreamResponse``.
FAMILIES = (
    "sandbox.files",
    "sandbox.backups",
    "sandbox.startup",
    "sandbox.settings",
    "sandbox.schedules",
    "sandbox.subusers",
    "sandbox.databases",
    "sandbox.allocations",
)
FAMILY_ROUTES: list[tuple[re.Pattern, str, tuple[str, ...]]] = []
FamilyHandler = Callable[["Panel", Ctx], Awaitable[web.StreamResponse]]
FAMILY_HANDLERS: dict[str, FamilyHandler] = {}
ROUTE_FLAVORS: dict[str, str] = {}  # route name -> the only flavor that has it (Pelican's extra routes)
# route parameter -> binder(panel, server, value) -> the model, or an ApiError (404); run where the panel binds
# the server (Laravel's SubstituteBindings binds every parameter of the route at once)
Binder = Callable[["Panel", Server, str], Any]
BINDERS: dict[str, Binder] = {}
# Laravel's Router::$verbs: the order of the methods a 405 lists
VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def register_route(
    name: str,
    pattern: str,
    methods: tuple[str, ...] | list[str],
    handler: FamilyHandler,
    *,
    flavor: str | None = None,
) -> None:
    """Add route ``name`` (an anchored regex on the path, named groups become ``ctx.params``); ``flavor``:
    only that panel has the route (the other answers 404 ``The route … could not be found.``)."""
    if name in FAMILY_HANDLERS or any(name == known for _, known, _ in ROUTES):
        raise ValueError(f"route {name} is already registered")
    FAMILY_ROUTES.append((re.compile(pattern), name, tuple(methods)))
    FAMILY_HANDLERS[name] = handler
    if flavor is not None:
        ROUTE_FLAVORS[name] = flavor


def route(name: str, pattern: str, methods: tuple[str, ...] | list[str], *, flavor: str | None = None):
    """Decorator form of :func:`register_route`."""

    def decorate(handler: FamilyHandler) -> FamilyHandler:
        register_route(name, pattern, methods, handler, flavor=flavor)
        return handler

    return decorate


def register_binder(param: str, binder: Binder) -> None:
    """Bind the route parameter ``param`` (e.g. ``backup``) to a model where the server is bound."""
    if param in BINDERS or param == "server":
        raise ValueError(f"a binder for {param} is already registered")
    BINDERS[param] = binder


# starter(panel) -> an async closer or None: the families' background work on the panel side (the schedules'
# cron), started by ``Panel.start_services()`` once the event loop runs; the closers join NodeContext.closers
SERVICES: list[Callable[[Panel], Callable[[], Awaitable[Any]] | None]] = []


def register_service(starter: Callable[[Panel], Callable[[], Awaitable[Any]] | None]) -> None:
    SERVICES.append(starter)


def load_families() -> None:
    """Import every family module once (importing registers its routes)."""
    for module in FAMILIES:
        importlib.import_module(module)


LOGIN_PAGE = (
    "<!DOCTYPE html><html><head><title>Pterodactyl</title></head>"
    "<body><p>Sandbox panel: sign in with an API key instead.</p></body></html>"
)


class Panel:
    def __init__(
        self, fleet: Fleet, node_context, *, rate_limit: int, token_ttl: int, rate_period: float = RATE_WINDOW
    ):
        self.fleet = fleet
        self.flavor = fleet.flavor
        self.node_context = node_context
        self.rate_limit = rate_limit
        self.rate_period = float(rate_period)  # the fixed window's length (Pelican: APP_API_CLIENT_RATELIMIT_PERIOD)
        self.token_ttl = token_ttl
        self.panel_url = ""
        self.wings_url = ""
        self.windows: dict[str, list[float]] = {}  # bucket -> [window end, hits]
        self.resource_cache: dict[str, tuple[float, dict]] = {}
        self.resource_cache_seconds = RESOURCE_CACHE_SECONDS  # the panel's 20 s; tests may lengthen it
        self.request_log: list[dict] = []
        self.faults: list[dict] = []
        self.background: set[asyncio.Task] = set()
        load_families()

    @property
    def pelican(self) -> bool:
        return self.flavor == "pelican"

    def start_services(self) -> None:
        """Start the families' background services (call with the event loop running)."""
        for starter in SERVICES:
            closer = starter(self)
            if closer is not None:
                self.node_context.closers.append(closer)

    # ----------------------------------------------------------------- plumbing
    def lookup_key(self, request: web.Request) -> ApiKey | None:
        header = request.headers.get("Authorization", "")
        pos = header.find("Bearer ")
        if pos < 0:
            return None
        token = header[pos + 7 :].split(",", 1)[0].strip()
        if len(token) <= 16:
            return None
        key = self.fleet.keys_by_identifier.get(token[:16])
        if key is None or not secrets.compare_digest(key.secret, token[16:]):
            return None
        return key

    def match_route(self, path: str, method: str | None = None):
        """-> (name, params, methods) or (None, None, None). Several routes may share a path with other verbs:
        the one that has ``method`` wins; none has it: the first, with every verb of the path (for the 405)."""
        first = None
        verbs: set[str] = set()
        for rx, name, methods in ROUTES + FAMILY_ROUTES:
            if ROUTE_FLAVORS.get(name, self.flavor) != self.flavor:
                continue
            m = rx.match(path)
            if not m:
                continue
            if method is not None and (method in methods or (method == "HEAD" and "GET" in methods)):
                return name, m.groupdict(), methods
            first = first or (name, m.groupdict())
            verbs.update(methods)
        if first is None:
            return None, None, None
        return first[0], first[1], tuple(v for v in VERBS if v in verbs)

    def bind(self, ref: str) -> Server | None:
        if self.pelican:
            return self.fleet.servers_by_identifier.get(ref) or self.fleet.servers_by_uuid.get(ref)
        if len(ref) == 8 or ref.startswith(SERV_PREFIX):
            return self.fleet.servers_by_identifier.get(ref)
        return self.fleet.servers_by_uuid.get(ref)

    @property
    def emits_scope(self) -> bool:
        """Pelican always; Pterodactyl from 1.12.3 (``scope`` in the websocket JWT)."""
        return self.pelican or version_tuple(getattr(self.fleet, "panel_version", None)) >= (1, 12, 3)

    def json_response(self, data, status: int = 200, headers: dict | None = None) -> web.Response:
        return web.Response(
            status=status, text=php_compact(data), content_type="application/json", headers=headers or {}
        )

    def base_url(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    # ----------------------------------------------------------------- throttle
    def _hit(self, bucket: str, limit: int, period: float | None = None) -> tuple[bool, int, float]:
        """Laravel's fixed window (``period`` s, default the client API's): -> (allowed, remaining, window end)."""
        now = time.time()
        win = self.windows.get(bucket)
        if win is None or now >= win[0]:
            win = self.windows[bucket] = [now + (self.rate_period if period is None else period), 0]
        if win[1] >= limit:
            return False, 0, win[0]
        win[1] += 1
        return True, max(0, limit - int(win[1])), win[0]

    def throttle(self, ctx: Ctx, buckets: list[tuple[str, int]]) -> None:
        best = None
        for bucket, limit in buckets:
            ok, remaining, end = self._hit(bucket, limit)
            if not ok:
                raise E.throttled(limit, end)
            if best is None or remaining < best[1]:
                best = (limit, remaining)
        ctx.headers["X-RateLimit-Limit"] = str(best[0])
        ctx.headers["X-RateLimit-Remaining"] = str(best[1])

    # ----------------------------------------------------------------- entry point
    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path != "/" and path.endswith("/"):
            path = path.rstrip("/") or "/"
        if request.method in ("GET", "HEAD") and path in ("/", "/auth/login", "/login"):
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        name, params, methods = self.match_route(path, request.method)
        if name is None:
            raise E.route_not_found(path)
        allowed = [v for v in VERBS if v in methods or (v == "HEAD" and "GET" in methods)]
        if request.method not in allowed:
            raise E.method_not_allowed(request.method, path, allowed)
        ctx = Ctx(request)
        ctx.params = params
        try:
            return await self.pipeline(ctx, name, params)
        except ApiError as exc:
            for k, v in ctx.headers.items():
                exc.headers.setdefault(k, v)
            raise

    async def pipeline(self, ctx: Ctx, name: str, params: dict) -> web.StreamResponse:
        request = ctx.request
        ref = params.get("server")
        if ref is not None and self.pelican:
            ctx.server = self.bind(ref)
            if ctx.server is None:
                raise E.not_found(E.NOT_FOUND_UNKNOWN)
            self.bind_children(ctx)
        # 401
        ctx.key = self.lookup_key(request)
        if ctx.key is None:
            if not expects_json(request):
                target = "/login" if self.pelican else "/auth/login"
                raise web.HTTPFound(self.base_url(request) + target)
            raise E.unauthenticated()
        ctx.user = ctx.key.user
        request["sandbox_user"] = ctx.user.username
        # 400 malformed JSON
        ctx.query = clean_input(php_parse_query(request.rel_url.raw_query_string))
        await self.read_body(ctx)
        # 400 two-factor required (Pterodactyl only; GET /account is exempt)
        level = self.fleet.two_factor_required
        if (
            not self.pelican
            and name != "api:client.account"
            and not ctx.user.use_totp
            and (level == 2 or (level == 1 and ctx.user.root_admin))
        ):
            raise ApiError(400, "TwoFactorAuthRequiredException", E.TWO_FACTOR_REQUIRED)
        # 403 IP allow-list of the key
        if ctx.key.allowed_ips and not _ip_allowed(request.remote or "", ctx.key.allowed_ips):
            self.fleet.record(
                "auth:ip-blocked",
                ctx.user,
                ctx.user,
                {"identifier": ctx.key.identifier},
                ip=request.remote or "",
                api_key=ctx.key,
            )
            raise E.forbidden(E.IP_DENIED.format(ip=request.remote or ""))
        # 429
        buckets = [("user:" + ctx.user.uuid, self.rate_limit)]
        self.throttle(ctx, buckets)
        # 404 unknown server
        if ref is not None and not self.pelican:
            ctx.server = self.bind(ref)
            if ctx.server is None:
                raise E.not_found(E.NOT_FOUND_UNKNOWN)
            self.bind_children(ctx)
        # 403 application key
        if ctx.key.key_type == "application":
            raise E.forbidden(E.APPLICATION_KEY)
        if ctx.server is not None:
            self.check_server_access(ctx, name)
            if self.pelican and name == "api:client:server.ws":
                self._pelican_ws_throttle(ctx)
        builtin = {
            "api:client.index": self.list_servers,
            "api:client.permissions": self.permissions,
            "api:client.account": self.account,
            "api:client.account.activity": self.account_activity,
            "api:client:server.view": self.view_server,
            "api:client:server.ws": self.websocket,
            "api:client:server.resources": self.resources,
            "api:client:server.activity": self.server_activity,
            "api:client:server.command": self.command,
            "api:client:server.power": self.power,
        }.get(name)
        response = await (builtin(ctx) if builtin is not None else FAMILY_HANDLERS[name](self, ctx))
        for k, v in ctx.headers.items():
            response.headers[k] = v
        return response

    def _pelican_ws_throttle(self, ctx: Ctx) -> None:
        self.resource_throttle(ctx, "ws:" + ctx.server.uuid, PELICAN_WEBSOCKET_LIMIT)

    def resource_throttle(self, ctx: Ctx, bucket: str, limit: int, period: float | None = None) -> None:
        """Pelican's per-server ``ResourceLimit`` throttles (a named ``ThrottleRequests``): every request counts,
        the one over ``limit`` in the window (``period`` s, default the client API's) is a 429."""
        ok, remaining, end = self._hit(bucket, limit, period)
        if not ok:
            raise E.throttled(limit, end)
        if remaining < int(ctx.headers.get("X-RateLimit-Remaining", remaining + 1)):
            ctx.headers["X-RateLimit-Limit"] = str(limit)
            ctx.headers["X-RateLimit-Remaining"] = str(remaining)

    def bind_children(self, ctx: Ctx) -> None:
        """The route's other parameters, by their families' binders (a 404 when there is no such model)."""
        for name, value in ctx.params.items():
            binder = BINDERS.get(name)
            if name != "server" and binder is not None and value is not None:
                ctx.bound[name] = binder(self, ctx.server, value)

    async def read_body(self, ctx: Ctx) -> None:
        request = ctx.request
        ctype = request.headers.get("Content-Type", "").lower()
        raw = await request.read() if request.can_read_body else b""
        body: Any = {}
        if ("/json" in ctype or "+json" in ctype) and raw:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise E.malformed_json("Malformed UTF-8 characters, possibly incorrectly encoded") from None
            try:
                body = json.loads(text, parse_constant=_reject_constant)
            except (ValueError, TypeError):
                raise E.malformed_json("Syntax error") from None
        elif "application/x-www-form-urlencoded" in ctype and raw:
            body = php_parse_query(raw.decode("utf-8", "replace"))
        if not isinstance(body, dict):
            body = {str(i): v for i, v in enumerate(body)} if isinstance(body, list) else {}
        ctx.body = clean_input(body)

    def input(self, ctx: Ctx, name: str, default=None):
        if name in ctx.body:
            return ctx.body[name]
        return ctx.query.get(name, default)

    # ----------------------------------------------------------------- server access
    def conflict_detail(self, server: Server) -> str | None:
        not_installed = ("installing", "install_failed") + (("reinstall_failed",) if self.pelican else ())
        if server.status == "suspended":
            return E.CONFLICT_SUSPENDED
        if server.node.maintenance_mode:
            return E.CONFLICT_MAINTENANCE
        if server.status in not_installed:
            return E.CONFLICT_NOT_INSTALLED
        if server.status == "restoring_backup":
            return E.CONFLICT_RESTORING
        if server.is_transferring:
            return E.CONFLICT_TRANSFER
        return None

    def check_server_access(self, ctx: Ctx, route: str) -> None:
        server, user = ctx.server, ctx.user
        if not self.fleet.can_see(user, server):
            raise E.not_found(E.NOT_FOUND_HIDDEN)
        detail = self.conflict_detail(server)
        if detail is None or route == "api:client:server.view":
            return
        if (
            route == "api:client:server.ws"
            and user.root_admin
            and (self.pelican or detail not in (E.CONFLICT_SUSPENDED, E.CONFLICT_MAINTENANCE))
        ):
            return
        if self.pelican and user.root_admin and route.startswith("api:client:server.files."):
            return  # Pelican lets admins use the file manager in every conflict state (PCA §11.5)
        raise E.conflict(detail)

    # ----------------------------------------------------------------- transformers
    def user_item(self, user: User | None) -> dict:
        if user is None:
            return {"object": "null_resource", "attributes": None}
        if self.pelican:
            attrs = {
                "uuid": user.uuid,
                "username": user.username,
                "email": user.email,
                "language": user.language,
                "image": user.image,
                "admin": user.root_admin,
                "root_admin": user.root_admin,
                "2fa_enabled": user.use_totp,
                "created_at": iso(user.created_at),
                "updated_at": iso(user.created_at),
            }
        else:
            attrs = {
                "uuid": user.uuid,
                "username": user.username,
                "email": user.email,
                "image": user.image,
                "2fa_enabled": user.use_totp,
                "created_at": iso(user.created_at),
            }
        return {"object": "user", "attributes": attrs}

    def server_item(self, server: Server, user: User, includes: set[str]) -> dict:
        can = lambda perm: self.fleet.can(user, server, perm)  # noqa: E731
        hide_startup = not can("startup.read")
        invocation = server.egg.startup
        replacements = {
            "{{SERVER_MEMORY}}": str(server.limits.get("memory", 0)),
            "{{SERVER_IP}}": server.allocation.ip,
            "{{SERVER_PORT}}": str(server.allocation.port),
        }
        for var in server.egg.variables:
            value = server.variable_values.get(var.env_variable, var.default_value)
            replacements["{{" + var.env_variable + "}}"] = (
                value if var.user_viewable and not hide_startup else "[hidden]"
            )
        for k, v in replacements.items():
            invocation = invocation.replace(k, v)
        sftp = {"ip": server.node.fqdn, "port": server.node.daemon_sftp}
        limits = {k: server.limits.get(k) for k in ("memory", "swap", "disk", "io", "cpu", "threads")}
        limits["oom_disabled"] = bool(server.limits.get("oom_disabled", True))
        if self.pelican:
            sftp["alias"] = server.node.daemon_sftp_alias
            limits["oom_killer"] = not limits["oom_disabled"]
        not_installed = ("installing", "install_failed") + (("reinstall_failed",) if self.pelican else ())
        if can("allocation.read"):
            allocs = server.allocations
        else:
            allocs = [server.allocation]
        alloc_items = [
            {
                "object": "allocation",
                "attributes": {
                    "id": a.id,
                    "ip": a.ip,
                    "ip_alias": a.ip_alias,
                    "port": a.port,
                    "notes": a.notes if can("allocation.read") else None,
                    "is_default": a is server.allocation,
                },
            }
            for a in allocs
        ]
        relationships: dict = {"allocations": {"object": "list", "data": alloc_items}}
        if can("startup.read"):
            relationships["variables"] = {
                "object": "list",
                "data": [
                    {
                        "object": "egg_variable",
                        "attributes": {
                            "name": v.name,
                            "description": v.description,
                            "env_variable": v.env_variable,
                            "default_value": v.default_value,
                            "server_value": server.variable_values.get(v.env_variable, v.default_value),
                            "is_editable": v.user_editable,
                            "rules": v.rules,
                        },
                    }
                    for v in server.egg.variables
                    if v.user_viewable
                ],
            }
        else:
            relationships["variables"] = {"object": "null_resource", "attributes": None}
        if "egg" in includes:
            relationships["egg"] = {"object": "egg", "attributes": {"uuid": server.egg.uuid, "name": server.egg.name}}
        if "subusers" in includes:
            if can("user.read"):
                data = []
                for uname, perms in server.subusers.items():
                    item = self.user_item(self.fleet.user(uname))
                    item["object"] = "server_subuser"
                    item["attributes"]["permissions"] = list(perms)
                    data.append(item)
                relationships["subusers"] = {"object": "list", "data": data}
            else:
                relationships["subusers"] = {"object": "null_resource", "attributes": None}
        attrs = {
            "server_owner": server.owner is user,
            "identifier": server.identifier,
            "internal_id": server.id,
            "uuid": server.uuid,
            "name": server.name,
            "node": server.node.name,
            "is_node_under_maintenance": server.node.maintenance_mode,
            "sftp_details": sftp,
            "description": server.description,
            "limits": limits,
            "invocation": invocation,
            "docker_image": server.docker_image or server.egg.docker_image,
            "egg_features": server.egg.features,
            "feature_limits": dict(server.feature_limits),
            "status": server.status,
            "is_suspended": server.status == "suspended",
            "is_installing": server.status in not_installed,
            "is_transferring": server.is_transferring,
            "relationships": relationships,
        }
        if self.pelican and not getattr(self.fleet, "editable_descriptions", True):
            del attrs["description"]  # PANEL_EDITABLE_SERVER_DESCRIPTIONS=false
        return {"object": "server", "attributes": attrs}

    def activity_item(self, entry, viewer: User, includes: set[str]) -> dict:
        props = activity_properties(entry.properties, self.pelican, hide_ip=entry.actor is not viewer)
        attrs: dict = {"id": hashlib.sha1(str(entry.id).encode()).hexdigest()}
        if not self.pelican:
            attrs["batch"] = None
        attrs.update(
            {
                "event": entry.event,
                "is_api": entry.is_api,
                "ip": entry.ip if (entry.actor is viewer or viewer.root_admin) else None,
                "description": None,
                "properties": props,
                "has_additional_metadata": False,
                "timestamp": iso(entry.timestamp),
            }
        )
        if "actor" in includes:
            attrs["relationships"] = {"actor": self.user_item(entry.actor)}
        return {"object": "activity_log", "attributes": attrs}

    def includes(self, ctx: Ctx) -> set[str]:
        raw = ctx.query.get("include")
        names: list = []
        if isinstance(raw, str):
            names = raw.split(",")
        elif isinstance(raw, dict):
            for v in raw.values():
                if isinstance(v, str):
                    names.extend(v.split(","))
        return {n.strip() for n in names if n and n.strip()}

    def paginate(self, ctx: Ctx, items: list, per_page_default: int, transform, *, max_per_page: int = 100) -> dict:
        per_page = php_int_param(ctx.query.get("per_page", per_page_default), per_page_default, max_per_page)
        if per_page is None or per_page == 0 or per_page < 0:
            per_page = 15
        page_raw = self.input(ctx, "page")
        page = (
            int(page_raw)
            if isinstance(page_raw, str) and PHP_INT.match(page_raw)
            else (page_raw if isinstance(page_raw, int) and not isinstance(page_raw, bool) else 1)
        )
        if page < 1:
            page = 1
        total = len(items)
        chunk = items[(page - 1) * per_page : page * per_page]
        total_pages = max(1, -(-total // per_page)) if total else 1
        links: dict = {}
        base = self.base_url(ctx.request) + ctx.request.path.rstrip("/")

        def url(p: int) -> str:
            q = dict(ctx.query)
            q["page"] = p
            return base + "?" + http_build_query(q)

        if page > 1:
            links["previous"] = url(page - 1)
        if page < total_pages:
            links["next"] = url(page + 1)
        return {
            "object": "list",
            "data": [transform(i) for i in chunk],
            "meta": {
                "pagination": {
                    "total": total,
                    "count": len(chunk),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": total_pages,
                    "links": links,
                }
            },
        }

    # ----------------------------------------------------------------- handlers
    async def list_servers(self, ctx: Ctx) -> web.Response:
        filters = ctx.query.get("filter")
        filters = filters if isinstance(filters, dict) else {}
        unknown = [str(k) for k in filters if k not in LIST_FILTERS]
        if unknown:
            raise E.invalid_filter(unknown, LIST_FILTERS)
        user = ctx.user
        kind = self.input(ctx, "type")
        servers = list(self.fleet.servers)
        if kind in ("admin", "admin-all"):
            if not user.root_admin:
                servers = []
            elif kind == "admin":
                servers = [s for s in servers if s.owner is not user and user.username not in s.subusers]
        elif kind == "owner":
            servers = [s for s in servers if s.owner is user]
        else:
            servers = [s for s in servers if s.owner is user or user.username in s.subusers]
        for key, value in filters.items():
            if value is None or isinstance(value, dict):
                continue
            values = list(str(value).split(","))
            servers = [s for s in servers if any(self.filter_match(s, key, v) for v in values)]
        includes = self.includes(ctx)
        body = self.paginate(ctx, servers, 50, lambda s: self.server_item(s, user, includes))
        return self.json_response(body)

    @staticmethod
    def filter_match(server: Server, key: str, value: str) -> bool:
        v = value.lower()
        if key == "uuid":
            return v in server.uuid.lower()
        if key == "name":
            return v in server.name.lower()
        if key == "description":
            return v in (server.description or "").lower()
        if key == "external_id":
            return server.external_id is not None and v in str(server.external_id).lower()
        # filter[*]
        if IPV4_FILTER.match(value) or PORT_FILTER.match(value):
            ip, _, port = value.partition(":")
            for a in server.allocations:
                if ip and a.ip != ip:
                    continue
                if port and not str(a.port).startswith(port):
                    continue
                return True
            return False
        return (
            server.uuid == value
            or server.uuid.lower().startswith(v)
            or server.identifier == value
            or (server.external_id is not None and str(server.external_id) == value)
            or v in server.name.lower()
        )

    async def permissions(self, ctx: Ctx) -> web.Response:
        if self.pelican:
            perms: Any = list(PELICAN_PERMISSIONS)
        else:
            perms = {}
            for group, keys in PERMISSION_GROUPS.items():
                desc, key_desc = PERMISSION_DESCRIPTIONS[group]
                perms[group] = {"description": desc, "keys": {k: key_desc.get(k, "") for k in keys}}
        return self.json_response({"object": "system_permissions", "attributes": {"permissions": perms}})

    async def account(self, ctx: Ctx) -> web.Response:
        u = ctx.user
        if self.pelican:
            return self.json_response(self.user_item(u))
        return self.json_response(
            {
                "object": "user",
                "attributes": {
                    "id": u.id,
                    "admin": u.root_admin,
                    "username": u.username,
                    "email": u.email,
                    "first_name": u.first_name,
                    "last_name": u.last_name,
                    "language": u.language,
                },
            }
        )

    def activity_list(self, ctx: Ctx, entries: list) -> web.Response:
        filters = ctx.query.get("filter")
        filters = filters if isinstance(filters, dict) else {}
        unknown = [str(k) for k in filters if k != "event"]
        if unknown:
            raise E.invalid_filter(unknown, ["event"])
        sort = ctx.query.get("sort")
        order = None
        if isinstance(sort, str):
            parts = [p.strip() for p in sort.split(",") if p.strip()]
            bad = [p for p in parts if p.lstrip("-") != "timestamp"]
            if bad:
                raise E.invalid_sort(bad, ["timestamp"])
            if parts:
                order = parts[0]
        entries = [e for e in entries if e.event != "server:file.upload"]
        event = filters.get("event")
        if isinstance(event, str):
            needles = [n.lower() for n in event.split(",")]
            entries = [e for e in entries if any(n in e.event.lower() for n in needles)]
        if order == "timestamp":
            entries.sort(key=lambda e: (int(e.timestamp), e.id))
        elif order == "-timestamp":
            entries.sort(key=lambda e: (int(e.timestamp), e.id), reverse=True)
        includes = self.includes(ctx)
        body = self.paginate(ctx, entries, 25, lambda e: self.activity_item(e, ctx.user, includes))
        return self.json_response(body)

    async def account_activity(self, ctx: Ctx) -> web.Response:
        return self.activity_list(ctx, [e for e in self.fleet.activity if e.subject is ctx.user])

    async def server_activity(self, ctx: Ctx) -> web.Response:
        if not self.fleet.can(ctx.user, ctx.server, "activity.read"):
            raise E.forbidden()
        return self.activity_list(ctx, [e for e in self.fleet.activity if e.subject is ctx.server])

    async def view_server(self, ctx: Ctx) -> web.Response:
        item = self.server_item(ctx.server, ctx.user, self.includes(ctx))
        item["meta"] = {
            "is_server_owner": ctx.server.owner is ctx.user,
            "user_permissions": self.fleet.user_permissions(ctx.user, ctx.server),
        }
        return self.json_response(item)

    def wings_stats(self, server: Server) -> dict:
        stats = dict(server.runtime.stats())
        return {
            "state": stats.get("state", server.runtime.state),
            "is_suspended": server.is_suspended,
            "utilization": stats,
        }

    async def resources(self, ctx: Ctx) -> web.Response:
        server = ctx.server
        now = time.monotonic()
        cached = self.resource_cache.get(server.uuid)
        if cached is None or cached[0] <= now:
            try:
                if server.node.unreachable:
                    raise ConnectionError("node unreachable")
                data = self.wings_stats(server)
            except Exception:
                log.debug("stats failed for %s", server.uuid, exc_info=True)
                if self.pelican:
                    data = {"state": "missing"}
                else:
                    raise E.daemon_unreachable() from None
            self.resource_cache[server.uuid] = (now + self.resource_cache_seconds, data)
        else:
            data = cached[1]
        util = data.get("utilization") or {}
        net = util.get("network") or {}
        return self.json_response(
            {
                "object": "stats",
                "attributes": {
                    "current_state": data.get("state", "stopped"),
                    "is_suspended": data.get("is_suspended", False),
                    "resources": {
                        "memory_bytes": util.get("memory_bytes", 0),
                        "cpu_absolute": util.get("cpu_absolute", 0),
                        "disk_bytes": util.get("disk_bytes", 0),
                        "network_rx_bytes": net.get("rx_bytes", 0),
                        "network_tx_bytes": net.get("tx_bytes", 0),
                        "uptime": util.get("uptime", 0),
                    },
                },
            }
        )

    async def power(self, ctx: Ctx) -> web.Response:
        signal = self.input(ctx, "signal")
        perm = POWER_PERMISSIONS.get(signal) if isinstance(signal, str) else None
        if perm is None:
            perm = "websocket.connect" if self.pelican else "__invalid"
        if not self.fleet.can(ctx.user, ctx.server, perm):
            raise E.forbidden()
        failures = []
        if signal is None:
            failures.append(("signal", "required", {}))
        else:
            if not isinstance(signal, str):
                failures.append(("signal", "string", {}))
            if _php_string(signal) not in POWER_SIGNALS:
                failures.append(("signal", "in", {}))
        if failures:
            raise E.validation(failures)
        self.check_daemon(ctx.server)
        ctx.server.runtime.request_power(signal)
        self.fleet.record(
            f"server:power.{signal.lower()}", ctx.user, ctx.server, ip=ctx.request.remote or "", api_key=ctx.key
        )
        return web.Response(status=204)

    async def command(self, ctx: Ctx) -> web.Response:
        if not self.fleet.can(ctx.user, ctx.server, "control.console"):
            raise E.forbidden()
        command = self.input(ctx, "command")
        if command is None:
            raise E.validation([("command", "required", {})])
        if not isinstance(command, str):
            raise E.validation([("command", "string", {})])
        self.check_daemon(ctx.server)
        ok = await ctx.server.runtime.send_command(command)
        if not ok and not self.pelican:
            raise E.command_offline()
        self.fleet.record(
            "server:console.command",
            ctx.user,
            ctx.server,
            {"command": command},
            ip=ctx.request.remote or "",
            api_key=ctx.key,
        )
        return web.Response(status=204)

    def check_daemon(self, server: Server) -> None:
        """A node whose Wings cannot be reached: Pterodactyl 504, Pelican a plain 500."""
        if server.node.unreachable:
            if self.pelican:
                raise E.unexpected("ConnectionException")
            raise E.daemon_unreachable()

    async def websocket(self, ctx: Ctx) -> web.Response:
        user, server = ctx.user, ctx.server
        if not self.fleet.can(user, server, "websocket.connect"):
            raise E.http_forbidden(E.WEBSOCKET_FORBIDDEN)
        if server.is_transferring and not self.fleet.can(user, server, "admin.websocket.transfer"):
            raise E.http_forbidden(E.TRANSFER_LOGS_FORBIDDEN)
        token = self.issue_token(user, server)
        socket = self.wings_url.replace("https://", "wss://").replace("http://", "ws://")
        return self.json_response({"data": {"token": token, "socket": f"{socket}/api/servers/{server.uuid}/ws"}})

    def issue_token(self, user: User, server: Server, now: int | None = None) -> str:
        jti, claims = self.node_jwt_claims(user, server, int(self.token_ttl), now)
        claims["server_uuid"] = server.uuid
        claims["permissions"] = self.fleet.user_permissions(user, server)
        if self.emits_scope and not self.pelican:
            claims["scope"] = "websocket"
        claims["user_uuid"] = user.uuid
        if self.pelican:
            claims["unique_id"] = rand_alnum(16)
            claims["scope"] = "websocket"
        else:
            claims["user_id"] = user.id
            claims["unique_id"] = rand_alnum(16)
        return self.sign_node_jwt(server, jti, claims)

    def node_jwt_claims(self, user: User, server: Server, ttl: int, now: int | None = None) -> tuple[str, dict]:
        """NodeJWTService's first claims, in its order: -> (jti, {iss, aud, jti, iat, nbf (-5 min), exp}).
        ``jti`` is md5 (Pelican: sha256) of the user id and the server uuid."""
        now = int(time.time()) if now is None else now
        digest = hashlib.sha256 if self.pelican else hashlib.md5
        jti = digest(f"{user.id}{server.uuid}".encode()).hexdigest()
        claims = {"iss": self.panel_url, "aud": [self.wings_url], "jti": jti, "iat": now, "nbf": now - 300}
        claims["exp"] = now + ttl
        return jti, claims

    def sign_node_jwt(self, server: Server, jti: str, claims: dict) -> str:
        """HS256 with the node's daemon token; ``jti`` also as a JOSE header."""
        key = server.node.daemon_token or self.node_context.daemon_token
        return jwt.encode(claims, key, algorithm="HS256", headers={"jti": jti}, sort_headers=False)


def _ip_allowed(ip: str, ranges: list[str]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for r in ranges:
        try:
            if addr in ipaddress.ip_network(str(r), strict=False):
                return True
        except ValueError:
            continue
    return False


def _php_string(value) -> str | None:
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def _reject_constant(name: str):
    raise ValueError(name)
