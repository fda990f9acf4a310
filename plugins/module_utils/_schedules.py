# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's schedules and their tasks, without the network: shapes, the wanted state, the plan.
Private to the collection.

The panel's ``server_schedule`` holds its tasks in ``relationships.tasks`` (in no order: they run by
``sequence_id``). Both panels trim every string of a request and store an empty ``payload`` as "", so
what is compared here is what the panel would store. The task plan is an edit script: the fewest
requests (update in place, create, delete) that make the panel's ordered tasks equal to the wanted
list - see :func:`plan_tasks`.
"""

from __future__ import annotations

from typing import NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils._cron import FIELDS, check_cron
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import integer_option

ACTIONS = ("command", "power", "backup")
POWER_SIGNALS = ("start", "stop", "restart", "kill")
TASK_LIMIT = 10  # PTERODACTYL_PER_SCHEDULE_TASK_LIMIT / PANEL_PER_SCHEDULE_TASK_LIMIT, both panels' default
MAX_TIME_OFFSET = 900
TASK_KEYS = ("action", "payload", "time_offset", "continue_on_failure")
SCHEDULE_KEYS = ("id", "name", "is_active", "is_processing", "only_when_online", "last_run_at", "next_run_at")
TASK_FIELDS = ("id", "sequence_id", *TASK_KEYS, "is_queued", "created_at", "updated_at")
NAME_LIMITS = {"pterodactyl": 191, "pelican": 255}


def text(value) -> str:
    """A string as the panel stores it: trimmed, ``null`` as ""."""
    return "" if value is None else str(value).strip()


# --------------------------------------------------------------------------- the panel's objects


def tasks_of(schedule: dict) -> list[dict]:
    """A schedule's tasks (attributes), in the order they run: by ``sequence_id``, then id."""
    items = ((schedule.get("relationships") or {}).get("tasks") or {}).get("data") or []
    tasks = [item.get("attributes") or {} for item in items if isinstance(item, dict)]
    return sorted(tasks, key=lambda task: (task.get("sequence_id") or 0, task.get("id") or 0))


def task_values(task: dict) -> dict:
    """The four things compared of a task."""
    return {
        "action": text(task.get("action")),
        "payload": text(task.get("payload")),
        "time_offset": int(float(task.get("time_offset") or 0)),
        "continue_on_failure": bool(task.get("continue_on_failure")),
    }


def fields_of(schedule: dict) -> dict:
    """The fields a schedule update sends, as the schedule has them."""
    cron = schedule.get("cron") or {}
    fields = {"name": text(schedule.get("name")), **{name: text(cron.get(name)) for name in FIELDS}}
    fields.update(is_active=bool(schedule.get("is_active")), only_when_online=bool(schedule.get("only_when_online")))
    return fields


def shaped(schedule: dict, tasks: list[dict] | None = None) -> dict:
    """A schedule as the modules return it: its fields, ``cron``, and its ``tasks`` in order."""
    result = {key: schedule.get(key) for key in SCHEDULE_KEYS}
    result["cron"] = {name: (schedule.get("cron") or {}).get(name) for name in FIELDS}
    ordered = tasks_of(schedule) if tasks is None else tasks
    result["tasks"] = [{key: task.get(key) for key in TASK_FIELDS} for task in ordered]
    return result


def view(fields: dict | None, tasks: list[dict]) -> dict:
    """Diff mode: a schedule as the user writes it ({} for none)."""
    if fields is None:
        return {}
    return {
        "name": fields["name"],
        "cron": {name: fields[name] for name in FIELDS},
        "enabled": fields["is_active"],
        "only_when_online": fields["only_when_online"],
        "tasks": [task_values(task) for task in tasks],
    }


def find(schedules: list[dict], name: str) -> dict | None:
    """The schedule named ``name`` (exactly, trimmed), None; ScheduleNameAmbiguous when several are."""
    matches = [schedule for schedule in schedules if text(schedule.get("name")) == name]
    if len(matches) > 1:
        ids = ", ".join(str(schedule.get("id")) for schedule in matches)
        raise PterodactylError(
            f"{len(matches)} schedules of the server are named {name!r} (ids {ids})",
            code="ScheduleNameAmbiguous",
            hint="rename or delete all but one of them in the panel: the module finds a schedule by its name",
        )
    return matches[0] if matches else None


# --------------------------------------------------------------------------- the wanted state


