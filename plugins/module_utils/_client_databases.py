# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's databases. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_list``; nothing here builds a URL by hand or reads a status. The panel has no
route that changes a database: create, rotate its password, delete.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import ROUTES, render
from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class DatabaseCalls:
    """Databases: list, create, rotate the password, delete."""

    def list_databases(self, server: str) -> list[dict]:
        """Every database of a server, without passwords (no ``include=password``)."""
        return self._list(render(ROUTES["databases_list"], server=server), {})

    def create_database(self, server: str, name: str, remote: str) -> dict:
        """Create ``s<id>_<name>``; the database with ``relationships.password`` (when the user may see it)."""
        return _attributes(self._call("databases_create", body={"database": name, "remote": remote}, server=server))

    def rotate_database_password(self, server: str, database: str) -> dict:
        """A new password; the database with ``relationships.password``."""
        return _attributes(self._call("databases_rotate", server=server, database=database))

    def delete_database(self, server: str, database: str) -> None:
        self._call("databases_delete", server=server, database=database)
