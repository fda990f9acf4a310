# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's schedule calls (_client_schedules) against a real HTTP server on 127.0.0.1: method, path,
body, the shape returned, and the 403 hints of the permission checks (a task delete's differs per panel)."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

KEY = "ptlc_Sc1Hd2Ul3Es" + "S3cretS3cretS3cretS3cretS3cretXY"
SCHEDULES = "/api/client/servers/abcd1234/schedules"
FIELDS = {"name": "n", "minute": "0", "hour": "4", "day_of_month": "*", "month": "*", "day_of_week": "*"}
TASK = {"action": "command", "payload": "say hi", "time_offset": 0, "continue_on_failure": False}

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]


def item(kind: str, **attributes) -> dict:
    return {"object": kind, "attributes": attributes}


def test_the_list_is_one_request_with_the_tasks_inside(panel):
    tasks = {"object": "list", "data": [item("schedule_task", id=5, sequence_id=1)]}
    body = {"object": "list", "data": [item("server_schedule", id=3, name="n", relationships={"tasks": tasks})]}
    panel.expect_request(SCHEDULES, method="GET").respond_with_json(body)
    client = panel.client(KEY)
    (schedule,) = client.list_schedules("abcd1234")
    assert schedule["id"] == 3 and schedule["relationships"]["tasks"]["data"][0]["attributes"]["id"] == 5
    assert client.request_count == 1 and panel.requests_seen()[0].args == {}


@pytest.mark.parametrize(
    "call, method, path, body",
    [
        (lambda c: c.create_schedule("abcd1234", FIELDS), "POST", SCHEDULES, FIELDS),
        (lambda c: c.update_schedule("abcd1234", 3, FIELDS), "POST", f"{SCHEDULES}/3", FIELDS),
        (
            lambda c: c.create_task("abcd1234", 3, {**TASK, "sequence_id": 1}),
            "POST",
            f"{SCHEDULES}/3/tasks",
            {**TASK, "sequence_id": 1},
        ),
        (lambda c: c.update_task("abcd1234", 3, 7, TASK), "POST", f"{SCHEDULES}/3/tasks/7", TASK),
    ],
)
def test_the_calls_that_answer_an_object(panel, call, method, path, body):
    answer = item("x", id=9)
    panel.expect_request(path, method=method, **({"json": body} if body else {})).respond_with_json(answer)
    assert call(panel.client(KEY)) == {"id": 9}
    assert len(panel.requests_seen()) == 1


@pytest.mark.parametrize(
    "call, method, path, status",
    [
        (lambda c: c.execute_schedule("abcd1234", 3), "POST", f"{SCHEDULES}/3/execute", 202),
        (lambda c: c.delete_schedule("abcd1234", 3), "DELETE", f"{SCHEDULES}/3", 204),
        (lambda c: c.delete_task("abcd1234", 3, 7), "DELETE", f"{SCHEDULES}/3/tasks/7", 204),
    ],
)
def test_the_calls_that_answer_nothing(panel, call, method, path, status):
    panel.expect_request(path, method=method).respond_with_data("" if status == 204 else "[]", status=status)
    assert call(panel.client(KEY)) is None


def test_a_schedule_body_without_a_cron_field_is_never_sent(panel):
    client = panel.client(KEY)
    with pytest.raises(PterodactylError, match="needs month"):
        client.create_schedule("abcd1234", {key: value for key, value in FIELDS.items() if key != "month"})
    assert client.request_count == 0


@pytest.mark.parametrize(
    "call, path, method, detail, words",
    [
        (
            lambda c: c.update_schedule("abcd1234", 3, FIELDS),
            f"{SCHEDULES}/3",
            "POST",
            "This action is unauthorized.",
            "(schedule.update)",
        ),
        (
            lambda c: c.delete_task("abcd1234", 3, 7),
            f"{SCHEDULES}/3/tasks/7",
            "DELETE",
            "You do not have permission to perform this action.",
            "(schedule.update on Pterodactyl, schedule.delete on Pelican)",
        ),
    ],
)
def test_a_403_names_the_permission(panel, call, path, method, detail, words):
    panel.answer_error(path, 403, "HttpForbiddenException", detail, method=method)
    with pytest.raises(PterodactylError) as caught:
        call(panel.client(KEY))
    assert words in caught.value.hint and detail in str(caught.value)
