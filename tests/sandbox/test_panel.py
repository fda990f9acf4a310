"""Panel routes: listing, pagination, shapes, resources cache, power/command, JWT, activity, rate limit."""

from __future__ import annotations

import hashlib
import time
import urllib.parse

import jwt
from sandbox_expect import wait_for

SERVER_KEYS = [
    "server_owner",
    "identifier",
    "internal_id",
    "uuid",
    "name",
    "node",
    "is_node_under_maintenance",
    "sftp_details",
    "description",
    "limits",
    "invocation",
    "docker_image",
    "egg_features",
    "feature_limits",
    "status",
    "is_suspended",
    "is_installing",
    "is_transferring",
    "relationships",
]


# ------------------------------------------------------------------ listing


def test_list_servers_default(clean):
    resp = clean.api("GET", "/api/client")
    assert resp.status_code == 200
    body = resp.json()
    assert body["object"] == "list"
    assert [d["attributes"]["identifier"] for d in body["data"]] == [s["identifier"] for s in clean["servers"]]
    assert body["meta"]["pagination"] == {
        "total": 6,
        "count": 6,
        "per_page": 50,
        "current_page": 1,
        "total_pages": 1,
        "links": {},
    }
    item = body["data"][0]
    assert item["object"] == "server" and "meta" not in item
    assert list(item["attributes"]) == SERVER_KEYS
    rel = item["attributes"]["relationships"]
    assert set(rel) == {"allocations", "variables"}
    assert rel["allocations"]["data"][0]["attributes"] == {
        "id": 1,
        "ip": "127.0.0.1",
        "ip_alias": None,
        "port": 25565,
        "notes": None,
        "is_default": True,
    }


def test_list_types(clean):
    def ids(response):
        return [d["attributes"]["name"] for d in response.json()["data"]]

    assert len(ids(clean.api("GET", "/api/client", key="subuser"))) == 3
    assert ids(clean.api("GET", "/api/client", key="subuser", params={"type": "owner"})) == []
    assert ids(clean.api("GET", "/api/client", key="admin")) == []
    assert len(ids(clean.api("GET", "/api/client", key="admin", params={"type": "admin"}))) == 6
    assert len(ids(clean.api("GET", "/api/client", key="admin", params={"type": "admin-all"}))) == 6
    assert ids(clean.api("GET", "/api/client", key="other", params={"type": "admin-all"})) == []
    assert ids(clean.api("GET", "/api/client", key="other")) == []
    owner_list = clean.api("GET", "/api/client", params={"type": "owner"})
    assert len(ids(owner_list)) == 6
    # subuser view of a shared server: server_owner false, limited relationships
    a = clean.api("GET", "/api/client", key="subuser", params={"include": "egg,subusers"}).json()["data"][0]
    attrs = a["attributes"]
    assert attrs["server_owner"] is False
    assert attrs["relationships"]["variables"] == {"object": "null_resource", "attributes": None}
    assert attrs["relationships"]["subusers"] == {"object": "null_resource", "attributes": None}
    assert attrs["relationships"]["egg"]["object"] == "egg"
    assert "[hidden]" in attrs["invocation"]


def test_filters(clean):
    def names(**params):
        r = clean.api("GET", "/api/client", params=params)
        assert r.status_code == 200, r.text
        return [d["attributes"]["name"] for d in r.json()["data"]]

    s3 = clean.server("mc-03")
    assert names(**{"filter[name]": "MC-0"}) == [f"mc-0{i}" for i in range(1, 7)]
    assert names(**{"filter[name]": "03"}) == ["mc-03"]
    assert names(**{"filter[uuid]": s3["uuid"][4:12]}) == ["mc-03"]
    assert names(**{"filter[description]": "vanilla"}) == ["mc-03", "mc-06"]
    assert names(**{"filter[external_id]": "x"}) == []
    assert names(**{"filter[*]": s3["identifier"]}) == ["mc-03"]
    assert names(**{"filter[*]": s3["uuid"][:5]}) == ["mc-03"]
    assert names(**{"filter[*]": "mc-05"}) == ["mc-05"]
    assert names(**{"filter[*]": "127.0.0.1:25567"}) == ["mc-03"]
    assert names(**{"filter[*]": ":2556"}) == [f"mc-0{i}" for i in range(1, 6)]
    assert names(**{"filter[*]": "127.0.0.1"}) == [f"mc-0{i}" for i in range(1, 7)]
    assert names(**{"filter[*]": "10.0.0.1"}) == []
    assert names(**{"filter[name]": "mc-01,mc-02"}) == ["mc-01", "mc-02"]


