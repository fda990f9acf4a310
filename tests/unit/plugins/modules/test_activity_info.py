# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""activity_info: the plan from the options (since, limit), the result, the read over fakes."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import check_numbers
from ansible_collections.gameops.pterodactyl.plugins.modules import activity_info as ai

PARAMS = {"server": "1a7ce997", "event": None, "sort": "newest_first", "limit": 100, "since": None, "actor": True}
ITEMS = [
    {"id": "3", "event": "server:power.start", "timestamp": "2026-11-28T12:00:00+00:00", "properties": []},
    {
        "id": "2",
        "event": "server:console.command",
        "timestamp": "2026-11-28T10:00:00Z",
        "properties": {"command": "say hi"},
    },
    {"id": "1", "event": "server:power.stop", "timestamp": "2026-11-28T09:00:00+00:00", "properties": {}},
]


def test_plan_defaults():
    plan = ai.plan_activity(dict(PARAMS))
    assert plan == ai.ActivityPlan(None, "-timestamp", 100, None, 100, True)
    assert ai.plan_activity(dict(PARAMS, limit=0, sort="oldest_first")).request_limit is None


def test_plan_since_reads_every_page():
    plan = ai.plan_activity(dict(PARAMS, since="2026-11-28T10:00:00", limit=1))
    assert plan.since == datetime.datetime(2026, 11, 28, 10, tzinfo=datetime.UTC)
    assert plan.request_limit is None and plan.limit == 1


@pytest.mark.parametrize(
    "values, message",
    [
        ({"since": "yesterday"}, "since must be an ISO 8601 timestamp"),
    ],
)
def test_plan_refuses(values, message):
    with pytest.raises(ValueError, match=message):
        ai.plan_activity(dict(PARAMS, **values))


def test_limit_rule():
    assert check_numbers({"limit": 0}, ai.NUMBERS) is None  # 0: every entry
    with pytest.raises(PterodactylError, match="^limit must be a whole number of 0 or more, not -1$"):
        check_numbers({"limit": -1}, ai.NUMBERS)


def test_result_since_and_limit():
    plan = ai.plan_activity(dict(PARAMS, since="2026-11-28T10:00:00+00:00", limit=5))
    result = ai.activity_result(plan, ITEMS)
    assert [entry["id"] for entry in result["entries"]] == ["3", "2"] and result["count"] == 2
    assert result["entries"][0]["properties"] == {}
    limited = ai.activity_result(ai.plan_activity(dict(PARAMS, limit=1)), ITEMS)
    assert limited["count"] == 1


def test_read_activity(fakes):
    client = fakes.Client(list_activity=ITEMS)
    base = fakes.Base(dict(PARAMS, event="server:power.*", actor=False), client=client)
    assert ai.read_activity(base)["count"] == 3
    assert client.calls[0][2] == {"event": "server:power.*", "sort": "-timestamp", "limit": 100, "include_actor": False}


def test_read_activity_bad_option_fails_before_any_request(fakes):
    base = fakes.Base(dict(PARAMS, since="not a date"))
    with pytest.raises(fakes.Failed):
        ai.read_activity(base)
    assert base.client.calls == []
