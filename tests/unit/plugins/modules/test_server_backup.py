# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_backup and server_backup_info over a fake panel: idempotence by name, an in-progress backup
waited for, rotation and room at the limit, locks, restores, check mode, and the report's ages."""

from __future__ import annotations

import json

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _backups
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_backup as sb
from ansible_collections.gameops.pterodactyl.plugins.modules import server_backup_info as sbi

PARAMS = {
    "server": "1a7ce997",
    "name": "nightly",
    "uuid": None,
    "state": "present",
    "locked": None,
    "ignored": [],
    "force": False,
    "keep": None,
    "truncate": False,
    "wait": True,
    "wait_timeout": 60.0,
}


def backup(uuid, name, day, state="successful", locked=False) -> dict:
    created = f"2026-12-{day:02d}T03:00:00+00:00"
    completed = None if state == "in progress" else f"2026-12-{day:02d}T03:05:00+00:00"
    return {
        "uuid": uuid,
        "name": name,
        "created_at": created,
        "completed_at": completed,
        "is_successful": state == "successful",
        "is_locked": locked,
        "bytes": 100 if state == "successful" else 0,
        "checksum": "sha1:ab" if state == "successful" else None,
        "ignored_files": [],
    }


class Panel:
    """The backup routes of the client, over a list."""

    def __init__(self, backups, limit=None, finish="successful", restore_event="server:backup.restore-complete"):
        self.backups = [dict(b) for b in backups]
        self.limit = limit
        self.finish = finish
        self.restore_event = restore_event  # the activity entry a restore ends with; None: the log is refused
        self.restored = None
        self.calls = []

    def list_backups(self, server):
        self.calls.append(("list",))
        return [dict(b) for b in self.backups]

    def get_server(self, server, include=None):
        self.calls.append(("get_server",))
        return {"feature_limits": {"backups": self.limit}}, {}

    def create_backup(self, server, name, ignored, locked):
        self.calls.append(("create", name, tuple(ignored), locked))
        new = backup(f"new{len(self.calls)}", name, 30, "in progress", locked)
        self.backups.append(new)
        return dict(new)

    def get_backup(self, server, uuid):
        self.calls.append(("get", uuid))
        found = next(b for b in self.backups if b["uuid"] == uuid)
        if found["completed_at"] is None:
            found.update(backup(uuid, found["name"], 30, self.finish, found["is_locked"]))
        return dict(found)

    def toggle_backup_lock(self, server, uuid):
        self.calls.append(("lock", uuid))
        found = next(b for b in self.backups if b["uuid"] == uuid)
        found["is_locked"] = not found["is_locked"]
        return dict(found)

    def delete_backup(self, server, uuid):
        self.calls.append(("delete", uuid))
        self.backups = [b for b in self.backups if b["uuid"] != uuid]

    def restore_backup(self, server, uuid, truncate):
        self.calls.append(("restore", uuid, truncate))
        self.restored = next(b["name"] for b in self.backups if b["uuid"] == uuid)

    def list_activity(self, server, event=None, sort=None, limit=None):
        self.calls.append(("activity",))
        if self.restore_event is None:
            raise PterodactylError("GET activity failed: HTTP 403", status=403, code="AccessDeniedHttpException")
        entry = {"event": self.restore_event, "timestamp": "2026-12-31T03:05:01+00:00"}
        return [dict(entry, properties={"name": self.restored})] if self.restored else []

    def panel_time(self):
        return _backups.timestamp("2026-12-31T03:05:00+00:00")

    def mutating(self):
        return [c for c in self.calls if c[0] in ("create", "lock", "delete", "restore")]


class Console:
    """The node's websocket: the completion event of the backup waited for (as the panel will finish
    it), or the restore's event."""

    def __init__(self, panel):
        self.panel = panel
        self.waited = []
        self.closed = False

    def event_mark(self):
        return 7

    def wait_for_event(self, name, *, since, timeout, match=None):
        self.waited.append((name, since))
        if match is None:
            return [""]
        for item in self.panel.backups:
            ok = self.panel.finish == "successful"
            event = {"uuid": item["uuid"], "is_successful": ok, "checksum": "ab" if ok else "", "file_size": 100}
            if match([json.dumps(event)]):
                return [json.dumps(event)]
        raise AssertionError("no backup matches")

    def close(self):
        self.closed = True