def test_pagination_links_keep_query(clean):
    resp = clean.api("GET", "/api/client?filter%5B%2A%5D=mc&per_page=2&page=2&include=egg")
    p = resp.json()["meta"]["pagination"]
    assert p == {
        "total": 6,
        "count": 2,
        "per_page": 2,
        "current_page": 2,
        "total_pages": 3,
        "links": {
            "previous": clean["panel_url"] + "/api/client?filter%5B%2A%5D=mc&per_page=2&page=1&include=egg",
            "next": clean["panel_url"] + "/api/client?filter%5B%2A%5D=mc&per_page=2&page=3&include=egg",
        },
    }
    # page appended when absent; arrays in http_build_query form
    resp = clean.api("GET", "/api/client?include[]=egg&per_page=4")
    links = resp.json()["meta"]["pagination"]["links"]
    assert links == {"next": clean["panel_url"] + "/api/client?include%5B0%5D=egg&per_page=4&page=2"}
    # past the end
    body = clean.api("GET", "/api/client", params={"page": 9}).json()
    assert body["data"] == [] and body["meta"]["pagination"]["current_page"] == 9
    assert body["meta"]["pagination"]["links"] == {"previous": clean["panel_url"] + "/api/client?page=8"}
    # invalid page -> 1
    assert clean.api("GET", "/api/client", params={"page": "x"}).json()["meta"]["pagination"]["current_page"] == 1


def test_per_page_caps(start_sandbox):
    sb = start_sandbox(servers=120, virtual=True)

    def meta(**params):
        return sb.api("GET", "/api/client", params=params).json()["meta"]["pagination"]

    assert meta()["per_page"] == 50 and meta()["total_pages"] == 3
    assert meta(per_page=150)["per_page"] == 100
    assert meta(per_page=0)["per_page"] == 15
    assert meta(per_page=7)["count"] == 7
    last = meta(per_page=100, page=2)
    assert last["count"] == 20 and last["links"] == {"previous": sb["panel_url"] + "/api/client?per_page=100&page=1"}
    # names padded to the fleet size
    assert sb["servers"][0]["name"] == "mc-001"


# ------------------------------------------------------------------ single server, permissions, account


def test_view_server(clean):
    s = clean["servers"][0]
    for ref in (s["identifier"], s["uuid"]):
        body = clean.api("GET", f"/api/client/servers/{ref}").json()
        assert body["meta"] == {"is_server_owner": True, "user_permissions": ["*"]}
        assert body["attributes"]["uuid"] == s["uuid"]
    body = clean.api("GET", f"/api/client/servers/{s['identifier']}", key="admin").json()
    assert body["meta"] == {
        "is_server_owner": False,
        "user_permissions": ["*", "admin.websocket.errors", "admin.websocket.install", "admin.websocket.transfer"],
    }
    body = clean.api("GET", f"/api/client/servers/{s['identifier']}", key="subuser").json()
    assert body["meta"] == {"is_server_owner": False, "user_permissions": s["subusers"]["helper"]}
    body = clean.api("GET", f"/api/client/servers/{s['identifier']}?include=subusers,egg").json()
    subs = body["attributes"]["relationships"]["subusers"]["data"]
    assert subs[0]["object"] == "server_subuser"
    assert subs[0]["attributes"]["username"] == "helper"
    assert subs[0]["attributes"]["permissions"] == s["subusers"]["helper"]
    assert set(body["attributes"]["limits"]) == {"memory", "swap", "disk", "io", "cpu", "threads", "oom_disabled"}


def test_permissions_and_account(clean):
    perms = clean.api("GET", "/api/client/permissions").json()
    assert perms["object"] == "system_permissions"
    groups = perms["attributes"]["permissions"]
    assert list(groups) == [
        "websocket",
        "control",
        "user",
        "file",
        "backup",
        "allocation",
        "startup",
        "database",
        "schedule",
        "settings",
        "activity",
    ]
    assert list(groups["control"]["keys"]) == ["console", "start", "stop", "restart"]
    acct = clean.api("GET", "/api/client/account").json()
    assert acct["object"] == "user"
    assert list(acct["attributes"]) == ["id", "admin", "username", "email", "first_name", "last_name", "language"]
    assert acct["attributes"]["username"] == "owner" and acct["attributes"]["admin"] is False
    assert clean.api("GET", "/api/client/account", key="admin").json()["attributes"]["admin"] is True
    act = clean.api("GET", "/api/client/account/activity").json()
    assert act["object"] == "list" and act["meta"]["pagination"]["per_page"] == 25


# ------------------------------------------------------------------ JWT


