# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_command: the plan (commands, how long to listen), the failures it reports, the task over fakes."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import check_numbers
from ansible_collections.gameops.pterodactyl.plugins.modules import server_command as sc

PARAMS = {
    "server": "1a7ce997",
    "command": None,
    "commands": None,
    "wait_for": None,
    "output_timeout": None,
    "max_lines": 1000,
    "fail_on_timeout": True,
    "ignore_offline": False,
}
OFFLINE = PterodactylError("Server must be online in order to send commands.", status=502, code="HttpException")


def params(**values):
    return dict(PARAMS, **values)


def test_plan_commands_and_listening_time():
    assert sc.plan_commands(params(command=" list ")).commands == ["list"]
    assert sc.plan_commands(params(commands=["a", "b"])).commands == ["a", "b"]
    assert sc.plan_commands(params(command="x")).collect == 0.0
    assert sc.plan_commands(params(command="x", wait_for="Done")).collect == 10.0
    with pytest.raises(PterodactylError, match="^output_timeout must be a finite number of 0 or more, not -3$"):
        check_numbers(params(command="x", output_timeout=-3), sc.NUMBERS)
    with pytest.raises(PterodactylError, match="^max_lines must be a whole number greater than 0, not 0$"):
        check_numbers(params(command="x", max_lines=0), sc.NUMBERS)
    assert sc.plan_commands(params(command="x", output_timeout=2.5, wait_for="y")).collect == 2.5


def test_commands_problem():
    assert sc.commands_problem(["a"]) is None
    assert sc.commands_problem([]) and sc.commands_problem(["a", ""])


def test_no_match_error_only_with_wait_for_and_fail_on_timeout():
    entry = {"command": "list", "output": ["x"], "matched": False, "timed_out": True}
    error = sc.no_match_error(sc.plan_commands(params(command="list", wait_for="online")), entry)
    assert error.code == "WaitTimeout" and "'online'" in error.message and error.detail == "1 line(s) seen"
    assert sc.no_match_error(sc.plan_commands(params(command="list", output_timeout=3)), entry) is None
    no_fail = params(command="list", wait_for="online", fail_on_timeout=False)
    assert sc.no_match_error(sc.plan_commands(no_fail), entry) is None
    assert sc.no_match_error(sc.plan_commands(params(command="l", wait_for="o")), dict(entry, timed_out=False)) is None


def test_offline_and_partial_failures():
    assert sc.skipped_offline(OFFLINE, [], True)
    assert not sc.skipped_offline(OFFLINE, ["a"], True) and not sc.skipped_offline(OFFLINE, [], False)
    assert sc.partial_error(OFFLINE, [], 2) is OFFLINE
    wrapped = sc.partial_error(OFFLINE, ["a"], 2)
    assert wrapped.message.startswith("1 of 2 command(s) were sent before this failure (a): ")
    assert wrapped.status == 502 and wrapped.code == "HttpException"


def test_all_matched():
    assert not sc.all_matched([])
    assert sc.all_matched([{"matched": True}]) and not sc.all_matched([{"matched": True}, {"matched": False}])


def test_task_without_output_opens_no_console(fakes):
    base = fakes.Base(params(commands=["a", "b"]))
    result = sc.CommandTask(base).run()
    assert result["sent"] == ["a", "b"] and result["changed"] and base.opened == []


def test_task_offline_ignored(fakes):
    base = fakes.Base(params(command="say hi", ignore_offline=True), client=fakes.Client(send_command=OFFLINE))
    result = sc.CommandTask(base).run()
    assert result["offline"] is True and result["sent"] == [] and "offline" in result["msg"]


def test_task_check_mode_sends_nothing(fakes):
    base = fakes.Base(params(command="say hi"), check_mode=True)
    result = sc.CommandTask(base).run()
    assert result["sent"] == ["say hi"] and not [c for c in base.client.calls if c[0] == "send_command"]


def test_task_timeout_after_a_sent_command_reports_it(fakes):
    def run_command(send, wait_for, max_lines, timeout):
        send()
        return {"output": ["x"], "matched": False, "timed_out": True}

    base = fakes.Base(
        params(command="list", wait_for="online", output_timeout=1),
        console=fakes.Console("running", run_command=run_command),
    )
    with pytest.raises(PterodactylError) as caught:
        sc.CommandTask(base).run()
    assert caught.value.code == "WaitTimeout" and caught.value.message.startswith("1 of 1 command(s) were sent")
    assert caught.value.result["sent"] == ["list"] and caught.value.result["output"] == ["x"]


def test_task_empty_command_fails_before_anything(fakes):
    base = fakes.Base(params(commands=["a", " "]))
    with pytest.raises(fakes.Failed):
        sc.CommandTask(base).run()
    assert base.client.calls == []


