#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_schedule
short_description: Make a game server's schedule and its tasks as described, delete it, or run it now
version_added: 0.1.0
description:
  - A schedule of the panel runs its tasks (a console command, a power action, a backup) in order
    when its cron expression is due. This module finds the server's schedule by O(name) and makes it
    as described - its cron, whether it is enabled, whether it runs only while the server is online,
    and its tasks, in order.
  - Reads the server's schedules first (one request, the tasks included) and sends nothing more when
    everything matches. Otherwise it sends the fewest requests - the schedule's fields in one request
    (every field, as the panel replaces them all), and per task an update in place, a creation at its
    place or a deletion.
  - Options left out stay as the schedule has them - without O(tasks) the tasks are left alone, and
    O(tasks=[]) deletes them all.
  - Checked before anything is sent - each cron field with the rules of the panel's cron library
    (the message names the field and the value), at most 10 tasks, O(tasks[].time_offset) from 0 to
    900, a payload for command and power tasks, and a power payload that the node knows.
  - V(executed) makes sure of the same, then runs the schedule now. The panel runs the first task
    before it answers, so its failure (a command to a stopped server) fails the task. It always
    changes the server.
  - Check mode reads, predicts and sends nothing that changes the server.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
attributes:
  diff_mode:
    description: Returns the schedule and its tasks before and after the task.
    support: full
