# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's startup and settings. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_read`` / ``_list`` and ``request_raw``; nothing here builds a URL by hand or
reads a status.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class StartupCalls:
    """Startup variables, the Docker image, rename, description, reinstall."""

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
