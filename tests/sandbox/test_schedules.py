"""The schedules family's routes, both flavors (reference panel-client-api-config.md §6): shapes, rules, texts,
permissions, bindings, task sequences and limits, activity."""

from __future__ import annotations

from families_expect import (
    CRON_SPEC,
    GENERIC_500,
    NOT_FOR_SERVER,
    NOT_FOUND_UNKNOWN,
    UNAUTHORIZED,
    Server,
    errors,
    flavored,
    settings,
)
from startup_expect import details

BAD_CRON = "The cron data provided does not evaluate to a valid expression."
TASK_LIMIT = (
    "Schedules may not have more than 10 tasks associated with them. Creating this task would put this schedule "
    "over the limit."
)
BACKUP_ZERO = "A backup task cannot be created when the server's backup limit is set to 0."
NO_PERMISSION = "You do not have permission to perform this action."
NO_TASKS = "Cannot process schedule for task execution: no tasks are registered."
SCHEDULE_KEYS = ["id", "name", "cron", "is_active", "is_processing", "only_when_online", "last_run_at"]
SCHEDULE_KEYS += ["next_run_at", "created_at", "updated_at", "relationships"]
TASK_KEYS = ["id", "sequence_id", "action", "payload", "time_offset", "is_queued", "continue_on_failure"]
TASK_KEYS += ["created_at", "updated_at"]

pt_sandbox, pl_sandbox, sb = flavored("schedules")


def test_create_view_list_and_the_shapes(sb):
    main = Server(sb, "extra")
    created = main.schedule("shapes", minute="*/5", is_active=False)
    assert list(created) == SCHEDULE_KEYS
    assert created["cron"] == {**CRON_SPEC, "minute": "*/5"}
    assert list(created["cron"]) == ["day_of_week", "day_of_month", "month", "hour", "minute"]
    assert created["is_active"] is False and created["only_when_online"] is False
    assert created["next_run_at"].endswith(":00+00:00") and created["last_run_at"] is None
    assert created["relationships"]["tasks"] == {"object": "list", "data": []}
    task = main.task(created["id"])
    assert list(task) == TASK_KEYS and task["sequence_id"] == 1 and task["is_queued"] is False
    view = main.ok("GET", f"/schedules/{created['id']}")
    assert view["object"] == "server_schedule"
    assert [t["attributes"]["id"] for t in view["attributes"]["relationships"]["tasks"]["data"]] == [task["id"]]
    listed = main.ok("GET", "/schedules")
    assert listed["object"] == "list" and created["id"] in [s["attributes"]["id"] for s in listed["data"]]
    assert {"name": "shapes"} in main.events("server:schedule.create")
    assert main.ok("DELETE", f"/schedules/{created['id']}", status=204) == {}
    assert main("GET", f"/schedules/{created['id']}").status_code == 404


def test_rules_and_the_cron_texts(sb):
    main = Server(sb, "main")
    empty = main("POST", "/schedules", json={})
    fields = ["name", "minute", "hour", "day_of_month", "day_of_week"]
    if sb["flavor"] == "pelican":
        fields = ["name", "minute", "hour", "day_of_month", "month", "day_of_week"]
    assert empty.status_code == 422 and [item["meta"]["source_field"] for item in empty.json()["errors"]] == fields
    bad = main("POST", "/schedules", json={"name": "x", **CRON_SPEC, "minute": "61"})
    assert errors(bad) == [("DisplayException", "400", BAD_CRON)]
    six = main("POST", "/schedules", json={"name": "x", **CRON_SPEC, "hour": "1 2"})
    assert errors(six) == [("DisplayException", "400", BAD_CRON)]
    no_month = {k: v for k, v in CRON_SPEC.items() if k != "month"}
    missing = main("POST", "/schedules", json={"name": "x", **no_month})
    if sb["flavor"] == "pelican":
        assert details(missing) == [("required", "The month field is required.")]
    else:
        assert errors(missing) == [("TypeError", "500", GENERIC_500)]
    longest = 255 if sb["flavor"] == "pelican" else 191
    too_long = main("POST", "/schedules", json={"name": "n" * (longest + 1), **CRON_SPEC})
    assert details(too_long) == [("max", f"The name may not be greater than {longest} characters.")]
    odd = main("POST", "/schedules", json={"name": "x", **CRON_SPEC, "only_when_online": "maybe"})
    if sb["flavor"] == "pelican":
        assert details(odd) == [("boolean", "The only when online field must be true or false.")]
    else:
        assert odd.status_code == 200  # not validated: (bool) "maybe" is true
        assert odd.json()["attributes"]["only_when_online"] is True
        main.ok("DELETE", f"/schedules/{odd.json()['attributes']['id']}", status=204)


