# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_info: the query from the options (the shared filter table), the results, the read over fakes."""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.modules import server_info as si

PARAMS = {
    "server": None,
    "name": None,
    "uuid": None,
    "description": None,
    "external_id": None,
    "query": None,
    "type": "accessible",
    "include": [],
}
ATTRIBUTES = {"identifier": "1a7ce997", "name": "lobby", "status": "suspended"}


def test_plan_query_list():
    query = si.plan_query(dict(PARAMS, name="lobby", query="10.0.0.5", description=""))
    assert query == si.ServersQuery(None, None, {"name": "lobby", "*": "10.0.0.5"}, [])
    assert si.plan_query(dict(PARAMS, type="admin-all")).type == "admin-all"


def test_plan_query_one():
    query = si.plan_query(dict(PARAMS, server="lobby", include=["egg"]))
    assert query.server == "lobby" and query.include == ["egg"]


def test_results():
    one = si.one_result(ATTRIBUTES, {"user_permissions": ["*"], "is_server_owner": True})
    assert one["servers"][0]["condition"] == "suspended" and one["user_permissions"] == ["*"]
    assert one["is_server_owner"] is True and one["changed"] is False
    many = si.many_result([ATTRIBUTES, dict(ATTRIBUTES, identifier="2", status=None)])
    assert [s["identifier"] for s in many["servers"]] == ["1a7ce997", "2"] and "user_permissions" not in many


def test_read_many(fakes):
    client = fakes.Client(list_servers=[ATTRIBUTES])
    base = fakes.Base(dict(PARAMS, uuid="1a7c", type="owner"), client=client)
    result = si.read_servers(base)
    assert result["servers"][0]["identifier"] == "1a7ce997"
    name, _args, kwargs = client.calls[0]
    assert name == "list_servers"
    assert kwargs == {"type": "owner", "filters": {"uuid": "1a7c"}, "include": [], "concurrent": True}


def test_read_one(fakes):
    base = fakes.Base(dict(PARAMS, server="1a7ce997", include=["subusers"]), client=fakes.Client(server=ATTRIBUTES))
    result = si.read_servers(base)
    assert len(result["servers"]) == 1 and base.client.calls[0][2] == {"include": ["subusers"]}
