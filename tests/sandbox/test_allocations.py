"""The network allocations family, both flavors (reference panel-client-api-config.md §9): assignment from the
node's pool and the client range, the refusals and their texts, notes, primary, delete and release."""

from __future__ import annotations

from families_expect import GENERIC_500, NOT_FOR_SERVER, NOT_FOUND_UNKNOWN, WIDE, Server, errors, flavored, settings

LIMIT_REACHED = "Cannot assign additional allocations to this server: limit has been reached."
NOT_ENABLED = "Server auto-allocation is not enabled for this instance."
NO_SPACE = "Cannot assign additional allocation: no more space available on node."
NO_LIMIT = "You cannot delete allocations for this server: no allocation limit is set."
PRIMARY = "You cannot delete the primary allocation for this server."
KEYS = ["id", "ip", "ip_alias", "port", "notes", "is_default"]

pt_sandbox, pl_sandbox, sb = flavored("allocations")


def ports(client: Server) -> list[int]:
    return [item["attributes"]["port"] for item in client.ok("GET", "/network/allocations")["data"]]


def test_assign_from_the_pool_then_the_range_then_refuse(sb):
    main = Server(sb, "main")
    primary = ports(main)
    pool, ranged = {26000, 26001}, {27000, 27001}
    if sb["flavor"] == "pelican":  # PL looks only within the range, and creates there: 2 ports
        made = [main.ok("POST", "/network/allocations")["attributes"] for _unused in range(2)]
        assert {m["port"] for m in made} == ranged
        refused = main("POST", "/network/allocations")
        assert errors(refused) == [("NoAutoAllocationSpaceAvailableException", "400", NO_SPACE)]
    else:  # PT takes the node's free ports first (any port), then creates in the range
        made = [main.ok("POST", "/network/allocations")["attributes"] for _unused in range(3)]
        assert {m["port"] for m in made[:2]} == pool and made[2]["port"] in ranged
        assert errors(main("POST", "/network/allocations")) == [("DisplayException", "400", LIMIT_REACHED)]
    assert list(made[0]) == KEYS and all(m["is_default"] is False for m in made)
    assert ports(main) == primary + [m["port"] for m in made]
    assert {"allocation": f"127.0.0.1:{made[0]['port']}"} in main.events("server:allocation.create")
    extra = Server(sb, "extra")
    got = [extra("POST", "/network/allocations") for _unused in range(2)]
    codes = [r.status_code for r in got]
    assert 400 in codes and got[codes.index(400)].json()["errors"][0]["detail"] == NO_SPACE
    for item in [r.json()["attributes"] for r in got if r.status_code == 200]:
        extra.ok("DELETE", f"/network/allocations/{item['id']}", status=204)
    for item in made:
        main.ok("DELETE", f"/network/allocations/{item['id']}", status=204)
    assert ports(main) == primary


def test_the_features_and_the_limits(sb):
    bare, spare = Server(sb, "bare"), Server(sb, "spare")
    assert errors(bare("POST", "/network/allocations")) == [("DisplayException", "400", LIMIT_REACHED)]
    assert errors(spare("POST", "/network/allocations")) == [("DisplayException", "400", LIMIT_REACHED)]
    own = bare.ok("GET", "/network/allocations")["data"][0]["attributes"]
    assert errors(bare("DELETE", f"/network/allocations/{own['id']}")) == [("DisplayException", "400", NO_LIMIT)]
    faraway = Server(sb, "faraway")
    try:
        settings(sb, client_features={"allocations": {"enabled": False}})
        off = faraway("POST", "/network/allocations")
        assert errors(off) == [("AutoAllocationNotEnabledException", "400", NOT_ENABLED)]
        settings(sb, client_features={"allocations": {"enabled": True, "range_start": None, "range_end": None}})
        no_range = faraway("POST", "/network/allocations")
        if sb["flavor"] == "pelican":
            assert errors(no_range) == [("InvalidArgumentException", "500", GENERIC_500)]
        else:
            assert errors(no_range) == [("NoAutoAllocationSpaceAvailableException", "400", NO_SPACE)]
    finally:
        settings(sb, client_features={"allocations": {"enabled": True, "range_start": 27000, "range_end": 27001}})


def test_notes_primary_and_delete(sb):
    faraway = Server(sb, "faraway")
    first = faraway.ok("GET", "/network/allocations")["data"][0]["attributes"]
    second = faraway.ok("POST", "/network/allocations")["attributes"]
    target = f"/network/allocations/{second['id']}"
    missing = faraway("POST", target, json={})
    assert errors(missing) == [("ValidationException", "422", "The notes field must be present.")]
    long_notes = faraway("POST", target, json={"notes": "n" * 257})
    assert errors(long_notes) == [("ValidationException", "422", "The notes may not be greater than 256 characters.")]
    noted = faraway.ok("POST", target, json={"notes": "query port"})["attributes"]
    assert noted["notes"] == "query port"
    faraway.ok("POST", target, json={"notes": "query port"})
    address = f"127.0.0.1:{second['port']}"
    old = "" if sb["flavor"] == "pelican" else None  # PL shows values as strings
    assert faraway.events("server:allocation.notes") == [{"allocation": address, "old": old, "new": "query port"}]
    primary = faraway.ok("POST", target + "/primary")["attributes"]
    assert primary["is_default"] is True
    listed = {
        a["attributes"]["id"]: a["attributes"]["is_default"] for a in faraway.ok("GET", "/network/allocations")["data"]
    }
    assert listed == {first["id"]: False, second["id"]: True}
    assert {"allocation": address} in faraway.events("server:allocation.primary")
    deleted = faraway("DELETE", target)
    if sb["flavor"] == "pelican":
        assert deleted.status_code == 204
    else:
        assert errors(deleted) == [("DisplayException", "400", PRIMARY)]
        faraway.ok("POST", f"/network/allocations/{first['id']}/primary")
        faraway.ok("DELETE", target, status=204)
    assert {"allocation": address} in faraway.events("server:allocation.delete")
    main = Server(sb, "main")
    assert errors(main("POST", target, json={"notes": None})) == [("NotFoundHttpException", "404", NOT_FOR_SERVER)]
    assert errors(main("DELETE", "/network/allocations/999999")) == [
        ("NotFoundHttpException", "404", NOT_FOUND_UNKNOWN)
    ]
    assert main("GET", "/network/allocations", "reader").status_code == 200
    own = main.ok("GET", "/network/allocations")["data"][0]["attributes"]["id"]
    for method, op in (("POST", ""), ("POST", f"/{own}"), ("POST", f"/{own}/primary"), ("DELETE", f"/{own}")):
        assert main(method, "/network/allocations" + op, "reader", json={"notes": None}).status_code == 403


def test_pelican_limits_allocation_creation_per_server(pl_sandbox):
    assert pl_sandbox.control("POST", "/reset").status_code in (200, 204)  # the windows of the tests before
    settings(pl_sandbox, allocation_create_throttle={"count": 2, "period": 60})
    try:
        bare, faraway = Server(pl_sandbox, "bare"), Server(pl_sandbox, "faraway")
        asked = [bare("POST", "/network/allocations") for _unused in range(3)]
        assert [r.status_code for r in asked] == [400, 400, 429]  # bare has no room: refused, yet counted
        assert errors(asked[2]) == [("ThrottleRequestsException", "429", "Too Many Attempts.")]
        assert faraway("POST", "/network/allocations").status_code != 429  # a window per server
    finally:
        settings(pl_sandbox, allocation_create_throttle=WIDE)
