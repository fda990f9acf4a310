"""``POST /settings/reinstall`` and the node's install (reference panel-client-api-config.md §5,
wings-websocket.md §2.2): the websocket events in order and who sees the install output, the 409s while
installing, a failing install (a version of ``install_fail_versions``, an install fault), the power lock's 409,
the stop then kill of a running server, and Pelican's differences. Real game processes."""

from __future__ import annotations

import re
import time

import pytest
from sandbox_expect import error, wait_for
from startup_expect import (
    COMPLETED,
    GENERIC_500,
    NOT_INSTALLED,
    REINSTALL_LOCKED,
    STARTING,
    UNAUTHORIZED,
    Client,
    record,
    startup_sandbox,
    without_stats,
)

pytestmark = pytest.mark.timeout(180)

pt_node = startup_sandbox("reinstall-pt", virtual=False)
pl_node = startup_sandbox("reinstall-pl", virtual=False, flavor="pelican")

SCRIPT = [
    "+ cd /mnt/server",
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz",
    "OK: 14 MiB in 27 packages",
    "Version being installed: 1.21.1",
    "Downloading https://api.papermc.io/v2/projects/paper/versions/1.21.1/builds/latest/downloads/server.jar",
    "Saved server.jar (1.21.1)",
    "Install finished: paper 1.21.1",
]
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def pt(pt_node):
    client = Client(pt_node)
    client.patch(status=None, variables={"MINECRAFT_VERSION": "latest"})
    pt_node.control("PATCH", "/settings", json={"install_exit_code_checked": True, "reinstall_stop_timeout": 10})
    pt_node.control("DELETE", "/installs/faults")
    return client


@pytest.fixture
def pl(pl_node):
    client = Client(pl_node)
    client.patch(status=None, variables={"MINECRAFT_VERSION": "latest"})
    return client


def reinstall(client: Client, user: str = "owner"):
    return client("POST", "/settings/reinstall", user)


def wait_installed(client: Client) -> dict:
    return wait_for(lambda: client.state() if client.state()["status"] != "installing" else None)


def names(events: list) -> list:
    """The events other than stats and console lines."""
    return [(name, args) for name, args in without_stats(events) if name != "console output"]


def test_refusals(pt):
    assert error(reinstall(pt, "helper"))["detail"] == UNAUTHORIZED
    frozen = Client(pt.sb, "frozen")
    assert error(reinstall(frozen))["code"] == "ServerStateConflictException"
    spare = Client(pt.sb, "spare")
    spare.patch(node_unreachable=True)
    try:
        response = reinstall(spare)
        assert (response.status_code, error(response)["code"]) == (504, "DaemonConnectionException")
        assert spare.state()["status"] is None
    finally:
        spare.patch(node_unreachable=False)


def test_events_in_order_and_who_sees_the_install_output(pt):
    pt.patch(state="running")
    during: dict = {}

    def action():
        response = reinstall(pt, "editor")
        during["answer"] = (response.status_code, response.text)
        during["view"] = pt("GET").json()["attributes"]
        during["startup"] = pt("GET", "/startup")
        during["power"] = pt("POST", "/power", json={"signal": "start"})
        during["websocket"] = (pt("GET", "/websocket").status_code, pt("GET", "/websocket", "admin").status_code)

    seen = record(pt.sb, pt.server, ["owner", "admin"], action)
    assert during["answer"] == (202, "[]")
    assert (during["view"]["status"], during["view"]["is_installing"]) == ("installing", True)
    for response in (during["startup"], during["power"]):
        assert (response.status_code, error(response)["detail"]) == (409, NOT_INSTALLED)
    assert during["websocket"] == (409, 200)  # root admins may watch the install
    common = [
        ("status", ["stopping"]),
        ("status", ["offline"]),
        ("install started", [""]),
        ("daemon message", [STARTING]),
    ]
    end = [("daemon message", [COMPLETED]), ("install completed", [""])]
    assert names(seen["owner"]) == common + end
    assert names(seen["admin"]) == common + [("install output", [line]) for line in SCRIPT] + end
    assert any("Stopping server" in args[0] for name, args in seen["owner"] if name == "console output")
    state = pt.state()
    assert (state["status"], state["state"]) == (None, "offline")
    attributes = pt("GET").json()["attributes"]
    assert (attributes["status"], attributes["is_installing"]) == (None, False)
    entry = pt.activity()[-1]
    assert (entry["event"], entry["properties"], entry["is_api"]) == ("server:reinstall", {}, True)


def test_a_version_that_fails_to_install(pt):
    pt.patch(variables={"MINECRAFT_VERSION": "0.0.1"})
    seen = record(pt.sb, pt.server, ["owner", "admin"], lambda: reinstall(pt))
    output = [args[0] for name, args in seen["admin"] if name == "install output"]
    assert output[3:] == [
        "Version being installed: 0.0.1",
        "Downloading https://api.papermc.io/v2/projects/paper/versions/0.0.1/builds/latest/downloads/server.jar",
        "curl: (22) The requested URL returned error: 404",
        "ERROR: paper 0.0.1 could not be downloaded, the install script exits with code 1",
    ]
    assert names(seen["owner"]) == [
        ("install started", [""]),
        ("daemon message", [STARTING]),
        ("install completed", [""]),
    ]
    assert pt.state()["status"] == "reinstall_failed"
    assert pt("GET").json()["attributes"]["is_installing"] is False
    assert pt("GET", "/startup").status_code == 200  # PT: reinstall_failed counts as installed
    assert pt.put_variable("MINECRAFT_VERSION", "1.20.1").status_code == 200
    assert reinstall(pt).status_code == 202  # so it can be tried again
    assert wait_installed(pt)["status"] is None


