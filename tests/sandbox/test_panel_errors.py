"""The panel's error catalogue (reference §4.5) and check order (§2, §12)."""

from __future__ import annotations

import pathlib

import pytest
import requests

FLEETS = pathlib.Path(__file__).resolve().parents[2] / "sandbox" / "fleets"

UNKNOWN_ID = "zzzzzzzz"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


def envelope(resp, status, code, detail):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["status"] == str(status)
    assert body["errors"][0]["detail"] == detail
    return body


def no_rate_headers(resp):
    assert "X-RateLimit-Limit" not in resp.headers
    assert "X-RateLimit-Remaining" not in resp.headers


def rate_headers(resp):
    assert resp.headers["X-RateLimit-Limit"] == "720"
    assert int(resp.headers["X-RateLimit-Remaining"]) >= 0


# ------------------------------------------------------------------ 401 / 302


def test_401_compact_json(clean):
    sb = clean
    resp = sb.api("GET", "/api/client", key=None)
    assert resp.status_code == 401
    assert resp.text == '{"errors":[{"code":"AuthenticationException","status":"401","detail":"Unauthenticated."}]}'
    no_rate_headers(resp)


@pytest.mark.parametrize("token", ["ptlc_nope", "ptlc_" + "a" * 43, "garbage"])
def test_401_bad_tokens(clean, token):
    resp = clean.api("GET", "/api/client", key=token)
    envelope(resp, 401, "AuthenticationException", "Unauthenticated.")


def test_401_wrong_secret_of_real_identifier(clean):
    real = clean["keys"]["owner"]
    resp = clean.api("GET", "/api/client", key=real[:16] + "x" * 32)
    assert resp.status_code == 401


