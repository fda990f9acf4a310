"""Schedules that run for real: the panel's cron (PT ``p:schedule:process``), ``ProcessScheduleService`` and
``RunTaskJob`` (reference panel-client-api-config.md §6 "Execution").

* The clock: ``Scheduler.now()`` is the real time plus ``clock_offset`` (moved forward by the control endpoint's
  ``POST /schedules/tick {"advance": s}``). ``next_run_at`` is the cron expression's next date after that
  clock (UTC, as both panels' app timezone), by ``croniter`` (dragonmantank/cron-expression's semantics for
  five fields: day of month and day of week are OR-ed when both are restricted).
* The cron: every ``interval`` seconds of that clock (60, at each minute as the panel's crontab; 0: only the
  tick runs it) the due schedules run: active, not processing, ``next_run_at`` <= now, the server's status
  null, at least one task.
* A run: ``is_processing`` and the next ``next_run_at`` are set, the first task (lowest ``sequence_id``) is
  queued; ``only_when_online`` asks the node's state first (PT: offline or stopping, PL: offline, or the node
  unreachable, end the run silently). Each task waits its ``time_offset`` (times ``offset_scale``), then runs:
  command -> the game server's console, power -> the power action, backup -> the backups family with
  ``override`` (PL: ``is_scheduled``), delete_files (PL) -> the matching files. A failure ends the run unless
  the task has ``continue_on_failure`` and the failure is a connection error (PT ``DaemonConnectionException``,
  which includes Wings' error answers; PL ``ConnectionException``: an unreachable node only). The end of a run
  clears ``is_processing`` and sets ``last_run_at``.
* Execute-now (``manual``): also for inactive or processing schedules; no task is the 400; the first task runs
  at once, ignoring its offset, and its failure is the endpoint's answer; the next ones are queued.

The queue worker is always there (a real panel without one leaves the schedule processing); Laravel's retries of
a failed job (``--tries``) are not emulated: a failed task fails once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import posixpath
import re
import time
from typing import Any

from croniter import croniter

from . import backups
from . import errors as E
from .errors import ApiError
from .files import WingsFailure, daemon_error
from .files_fs import FsError, for_server
from .fleet import iso
from .panel import Panel, register_service

log = logging.getLogger("sandbox.schedules")

NO_TASKS = "Cannot process schedule for task execution: no tasks are registered."
INVALID_POWER = 'The power action provided was not valid, should be one of "stop", "start", "restart", "kill"'
STOPPED = "Cannot send commands to a stopped server instance."
POWER_ACTIONS = ("start", "stop", "restart", "kill")
CONNECTION_ERRORS = ("DaemonConnectionException", "ConnectionException")


def next_run(cron: dict[str, str], now: float) -> float:
    """The next date of the five cron fields after ``now`` (epoch s, whole minutes); ValueError when the
    expression is not valid or has no next date (dragonmantank's exceptions, the panel's 400)."""
    fields = [cron[key] for key in ("minute", "hour", "day_of_month", "month", "day_of_week")]
    parts = " ".join(fields).split()
    if len(parts) != 5:  # dragonmantank: fewer parts refused, a sixth is no valid position
        raise ValueError("a cron expression has five fields")
    start = datetime.datetime.fromtimestamp(now, datetime.UTC)
    try:
        found = croniter(" ".join(parts), start, day_or=True).get_next(datetime.datetime)
    except Exception as exc:  # CroniterError and friends: any refusal is the panel's DisplayException
        raise ValueError(str(exc)) from None
    return found.timestamp()


class Scheduler:
    """The panel's cron and queue worker for schedules (one a panel: :func:`scheduler`)."""

    def __init__(self) -> None:
        self.clock_offset = 0.0  # seconds the schedules' clock is ahead of the real time
        self.interval = 60.0  # how often (on that clock) the cron looks for due schedules; 0: only ticks
        self.offset_scale = 1.0  # a task's time_offset is waited for this many times (tests: shorter)
        self.jobs: set[asyncio.Task] = set()
        self.loop_task: asyncio.Task | None = None

    def now(self) -> float:
        return time.time() + self.clock_offset

    # ----------------------------------------------------------------- the cron
    async def run_loop(self, panel: Panel) -> None:
        last: int | None = None
        while True:
            await asyncio.sleep(0.25)
            if self.interval <= 0:
                last = None
                continue
            slot = int(self.now() // self.interval)
            if last is not None and slot != last:
                self.process_runnable(panel)
            last = slot

    def due(self, schedule: Any) -> bool:
        return (
            schedule.server.status is None
            and schedule.is_active
            and not schedule.is_processing
            and schedule.next_run_at is not None
            and schedule.next_run_at <= self.now()
            and bool(schedule.tasks)
        )

    def process_runnable(self, panel: Panel) -> list[int]:
        """``p:schedule:process``: start every due schedule; -> their ids."""
        started = []
        for schedule in [s for s in panel.fleet.schedules if self.due(s)]:
            started.append(schedule.id)
            self.spawn(self.process(panel, schedule, manual=False))
        return started

    def spawn(self, coro) -> asyncio.Task:
        job = asyncio.get_running_loop().create_task(coro)
        self.jobs.add(job)
        job.add_done_callback(self._finished)
        return job

    def _finished(self, job: asyncio.Task) -> None:
        self.jobs.discard(job)
        if not job.cancelled() and job.exception() is not None:
            log.info("schedule job failed: %s", job.exception())

    async def close(self) -> None:
        pending = [*self.jobs, *([self.loop_task] if self.loop_task else [])]
        for job in pending:
            job.cancel()
        for job in pending:
            with contextlib.suppress(BaseException):
                await job

    # ----------------------------------------------------------------- ProcessScheduleService
    async def process(self, panel: Panel, schedule: Any, *, manual: bool) -> None:
        tasks = sorted(schedule.tasks, key=lambda t: t.sequence_id)
        if not tasks:
            raise ApiError(400, "DisplayException", NO_TASKS, pretty=False)
        first = tasks[0]
        schedule.is_processing = True
        with contextlib.suppress(ValueError):
            schedule.next_run_at = next_run(schedule.cron, self.now())
        schedule.touch()
        first.is_queued = True
        if schedule.only_when_online and self.offline(panel, schedule.server):
            self.failed(first)
            return
        if not manual:
            self.dispatch(panel, first, manual=False)
            return
        try:
            await self.run_task(panel, first, manual=True)
        except Exception:
            self.failed(first)
            raise

    def offline(self, panel: Panel, server: Any) -> bool:
        """The node's state of the server (an unreachable node counts as offline: PT's exception, PL's
        ``missing``)."""
        if server.node.unreachable or server.runtime is None:
            return True
        return server.runtime.state in (("offline",) if panel.pelican else ("offline", "stopping"))

    # ----------------------------------------------------------------- RunTaskJob
    def dispatch(self, panel: Panel, task: Any, *, manual: bool) -> None:
        async def queued() -> None:
            await asyncio.sleep(max(0.0, task.time_offset * self.offset_scale))
            try:
                await self.run_task(panel, task, manual=manual)
            except Exception as exc:  # the queue's failed(): the run ends
                log.info("schedule %s, task %s failed: %s", task.schedule.id, task.id, exc)
                self.failed(task)

        self.spawn(queued())

    async def run_task(self, panel: Panel, task: Any, *, manual: bool) -> None:
        schedule = task.schedule
        if schedule not in panel.fleet.schedules or task not in schedule.tasks:
            return  # deleted meanwhile: the job's model is gone
        if not schedule.is_active and not manual:
            task.is_queued = False
            self.complete(schedule)
            return
        if schedule.server.status is not None:
            self.failed(task)
            return
        try:
            await self.perform(panel, task)
        except ApiError as exc:
            if not (task.continue_on_failure and exc.code in CONNECTION_ERRORS):
                raise
        task.is_queued = False
        later = [t for t in schedule.tasks if t.sequence_id > task.sequence_id]
        if not later:
            self.complete(schedule)
            return
        following = min(later, key=lambda t: t.sequence_id)
        following.is_queued = True
        self.dispatch(panel, following, manual=manual)

    def failed(self, task: Any) -> None:
        task.is_queued = False
        self.complete(task.schedule)

    def complete(self, schedule: Any) -> None:
        schedule.is_processing = False
        schedule.last_run_at = self.now()
        schedule.touch()

    async def perform(self, panel: Panel, task: Any) -> None:
        """The task against the node (ApiError as the panel would throw it)."""
        server = task.schedule.server
        if task.action == "command":
            panel.check_daemon(server)
            if not await server.runtime.send_command(task.payload) and not panel.pelican:
                raise daemon_error(panel, "schedules", WingsFailure(502, STOPPED))
        elif task.action == "power":
            panel.check_daemon(server)
            if task.payload not in POWER_ACTIONS:
                raise daemon_error(panel, "schedules", WingsFailure(422, INVALID_POWER))
            server.runtime.request_power(task.payload)
        elif task.action == "backup":
            ignored = [line for line in task.payload.split("\n") if line]
            backups.initiate(panel, server, None, ignored, scheduled=panel.pelican, override=True)
        elif task.action == "delete_files" and panel.pelican:
            panel.check_daemon(server)
            delete_files(server, task.payload.split("\n"))
        else:
            raise E.unexpected("InvalidArgumentException")  # Invalid task action provided


def str_is(pattern: str, value: str) -> bool:
    """Laravel's ``Str::is``: ``*`` matches anything, the rest literally."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), value, re.DOTALL) is not None


def delete_files(server: Any, lines: list[str]) -> None:
    """PL ``DeleteFilesService``: each line's folder is listed, the names matching its last segment deleted."""
    fs = for_server(server, pelican=True)
    doomed = []
    try:
        for line in lines:
            folder, pattern = posixpath.dirname(line) or ".", posixpath.basename(line)
            for item in fs.list_directory(folder):
                if str_is(pattern, item["name"]):
                    doomed.append(posixpath.join(folder, item["name"]))
        for path in doomed:
            fs.delete(path)
    except FsError as exc:
        raise E.unexpected("RequestException") from exc


# --------------------------------------------------------------------------- per panel, control endpoint


def scheduler(panel: Panel) -> Scheduler:
    found = getattr(panel, "scheduler", None)
    if found is None:
        found = panel.scheduler = Scheduler()
    return found


def start(panel: Panel):
    sched = scheduler(panel)
    sched.loop_task = asyncio.get_running_loop().create_task(sched.run_loop(panel))
    return sched.close


register_service(start)


def tick(panel: Panel, body: dict) -> dict:
    """``POST <control_url>/schedules/tick``: move the clock ``advance`` s forward, then run the cron now."""
    advance = body.get("advance", 0)
    if isinstance(advance, bool) or not isinstance(advance, (int, float)) or advance < 0:
        raise ValueError("advance must be a number of seconds >= 0")
    sched = scheduler(panel)
    sched.clock_offset += float(advance)
    started = sched.process_runnable(panel)
    now = sched.now()
    return {"now": iso(now), "started": started}


def settings(panel: Panel) -> dict:
    sched = scheduler(panel)
    return {
        "schedule_interval": sched.interval,
        "schedule_offset_scale": sched.offset_scale,
        "schedule_clock_offset": sched.clock_offset,
    }


def patch_settings(panel: Panel, body: dict) -> None:
    """``schedule_interval`` (s, 0 = the cron only runs on a tick), ``schedule_offset_scale`` (time offsets are
    waited for this many times), ``schedule_clock_offset`` (s the clock is ahead); ValueError for a bad value."""
    sched = scheduler(panel)
    for name, attribute in (
        ("schedule_interval", "interval"),
        ("schedule_offset_scale", "offset_scale"),
        ("schedule_clock_offset", "clock_offset"),
    ):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name} must be a number >= 0")
        setattr(sched, attribute, float(value))
