#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_settings
short_description: Set a game server's name and description
version_added: 0.1.0
description:
  - Sets a server's name and description as the panel's settings page does, only when they differ.
  - On Pterodactyl both go in one request. Pelican takes the description on a route of its own,
    which the panel may turn off (then the task fails and says so).
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
options:
  name:
    description: The server's name (1 to 191 characters; 255 on Pelican).
    type: str
  description:
    description: The server's description; V("") empties it.
    type: str
notes:
  - The key's user needs C(settings.rename) (and on Pelican C(settings.description)).
  - The O(server) option may be the server's current name; after a rename, use its identifier.
"""

EXAMPLES = r"""
- name: Name the server after its role
  gameops.pterodactyl.server_settings:
    server: 1a7ce997
    name: "EU Survival #1"
    description: "Survival, hard, whitelisted. Managed by Ansible."
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
name:
  description: The server's name after the task.
  returned: always
  type: str
description:
  description: The server's description after the task.
  returned: always
  type: str
changed_settings:
  description: Which of V(name) and V(description) the task changed (or would change).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option

NAME_LIMITS = {"pterodactyl": 191, "pelican": 255}


def flavor_of(api_key: str, attributes: dict) -> str:
    """Pelican or Pterodactyl, from the key's prefix or the server object's Pelican-only fields."""
    if str(api_key).startswith("pacc_") or "oom_killer" in (attributes.get("limits") or {}):
        return "pelican"
    return "pterodactyl"


def plan_settings(current: dict, wanted: dict, flavor: str) -> dict:
    """``{"name": ..., "description": ...}`` of what differs; InvalidOption for a name the panel refuses."""
    changes = {}
    name = wanted.get("name")
    if name is not None and name != current.get("name"):
        if not name.strip() or len(name) > NAME_LIMITS[flavor]:
            raise invalid_option(f"name must have 1 to {NAME_LIMITS[flavor]} characters, not {len(name)}")
        changes["name"] = name
    description = wanted.get("description")
    if description is not None and description != (current.get("description") or ""):
        changes["description"] = description
    return changes


def apply_settings(base: PterodactylModule) -> dict:
    client, server = base.client, base.server_id()
    attributes = client.get_server(server)[0]
    flavor = flavor_of(base.params["api_key"], attributes)
    changes = plan_settings(attributes, base.params, flavor)
    result = {
        "changed": bool(changes),
        "name": changes.get("name", attributes.get("name")),
        "description": changes.get("description", attributes.get("description") or ""),
        "changed_settings": list(changes),
    }
    if base.diff_mode:
        result["diff"] = {"before": {k: attributes.get(k) for k in changes}, "after": changes}
    if not changes or base.check_mode:
        return result
    try:
        if flavor == "pelican":
            if "name" in changes:
                client.rename_server(server, changes["name"])
            if "description" in changes:
                client.set_server_description(server, changes["description"])
        else:
            client.rename_server(server, changes.get("name", attributes.get("name")), changes.get("description"))
    except PterodactylError as exc:
        if exc.status == 403 and not exc.code and "description" in changes and flavor == "pelican":
            raise PterodactylError(
                "the panel does not let users edit server descriptions (PANEL_EDITABLE_SERVER_DESCRIPTIONS=false)",
                status=403,
                code=exc.code,
                method=exc.method,
                path=exc.path,
                hint="leave description out, or ask a panel administrator",
            ).with_result(result) from None
        raise exc.with_result(result) from None
    return result


def main() -> None:
    base = PterodactylModule({"name": {"type": "str"}, "description": {"type": "str"}})
    base.run(lambda: apply_settings(base))


if __name__ == "__main__":
    main()