def test_websocket_token_claims(clean):
    s = clean["servers"][0]
    resp = clean.api("GET", f"/api/client/servers/{s['identifier']}/websocket")
    assert resp.status_code == 200
    data = resp.json()
    assert list(data) == ["data"]
    token, socket = data["data"]["token"], data["data"]["socket"]
    wings = clean["wings_url"]
    assert socket == wings.replace("http://", "ws://") + f"/api/servers/{s['uuid']}/ws"
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"typ": "JWT", "alg": "HS256", "jti": claims["jti"]}
    assert list(claims) == [
        "iss",
        "aud",
        "jti",
        "iat",
        "nbf",
        "exp",
        "server_uuid",
        "permissions",
        "user_uuid",
        "user_id",
        "unique_id",
    ]
    assert claims["iss"] == clean["panel_url"]
    assert claims["aud"] == [wings]
    assert claims["nbf"] == claims["iat"] - 300
    assert claims["exp"] == claims["iat"] + 600
    assert abs(claims["iat"] - time.time()) < 5
    assert claims["server_uuid"] == s["uuid"]
    assert claims["permissions"] == ["*"]
    assert claims["user_uuid"] == clean["users"]["owner"]
    assert claims["jti"] == hashlib.md5(f"{claims['user_id']}{s['uuid']}".encode()).hexdigest()
    assert len(claims["unique_id"]) == 16 and claims["unique_id"].isalnum()
    # subuser gets its stored list, admin the admin list
    sub = clean.api("GET", f"/api/client/servers/{s['identifier']}/websocket", key="subuser").json()
    assert (
        jwt.decode(sub["data"]["token"], options={"verify_signature": False})["permissions"] == s["subusers"]["helper"]
    )
    adm = clean.api("GET", f"/api/client/servers/{s['identifier']}/websocket", key="admin").json()
    assert jwt.decode(adm["data"]["token"], options={"verify_signature": False})["permissions"][1:] == [
        "admin.websocket.errors",
        "admin.websocket.install",
        "admin.websocket.transfer",
    ]


def test_token_ttl_setting(start_sandbox):
    sb = start_sandbox(servers=1, virtual=True, token_ttl=42)
    sid = sb["servers"][0]["identifier"]
    claims = jwt.decode(
        sb.api("GET", f"/api/client/servers/{sid}/websocket").json()["data"]["token"],
        options={"verify_signature": False},
    )
    assert claims["exp"] - claims["iat"] == 42
    sb.control("PATCH", "/settings", json={"token_ttl": 77})
    claims = jwt.decode(
        sb.api("GET", f"/api/client/servers/{sid}/websocket").json()["data"]["token"],
        options={"verify_signature": False},
    )
    assert claims["exp"] - claims["iat"] == 77


# ------------------------------------------------------------------ resources, power, command, activity


def test_power_command_resources_activity(clean):
    s = clean.server("mc-04")
    sid = s["identifier"]
    base = f"/api/client/servers/{sid}"
    res = clean.api("GET", base + "/resources").json()
    assert res["object"] == "stats"
    assert res["attributes"]["current_state"] == "offline"
    assert list(res["attributes"]["resources"]) == [
        "memory_bytes",
        "cpu_absolute",
        "disk_bytes",
        "network_rx_bytes",
        "network_tx_bytes",
        "uptime",
    ]
    resp = clean.api("POST", base + "/power", json={"signal": " start"})
    assert resp.status_code == 204 and resp.text == ""
    assert "Content-Type" not in resp.headers
    wait_for(lambda: clean.control("GET", f"/servers/{sid}").json()["state"] == "running")
    # the 20 s cache still says offline although the runtime runs
    assert clean.api("GET", base + "/resources").json()["attributes"]["current_state"] == "offline"
    # shared by every user
    assert clean.api("GET", base + "/resources", key="admin").json()["attributes"]["current_state"] == "offline"
    clean.control("POST", "/reset")
    res = clean.api("GET", base + "/resources").json()["attributes"]
    assert res["current_state"] == "running" and res["resources"]["uptime"] > 0
    resp = clean.api("POST", base + "/command", json={"command": "  say hello  "})
    assert resp.status_code == 204
    clean.api("POST", base + "/power", json={"signal": "stop"})
    wait_for(lambda: clean.control("GET", f"/servers/{sid}").json()["state"] == "offline")
    act = clean.api("GET", base + "/activity", params={"sort": "-timestamp", "include[]": "actor"}).json()
    events = [a["attributes"]["event"] for a in act["data"]]
    assert events[:3] == ["server:power.stop", "server:console.command", "server:power.start"]
    cmd = act["data"][1]["attributes"]
    assert cmd["properties"] == {"command": "say hello"}
    assert cmd["batch"] is None and cmd["is_api"] is True and cmd["ip"] == "127.0.0.1"
    assert cmd["has_additional_metadata"] is False and cmd["description"] is None
    assert act["data"][0]["attributes"]["properties"] == {}
    assert cmd["relationships"]["actor"]["attributes"]["username"] == "owner"
    assert len(cmd["id"]) == 40
    asc = clean.api("GET", base + "/activity", params={"sort": "timestamp"}).json()
    assert [a["attributes"]["event"] for a in asc["data"]][-3:] == events[:3][::-1]
    assert "relationships" not in asc["data"][0]["attributes"]
    filtered = clean.api("GET", base + "/activity", params={"filter[event]": "POWER"}).json()
    assert {a["attributes"]["event"] for a in filtered["data"]} <= {"server:power.start", "server:power.stop"}
    assert len(filtered["data"]) >= 2
    # ip hidden from other viewers, visible to admins
    helper_view = clean.api("GET", f"/api/client/servers/{clean.server('mc-01')['identifier']}/activity", key="subuser")
    assert helper_view.status_code == 200
    paged = clean.api("GET", base + "/activity", params={"per_page": 1, "sort": "-timestamp"}).json()
    assert paged["meta"]["pagination"]["per_page"] == 1
    assert paged["meta"]["pagination"]["links"]["next"].endswith("?per_page=1&sort=-timestamp&page=2")


