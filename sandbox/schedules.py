"""The schedules family: ``/api/client/servers/{server}/schedules/*`` (reference panel-client-api-config.md §6).

The routes do what PT ``ScheduleController`` / ``ScheduleTaskController`` and their form requests do, in their
order: the ``{schedule}`` / ``{task}`` bindings (an unknown id is the binding's 404; another server's schedule,
or a task of another schedule, PT ``ResourceBelongsToServer``'s 404 after the 409 checks, on both flavors: their
bindings are not scoped), the permission (403), Laravel's rules (422), the controller's checks, the row, the
activity, the answer. Running schedules (the cron, execute-now, the tasks) is sandbox/schedules_runner.py.

* Schedules: ``name`` required|string|max:191 (PL 255), ``is_active`` filled|boolean, the cron fields
  required|string; PT does not validate ``month`` (missing: PHP's TypeError, a 500) nor ``only_when_online``,
  PL does (its rule order: name, is_active, only_when_online, minute, hour, day_of_month, month, day_of_week).
  An expression the cron library refuses (or one without a next date) is the 400 DisplayException. PL limits
  creation to 2 per minute per server (``ResourceLimit::ScheduleCreate``).
* Tasks: ``action`` in command, power, backup (PL also delete_files), ``payload`` required_unless the action is
  backup, ``time_offset`` 0-900, ``sequence_id`` >= 1 (lower ids shift the others), ``continue_on_failure``;
  10 tasks a schedule (400), a backup task where the server's backup limit is 0 (403). Deleting a task checks
  the permission in the controller (PT ``schedule.update``, PL ``schedule.delete``): an HttpForbiddenException.
* Activity: the update's ``name`` is the name before the update on PT (the repository saved another instance),
  after it on PL; likewise a task update's ``action`` / ``payload``.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from aiohttp import web

from . import errors as E
from . import schedules_runner as runner
from .errors import ApiError
from .fleet import Server, iso
from .forms import creation_throttle, found_or_404, permit, row_by_id
from .panel import Ctx, Panel, register_binder, route
from .rules import checked_input, php_string

BASE = r"^/api/client/servers/(?P<server>[^/]+)/schedules"
ITEM = BASE + r"/(?P<schedule>[^/]+)"
TASK = ITEM + r"/tasks/(?P<task>[^/]+)"
NOT_FOR_SERVER = "The requested resource was not found for this server."
BAD_CRON = "The cron data provided does not evaluate to a valid expression."
TASK_LIMIT = (
    "Schedules may not have more than {limit} tasks associated with them. Creating this task would put this "
    "schedule over the limit."
)
BACKUP_LIMIT_ZERO = "A backup task cannot be created when the server's backup limit is set to 0."
NO_PERMISSION = "You do not have permission to perform this action."
CREATE_THROTTLE = {"count": 2, "period": 60}  # Pelican's ResourceLimit::ScheduleCreate
CRON_FIELDS = ("minute", "hour", "day_of_month", "month", "day_of_week")
TRUE_WORDS = ("1", "true", "on", "yes")  # FILTER_VALIDATE_BOOLEAN (``$request->boolean()``)


@dataclasses.dataclass(eq=False)
class Task:
    """A row of ``tasks``."""

    id: int
    schedule: Schedule
    sequence_id: int
    action: str
    payload: str
    time_offset: int
    continue_on_failure: bool = False
    is_queued: bool = False
    created_at: float = dataclasses.field(default_factory=time.time)
    updated_at: float = dataclasses.field(default_factory=time.time)


@dataclasses.dataclass(eq=False)
class Schedule:
    """A row of ``schedules`` (the cron fields as stored strings)."""

    id: int
    server: Server
    name: str
    cron: dict[str, str]
    is_active: bool
    only_when_online: bool
    next_run_at: float | None
    is_processing: bool = False
    last_run_at: float | None = None
    created_at: float = dataclasses.field(default_factory=time.time)
    updated_at: float = dataclasses.field(default_factory=time.time)
    tasks: list[Task] = dataclasses.field(default_factory=list)  # id order (the relation has no order)

    def touch(self) -> None:
        self.updated_at = time.time()


# --------------------------------------------------------------------------- bindings and shapes


def bind_schedule(panel: Panel, server: Server, value: str) -> Schedule:
    return found_or_404(row_by_id(panel.fleet.schedules, value))


def bind_task(panel: Panel, server: Server, value: str) -> Task:
    return found_or_404(row_by_id([t for s in panel.fleet.schedules for t in s.tasks], value))


register_binder("schedule", bind_schedule)
register_binder("task", bind_task)


def bound(ctx: Ctx) -> tuple[Schedule, Task | None]:
    """PT ``ResourceBelongsToServer`` for ``{schedule}`` and ``{task}``."""
    schedule, task = ctx.bound["schedule"], ctx.bound.get("task")
    if schedule.server is not ctx.server or (task is not None and task.schedule is not schedule):
        raise E.not_found(NOT_FOR_SERVER)
    return schedule, task


def task_item(task: Task) -> dict:
    """PT ``TaskTransformer``."""
    return {
        "object": "schedule_task",
        "attributes": {
            "id": task.id,
            "sequence_id": task.sequence_id,
            "action": task.action,
            "payload": task.payload,
            "time_offset": task.time_offset,
            "is_queued": task.is_queued,
            "continue_on_failure": task.continue_on_failure,
            "created_at": iso(task.created_at),
            "updated_at": iso(task.updated_at),
        },
    }


def schedule_item(schedule: Schedule) -> dict:
    """PT ``ScheduleTransformer`` with its default include ``tasks``."""
    cron = schedule.cron
    attrs = {
        "id": schedule.id,
        "name": schedule.name,
        "cron": {key: cron[key] for key in ("day_of_week", "day_of_month", "month", "hour", "minute")},
        "is_active": schedule.is_active,
        "is_processing": schedule.is_processing,
        "only_when_online": schedule.only_when_online,
        "last_run_at": iso(schedule.last_run_at) if schedule.last_run_at is not None else None,
        "next_run_at": iso(schedule.next_run_at) if schedule.next_run_at is not None else None,
        "created_at": iso(schedule.created_at),
        "updated_at": iso(schedule.updated_at),
        "relationships": {"tasks": {"object": "list", "data": [task_item(t) for t in schedule.tasks]}},
    }
    return {"object": "server_schedule", "attributes": attrs}


def record(panel: Panel, ctx: Ctx, event: str, properties: dict) -> None:
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def php_bool(value: Any) -> bool:
    """PHP's ``(bool)`` of an input."""
    return value not in (None, False, 0, 0.0, "0", "", [], {})


