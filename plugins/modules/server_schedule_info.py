#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_schedule_info
short_description: List a game server's schedules and their tasks
version_added: 0.1.0
description:
  - Every schedule of a server with its cron, its state (running, last and next run) and its tasks in
    the order they run - one request.
  - Never changes anything.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.info_module
options:
  name:
    description: Only the schedules of this name (exactly, case-sensitive).
    type: str
notes:
  - The key's user needs C(schedule.read).
"""

EXAMPLES = r"""
- name: Read the lobby's schedules
  gameops.pterodactyl.server_schedule_info:
    server: lobby
  register: lobby_schedules

- name: Show when each one runs next
  ansible.builtin.debug:
    msg: "{{ lobby_schedules.schedules | items2dict(key_name='name', value_name='next_run_at') }}"
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
schedules:
  description: The schedules, by id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The schedule's id.
      type: int
    name:
      description: Its name.
      type: str
    cron:
      description: Its five cron fields (C(minute), C(hour), C(day_of_month), C(month), C(day_of_week)), as strings.
      type: dict
    is_active:
      description: Whether it runs on its cron.
      type: bool
    is_processing:
      description: Whether a run is going on.
      type: bool
    only_when_online:
      description: Whether a run is skipped while the server is offline.
      type: bool
    last_run_at:
      description: When its last run ended (V(null) before the first).
      type: str
    next_run_at:
      description: When it runs next on its cron.
      type: str
    tasks:
      description:
        - Its tasks in the order they run, each with C(id), C(sequence_id), C(action), C(payload),
          C(time_offset), C(continue_on_failure), C(is_queued), C(created_at) and C(updated_at).
      type: list
      elements: dict
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _schedules
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule


def schedule_report(items: list[dict], name: str | None) -> dict:
    """The module's result from the panel's schedules (any order)."""
    wanted = _schedules.text(name) if name is not None else None
    chosen = [item for item in items if wanted is None or _schedules.text(item.get("name")) == wanted]
    ordered = sorted(chosen, key=lambda item: item.get("id") or 0)
    return {"changed": False, "schedules": [_schedules.shaped(item) for item in ordered]}


def read_schedules(base: PterodactylModule) -> dict:
    return schedule_report(base.client.list_schedules(base.server_id()), base.params["name"])


def main() -> None:
    base = PterodactylModule({"name": {"type": "str"}})
    base.run(lambda: read_schedules(base))


if __name__ == "__main__":
    main()
