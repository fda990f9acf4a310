"""The subusers family: ``/api/client/servers/{server}/users/*`` (reference panel-client-api-config.md §7).

The rows are ``Server.subusers`` (username -> permissions), the table ``Fleet.can`` reads for every route: a
subuser added here has exactly the rights of one from the fleet file. In the panel's order:

* ``{user}`` binds the server's subuser by the user's uuid (both flavors: PT ``SubstituteClientBindings``, PL
  ``Server::resolveChildRouteBinding``); none is the binding's 404.
* ``SubuserRequest::authorize``: the permission (403), then yourself (403 ``This action is unauthorized.``),
  then on a POST with ``permissions`` the escalation check (403 HttpForbiddenException) for a caller who is
  neither a root admin nor the owner; a ``permissions`` that is no array is PHP's TypeError (500).
* Laravel's rules (422): ``email`` required|email|between:1,191 (PL 255), ``permissions`` required|array,
  ``permissions.*`` string.
* The services: the owner's email (400), already a subuser (400); an unknown email makes a panel user
  (username: the local part's word characters + 3 random ones; PT finds the email as MySQL compares,
  case-insensitively, PL exactly). Keys not in the permission list are dropped, ``websocket.connect`` added;
  PL also keeps only the keys the caller holds, sorted.
* Update and delete deny the user's websocket tokens on the node (Wings' ``/ws/deny``: the token's jti); an
  unreachable node leaves ``revoked: false`` on PT. The update's event is written only when the set changed.
* PL limits creation to 10 per 15 minutes per server (``ResourceLimit::SubuserCreate``).
"""

from __future__ import annotations

import hashlib
import random
import re
import time
import uuid as uuidlib
from typing import Any

from aiohttp import web

from . import errors as E
from .errors import ApiError
from .fleet import PELICAN_PERMISSIONS, PERMISSION_GROUPS, Server, User
from .forms import creation_throttle, permit
from .panel import Ctx, Panel, rand_alnum, register_binder, route
from .rules import php_string, validate

BASE = r"^/api/client/servers/(?P<server>[^/]+)/users"
ITEM = BASE + r"/(?P<user>[^/]+)"
ESCALATION = "Cannot assign permissions to a subuser that your account does not actively possess."
IS_OWNER = "You cannot add the server owner as a subuser for this server."
EXISTS = "A user with that email address is already assigned as a subuser for this server."
CREATE_THROTTLE = {"count": 10, "period": 900}  # Pelican's ResourceLimit::SubuserCreate
PT_KEYS = [f"{group}.{key}" for group, keys in PERMISSION_GROUPS.items() for key in keys]


def known_keys(panel: Panel) -> list[str]:
    """What ``GET /api/client/permissions`` lists, flat."""
    return list(PELICAN_PERMISSIONS) if panel.pelican else list(PT_KEYS)


def bind_user(panel: Panel, server: Server, value: str) -> User:
    for username in server.subusers:
        user = panel.fleet.user(username)
        if user.uuid == value:
            return user
    raise E.not_found(E.NOT_FOUND_UNKNOWN)


register_binder("user", bind_user)


def subuser_item(panel: Panel, server: Server, user: User) -> dict:
    """PT ``SubuserTransformer``: the client user shape (PL's larger one) and the permissions."""
    item = panel.user_item(user)
    item["object"] = "server_subuser"
    item["attributes"]["permissions"] = list(server.subusers.get(user.username, []))
    return item


def record(panel: Panel, ctx: Ctx, event: str, properties: dict) -> None:
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def authorize(panel: Panel, ctx: Ctx, permission: str) -> dict:
    """``SubuserRequest::authorize`` and the rules of the route (-> the input)."""
    permit(panel, ctx, permission)
    target = ctx.bound.get("user")
    if target is not None and target.uuid == ctx.user.uuid:
        raise E.forbidden()
    data = {**ctx.query, **ctx.body}
    if ctx.request.method == "POST" and "permissions" in data:
        asked = data["permissions"] if data["permissions"] is not None else []
        if not isinstance(asked, (list, dict)):
            raise E.unexpected("TypeError")  # validatePermissionsCanBeAssigned(array $permissions)
        actor, server = ctx.user, ctx.server
        if not actor.root_admin and server.owner is not actor:
            held = set(panel.fleet.user_permissions(actor, server))
            if any(php_string(key) not in held for key in _values(asked)):
                raise E.http_forbidden(ESCALATION)
    rules = [("permissions", "required|array"), ("permissions.*", "string")]
    if permission == "user.create":
        longest = 255 if panel.pelican else 191
        rules.insert(0, ("email", f"required|email|between:1,{longest}"))
    validate(data, rules)
    return data


def _values(value: list | dict) -> list:
    return list(value.values()) if isinstance(value, dict) else list(value)


