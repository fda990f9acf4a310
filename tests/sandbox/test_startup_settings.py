"""The settings routes (reference panel-client-api-config.md §5): rename (PT name and description, PL name
only), Pelican's ``POST /settings/description`` with its 403 ``[]``, ``PUT /settings/docker-image`` (rules, the
manually-set image), each refusal's text and the activity."""

from __future__ import annotations

import pytest
from sandbox_expect import error
from startup_expect import CUSTOM_IMAGE, JAVA_17, JAVA_21, MANUAL_IMAGE, UNAUTHORIZED, Client, details
from startup_expect import startup_sandbox as make_fixture

pytestmark = pytest.mark.timeout(120)

pt_sandbox = make_fixture("settings-pt")
pl_sandbox = make_fixture("settings-pl", flavor="pelican")


@pytest.fixture
def pt(pt_sandbox):
    client = Client(pt_sandbox, "spare")
    client.patch(name="spare", description="Spare server", docker_image=JAVA_21)
    return client


@pytest.fixture
def pl(pl_sandbox):
    client = Client(pl_sandbox, "spare")
    pl_sandbox.control("PATCH", "/settings", json={"editable_descriptions": True})
    client.patch(name="spare", description="Spare server", docker_image=JAVA_21)
    return client


def rename(client: Client, user: str = "owner", **body):
    return client("POST", "/settings/rename", user, json=body)


def test_rename_refusals(pt):
    alpha = Client(pt.sb, "alpha")
    assert error(rename(alpha, "reader", name="x"))["detail"] == UNAUTHORIZED
    assert rename(alpha, "editor", name="alpha").status_code == 204
    assert details(rename(pt)) == [("required", "The name field is required.")]
    assert details(rename(pt, name="   ")) == [("required", "The name field is required.")]
    assert details(rename(pt, name="x" * 192)) == [("max", "The name may not be greater than 191 characters.")]
    assert details(rename(pt, name=["x"])) == [("string", "The name must be a string.")]
    assert details(rename(pt, name="ok", description=5)) == [("string", "The description must be a string.")]
    assert pt.state()["name"] == "spare"
    response = pt("GET", "/settings/rename")
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")


def test_rename_and_description_on_pterodactyl(pt):
    before = len(pt.activity())
    response = rename(pt, name="  renamed  ")
    assert (response.status_code, response.text) == (204, "")
    assert (pt.state()["name"], pt.state()["description"]) == ("renamed", "Spare server")  # no key: kept
    assert rename(pt, name="renamed", description="New text").status_code == 204  # name unchanged
    assert rename(pt, name="renamed", description=None).status_code == 204  # present and null: ""
    assert pt.state()["description"] == ""
    assert pt("GET").json()["attributes"]["description"] == ""
    logged = [(e["event"], e["properties"]) for e in pt.activity()[before:]]
    assert logged == [
        ("server:settings.rename", {"old": "spare", "new": "renamed"}),
        ("server:settings.description", {"old": "Spare server", "new": "New text"}),
        ("server:settings.description", {"old": "New text", "new": ""}),
    ]
    response = pt("POST", "/settings/description", json={"description": "x"})
    assert response.status_code == 404  # Pelican's route only
    assert error(response)["detail"].endswith("/settings/description could not be found.")


def test_rename_on_pelican(pl):
    before = len(pl.activity())
    assert details(rename(pl, name="x" * 256)) == [("max", "The name may not be greater than 255 characters.")]
    assert rename(pl, name="x" * 255, description=5).status_code == 204  # description: not a rule, ignored
    assert (pl.state()["name"], pl.state()["description"]) == ("x" * 255, "Spare server")
    logged = [(e["event"], e["properties"]) for e in pl.activity()[before:]]
    assert logged == [("server:settings.rename", {"old": "spare", "new": "x" * 255})]