def test_401_without_json_accept_redirects_to_login(clean):
    resp = requests.get(
        clean["panel_url"] + "/api/client", allow_redirects=False, timeout=10, headers={"Authorization": "Bearer nope"}
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == clean["panel_url"] + "/auth/login"
    # XMLHttpRequest with */* counts as expecting JSON
    resp = requests.get(
        clean["panel_url"] + "/api/client",
        allow_redirects=False,
        timeout=10,
        headers={"X-Requested-With": "XMLHttpRequest", "Accept": "*/*"},
    )
    assert resp.status_code == 401


def test_bad_key_on_unknown_server_is_401(clean):
    resp = clean.api("GET", f"/api/client/servers/{UNKNOWN_ID}", key="ptlc_" + "b" * 43)
    assert resp.status_code == 401


def test_valid_key_accepted_after_bearer_anywhere(clean):
    resp = clean.api(
        "GET", "/api/client/account", key=None, headers={"Authorization": f"Token x, Bearer {clean['keys']['owner']}"}
    )
    assert resp.status_code == 200


# ------------------------------------------------------------------ 400


def test_malformed_json_is_400_before_throttle(clean):
    sid = clean["servers"][0]["identifier"]
    resp = clean.api(
        "POST", f"/api/client/servers/{sid}/command", data="{nope", headers={"Content-Type": "application/json"}
    )
    envelope(
        resp,
        400,
        "BadRequestHttpException",
        "The JSON data passed in the request appears to be malformed: Syntax error",
    )
    no_rate_headers(resp)
    # pretty-printed like Symfony HTTP exceptions
    assert resp.text.startswith('{\n    "errors": [')


def test_invalid_filter(clean):
    resp = clean.api("GET", "/api/client", params={"filter[owner]": "x"})
    envelope(
        resp,
        400,
        "InvalidFilterQuery",
        "Requested filter(s) `owner` are not allowed. Allowed filter(s) are `uuid, name, description, external_id, *`.",
    )
    rate_headers(resp)


def test_invalid_sort(clean):
    sid = clean["servers"][0]["identifier"]
    resp = clean.api("GET", f"/api/client/servers/{sid}/activity", params={"sort": "event"})
    envelope(
        resp, 400, "InvalidSortQuery", "Requested sort(s) `event` is not allowed. Allowed sort(s) are `timestamp`."
    )
    resp = clean.api("GET", f"/api/client/servers/{sid}/activity", params={"filter[ip]": "1"})
    envelope(
        resp, 400, "InvalidFilterQuery", "Requested filter(s) `ip` are not allowed. Allowed filter(s) are `event`."
    )


# ------------------------------------------------------------------ 403 application key / 404


def test_application_key_is_403(clean):
    for path in (
        "/api/client",
        "/api/client/account",
        "/api/client/permissions",
        f"/api/client/servers/{clean['servers'][0]['identifier']}",
    ):
        resp = clean.api("GET", path, key="application")
        envelope(
            resp,
            403,
            "AccessDeniedHttpException",
            "You are attempting to use an application API key on an endpoint that requires a client API key.",
        )
        rate_headers(resp)


def test_application_key_on_unknown_server_is_404(clean):
    resp = clean.api("GET", f"/api/client/servers/{UNKNOWN_ID}", key="application")
    envelope(resp, 404, "NotFoundHttpException", "The requested resource could not be found on the server.")


@pytest.mark.parametrize("ref", [UNKNOWN_ID, UNKNOWN_UUID, "1", "2bdb507d-b4b1"])
def test_unknown_server_404(clean, ref):
    resp = clean.api("GET", f"/api/client/servers/{ref}/resources")
    envelope(resp, 404, "NotFoundHttpException", "The requested resource could not be found on the server.")
    rate_headers(resp)


def test_uuid_prefix_is_not_a_server_reference(clean):
    s = clean["servers"][0]
    resp = clean.api("GET", f"/api/client/servers/{s['uuid'][:13]}")
    assert resp.status_code == 404


def test_not_visible_404(clean):
    sid = clean["servers"][0]["identifier"]
    for path in ("", "/resources", "/websocket", "/activity"):
        resp = clean.api("GET", f"/api/client/servers/{sid}{path}", key="other")
        envelope(resp, 404, "NotFoundHttpException", "The requested resource does not exist on this server.")
    resp = clean.api("POST", f"/api/client/servers/{sid}/power", key="other", json={"signal": "start"})
    envelope(resp, 404, "NotFoundHttpException", "The requested resource does not exist on this server.")


def test_subuser_sees_only_shared_servers(clean):
    shared = [s for s in clean["servers"] if "helper" in s["subusers"]]
    unshared = [s for s in clean["servers"] if "helper" not in s["subusers"]]
    assert shared and unshared
    assert clean.api("GET", f"/api/client/servers/{shared[0]['identifier']}", key="subuser").status_code == 200
    assert clean.api("GET", f"/api/client/servers/{unshared[0]['identifier']}", key="subuser").status_code == 404


def test_unknown_route_and_wrong_method(clean):
    resp = clean.api("GET", "/api/client/nothing/here")
    envelope(resp, 404, "NotFoundHttpException", "The route api/client/nothing/here could not be found.")
    no_rate_headers(resp)
    sid = clean["servers"][0]["identifier"]
    resp = clean.api("GET", f"/api/client/servers/{sid}/power")
    envelope(
        resp,
        405,
        "MethodNotAllowedHttpException",
        f"The GET method is not supported for route api/client/servers/{sid}/power. Supported methods: POST.",
    )
    assert resp.headers["Allow"] == "POST"
    resp = clean.api("POST", "/api/client")
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, HEAD"


def test_trailing_slash_matches(clean):
    assert clean.api("GET", "/api/client/account/").status_code == 200


# ------------------------------------------------------------------ 403 permission / 422


def test_power_permissions_for_subuser(clean):
    s = [s for s in clean["servers"] if "helper" in s["subusers"]][0]
    url = f"/api/client/servers/{s['identifier']}/power"
    for signal in ("stop", "kill", "restart", "random", "START"):
        resp = clean.api("POST", url, key="subuser", json={"signal": signal})
        envelope(resp, 403, "AccessDeniedHttpException", "This action is unauthorized.")
        rate_headers(resp)
    resp = clean.api("POST", url, key="subuser", json={})
    assert resp.status_code == 403


def test_power_validation_for_owner(clean):
    sid = clean["servers"][1]["identifier"]
    url = f"/api/client/servers/{sid}/power"
    resp = clean.api("POST", url, json={"signal": "random"})
    assert resp.status_code == 422
    assert resp.json() == {
        "errors": [
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The selected signal is invalid.",
                "meta": {"source_field": "signal", "rule": "in"},
            }
        ]
    }
    assert "\n" not in resp.text  # compact
    rate_headers(resp)
    for body in ({}, {"signal": ""}, {"signal": "   "}):
        resp = clean.api("POST", url, json=body)
        assert resp.status_code == 422
        assert resp.json()["errors"][0]["meta"] == {"source_field": "signal", "rule": "required"}
        assert resp.json()["errors"][0]["detail"] == "The signal field is required."
    resp = clean.api("POST", url, key="admin", json={"signal": 5})
    assert [e["meta"]["rule"] for e in resp.json()["errors"]] == ["string", "in"]


