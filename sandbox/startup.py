"""The startup family: ``GET /api/client/servers/{server}/startup`` and ``PUT .../startup/variable``.

Reference: ``../shared/reference/panel-client-api-config.md`` §4 (PT ``C/StartupController.php``,
``R/Startup/*.php``, ``T/EggVariableTransformer.php``, ``StartupCommandService``; PL the same files).

* GET (``startup.read``): the user-viewable variables as ``egg_variable`` items (DB order; Pelican by ``sort``),
  ``meta.startup_command`` (values filled in, ``[hidden]`` for the variables that are not viewable),
  ``meta.docker_images`` (the egg's display name -> image object) and ``meta.raw_startup_command``.
* PUT (``startup.update``; ``key`` required|string, ``value`` present), then in the controller: an unknown key is
  PT's 500 (it reads ``server_value`` off null before its check; ``ErrorException``) and PL's 400, a variable
  that is not viewable 400 ``The environment variable you are trying to edit does not exist.``, one that is
  not editable 400 ``The environment variable you are trying to edit is read-only.``, then ``value`` against the
  variable's own rules (sandbox/rules.py: Laravel's texts, attribute ``value``). Stored as ``value ?? ""``; the
  answer echoes the request's value (``""`` arrives as null, so it shows ``server_value: null``) with
  ``meta.startup_command`` and ``meta.raw_startup_command``. Activity ``server:startup.edit`` (``variable``,
  ``old``, ``new``): PT unless the value equals the variable's *name* (so practically always), PL only when
  the stored value is not the request's value (``new`` = ``value ?? ""``). PT looks the key up as MySQL's
  ``utf8mb4_unicode_ci`` compares (case-insensitively), PL as SQLite does (exactly).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import eggvars
from . import errors as E
from .errors import ApiError
from .panel import Ctx, Panel, route
from .rules import checked_input, php_string, validate

BASE = r"^/api/client/servers/(?P<server>[^/]+)/startup"
DOES_NOT_EXIST = "The environment variable you are trying to edit does not exist."
READ_ONLY = "The environment variable you are trying to edit is read-only."


def bad_request(detail: str) -> ApiError:
    return ApiError(400, "BadRequestHttpException", detail)


def egg_variable(var: Any, server_value: Any) -> dict:
    """EggVariableTransformer (PL joins its rule array with ``|``, which ``rules`` already is)."""
    return {
        "object": "egg_variable",
        "attributes": {
            "name": var.name,
            "description": var.description,
            "env_variable": var.env_variable,
            "default_value": var.default_value,
            "server_value": server_value,
            "is_editable": var.user_editable,
            "rules": var.rules,
        },
    }


def viewable(server: Any, pelican: bool) -> list:
    found = [var for var in eggvars.variables(server) if var.user_viewable]
    if pelican:  # orderBy('sort'): nulls first, then the DB order
        found.sort(key=lambda var: (var.sort is not None, var.sort or 0))
    return found


def rules_of(var: Any, pelican: bool) -> str | list[str]:
    """PT validates the rule string (exploded on ``|``), PL its stored array."""
    if pelican and var.rule_list is not None:
        return list(var.rule_list)
    return var.rules


def find(server: Any, key: Any, pelican: bool) -> Any:
    if not isinstance(key, str):
        return None
    for var in eggvars.variables(server):
        if var.env_variable == key or (not pelican and var.env_variable.casefold() == key.casefold()):
            return var
    return None


def stored(value: Any) -> str:
    """What the value column holds after ``value ?? ''`` (a bool is bound as 0/1)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return php_string(value)


@route("api:client:server.startup.index", BASE + r"$", ("GET",))
async def index(panel: Panel, ctx: Ctx) -> web.Response:
    checked_input(panel, ctx, "startup.read", [])
    server = ctx.server
    data = [egg_variable(var, eggvars.server_value(server, var)) for var in viewable(server, panel.pelican)]
    meta = {
        "startup_command": eggvars.startup_command(server),
        "docker_images": eggvars.images(server.egg),
        "raw_startup_command": eggvars.template(server),
    }
    return panel.json_response({"object": "list", "data": data, "meta": meta})


@route("api:client:server.startup.variable", BASE + r"/variable$", ("PUT",))
async def update_variable(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "startup.update", [("key", "required|string"), ("value", "present")])
    server, value = ctx.server, data.get("value")
    var = find(server, data["key"], panel.pelican)
    if var is None and not panel.pelican:
        raise E.unexpected("ErrorException")  # Attempt to read property "server_value" on null
    if var is None or not var.user_viewable:
        raise bad_request(DOES_NOT_EXIST)
    if not var.user_editable:
        raise bad_request(READ_ONLY)
    original = eggvars.server_value(server, var)
    validate(data, [("value", rules_of(var, panel.pelican))])
    if isinstance(value, (list, dict)):
        raise E.unexpected("ErrorException")  # Array to string conversion
    server.variable_values[var.env_variable] = stored(value if value is not None else "")
    if panel.pelican:
        changed = not (isinstance(value, str) and value == original)
        properties = {"variable": var.env_variable, "old": original, "new": value if value is not None else ""}
    else:
        changed = not (isinstance(value, str) and value == var.env_variable)
        properties = {"variable": var.env_variable, "old": original, "new": value}
    if changed:
        panel.fleet.record(
            "server:startup.edit", ctx.user, server, properties, ip=ctx.request.remote or "", api_key=ctx.key
        )
    body = egg_variable(var, value)
    body["meta"] = {"startup_command": eggvars.startup_command(server), "raw_startup_command": eggvars.template(server)}
    return panel.json_response(body)
