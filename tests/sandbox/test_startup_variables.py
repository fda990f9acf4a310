"""The startup routes (reference panel-client-api-config.md §4): ``GET /startup`` and ``PUT /startup/variable``,
their refusals in the controller's order and texts, the stored value and its echo, the activity, Pelican's
differences (``sort``, a 400 for an unknown key, list rules, activity only on change)."""

from __future__ import annotations

import pytest
import startup_expect as expect
from sandbox_expect import error
from startup_expect import Client, details

pytestmark = pytest.mark.timeout(120)

pt_sandbox = expect.startup_sandbox("startup-pt")
pl_sandbox = expect.startup_sandbox("startup-pl", flavor="pelican")

VARIABLE_KEYS = ["name", "description", "env_variable", "default_value", "server_value", "is_editable", "rules"]


@pytest.fixture
def pt(pt_sandbox):
    client = Client(pt_sandbox)
    defaults = {"MINECRAFT_VERSION": "latest", "SERVER_JARFILE": "server.jar", "MOTD_COLOUR": "", "MODE": "a"}
    client.patch(variables=defaults)
    return client


@pytest.fixture
def pl(pl_sandbox):
    client = Client(pl_sandbox)
    client.patch(variables={"MINECRAFT_VERSION": "latest", "MOTD_COLOUR": "", "MODE": "a"})
    return client


def names(response) -> list[str]:
    return [item["attributes"]["env_variable"] for item in response.json()["data"]]


def test_get_startup(pt):
    response = pt("GET", "/startup")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["object", "data", "meta"] and body["object"] == "list"
    assert names(response) == ["MINECRAFT_VERSION", "SERVER_JARFILE", "BUILD_NUMBER", "MOTD_COLOUR", "MODE"]
    first = body["data"][0]
    assert first["object"] == "egg_variable" and list(first["attributes"]) == VARIABLE_KEYS
    assert first["attributes"] == {
        "name": "Minecraft Version",
        "description": "",
        "env_variable": "MINECRAFT_VERSION",
        "default_value": "latest",
        "server_value": "latest",
        "is_editable": True,
        "rules": "required|string|max:20",
    }
    by_name = {item["attributes"]["env_variable"]: item["attributes"] for item in body["data"]}
    assert by_name["BUILD_NUMBER"]["is_editable"] is False
    assert by_name["MODE"]["rules"] == "required|regex:/^(a|b)$/"
    port = pt.server["allocation"].split(":")[1]
    assert body["meta"] == {
        "startup_command": f"java -Xmx1024M -jar server.jar --port {port} --token [hidden]",
        "docker_images": {"Java 21": expect.JAVA_21, "Java 17": expect.JAVA_17},
        "raw_startup_command": "java -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}} --port {{SERVER_PORT}} "
        "--token {{SECRET_TOKEN}}",
    }
    assert "\\/" in response.text  # PHP's escaped slashes


def test_permissions(pt):
    assert pt("GET", "/startup", "reader").status_code == 200
    assert error(pt.put_variable("MINECRAFT_VERSION", "1.20.1", "reader"))["detail"] == expect.UNAUTHORIZED
    assert error(pt("GET", "/startup", "helper"))["detail"] == expect.UNAUTHORIZED
    assert pt("GET", "/startup", "other").status_code == 404
    assert pt.put_variable("MINECRAFT_VERSION", "1.20.1", "editor").status_code == 200


def test_put_refusals_in_order(pt):
    response = pt("PUT", "/startup/variable", json={"value": "x"})
    assert response.status_code == 422 and details(response) == [("required", "The key field is required.")]
    response = pt("PUT", "/startup/variable", json={"key": 5, "value": "x"})
    assert details(response) == [("string", "The key must be a string.")]
    response = pt("PUT", "/startup/variable", json={"key": "NOPE"})  # the form request runs first
    assert details(response) == [("present", "The value field must be present.")]
    response = pt.put_variable("NOPE", "x")  # PT reads server_value off null: a PHP warning
    assert response.status_code == 500
    assert error(response) == {"code": "ErrorException", "status": "500", "detail": expect.GENERIC_500}
    response = pt.put_variable("SECRET_TOKEN", "x")
    assert response.status_code == 400
    assert error(response) == {"code": "BadRequestHttpException", "status": "400", "detail": expect.DOES_NOT_EXIST}
    response = pt.put_variable("BUILD_NUMBER", "x")  # read-only comes before the value's rules
    assert (response.status_code, error(response)["detail"]) == (400, expect.READ_ONLY)
    response = pt.put_variable("MINECRAFT_VERSION", "x" * 21)
    assert details(response) == [("max", "The value may not be greater than 20 characters.")]
    assert error(response)["meta"]["source_field"] == "value"
    response = pt.put_variable("SERVER_JARFILE", "paper.zip")
    assert details(response) == [("regex", "The value format is invalid.")]
    response = pt.put_variable("MOTD_COLOUR", "ab")
    assert details(response) == [("between", "The value must be between 3 and 8 characters.")]
    response = pt.put_variable("MINECRAFT_VERSION", 25565)
    assert details(response) == [("string", "The value must be a string.")]
    assert pt.state()["variables"]["MINECRAFT_VERSION"] == "latest"


