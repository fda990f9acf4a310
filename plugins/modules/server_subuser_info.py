#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_subuser_info
short_description: List a game server's subusers and their permissions
version_added: 0.1.0
description:
  - Every subuser of a server with its permission keys (sorted), in one request - for an audit, or to
    compare with what a play grants.
  - The server's owner is not a subuser and is not listed.
  - Never changes anything.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.info_module
notes:
  - The key's user needs C(user.read).
"""

EXAMPLES = r"""
- name: Read the lobby's subusers
  gameops.pterodactyl.server_subuser_info:
    server: lobby
  register: lobby_subusers

- name: Nobody but the staff may read the files
  ansible.builtin.assert:
    that:
      - lobby_subusers.subusers | selectattr('permissions', 'contains', 'file.read')
        | map(attribute='email') | difference(staff_emails) | length == 0
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
subusers:
  description: Every subuser, by email.
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: The panel user's uuid.
      type: str
    username:
      description: The panel user's username.
      type: str
    email:
      description: The panel user's email address.
      type: str
    permissions:
      description: The keys the subuser holds, sorted.
      type: list
      elements: str
    2fa_enabled:
      description: Whether the user has two-factor authentication.
      type: bool
    created_at:
      description: When the panel user was created.
      type: str
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _subusers
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule


def subuser_report(items: list[dict]) -> dict:
    """The module's result from the panel's list: shaped, by email."""
    subusers = sorted((_subusers.shaped(item) for item in items), key=lambda s: str(s["email"]).casefold())
    return {"changed": False, "subusers": subusers}


def main() -> None:
    base = PterodactylModule({})
    base.run(lambda: subuser_report(base.client.list_subusers(base.server_id())))


if __name__ == "__main__":
    main()