def test_released_wings_ignore_the_install_scripts_exit_code(pt):
    settings = pt.sb.control("PATCH", "/settings", json={"install_exit_code_checked": False}).json()
    assert settings["install_exit_code_checked"] is False
    pt.patch(variables={"MINECRAFT_VERSION": "0.0.1"})
    seen = record(pt.sb, pt.server, ["owner"], lambda: reinstall(pt))
    assert ("daemon message", [COMPLETED]) in seen["owner"]
    assert pt.state()["status"] is None


def test_install_faults(pt):
    bad = [
        ({"server": "alpha", "count": 0}, 422),
        ({"server": "alpha", "stage": "later"}, 422),
        ({"server": "nope"}, 404),
    ]
    for body, status in bad:
        assert pt.sb.control("POST", "/installs/faults", json=body).status_code == status
    response = pt.sb.control("POST", "/installs/faults", json={"server": "alpha"})
    assert response.status_code == 201
    assert response.json() == {"server": pt.server["uuid"], "count": 1, "stage": "pull"}
    seen = record(pt.sb, pt.server, ["admin"], lambda: reinstall(pt))
    assert names(seen["admin"]) == [("install started", [""]), ("install completed", [""])]  # Wings failed first
    assert pt.state()["status"] == "reinstall_failed"
    assert pt.sb.control("GET", "/installs/faults").json() == []
    pt.sb.control("POST", "/installs/faults", json={"server": pt.server["uuid"], "stage": "script"})
    seen = record(pt.sb, pt.server, ["admin"], lambda: reinstall(pt))
    assert ("install output", ["curl: (22) The requested URL returned error: 404"]) in seen["admin"]
    assert pt.state()["status"] == "reinstall_failed"
    assert reinstall(pt).status_code == 202  # the fault is used up
    assert wait_installed(pt)["status"] is None


def test_the_power_lock_refuses_a_reinstall(pt):
    stubborn = Client(pt.sb, "stubborn")
    stubborn.patch(state="running")
    before = len(stubborn.activity())
    assert stubborn("POST", "/power", json={"signal": "stop"}).status_code == 204  # "halt" is not understood
    wait_for(lambda: stubborn.state()["state"] == "stopping")
    response = reinstall(stubborn)
    assert response.status_code == 409
    body = error(response)
    assert body["code"] == "DaemonConnectionException"
    remote = rf"An error occurred on the remote host: {re.escape(REINSTALL_LOCKED)}\. \(request id: {UUID}\)"
    assert re.fullmatch(remote, body["detail"])
    assert stubborn.state()["status"] is None  # rolled back
    assert [e["event"] for e in stubborn.activity()[before:]] == ["server:power.stop"]
    assert stubborn("POST", "/power", json={"signal": "kill"}).status_code == 204
    wait_for(lambda: stubborn.state()["state"] == "offline")
    assert reinstall(stubborn).status_code == 202
    assert wait_installed(stubborn)["status"] is None


def test_a_running_server_that_does_not_stop_is_killed(pt):
    pt.sb.control("PATCH", "/settings", json={"reinstall_stop_timeout": 1})
    stubborn = Client(pt.sb, "stubborn")
    stubborn.patch(state="running")
    times: dict = {}

    def action():
        times["sent"] = time.monotonic()
        reinstall(stubborn)

    seen = record(pt.sb, stubborn.server, ["owner"], action)
    events = names(seen["owner"])
    assert events[:3] == [("status", ["stopping"]), ("status", ["offline"]), ("install started", [""])]
    assert ("daemon message", [COMPLETED]) in events  # an egg without a version variable installs too
    assert time.monotonic() - times["sent"] >= 1.0
    assert stubborn.state()["status"] is None


def test_pelican_differences(pl):
    stubborn = Client(pl.sb, "stubborn")
    stubborn.patch(state="running")
    assert stubborn("POST", "/power", json={"signal": "stop"}).status_code == 204
    wait_for(lambda: stubborn.state()["state"] == "stopping")
    response = reinstall(stubborn)  # PL: Laravel's HTTP client throws on the 409
    assert response.status_code == 500
    assert error(response) == {"code": "RequestException", "status": "500", "detail": GENERIC_500}
    assert stubborn.state()["status"] is None
    stubborn("POST", "/power", json={"signal": "kill"})
    pl.patch(variables={"MINECRAFT_VERSION": "0.0.1"})
    assert reinstall(pl).status_code == 202
    assert wait_installed(pl)["status"] == "reinstall_failed"
    assert pl("GET").json()["attributes"]["is_installing"] is True
    for response in (pl("GET", "/startup"), reinstall(pl)):  # PL: not installed, so no retry through the API
        assert (response.status_code, error(response)["detail"]) == (409, NOT_INSTALLED)
    pl.patch(status=None)  # the activity route is refused too
    entry = [e for e in pl.activity() if e["event"] == "server:reinstall"][-1]
    assert entry["properties"] == []