def run(fakes, panel, check_mode=False, diff_mode=False, **params):
    base = fakes.Base(dict(PARAMS, **params), client=panel, check_mode=check_mode, diff_mode=diff_mode)
    console = Console(panel)
    base.console = lambda server_id: console
    return sb.BackupTask(base).run(), base, console


def test_a_successful_backup_of_that_name_means_nothing_to_do(fakes):
    panel = Panel([backup("a", "nightly", 1)])
    result, _base, _console = run(fakes, panel)
    assert not result["changed"] and result["backup"]["uuid"] == "a" and panel.calls == [("list",)]


def test_a_new_backup_is_made_waited_for_on_the_websocket_and_costs_list_create_and_one_read(fakes):
    panel = Panel([backup("a", "other", 1)])
    result, _base, console = run(fakes, panel, ignored=["*.log"], locked=True)
    assert result["changed"] and result["backup"]["state"] == "successful" and result["waited_with"] == "websocket"
    assert panel.mutating() == [("create", "nightly", ("*.log",), True)]
    assert console.waited == [("backup completed", 7)]


def test_an_in_progress_backup_of_that_name_is_waited_for_not_duplicated(fakes):
    panel = Panel([backup("run", "nightly", 30, "in progress")])
    result, _base, _console = run(fakes, panel)
    assert panel.mutating() == [] and result["backup"]["state"] == "successful"


def test_a_websocket_refused_is_asked_for_once_and_the_wait_polls(fakes):
    panel = Panel([])
    base = fakes.Base(dict(PARAMS), client=panel)
    asked = []

    def refused(server_id):
        asked.append(server_id)
        raise PterodactylError("HTTP 403: This action is unauthorized.", status=403)

    base.console = refused
    result = sb.BackupTask(base).run()
    assert asked == ["1a7ce997"] and result["waited_with"] == "polling"
    assert result["backup"]["state"] == "successful" and panel.mutating()[0][0] == "create"
    assert "the websocket cannot be used (HTTP 403" in base.warnings[0]


def test_a_failed_backup_fails_the_task(fakes):
    panel = Panel([], finish="failed")
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel)
    assert caught.value.code == "BackupFailed" and caught.value.result["backup"]["state"] == "failed"


def test_keep_rotates_the_oldest_unlocked_and_keeps_locked_ones(fakes):
    old = [backup("d1", "n1", 1), backup("d2", "n2", 2, locked=True), backup("d3", "n3", 3), backup("d4", "n4", 4)]
    panel = Panel(old)
    result, _base, _console = run(fakes, panel, keep=2)
    assert [d["uuid"] for d in result["deleted"]] == ["d1", "d3"]
    kept = {b["uuid"] for b in panel.backups}
    assert {"d2", "d4"} <= kept and len(kept) == 3  # the locked one, the newest old one, the new one


def test_backups_of_the_same_second_are_ordered_as_listed_and_the_new_one_is_kept(fakes):
    same = [backup("z1", "n1", 30), backup("y2", "n2", 30), backup("x3", "n3", 30)]  # one second, as listed
    assert [b["uuid"] for b in _backups.newest_first(same)] == ["x3", "y2", "z1"]  # not by uuid (random)
    assert [b["uuid"] for b in sbi.backup_report(same, 0)["backups"]] == ["x3", "y2", "z1"]
    panel = Panel(same)  # the new backup is made in that second too
    result, _base, _console = run(fakes, panel, keep=1)
    assert [d["uuid"] for d in result["deleted"]] == ["z1", "y2", "x3"]
    assert [b["name"] for b in panel.backups] == ["nightly"]


