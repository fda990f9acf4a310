# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_schedule and server_schedule_info over a fake panel that renumbers tasks as the panels do:
nothing to do at one request, each kind of change with the fewest requests, check and diff mode,
run-now and its failures, refusals before anything is sent."""

from __future__ import annotations

import random

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _schedules
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_schedule as ss
from ansible_collections.gameops.pterodactyl.plugins.modules import server_schedule_info as ssi

CRON = {"minute": "0", "hour": "4", "day_of_month": "*", "month": "*", "day_of_week": "*"}
PARAMS = {"server": "1a7ce997", "name": "nightly", "state": "present", "cron": None, "enabled": None}
PARAMS.update(only_when_online=None, tasks=None)


def task(payload, action="command", offset=0, cont=False) -> dict:
    return {"action": action, "payload": payload, "time_offset": offset, "continue_on_failure": cont}


class Panel:
    """The schedule routes of the client over a list; tasks renumbered as ScheduleTaskController does."""

    def __init__(self, schedules=()):
        self.schedules, self.next_id, self.calls = [], 100, []
        for name, payloads in schedules:
            self.create_schedule("s", {"name": name, **CRON, "is_active": True, "only_when_online": False})
            for payload in payloads:
                self.create_task("s", self.schedules[-1]["id"], task(payload))
        self.calls = []
        self.execute_error = None

    def _id(self):
        self.next_id += 1
        return self.next_id

    def _schedule(self, ident):
        return next(s for s in self.schedules if s["id"] == ident)

    def list_schedules(self, server):
        self.calls.append(("list",))
        return [
            {**s, "relationships": {"tasks": {"data": [{"attributes": dict(t)} for t in s["tasks"]]}}}
            for s in self.schedules
        ]

    def create_schedule(self, server, fields):
        self.calls.append(("create", dict(fields)))
        cron = {key: fields[key] for key in CRON}
        flags = {"is_active": fields["is_active"], "only_when_online": fields["only_when_online"]}
        new = {"id": self._id(), "name": fields["name"], "cron": cron, **flags, "next_run_at": "soon", "tasks": []}
        self.schedules.append(new)
        return {key: value for key, value in new.items() if key != "tasks"}

    def update_schedule(self, server, ident, fields):
        self.calls.append(("update", ident, dict(fields)))
        schedule = self._schedule(ident)
        schedule.update(name=fields["name"], cron={key: fields[key] for key in CRON}, is_active=fields["is_active"])
        return {key: value for key, value in schedule.items() if key != "tasks"}

    def delete_schedule(self, server, ident):
        self.calls.append(("delete", ident))
        self.schedules.remove(self._schedule(ident))

    def execute_schedule(self, server, ident):
        self.calls.append(("execute", ident))
        if self.execute_error:
            raise self.execute_error

    def create_task(self, server, ident, fields):
        self.calls.append(("task create", fields.get("sequence_id")))
        tasks = self._schedule(ident)["tasks"]
        last = max((t["sequence_id"] for t in tasks), default=0) + 1
        asked = fields.get("sequence_id", last)
        if asked < last:
            for other in tasks:
                other["sequence_id"] += other["sequence_id"] >= asked
            last = asked
        new = {"id": self._id(), "sequence_id": last, **{key: fields[key] for key in _schedules.TASK_KEYS}}
        tasks.append(new)
        return dict(new)

    def update_task(self, server, ident, task_id, fields):
        self.calls.append(("task update", task_id))
        found = next(t for t in self._schedule(ident)["tasks"] if t["id"] == task_id)
        found.update({key: fields[key] for key in _schedules.TASK_KEYS})
        return dict(found)

    def delete_task(self, server, ident, task_id):
        self.calls.append(("task delete", task_id))
        tasks = self._schedule(ident)["tasks"]
        gone = next(t for t in tasks if t["id"] == task_id)
        for other in tasks:
            other["sequence_id"] -= other["sequence_id"] > gone["sequence_id"]
        tasks.remove(gone)

    def panel_time(self):
        return 0.0

    def payloads(self, name="nightly"):
        schedule = next(s for s in self.schedules if s["name"] == name)
        return [t["payload"] for t in sorted(schedule["tasks"], key=lambda t: t["sequence_id"])]

    def ops(self):
        return [call[0] for call in self.calls if call[0] != "list"]


def run(fakes, panel, check_mode=False, diff_mode=False, **params):
    base = fakes.Base(dict(PARAMS, **params), client=panel, check_mode=check_mode, diff_mode=diff_mode)
    return ss.ScheduleTask(base, sleep=lambda seconds: None).run()


def test_everything_as_described_is_one_request(fakes):
    panel = Panel([("nightly", ["say a", "say b"])])
    result = run(fakes, panel, cron={"minute": 0, "hour": 4}, enabled=True, tasks=[task("say a"), task(" say b ")])
    assert not result["changed"] and panel.calls == [("list",)] and result["changes"] == []
    assert [t["payload"] for t in result["schedule"]["tasks"]] == ["say a", "say b"]


def test_a_new_schedule_sends_every_field_then_its_tasks_in_order(fakes):
    panel = Panel()
    result = run(fakes, panel, cron={"minute": "*/5"}, tasks=[task("say a"), task("restart", "power", 10)])
    body = panel.calls[1][1]
    assert body == {
        "name": "nightly",
        **CRON,
        "minute": "*/5",
        "hour": "*",
        "is_active": True,
        "only_when_online": False,
    }
    assert panel.calls[2:] == [("task create", 1), ("task create", 2)]
    assert result["changed"] and [t["sequence_id"] for t in result["schedule"]["tasks"]] == [1, 2]
    assert result["schedule"]["next_run_at"] == "soon" and panel.payloads() == ["say a", "restart"]


def test_a_field_change_replaces_every_field_and_leaves_the_tasks(fakes):
    panel = Panel([("nightly", ["say a"])])
    result = run(fakes, panel, enabled=False)
    assert panel.ops() == ["update"] and panel.calls[1][2] == {
        "name": "nightly",
        **CRON,
        "is_active": False,
        "only_when_online": False,
    }
    assert result["changes"] == [{"what": "schedule", "op": "update", "id": 101, "position": None}]


@pytest.mark.parametrize(
    "have, want, ops",
    [
        (["a", "b", "c"], ["a", "x", "c"], ["task update"]),  # in place
        (["a", "b"], ["a", "b", "c"], ["task create"]),  # added at the end
        (["b", "c"], ["a", "b", "c"], ["task create"]),  # added first: the others move down
        (["a", "b", "c"], ["a", "c"], ["task delete"]),  # removed
        (["a", "b", "c"], ["c", "a", "b"], ["task delete", "task create"]),  # moved: 2 requests, not 3
        (["a", "b"], ["b", "a"], ["task update", "task update"]),  # swapped: in place
        (["a", "b", "c"], [], ["task delete"] * 3),
    ],
)
def test_tasks_are_made_equal_with_the_fewest_requests(fakes, have, want, ops):
    panel = Panel([("nightly", have)])
    result = run(fakes, panel, tasks=[task(p) for p in want])
    assert panel.ops() == ops and panel.payloads() == want
    assert [t["payload"] for t in result["schedule"]["tasks"]] == want
    assert [t["sequence_id"] for t in result["schedule"]["tasks"]] == list(range(1, len(want) + 1))


def test_an_empty_payload_is_null_and_a_backup_needs_none(fakes):
    panel = Panel([("nightly", [""])])
    panel.schedules[0]["tasks"][0].update(action="backup", payload=None)
    assert not run(fakes, panel, tasks=[{"action": "backup", "payload": ""}])["changed"]
    assert not run(fakes, panel, tasks=[{"action": "backup"}])["changed"]


def test_the_task_plan_follows_the_panels_renumbering_with_gaps():
    rng = random.Random(7)
    for _round in range(300):
        panel = Panel([("nightly", [rng.choice("abcd") for _item in range(rng.randint(0, 7))])])
        sequence = 0
        for item in panel.schedules[0]["tasks"]:  # gaps, as updates with a far sequence_id leave them
            sequence += rng.choice((1, 2, 3))
            item["sequence_id"] = sequence
        want = [task(rng.choice("abcde")) for _want in range(rng.randint(0, 7))]
        before = list(panel.payloads())
        plan = _schedules.plan_tasks(_schedules.tasks_of(panel.list_schedules("s")[0]), want)
        for step in plan.steps:
            method = {"delete": panel.delete_task, "update": panel.update_task, "create": panel.create_task}[step.op]
            method("s", 101, *((step.task_id,) if step.op != "create" else ()), *((step.body,) if step.body else ()))
        assert panel.payloads() == [t["payload"] for t in want], (before, want)
        changed = sum(a != b["payload"] for a, b in zip(before, want, strict=False)) + abs(len(before) - len(want))
        assert len(plan.steps) <= changed
        ordered = sorted(panel.schedules[0]["tasks"], key=lambda t: t["sequence_id"])
        assert [seq for _id, seq in plan.final] == [t["sequence_id"] for t in ordered]


def test_check_mode_predicts_and_sends_nothing_with_a_diff(fakes):
    panel = Panel([("nightly", ["say a", "say b"])])
    result = run(
        fakes,
        panel,
        check_mode=True,
        diff_mode=True,
        cron={"hour": 5},
        tasks=[task("say a"), task("say c"), task("say d")],
    )
    assert panel.ops() == [] and result["changed"]
    assert [c["op"] for c in result["changes"]] == ["update", "update", "create"]
    assert result["diff"]["before"]["cron"]["hour"] == "4" and result["diff"]["after"]["cron"]["hour"] == "5"
    assert [t["payload"] for t in result["diff"]["after"]["tasks"]] == ["say a", "say c", "say d"]
    assert [t["id"] for t in result["schedule"]["tasks"]] == [102, 103, None]


def test_absent_deletes_and_then_has_nothing_to_do(fakes):
    panel = Panel([("nightly", ["say a"])])
    result = run(fakes, panel, state="absent", diff_mode=True)
    assert result["changed"] and panel.ops() == ["delete"] and result["diff"]["after"] == {}
    again = run(fakes, panel, state="absent")
    assert not again["changed"] and again["schedule"] is None


def test_executed_runs_it_after_making_it_as_described_not_in_check_mode(fakes):
    panel = Panel([("nightly", ["say a"])])
    assert run(fakes, panel, state="executed", check_mode=True)["changed"] and panel.ops() == []
    result = run(fakes, panel, state="executed", tasks=[task("say b")])
    assert panel.ops() == ["task update", "execute"] and result["changes"][-1]["op"] == "execute"


def test_a_first_task_that_fails_is_the_run_nows_answer(fakes):
    panel = Panel([("nightly", ["say a"])])
    errors = [{"code": "DaemonConnectionException", "status": "502", "detail": "communicating"}]
    panel.execute_error = PterodactylError(
        "POST … failed", status=502, code="DaemonConnectionException", errors=errors, uncertain=True
    )
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, state="executed")
    assert "was started, but its first task (command 'say a') failed" in str(caught.value)
    assert "start it first" in caught.value.hint and not caught.value.uncertain and panel.ops() == ["execute"]


def test_a_refused_task_fails_with_the_schedule_as_far_as_it_got(fakes):
    panel = Panel()
    refusal = PterodactylError("backup limit 0", status=403, code="HttpForbiddenException")

    def refuse(server, ident, fields):
        raise refusal

    panel.create_task = refuse
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, cron={"minute": 30}, tasks=[task("*.log", "backup")])
    partial = caught.value.result
    assert [(c["what"], c["op"]) for c in partial["changes"]] == [("schedule", "create")]
    assert partial["schedule"]["id"] == panel.schedules[0]["id"] and partial["schedule"]["tasks"] == []


@pytest.mark.parametrize("ran, ops", [(True, ["execute"]), (False, ["execute", "execute"])])
def test_a_lost_answer_is_found_out_from_the_activity_log(fakes, ran, ops):
    panel = Panel([("nightly", ["say a"])])
    panel.execute_error = PterodactylError("POST … failed: HTTP 502", status=502, uncertain=True)
    entries = [
        {
            "event": "server:schedule.execute",
            "timestamp": "2099-01-01T00:00:00+00:00",
            "properties": {"name": "nightly"},
        }
    ]
    panel.list_activity = lambda server, **kwargs: entries if ran else []
    panel.panel_time = lambda: 0.0
    answers = [panel.execute_error, None]

    def execute(server, ident):
        panel.calls.append(("execute", ident))
        error = answers.pop(0)
        if error:
            raise error

    panel.execute_schedule = execute
    result = run(fakes, panel, state="executed")
    assert panel.ops() == ops and result["recovery"][0]["outcome"] == ("ran" if ran else "not run")


@pytest.mark.parametrize(
    "params, words",
    [
        ({"cron": {"minute": "61"}}, "cron.minute '61' is not a valid cron field"),
        ({"tasks": [task("say")] * 11}, "at most 10 tasks"),
        ({"tasks": [task("say", offset=901)]}, "tasks[0].time_offset must be a whole number from 0 to 900, not 901"),
        ({"tasks": [task("", "command")]}, "tasks[0].payload is required for a command task"),
        ({"tasks": [task("reboot", "power")]}, "must be start, stop, restart or kill, not 'reboot'"),
        ({"name": " "}, "name must have 1 to 191 characters"),
    ],
)
def test_refusals_before_any_request(fakes, params, words):
    panel = Panel([("nightly", ["say a"])])
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, **params)
    assert caught.value.code == "InvalidOption" and words in str(caught.value) and panel.calls == []


@pytest.mark.parametrize(
    "schedules, params, code, words",
    [
        (
            [("nightly", []), ("nightly", [])],
            {},
            "ScheduleNameAmbiguous",
            "2 schedules of the server are named 'nightly' (ids 101, 102)",
        ),
        ([], {"tasks": [task("say")]}, "InvalidOption", "give its cron to create it"),
        ([("nightly", [])], {"state": "executed"}, "InvalidOption", "has no tasks"),
    ],
)
def test_refusals_after_reading_the_schedules(fakes, schedules, params, code, words):
    panel = Panel(schedules)
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, **params)
    assert caught.value.code == code and words in str(caught.value) and panel.ops() == []


def test_info_lists_them_by_id_with_their_tasks_in_order():
    panel = Panel([("b", ["say 1", "say 2"]), ("a", [])])
    panel.schedules[0]["tasks"].reverse()
    report = ssi.schedule_report(panel.list_schedules("s"), None)
    assert [s["name"] for s in report["schedules"]] == ["b", "a"]
    assert [t["payload"] for t in report["schedules"][0]["tasks"]] == ["say 1", "say 2"]
    assert [s["name"] for s in ssi.schedule_report(panel.list_schedules("s"), "a")["schedules"]] == ["a"]
