#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_backup
short_description: Make, rotate, delete and restore a game server's backups
version_added: 0.1.0
description:
  - V(present) makes sure a successful backup of that O(name) exists - unchanged when one does,
    waited for (not duplicated) when one is in progress - and otherwise makes one and waits until
    the node reports it done. A backup that fails fails the task.
  - Waiting uses the node's websocket, which announces the completion (C(backup completed)) - no
    polling; when the key may not open the websocket, the module asks the panel every few seconds
    instead.
  - O(keep) rotates - once the new backup succeeded, the oldest successful, unlocked backups beyond
    the newest O(keep) are deleted. When the server is at its backup limit, the oldest unlocked
    backups are deleted first to make room, and the task says so. Locked backups are never deleted
    by a rotation.
  - V(absent) deletes the backups of that name (or uuid); a locked one only with O(force=true).
  - V(restored) puts a backup's files back (O(truncate) first deletes the files the backup does not
    hold) and waits until the node reports the restore done, then reads the panel's activity log for
    its outcome (the node reports a failed restore as done too); a failed restore fails the task. It
    always changes the server.
  - The panel allows 2 backups per 10 minutes per server by default; a refusal (HTTP 429) whose
    C(Retry-After) fits O(rate_limit_wait) is waited out, otherwise the task says when the next
    backup is allowed.
  - Check mode reads, predicts and sends nothing that changes a backup.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server_console
  - gameops.pterodactyl.attributes.actions
options:
  name:
    description:
      - The backup's name - what V(present) looks for before it makes one, what V(absent) and
        V(restored) act on (the newest successful backup of that name for V(restored)).
      - Without O(name) and O(uuid), V(present) makes a new backup every time (the panel names it
        C(Backup at <date>)), as a nightly job wants.
    type: str
  uuid:
    description: The backup's uuid, instead of O(name).
    type: str
  state:
    description: What to make sure of.
    type: str
    choices: [present, absent, restored]
    default: present
  locked:
    description:
      - Whether the backup is locked (a locked backup cannot be deleted by anyone). V(null) leaves an
        existing backup as it is and makes new ones unlocked.
      - Locking needs C(backup.delete).
    type: bool
  ignored:
    description:
      - Files and folders the new backup leaves out, as gitignore patterns (for example V(*.log) or
        V(/cache)). Without them the node uses the server's C(.pteroignore) file.
    type: list
    elements: str
    default: []
  force:
    description:
      - With V(present), make a new backup even when a successful one of that name exists.
      - With V(absent), unlock a locked backup before deleting it.
    type: bool
    default: false
  keep:
    description:
      - With V(present), how many successful, unlocked backups to keep (the newest); older ones are
        deleted once the new backup succeeded. V(null) keeps them all.
    type: int
  truncate:
    description: With V(restored), delete every file of the server that the backup does not hold first.
    type: bool
    default: false
  wait:
    description: Wait until the backup or the restore is done.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: float
    default: 1800
notes:
  - The key's user needs C(backup.read) to see the backups, C(backup.create) to make one,
    C(backup.delete) to delete or lock one, C(backup.restore) to restore one, and
    C(websocket.connect) to be told of completions (otherwise the module polls).
"""

EXAMPLES = r"""
- name: A backup before the update, kept locked
  gameops.pterodactyl.server_backup:
    server: lobby
    name: before-update-1.21
    locked: true

- name: Nightly backup, keep the last 7
  gameops.pterodactyl.server_backup:
    server: "{{ pterodactyl_identifier }}"
    name: "nightly-{{ now(utc=true, fmt='%Y-%m-%d') }}"
    ignored: ["*.log", "/cache"]
    keep: 7

- name: Put the world back as it was before the update
  gameops.pterodactyl.server_backup:
    server: lobby
    name: before-update-1.21
    state: restored
    truncate: true