def test_command_validation_and_permission(clean):
    s = [s for s in clean["servers"] if "helper" in s["subusers"]][0]
    url = f"/api/client/servers/{s['identifier']}/command"
    for body in ({"command": ""}, {"command": "  "}, {}):
        resp = clean.api("POST", url, json=body)
        assert resp.status_code == 422
        assert resp.json()["errors"][0]["meta"] == {"source_field": "command", "rule": "required"}
    resp = clean.api("POST", url, json={"command": 123})
    assert resp.json()["errors"][0]["detail"] == "The command must be a string."
    # subuser has control.console: validation runs after authorization
    resp = clean.api("POST", url, key="subuser", json={"command": ""})
    assert resp.status_code == 422
    clean.control(
        "PUT", "/subusers", json={"server": s["identifier"], "username": "helper", "permissions": ["websocket.connect"]}
    )
    try:
        resp = clean.api("POST", url, key="subuser", json={"command": ""})
        envelope(resp, 403, "AccessDeniedHttpException", "This action is unauthorized.")
        resp = clean.api("GET", f"/api/client/servers/{s['identifier']}/activity", key="subuser")
        envelope(resp, 403, "AccessDeniedHttpException", "This action is unauthorized.")
    finally:
        clean.control(
            "PUT",
            "/subusers",
            json={"server": s["identifier"], "username": "helper", "permissions": s["subusers"]["helper"]},
        )


def test_websocket_permission(clean):
    s = [s for s in clean["servers"] if "helper" in s["subusers"]][0]
    url = f"/api/client/servers/{s['identifier']}/websocket"
    assert clean.api("GET", url, key="subuser").status_code == 200
    clean.control("PUT", "/subusers", json={"server": s["identifier"], "username": "helper", "permissions": []})
    try:
        resp = clean.api("GET", url, key="subuser")
        envelope(
            resp, 403, "HttpForbiddenException", "You do not have permission to connect to this server's websocket."
        )
        # view and resources need no permission
        assert clean.api("GET", f"/api/client/servers/{s['identifier']}", key="subuser").status_code == 200
        assert clean.api("GET", f"/api/client/servers/{s['identifier']}/resources", key="subuser").status_code == 200
    finally:
        clean.control(
            "PUT",
            "/subusers",
            json={"server": s["identifier"], "username": "helper", "permissions": s["subusers"]["helper"]},
        )


