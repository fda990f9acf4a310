# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_subuser and server_subuser_info over a fake panel: what the panel stores is compared (one request
when unchanged), unknown keys refused before sending, emails matched as Pterodactyl does, the panel's
refusals explained, lost answers found out from the list."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _subusers
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_subuser as su
from ansible_collections.gameops.pterodactyl.plugins.modules import server_subuser_info as sui

PT_PERMISSIONS = {
    "websocket": {"description": "", "keys": {"connect": ""}},
    "control": {"description": "", "keys": {"console": "", "start": "", "stop": "", "restart": ""}},
    "file": {"description": "", "keys": {"read": "", "read-content": "", "create": ""}},
    "database": {"description": "", "keys": {"read": "", "view_password": ""}},
}
PL_PERMISSIONS = ["websocket.connect", "control.console", "control.start", "database.view-password"]
MOD = {
    "uuid": "u-mod",
    "username": "mod1ab",
    "email": "Mod@example.com",
    "permissions": ["control.console", "websocket.connect"],
}
LOST = PterodactylError("POST failed: ReadTimeout", code="ReadTimeout", uncertain=True)


class Panel:
    """The subuser routes of the client, over a list; ``fail`` maps a call to the error it raises once."""

    def __init__(self, subusers=(), permissions=None, fail=None, user_permissions=("*",)):
        self.subusers = [dict(s) for s in subusers]
        self.permissions = PT_PERMISSIONS if permissions is None else permissions
        self.fail = dict(fail or {})
        self.user_permissions = list(user_permissions)
        self.calls = []

    def _maybe_fail(self, name, run_first=False):
        error = self.fail.pop(name, None)
        if error is not None and not run_first:
            raise error
        return error

    def list_subusers(self, server):
        self.calls.append(("list",))
        return [dict(s, permissions=list(s["permissions"])) for s in self.subusers]

    def get_permissions(self):
        self.calls.append(("permissions",))
        return self.permissions

    def get_server(self, server, include=None):
        self.calls.append(("get_server",))
        return {}, {"user_permissions": self.user_permissions}

    def create_subuser(self, server, email, permissions):
        self.calls.append(("create", email, tuple(permissions)))
        self._maybe_fail("create")
        made = {"uuid": f"u-{len(self.subusers)}", "email": email, "permissions": _subusers.to_send(permissions)}
        made["permissions"] = sorted(_subusers.stored(made["permissions"]))
        self.subusers.append(made)
        lost = self._maybe_fail("create_after", run_first=True)
        if lost:
            raise lost
        return dict(made)

    def update_subuser(self, server, user, permissions):
        self.calls.append(("update", user, tuple(permissions)))
        self._maybe_fail("update")
        found = next(s for s in self.subusers if s["uuid"] == user)
        found["permissions"] = sorted(_subusers.stored(permissions))
        return dict(found)

    def delete_subuser(self, server, user):
        self.calls.append(("delete", user))
        self._maybe_fail("delete")
        self.subusers = [s for s in self.subusers if s["uuid"] != user]

    def sent(self):
        return [call for call in self.calls if call[0] in ("create", "update", "delete")]


def run(fakes, panel, check_mode=False, diff_mode=False, **params):
    params = {"server": "1a7ce997", "email": "mod@example.com", "permissions": None, "state": "present", **params}
    base = fakes.Base(params, client=panel, check_mode=check_mode, diff_mode=diff_mode)
    return su.SubuserTask(base).run()


@pytest.mark.parametrize(
    "current, state, asked, action, send, validate",
    [
        (MOD, "present", ["control.console"], None, [], []),  # websocket.connect is the panel's
        (MOD, "present", ["control.console", "websocket.connect"], None, [], []),
        (MOD, "present", None, None, [], []),  # permissions left as they are
        (MOD, "present", [], "update", ["websocket.connect"], []),  # only removing: nothing to validate
        (MOD, "present", ["control.console", "file.read"], "update", ["control.console", "file.read"], ["file.read"]),
        (None, "present", None, "create", ["websocket.connect"], []),
        (None, "present", ["file.read", "file.read"], "create", ["file.read"], ["file.read"]),
        (MOD, "absent", None, "delete", [], []),
        (None, "absent", ["x"], None, [], []),
    ],
)
def test_plan_compares_what_the_panel_stores(current, state, asked, action, send, validate):
    steps = su.plan(current, state, asked)
    assert (steps["action"], steps["send"], steps["validate"]) == (action, send, validate)


def test_unchanged_is_one_request_and_case_does_not_matter(fakes):
    panel = Panel([MOD])
    result = run(fakes, panel, email="mod@EXAMPLE.com", permissions=["control.console"])
    assert result["changed"] is False and panel.calls == [("list",)]
    assert result["subuser"]["permissions"] == ["control.console", "websocket.connect"]


