"""The subusers family, both flavors (reference panel-client-api-config.md §7): shapes, the refusals and their
texts, cleaned permissions, new panel users, token revocation, and that a subuser made here has exactly its
permissions on every route."""

from __future__ import annotations

import jwt
from families_expect import NOT_FOUND_UNKNOWN, UNAUTHORIZED, Server, errors, flavored, settings

ESCALATION = "Cannot assign permissions to a subuser that your account does not actively possess."
IS_OWNER = "You cannot add the server owner as a subuser for this server."
EXISTS = "A user with that email address is already assigned as a subuser for this server."

pt_sandbox, pl_sandbox, sb = flavored("subusers")


def users(sb) -> dict[str, dict]:
    return {u["username"]: u for u in sb.control("GET", "/state").json()["users"]}


def test_create_list_view_and_a_new_panel_user(sb):
    main = Server(sb, "extra")
    asked = ["schedule.read", "bogus.key", "control.console"]
    made = main.ok("POST", "/users", json={"email": "Fresh.Player@example.com", "permissions": asked})
    attrs = made["attributes"]
    assert made["object"] == "server_subuser" and attrs["email"] == "Fresh.Player@example.com"
    assert attrs["username"].startswith("Fresh.Player") and len(attrs["username"]) == len("Fresh.Player") + 3
    if sb["flavor"] == "pelican":
        assert attrs["permissions"] == ["control.console", "schedule.read", "websocket.connect"]
        assert "root_admin" in attrs
    else:
        assert attrs["permissions"] == ["schedule.read", "control.console", "websocket.connect"]
        assert list(attrs) == ["uuid", "username", "email", "image", "2fa_enabled", "created_at", "permissions"]
    assert users(sb)[attrs["username"]]["uuid"] == attrs["uuid"]
    listed = main.ok("GET", "/users")["data"]
    assert attrs["uuid"] in [item["attributes"]["uuid"] for item in listed]
    assert main.ok("GET", f"/users/{attrs['uuid']}")["attributes"] == attrs
    event = main.events("server:subuser.create")[-1]
    assert event["email"] == "Fresh.Player@example.com"
    # the new user is a subuser with exactly these rights
    assert attrs["username"] in main.state()["subusers"]
    main.ok("DELETE", f"/users/{attrs['uuid']}", status=204)


def test_refusals_and_their_texts(sb):
    main = Server(sb, "main")
    owner_email = "owner@example.com"
    assert errors(main("POST", "/users", json={"email": owner_email, "permissions": ["control.console"]})) == [
        ("UserIsServerOwnerException", "400", IS_OWNER)
    ]
    taken = main("POST", "/users", json={"email": "reader@example.com", "permissions": ["control.console"]})
    assert errors(taken) == [("ServerSubuserExistsException", "400", EXISTS)]
    longest = 255 if sb["flavor"] == "pelican" else 191
    long_email = "a" * longest + "@example.com"
    too_long = main("POST", "/users", json={"email": long_email, "permissions": ["control.console"]})
    assert errors(too_long) == [
        ("ValidationException", "422", f"The email must be between 1 and {longest} characters.")
    ]
    empty = main("POST", "/users", json={"email": "x@example.com", "permissions": []})
    assert errors(empty) == [("ValidationException", "422", "The permissions field is required.")]
    bad = main("POST", "/users", json={"email": "not an email", "permissions": ["control.console"]})
    assert errors(bad) == [("ValidationException", "422", "The email must be a valid email address.")]
    # the manager holds user.* but not file.read: escalation, even for an unknown key
    for asked in (["file.read"], ["made.up"]):
        escalate = main("POST", "/users", "manager", json={"email": "x@example.com", "permissions": asked})
        assert errors(escalate) == [("HttpForbiddenException", "403", ESCALATION)]
    manager = users(sb)["manager"]["uuid"]
    for method in ("GET", "POST", "DELETE"):
        mine = main(method, f"/users/{manager}", "manager", json={"permissions": ["control.console"]})
        assert errors(mine) == [("AccessDeniedHttpException", "403", UNAUTHORIZED)]
    owner = users(sb)["owner"]["uuid"]
    assert errors(main("GET", f"/users/{owner}")) == [("NotFoundHttpException", "404", NOT_FOUND_UNKNOWN)]
    assert main("GET", "/users", "probe").status_code == 403
    assert main("POST", "/users", "reader", json={}).status_code == 403


def test_update_revokes_the_token_and_the_rights_apply_everywhere(sb):
    spare = Server(sb, "spare")
    made = spare.ok("POST", "/users", json={"email": "other@example.com", "permissions": ["schedule.read"]})
    uuid = made["attributes"]["uuid"]
    assert spare("GET", "/schedules", "other").status_code == 200
    assert spare("POST", "/schedules", "other", json={}).status_code == 403
    assert spare("GET", "/databases", "other").status_code == 403
    token = spare.ok("GET", "/websocket", "other")["data"]["token"]
    same = spare.ok("POST", f"/users/{uuid}", json={"permissions": ["schedule.read"]})
    assert same["attributes"]["permissions"] == made["attributes"]["permissions"]
    assert not spare.events("server:subuser.update")  # nothing changed: no event, no revocation
    spare.ok("POST", f"/users/{uuid}", json={"permissions": ["database.read", "schedule.read"]})
    event = spare.events("server:subuser.update")[-1]
    assert event["email"] == "other@example.com"
    assert spare("GET", "/databases", "other").status_code == 200
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert jti in denied(sb)
    spare.ok("DELETE", f"/users/{uuid}", status=204)
    assert spare("GET", "/schedules", "other").status_code == 404  # no access left at all
    assert spare.events("server:subuser.delete")[-1]["email"] == "other@example.com"


def denied(sb) -> set[str]:
    """The jtis the node denies (the websocket refuses their tokens)."""
    state = sb.control("GET", "/state").json()
    return set(state.get("denied_jtis", []))


def test_pelican_limits_subuser_creation(pl_sandbox):
    settings(pl_sandbox, subuser_create_throttle={"count": 10, "period": 900})
    down = Server(pl_sandbox, "bare")
    codes = [
        down("POST", "/users", json={"email": f"p{i}@example.com", "permissions": ["x"]}).status_code for i in range(11)
    ]
    assert codes == [200] * 10 + [429]
