# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for a backup or a restore to be done. Private to the collection.

The node announces both on the server's websocket (``backup completed`` with the backup's uuid,
``backup restore completed``), so a wait costs no request. The socket is opened *before* the
action, so the event cannot come before anyone listens. Where the websocket cannot be used (the
key lacks ``websocket.connect``, websocket-client is missing, the node closes the socket while it
restores), the wait asks the panel every few seconds instead (``_wait.poll_until``). A check
through the panel every ``CHECK_SECONDS`` covers an event lost while the socket reconnected.
"""

from __future__ import annotations

import datetime
import json
import time

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _wings
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    ConsoleError,
    ConsoleTimeout,
    PterodactylError,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wait import poll_until

CHECK_SECONDS = 60.0  # a panel read this often while waiting on the websocket (a lost event)
RESTORING = "restoring_backup"


def completion_of(args: list[str]) -> dict:
    """The JSON of a ``backup completed`` event (``uuid``, ``is_successful``, ``checksum``, ``file_size``)."""
    try:
        data = json.loads(args[0]) if args else {}
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def completed(backup: dict, event: dict, now: float) -> dict:
    """The backup as the panel records the node's report (no request): its size and checksum from the
    event, ``completed_at`` the panel's clock when the event came (the panel stamps it then, +- 1 s)."""
    successful = bool(event.get("is_successful"))
    checksum = event.get("checksum") if successful else None
    kind = event.get("checksum_type") or "sha1"
    return {
        **backup,
        "is_successful": successful,
        "is_locked": bool(backup.get("is_locked")) and successful,
        "checksum": f"{kind}:{checksum}" if checksum else None,
        "bytes": int(event.get("file_size") or 0) if successful else 0,
        "completed_at": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(timespec="seconds"),  # noqa: UP017
    }


class Waits:
    """The waits of one task on one server; records ``waited`` and ``waited_with`` in ``result``."""

    def __init__(self, base, server: str, result: dict) -> None:
        self.base = base
        self.client = base.client
        self.server = server
        self.result = result
        self.timeout = base.params["wait_timeout"]
        self.console = None
        self.tried = False  # the websocket was tried (once a task: a refusal is not asked again)

    def close(self) -> None:
        if self.console is not None:
            self.console.close()

    def prepare(self) -> int | None:
        """Open the websocket before an action; the event mark, or None to poll instead."""
        if not self.base.params["wait"]:
            return None
        self.tried = True
        try:
            self.console = self.base.console(self.server)
            return self.console.event_mark()
        except PterodactylError as exc:
            self._no_console(exc)
            return None

    def _no_console(self, exc: PterodactylError) -> None:
        if self.console is not None:
            self.console.close()
        self.console = None
        self.base.module.warn(
            f"waiting by asking the panel every few seconds: the websocket cannot be used ({exc.message})"
        )

    def _record(self, started: float, how: str) -> None:
        self.result["waited"] = round(self.result["waited"] + time.monotonic() - started, 3)
        self.result["waited_with"] = how

    # -- a backup --

    def backup_done(self, backup: dict, mark: int | None = None) -> dict:
        """The backup once completed (successful or failed), waiting for the node to say so."""
        started = time.monotonic()
        if mark is None and self.console is None and not self.tried and backup.get("completed_at") is None:
            mark = self.prepare()  # a backup started elsewhere: listen from now, then check it once
        uuid = backup["uuid"]
        if self.console is not None:
            done = self._backup_event(backup, mark, started)
            if done is not None:
                self._record(started, "websocket")
                return done
        done, _reads = poll_until(
            lambda: self.client.get_backup(self.server, uuid),
            lambda item: bool(item.get("completed_at")),
            timeout=max(0.001, self.timeout - (time.monotonic() - started)),
            what=f"the backup {uuid}",
        )
        self._record(started, "polling")
        return done

    def _backup_event(self, backup: dict, mark: int, started: float) -> dict | None:
        """The completed backup from the node's event (or a panel check), None to poll instead."""
        uuid = backup["uuid"]
        deadline = started + self.timeout
        while True:
            chunk = min(CHECK_SECONDS, deadline - time.monotonic())
            try:
                args = self.console.wait_for_event(
                    _wings.EVENT_BACKUP_COMPLETED,
                    since=mark,
                    timeout=max(0.001, chunk),
                    match=lambda args: completion_of(args).get("uuid") == uuid,
                )
                return completed(backup, completion_of(args), self.client.panel_time())
            except ConsoleTimeout:
                current = self.client.get_backup(self.server, uuid)  # an event lost in a reconnect?
                if current.get("completed_at"):
                    return current
                if time.monotonic() >= deadline:
                    raise PterodactylError(
                        f"the backup {uuid} was not done within {self.timeout:g}s",
                        code="WaitTimeout",
                        hint="raise wait_timeout (a large server takes a while), or set wait: false",
                    ) from None
            except ConsoleError as exc:
                self._no_console(exc)
                return None

    # -- a restore --

    def restore_done(self, mark: int | None) -> None:
        """Wait until the node has put the files back (the server's status leaves restoring_backup)."""
        started = time.monotonic()
        if self.console is not None:
            try:
                self.console.wait_for_event(_wings.EVENT_BACKUP_RESTORE_COMPLETED, since=mark, timeout=self.timeout)
                self._record(started, "websocket")
                return
            except ConsoleTimeout:
                raise PterodactylError(
                    f"the restore was not done within {self.timeout:g}s", code="WaitTimeout", hint="raise wait_timeout"
                ) from None
            except ConsoleError as exc:
                self._no_console(exc)  # e.g. the node closes sockets while it restores (Wings 1.12)
        poll_until(
            lambda: self.client.get_server(self.server)[0].get("status"),
            lambda status: status != RESTORING,
            timeout=max(0.001, self.timeout - (time.monotonic() - started)),
            what="the restore",
        )
        self._record(started, "polling")