def test_at_the_limit_room_is_made_first_and_said(fakes):
    panel = Panel([backup("d1", "n1", 1), backup("d2", "n2", 2)], limit=2)
    result, base, _console = run(fakes, panel, keep=5)
    assert [d["uuid"] for d in result["deleted"]] == ["d1"]
    assert panel.mutating()[0] == ("delete", "d1") and panel.mutating()[1][0] == "create"
    assert "limit of 2 backups" in base.warnings[0]


def test_at_the_limit_with_only_locked_backups(fakes):
    panel = Panel([backup("d1", "n1", 1, locked=True)], limit=1)
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, keep=3)
    assert caught.value.code == "BackupLimitReached" and panel.mutating() == []


def test_check_mode_predicts_rotation_and_sends_nothing(fakes):
    panel = Panel([backup("d1", "n1", 1), backup("d2", "n2", 2)])
    result, _base, _console = run(fakes, panel, check_mode=True, diff_mode=True, keep=1)
    assert result["changed"] and panel.mutating() == []
    assert [d["uuid"] for d in result["deleted"]] == ["d1", "d2"]
    assert result["diff"]["after"].startswith("nightly (successful)")


def test_locked_is_set_by_toggling_only_when_it_differs(fakes):
    panel = Panel([backup("a", "nightly", 1)])
    result, _base, _console = run(fakes, panel, locked=True)
    assert result["changed"] and panel.mutating() == [("lock", "a")] and result["backup"]["is_locked"]
    again, _base, _console = run(fakes, panel, locked=True)
    assert not again["changed"]


def test_absent_refuses_a_locked_backup_unless_forced(fakes):
    panel = Panel([backup("a", "nightly", 1, locked=True)])
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, state="absent")
    assert caught.value.code == "BackupLocked" and panel.mutating() == []
    result, _base, _console = run(fakes, panel, state="absent", force=True)
    assert result["changed"] and panel.mutating() == [("lock", "a"), ("delete", "a")]
    assert not run(fakes, panel, state="absent")[0]["changed"]


def test_restored_restores_the_newest_successful_and_waits(fakes):
    panel = Panel([backup("a", "nightly", 1), backup("b", "nightly", 2), backup("c", "nightly", 3, "failed")])
    result, _base, console = run(fakes, panel, state="restored", truncate=True)
    assert result["changed"] and panel.mutating() == [("restore", "b", True)]
    assert console.waited == [("backup restore completed", 7)]
    assert result["restore_confirmed"] is True


def test_a_restore_the_panel_logged_as_failed_fails_the_task(fakes):
    panel = Panel([backup("b", "nightly", 2)], restore_event="server.backup.restore-failed")
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, state="restored", truncate=False)
    assert caught.value.code == "RestoreFailed" and "failed on the node" in caught.value.message
    assert caught.value.result["changed"] and panel.mutating() == [("restore", "b", False)]


def test_a_restore_whose_outcome_cannot_be_read_warns(fakes):
    panel = Panel([backup("b", "nightly", 2)], restore_event=None)
    result, base, _console = run(fakes, panel, state="restored", truncate=False)
    assert result["changed"] and result["restore_confirmed"] is False
    assert any("lacks activity.read" in text for text in base.warnings), base.warnings


def test_state_restored_or_absent_needs_a_name_or_uuid(fakes):
    with pytest.raises(PterodactylError, match="needs the backup's name or uuid"):
        run(fakes, Panel([]), state="restored", name=None)


def test_the_report_sorts_newest_first_and_ages_the_last_good_one():
    items = [
        backup("a", "n", 1),
        backup("c", "n", 3, "failed"),
        backup("b", "n", 2),
        backup("d", "n", 4, "in progress"),
    ]
    report = sbi.backup_report(items, _backups.timestamp("2026-12-02T04:05:00+00:00"))
    assert [b["uuid"] for b in report["backups"]] == ["d", "c", "b", "a"]
    assert report["last_successful"]["uuid"] == "b" and report["last_successful"]["age_seconds"] == 3600.0
    assert report["count"] == {"total": 4, "successful": 2, "in_progress": 1, "failed": 1}
    assert sbi.backup_report([], 0)["last_successful"] is None