def request_boolean(value: Any) -> bool:
    """``$request->boolean()``: FILTER_VALIDATE_BOOLEAN."""
    return value is True or php_string(value).strip().lower() in TRUE_WORDS


def request_integer(value: Any) -> int:
    """``intval()`` of a validated numeric input."""
    try:
        return int(float(php_string(value)))
    except (TypeError, ValueError):
        return 0


# --------------------------------------------------------------------------- schedules


def schedule_input(panel: Panel, ctx: Ctx, permission: str) -> dict:
    """StoreScheduleRequest (UpdateScheduleRequest has the same rules), then the cron expression's next date."""
    longest = 255 if panel.pelican else 191
    rules: list[tuple[str, str]] = [("name", f"required|string|max:{longest}"), ("is_active", "filled|boolean")]
    if panel.pelican:
        rules.append(("only_when_online", "boolean"))
    fields = CRON_FIELDS if panel.pelican else ("minute", "hour", "day_of_month", "day_of_week")
    rules += [(field, "required|string") for field in fields]
    data = checked_input(panel, ctx, permission, rules)
    month = data.get("month")
    if month is None or isinstance(month, (list, dict)):
        raise E.unexpected("TypeError")  # getScheduleNextRunDate(string $month): null or an array
    cron = {field: php_string(data.get(field)) for field in CRON_FIELDS}
    try:
        data["next_run_at"] = runner.next_run(cron, runner.scheduler(panel).now())
    except ValueError:
        raise ApiError(400, "DisplayException", BAD_CRON, pretty=False) from None
    data["cron"] = cron
    return data


@route("api:client:server.schedules.index", BASE + "$", ("GET",))
async def index(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "schedule.read")
    rows = [schedule_item(s) for s in panel.fleet.schedules if s.server is ctx.server]
    return panel.json_response({"object": "list", "data": rows})


@route("api:client:server.schedules.store", BASE + "$", ("POST",))
async def store(panel: Panel, ctx: Ctx) -> web.Response:
    creation_throttle(panel, ctx, "schedule", CREATE_THROTTLE)
    data = schedule_input(panel, ctx, "schedule.create")
    schedule = Schedule(
        id=panel.fleet.next_id("schedules"),
        server=ctx.server,
        name=data["name"],
        cron=data["cron"],
        is_active=php_bool(data.get("is_active")),
        only_when_online=php_bool(data.get("only_when_online")),
        next_run_at=data["next_run_at"],
    )
    panel.fleet.schedules.append(schedule)
    record(panel, ctx, "server:schedule.create", {"name": schedule.name})
    return panel.json_response(schedule_item(schedule))


