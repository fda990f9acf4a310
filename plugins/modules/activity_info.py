#!/usr/bin/python
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: activity_info
short_description: Read a game server's activity log
version_added: 0.1.0
description:
  - Returns the entries of a server's activity log - power actions, console commands, file,
    backup and settings changes - with who did them and when.
  - Walks the panel's pages as needed, 100 entries a request.
  - Needs the V(activity.read) permission. Never changes anything.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.info_module
options:
  event:
    description:
      - Only entries whose event name contains this text, for example V(server:power) or
        V(server:console.command).
    type: str
  sort:
    description: V(newest_first) or V(oldest_first).
    type: str
    choices: [newest_first, oldest_first]
    default: newest_first
  limit:
    description: Return at most this many entries. V(0) returns every entry.
    type: int
    default: 100
  since:
    description:
      - Only entries at or after this time, as an ISO 8601 timestamp such as
        V(2026-11-28T10:00:00+00:00). A timestamp without a time zone is taken as UTC.
    type: str
  actor:
    description: Add who did each action (C(actor) with C(uuid) and C(username)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: The last 20 power actions of a server
  gameops.pterodactyl.activity_info:
    server: lobby
    event: server:power
    limit: 20
  register: power_log

- name: Every console command sent today
  gameops.pterodactyl.activity_info:
    server: 1a7ce997
    event: server:console.command
    since: "{{ now(utc=true).strftime('%Y-%m-%dT00:00:00+00:00') }}"
    limit: 0
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
entries:
  description: The activity entries, in the order asked for by O(sort).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The entry's ID (a hash; only good as a key).
      type: str
    event:
      description: What happened, for example V(server:power.start) or V(server:console.command).
      type: str
    timestamp:
      description: When it happened, ISO 8601 with offset.
      type: str
      sample: "2026-11-28T11:04:30+00:00"
    is_api:
      description: Whether it was done with an API key (rather than in the panel's web UI).
      type: bool
    ip:
      description: The address it came from; V(null) when the panel hides it from this user.
      type: str
    description:
      description: The panel's description of the entry, if any.
      type: str
    properties:
      description: Details of the event, for example C(command) for a console command. Always a dict.
      type: dict
      sample: {"command": "say hello"}
    has_additional_metadata:
      description: Whether the panel holds more details than the properties shown.
      type: bool
    actor:
      description: Who did it (C(uuid), C(username)).
      type: dict
      returned: when O(actor=true) and the actor is a user
count:
  description: How many entries were returned.
  returned: always
  type: int
"""

import datetime
from typing import NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._normalize import normalize_activity
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import COUNT, NumberRule

SORTS = {"newest_first": "-timestamp", "oldest_first": "timestamp"}


class ActivityPlan(NamedTuple):
    """The request to make, and what to keep of its answer."""

    event: str | None
    sort: str  # the panel's sort key
    request_limit: int | None  # entries asked of the panel; None: every page
    since: datetime.datetime | None  # keep entries at or after this time
    limit: int | None  # keep at most this many; None: all
    actor: bool


def parse_timestamp(text: str) -> datetime.datetime:
    """An ISO 8601 timestamp as an aware datetime (UTC when no offset is given)."""
    value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def plan_activity(params: dict) -> ActivityPlan:
    """The plan from the options; ValueError with the message for a bad since or limit."""
    try:
        since = parse_timestamp(params["since"]) if params["since"] else None
    except ValueError:
        raise ValueError(
            f"since must be an ISO 8601 timestamp such as 2026-11-28T10:00:00+00:00, not '{params['since']}'"
        ) from None
    limit = params["limit"] or None
    # With since, every page is read: the panel cannot filter by time.
    return ActivityPlan(params["event"], SORTS[params["sort"]], None if since else limit, since, limit, params["actor"])


def since_filter(entries: list[dict], since: datetime.datetime | None) -> list[dict]:
    if since is None:
        return entries
    return [entry for entry in entries if entry.get("timestamp") and parse_timestamp(entry["timestamp"]) >= since]


def activity_result(plan: ActivityPlan, items: list[dict]) -> dict:
    """The module's result from the panel's activity items."""
    entries = since_filter([normalize_activity(item) for item in items], plan.since)[: plan.limit]
    return {"changed": False, "entries": entries, "count": len(entries)}


def read_activity(base: PterodactylModule) -> dict:
    try:
        plan = plan_activity(base.params)
    except ValueError as exc:
        base.fail(str(exc))
    client = base.client
    server_id = base.server_id()
    items = client.list_activity(
        server_id, event=plan.event, sort=plan.sort, limit=plan.request_limit, include_actor=plan.actor
    )
    return activity_result(plan, items)


NUMBERS = {"limit": NumberRule(COUNT, positive=False)}  # 0: every entry


def main() -> None:
    base = PterodactylModule(
        {
            "event": {"type": "str"},
            "sort": {"type": "str", "default": "newest_first", "choices": list(SORTS)},
            "limit": {"type": "int", "default": 100},
            "since": {"type": "str"},
            "actor": {"type": "bool", "default": True},
        },
        numbers=NUMBERS,
    )
    base.run(lambda: read_activity(base))


if __name__ == "__main__":
    main()