def test_description_on_pelican(pl):
    alpha = Client(pl.sb, "alpha")
    assert alpha("POST", "/settings/description", "editor", json={"description": "Alpha"}).status_code == 204
    assert error(alpha("POST", "/settings/description", "reader", json={"description": "x"}))["detail"] == UNAUTHORIZED
    before = len(pl.activity())
    assert pl("POST", "/settings/description", json={"description": "Editor's text"}).status_code == 204
    assert details(pl("POST", "/settings/description", json={"description": 5})) == [
        ("string", "The description must be a string.")
    ]
    assert pl("POST", "/settings/description", json={"description": None}).status_code == 204
    assert pl.state()["description"] == ""
    logged = [(e["event"], e["properties"]) for e in pl.activity()[before:]]
    assert logged == [
        ("server:settings.description", {"old": "Spare server", "new": "Editor's text"}),
        ("server:settings.description", {"old": "Editor's text", "new": ""}),  # PL shows null as ""
    ]
    assert "description" in pl("GET").json()["attributes"]
    settings = pl.sb.control("PATCH", "/settings", json={"editable_descriptions": False}).json()
    assert settings["editable_descriptions"] is False
    response = pl("POST", "/settings/description", json={"description": "x"})
    assert (response.status_code, response.text) == (403, "[]")
    assert response.headers["Content-Type"].startswith("application/json")
    assert details(pl("POST", "/settings/description", json={"description": 5}))  # the rules come first
    assert "description" not in pl("GET").json()["attributes"]


def test_docker_image_refusals_on_pterodactyl(pt):
    def put(value, user="owner", client=pt):
        return client("PUT", "/settings/docker-image", user, json={"docker_image": value})

    assert error(put(JAVA_17, "reader", Client(pt.sb, "alpha")))["detail"] == UNAUTHORIZED
    assert details(pt("PUT", "/settings/docker-image", json={})) == [
        ("required", "The docker image field is required.")
    ]
    assert details(put(5)) == [
        ("string", "The docker image must be a string."),
        ("in", "The selected docker image is invalid."),
    ]
    assert details(put("not an image!")) == [
        ("regex", "The docker image format is invalid."),
        ("in", "The selected docker image is invalid."),
    ]
    assert details(put("a" * 192)) == [
        ("max", "The docker image may not be greater than 191 characters."),
        ("in", "The selected docker image is invalid."),
    ]
    custom = Client(pt.sb, "custom")
    assert custom("GET").json()["attributes"]["docker_image"] == CUSTOM_IMAGE
    assert details(put("nope", client=custom)) == [("in", "The selected docker image is invalid.")]
    response = put(JAVA_17, client=custom)  # checked after the rules
    assert response.status_code == 400
    assert error(response) == {"code": "BadRequestHttpException", "status": "400", "detail": MANUAL_IMAGE}
    assert custom.state()["docker_image"] == CUSTOM_IMAGE


def test_docker_image_change(pt):
    before = len(pt.activity())
    response = pt("PUT", "/settings/docker-image", json={"docker_image": JAVA_17})
    assert (response.status_code, response.text) == (204, "")
    assert pt("GET").json()["attributes"]["docker_image"] == JAVA_17
    assert pt.state()["docker_image"] == JAVA_17
    assert pt("PUT", "/settings/docker-image", json={"docker_image": JAVA_17}).status_code == 204  # unchanged
    logged = [(e["event"], e["properties"]) for e in pt.activity()[before:]]
    assert logged == [("server:startup.image", {"old": JAVA_21, "new": JAVA_17})]


def test_docker_image_on_pelican(pl):
    response = pl("PUT", "/settings/docker-image", json={"docker_image": "not an image!"})
    assert details(response) == [("in", "The selected docker image is invalid.")]  # no regex, no max
    assert pl("PUT", "/settings/docker-image", json={"docker_image": JAVA_17}).status_code == 204
    response = Client(pl.sb, "custom")("PUT", "/settings/docker-image", json={"docker_image": JAVA_17})
    assert (response.status_code, error(response)["detail"]) == (400, MANUAL_IMAGE)