options:
  name:
    description:
      - The schedule's name, which finds it (exactly, case-sensitive; leading and trailing spaces are
        dropped, as the panel drops them).
      - Two schedules of the same name fail the task, with their ids.
      - Up to 191 characters (255 on Pelican).
    type: str
    required: true
  state:
    description:
      - V(present) makes the schedule as described, creating it when there is none of that name.
      - V(absent) deletes it (with its tasks).
      - V(executed) makes it as described, then runs it now (the panel runs it even when it is
        disabled). It needs at least one task.
    type: str
    choices: [present, absent, executed]
    default: present
  cron:
    description:
      - When the schedule runs, as the five fields of a cron expression, in the panel's timezone
        (UTC by default). A field left out is V(*). Needed to create a schedule; without it an
        existing schedule keeps its cron.
      - Each field takes V(*), numbers, ranges (V(1-5)), steps (V(*/15), V(0-30/10)) and lists
        (V(0,30)), and C(month) and C(day_of_week) names (V(JAN), V(MON-FRI)).
    type: dict
    suboptions:
      minute:
        description: The minutes (0-59).
        type: raw
        default: "*"
      hour:
        description: The hours (0-23).
        type: raw
        default: "*"
      day_of_month:
        description:
          - The days of the month (1-31), also V(L) for the last day and V(15W) for the weekday
            nearest the 15th, or V(?).
        type: raw
        default: "*"
      month:
        description: The months (1-12, or V(JAN) to V(DEC)).
        type: raw
        default: "*"
      day_of_week:
        description:
          - The days of the week (0-7, 0 and 7 both Sunday, or V(MON) to V(SUN)), also V(5#3) for the
            third Friday of the month and V(5L) for its last Friday, or V(?).
        type: raw
        default: "*"
  enabled:
    description: Whether the schedule runs on its cron. A new schedule is enabled unless this says otherwise.
    type: bool
  only_when_online:
    description:
      - Whether a run is skipped while the server is offline. A new schedule runs either way unless
        this says otherwise.
    type: bool
  tasks:
    description:
      - The schedule's tasks, in the order they run. The panel's tasks are made equal to this list,
        in order - changed in place, added at their place, deleted when not listed.
      - Two tasks that are the same are both kept. At most 10 tasks.
    type: list
    elements: dict
    suboptions:
      action:
        description:
          - V(command) sends O(tasks[].payload) to the console, V(power) sends a power signal,
            V(backup) makes a backup.
        type: str
        required: true
        choices: [command, power, backup]
      payload:
        description:
          - The command (V(command)), the signal V(start), V(stop), V(restart) or V(kill) (V(power)),
            or the files the backup leaves out, one pattern a line (V(backup), optional).
        type: str
      time_offset:
        description:
          - Seconds to wait before this task, counted from the end of the task before it (for the first
            task, from the start of the run), 0 to 900. A run started with V(executed) runs its first
            task at once.
        type: int
        default: 0
      continue_on_failure:
        description: Whether the next tasks run when this one fails because the node could not do it.
        type: bool
        default: false
notes:
  - The key's user needs C(schedule.read) to read the schedules, C(schedule.create) to create one,
    C(schedule.update) to change one, change or add its tasks and run it, and C(schedule.delete) to
    delete one. Deleting a task needs C(schedule.update) on Pterodactyl and C(schedule.delete) on
    Pelican.
  - A backup task needs a server whose backup limit is above 0 (the panel refuses it, saying so).
  - The panel allows at most 10 tasks a schedule by default; a panel set to fewer refuses the extra
    ones, and this module refuses more than 10 before sending anything.
  - Pelican also knows a C(delete_files) task; this module deletes such a task when it is not listed.
"""

EXAMPLES = r"""
- name: Announce and restart the lobby every night at 04:00
  gameops.pterodactyl.server_schedule:
    server: lobby
    name: nightly restart
    cron: {minute: 0, hour: 4}
    only_when_online: true
    tasks:
      - {action: command, payload: "say Restarting in 5 minutes"}
      - {action: command, payload: "say Restarting now", time_offset: 300}
      - {action: power, payload: restart, time_offset: 10}

- name: A backup every six hours, without the logs
  gameops.pterodactyl.server_schedule:
    server: lobby
    name: backups
    cron: {minute: 15, hour: "*/6"}
    tasks:
      - {action: backup, payload: "*.log"}

- name: Pause it
  gameops.pterodactyl.server_schedule:
    server: lobby
    name: backups
    enabled: false

- name: Run the nightly restart now
  gameops.pterodactyl.server_schedule:
    server: lobby
    name: nightly restart
    state: executed

- name: Delete a schedule
  gameops.pterodactyl.server_schedule:
    server: lobby
    name: old announcements
    state: absent
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
schedule:
  description:
    - The schedule after the task (the deleted one for V(absent)). In check mode as it would be - a
      schedule or task that would be created has the id V(null), and RV(schedule.next_run_at) is the
      one read. On a failure, as far as the task got.
  returned: when there is one
  type: dict
  contains:
    id:
      description: The schedule's id.
      type: int
    name:
      description: Its name.
      type: str
    cron:
      description: Its five cron fields, as strings.
      type: dict
      sample: {minute: "0", hour: "4", day_of_month: "*", month: "*", day_of_week: "*"}
    is_active:
      description: Whether it runs on its cron (O(enabled)).
      type: bool
    is_processing:
      description: Whether a run is going on.
      type: bool
    only_when_online:
      description: Whether a run is skipped while the server is offline.
      type: bool
    last_run_at:
      description: When its last run ended (V(null) before the first).
      type: str
    next_run_at:
      description: When it runs next on its cron, by the panel's clock.
      type: str
    tasks:
      description: Its tasks, in the order they run.
      type: list
      elements: dict
      contains:
        id:
          description: The task's id.
          type: int
        sequence_id:
          description: Its place in the run, from 1.
          type: int
        action:
          description: V(command), V(power) or V(backup) (or Pelican's V(delete_files)).
          type: str
        payload:
          description: The command, the signal or the ignored files.
          type: str
        time_offset:
          description: Seconds waited before it.
          type: int
        continue_on_failure:
          description: Whether the next tasks run when it fails.
          type: bool
        is_queued:
          description: Whether it waits to run in a run going on.
          type: bool
changes:
  description:
    - The requests that changed something, in the order sent (in check mode, that would be sent). On
      a failure, those that succeeded before it.
    - C(what) is V(schedule) or V(task), C(op) V(create), V(update), V(delete) or V(execute), C(id) the
      schedule's or task's id (V(null) for one to be created), C(position) a task's place in O(tasks).
  returned: always
  type: list
  elements: dict
  sample: [{what: task, op: update, id: 12, position: 1}, {what: task, op: create, id: 15, position: 3}]
recovery:
  description:
    - One entry when the run-now request of V(executed) failed without an answer of the panel (a
      timeout, a proxy's error) - what the panel's activity log showed, and whether it was sent again.
  returned: always
  type: list
  elements: dict
"""

import time

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _evidence, _schedules
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

EXECUTE_EVENT = "server:schedule.execute"
FIRST_TASK_HINTS = {
    "command": "the node refuses commands to a stopped server: start it first, or make a power start the first task",
    "power": "the node could not do the power action: check the server and its node",
}


def first_task_failed(exc: PterodactylError, schedule: dict, first: dict) -> PterodactylError:
    """The panel's answer to a run-now whose first task failed (it runs before the panel answers)."""
    what = f"{first['action']} '{first['payload']}'" if first.get("payload") else first["action"]
    return exc.retold(
        f"the schedule {schedule.get('name')!r} (id {schedule.get('id')}) was started, but its first task "
        f"({what}) failed, and the panel answered with that failure: {exc.message}",
        hint=FIRST_TASK_HINTS.get(first["action"], exc.hint),
        uncertain=False,  # the panel's answer says what happened
    )


class ScheduleTask:
    """One run: check the options, read the schedules, plan, send the plan in order."""

    def __init__(self, base: PterodactylModule, sleep=time.sleep) -> None:
        self.base = base
        self.client = base.client
        self.sleep = sleep
        self.server = ""
        self.result: dict = {"changed": False, "changes": [], "recovery": []}

    def run(self) -> dict:
        flavor = "pelican" if str(self.base.params.get("api_key") or "").startswith("pacc_") else "pterodactyl"
        want = _schedules.wanted(self.base.params, flavor)  # before any request
        self.server = self.base.server_id()
        plan = _schedules.plan(self.client.list_schedules(self.server), want)
        self.result["changed"] = plan.changed
        self.result["schedule"] = _schedules.shaped(plan.current) if plan.current is not None else None
        if self.base.diff_mode:
            self.result["diff"] = {"before": plan.before, "after": plan.after}
        if self.base.check_mode:
            self.result["changes"] = planned(plan)
            self.result["schedule"] = _schedules.predicted(plan)
            return self.result
        try:
            self.result["schedule"] = self._apply(plan)
        except PterodactylError as exc:
            # changed: what was done before the failure, or a request whose answer was lost
            self.result["changed"] = bool(self.result["changes"]) or exc.uncertain
            raise exc.with_result(self.result) from None
        return self.result

    def _done(self, what: str, op: str, ident, position: int | None = None) -> None:
        self.result["changes"].append({"what": what, "op": op, "id": ident, "position": position})

    def _apply(self, plan: _schedules.SchedulePlan) -> dict | None:
        client, server, schedule = self.client, self.server, plan.current
        if plan.delete:
            client.delete_schedule(server, schedule["id"])
            self._done("schedule", "delete", schedule["id"])
            return _schedules.shaped(schedule)
        answered = None
        if plan.fields is not None:
            op = "update" if schedule is not None else "create"
            if schedule is None:
                schedule = answered = client.create_schedule(server, plan.fields)
            else:
                answered = client.update_schedule(server, schedule["id"], plan.fields)
            self._done("schedule", op, answered.get("id"))
            self.result["schedule"] = _schedules.shaped(answered)  # with the tasks it had (a failure says so)
        tasks = {}
        for step in plan.tasks.steps:
            if step.op == "delete":
                client.delete_task(server, schedule["id"], step.task_id)
            elif step.op == "update":
                tasks[step.position] = client.update_task(server, schedule["id"], step.task_id, step.body)
            else:
                tasks[step.position] = client.create_task(server, schedule["id"], step.body)
            ident = step.task_id if step.op == "delete" else tasks[step.position].get("id")
            self._done("task", step.op, ident, step.position)
        after = self.result["schedule"] = _schedules.predicted(plan, answered, tasks)
        if plan.execute:
            self._execute(after)
        return after

    def _execute(self, schedule: dict, resend: bool = True) -> None:
        """Run it now; a failure without the panel's answer is found out from the activity log."""
        since = self.client.panel_time()
        try:
            self.client.execute_schedule(self.server, schedule["id"])
        except PterodactylError as exc:
            if exc.errors or not exc.uncertain:  # the panel's own answer
                if exc.status and exc.status >= 500:
                    raise first_task_failed(exc, schedule, schedule["tasks"][0]) from None
                raise
            finding = _evidence.wait_for_activity(
                self.client,
                self.server,
                EXECUTE_EVENT,
                since,
                matches=lambda entry: (entry.get("properties") or {}).get("name") == schedule["name"],
                sleep=self.sleep,
            )
            again = resend and finding.outcome == _evidence.NOT_RUN
            what = f"run the schedule '{schedule['name']}' now"
            entry = _evidence.recovery_entry(what, exc, finding, "sent again" if again else "not sent again")
            self.result["recovery"].append(entry)
            if again:
                return self._execute(schedule, resend=False)
            if finding.outcome != _evidence.RAN:
                raise _evidence.gave_up(exc, what, finding) from None
        self._done("schedule", "execute", schedule["id"])
        return None


def planned(plan: _schedules.SchedulePlan) -> list[dict]:
    """Check mode: the changes the plan would send, in order."""
    current = plan.current or {}
    changes = []
    if plan.delete:
        changes.append({"what": "schedule", "op": "delete", "id": current.get("id"), "position": None})
    if plan.fields is not None:
        op = "update" if plan.current is not None else "create"
        changes.append({"what": "schedule", "op": op, "id": current.get("id"), "position": None})
    for step in plan.tasks.steps:
        changes.append({"what": "task", "op": step.op, "id": step.task_id, "position": step.position})
    if plan.execute:
        changes.append({"what": "schedule", "op": "execute", "id": current.get("id"), "position": None})
    return changes


CRON_SPEC = {
    field: {"type": "raw", "default": "*"} for field in ("minute", "hour", "day_of_month", "month", "day_of_week")
}
TASK_SPEC = {
    "action": {"type": "str", "required": True, "choices": ["command", "power", "backup"]},
    "payload": {"type": "str"},
    "time_offset": {"type": "int", "default": 0},
    "continue_on_failure": {"type": "bool", "default": False},
}


def main() -> None:
    base = PterodactylModule(
        {
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent", "executed"]},
            "cron": {"type": "dict", "options": CRON_SPEC},
            "enabled": {"type": "bool"},
            "only_when_online": {"type": "bool"},
            "tasks": {"type": "list", "elements": "dict", "options": TASK_SPEC},
        }
    )
    base.run(lambda: ScheduleTask(base).run())


if __name__ == "__main__":
    main()