def test_activity_ip_visibility(clean):
    s = clean.server("mc-01")
    base = f"/api/client/servers/{s['identifier']}"
    clean.api("POST", base + "/power", key="subuser", json={"signal": "start"})
    wait_for(lambda: clean.control("GET", f"/servers/{s['identifier']}").json()["state"] == "running")
    try:
        own = clean.api("GET", base + "/activity", params={"sort": "-timestamp"}).json()["data"][0]["attributes"]
        assert own["event"] == "server:power.start"
        assert own["ip"] is None  # the owner did not do it and is not an admin
        assert (
            clean.api("GET", base + "/activity", key="admin", params={"sort": "-timestamp"}).json()["data"][0][
                "attributes"
            ]["ip"]
            == "127.0.0.1"
        )
        assert (
            clean.api("GET", base + "/activity", key="subuser", params={"sort": "-timestamp"}).json()["data"][0][
                "attributes"
            ]["ip"]
            == "127.0.0.1"
        )
    finally:
        clean.control("PATCH", f"/servers/{s['identifier']}", json={"state": "offline"})


# ------------------------------------------------------------------ rate limit


def test_rate_limit(start_sandbox):
    sb = start_sandbox(servers=2, virtual=True, rate_limit=5)
    remaining = [sb.api("GET", "/api/client/account").headers["X-RateLimit-Remaining"] for _unused in range(5)]
    assert remaining == ["4", "3", "2", "1", "0"]
    resp = sb.api("GET", "/api/client")
    assert resp.status_code == 429
    assert resp.json() == {
        "errors": [{"code": "ThrottleRequestsException", "status": "429", "detail": "Too Many Attempts."}]
    }
    assert resp.headers["X-RateLimit-Limit"] == "5"
    assert resp.headers["X-RateLimit-Remaining"] == "0"
    retry = int(resp.headers["Retry-After"])
    assert 55 <= retry <= 60
    assert abs(int(resp.headers["X-RateLimit-Reset"]) - (time.time() + retry)) <= 2
    # 429 comes before 404 and 403
    assert sb.api("GET", "/api/client/servers/zzzzzzzz").status_code == 429
    # per user: another user still has its own window; 401 is not throttled
    other = sb.api("GET", "/api/client", key="other")
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "4"
    assert sb.api("GET", "/api/client", key=None).status_code == 401
    # the same user's other keys share the bucket (admin has a client and an application key)
    for _unused in range(5):
        sb.api("GET", "/api/client", key="admin")
    assert sb.api("GET", "/api/client", key="application").status_code == 429
    # control: raise the limit, reset the windows
    sb.control("PATCH", "/settings", json={"rate_limit": 100})
    sb.control("POST", "/reset")
    resp = sb.api("GET", "/api/client")
    assert resp.status_code == 200 and resp.headers["X-RateLimit-Limit"] == "100"
    assert resp.headers["X-RateLimit-Remaining"] == "99"


def test_link_encoding_rfc3986(clean):
    resp = clean.api("GET", "/api/client", params={"filter[description]": "sandbox server", "per_page": 1})
    nxt = resp.json()["meta"]["pagination"]["links"]["next"]
    assert "filter%5Bdescription%5D=sandbox%20server" in nxt
    assert urllib.parse.urlsplit(nxt).path == "/api/client"
