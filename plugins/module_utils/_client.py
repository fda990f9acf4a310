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

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._http import HttpTransport
from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import EMPTY_PARAMETER, ROUTES, find, render

ACTIVITY_SORTS = ("timestamp", "-timestamp")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The panel's identifiers: the classic 8 hexadecimal characters, or Pterodactyl 1.12's opt-in
# ``serv_`` form (panel#5548, #5636). Either is used as is, without a lookup.
_IDENTIFIER_RE = re.compile(r"^(?:[0-9a-f]{8}|serv_[0-9A-Za-z]+)$")


class PterodactylClient(HttpTransport):
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

    # -- files (paths relative to the server's root, with a leading slash) --

    def list_files(self, server: str, directory: str) -> list[dict]:
        """The entries of a directory (file_object attributes; the route is not paginated)."""
        body = self._read("files_list", {"directory": directory}, server=server)
        return [_attributes(item) for item in body.get("data") or []]

    def file_contents(self, server: str, path: str) -> bytes:
        """A file's bytes as the panel returns them (up to its edit size limit, 4 MiB by default)."""
        route = ROUTES["files_contents"]
        return self.request_raw(route.method, render(route, server=server), params={"file": path})

    def write_file(self, server: str, path: str, data: bytes) -> None:
        """Create or replace a file with ``data`` (the panel forwards the raw body to Wings)."""
        route = ROUTES["files_write"]
        self.request_raw(route.method, render(route, server=server), params={"file": path}, data=data)

    def create_folder(self, server: str, root: str, name: str) -> None:
        self._call("files_create_folder", body={"root": root, "name": name}, server=server)

    def delete_files(self, server: str, root: str, names: list[str]) -> None:
        self._call("files_delete", body={"root": root, "files": list(names)}, server=server)

    def chmod_files(self, server: str, root: str, modes: dict[str, str]) -> None:
        """``modes``: name -> octal permission bits as a string (``"640"``), as Wings wants them."""
        files = [{"file": name, "mode": mode} for name, mode in modes.items()]
        self._call("files_chmod", body={"root": root, "files": files}, server=server)

    def rename_files(self, server: str, root: str, moves: dict[str, str]) -> None:
        files = [{"from": source, "to": target} for source, target in moves.items()]
        self._call("files_rename", body={"root": root, "files": files}, server=server)

    def download_url(self, server: str, path: str) -> str:
        """A signed, single-use URL of Wings to download a file (valid 15 minutes)."""
        return self._signed_url("files_download", {"file": path}, server)

    def upload_url(self, server: str) -> str:
        """A signed URL of Wings to upload files (``directory=`` is added to it; valid 15 minutes)."""
        return self._signed_url("files_upload", None, server)

    def _signed_url(self, name: str, params: dict | None, server: str) -> str:
        attributes = _attributes(self._read(name, params, server=server))
        url = attributes.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            path = render(ROUTES[name], server=server)
            raise self._unexpected_answer(f"GET {path}: the answer has no signed URL", path)
        return url

    # -- backups ({backup} is a backup's uuid) --

    def list_backups(self, server: str) -> list[dict]:
        """Every backup of a server (all pages), as the panel orders them (no order: sort them)."""
        return self._list(render(ROUTES["backups_list"], server=server), {})

    def create_backup(self, server: str, name: str | None, ignored: list[str], locked: bool) -> dict:
        """Start a backup; the backup object, in progress (``completed_at`` null)."""
        body = {"name": name, "ignored": "\n".join(ignored), "is_locked": bool(locked)}
        return _attributes(self._call("backups_create", body=body, server=server))

    def get_backup(self, server: str, backup: str) -> dict:
        return _attributes(self._read("backups_view", server=server, backup=backup))

    def toggle_backup_lock(self, server: str, backup: str) -> dict:
        """Lock an unlocked backup or unlock a locked one (the panel only toggles); the backup after."""
        return _attributes(self._call("backups_lock", server=server, backup=backup))

    def restore_backup(self, server: str, backup: str, truncate: bool) -> None:
        self._call("backups_restore", body={"truncate": bool(truncate)}, server=server, backup=backup)

    def delete_backup(self, server: str, backup: str) -> None:
        self._call("backups_delete", server=server, backup=backup)

    # -- startup --

    def get_startup(self, server: str) -> dict:
        """``{"variables": [egg_variable attributes], "meta": {...}}``; the meta holds ``startup_command``,
        ``raw_startup_command`` and ``docker_images``."""
        body = self._read("startup", server=server)
        return {"variables": [_attributes(item) for item in body.get("data") or []], "meta": body.get("meta") or {}}

    def set_startup_variable(self, server: str, key: str, value: str) -> dict:
        """Set one variable; ``{"variable": attributes, "meta": {startup_command, raw_startup_command}}``."""
        body = self._call("startup_variable", body={"key": key, "value": value}, server=server) or {}
        return {"variable": _attributes(body), "meta": body.get("meta") or {}}

    def set_docker_image(self, server: str, image: str) -> None:
        self._call("settings_docker_image", body={"docker_image": image}, server=server)

    # -- settings --

    def rename_server(self, server: str, name: str, description: str | None = None) -> None:
        """Set the name (and, on Pterodactyl, the description when given; Pelican ignores it)."""
        body = {"name": name} if description is None else {"name": name, "description": description}
        self._call("settings_rename", body=body, server=server)

    def set_server_description(self, server: str, description: str) -> None:
        """Pelican's own description route (403 with an empty body when descriptions are not editable)."""
        self._call("settings_description", body={"description": description}, server=server)

    def reinstall_server(self, server: str) -> None:
        """Run the egg's install script again (the server goes ``installing``; 202)."""
        self._call("settings_reinstall", server=server)

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


def _attributes(item: Any) -> dict:
    if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
        return item["attributes"]
    raise PterodactylError(
        "unexpected answer from the panel: an item without 'attributes'", status=200, code="UnexpectedAnswer"
    )


def _join_include(include: list[str] | tuple | str) -> str:
    if isinstance(include, str):
        return include
    return ",".join(str(name).strip() for name in include)
