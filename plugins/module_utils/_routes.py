# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""THE route table of the panel's client API: one row per call. Private to the collection.

A row is the HTTP method, the path template relative to the panel root, the subuser
permission the panel checks (None when it checks none beyond seeing the server), and the JSON
keys the body must carry (None for no body). Pterodactyl and Pelican declare the same method
and path for every row; tests/unit/plugins/module_utils/test_routes.py holds the table against
both panels' ``routes/api-client.php``.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import invalid_option

CLIENT_API = "/api/client"
SERVER = CLIENT_API + "/servers/{server}"

# The permission the panel checks for each power signal (both flavors' SendPowerRequest).
SIGNAL_PERMISSIONS = {
    "start": "control.start",
    "stop": "control.stop",
    "restart": "control.restart",
    "kill": "control.stop",
}
POWER_PERMISSIONS = tuple(dict.fromkeys(SIGNAL_PERMISSIONS.values()))  # any of them, in this order

EMPTY_PARAMETER = {"server": "server is empty: give the server's identifier, UUID or exact name"}

_PARAMETER_RE = re.compile(r"\{([a-z_]+)\}")


class Route(NamedTuple):
    name: str
    method: str
    path: str
    permission: str | tuple[str, ...] | dict[str, str] | None = None  # a dict: per panel (PANEL_PERMISSION)
    body: tuple[str, ...] | None = None


def _table(*rows: Route) -> dict[str, Route]:
    return {row.name: row for row in rows}


# The keys both panels' StoreScheduleRequest / StoreTaskRequest require (Pelican validates month, Pterodactyl
# fails with a 500 without it); a task's payload is required unless its action is backup.
SCHEDULE_BODY = ("name", "minute", "hour", "day_of_month", "month", "day_of_week")
TASK_BODY = ("action", "time_offset")
TASK = SERVER + "/schedules/{schedule}/tasks/{task}"
# Rows whose permission the panels check differently, by panel: a task delete is checked in the
# controller, with schedule.update on Pterodactyl and schedule.delete on Pelican.
PANEL_PERMISSION = {"schedules_task_delete": {"pterodactyl": "schedule.update", "pelican": "schedule.delete"}}


