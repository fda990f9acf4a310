"""Schedules that run (reference panel-client-api-config.md §6 "Execution"): the cron through the control
endpoint's tick, execute-now, only_when_online, continue_on_failure, time offsets, power, backup and
delete_files tasks. The Pterodactyl sandbox runs real game-server processes."""

from __future__ import annotations

import re
import time

from families_expect import GENERIC_500, Server, errors, families_sandbox
from sandbox_expect import wait_for

STOPPED = re.compile(
    r"^There was an error while communicating with the machine running this server\. This error has been logged, "
    r"please try again\. \(code: 502\) \(request_id: [0-9a-f-]{36}\)$"
)
BAD_POWER = re.compile(
    r'^An error occurred on the remote host: The power action provided was not valid, should be one of "stop", '
    r'"start", "restart", "kill"\. \(request id: [0-9a-f-]{36}\)$'
)

pt_sandbox = families_sandbox("runner-pt", virtual=False)
pl_sandbox = families_sandbox("runner-pl", "pelican")


def said(client: Server, text: str) -> bool:
    return any(line.endswith(f"[Server] {text}") for line in client.console())


def running(client: Server) -> None:
    client.patch(state="running")


def test_the_cron_runs_a_due_schedule_and_its_command_reaches_the_console(pt_sandbox):
    main = Server(pt_sandbox, "main")
    running(main)
    sid = main.schedule("every minute")["id"]
    main.task(sid, payload="say cron ran")
    idle = main.schedule("inactive", is_active=False)["id"]
    main.task(idle, payload="say never by cron")
    assert sid not in main.tick(0)["started"]  # next_run_at is at the next minute
    started = main.tick(61)["started"]
    assert sid in started and idle not in started
    ran = main.settle(sid)
    wait_for(lambda: said(main, "cron ran"))
    assert ran["last_run_at"] is not None and ran["next_run_at"] > ran["last_run_at"]
    tasks = ran["relationships"]["tasks"]["data"]
    assert [t["attributes"]["is_queued"] for t in tasks] == [False]
    assert not said(main, "never by cron")
    # the panel writes no activity for a run: only the routes' own events are there
    events = [entry["event"] for entry in main.activity()]
    assert "server:console.command" not in events and "server:schedule.execute" not in events
    assert sid not in main.tick(0)["started"]  # advanced to the next minute
    for schedule in (sid, idle):
        main.ok("DELETE", f"/schedules/{schedule}", status=204)


def test_execute_now_runs_the_first_task_at_once_and_answers_its_failure(pt_sandbox):
    spare = Server(pt_sandbox, "spare")
    sid = spare.schedule("manual", is_active=False)["id"]
    spare.task(sid, payload="say to nobody", offset=600)
    refused = spare("POST", f"/schedules/{sid}/execute")
    assert refused.status_code == 502 and STOPPED.match(refused.json()["errors"][0]["detail"])
    assert refused.json()["errors"][0]["code"] == "DaemonConnectionException"
    after = spare.ok("GET", f"/schedules/{sid}")["attributes"]
    assert after["is_processing"] is False and after["last_run_at"] is not None
    assert "server:schedule.execute" not in [entry["event"] for entry in spare.activity()]
    running(spare)
    started = time.monotonic()
    assert spare.ok("POST", f"/schedules/{sid}/execute", status=202) == []
    wait_for(lambda: said(spare, "to nobody"), timeout=5)
    assert time.monotonic() - started < 5  # its 600 s offset was ignored
    assert {"name": "manual"} in spare.events("server:schedule.execute")
    power = spare.task(sid, action="power", payload="explode", sequence_id=1)
    bad = spare("POST", f"/schedules/{sid}/execute")
    assert bad.status_code == 422 and BAD_POWER.match(bad.json()["errors"][0]["detail"])
    spare.ok("DELETE", f"/schedules/{sid}/tasks/{power['id']}", status=204)
    spare.patch(state="offline")
    spare.ok("DELETE", f"/schedules/{sid}", status=204)


def test_time_offsets_and_the_sequence(pt_sandbox):
    extra = Server(pt_sandbox, "extra")
    running(extra)
    sid = extra.schedule("offsets")["id"]
    extra.task(sid, payload="say second", offset=1)
    extra.task(sid, payload="say first", offset=1, sequence_id=1)
    extra.tick(61)
    wait_for(lambda: said(extra, "first"), timeout=10)
    first_seen = time.monotonic()
    assert not said(extra, "second")
    wait_for(lambda: said(extra, "second"), timeout=10)
    assert time.monotonic() - first_seen >= 0.7
    lines = [line for line in extra.console() if "[Server] first" in line or "[Server] second" in line]
    assert ["first" in lines[0], "second" in lines[1]] == [True, True]
    extra.settle(sid)
    extra.patch(state="offline")
    extra.ok("DELETE", f"/schedules/{sid}", status=204)


