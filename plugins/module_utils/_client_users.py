# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's subusers and the panel's permission list. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_read`` / ``_list``; nothing here builds a URL by hand or reads a status.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import ROUTES, render
from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class UserCalls:
    """Subusers: list, create, update, delete; the permission keys the panel knows."""

    def get_permissions(self) -> dict | list:
        """``GET /api/client/permissions``: Pterodactyl's groups (``{group: {"keys": {key: text}}}``) or
        Pelican's flat list of keys, as the panel sends them (``_subusers.known_keys`` flattens both)."""
        return _attributes(self._read("permissions")).get("permissions") or []

    # -- subusers ({user} is the user's uuid) --

    def list_subusers(self, server: str) -> list[dict]:
        """Every subuser of a server: uuid, username, email, permissions..."""
        return self._list(render(ROUTES["subusers_list"], server=server), {})

    def create_subuser(self, server: str, email: str, permissions: list[str]) -> dict:
        """Add a subuser (a panel account is made for an unknown email); the subuser as stored."""
        body = {"email": email, "permissions": list(permissions)}
        return _attributes(self._call("subusers_create", body=body, server=server))

    def update_subuser(self, server: str, user: str, permissions: list[str]) -> dict:
        """Replace a subuser's permissions with the full list; the subuser as stored."""
        body = {"permissions": list(permissions)}
        return _attributes(self._call("subusers_update", body=body, server=server, user=user))

    def delete_subuser(self, server: str, user: str) -> None:
        self._call("subusers_delete", server=server, user=user)