def test_update_replaces_and_unsticks(sb):
    main = Server(sb, "spare")
    created = main.schedule("before")
    body = {"name": "after", **CRON_SPEC, "hour": "3", "is_active": False, "only_when_online": True}
    updated = main.ok("POST", f"/schedules/{created['id']}", json=body)["attributes"]
    assert updated["name"] == "after" and updated["cron"]["hour"] == "3" and updated["is_active"] is False
    assert updated["only_when_online"] is True and updated["next_run_at"] != created["next_run_at"]
    # PT logs the name read before the update; PL shows values as strings (false is "")
    expected = {"name": "after", "active": ""} if sb["flavor"] == "pelican" else {"name": "before", "active": False}
    assert expected in main.events("server:schedule.update")
    main.ok("DELETE", f"/schedules/{created['id']}", status=204)


def test_permissions_per_route(sb):
    main = Server(sb, "main")
    created = main.schedule("guarded")
    sid = created["id"]
    task = main.task(sid)
    assert main("GET", "/schedules", "reader").status_code == 200
    assert main("GET", f"/schedules/{sid}", "reader").status_code == 200
    for method, op in [
        ("POST", "/schedules"),
        ("POST", f"/schedules/{sid}"),
        ("POST", f"/schedules/{sid}/execute"),
        ("DELETE", f"/schedules/{sid}"),
        ("POST", f"/schedules/{sid}/tasks"),
        ("POST", f"/schedules/{sid}/tasks/{task['id']}"),
    ]:
        assert errors(main(method, op, "reader", json={})) == [("AccessDeniedHttpException", "403", UNAUTHORIZED)]
    assert main("GET", "/schedules", "probe").status_code == 403
    denied = main("DELETE", f"/schedules/{sid}/tasks/{task['id']}", "reader")
    assert errors(denied) == [("HttpForbiddenException", "403", NO_PERMISSION)]
    # the manager has schedule.update but not schedule.delete: PT checks update, PL delete
    by_manager = main("DELETE", f"/schedules/{sid}/tasks/{task['id']}", "manager")
    if sb["flavor"] == "pelican":
        assert errors(by_manager) == [("HttpForbiddenException", "403", NO_PERMISSION)]
    else:
        assert by_manager.status_code == 204
    assert main("DELETE", f"/schedules/{sid}", "manager").status_code == 403
    main.ok("DELETE", f"/schedules/{sid}", status=204)


def test_bindings(sb):
    main, spare = Server(sb, "main"), Server(sb, "spare")
    theirs = spare.schedule("theirs")
    their_task = spare.task(theirs["id"])
    mine = main.schedule("mine")
    for op in ("/schedules/999999", "/schedules/abc", f"/schedules/{mine['id']}/tasks/999999"):
        assert errors(main("GET" if "tasks" not in op else "DELETE", op)) == [
            ("NotFoundHttpException", "404", NOT_FOUND_UNKNOWN)
        ]
    assert errors(main("GET", f"/schedules/{theirs['id']}")) == [("NotFoundHttpException", "404", NOT_FOR_SERVER)]
    other_task = main("DELETE", f"/schedules/{mine['id']}/tasks/{their_task['id']}")
    assert errors(other_task) == [("NotFoundHttpException", "404", NOT_FOR_SERVER)]
    spare.ok("DELETE", f"/schedules/{theirs['id']}", status=204)
    main.ok("DELETE", f"/schedules/{mine['id']}", status=204)


