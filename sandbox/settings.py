"""The settings family: ``POST /api/client/servers/{server}/settings/rename``, ``/settings/description``
(Pelican), ``PUT /settings/docker-image`` and ``POST /settings/reinstall``.

Reference: ``../shared/reference/panel-client-api-config.md`` §5 (PT ``C/SettingsController.php``,
``R/Settings/*.php``, ``ReinstallServerService``; PL the same files). In each handler, the panel's order: the
permission (403), the form request's rules (422, sandbox/rules.py), then the controller.

* rename (``settings.rename``): PT ``name`` required|string|min:1|max:191 and ``description`` string|nullable;
  a ``description`` key (even null) sets it to its string form, none keeps it; activity
  ``server:settings.rename`` and ``server:settings.description`` (``old``, ``new``), each when it changed.
  PL: ``name`` only (max:255), ``description`` ignored.
* description (PL only, ``settings.description``, ``description`` string|nullable): 403 with the body ``[]`` when
  descriptions are not editable (``PANEL_EDITABLE_SERVER_DESCRIPTIONS=false``: the fleet's
  ``editable_descriptions``), else stored as ``value ?? ""``, ``server:settings.description`` when changed.
* docker-image (``startup.docker-image``): PT required|string|max:191|regex|``in:`` the egg's images, PL
  required|string|``in:``; 422 ``The selected docker image is invalid.``; then a server whose current image is not
  one of the egg's: 400 ``This server's Docker image has been manually set by an administrator and cannot be
  updated.``; activity ``server:startup.image`` (``old``, ``new``) when it changed. 204.
* reinstall (``settings.reinstall``): status ``installing``, then Wings (sandbox/install.py); a Wings refusal
  (the power lock is held) rolls the status back: PT 409 ``An error occurred on the remote host: Cannot execute
  server reinstall event while another power action is running.. (request id: …)``, PL a 500
  ``RequestException``. Activity ``server:reinstall``; 202 with the body ``[]``.
"""

from __future__ import annotations

from aiohttp import web

from . import eggvars, install
from .errors import ApiError
from .files import WingsFailure, daemon_error
from .forms import permit
from .panel import Ctx, Panel, route
from .rules import checked_input, php_string

BASE = r"^/api/client/servers/(?P<server>[^/]+)/settings/"
MANUAL_IMAGE = "This server's Docker image has been manually set by an administrator and cannot be updated."
IMAGE_FORMAT = r"regex:/^[\w#\.\/\- ]*\|?~?[\w\.\/\-:@ ]*$/"


def record(panel: Panel, ctx: Ctx, event: str, properties: dict | None = None) -> None:
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def rule_in(values) -> str:
    """``Rule::in($values)`` as its string (quoted CSV)."""
    return "in:" + ",".join('"' + str(v).replace('"', '""') + '"' for v in values)


@route("api:client:server.settings.rename", BASE + r"rename$", ("POST",))
async def rename(panel: Panel, ctx: Ctx) -> web.Response:
    server = ctx.server
    if panel.pelican:
        data = checked_input(panel, ctx, "settings.rename", [("name", ["required", "string", "min:1", "max:255"])])
        old, server.name = server.name, data["name"]
        if old != server.name:
            record(panel, ctx, "server:settings.rename", {"old": old, "new": server.name})
        return web.Response(status=204)
    rules = [("name", "required|string|min:1|max:191"), ("description", "string|nullable")]
    data = checked_input(panel, ctx, "settings.rename", rules)
    name = data["name"]
    description = php_string(data["description"]) if "description" in data else server.description
    old_name, old_description = server.name, server.description
    server.name, server.description = name, description
    if old_name != name:
        record(panel, ctx, "server:settings.rename", {"old": old_name, "new": name})
    if old_description != description:
        record(panel, ctx, "server:settings.description", {"old": old_description, "new": description})
    return web.Response(status=204)


@route("api:client:server.settings.description", BASE + r"description$", ("POST",), flavor="pelican")
async def description(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "settings.description", [("description", "string|nullable")])
    if not getattr(panel.fleet, "editable_descriptions", True):
        return panel.json_response([], 403)
    server, value = ctx.server, data.get("description")
    old = server.description
    server.description = value if value is not None else ""
    if old != server.description:
        record(panel, ctx, "server:settings.description", {"old": old, "new": value})
    return web.Response(status=204)


@route("api:client:server.settings.docker-image", BASE + r"docker-image$", ("PUT",))
async def docker_image(panel: Panel, ctx: Ctx) -> web.Response:
    server = ctx.server
    images = list(eggvars.images(server.egg).values())
    spec = ["required", "string"] + ([] if panel.pelican else ["max:191", IMAGE_FORMAT]) + [rule_in(images)]
    data = checked_input(panel, ctx, "startup.docker-image", [("docker_image", spec)])
    original = eggvars.docker_image(server)
    if original not in images:
        raise ApiError(400, "BadRequestHttpException", MANUAL_IMAGE)
    server.docker_image = data["docker_image"]
    if original != server.docker_image:
        record(panel, ctx, "server:startup.image", {"old": original, "new": server.docker_image})
    return web.Response(status=204)


@route("api:client:server.settings.reinstall", BASE + r"reinstall$", ("POST",))
async def reinstall(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "settings.reinstall")
    server = ctx.server
    panel.check_daemon(server)
    previous, server.status = server.status, "installing"
    try:
        install.request_reinstall(panel.node_context, server)
    except install.ReinstallRefused as exc:
        server.status = previous  # the transaction is rolled back
        raise daemon_error(panel, "reinstall", WingsFailure(409, str(exc))) from None
    record(panel, ctx, "server:reinstall")
    return panel.json_response([], 202)


def control_settings(panel: Panel) -> dict:
    """The family's part of ``GET <control_url>/settings``."""
    conf = install.settings(panel.node_context)
    return {
        "editable_descriptions": getattr(panel.fleet, "editable_descriptions", True),
        "install_exit_code_checked": conf.exit_code_checked,
        "reinstall_stop_timeout": conf.stop_timeout,
    }


def patch_control_settings(panel: Panel, body: dict) -> None:
    """``PATCH <control_url>/settings``: Pelican's ``PANEL_EDITABLE_SERVER_DESCRIPTIONS``, whether a failing install
    script fails the install, how long a reinstall waits for the stop command before a kill (Wings: 10 s);
    ValueError for a bad value."""
    for name in ("editable_descriptions", "install_exit_code_checked"):
        if body.get(name) is not None and not isinstance(body[name], bool):
            raise ValueError(f"{name} must be true or false")
    timeout = body.get("reinstall_stop_timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0):
        raise ValueError("reinstall_stop_timeout must be a number of seconds >= 0")
    conf = install.settings(panel.node_context)
    if body.get("editable_descriptions") is not None:
        panel.fleet.editable_descriptions = body["editable_descriptions"]
    if body.get("install_exit_code_checked") is not None:
        conf.exit_code_checked = body["install_exit_code_checked"]
    if timeout is not None:
        conf.stop_timeout = float(timeout)
