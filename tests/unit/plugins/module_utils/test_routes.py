# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The route table (_routes) held against both panels, and render() / find().

UPSTREAM below is this collection's own transcription of every route of the two panels'
``routes/api-client.php`` (Pterodactyl panel at 706db62c64d1, 2024-10-24; Pelican panel at
235c8fb98fe6, 2026-08-22), with route parameters normalised to ``{name}`` (Pelican's
``{server:uuid}`` is ``{server}``) and paths relative to the panel root. PERMISSIONS is what each
panel checks, read from ``app/Http/Requests/Api/Client/Servers/**/*Request.php`` ``permission()``
and, where the controller checks itself, from ``BackupController``, ``WebsocketController`` and
``ActivityLogController``. When a panel release changes a route, update the data here, then the
table.
"""

from __future__ import annotations

import inspect
import re

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import (
    _client,
    _client_backups,
    _client_databases,
    _client_files,
    _client_network,
    _client_schedules,
    _client_startup,
    _client_users,
    _routes,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import (
    NOT_YET_USED,
    ROUTES,
    SIGNAL_PERMISSIONS,
    Route,
    find,
    render,
)

ALL_ROWS = {**ROUTES, **NOT_YET_USED}
CLIENT_MODULES = (_client, _client_files, _client_backups, _client_startup, _client_schedules)  # the client, mixins
CLIENT_MODULES += (_client_users, _client_databases, _client_network)
S = "/servers/{server}"

# "METHOD path" per line, the path after /api/client; the same on both panels.
BOTH = f"""
GET /
GET /permissions
GET /account
PUT /account/email
PUT /account/password
GET /account/activity
GET /account/api-keys
POST /account/api-keys
DELETE /account/api-keys/{{identifier}}
GET /account/ssh-keys
POST /account/ssh-keys
GET {S}
GET {S}/websocket
GET {S}/resources
GET {S}/activity
POST {S}/command
POST {S}/power
GET {S}/databases
POST {S}/databases
POST {S}/databases/{{database}}/rotate-password
DELETE {S}/databases/{{database}}
GET {S}/files/list
GET {S}/files/contents
GET {S}/files/download
GET {S}/files/upload
PUT {S}/files/rename
POST {S}/files/copy
POST {S}/files/write
POST {S}/files/compress
POST {S}/files/decompress
POST {S}/files/delete
POST {S}/files/create-folder
POST {S}/files/chmod
POST {S}/files/pull
GET {S}/schedules
POST {S}/schedules
GET {S}/schedules/{{schedule}}
POST {S}/schedules/{{schedule}}
DELETE {S}/schedules/{{schedule}}
POST {S}/schedules/{{schedule}}/execute
POST {S}/schedules/{{schedule}}/tasks
POST {S}/schedules/{{schedule}}/tasks/{{task}}
DELETE {S}/schedules/{{schedule}}/tasks/{{task}}
GET {S}/network/allocations
POST {S}/network/allocations
POST {S}/network/allocations/{{allocation}}
DELETE {S}/network/allocations/{{allocation}}
POST {S}/network/allocations/{{allocation}}/primary
GET {S}/users
POST {S}/users
GET {S}/users/{{user}}
POST {S}/users/{{user}}
DELETE {S}/users/{{user}}
GET {S}/backups
POST {S}/backups
GET {S}/backups/{{backup}}
DELETE {S}/backups/{{backup}}
GET {S}/backups/{{backup}}/download
POST {S}/backups/{{backup}}/lock
POST {S}/backups/{{backup}}/restore
GET {S}/startup
PUT {S}/startup/variable
POST {S}/settings/rename
POST {S}/settings/reinstall
PUT {S}/settings/docker-image
"""
PTERODACTYL_ONLY = """
GET /account/two-factor
POST /account/two-factor
POST /account/two-factor/disable
POST /account/ssh-keys/remove
"""
PELICAN_ONLY = f"""
PUT /account/username
DELETE /account/ssh-keys/{{fingerprint}}
PUT {S}/backups/{{backup}}/rename
POST {S}/settings/description
"""


def routes(*tables: str) -> frozenset[tuple[str, str]]:
    pairs = set()
    for table in tables:
        for line in table.strip().splitlines():
            method, path = line.split()
            pairs.add((method, "/api/client" + path.rstrip("/")))
    return frozenset(pairs)


UPSTREAM = {"pterodactyl": routes(BOTH, PTERODACTYL_ONLY), "pelican": routes(BOTH, PELICAN_ONLY)}

# The subuser permission each panel checks (None: none beyond seeing the server, or not a
# server route); both panels agree on every route of the table. The power route's permission
# depends on the signal: see SIGNALS.
SERVER_PERMISSIONS = {
    ("GET", ""): None,
    ("GET", "/permissions"): None,
    ("GET", "/account/activity"): None,
    ("GET", S): None,
    ("GET", f"{S}/resources"): None,
    ("GET", f"{S}/websocket"): "websocket.connect",
    ("GET", f"{S}/activity"): "activity.read",
    ("POST", f"{S}/command"): "control.console",
    ("GET", f"{S}/files/list"): "file.read",
    ("GET", f"{S}/files/contents"): "file.read-content",
    ("POST", f"{S}/files/write"): "file.create",
    ("PUT", f"{S}/files/rename"): "file.update",
    ("POST", f"{S}/files/create-folder"): "file.create",
    ("POST", f"{S}/files/delete"): "file.delete",
    ("GET", f"{S}/files/download"): "file.read-content",
    ("GET", f"{S}/files/upload"): "file.create",
    ("POST", f"{S}/files/copy"): "file.create",
    ("POST", f"{S}/files/chmod"): "file.update",
    ("GET", f"{S}/backups"): "backup.read",
    ("POST", f"{S}/backups"): "backup.create",
    ("POST", f"{S}/backups/{{backup}}/restore"): "backup.restore",
    ("DELETE", f"{S}/backups/{{backup}}"): "backup.delete",
    ("GET", f"{S}/backups/{{backup}}"): "backup.read",
    ("POST", f"{S}/backups/{{backup}}/lock"): "backup.delete",
    ("GET", f"{S}/startup"): "startup.read",
    ("PUT", f"{S}/startup/variable"): "startup.update",
    ("POST", f"{S}/settings/rename"): "settings.rename",
    ("POST", f"{S}/settings/reinstall"): "settings.reinstall",
    ("POST", f"{S}/settings/description"): "settings.description",
    ("PUT", f"{S}/settings/docker-image"): "startup.docker-image",
    ("GET", f"{S}/schedules"): "schedule.read",
    ("POST", f"{S}/schedules"): "schedule.create",
    ("POST", f"{S}/schedules/{{schedule}}"): "schedule.update",
    ("POST", f"{S}/schedules/{{schedule}}/execute"): "schedule.update",
    ("DELETE", f"{S}/schedules/{{schedule}}"): "schedule.delete",
    ("POST", f"{S}/schedules/{{schedule}}/tasks"): "schedule.update",
    ("POST", f"{S}/schedules/{{schedule}}/tasks/{{task}}"): "schedule.update",
    ("GET", f"{S}/users"): "user.read",
    ("POST", f"{S}/users"): "user.create",
    ("POST", f"{S}/users/{{user}}"): "user.update",
    ("DELETE", f"{S}/users/{{user}}"): "user.delete",
    ("GET", f"{S}/databases"): "database.read",
    ("POST", f"{S}/databases"): "database.create",
    ("DELETE", f"{S}/databases/{{database}}"): "database.delete",
    ("GET", f"{S}/network/allocations"): "allocation.read",
    ("POST", f"{S}/network/allocations"): "allocation.create",
    ("DELETE", f"{S}/network/allocations/{{allocation}}"): "allocation.delete",
    # RotatePasswordRequest; UpdateAllocationRequest (SetPrimaryAllocationRequest extends it)
    ("POST", f"{S}/databases/{{database}}/rotate-password"): "database.update",
    ("POST", f"{S}/network/allocations/{{allocation}}"): "allocation.update",
    ("POST", f"{S}/network/allocations/{{allocation}}/primary"): "allocation.update",
}
# Where the panels differ: ScheduleTaskController::delete() checks the permission itself, Pterodactyl
# Permission::ACTION_SCHEDULE_UPDATE, Pelican SubuserPermission::ScheduleDelete.
PANEL_PERMISSIONS = {
    "pterodactyl": {("DELETE", f"{S}/schedules/{{schedule}}/tasks/{{task}}"): "schedule.update"},
    "pelican": {("DELETE", f"{S}/schedules/{{schedule}}/tasks/{{task}}"): "schedule.delete"},
}
PERMISSIONS = {
    panel: {
        (method, "/api/client" + path): permission
        for (method, path), permission in {**SERVER_PERMISSIONS, **PANEL_PERMISSIONS[panel]}.items()
    }
    for panel in UPSTREAM
}
# SendPowerRequest::permission() of both panels, by signal.
SIGNALS = {"start": "control.start", "stop": "control.stop", "kill": "control.stop", "restart": "control.restart"}
# The keys each panel's rules() require in the body of the routes the client sends a body to.
# (R/Files/*Request.php rules(): "required", or "required|nullable" keys that must be present.)
BODIES = {
    ("POST", f"/api/client{S}/power"): ("signal",),
    ("POST", f"/api/client{S}/command"): ("command",),
    ("PUT", f"/api/client{S}/files/rename"): ("root", "files"),
    ("POST", f"/api/client{S}/files/create-folder"): ("name",),
    ("POST", f"/api/client{S}/files/delete"): ("root", "files"),
    ("POST", f"/api/client{S}/files/chmod"): ("root", "files"),
    ("POST", f"/api/client{S}/backups/{{backup}}/restore"): ("truncate",),
    ("PUT", f"/api/client{S}/startup/variable"): ("key", "value"),
    ("PUT", f"/api/client{S}/settings/docker-image"): ("docker_image",),
    ("POST", f"/api/client{S}/settings/rename"): ("name",),
    # StoreScheduleRequest (UpdateScheduleRequest): Pelican requires month too, Pterodactyl's 500s without it
    ("POST", f"/api/client{S}/schedules"): ("name", "minute", "hour", "day_of_month", "month", "day_of_week"),
    ("POST", f"/api/client{S}/schedules/{{schedule}}"): (
        "name",
        "minute",
        "hour",
        "day_of_month",
        "month",
        "day_of_week",
    ),
    # StoreTaskRequest: payload is required_unless:action,backup
    ("POST", f"/api/client{S}/schedules/{{schedule}}/tasks"): ("action", "time_offset"),
    ("POST", f"/api/client{S}/schedules/{{schedule}}/tasks/{{task}}"): ("action", "time_offset"),
    ("POST", f"/api/client{S}/users"): ("email", "permissions"),
    ("POST", f"/api/client{S}/users/{{user}}"): ("permissions",),
    ("POST", f"/api/client{S}/databases"): ("database", "remote"),
    ("POST", f"/api/client{S}/network/allocations/{{allocation}}"): ("notes",),  # nullable|string|max:256|present
}

PANELS = sorted(UPSTREAM)
ROW_NAMES = sorted(ALL_ROWS)


def test_the_data_has_no_duplicates_and_both_panels_share_most_routes():
    for table in (BOTH, PTERODACTYL_ONLY, PELICAN_ONLY):
        lines = table.strip().splitlines()
        assert len(lines) == len(set(lines))
    assert len(UPSTREAM["pterodactyl"] & UPSTREAM["pelican"]) == len(BOTH.strip().splitlines())


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("name", ROW_NAMES)
def test_every_row_is_a_route_of_the_panel(panel, name):
    row = ALL_ROWS[name]
    if _routes.ONLY_ON.get(name, panel) != panel:
        assert (row.method, row.path) not in UPSTREAM[panel], f"{name} is on {panel} too: drop it from ONLY_ON"
        return
    assert (row.method, row.path) in UPSTREAM[panel], f"{name}: {row.method} {row.path} is not a {panel} route"


@pytest.mark.parametrize("panel", PANELS)
def test_no_row_path_exists_upstream_only_under_another_verb(panel):
    wrong = []
    for name, row in ALL_ROWS.items():
        verbs = {method for method, path in UPSTREAM[panel] if path == row.path}
        if verbs and row.method not in verbs:
            wrong.append(f"{name}: {row.method} {row.path}, {panel} has {sorted(verbs)}")
    assert not wrong


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("name", ROW_NAMES)
def test_every_row_has_the_permission_the_panel_checks(panel, name):
    row = ALL_ROWS[name]
    if _routes.ONLY_ON.get(name, panel) != panel:
        return
    if name == "power":
        assert row.permission == tuple(dict.fromkeys(SIGNALS.values()))
        return
    assert (row.method, row.path) in PERMISSIONS[panel], f"{name}: permission not verified upstream"
    permission = row.permission
    if isinstance(permission, dict):  # the panels differ: the row names each panel's
        assert permission == _routes.PANEL_PERMISSION[name] and sorted(permission) == PANELS
        permission = permission[panel]
    assert permission == PERMISSIONS[panel][(row.method, row.path)]


def test_signal_permissions_are_the_panels():
    assert SIGNAL_PERMISSIONS == SIGNALS


def test_body_keys_of_the_used_routes_are_the_panels_required_ones():
    for row in ROUTES.values():
        assert row.body == BODIES.get((row.method, row.path)), row.name


def test_the_tables_do_not_overlap_and_each_row_is_named_by_its_key():
    assert not set(ROUTES) & set(NOT_YET_USED)
    assert all(name == row.name for name, row in ALL_ROWS.items())
    pairs = [(row.method, row.path) for row in ALL_ROWS.values()]
    assert len(pairs) == len(set(pairs))


def test_every_route_the_client_calls_is_used_by_the_client_and_no_other():
    source = "".join(inspect.getsource(module) for module in CLIENT_MODULES)
    used = set(re.findall(r'ROUTES\["([a-z_]+)"\]', source))
    used |= set(re.findall(r'self\._(?:call|read|signed_url)\("([a-z_]+)"', source))
    assert used == set(ROUTES), f"unused rows: {sorted(set(ROUTES) - used)}, unknown: {sorted(used - set(ROUTES))}"
    assert not any(f'"{name}"' in source for name in NOT_YET_USED)


# --------------------------------------------------------------------------- #
# render() and find()
# --------------------------------------------------------------------------- #


def test_render_fills_and_quotes_each_parameter_into_one_segment():
    assert render(ROUTES["resources"], server="abcd1234") == "/api/client/servers/abcd1234/resources"
    assert render(ROUTES["resources"], server=" a/b?c d ") == "/api/client/servers/a%2Fb%3Fc%20d/resources"
    restore = ROUTES["backups_restore"]
    assert render(restore, server="abcd1234", backup="..") == "/api/client/servers/abcd1234/backups/../restore"
    assert render(restore, server="é", backup="#1") == "/api/client/servers/%C3%A9/backups/%231/restore"
    assert render(ROUTES["list_servers"]) == "/api/client"


@pytest.mark.parametrize("values", [{}, {"server": ""}, {"server": "  "}, {"server": None}, {"server": 12345678}])
def test_render_refuses_an_empty_or_missing_server(values):
    with pytest.raises(PterodactylError) as info:
        render(ROUTES["server"], **values)
    assert info.value.code == "InvalidOption"
    assert str(info.value).startswith(_routes.EMPTY_PARAMETER["server"])


def test_render_names_any_other_empty_parameter():
    with pytest.raises(PterodactylError, match="^backup is empty"):
        render(ROUTES["backups_delete"], server="abcd1234", backup="")


def test_find_matches_method_and_concrete_path():
    assert find("POST", "/api/client/servers/abcd1234/power") is ROUTES["power"]
    assert find("GET", "/api/client/servers/abcd1234") is ROUTES["server"]
    assert find("DELETE", "/api/client/servers/abcd1234/backups/0e4f") is ROUTES["backups_delete"]
    assert find("POST", "/api/client/servers/abcd1234/files/copy") is NOT_YET_USED["files_copy"]
    assert find("GET", "/api/client/servers/abcd1234/backups/0e4f/download") is None  # a route the table does not hold
    assert find("PUT", "/api/client/servers/abcd1234/power") is None
    assert find("GET", "/api/client/servers/a/b/resources") is None  # a parameter is one segment


def test_a_route_row_defaults_to_no_permission_and_no_body():
    row = Route("x", "GET", "/api/client/x")
    assert row.permission is None and row.body is None
