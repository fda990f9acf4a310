# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_power: the plan (signal, waits, crash check), the refusals, and the task over fakes."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    CLIENT_CODES,
    ConsoleTimeout,
    PterodactylError,
)
from ansible_collections.gameops.pterodactyl.plugins.modules import server_power as sp

PARAMS = {"server": "1a7ce997", "state": "started", "wait": True, "wait_timeout": 60.0}


@pytest.mark.parametrize(
    "target, current, signal",
    [
        ("started", "offline", "start"),
        ("started", "stopping", "start"),
        ("started", "running", None),
        ("started", "starting", None),
        ("stopped", "running", "stop"),
        ("stopped", "starting", "stop"),
        ("stopped", "offline", None),
        ("stopped", "stopping", None),
        ("killed", "running", "kill"),
        ("killed", "stopping", "kill"),
        ("killed", "offline", None),
        ("restarted", "running", "restart"),
        ("restarted", "offline", "restart"),
    ],
)
def test_plan_signal(target, current, signal):
    assert sp.plan_signal(target, current) == signal
    assert sp.plan_power(target, current, True).signal == signal


def test_plan_start_waits_for_boot_then_checks_for_a_crash():
    plan = sp.plan_power("started", "offline", True)
    assert plan == sp.PowerPlan("start", frozenset(), (sp.BOOTING, sp.BOOTED), True)


def test_plan_start_while_stopping_settles_first_even_without_wait():
    assert sp.plan_power("started", "stopping", True).settle == {"offline"}
    plan = sp.plan_power("started", "stopping", False)
    assert plan.settle == {"offline"} and plan.signal == "start" and plan.waits == ()


def test_plan_restart_sees_the_server_go_down_first():
    plan = sp.plan_power("restarted", "running", True)
    assert plan.waits == (sp.GOING_DOWN, sp.BOOTING, sp.BOOTED) and plan.crash_check


def test_plan_already_starting_waits_for_running_or_offline_and_checks_for_a_crash():
    plan = sp.plan_power("started", "starting", True)
    assert plan.signal is None
    assert plan.waits == (frozenset({"running", "offline"}),)
    assert plan.crash_check
    assert sp.crashed(plan, "offline") and not sp.crashed(plan, "running")


@pytest.mark.parametrize("target, current", [("started", "running"), ("stopped", "offline"), ("killed", "offline")])
def test_plan_nothing_to_do(target, current):
    assert sp.plan_power(target, current, True) == sp.PowerPlan(None, frozenset(), (), False)


def test_plan_stopping_waits_for_offline_without_a_signal():
    assert sp.plan_power("stopped", "stopping", True) == sp.PowerPlan(
        None, frozenset(), (frozenset({"offline"}),), False
    )


@pytest.mark.parametrize("target, current", [("stopped", "running"), ("killed", "running")])
def test_plan_stop_and_kill_wait_for_offline_and_offline_is_no_crash(target, current):
    plan = sp.plan_power(target, current, True)
    assert plan.waits == (frozenset({"offline"}),) and not sp.crashed(plan, "offline")


def test_plan_without_wait_never_waits():
    for target in sp.SIGNALS:
        for current in ("offline", "starting", "running"):
            plan = sp.plan_power(target, current, False)
            assert plan.waits == () and not plan.crash_check


def test_refusal_state_is_the_collections_code():
    error = sp.refusal({"name": "frozen", "identifier": "abcd0001", "status": "suspended"}, {}, "start")
    assert error.code == "ServerStateBlocked" and error.code in CLIENT_CODES
    assert str(error).startswith("server 'frozen' (abcd0001) is suspended")
    maintained = sp.refusal({"name": "m", "identifier": "x", "is_node_under_maintenance": True}, {}, "start")
    assert "maintenance" in maintained.message


def test_refusal_permission_is_the_collections_code():
    meta = {"user_permissions": ["websocket.connect", "control.start"]}
    error = sp.refusal({"name": "alpha", "identifier": "x"}, meta, "stop")
    assert error.code == "PermissionMissing" and "control.stop" in str(error)
    assert sp.refusal({"name": "alpha", "identifier": "x"}, meta, "start") is None
    assert sp.refusal({}, {"user_permissions": ["*"]}, "kill") is None


def test_missing_permission_reading_the_state_first():
    assert sp.missing_permission("start", ["control.start"]) == "websocket.connect"
    assert sp.missing_permission("kill", ["websocket.connect", "control.start"]) == "control.stop"


# -- the task over fakes --


def run_task(fakes, current, waits, **params):
    console = fakes.Console(current, waits)
    base = fakes.Base(dict(PARAMS, **params), console=console)
    task = sp.PowerTask(base)
    return task, base, console


def test_task_already_starting_then_offline_fails_at_once_with_server_crashed(fakes):
    task, base, console = run_task(fakes, "starting", [("offline", ["starting", "offline"])])
    with pytest.raises(PterodactylError) as caught:
        task.run()
    assert caught.value.code == "ServerCrashed"
    assert caught.value.result["previous_state"] == "starting"
    assert caught.value.result["states_seen"] == ["starting", "offline"]
    assert caught.value.result["action"] is None and caught.value.result["changed"] is False
    assert console.asked == [(frozenset({"running", "offline"}), 60.0)]
    assert not [call for call in base.client.calls if call[0] == "send_power"]