def cleaned(panel: Panel, ctx: Ctx, asked: list | dict) -> list[str]:
    """PT ``getDefaultPermissions`` (known keys, ``websocket.connect`` appended, duplicates dropped); PL's
    ``getCleanedPermissions`` then the services' filter: the keys the caller holds (and websocket.connect),
    sorted."""
    known = set(known_keys(panel))
    keys = [key for key in _values(asked) if isinstance(key, str) and key in known] + ["websocket.connect"]
    unique = list(dict.fromkeys(keys))
    if not panel.pelican:
        return unique
    can = panel.fleet.can
    return sorted(key for key in unique if key == "websocket.connect" or can(ctx.user, ctx.server, key))


def revoke(panel: Panel, server: Server, user: User) -> bool:
    """The node's ``POST /api/servers/{uuid}/ws/deny`` with the user's jti (False: the node is unreachable)."""
    if server.node.unreachable:
        return False
    digest = hashlib.sha256 if panel.pelican else hashlib.md5
    jti = digest(f"{user.id}{server.uuid}".encode()).hexdigest()
    panel.node_context.denied_jtis[jti] = time.time()
    return True


def find_email(panel: Panel, email: str) -> User | None:
    for user in panel.fleet.users:
        if user.email == email or (not panel.pelican and user.email.casefold() == email.casefold()):
            return user
    return None


def new_user(panel: Panel, email: str) -> User:
    """``UserCreationService``: a panel account for an unknown email (no password, no API key)."""
    local = re.sub(r"[^\w.-]+", "", email.split("@", 1)[0])[:64]
    fleet = panel.fleet
    user = User(
        id=max((u.id for u in fleet.users), default=0) + 1,
        uuid=str(uuidlib.UUID(int=random.getrandbits(128), version=4)),
        username=local + rand_alnum(3),
        email=email,
        first_name="Server",
        last_name="Subuser",
        created_at=time.time(),
    )
    fleet.users.append(user)
    return user


@route("api:client:server.users.index", BASE + "$", ("GET",))
async def index(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "user.read")
    server = ctx.server
    rows = [subuser_item(panel, server, panel.fleet.user(name)) for name in server.subusers]
    return panel.json_response({"object": "list", "data": rows})


@route("api:client:server.users.store", BASE + "$", ("POST",))
async def store(panel: Panel, ctx: Ctx) -> web.Response:
    creation_throttle(panel, ctx, "subuser", CREATE_THROTTLE)
    data = authorize(panel, ctx, "user.create")
    server, email = ctx.server, data["email"]
    permissions = cleaned(panel, ctx, data["permissions"])
    user = find_email(panel, email)
    if user is not None and server.owner is user:
        raise ApiError(400, "UserIsServerOwnerException", IS_OWNER, pretty=False)
    if user is not None and user.username in server.subusers:
        raise ApiError(400, "ServerSubuserExistsException", EXISTS, pretty=False)
    if user is None:
        user = new_user(panel, email)
    server.subusers[user.username] = permissions
    record(panel, ctx, "server:subuser.create", {"email": email, "permissions": list(permissions)})
    return panel.json_response(subuser_item(panel, server, user))


@route("api:client:server.users.view", ITEM + "$", ("GET",))
async def view(panel: Panel, ctx: Ctx) -> web.Response:
    authorize_read(panel, ctx)
    return panel.json_response(subuser_item(panel, ctx.server, ctx.bound["user"]))


def authorize_read(panel: Panel, ctx: Ctx) -> None:
    permit(panel, ctx, "user.read")
    if ctx.bound["user"].uuid == ctx.user.uuid:
        raise E.forbidden()


@route("api:client:server.users.update", ITEM + "$", ("POST",))
async def update(panel: Panel, ctx: Ctx) -> web.Response:
    data = authorize(panel, ctx, "user.update")
    server, user = ctx.server, ctx.bound["user"]
    permissions = cleaned(panel, ctx, data["permissions"])
    current = sorted(server.subusers[user.username])
    new = sorted(permissions)
    if new != current:
        server.subusers[user.username] = permissions
        revoked = revoke(panel, server, user) or panel.pelican  # PL queues the revocation
        properties: dict[str, Any] = {"email": user.email, "old": current, "new": new, "revoked": revoked}
        record(panel, ctx, "server:subuser.update", properties)
    return panel.json_response(subuser_item(panel, server, user))


@route("api:client:server.users.delete", ITEM + "$", ("DELETE",))
async def delete(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "user.delete")
    server, user = ctx.server, ctx.bound["user"]
    if user.uuid == ctx.user.uuid:
        raise E.forbidden()
    del server.subusers[user.username]
    revoked = revoke(panel, server, user) or panel.pelican
    record(panel, ctx, "server:subuser.delete", {"email": user.email, "revoked": revoked})
    return web.Response(status=204)