def test_task_wait_for_after_an_open_gap_warns_and_says_lines_may_be_missing(fakes):
    gaps = {"reconnects": 1, "gap_closed": False, "missed_lines": None, "console_gaps": [{"closed": False}]}

    def run_command(send, wait_for, max_lines, timeout):
        send()
        return {"output": [], "matched": False, "timed_out": True}

    console = fakes.Console("running", run_command=run_command, continuity=gaps, continuity_warning="lines missing")
    base = fakes.Base(params(command="list", wait_for="online", output_timeout=1), console=console)
    with pytest.raises(PterodactylError) as caught:
        sc.CommandTask(base).run()
    assert "some console lines may be missing" in caught.value.hint
    assert caught.value.result["gap_closed"] is False and caught.value.result["missed_lines"] is None
    assert base.warnings == ["lines missing"]


def test_task_collecting_output_returns_the_gaps(fakes):
    def run_command(send, wait_for, max_lines, timeout):
        send()
        return {"output": ["There are 0 players online"], "matched": True, "timed_out": False}

    base = fakes.Base(
        params(command="list", wait_for="online"), console=fakes.Console("running", run_command=run_command)
    )
    result = sc.CommandTask(base).run()
    assert result["matched"] and result["gap_closed"] and result["missed_lines"] == 0 and base.warnings == []


# -- an uncertain POST is resolved from the activity log, never sent twice --

UNCERTAIN = PterodactylError("POST /command failed: ReadTimeout", code="ReadTimeout", uncertain=True)


def command_entry(fakes, command: str, offset: float = 0.5, entry_id: str = "c1") -> dict:
    """A server:console.command activity entry ``offset`` seconds from the fake panel's now."""
    stamp = datetime.datetime.fromtimestamp(fakes.PANEL_NOW + offset, datetime.UTC).isoformat()
    return {"id": entry_id, "event": "server:console.command", "timestamp": stamp, "properties": {"command": command}}


def sent_commands(client) -> list:
    return [call[1][1] for call in client.calls if call[0] == "send_command"]


def command_task(fakes, client, **values):
    task = sc.CommandTask(fakes.Base(params(**values), client=client))
    task.sleep = lambda _seconds: None
    return task


def fails_once(error):
    answers = iter([error])

    def send_command(*_args):
        answer = next(answers, None)
        if answer is not None:
            raise answer

    return send_command


def test_uncertain_command_in_the_activity_log_is_not_sent_again(fakes):
    client = fakes.Client(send_command=UNCERTAIN, list_activity=[command_entry(fakes, "say hi")])
    result = command_task(fakes, client, command="say hi").run()
    assert sent_commands(client) == ["say hi"] and result["sent"] == ["say hi"] and result["changed"]
    (entry,) = result["recovery"]
    assert entry["outcome"] == "ran" and entry["action"] == "not sent again" and "activity log has" in entry["evidence"]


def test_uncertain_command_not_in_the_activity_log_is_sent_again_once(fakes):
    other = command_entry(fakes, "say something else")
    client = fakes.Client(send_command=fails_once(UNCERTAIN), list_activity=[other])
    result = command_task(fakes, client, command="say hi").run()
    assert sent_commands(client) == ["say hi", "say hi"] and result["sent"] == ["say hi"]
    assert result["recovery"][0]["outcome"] == "not run" and result["recovery"][0]["action"] == "sent again"
    # the log was read twice before deciding: the panel writes the entry only once Wings answered
    assert [call[0] for call in client.calls].count("list_activity") == 2


def test_uncertain_command_without_activity_read_fails_without_resending(fakes):
    client = fakes.Client(send_command=UNCERTAIN, list_activity=PterodactylError("forbidden", status=403))
    with pytest.raises(PterodactylError) as caught:
        command_task(fakes, client, command="say hi").run()
    error = caught.value
    assert sent_commands(client) == ["say hi"] and error.uncertain
    assert "may or may not have run" in error.message and "activity.read" in str(error)
    assert error.result["sent"] == [] and error.result["recovery"][0]["outcome"] == "unknown"


def test_the_same_command_twice_does_not_take_the_first_ones_entry_as_evidence(fakes):
    answers = iter([None, UNCERTAIN])

    def send_command(*_args):
        answer = next(answers, None)
        if answer is not None:
            raise answer

    client = fakes.Client(send_command=send_command, list_activity=[command_entry(fakes, "save-all")])
    result = command_task(fakes, client, commands=["save-all", "save-all"]).run()
    assert sent_commands(client) == ["save-all"] * 3 and result["sent"] == ["save-all", "save-all"]
    assert result["recovery"][0]["outcome"] == "not run"


def test_diff_lists_the_commands(fakes):
    base = fakes.Base(params(commands=["say a", "save-all"]), check_mode=True, diff_mode=True)
    result = sc.CommandTask(base).run()
    assert result["diff"]["after"] == "say a\nsave-all\n" and result["diff"]["before"] == ""