def wanted_task(task: dict, where: str) -> dict:
    """One item of the ``tasks`` option as the panel would store it; InvalidOption before anything is sent."""
    action = text(task.get("action"))
    if action not in ACTIONS:
        raise invalid_option(f"{where}.action must be one of {', '.join(ACTIONS)}, not {action!r}")
    payload = text(task.get("payload"))
    if action != "backup" and not payload:
        what = "the command" if action == "command" else "the signal (start, stop, restart or kill)"
        raise invalid_option(f"{where}.payload is required for a {action} task: {what}")
    if action == "power" and payload not in POWER_SIGNALS:
        raise invalid_option(f"{where}.payload of a power task must be start, stop, restart or kill, not {payload!r}")
    offset = task.get("time_offset")
    offset = integer_option(0 if offset is None else offset, f"{where}.time_offset", maximum=MAX_TIME_OFFSET)
    return {
        "action": action,
        "payload": payload,
        "time_offset": offset,
        "continue_on_failure": bool(task.get("continue_on_failure")),
    }


def wanted_tasks(tasks: list[dict] | None) -> list[dict] | None:
    """The ``tasks`` option checked (None: leave the tasks as they are)."""
    if tasks is None:
        return None
    if len(tasks) > TASK_LIMIT:
        raise invalid_option(
            f"tasks has {len(tasks)} items: a schedule may have at most {TASK_LIMIT} tasks",
            hint="the panel's per_schedule_task_limit (10 by default) refuses more",
        )
    return [wanted_task(task or {}, f"tasks[{index}]") for index, task in enumerate(tasks)]


class Wanted(NamedTuple):
    """The options, checked before anything is sent."""

    state: str
    name: str
    cron: dict | None  # the five fields as strings; None: as the schedule has them
    enabled: bool | None
    only_when_online: bool | None
    tasks: list[dict] | None  # None: leave the tasks as they are


def wanted(params: dict, flavor: str) -> Wanted:
    """InvalidOption for a name, cron field or task the panel would refuse (or run into a failure)."""
    name = text(params.get("name"))
    if not name or len(name) > NAME_LIMITS[flavor]:
        raise invalid_option(f"name must have 1 to {NAME_LIMITS[flavor]} characters, not {len(name)}")
    cron = check_cron(params["cron"]) if params.get("cron") is not None else None
    tasks = wanted_tasks(params.get("tasks"))
    return Wanted(params["state"], name, cron, params.get("enabled"), params.get("only_when_online"), tasks)


def wanted_fields(current: dict | None, want: Wanted) -> dict:
    """Every field an update sends (a full replacement): the options given over the schedule's own;
    for a new schedule ``cron`` is needed, ``enabled`` defaults to true, ``only_when_online`` to false."""
    if current is None and want.cron is None:
        raise invalid_option(f"there is no schedule named {want.name!r} yet: give its cron to create it")
    fields = fields_of(current) if current is not None else {"is_active": True, "only_when_online": False}
    fields["name"] = want.name
    fields.update(want.cron or {})
    for value, key in ((want.enabled, "is_active"), (want.only_when_online, "only_when_online")):
        if value is not None:
            fields[key] = bool(value)
    return fields


# --------------------------------------------------------------------------- the task plan


class TaskStep(NamedTuple):
    op: str  # "delete", "update" or "create", sent in that order
    task_id: int | None  # the panel's task (delete, update)
    position: int | None  # its place in the wanted list, from 1 (update, create)
    body: dict | None  # what is sent (a create's has its sequence_id)


class TaskPlan(NamedTuple):
    steps: list[TaskStep]
    final: list[tuple[int | None, int]]  # per wanted position: (the task's id, None when created; its sequence_id)


def align(current: list[dict], wanted: list[dict]) -> list[tuple[str, int | None, int | None]]:
    """The edit script from ``current`` to ``wanted`` (both in order) with the fewest changes:
    ``(op, current index, wanted index)`` with op keep, update, delete or create; on a tie an update
    in place wins (the task keeps its id)."""
    have = [task_values(task) for task in current]
    rows, cols = len(have), len(wanted)
    cost = [[0] * (cols + 1) for _row in range(rows + 1)]  # cost[i][j]: have[i:] -> wanted[j:]
    for i in range(rows, -1, -1):
        for j in range(cols, -1, -1):
            if i == rows or j == cols:
                cost[i][j] = (rows - i) + (cols - j)
                continue
            same = 0 if have[i] == wanted[j] else 1
            cost[i][j] = min(same + cost[i + 1][j + 1], 1 + cost[i + 1][j], 1 + cost[i][j + 1])
    script, i, j = [], 0, 0
    while i < rows or j < cols:
        same = i < rows and j < cols and have[i] == wanted[j]
        if i < rows and j < cols and cost[i][j] == (0 if same else 1) + cost[i + 1][j + 1]:
            script.append(("keep" if same else "update", i, j))
            i, j = i + 1, j + 1
        elif i < rows and cost[i][j] == 1 + cost[i + 1][j]:
            script.append(("delete", i, None))
            i += 1
        else:
            script.append(("create", None, j))
            j += 1
    return script


