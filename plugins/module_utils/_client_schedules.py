# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's schedules and their tasks. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_read``; nothing here builds a URL by hand or reads a status. Schedules and
tasks are addressed by their integer ids.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class ScheduleCalls:
    """Schedules: list (with their tasks), create, update, execute, delete; tasks: create, update, delete."""

    # -- schedules --

    def list_schedules(self, server: str) -> list[dict]:
        """Every schedule of a server (one request: the list is not paginated), as attributes dicts whose
        ``relationships.tasks.data`` holds the tasks (the panel always includes them)."""
        body = self._read("schedules_list", server=server)
        return [_attributes(item) for item in body.get("data") or []]

    def create_schedule(self, server: str, fields: dict) -> dict:
        """``fields``: name, is_active, only_when_online and the five cron fields; the new schedule."""
        return _attributes(self._call("schedules_create", body=fields, server=server))

    def update_schedule(self, server: str, schedule: int, fields: dict) -> dict:
        """A full replacement: every field of :meth:`create_schedule`; the schedule after."""
        return _attributes(self._call("schedules_update", body=fields, server=server, schedule=str(schedule)))

    def execute_schedule(self, server: str, schedule: int) -> None:
        """Run it now (202): the first task runs before the panel answers, so its failure is this call's."""
        self._call("schedules_execute", server=server, schedule=str(schedule))

    def delete_schedule(self, server: str, schedule: int) -> None:
        self._call("schedules_delete", server=server, schedule=str(schedule))

    # -- tasks --

    def create_task(self, server: str, schedule: int, fields: dict) -> dict:
        """``fields``: action, payload, time_offset, continue_on_failure and ``sequence_id`` (the panel shifts
        the tasks at and after it); the new task."""
        return _attributes(self._call("schedules_task_create", body=fields, server=server, schedule=str(schedule)))

    def update_task(self, server: str, schedule: int, task: int, fields: dict) -> dict:
        """Without ``sequence_id`` the task keeps its place; the task after."""
        values = {"server": server, "schedule": str(schedule), "task": str(task)}
        return _attributes(self._call("schedules_task_update", body=fields, **values))

    def delete_task(self, server: str, schedule: int, task: int) -> None:
        """The panel moves the later tasks up by one."""
        self._call("schedules_task_delete", server=server, schedule=str(schedule), task=str(task))
