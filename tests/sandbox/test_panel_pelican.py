"""``--flavor pelican``: the documented differences (reference §11)."""

from __future__ import annotations

import hashlib
import pathlib
import re

import jwt
import pytest

FLEETS = pathlib.Path(__file__).resolve().parents[2] / "sandbox" / "fleets"


@pytest.fixture
def pelican(start_sandbox):
    return start_sandbox(servers=3, virtual=True, flavor="pelican")


def test_pelican_keys_and_rate_limit(pelican):
    sb = pelican
    assert sb["flavor"] == "pelican"
    assert re.match(r"^pacc_[A-Za-z0-9]{43}$", sb["keys"]["owner"])
    assert re.match(r"^papp_[A-Za-z0-9]{43}$", sb["keys"]["application"])
    resp = sb.api("GET", "/api/client")
    assert resp.headers["X-RateLimit-Limit"] == "256"
    assert resp.headers["X-RateLimit-Remaining"] == "255"
    assert sb.api("GET", "/api/client", key="application").status_code == 403


def test_pelican_binding_before_auth(pelican):
    sb = pelican
    resp = sb.api("GET", "/api/client/servers/zzzzzzzz", key=None)
    assert resp.status_code == 404
    assert resp.json()["errors"][0]["detail"] == "The requested resource could not be found on the server."
    sid = sb["servers"][0]["identifier"]
    assert sb.api("GET", f"/api/client/servers/{sid}", key=None).status_code == 401
    resp = sb.api("GET", "/api/client", key=None, headers={"Accept": "text/html"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")


def test_pelican_permissions_account_server(pelican):
    sb = pelican
    perms = sb.api("GET", "/api/client/permissions").json()["attributes"]["permissions"]
    assert isinstance(perms, list) and len(perms) == 44
    assert "database.view-password" in perms and "mount.read" in perms and "control.start" in perms
    acct = sb.api("GET", "/api/client/account").json()
    assert list(acct["attributes"]) == [
        "uuid",
        "username",
        "email",
        "language",
        "image",
        "admin",
        "root_admin",
        "2fa_enabled",
        "created_at",
        "updated_at",
    ]
    a = sb.api("GET", f"/api/client/servers/{sb['servers'][0]['identifier']}").json()["attributes"]
    assert "alias" in a["sftp_details"]
    assert a["limits"]["oom_killer"] is (not a["limits"]["oom_disabled"])


def test_pelican_jwt(pelican):
    sb = pelican
    s = sb["servers"][0]
    token = sb.api("GET", f"/api/client/servers/{s['identifier']}/websocket").json()["data"]["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "user_id" not in claims
    assert claims["scope"] == "websocket"
    assert len(claims["jti"]) == 64
    assert claims["jti"] == jwt.get_unverified_header(token)["jti"]
    # sha256 of user id + uuid: the owner is user 1 in the generated fleet
    assert claims["jti"] == hashlib.sha256(f"1{s['uuid']}".encode()).hexdigest()
    assert claims["exp"] - claims["iat"] == 600 and claims["nbf"] == claims["iat"] - 300


def test_pelican_websocket_server_limiter(pelican):
    sb = pelican
    sid = sb["servers"][1]["identifier"]
    seen = []
    for _unused in range(5):
        r = sb.api("GET", f"/api/client/servers/{sid}/websocket")
        assert r.status_code == 200
        seen.append((r.headers["X-RateLimit-Limit"], r.headers["X-RateLimit-Remaining"]))
    assert seen[-1] == ("5", "0")
    r = sb.api("GET", f"/api/client/servers/{sid}/websocket", key="admin")  # shared by every user
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_pelican_activity_and_commands(pelican):
    sb = pelican
    sid = sb["servers"][2]["identifier"]
    assert sb.api("POST", f"/api/client/servers/{sid}/power", json={"signal": "start"}).status_code == 204
    # offline command: 204 and logged (reference §11.7)
    sid0 = sb["servers"][0]["identifier"]
    assert sb.api("POST", f"/api/client/servers/{sid0}/command", json={"command": "hi"}).status_code == 204
    act = sb.api("GET", f"/api/client/servers/{sid}/activity", params={"include": "actor"}).json()["data"][0]
    attrs = act["attributes"]
    assert "batch" not in attrs
    assert attrs["properties"] == []
    assert "root_admin" in attrs["relationships"]["actor"]["attributes"]
    act0 = sb.api("GET", f"/api/client/servers/{sid0}/activity").json()["data"][0]["attributes"]
    assert act0["properties"] == {"command": "hi"}


def test_pelican_conflicts(start_sandbox):
    sb = start_sandbox(fleet=FLEETS / "conditions.yml", virtual=True, flavor="pelican")
    rf = sb.server("reinstall-failed")["identifier"]
    resp = sb.api("GET", f"/api/client/servers/{rf}/resources")
    assert resp.status_code == 409
    assert (
        resp.json()["errors"][0]["detail"]
        == "This server has not yet completed its installation process, please try again later."
    )
    assert sb.api("GET", f"/api/client/servers/{rf}").json()["attributes"]["is_installing"] is True
    # admins get the websocket even when suspended
    sus = sb.server("suspended")["identifier"]
    assert sb.api("GET", f"/api/client/servers/{sus}/websocket", key="admin").status_code == 200
    assert sb.api("GET", f"/api/client/servers/{sus}/websocket").status_code == 409
    # invalid power signal: subuser with websocket.connect gets 422
    normal = sb.server("normal")["identifier"]
    resp = sb.api("POST", f"/api/client/servers/{normal}/power", key="subuser", json={"signal": "bogus"})
    assert resp.status_code == 422