def plan_tasks(current: list[dict], wanted: list[dict]) -> TaskPlan:
    """The requests that make the panel's tasks (``current``, in order) equal to ``wanted``.

    The deletes go first (the panel moves the later tasks up; the count never passes the limit), then
    the updates in place (without ``sequence_id``: a task keeps its place), then the creates in the
    wanted order, each with the ``sequence_id`` of the task it must come before (the panel moves that
    one and the later ones down) or after the last. The panel's renumbering is followed here step by
    step, so a gap in the sequence ids changes nothing.
    """
    script = align(current, wanted)
    sequence = {task["id"]: task.get("sequence_id") or 0 for task in current}
    steps = []
    for op, i, _j in script:
        if op == "delete":
            gone = current[i]
            steps.append(TaskStep("delete", gone["id"], None, None))
            sequence = {key: seq - (seq > sequence[gone["id"]]) for key, seq in sequence.items() if key != gone["id"]}
    for op, i, j in script:
        if op == "update":
            steps.append(TaskStep("update", current[i]["id"], j + 1, dict(wanted[j])))
    order = [current[i]["id"] if op in ("keep", "update") else (None, j) for op, i, j in script if op != "delete"]
    for position, entry in enumerate(order):
        if not isinstance(entry, tuple):
            continue
        after = next((key for key in order[position + 1 :] if not isinstance(key, tuple)), None)
        at = sequence[after] if after is not None else max(sequence.values(), default=0) + 1
        sequence = {key: seq + (seq >= at) for key, seq in sequence.items()}
        sequence[entry] = at
        steps.append(TaskStep("create", None, position + 1, {**wanted[entry[1]], "sequence_id": at}))
    final = [(None if isinstance(entry, tuple) else entry, sequence[entry]) for entry in order]
    return TaskPlan(steps, final)


# --------------------------------------------------------------------------- the whole plan


class SchedulePlan(NamedTuple):
    current: dict | None  # the schedule of that name, as read (None: there is none)
    fields: dict | None  # the body of the create (no current) or of the update; None: the fields stay
    tasks: TaskPlan
    delete: bool
    execute: bool
    before: dict  # diff mode
    after: dict

    @property
    def changed(self) -> bool:
        return self.fields is not None or bool(self.tasks.steps) or self.delete or self.execute


def plan(schedules: list[dict], want: Wanted) -> SchedulePlan:
    """What to send to make the server's schedules hold ``want``; nothing when they already do."""
    current = find(schedules, want.name)
    have = tasks_of(current) if current is not None else []
    before = view(fields_of(current), have) if current is not None else {}
    if want.state == "absent":
        return SchedulePlan(current, None, TaskPlan([], []), current is not None, False, before, {})
    fields = wanted_fields(current, want)
    tasks = want.tasks if want.tasks is not None else [task_values(task) for task in have]
    if want.state == "executed" and not tasks:
        raise invalid_option(f"the schedule {want.name!r} has no tasks: there is nothing to run", hint="give it tasks")
    changed = current is None or fields != fields_of(current)
    after = view(fields, tasks)
    return SchedulePlan(
        current, fields if changed else None, plan_tasks(have, tasks), False, want.state == "executed", before, after
    )


def predicted(plan: SchedulePlan, schedule: dict | None = None, answers: dict | None = None) -> dict | None:
    """The schedule after the plan, shaped: from the panel's answers where there are some (``schedule``,
    and ``answers``: wanted position -> the task the panel answered), else as predicted (check mode: a
    new schedule or task has the id null, and next_run_at stays as read)."""
    if plan.delete or not plan.after:
        return shaped(plan.current) if plan.current is not None else None
    if schedule is None:
        schedule = dict(plan.current or {"id": None, "is_processing": False, "last_run_at": None, "next_run_at": None})
        schedule.update(name=plan.after["name"], cron=plan.after["cron"], is_active=plan.after["enabled"])
        schedule["only_when_online"] = plan.after["only_when_online"]
    have = {task["id"]: task for task in tasks_of(plan.current)} if plan.current is not None else {}
    tasks = []
    for position, (task_id, sequence_id) in enumerate(plan.tasks.final, 1):
        task = (answers or {}).get(position) or {**have.get(task_id, {"id": None}), **plan.after["tasks"][position - 1]}
        tasks.append({**task, "sequence_id": sequence_id})
    return shaped(schedule, tasks)