def test_tasks_sequences_limit_and_activity(sb):
    main = Server(sb, "main")
    sid = main.schedule("sequences")["id"]
    first = main.task(sid, payload="one")
    second = main.task(sid, payload="two", offset="5")
    assert second["time_offset"] == 5 and second["sequence_id"] == 2
    front = main.task(sid, payload="zero", sequence_id=1, continue_on_failure=1)
    assert front["sequence_id"] == 1 and front["continue_on_failure"] is True
    tasks = main.ok("GET", f"/schedules/{sid}")["attributes"]["relationships"]["tasks"]["data"]
    order = {t["attributes"]["payload"]: t["attributes"]["sequence_id"] for t in tasks}
    assert order == {"one": 2, "two": 3, "zero": 1}
    body = {"action": "power", "payload": "start", "time_offset": 1, "sequence_id": 3}
    moved = main.ok("POST", f"/schedules/{sid}/tasks/{first['id']}", json=body)["attributes"]
    assert moved["sequence_id"] == 3 and moved["action"] == "power"
    shown = ("power", "start") if sb["flavor"] == "pelican" else ("command", "one")  # PT: the values before
    assert {"name": "sequences", "action": shown[0], "payload": shown[1]} in main.events("server:task.update")
    main.ok("DELETE", f"/schedules/{sid}/tasks/{front['id']}", status=204)
    tasks = main.ok("GET", f"/schedules/{sid}")["attributes"]["relationships"]["tasks"]["data"]
    assert sorted(t["attributes"]["sequence_id"] for t in tasks) == [1, 2]
    assert {"name": "sequences"} in main.events("server:task.delete")
    rules = main("POST", f"/schedules/{sid}/tasks", json={"action": "reboot", "time_offset": 901})
    assert [item["meta"]["rule"] for item in rules.json()["errors"]] == ["in", "required_unless", "max"]
    assert rules.json()["errors"][1]["detail"] == "The payload field is required unless action is in backup."
    cleanup = main("POST", f"/schedules/{sid}/tasks", json={"action": "delete_files", "payload": "x", "time_offset": 0})
    assert cleanup.status_code == (200 if sb["flavor"] == "pelican" else 422)
    for index in range(10 - len(tasks) - (1 if cleanup.status_code == 200 else 0)):
        main.task(sid, payload=f"filler {index}")
    over = main("POST", f"/schedules/{sid}/tasks", json={"action": "command", "payload": "x", "time_offset": 0})
    assert errors(over) == [("ServiceLimitExceededException", "400", TASK_LIMIT)]
    main.ok("DELETE", f"/schedules/{sid}", status=204)


def test_backup_tasks_need_a_backup_limit_and_execute_needs_tasks(sb):
    bare = Server(sb, "bare")
    sid = bare.schedule("no backups")["id"]
    refused = bare("POST", f"/schedules/{sid}/tasks", json={"action": "backup", "time_offset": 0})
    assert errors(refused) == [("HttpForbiddenException", "403", BACKUP_ZERO)]
    command = bare.task(sid)
    turned = bare("POST", f"/schedules/{sid}/tasks/{command['id']}", json={"action": "backup", "time_offset": 0})
    assert errors(turned) == [("HttpForbiddenException", "403", BACKUP_ZERO)]
    empty = bare.schedule("empty")["id"]
    assert errors(bare("POST", f"/schedules/{empty}/execute")) == [("DisplayException", "400", NO_TASKS)]
    for schedule in (sid, empty):
        bare.ok("DELETE", f"/schedules/{schedule}", status=204)


def test_pelican_limits_schedule_creation_per_server(pl_sandbox):
    settings(pl_sandbox, schedule_create_throttle={"count": 2, "period": 60})
    down = Server(pl_sandbox, "down")
    made = [down("POST", "/schedules", json={"name": f"s{i}", **CRON_SPEC}) for i in range(3)]
    assert [r.status_code for r in made] == [200, 200, 429]
    assert errors(made[2]) == [("ThrottleRequestsException", "429", "Too Many Attempts.")]