def test_put_stores_and_echoes(pt):
    before = len(pt.events("server:startup.edit"))
    response = pt.put_variable("minecraft_version", "1.20.1")  # MySQL compares case-insensitively
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["object", "attributes", "meta"] and list(body["attributes"]) == VARIABLE_KEYS
    assert body["attributes"]["env_variable"] == "MINECRAFT_VERSION"
    assert body["attributes"]["server_value"] == "1.20.1"
    assert list(body["meta"]) == ["startup_command", "raw_startup_command"]
    response = pt.put_variable("SERVER_JARFILE", "paper.jar")
    assert "-jar paper.jar --port" in response.json()["meta"]["startup_command"]
    assert "-jar paper.jar --port" in pt("GET").json()["attributes"]["invocation"]
    assert pt.state()["variables"]["MINECRAFT_VERSION"] == "1.20.1"
    response = pt.put_variable("MOTD_COLOUR", "")  # arrives as null: stored as "", echoed as null
    assert response.status_code == 200 and response.json()["attributes"]["server_value"] is None
    shown = {i["attributes"]["env_variable"]: i["attributes"] for i in pt("GET", "/startup").json()["data"]}
    assert shown["MOTD_COLOUR"]["server_value"] == ""
    assert pt.put_variable("MINECRAFT_VERSION", "1.20.1").status_code == 200  # unchanged: PT logs anyway
    assert pt.put_variable("MINECRAFT_VERSION", "MINECRAFT_VERSION").status_code == 200  # value == name: not
    edits = pt.events("server:startup.edit")[before:]
    assert edits == [
        {"variable": "MINECRAFT_VERSION", "old": "latest", "new": "1.20.1"},
        {"variable": "SERVER_JARFILE", "old": "server.jar", "new": "paper.jar"},
        {"variable": "MOTD_COLOUR", "old": "", "new": None},
        {"variable": "MINECRAFT_VERSION", "old": "1.20.1", "new": "1.20.1"},
    ]


def test_a_regex_rule_with_a_pipe_breaks_on_pterodactyl(pt):
    response = pt.put_variable("MODE", "b")  # "required|regex:/^(a|b)$/" exploded on "|": PHP's warning
    assert (response.status_code, error(response)["code"]) == (500, "ErrorException")


def test_pelican_differences(pl):
    response = pl("GET", "/startup")
    assert names(response) == ["BUILD_NUMBER", "MOTD_COLOUR", "SERVER_JARFILE", "MODE", "MINECRAFT_VERSION"]
    assert response.json()["meta"]["docker_images"] == {"Java 21": expect.JAVA_21, "Java 17": expect.JAVA_17}
    response = pl.put_variable("NOPE", "x")
    assert (response.status_code, error(response)["detail"]) == (400, expect.DOES_NOT_EXIST)
    response = pl.put_variable("minecraft_version", "1.20.1")  # SQLite compares exactly
    assert (response.status_code, error(response)["detail"]) == (400, expect.DOES_NOT_EXIST)
    response = pl.put_variable("MODE", "b")  # the rules are a list: the regex stays whole
    assert response.status_code == 200 and response.json()["attributes"]["rules"] == "required|regex:/^(a|b)$/"
    assert details(pl.put_variable("MODE", "c")) == [("regex", "The value format is invalid.")]
    before = len(pl.events("server:startup.edit"))
    assert pl.put_variable("MINECRAFT_VERSION", "1.20.1").status_code == 200
    assert pl.put_variable("MINECRAFT_VERSION", "1.20.1").status_code == 200  # unchanged: not logged
    assert pl.put_variable("MOTD_COLOUR", "").status_code == 200  # "" stored vs null sent: logged, new ""
    edits = pl.events("server:startup.edit")[before:]
    assert edits == [
        {"variable": "MINECRAFT_VERSION", "old": "latest", "new": "1.20.1"},
        {"variable": "MOTD_COLOUR", "old": "", "new": ""},
    ]
