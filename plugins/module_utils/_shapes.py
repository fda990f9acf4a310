# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The panel's Fractal items, unwrapped. Private to the collection."""

from __future__ import annotations

from typing import Any

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError


def attributes(item: Any) -> dict:
    """The ``attributes`` of one item (``{"object": ..., "attributes": {...}}``); UnexpectedAnswer otherwise."""
    if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
        return item["attributes"]
    raise PterodactylError(
        "unexpected answer from the panel: an item without 'attributes'", status=200, code="UnexpectedAnswer"
    )
