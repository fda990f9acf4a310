"""The databases family: ``/api/client/servers/{server}/databases/*`` (reference panel-client-api-config.md §8).

No database server is behind it: a database is a row the sandbox keeps (``Fleet.databases``) on one of the
fleet file's ``database_hosts``. In the panel's order:

* ``{database}``: PT resolves a hashid (``hashids``, salt ``Fleet.hashids_salt``, length 8, the panel's
  alphabet) or digits, PL the integer id; unknown: the binding's 404; another server's: PT
  ``ResourceBelongsToServer``'s 404 after the 409 checks.
* Create: PL's throttle (2 per minute per server), the permission, the rules (``database`` required,
  alpha_dash, min:3, max:48, unique for the server after the ``s<server id>_`` prefix; ``remote`` required,
  string, the model's regex), then ``DeployServerDatabaseService``: no host at all, or none on the server's
  node while ``client_features.databases.allow_random`` is off: 400; ``enabled`` off: the 500
  (``DatabaseClientFeatureNotEnabledException``); the limit (``feature_limits.databases``: null is unlimited)
  400. The name is ``s<id>_<name>`` cut to 48 characters, the username ``u<id>_<10 random>``, the password 24
  characters with 2 to 6 of ``!@=.+^``. A host's ``max_databases`` is not checked (neither panel does for
  a client's database).
* The answers include the password (create, rotate-password; ``?include=password`` on the list) for a user
  with ``database.view_password`` (PL ``database.view-password``), else a ``null_resource``.
"""

from __future__ import annotations

import dataclasses
import random
import secrets

from aiohttp import web
from hashids import Hashids

from . import errors as E
from .errors import ApiError
from .fleet import DatabaseHost, Server
from .forms import belonging, creation_throttle, found_or_404, permit
from .panel import PHP_INT, Ctx, Panel, rand_alnum, register_binder, route
from .rules import failures, php_string

BASE = r"^/api/client/servers/(?P<server>[^/]+)/databases"
ITEM = BASE + r"/(?P<database>[^/]+)"
NO_HOST = "No database host was found that meets the requirements for this server."
TOO_MANY = "Operation aborted: creating a new database would put this server over the defined limit."
NAME_IN_USE = "The database name you have selected is already in use by this server."
REMOTE_RULE = r"required|string|regex:/^[\w\-\/.%:]+$/"
CREATE_THROTTLE = {"count": 2, "period": 60}  # Pelican's ResourceLimit::DatabaseCreate
HASHIDS_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890"
SPECIALS = "!@=.+^"


def hashids(panel: Panel) -> Hashids:
    return Hashids(salt=panel.fleet.hashids_salt, min_length=8, alphabet=HASHIDS_ALPHABET)


@dataclasses.dataclass(eq=False)
class Database:
    """A row of ``databases``."""

    id: int
    server: Server
    host: DatabaseHost
    database: str
    username: str
    remote: str
    password: str
    max_connections: int | None = None


def public_id(panel: Panel, database: Database) -> int | str:
    return database.id if panel.pelican else hashids(panel).encode(database.id)


def bind_database(panel: Panel, server: Server, value: str) -> Database:
    """PT ``Database::resolveRouteBinding`` (digits, else the hashid's first number); PL the integer id."""
    wanted: int | None = None
    if value.isdigit():
        wanted = int(value)
    elif panel.pelican:
        wanted = int(value) if PHP_INT.match(value) else None
    else:
        decoded = hashids(panel).decode(value)
        wanted = decoded[0] if decoded else None
    return found_or_404(next((d for d in panel.fleet.databases if d.id == wanted), None))


register_binder("database", bind_database)


def checked_database(panel: Panel, ctx: Ctx, permission: str) -> Database:
    """The bound database of this server (PT ``ResourceBelongsToServer``), then the permission."""
    database = belonging(ctx, "database", lambda d: d.server is ctx.server)
    permit(panel, ctx, permission)
    return database