def test_task_already_starting_then_running(fakes):
    task, _base, _console = run_task(fakes, "starting", [("running", ["starting", "running"])])
    result = task.run()
    assert result["state"] == "running" and result["changed"] is False and result["action"] is None


def test_task_start_sends_once_and_reports_a_crash(fakes):
    task, base, _console = run_task(
        fakes, "offline", [("starting", ["offline", "starting"]), ("offline", ["starting", "offline"])]
    )
    with pytest.raises(PterodactylError) as caught:
        task.run()
    assert caught.value.code == "ServerCrashed" and caught.value.result["action"] == "start"
    assert [call[1] for call in base.client.calls if call[0] == "send_power"] == [("1a7ce997", "start")]


def test_task_check_mode_sends_nothing(fakes):
    console = fakes.Console("offline")
    base = fakes.Base(dict(PARAMS), console=console, check_mode=True)
    result = sp.PowerTask(base).run()
    assert result["changed"] and result["action"] == "start" and result["state"] == "offline"
    assert not [call for call in base.client.calls if call[0] == "send_power"]


def test_task_timeout_keeps_the_states_seen(fakes):
    timeout = ConsoleTimeout("starting", ["offline", "starting"], wanted={"running"}, timeout=2)
    task, _base, _console = run_task(fakes, "offline", [timeout], wait_timeout=2.0)
    with pytest.raises(ConsoleTimeout) as caught:
        task.run()
    assert caught.value.code == "WaitTimeout"
    assert caught.value.result["state"] == "starting"
    assert caught.value.result["states_seen"] == ["offline", "starting"]


def test_task_refuses_before_opening_the_console(fakes):
    client = fakes.Client(server={"identifier": "abcd0001", "name": "frozen", "status": "suspended"})
    base = fakes.Base(dict(PARAMS), client=client, console=fakes.Console("offline"))
    with pytest.raises(PterodactylError) as caught:
        sp.PowerTask(base).run()
    assert caught.value.code == "ServerStateBlocked" and base.opened == []


def test_task_send_failure_carries_the_partial_result(fakes):
    client = fakes.Client(send_power=PterodactylError("boom", status=500, code="HttpException"))
    base = fakes.Base(dict(PARAMS, state="stopped"), client=client, console=fakes.Console("running"))
    with pytest.raises(PterodactylError) as caught:
        sp.PowerTask(base).run()
    assert caught.value.result["action"] == "stop" and caught.value.result["previous_state"] == "running"


# -- stable_for, crashes with console lines, timeouts, diff --


def test_stable_for_a_crash_in_the_window_fails_with_the_last_console_lines(fakes):
    lines = ["Done (2.1s)!", "java.lang.OutOfMemoryError: Java heap space", "Server thread crashed"]
    console = fakes.Console(
        "offline",
        [
            ("starting", ["offline", "starting"]),
            ("running", ["starting", "running"]),
            ("offline", ["running", "offline"]),
        ],
        recent_lines=lines,
    )
    base = fakes.Base(dict(PARAMS, stable_for=10.0), console=console)
    with pytest.raises(PterodactylError) as caught:
        sp.PowerTask(base).run()
    error = caught.value
    assert error.code == "ServerCrashed" and "after it was running" in error.message
    assert "OutOfMemoryError" in error.message and "Server thread crashed" in error.message
    assert error.result["last_console_lines"] == lines
    assert error.result["states_seen"] == ["offline", "starting", "running", "offline"]
    assert console.asked[-1] == (frozenset({"offline", "stopping"}), 10.0)


def test_stable_for_a_server_that_stays_running_passes(fakes):
    quiet = ConsoleTimeout("running", ["running"], wanted={"offline", "stopping"}, timeout=5)
    console = fakes.Console("offline", [("starting", ["offline", "starting"]), ("running", ["running"]), quiet])
    result = sp.PowerTask(fakes.Base(dict(PARAMS, stable_for=5.0), console=console)).run()
    assert result["state"] == "running" and result["stable_for"] == 5.0 and result["changed"]


def test_stable_for_is_not_watched_without_a_wait_for_running(fakes):
    console = fakes.Console("running", [])
    result = sp.PowerTask(fakes.Base(dict(PARAMS, stable_for=5.0), console=console)).run()
    assert result["changed"] is False and console.asked == []


def test_a_crash_while_starting_carries_the_console_lines(fakes):
    console = fakes.Console(
        "offline",
        [("starting", ["offline", "starting"]), ("offline", ["starting", "offline"])],
        recent_lines=["Failed to bind to port 25565"],
    )
    with pytest.raises(PterodactylError) as caught:
        sp.PowerTask(fakes.Base(dict(PARAMS), console=console)).run()
    assert "while starting" in caught.value.message and "Failed to bind to port 25565" in caught.value.message


