# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client of the panel's client API: endpoints as thin methods over the route table.

Used by the modules and the inventory plugin alike. It never talks to Ansible's module
machinery: every failure is raised as :class:`PterodactylError`, and the caller decides how to
report it. Private to the collection.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_backups import BackupCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_databases import DatabaseCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_files import FilesCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_network import NetworkCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_schedules import ScheduleCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_startup import StartupCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client_users import UserCalls
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._http import HttpTransport
from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import EMPTY_PARAMETER, ROUTES, find, render
from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes

ACTIVITY_SORTS = ("timestamp", "-timestamp")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The panel's identifiers: the classic 8 hexadecimal characters, or Pterodactyl 1.12's opt-in
# ``serv_`` form (panel#5548, #5636). Either is used as is, without a lookup.
_IDENTIFIER_RE = re.compile(r"^(?:[0-9a-f]{8}|serv_[0-9A-Za-z]+)$")


class PterodactylClient(
    FilesCalls, BackupCalls, StartupCalls, ScheduleCalls, UserCalls, DatabaseCalls, NetworkCalls, HttpTransport
):
    """A client for one panel and one API key.

    It subclasses the transport rather than wrapping it: callers and tests use the transport's
    state directly (``base_url``, ``host``, ``request_count``, the rate-limit figures, ``timeout``,
    the injectable ``_sleep``), and the client adds no state of its own, so a wrapper would be
    a page of forwarding properties. The one thing it adds to the transport is knowledge of the
    routes: each method looks up its row, renders the path and unwraps Fractal ``attributes``,
    and :meth:`_permission` names the row's subuser permission in the hint of a 403.
    """

    # -- route plumbing --

    def _permission(self, method: str, path: str) -> str | tuple[str, ...] | None:
        route = find(method, path)
        return route.permission if route else None

    def _call(self, name: str, params: dict | None = None, body: dict | None = None, **values: str) -> dict | None:
        """One request of the route ``name``; the decoded body (None if empty)."""
        route = ROUTES[name]
        path = render(route, **values)
        if route.body is not None:
            missing = [key for key in route.body if key not in (body or {})]
            if missing:
                raise invalid_option(f"{route.method} {route.path} needs {', '.join(missing)} in its body")
        return self.request(route.method, path, params=params, json=body)

    def _read(self, name: str, params: dict | None = None, **values: str) -> dict:
        """A GET of the route ``name`` that must answer with a body."""
        body = self._call(name, params, **values)
        if body is None:
            path = render(ROUTES[name], **values)
            raise self._unexpected_answer(f"GET {path}: the panel answered with an empty body", path)
        return body

    def _list(self, path: str, params: dict, **options: Any) -> list[dict]:
        """Every item of a paginated list at ``path``, as attributes dicts."""
        return [_attributes(item) for item in self.paginate(path, params, **options)]

    # -- servers --

    def list_servers(
        self,
        *,
        type: str | None = None,
        filters: dict | None = None,
        include: list[str] | str | None = None,
        concurrent: bool = False,
        workers: int = 4,
        limit: int | None = None,
        on_page: Any = None,
    ) -> list[dict]:
        """Servers visible to the key, as ``attributes`` dicts (``relationships`` kept inside).

        ``filters`` maps to ``filter[<name>]`` (e.g. ``{"name": "lobby", "*": "10.0.0.5"}``),
        ``include`` to ``include=egg,subusers``, ``type`` to ``type=`` (admin, admin-all, owner).
        """
        params: dict[str, Any] = {}
        for name, value in (filters or {}).items():
            params[f"filter[{name}]"] = value
        if type:
            params["type"] = type
        if include:
            params["include"] = _join_include(include)
        return self._list(
            render(ROUTES["list_servers"]), params, concurrent=concurrent, workers=workers, limit=limit, on_page=on_page
        )

    def get_server(self, server: str, include: list[str] | str | None = None) -> tuple[dict, dict]:
        """(attributes, meta) of one server; meta has is_server_owner and user_permissions."""
        params = {"include": _join_include(include)} if include else None
        body = self._read("server", params, server=server)
        return _attributes(body), body.get("meta") or {}

    def resolve_server_id(self, ref: str, *, type: str | None = None) -> str:
        """An identifier or UUID as is (no request); otherwise the identifier of the server named exactly ``ref``."""
        if not isinstance(ref, str) or not ref.strip():
            raise invalid_option(EMPTY_PARAMETER["server"])
        if _UUID_RE.match(ref) or _IDENTIFIER_RE.match(ref):
            return ref
        params = {"filter[name]": ref}
        if type:
            params["type"] = type
        candidates = self._list(render(ROUTES["list_servers"]), params)
        matches = [server for server in candidates if server.get("name") == ref]
        if len(matches) == 1:
            return matches[0].get("identifier") or matches[0]["uuid"]
        raise self._name_error(ref, matches, candidates)

    def _name_error(self, ref: str, matches: list[dict], candidates: list[dict]) -> PterodactylError:
        path = ROUTES["list_servers"].path
        if matches:
            listed = ", ".join(f"{s.get('name')} ({s.get('identifier')})" for s in matches)
            return self._error(
                f"{len(matches)} servers are named {ref!r}: {listed}",
                code="ServerNameAmbiguous",
                method="GET",
                path=path,
                hint="Pass the server's identifier instead of its name.",
            )
        similar = [s.get("name") for s in candidates if str(s.get("name", "")).lower() == ref.lower()]
        hint = (
            "Names must match exactly (case-sensitive); you can also pass the identifier "
            "(8 characters, or serv_...) or the UUID."
        )
        if similar:
            hint += f" Similar: {', '.join(repr(name) for name in similar[:5])}."
        return self._error(
            f"No server named {ref!r} is visible to this API key",
            code="ServerNotFound",
            method="GET",
            path=path,
            hint=hint,
        )

    def get_resources(self, server: str) -> dict:
        """Attributes of the stats object: current_state, is_suspended, resources{...}."""
        return _attributes(self._read("resources", server=server))

    # -- control --

    def send_power(self, server: str, signal: str) -> None:
        """POST a power signal: start, stop, restart or kill."""
        self._call("power", body={"signal": signal}, server=server)

    def send_command(self, server: str, command: str) -> None:
        """POST a console command; re-sent only if the panel cannot have received it."""
        self._call("command", body={"command": command}, server=server)

    def get_websocket_credentials(self, server: str) -> dict:
        """``{"token", "socket"}`` for the Wings websocket of a server."""
        body = self._read("websocket", server=server)
        data = body.get("data")
        if not isinstance(data, dict) or "token" not in data or "socket" not in data:
            path = render(ROUTES["websocket"], server=server)
            message = f"GET {path}: the answer has no data.token / data.socket"
            raise self._unexpected_answer(message, path, code="WebsocketCredentialsInvalid")
        return data

    # -- activity --

    def list_activity(
        self,
        server: str,
        *,
        event: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
        include_actor: bool = False,
    ) -> list[dict]:
        """Activity log entries of a server, as attributes dicts."""
        path = render(ROUTES["server_activity"], server=server)
        if sort is not None and sort not in ACTIVITY_SORTS:
            raise invalid_option(f"sort must be 'timestamp' or '-timestamp', not {sort!r}")
        params: dict[str, Any] = {}
        if event:
            params["filter[event]"] = event
        if sort:
            params["sort"] = sort
        if include_actor:
            params["include"] = "actor"
        return self._list(path, params, limit=limit)


def _join_include(include: list[str] | tuple | str) -> str:
    if isinstance(include, str):
        return include
    return ",".join(str(name).strip() for name in include)