def database_item(panel: Panel, ctx: Ctx, database: Database, with_password: bool) -> dict:
    """PT ``DatabaseTransformer`` (include ``password``: the item, or a null resource without the permission)."""
    item = {
        "object": "server_database",
        "attributes": {
            "id": public_id(panel, database),
            "host": {"address": database.host.host, "port": database.host.port},
            "name": database.database,
            "username": database.username,
            "connections_from": database.remote,
            "max_connections": database.max_connections,
        },
    }
    if with_password:
        key = "database.view-password" if panel.pelican else "database.view_password"
        if panel.fleet.can(ctx.user, ctx.server, key):
            shown = {"object": "database_password", "attributes": {"password": database.password}}
        else:
            shown = {"object": "null_resource", "attributes": None}
        item["attributes"]["relationships"] = {"password": shown}
    return item


def record(panel: Panel, ctx: Ctx, event: str, database: Database) -> None:
    properties = {"name": database.database}
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def unique_name(name: str, server: Server) -> str:
    """``DatabaseManagementService::generateUniqueDatabaseName``: 48 characters with the prefix."""
    prefix = f"s{server.id}_"
    return prefix + name[: 48 - len(prefix)]


def password() -> str:
    """``Utilities::randomStringWithSpecialCharacters(24)``."""
    chars = list(rand_alnum(24))
    for _unused in range(secrets.choice(range(2, 7))):
        chars[secrets.randbelow(24)] = secrets.choice(SPECIALS)
    return "".join(chars)


def of_server(panel: Panel, server: Server) -> list[Database]:
    return [d for d in panel.fleet.databases if d.server is server]


@route("api:client:server.databases.index", BASE + "$", ("GET",))
async def index(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "database.read")
    shown = "password" in panel.includes(ctx)
    rows = [database_item(panel, ctx, d, shown) for d in of_server(panel, ctx.server)]
    return panel.json_response({"object": "list", "data": rows})


@route("api:client:server.databases.store", BASE + "$", ("POST",))
async def store(panel: Panel, ctx: Ctx) -> web.Response:
    creation_throttle(panel, ctx, "database", CREATE_THROTTLE)
    server = ctx.server
    rules = [("database", "required|alpha_dash|min:3|max:48"), ("remote", REMOTE_RULE)]
    permit(panel, ctx, "database.create")
    data = {**ctx.query, **ctx.body}
    asked = data.get("database")
    if isinstance(asked, (list, dict)):
        raise E.unexpected("TypeError")  # the unique rule's generateUniqueDatabaseName(string $name, ...)
    found = []
    name = unique_name(php_string(asked), server)
    for field, spec in rules:
        found += [(field, rule, text) for rule, text in failures(field, field in data, data.get(field), spec, data)]
        if field == "database" and asked is not None and any(d.database == name for d in of_server(panel, server)):
            found.append(("database", "unique", NAME_IN_USE))  # Rule::unique with its own message
    if found:
        raise E.validation_failed(found)
    features = panel.fleet.client_features["databases"]
    hosts = panel.fleet.database_hosts
    on_node = [h for h in hosts if h.node is server.node]
    if not hosts or (not on_node and not features["allow_random"]):
        raise ApiError(400, "NoSuitableDatabaseHostException", NO_HOST, pretty=False)
    if not features["enabled"]:
        raise E.unexpected("DatabaseClientFeatureNotEnabledException")
    limit = server.feature_limits.get("databases")
    if limit is not None and len(of_server(panel, server)) >= int(limit):
        raise ApiError(400, "TooManyDatabasesException", TOO_MANY, pretty=False)
    database = Database(
        id=panel.fleet.next_id("databases"),
        server=server,
        host=random.choice(on_node or hosts),
        database=name,
        username=f"u{server.id}_{rand_alnum(10)}",
        remote=php_string(data["remote"]),
        password=password(),
    )
    panel.fleet.databases.append(database)
    record(panel, ctx, "server:database.create", database)
    return panel.json_response(database_item(panel, ctx, database, True))


@route("api:client:server.databases.rotate", ITEM + "/rotate-password$", ("POST",))
async def rotate(panel: Panel, ctx: Ctx) -> web.Response:
    database = checked_database(panel, ctx, "database.update")
    database.password = password()
    record(panel, ctx, "server:database.rotate-password", database)
    return panel.json_response(database_item(panel, ctx, database, True))


@route("api:client:server.databases.delete", ITEM + "$", ("DELETE",))
async def delete(panel: Panel, ctx: Ctx) -> web.Response:
    panel.fleet.databases.remove(database := checked_database(panel, ctx, "database.delete"))
    record(panel, ctx, "server:database.delete", database)
    return web.Response(status=204)