def test_timeout_names_the_target_state_and_the_option(fakes):
    timeout = ConsoleTimeout("starting", ["offline", "starting"], wanted={"offline", "running"}, timeout=0.5)
    task, _base, _console = run_task(fakes, "offline", [("starting", ["offline", "starting"]), timeout])
    with pytest.raises(ConsoleTimeout) as caught:
        task.run()
    text = str(caught.value)
    assert "waiting for running;" in text and "after 60s" in text and "raise wait_timeout" in text


@pytest.mark.parametrize(
    "current, target, after",
    [("offline", "started", "running"), ("running", "started", "running"), ("running", "killed", "offline")],
)
def test_diff_shows_the_state_before_and_after(fakes, current, target, after):
    console = fakes.Console(current)
    base = fakes.Base(dict(PARAMS, state=target), console=console, check_mode=True, diff_mode=True)
    result = sp.PowerTask(base).run()
    assert result["diff"] == {"before": {"state": current}, "after": {"state": after}}


# -- an uncertain POST is resolved, never sent twice --

UNCERTAIN = PterodactylError("POST /power failed: HTTP 502", status=502, uncertain=True)
QUIET = ConsoleTimeout("offline", ["offline"], wanted={"starting", "running", "stopping"}, timeout=5)


def power_posts(client) -> list:
    return [call[1] for call in client.calls if call[0] == "send_power"]


def power_entry(fakes, offset: float = 0.0) -> dict:
    """A server:power.start activity entry ``offset`` seconds from the fake panel's now."""
    stamp = datetime.datetime.fromtimestamp(fakes.PANEL_NOW + offset, datetime.UTC).isoformat()
    return {"id": "a1", "event": "server:power.start", "timestamp": stamp, "properties": {}}


def test_uncertain_start_seen_on_the_websocket_is_not_sent_again(fakes):
    client = fakes.Client(send_power=UNCERTAIN)
    console = fakes.Console(
        "offline", [("starting", ["offline", "starting"]), ("running", ["running"]), ("running", [])]
    )
    result = sp.PowerTask(fakes.Base(dict(PARAMS), client=client, console=console)).run()
    assert power_posts(client) == [("1a7ce997", "start")]
    (entry,) = result["recovery"]
    assert entry["outcome"] == "ran" and entry["action"] == "not sent again"
    assert "from 'offline' to 'starting'" in entry["evidence"]
    assert result["state"] == "running"


def fails_once(error: PterodactylError):
    """A send_power that raises ``error`` the first time and succeeds after."""
    answers = iter([error])

    def send_power(*_args):
        answer = next(answers, None)
        if answer is not None:
            raise answer

    return send_power


def test_uncertain_start_with_no_trace_is_sent_again_once(fakes):
    client = fakes.Client(send_power=fails_once(UNCERTAIN), list_activity=[])
    console = fakes.Console("offline", [QUIET, ("starting", ["offline", "starting"]), ("running", ["running"])])
    result = sp.PowerTask(fakes.Base(dict(PARAMS), client=client, console=console)).run()
    assert len(power_posts(client)) == 2
    (entry,) = result["recovery"]
    assert entry["outcome"] == "not run" and entry["action"] == "sent again"
    assert "no state change within 5s" in entry["evidence"] and "no server:power.start entry" in entry["evidence"]


def test_uncertain_start_in_the_activity_log_is_not_sent_again(fakes):
    client = fakes.Client(send_power=UNCERTAIN, list_activity=[power_entry(fakes, 1.0)])
    console = fakes.Console("offline", [QUIET, ("starting", ["offline", "starting"]), ("running", ["running"])])
    result = sp.PowerTask(fakes.Base(dict(PARAMS), client=client, console=console)).run()
    assert len(power_posts(client)) == 1 and result["recovery"][0]["outcome"] == "ran"


def test_an_old_activity_entry_is_no_evidence(fakes):
    client = fakes.Client(send_power=fails_once(UNCERTAIN), list_activity=[power_entry(fakes, -30.0)])
    console = fakes.Console("offline", [QUIET, ("starting", ["offline", "starting"]), ("running", ["running"])])
    result = sp.PowerTask(fakes.Base(dict(PARAMS), client=client, console=console)).run()
    assert len(power_posts(client)) == 2 and result["recovery"][0]["outcome"] == "not run"


def test_uncertain_twice_fails_without_a_third_post(fakes):
    forbidden = PterodactylError("forbidden", status=403)
    client = fakes.Client(send_power=UNCERTAIN, list_activity=forbidden)
    console = fakes.Console("offline", [QUIET, QUIET])
    with pytest.raises(PterodactylError) as caught:
        sp.PowerTask(fakes.Base(dict(PARAMS), client=client, console=console)).run()
    assert len(power_posts(client)) == 2
    recovery = caught.value.result["recovery"]
    assert [entry["action"] for entry in recovery] == ["sent again", "not sent again"]
    assert "lacks activity.read" in recovery[0]["evidence"]