@route("api:client:server.schedules.view", ITEM + "$", ("GET",))
async def view(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, _task = bound(ctx)
    permit(panel, ctx, "schedule.read")
    return panel.json_response(schedule_item(schedule))


@route("api:client:server.schedules.update", ITEM + "$", ("POST",))
async def update(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, _task = bound(ctx)
    data = schedule_input(panel, ctx, "schedule.update")
    old_name, active = schedule.name, php_bool(data.get("is_active"))
    if schedule.is_active != active:
        schedule.is_processing = False  # the manual unstick (pterodactyl/panel#2425)
    schedule.name, schedule.cron, schedule.is_active = data["name"], data["cron"], active
    schedule.only_when_online = php_bool(data.get("only_when_online"))
    schedule.next_run_at = data["next_run_at"]
    schedule.touch()
    name = schedule.name if panel.pelican else old_name
    record(panel, ctx, "server:schedule.update", {"name": name, "active": active})
    return panel.json_response(schedule_item(schedule))


@route("api:client:server.schedules.execute", ITEM + "/execute$", ("POST",))
async def execute(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, _task = bound(ctx)
    permit(panel, ctx, "schedule.update")
    await runner.scheduler(panel).process(panel, schedule, manual=True)
    record(panel, ctx, "server:schedule.execute", {"name": schedule.name})
    return panel.json_response([], status=202)


@route("api:client:server.schedules.delete", ITEM + "$", ("DELETE",))
async def delete(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, _task = bound(ctx)
    permit(panel, ctx, "schedule.delete")
    panel.fleet.schedules.remove(schedule)  # the tasks go with it (foreign key cascade)
    record(panel, ctx, "server:schedule.delete", {"name": schedule.name})
    return web.Response(status=204)


# --------------------------------------------------------------------------- tasks


def task_input(panel: Panel, ctx: Ctx) -> dict:
    """StoreTaskRequest, then the backup-limit check of both task routes."""
    actions = "command,power,backup" + (",delete_files" if panel.pelican else "")
    rules = [
        ("action", f"required|in:{actions}"),
        ("payload", "required_unless:action,backup|string|nullable"),
        ("time_offset", "required|numeric|min:0|max:900"),
        ("sequence_id", "sometimes|required|numeric|min:1"),
        ("continue_on_failure", "sometimes|required|boolean"),
    ]
    return checked_input(panel, ctx, "schedule.update", rules)


def refuse_backup_task(ctx: Ctx, data: dict) -> None:
    limit = ctx.server.feature_limits.get("backups")
    if limit == 0 and not isinstance(limit, bool) and data.get("action") == "backup":  # backup_limit === 0
        raise E.http_forbidden(BACKUP_LIMIT_ZERO)


def task_values(data: dict) -> dict:
    payload = data.get("payload")
    return {
        "action": php_string(data["action"]),
        "payload": "" if payload is None else php_string(payload),
        "time_offset": request_integer(data["time_offset"]),
        "continue_on_failure": request_boolean(data.get("continue_on_failure")),
    }


def task_event(panel: Panel, ctx: Ctx, event: str, schedule: Schedule, shown: dict) -> None:
    record(panel, ctx, event, {"name": schedule.name, "action": shown["action"], "payload": shown["payload"]})


@route("api:client:server.schedules.tasks.store", ITEM + "/tasks$", ("POST",))
async def store_task(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, _task = bound(ctx)
    data = task_input(panel, ctx)
    limit = panel.fleet.client_features["schedules"]["per_schedule_task_limit"]
    if len(schedule.tasks) >= limit:
        raise ApiError(400, "ServiceLimitExceededException", TASK_LIMIT.format(limit=limit), pretty=False)
    refuse_backup_task(ctx, data)
    sequence = max((t.sequence_id for t in schedule.tasks), default=0) + 1
    asked = max(1, request_integer(data["sequence_id"])) if "sequence_id" in data else sequence
    if asked < sequence:
        for other in schedule.tasks:
            if other.sequence_id >= asked:
                other.sequence_id += 1
        sequence = asked
    task = Task(panel.fleet.next_id("tasks"), schedule, sequence, **task_values(data))
    schedule.tasks.append(task)
    task_event(panel, ctx, "server:task.create", schedule, {"action": task.action, "payload": task.payload})
    return panel.json_response(task_item(task))


@route("api:client:server.schedules.tasks.update", TASK + "$", ("POST",))
async def update_task(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, task = bound(ctx)
    data = task_input(panel, ctx)
    refuse_backup_task(ctx, data)
    before = {"action": task.action, "payload": task.payload}
    sequence = max(1, request_integer(data["sequence_id"])) if "sequence_id" in data else task.sequence_id
    for other in schedule.tasks:
        if sequence < task.sequence_id and sequence <= other.sequence_id < task.sequence_id:
            other.sequence_id += 1
        elif sequence > task.sequence_id and task.sequence_id < other.sequence_id <= sequence:
            other.sequence_id -= 1
    task.sequence_id = sequence
    for key, value in task_values(data).items():
        setattr(task, key, value)
    task.updated_at = time.time()
    shown = {"action": task.action, "payload": task.payload} if panel.pelican else before
    task_event(panel, ctx, "server:task.update", schedule, shown)
    return panel.json_response(task_item(task))


@route("api:client:server.schedules.tasks.delete", TASK + "$", ("DELETE",))
async def delete_task(panel: Panel, ctx: Ctx) -> web.Response:
    schedule, task = bound(ctx)
    needed = "schedule.delete" if panel.pelican else "schedule.update"
    if not panel.fleet.can(ctx.user, ctx.server, needed):
        raise E.http_forbidden(NO_PERMISSION)
    for other in schedule.tasks:
        if other.sequence_id > task.sequence_id:
            other.sequence_id -= 1
    schedule.tasks.remove(task)
    record(panel, ctx, "server:task.delete", {"name": schedule.name})
    return web.Response(status=204)