def test_command_to_offline_server_is_502_and_not_logged(clean):
    sid = clean["servers"][5]["identifier"]
    before = len(clean.api("GET", f"/api/client/servers/{sid}/activity").json()["data"])
    resp = clean.api("POST", f"/api/client/servers/{sid}/command", json={"command": "say hi"})
    envelope(resp, 502, "HttpException", "Server must be online in order to send commands.")
    rate_headers(resp)
    after = clean.api("GET", f"/api/client/servers/{sid}/activity").json()["data"]
    assert len(after) == before


# ------------------------------------------------------------------ 409 (conditions fleet)

CONFLICTS = {
    "installing": "This server has not yet completed its installation process, please try again later.",
    "install-failed": "This server has not yet completed its installation process, please try again later.",
    "suspended": "This server is currently suspended and the functionality requested is unavailable.",
    "restoring": "This server is currently restoring from a backup, please try again later.",
    "transferring": "This server is currently being transferred to a new machine, please try again later.",
    "maintenance": (
        "The node of this server is currently under maintenance and the functionality requested is unavailable."
    ),
}


@pytest.fixture
def conditions(start_sandbox):
    return start_sandbox(fleet=FLEETS / "conditions.yml", virtual=True)


def test_state_conflicts(conditions):
    sb = conditions
    for name, detail in CONFLICTS.items():
        s = sb.server(name)
        base = f"/api/client/servers/{s['identifier']}"
        view = sb.api("GET", base)
        assert view.status_code == 200, name
        for method, path, body in (
            ("GET", "/resources", None),
            ("GET", "/websocket", None),
            ("GET", "/activity", None),
            ("POST", "/power", {"signal": "start"}),
            ("POST", "/command", {"command": "x"}),
        ):
            resp = sb.api(method, base + path, json=body)
            envelope(resp, 409, "ServerStateConflictException", detail)
            assert "X-RateLimit-Remaining" in resp.headers
        # 409 comes before permission checks and validation
        resp = sb.api("POST", base + "/power", json={"signal": "nope"})
        assert resp.status_code == 409
        # admin websocket exception: not when suspended or under maintenance
        ws = sb.api("GET", base + "/websocket", key="admin")
        if name in ("suspended", "maintenance"):
            assert ws.status_code == 409, name
        else:
            assert ws.status_code == 200, name
            assert sb.api("GET", base + "/resources", key="admin").status_code == 409
    # reinstall_failed is "installed" in Pterodactyl
    s = sb.server("reinstall-failed")
    assert sb.api("GET", f"/api/client/servers/{s['identifier']}/resources").status_code == 200
    attrs = sb.api("GET", f"/api/client/servers/{s['identifier']}").json()["attributes"]
    assert attrs["status"] == "reinstall_failed" and attrs["is_installing"] is False


def test_server_flags_in_view(conditions):
    sb = conditions
    expect = {
        "installing": ("installing", False, True, False, False),
        "install-failed": ("install_failed", False, True, False, False),
        "suspended": ("suspended", True, False, False, False),
        "restoring": ("restoring_backup", False, False, False, False),
        "transferring": (None, False, False, True, False),
        "maintenance": (None, False, False, False, True),
        "normal": (None, False, False, False, False),
    }
    for name, (status, susp, inst, transf, maint) in expect.items():
        a = sb.api("GET", f"/api/client/servers/{sb.server(name)['identifier']}").json()["attributes"]
        assert (
            a["status"],
            a["is_suspended"],
            a["is_installing"],
            a["is_transferring"],
            a["is_node_under_maintenance"],
        ) == (status, susp, inst, transf, maint), name


