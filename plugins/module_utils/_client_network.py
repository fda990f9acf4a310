# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's network allocations. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_list``; nothing here builds a URL by hand or reads a status.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import ROUTES, render
from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class NetworkCalls:
    """Allocations ({allocation} is the integer id): list, assign, notes, primary, release."""

    def list_allocations(self, server: str) -> list[dict]:
        """The server's allocations: id, ip, ip_alias, port, notes, is_default."""
        return self._list(render(ROUTES["allocations_list"], server=server), {})

    def assign_allocation(self, server: str) -> dict:
        """Have the panel assign one more allocation (a free one of the node, or a new port in its range)."""
        return _attributes(self._call("allocations_create", server=server))

    def set_allocation_notes(self, server: str, allocation: str, notes: str | None) -> dict:
        return _attributes(self._call("allocations_notes", body={"notes": notes}, server=server, allocation=allocation))

    def set_primary_allocation(self, server: str, allocation: str) -> dict:
        """Make it the server's primary allocation (the game uses it from its next start)."""
        return _attributes(self._call("allocations_primary", server=server, allocation=allocation))

    def release_allocation(self, server: str, allocation: str) -> None:
        self._call("allocations_delete", server=server, allocation=allocation)