def test_a_new_key_is_validated_once_then_the_full_list_sent(fakes):
    panel = Panel([MOD])
    result = run(fakes, panel, permissions=["control.console", "file.read"], diff_mode=True)
    assert panel.calls == [("list",), ("permissions",), ("update", "u-mod", ("control.console", "file.read"))]
    assert result["changed"] and result["added"] == ["file.read"] and result["removed"] == []
    assert result["diff"]["after"] == "Mod@example.com\n  control.console\n  file.read\n  websocket.connect\n"


def test_unknown_keys_are_named_with_the_nearest_and_nothing_is_sent(fakes):
    panel = Panel([MOD])
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, permissions=["control.console", "file.raed", "made.up"])
    message = str(caught.value)
    assert caught.value.code == "InvalidOption"
    assert "does not know file.raed, made.up (did you mean file.read for file.raed?)" in message
    assert "the keys this panel knows: websocket.connect, control.console" in message
    assert panel.sent() == []


def test_pelican_flat_list_and_its_own_key_name(fakes):
    panel = Panel([], permissions=PL_PERMISSIONS)
    with pytest.raises(PterodactylError, match="did you mean database.view-password for database.view_password"):
        run(fakes, panel, permissions=["database.view_password"])
    assert _subusers.known_keys(PL_PERMISSIONS) == PL_PERMISSIONS
    assert _subusers.known_keys(PT_PERMISSIONS)[:2] == ["websocket.connect", "control.console"]


def test_check_mode_predicts_and_sends_nothing(fakes):
    panel = Panel([])
    result = run(fakes, panel, check_mode=True, permissions=["control.start"])
    assert result["changed"] and panel.sent() == []
    assert result["subuser"] == {**result["subuser"], "uuid": None, "email": "mod@example.com"}
    assert result["subuser"]["permissions"] == ["control.start", "websocket.connect"]


def test_absent_deletes_and_returns_no_subuser(fakes):
    panel = Panel([MOD])
    result = run(fakes, panel, state="absent")
    assert panel.sent() == [("delete", "u-mod")] and result["subuser"] is None
    assert result["removed"] == ["control.console", "websocket.connect"]


def test_the_escalation_refusal_names_the_keys_the_granting_user_lacks(fakes):
    refusal = PterodactylError(
        "POST /api/client/servers/1a7ce997/users/u-mod failed: HTTP 403",
        status=403,
        code="HttpForbiddenException",
        detail="Cannot assign permissions to a subuser that your account does not actively possess.",
    )
    panel = Panel([MOD], fail={"update": refusal}, user_permissions=["control.console", "file.read"])
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, permissions=["control.console", "file.read", "control.start"])
    assert "the key's user lacks control.start itself" in str(caught.value)
    assert caught.value.code == "HttpForbiddenException" and caught.value.result["changed"] is True


def test_a_subuser_made_meanwhile_is_updated_instead(fakes):
    exists = PterodactylError("exists", status=400, code="ServerSubuserExistsException")
    panel = Panel([MOD], fail={"create": exists})
    original = panel.list_subusers
    panel.list_subusers = lambda server: original(server) if panel.sent() else []  # added after the first read
    result = run(fakes, panel, permissions=["control.start"])
    assert panel.sent()[-1] == ("update", "u-mod", ("control.start",))
    assert result["subuser"]["permissions"] == ["control.start", "websocket.connect"]


def test_a_lost_create_answer_is_found_in_the_list_and_not_sent_again(fakes):
    panel = Panel([], fail={"create_after": LOST})
    result = run(fakes, panel, permissions=["control.start"])
    assert len(panel.sent()) == 1 and result["subuser"]["email"] == "mod@example.com"
    assert result["recovery"][0]["outcome"] == "ran" and result["recovery"][0]["action"] == "not sent again"


def test_a_lost_update_that_did_not_run_is_sent_once_more(fakes, monkeypatch):
    panel = Panel([MOD], fail={"update": LOST})
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    result = run(fakes, panel, permissions=[])
    assert [call[0] for call in panel.sent()] == ["update", "update"]
    assert result["recovery"][0]["action"] == "sent again" and result["subuser"]["permissions"] == ["websocket.connect"]


def test_email_shape_is_checked_before_anything_is_sent(fakes):
    panel = Panel([])
    with pytest.raises(PterodactylError, match="email must be an email address"):
        run(fakes, panel, email="not an email")
    assert panel.calls == []


def test_info_lists_by_email_with_sorted_permissions():
    items = [dict(MOD, permissions=["websocket.connect", "control.console"]), {"email": "alice@example.com"}]
    report = sui.subuser_report(items)
    assert [s["email"] for s in report["subusers"]] == ["alice@example.com", "Mod@example.com"]
    assert report["subusers"][1]["permissions"] == ["control.console", "websocket.connect"]
    assert report["changed"] is False