def test_control_patch_sets_conditions(clean):
    s = clean["servers"][2]
    base = f"/api/client/servers/{s['identifier']}/resources"
    try:
        r = clean.control("PATCH", f"/servers/{s['identifier']}", json={"status": "suspended"})
        assert r.status_code == 200 and r.json()["status"] == "suspended"
        envelope(clean.api("GET", base), 409, "ServerStateConflictException", CONFLICTS["suspended"])
        clean.control("PATCH", f"/servers/{s['identifier']}", json={"status": None, "node_maintenance": True})
        envelope(clean.api("GET", base), 409, "ServerStateConflictException", CONFLICTS["maintenance"])
        clean.control("PATCH", f"/servers/{s['identifier']}", json={"node_maintenance": False, "is_transferring": True})
        envelope(clean.api("GET", base), 409, "ServerStateConflictException", CONFLICTS["transferring"])
    finally:
        clean.control(
            "PATCH",
            f"/servers/{s['identifier']}",
            json={"status": None, "node_maintenance": False, "is_transferring": False},
        )
    assert clean.api("GET", base).status_code == 200


# ------------------------------------------------------------------ 2FA, IP allow-list, unreachable node

SPECIAL_FLEET = """
two_factor_required: 1
users:
  - username: owner
    keys: [client, {type: client, allowed_ips: [10.0.0.0/8]}, {type: client, allowed_ips: [127.0.0.1/32]}]
  - {username: admin, root_admin: true}
  - {username: admin2fa, root_admin: true, use_totp: true}
nodes:
  - {name: up}
  - {name: down, unreachable: true}
servers:
  - {name: on-up, node: up, state: running}
  - {name: on-down, node: down}
"""


def test_two_factor_ip_allowlist_and_unreachable_node(start_sandbox, tmp_path):
    fleet = tmp_path / "special.yml"
    fleet.write_text(SPECIAL_FLEET)
    sb = start_sandbox(fleet=fleet, virtual=True)
    owner_keys = sb["user_keys"]["owner"]
    # 2FA required for admins without TOTP; /account exempt; no rate-limit headers (before the throttle)
    resp = sb.api("GET", "/api/client", key=sb["user_keys"]["admin"][0])
    envelope(
        resp,
        400,
        "TwoFactorAuthRequiredException",
        "Two-factor authentication is required on this account in order to access this endpoint.",
    )
    no_rate_headers(resp)
    assert sb.api("GET", "/api/client/account", key=sb["user_keys"]["admin"][0]).status_code == 200
    assert sb.api("GET", "/api/client", key=sb["user_keys"]["admin2fa"][0]).status_code == 200
    assert sb.api("GET", "/api/client", key=owner_keys[0]).status_code == 200
    # IP allow-list
    resp = sb.api("GET", "/api/client", key=owner_keys[1])
    envelope(
        resp,
        403,
        "AccessDeniedHttpException",
        "This IP address (127.0.0.1) does not have permission to access the API using these credentials.",
    )
    no_rate_headers(resp)
    assert sb.api("GET", "/api/client", key=owner_keys[2]).status_code == 200
    act = sb.api("GET", "/api/client/account/activity", key=owner_keys[0]).json()["data"]
    assert act[0]["attributes"]["event"] == "auth:ip-blocked"
    assert act[0]["attributes"]["properties"] == {"identifier": owner_keys[1][:16]}
    # unreachable Wings: 504 DaemonConnectionException (compact JSON)
    down = sb.server("on-down")["identifier"]
    for method, path, body in (
        ("GET", "/resources", None),
        ("POST", "/power", {"signal": "start"}),
        ("POST", "/command", {"command": "x"}),
    ):
        resp = sb.api(method, f"/api/client/servers/{down}{path}", key=owner_keys[0], json=body)
        envelope(
            resp,
            504,
            "DaemonConnectionException",
            "Could not establish a connection to the machine running this server. Please try again.",
        )
        assert "\n" not in resp.text
    assert sb.api("GET", f"/api/client/servers/{down}/websocket", key=owner_keys[0]).status_code == 200
    up = sb.server("on-up")
    assert up["state"] == "running"
    sb.control("PATCH", f"/servers/{up['identifier']}", json={"node_unreachable": True})
    assert (
        sb.api(
            "POST", f"/api/client/servers/{up['identifier']}/command", key=owner_keys[0], json={"command": "x"}
        ).status_code
        == 504
    )
