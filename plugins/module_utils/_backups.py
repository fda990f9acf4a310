# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's backups, without the network: their states, lookup, order, rotation. Private to the collection.

The panel's backup object has no state field: a backup is *in progress* while ``completed_at`` is
null, *successful* when ``is_successful``, *failed* when completed and not successful. The list has
no order (the panel sends database order): everything here sorts by ``created_at``, and backups of
the same second by the list's order. The feature
limit counts backups that are in progress or successful; the rotation deletes only successful,
unlocked ones.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

FIELDS = ("uuid", "name", "bytes", "checksum", "created_at", "completed_at", "is_successful", "is_locked")


def state_of(backup: dict) -> str:
    """``in progress``, ``successful`` or ``failed``."""
    if not backup.get("completed_at"):
        return "in progress"
    return "successful" if backup.get("is_successful") else "failed"


def shaped(backup: dict) -> dict:
    """A backup as the modules return it (the documented keys, ``state`` added)."""
    result = {field: backup.get(field) for field in FIELDS}
    result["ignored_files"] = list(backup.get("ignored_files") or [])
    result["state"] = state_of(backup)
    return result


def timestamp(value) -> float:
    """Epoch seconds of an ISO 8601 time from the panel (0 when there is none)."""
    if not value:
        return 0.0
    try:
        when = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017 (3.10 controllers)
    return when.timestamp()


def newest_first(backups: list[dict]) -> list[dict]:
    """By ``created_at`` (whole seconds); backups of the same second by the list's order, later ones
    newer (the panel lists in insertion order in practice; a backup made now is appended last)."""
    order = sorted(enumerate(backups), key=lambda item: (timestamp(item[1].get("created_at")), item[0]), reverse=True)
    return [backup for _index, backup in order]


def find(backups: list[dict], *, uuid: str | None = None, name: str | None = None) -> list[dict]:
    """The backups with this uuid, or with this exact name (newest first)."""
    if uuid:
        return [backup for backup in backups if backup.get("uuid") == uuid]
    return [backup for backup in newest_first(backups) if backup.get("name") == name]


def counted(backups: list[dict]) -> list[dict]:
    """The backups the panel's feature limit counts: in progress or successful."""
    return [backup for backup in backups if state_of(backup) != "failed"]


def rotatable(backups: list[dict]) -> list[dict]:
    """Successful, unlocked backups, oldest first: what a rotation may delete."""
    chosen = [backup for backup in backups if state_of(backup) == "successful" and not backup.get("is_locked")]
    return list(reversed(newest_first(chosen)))


class Room(NamedTuple):
    delete: list[dict]  # oldest first
    possible: bool  # False: even deleting every unlocked successful backup leaves no room


def room_for_one(backups: list[dict], limit: int | None) -> Room:
    """What to delete so that one more backup fits under the feature ``limit`` (None: no limit known)."""
    if limit is None:
        return Room([], True)
    excess = len(counted(backups)) - limit + 1
    if excess <= 0:
        return Room([], True)
    candidates = rotatable(backups)
    return Room(candidates[:excess], len(candidates) >= excess and limit > 0)


def beyond(backups: list[dict], keep: int) -> list[dict]:
    """The successful unlocked backups beyond the ``keep`` newest of them, oldest first."""
    candidates = rotatable(backups)
    return candidates[: max(0, len(candidates) - keep)]


def age_seconds(backup: dict, now: float) -> float | None:
    """Seconds since a backup completed (None while it is in progress)."""
    done = timestamp(backup.get("completed_at"))
    return round(max(0.0, now - done), 1) if done else None


# The panel's activity events for a restore's end, which the node's "backup restore completed" does not tell
# apart (it is sent after a failed restore too). The failure's name is the panel's own misspelling.
RESTORE_COMPLETE = "server:backup.restore-complete"
RESTORE_FAILED = "server.backup.restore-failed"


def restore_outcome(entries: list[dict], name: str | None) -> str | None:
    """``complete``, ``failed`` or None (not in ``entries``): the newest end-of-restore activity entry of the
    backup ``name`` among ``entries`` (newest first)."""
    for entry in entries:
        event = entry.get("event")
        if event not in (RESTORE_COMPLETE, RESTORE_FAILED):
            continue
        if name is not None and (entry.get("properties") or {}).get("name") != name:
            continue
        return "complete" if event == RESTORE_COMPLETE else "failed"
    return None
