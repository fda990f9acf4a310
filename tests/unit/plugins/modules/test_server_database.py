# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_database over a fake panel: idempotence by the name without its prefix, the name rules and the
limit before sending, remote changes refused or recreated, the password only when made or rotated, lost
answers found out from the list (a created database's lost password rotated)."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _databases
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_database as sd

WORLD = {
    "id": "bEY4yAD5",
    "name": "s5_world",
    "username": "u5_abcdefghij",
    "host": {"address": "db1.example.com", "port": 3306},
    "connections_from": "%",
    "max_connections": None,
}
SECRET = "S3cret!Pa55word=24chars+"


def with_password(item, password=SECRET):
    shown = {"object": "database_password", "attributes": {"password": password}} if password else None
    return {**item, "relationships": {"password": shown or {"object": "null_resource", "attributes": None}}}


class Panel:
    def __init__(self, databases=(), limit=2, internal_id=5, lose=None, password=SECRET):
        self.databases = [dict(d) for d in databases]
        self.limit, self.internal_id, self.password = limit, internal_id, password
        self.lose = dict(lose or {})  # call -> error raised after it ran
        self.calls = []

    def list_databases(self, server):
        self.calls.append(("list",))
        return [dict(d) for d in self.databases]

    def get_server(self, server, include=None):
        self.calls.append(("get_server",))
        return {"internal_id": self.internal_id, "feature_limits": {"databases": self.limit}}, {}

    def create_database(self, server, name, remote):
        self.calls.append(("create", name, remote))
        made = {
            **WORLD,
            "id": f"id{len(self.calls)}",
            "name": f"s{self.internal_id}_{name}",
            "connections_from": remote,
        }
        self.databases.append(made)
        if "create" in self.lose:
            raise self.lose.pop("create")
        return with_password(made, self.password)

    def rotate_database_password(self, server, database):
        self.calls.append(("rotate", database))
        return with_password(next(d for d in self.databases if d["id"] == database), self.password)

    def delete_database(self, server, database):
        self.calls.append(("delete", database))
        self.databases = [d for d in self.databases if d["id"] != database]

    def sent(self):
        return [call for call in self.calls if call[0] in ("create", "rotate", "delete")]


def run(fakes, panel, check_mode=False, diff_mode=False, **params):
    defaults = {"server": "1a7ce997", "name": "world", "remote": "%", "state": "present"}
    params = {**defaults, "rotate_password": False, "recreate": False, **params}
    base = fakes.Base(params, client=panel, check_mode=check_mode, diff_mode=diff_mode)
    return sd.DatabaseTask(base).run(), base


@pytest.mark.parametrize(
    "current, changes, actions",
    [
        (WORLD, {}, []),
        (None, {}, ["create"]),
        (WORLD, {"rotate_password": True}, ["rotate_password"]),
        (WORLD, {"remote": "10.0.0.%", "recreate": True}, ["delete", "create"]),
        (WORLD, {"state": "absent"}, ["delete"]),
        (None, {"state": "absent"}, []),
    ],
)
def test_plan(current, changes, actions):
    params = {"state": "present", "remote": "%", "rotate_password": False, "recreate": False, **changes}
    assert sd.plan(current, params) == actions


def test_a_remote_change_is_refused_without_recreate():
    with pytest.raises(PterodactylError) as caught:
        sd.plan(WORLD, {"state": "present", "remote": "10.0.0.%", "rotate_password": False, "recreate": False})
    assert caught.value.code == "DatabaseRemoteMismatch" and "recreate: true" in str(caught.value)


def test_an_existing_database_is_one_request_without_its_password(fakes):
    panel = Panel([WORLD])
    result, _base = run(fakes, panel)
    assert panel.calls == [("list",)] and result["changed"] is False
    assert result["password"] is None and result["database"]["short_name"] == "world"


def test_create_returns_the_connection_and_the_password_once(fakes):
    panel = Panel([])
    result, _base = run(fakes, panel, diff_mode=True)
    assert panel.calls == [("list",), ("get_server",), ("create", "world", "%")]
    assert result["password"] == SECRET and result["database"]["name"] == "s5_world"
    assert SECRET not in str(result["database"]) + str(result["diff"])
    assert result["diff"]["after"] == "s5_world (connections from %), new password\n"


def test_check_mode_predicts_the_stored_name_and_sends_nothing(fakes):
    panel = Panel([])
    result, _base = run(fakes, panel, check_mode=True)
    assert panel.sent() == [] and result["changed"] and result["database"]["name"] == "s5_world"


@pytest.mark.parametrize(
    "name, words",
    [
        ("my world", "letters, numbers, dashes and underscores"),
        ("ab", "3 to 48 characters, not 2"),
        ("x" * 49, "3 to 48 characters, not 49"),
    ],
)
def test_name_rules_before_anything_is_sent(fakes, name, words):
    panel = Panel([])
    with pytest.raises(PterodactylError, match=words):
        run(fakes, panel, name=name)
    assert panel.calls == []


def test_a_name_the_prefix_would_cut_and_the_limit_are_refused_before_sending(fakes):
    panel = Panel([], internal_id=12345)
    with pytest.raises(PterodactylError, match="with the panel's prefix s12345_ it may have 41 at most"):
        run(fakes, panel, name="x" * 42)
    panel = Panel([WORLD, {**WORLD, "id": "2", "name": "s5_logs"}], limit=2)
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, name="stats")
    assert caught.value.code == "FeatureLimitReached" and panel.sent() == []
    assert _databases.check_remote("10.0.0.%") == "10.0.0.%"
    with pytest.raises(PterodactylError, match="not a host pattern"):
        run(fakes, Panel([]), remote="10.0.0.* ")


def test_recreate_at_the_limit_counts_the_deleted_one(fakes):
    panel = Panel([WORLD], limit=1)
    result, _base = run(fakes, panel, remote="10.0.0.%", recreate=True)
    assert [call[0] for call in panel.sent()] == ["delete", "create"] and result["password"] == SECRET


def test_rotate_returns_the_new_password_and_warns_when_hidden(fakes):
    result, _base = run(fakes, Panel([WORLD]), rotate_password=True)
    assert result["changed"] and result["password"] == SECRET
    result, base = run(fakes, Panel([WORLD], password=None), rotate_password=True)
    assert result["password"] is None and "database.view_password" in base.warnings[0]


def test_a_lost_create_answer_is_found_and_the_password_rotated(fakes):
    panel = Panel([], lose={"create": PterodactylError("POST failed: ReadTimeout", uncertain=True)})
    result, _base = run(fakes, panel)
    assert [call[0] for call in panel.sent()] == ["create", "rotate"]
    assert result["password"] == SECRET
    assert result["recovery"][0]["action"] == "not sent again; its password rotated to return one"


def test_the_panels_refusals_get_a_hint(fakes):
    class NoHost(Panel):
        def create_database(self, server, name, remote):
            raise PterodactylError("refused", status=400, code="NoSuitableDatabaseHostException")

    with pytest.raises(PterodactylError) as caught:
        run(fakes, NoHost([]))
    assert "no database host serves this server's node" in str(caught.value)


def test_absent_returns_the_deleted_database(fakes):
    panel = Panel([WORLD])
    result, _base = run(fakes, panel, state="absent", name="s5_world")
    assert panel.sent() == [("delete", "bEY4yAD5")] and result["database"]["name"] == "s5_world"