- name: Remove an old backup, even though it is locked
  gameops.pterodactyl.server_backup:
    server: lobby
    name: before-update-1.20
    state: absent
    force: true
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
backup:
  description: The backup the task made, found, restored or deleted.
  returned: when there is one
  type: dict
  contains:
    uuid:
      description: The backup's uuid.
      type: str
    name:
      description: Its name.
      type: str
    bytes:
      description: The archive's size (0 until it is done).
      type: int
    checksum:
      description: C(sha1:<hex>) of the archive, once it is done.
      type: str
    created_at:
      description: When it was started.
      type: str
    completed_at:
      description:
        - When it was done (V(null) while in progress). For a backup the task waited for on the
          websocket, the panel's clock when the node's report came (the panel's record is within a second of it).
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
deleted:
  description: The backups the task deleted (or would delete), by rotation, to make room, or V(absent).
  returned: always
  type: list
  elements: dict
waited:
  description: Seconds spent waiting for the backup or the restore.
  returned: always
  type: float
waited_with:
  description: How the end was noticed - V(websocket) (the node's event) or V(polling).
  returned: when the task waited
  type: str
restore_confirmed:
  description:
    - V(restored) with O(wait) - whether the panel's activity log shows the restore succeeded
      (C(server:backup.restore-complete)). The node announces the end of a failed restore the same way
      as a successful one; a failure (C(server.backup.restore-failed)) fails the task. V(false), with a
      warning, when the log could not be read (the key's user needs C(activity.read)).
  returned: when a restore was waited for
  type: bool
"""


from ansible_collections.gameops.pterodactyl.plugins.module_utils import _backups, _evidence
from ansible_collections.gameops.pterodactyl.plugins.module_utils._backup_waits import Waits
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import COUNT, SECONDS, NumberRule

NUMBERS = {"keep": NumberRule(COUNT, positive=False), "wait_timeout": NumberRule(SECONDS)}
PREDICTED_TIME = "9999-12-31T23:59:59+00:00"  # check mode: a backup that would be made now is the newest


def names(backups: list[dict]) -> str:
    """Diff mode: one line per backup, newest first."""
    lines = [f"{b.get('name')} ({_backups.state_of(b)}{', locked' if b.get('is_locked') else ''})" for b in backups]
    return "".join(f"{line}\n" for line in lines)


class BackupTask:
    """One run: read the backups, decide, act, wait; nothing that changes in check mode."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.params = base.params
        self.result: dict = {"changed": False, "deleted": [], "waited": 0.0}
        self.server = ""
        self.backups: list[dict] = []
        self.after: list[dict] | None = None

    def run(self) -> dict:
        state = self.params["state"]
        if state != "present" and not (self.params["name"] or self.params["uuid"]):
            raise invalid_option(f"state={state} needs the backup's name or uuid")
        self.server = self.base.server_id()
        self.backups = self.client.list_backups(self.server)
        waits = Waits(self.base, self.server, self.result)
        try:
            {"present": self._present, "absent": self._absent, "restored": self._restored}[state](waits)
        except PterodactylError as exc:
            raise exc.with_result(self.result) from None
        finally:
            waits.close()
        if self.base.diff_mode:
            after = self.after if self.after is not None else self.backups
            self.result["diff"] = {"before": names(_backups.newest_first(self.backups)), "after": names(after)}
        return self.result

    def _matches(self) -> list[dict]:
        return _backups.find(self.backups, uuid=self.params["uuid"], name=self.params["name"])

    # -- present --

    def _present(self, waits: Waits) -> None:
        matches = self._matches()
        running = [b for b in matches if _backups.state_of(b) == "in progress"]
        done = [b for b in matches if _backups.state_of(b) == "successful"]
        if running and self.params["wait"] and not self.base.check_mode:
            self._found(waits.backup_done(running[0]))  # started elsewhere: waited for, not duplicated
            return
        if running or (done and not self.params["force"]):
            self._found(running[0] if running else done[0])
            return
        if self.params["uuid"]:
            raise PterodactylError(f"no backup has the uuid {self.params['uuid']}", code="InvalidOption")
        self._create(waits)

    def _found(self, backup: dict) -> None:
        locked = self.params["locked"]
        if locked is not None and bool(backup.get("is_locked")) != locked and _backups.state_of(backup) != "failed":
            if not self.base.check_mode:
                backup = self.client.toggle_backup_lock(self.server, backup["uuid"])
            else:
                backup = {**backup, "is_locked": locked}
            self.result["changed"] = True
        self.result["backup"] = _backups.shaped(backup)
        self.after = _backups.newest_first([backup if b.get("uuid") == backup.get("uuid") else b for b in self.backups])

    def _create(self, waits: Waits) -> None:
        keep = self.params["keep"]
        if keep is not None:
            self._make_room()
        predicted = {
            "uuid": None,
            "name": self.params["name"],
            "completed_at": None,
            "is_locked": bool(self.params["locked"]),
        }
        if self.base.check_mode:
            self.result.update(changed=True, backup=_backups.shaped(predicted))
            self._rotate(predicted, keep, predict=True)
            return
        mark = waits.prepare()
        backup = self.client.create_backup(
            self.server, self.params["name"], self.params["ignored"], bool(self.params["locked"])
        )
        self.result.update(changed=True, backup=_backups.shaped(backup))
        if self.params["wait"]:
            backup = waits.backup_done(backup, mark)
            self.result["backup"] = _backups.shaped(backup)
            if _backups.state_of(backup) == "failed":
                what = f"the backup '{backup.get('name')}' ({backup.get('uuid')})"
                raise PterodactylError(
                    f"{what} failed: the node reported it unsuccessful",
                    code="BackupFailed",
                    hint="the node's log (wings) has the reason; check the disk space and the ignored patterns",
                )
            self._rotate(backup, keep)

    def _make_room(self) -> None:
        """At the feature limit, delete the oldest unlocked backups so that the new one fits."""
        limit = (self.client.get_server(self.server)[0].get("feature_limits") or {}).get("backups")
        room = _backups.room_for_one(self.backups, limit)
        if not room.possible:
            raise PterodactylError(
                f"the server is at its limit of {limit} backups and none can be deleted to make room "
                "(they are locked or in progress)",
                code="BackupLimitReached",
                hint="unlock or delete a backup, or ask for a higher backup limit",
            )
        if room.delete:
            self.base.module.warn(f"the server is at its limit of {limit} backups: deleting the oldest to make room")
        self._delete(room.delete)

    def _rotate(self, new: dict, keep: int | None, predict: bool = False) -> None:
        """``keep``: delete the successful unlocked backups beyond the newest ``keep`` (the new one counts)."""
        if predict:  # check mode: the new backup, as if it succeeded now
            new = {**new, "created_at": PREDICTED_TIME, "completed_at": PREDICTED_TIME, "is_successful": True}
        gone = {deleted["uuid"] for deleted in self.result["deleted"]}
        current = [b for b in self.backups if b.get("uuid") not in gone] + [new]
        if keep is not None:
            self._delete([b for b in _backups.beyond(current, keep) if b.get("uuid")])
        gone = {deleted["uuid"] for deleted in self.result["deleted"]}
        self.after = _backups.newest_first([b for b in current if b.get("uuid") is None or b["uuid"] not in gone])

    def _delete(self, backups: list[dict]) -> None:
        for backup in backups:
            if not self.base.check_mode:
                self.client.delete_backup(self.server, backup["uuid"])
            self.result["changed"] = True
            self.result["deleted"].append(_backups.shaped(backup))

    # -- absent --

    def _absent(self, _waits: Waits) -> None:
        matches = self._matches()
        for backup in matches:
            if backup.get("is_locked") and _backups.state_of(backup) == "successful":
                if not self.params["force"]:
                    raise PterodactylError(
                        f"the backup '{backup.get('name')}' ({backup.get('uuid')}) is locked",
                        code="BackupLocked",
                        hint="set force: true to unlock it and delete it, or leave it",
                    )
                if not self.base.check_mode:
                    self.client.toggle_backup_lock(self.server, backup["uuid"])
                self.result["changed"] = True  # unlocked, even if the delete then fails
        self._delete(matches)
        self.after = [b for b in _backups.newest_first(self.backups) if b not in matches]
        if matches:
            self.result["backup"] = _backups.shaped(matches[0])

    # -- restored --

    def _restored(self, waits: Waits) -> None:
        done = [b for b in self._matches() if _backups.state_of(b) == "successful"]
        if not done:
            what = self.params["uuid"] or self.params["name"]
            raise PterodactylError(f"no successful backup {what!r} to restore", code="InvalidOption")
        backup = done[0]
        self.result["backup"] = _backups.shaped(backup)
        if self.base.check_mode:
            self.result["changed"] = True
            return
        mark = waits.prepare()
        since = self.client.panel_time()
        self.client.restore_backup(self.server, backup["uuid"], self.params["truncate"])
        self.result["changed"] = True
        if self.params["wait"]:
            waits.restore_done(mark)
            self._restore_outcome(backup, since)

    def _restore_outcome(self, backup: dict, since: float) -> None:
        """The node reports a failed restore as completed too: the panel's activity log tells them apart."""
        what = f"the restore of the backup '{backup.get('name')}' ({backup.get('uuid')})"
        try:
            entries = self.client.list_activity(self.server, sort="-timestamp", limit=_evidence.ENTRIES_READ)
        except PterodactylError as exc:
            reason = "the key's user lacks activity.read" if exc.status == 403 else exc.message
            self.result["restore_confirmed"] = False
            self.base.module.warn(
                f"{what} ended, but whether it succeeded is not known: the node reports a failed restore as "
                f"completed too, and the activity log that tells them apart could not be read ({reason}); "
                "check the server's files"
            )
            return
        recent = _evidence.matching_entries(entries, since, lambda entry: True)
        outcome = _backups.restore_outcome(recent, backup.get("name"))
        if outcome == "failed":
            raise PterodactylError(
                f"{what} failed on the node (the panel logged {_backups.RESTORE_FAILED}): the server's files may "
                "be partly restored",
                code="RestoreFailed",
                hint="the node's log (wings) has the reason, often the disk limit; restore again, or from another "
                "backup",
            )
        self.result["restore_confirmed"] = outcome == "complete"
        if outcome is None:
            self.base.module.warn(f"{what} ended, but the panel's activity log does not show its outcome yet")


def main() -> None:
    base = PterodactylModule(
        {
            "name": {"type": "str"},
            "uuid": {"type": "str"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent", "restored"]},
            "locked": {"type": "bool"},
            "ignored": {"type": "list", "elements": "str", "default": []},
            "force": {"type": "bool", "default": False},
            "keep": {"type": "int"},
            "truncate": {"type": "bool", "default": False},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "float", "default": 1800.0},
        },
        console=True,
        websocket=lambda params: params["wait"],
        numbers=NUMBERS,
        mutually_exclusive=[("name", "uuid")],
    )
    base.run(lambda: BackupTask(base).run())


if __name__ == "__main__":
    main()