def test_a_run_is_processing_until_its_last_task_and_the_cron_leaves_it_alone(pt_sandbox):
    extra = Server(pt_sandbox, "extra")
    running(extra)
    sid = extra.schedule("long run")["id"]
    extra.task(sid, payload="say begun")
    extra.task(sid, payload="say ended", offset=3)
    before = extra.ok("GET", f"/schedules/{sid}")["attributes"]
    assert before["is_processing"] is False and before["last_run_at"] is None
    assert sid in extra.tick(61)["started"]
    wait_for(lambda: said(extra, "begun"), timeout=10)
    attrs = extra.ok("GET", f"/schedules/{sid}")["attributes"]
    assert attrs["is_processing"] is True and attrs["last_run_at"] is None
    assert attrs["next_run_at"] > before["next_run_at"]  # set when the run started
    assert [t["attributes"]["is_queued"] for t in attrs["relationships"]["tasks"]["data"]] == [False, True]
    assert sid not in extra.tick(61)["started"]  # due again, but a processing schedule is not started
    assert not said(extra, "ended")
    ended = extra.settle(sid)
    assert said(extra, "ended") and ended["last_run_at"] is not None
    assert [t["attributes"]["is_queued"] for t in ended["relationships"]["tasks"]["data"]] == [False, False]
    extra.patch(state="offline")
    extra.ok("DELETE", f"/schedules/{sid}", status=204)


def test_only_when_online_ends_the_run_silently(pt_sandbox):
    bare = Server(pt_sandbox, "bare")
    sid = bare.schedule("online only", only_when_online=True)["id"]
    bare.task(sid, action="power", payload="start")
    assert bare.ok("POST", f"/schedules/{sid}/execute", status=202) == []
    ended = bare.ok("GET", f"/schedules/{sid}")["attributes"]
    assert ended["is_processing"] is False and ended["last_run_at"] is not None
    assert bare.state()["state"] == "offline"
    # without the option the power task starts the server
    body = {"name": "starter", "minute": "*", "hour": "*", "day_of_month": "*", "month": "*", "day_of_week": "*"}
    bare.ok("POST", f"/schedules/{sid}", json={**body, "is_active": True})
    bare.tick(61)
    wait_for(lambda: bare.state()["state"] == "running", timeout=15)
    bare.patch(state="offline")
    bare.ok("DELETE", f"/schedules/{sid}", status=204)


def test_continue_on_failure(pt_sandbox):
    spare, extra = Server(pt_sandbox, "spare"), Server(pt_sandbox, "extra")
    outcomes = {}
    for client, keep_going in ((spare, True), (extra, False)):
        sid = client.schedule("chain")["id"]
        client.task(sid, payload="offline", continue_on_failure=keep_going)
        client.task(sid, action="backup", payload="*.log\n", offset=0)
        before = len(client.ok("GET", "/backups")["data"])
        client.tick(61)
        ended = client.settle(sid)
        assert all(not t["attributes"]["is_queued"] for t in ended["relationships"]["tasks"]["data"])
        made = client.ok("GET", "/backups")["data"]
        outcomes[keep_going] = len(made) - before
        if made[len(made) - 1 :] and keep_going:
            assert made[-1]["attributes"]["ignored_files"] == ["*.log"]
        client.ok("DELETE", f"/schedules/{sid}", status=204)
    assert outcomes == {True: 1, False: 0}


def test_pelican_runs_commands_without_a_node_error_and_deletes_files(pl_sandbox):
    main = Server(pl_sandbox, "main")
    sid = main.schedule("cleanup", is_active=False)["id"]
    main.task(sid, payload="to a stopped server")
    assert main.ok("POST", f"/schedules/{sid}/execute", status=202) == []  # PL sends without throw()
    for name in ("logs/a.log", "logs/b.log", "logs/keep.txt", "top.log"):
        main.put(name, "x")
    main.task(sid, action="delete_files", payload="logs/*.log\ntop.log", sequence_id=1)
    assert main.ok("POST", f"/schedules/{sid}/execute", status=202) == []
    assert sorted(p.name for p in main.root.rglob("*") if p.is_file()) == ["keep.txt"]
    power = main.task(sid, action="power", payload="explode", sequence_id=1)
    assert errors(main("POST", f"/schedules/{sid}/execute")) == [("RequestException", "500", GENERIC_500)]
    main.ok("DELETE", f"/schedules/{sid}/tasks/{power['id']}", status=204)
    main.ok("DELETE", f"/schedules/{sid}", status=204)
