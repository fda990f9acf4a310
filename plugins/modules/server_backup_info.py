#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_backup_info
short_description: List a game server's backups, and the age of the last good one
version_added: 0.1.0
description:
  - Every backup of a server (all pages), newest first, and the last successful one with its age
    in seconds - for monitoring, and for an C(assert) before a risky play.
  - Never changes anything.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.info_module
notes:
  - The key's user needs C(backup.read).
"""

EXAMPLES = r"""
- name: Read the lobby's backups
  gameops.pterodactyl.server_backup_info:
    server: lobby
  register: lobby_backups

- name: Refuse to go on without a backup of the last 24 hours
  ansible.builtin.assert:
    that:
      - lobby_backups.last_successful is not none
      - lobby_backups.last_successful.age_seconds < 86400
    fail_msg: "the last good backup of the lobby is too old (or there is none)"
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
backups:
  description: Every backup, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    uuid:
      description: The backup's uuid.
      type: str
    name:
      description: Its name.
      type: str
    bytes:
      description: The archive's size (0 until done, and for a failed backup).
      type: int
    checksum:
      description: C(sha1:<hex>) of the archive, once done.
      type: str
    created_at:
      description: When it was started.
      type: str
    completed_at:
      description: When it was done (V(null) while in progress).
      type: str
    is_successful:
      description: Whether it succeeded.
      type: bool
    is_locked:
      description: Whether it is locked.
      type: bool
    ignored_files:
      description: The patterns it left out.
      type: list
      elements: str
    state:
      description: V(in progress), V(successful) or V(failed).
      type: str
last_successful:
  description: The newest successful backup, with C(age_seconds) since it completed; V(null) when there is none.
  returned: always
  type: dict
count:
  description: How many backups there are, and how many are successful, in progress and failed.
  returned: always
  type: dict
  sample: {total: 4, successful: 3, in_progress: 0, failed: 1}
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _backups
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule


def backup_report(items: list[dict], now: float) -> dict:
    """The module's result from the panel's backups (any order)."""
    backups = [_backups.shaped(item) for item in _backups.newest_first(items)]
    last = next((backup for backup in backups if backup["state"] == "successful"), None)
    if last is not None:
        last = {**last, "age_seconds": _backups.age_seconds(last, now)}
    states = [backup["state"] for backup in backups]
    count = {
        "total": len(backups),
        "successful": states.count("successful"),
        "in_progress": states.count("in progress"),
        "failed": states.count("failed"),
    }
    return {"changed": False, "backups": backups, "last_successful": last, "count": count}


def read_backups(base: PterodactylModule) -> dict:
    items = base.client.list_backups(base.server_id())
    return backup_report(items, base.client.panel_time())  # ages on the panel's clock


def main() -> None:
    base = PterodactylModule({})
    base.run(lambda: read_backups(base))


if __name__ == "__main__":
    main()