# The routes the client calls.
ROUTES = _table(
    Route("list_servers", "GET", CLIENT_API),
    Route("server", "GET", SERVER),
    Route("resources", "GET", SERVER + "/resources"),
    Route("websocket", "GET", SERVER + "/websocket", "websocket.connect"),
    Route("server_activity", "GET", SERVER + "/activity", "activity.read"),
    Route("power", "POST", SERVER + "/power", POWER_PERMISSIONS, ("signal",)),
    Route("command", "POST", SERVER + "/command", "control.console", ("command",)),
    # files: query parameters directory= / file=; the write route's body is the raw file content
    Route("files_list", "GET", SERVER + "/files/list", "file.read"),
    Route("files_contents", "GET", SERVER + "/files/contents", "file.read-content"),
    Route("files_download", "GET", SERVER + "/files/download", "file.read-content"),
    Route("files_upload", "GET", SERVER + "/files/upload", "file.create"),
    Route("files_write", "POST", SERVER + "/files/write", "file.create"),
    Route("files_rename", "PUT", SERVER + "/files/rename", "file.update", ("root", "files")),
    Route("files_create_folder", "POST", SERVER + "/files/create-folder", "file.create", ("name",)),
    Route("files_delete", "POST", SERVER + "/files/delete", "file.delete", ("root", "files")),
    Route("files_chmod", "POST", SERVER + "/files/chmod", "file.update", ("root", "files")),
    # backups ({backup} is the backup's uuid); the list is paginated by 50 at most
    Route("backups_list", "GET", SERVER + "/backups", "backup.read"),
    Route("backups_create", "POST", SERVER + "/backups", "backup.create"),
    Route("backups_view", "GET", SERVER + "/backups/{backup}", "backup.read"),
    Route("backups_lock", "POST", SERVER + "/backups/{backup}/lock", "backup.delete"),
    Route("backups_restore", "POST", SERVER + "/backups/{backup}/restore", "backup.restore", ("truncate",)),
    Route("backups_delete", "DELETE", SERVER + "/backups/{backup}", "backup.delete"),
    # schedules ({schedule}, {task}: integer ids); the list is not paginated and includes the tasks
    Route("schedules_list", "GET", SERVER + "/schedules", "schedule.read"),
    Route("schedules_create", "POST", SERVER + "/schedules", "schedule.create", SCHEDULE_BODY),
    Route("schedules_update", "POST", SERVER + "/schedules/{schedule}", "schedule.update", SCHEDULE_BODY),
    Route("schedules_execute", "POST", SERVER + "/schedules/{schedule}/execute", "schedule.update"),
    Route("schedules_delete", "DELETE", SERVER + "/schedules/{schedule}", "schedule.delete"),
    Route("schedules_task_create", "POST", SERVER + "/schedules/{schedule}/tasks", "schedule.update", TASK_BODY),
    Route("schedules_task_update", "POST", TASK, "schedule.update", TASK_BODY),
    Route("schedules_task_delete", "DELETE", TASK, PANEL_PERMISSION["schedules_task_delete"]),
    # startup
    Route("startup", "GET", SERVER + "/startup", "startup.read"),
    Route("startup_variable", "PUT", SERVER + "/startup/variable", "startup.update", ("key", "value")),
    Route("settings_docker_image", "PUT", SERVER + "/settings/docker-image", "startup.docker-image", ("docker_image",)),
    # settings
    Route("settings_rename", "POST", SERVER + "/settings/rename", "settings.rename", ("name",)),
    Route("settings_description", "POST", SERVER + "/settings/description", "settings.description"),
    Route("settings_reinstall", "POST", SERVER + "/settings/reinstall", "settings.reinstall"),
    # subusers ({user} is the subuser's user uuid); the panel drops unknown keys and adds websocket.connect
    Route("permissions", "GET", CLIENT_API + "/permissions"),
    Route("subusers_list", "GET", SERVER + "/users", "user.read"),
    Route("subusers_create", "POST", SERVER + "/users", "user.create", ("email", "permissions")),
    Route("subusers_update", "POST", SERVER + "/users/{user}", "user.update", ("permissions",)),
    Route("subusers_delete", "DELETE", SERVER + "/users/{user}", "user.delete"),
    # databases ({database}: a hashid on Pterodactyl, the integer id on Pelican); no update route
    Route("databases_list", "GET", SERVER + "/databases", "database.read"),
    Route("databases_create", "POST", SERVER + "/databases", "database.create", ("database", "remote")),
    Route("databases_rotate", "POST", SERVER + "/databases/{database}/rotate-password", "database.update"),
    Route("databases_delete", "DELETE", SERVER + "/databases/{database}", "database.delete"),
    # network allocations ({allocation} is the integer id)
    Route("allocations_list", "GET", SERVER + "/network/allocations", "allocation.read"),
    Route("allocations_create", "POST", SERVER + "/network/allocations", "allocation.create"),
    Route("allocations_notes", "POST", SERVER + "/network/allocations/{allocation}", "allocation.update", ("notes",)),
    Route("allocations_primary", "POST", SERVER + "/network/allocations/{allocation}/primary", "allocation.update"),
    Route("allocations_delete", "DELETE", SERVER + "/network/allocations/{allocation}", "allocation.delete"),
)

# Rows that only one panel has (the others are on both): Pelican's own description route.
ONLY_ON = {"settings_description": "pelican"}

# NOT YET USED by the client or a module: rows for the next issues. Method, path and permission
# are checked against both panels; the body keys are recorded once a module sends the request.
NOT_YET_USED = _table(
    Route("files_copy", "POST", SERVER + "/files/copy", "file.create"),
    Route("account_activity", "GET", CLIENT_API + "/account/activity"),
)


def render(route: Route, **values: str) -> str:
    """The route's path with each ``{name}`` replaced by ``values[name]``, URL-quoted into one segment.

    An empty or missing value is an InvalidOption error (nothing is sent).
    """

    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = values.get(name)
        if not isinstance(value, str) or not value.strip():
            raise invalid_option(EMPTY_PARAMETER.get(name, f"{name} is empty"))
        return quote(value.strip(), safe="")

    return _PARAMETER_RE.sub(fill, route.path)


def _pattern(template: str) -> re.Pattern:
    parts = _PARAMETER_RE.split(template)
    literal = [re.escape(part) if index % 2 == 0 else "[^/]+" for index, part in enumerate(parts)]
    return re.compile("^" + "".join(literal) + "$")


_MATCHERS = [(route, _pattern(route.path)) for route in (*ROUTES.values(), *NOT_YET_USED.values())]


def find(method: str, path: str) -> Route | None:
    """The row for a concrete request (``POST /api/client/servers/abcd1234/power``), or None."""
    for route, pattern in _MATCHERS:
        if route.method == method and pattern.match(path):
            return route
    return None
