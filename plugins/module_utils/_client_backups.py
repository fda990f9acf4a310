# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's backups. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_read`` / ``_list`` and ``request_raw``; nothing here builds a URL by hand or
reads a status.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import ROUTES, render
from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class BackupCalls:
    """Backups: list, create, view, lock toggle, restore, delete."""

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
