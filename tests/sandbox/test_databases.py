"""The databases family, both flavors (reference panel-client-api-config.md §8): shapes, names, passwords, the
refusals and their texts, hosts from the fleet file, permissions, bindings."""

from __future__ import annotations

import re

from families_expect import (
    GENERIC_500,
    NOT_FOR_SERVER,
    NOT_FOUND_UNKNOWN,
    Server,
    errors,
    flavored,
    settings,
)

NO_HOST = "No database host was found that meets the requirements for this server."
TOO_MANY = "Operation aborted: creating a new database would put this server over the defined limit."
IN_USE = "The database name you have selected is already in use by this server."

pt_sandbox, pl_sandbox, sb = flavored("databases")


def server_id(client: Server) -> int:
    return client.ok("GET", "")["attributes"]["internal_id"]


def test_create_list_rotate_delete(sb):
    extra = Server(sb, "extra")
    sid = server_id(extra)
    made = extra.ok("POST", "/databases", json={"database": "world_data", "remote": "%"})
    attrs = made["attributes"]
    if sb["flavor"] == "pelican":
        assert isinstance(attrs["id"], int)
    else:
        assert re.fullmatch(r"[a-zA-Z0-9]{8,}", attrs["id"]) and not attrs["id"].isdigit()
    assert attrs["host"] == {"address": "db1.sandbox.test", "port": 3306}
    assert attrs["name"] == f"s{sid}_world_data" and attrs["connections_from"] == "%"
    assert re.fullmatch(rf"u{sid}_[a-zA-Z0-9]{{10}}", attrs["username"]) and attrs["max_connections"] is None
    password = attrs["relationships"]["password"]
    assert password["object"] == "database_password" and len(password["attributes"]["password"]) == 24
    assert {"name": attrs["name"]} in extra.events("server:database.create")
    plain = extra.ok("GET", "/databases")["data"][0]["attributes"]
    assert "relationships" not in plain
    listed = extra.ok("GET", "/databases", params={"include": "password"})["data"][0]["attributes"]
    assert listed["relationships"]["password"] == password
    rotated = extra.ok("POST", f"/databases/{attrs['id']}/rotate-password")["attributes"]
    assert rotated["relationships"]["password"]["attributes"]["password"] != password["attributes"]["password"]
    assert {"name": attrs["name"]} in extra.events("server:database.rotate-password")
    extra.ok("DELETE", f"/databases/{attrs['id']}", status=204)
    assert {"name": attrs["name"]} in extra.events("server:database.delete")
    assert extra.ok("GET", "/databases")["data"] == []


def test_rules_limit_and_texts(sb):
    main = Server(sb, "main")
    first = main.ok("POST", "/databases", json={"database": "dup", "remote": "10.0.0.%"})["attributes"]
    again = main("POST", "/databases", json={"database": "dup", "remote": "bad remote!"})
    assert errors(again) == [
        ("ValidationException", "422", IN_USE),
        ("ValidationException", "422", "The remote format is invalid."),
    ]
    short = main("POST", "/databases", json={"database": "a!", "remote": "%"})
    assert [e[2] for e in errors(short)] == [
        "The database may only contain letters, numbers, and dashes.",
        "The database must be at least 3 characters.",
    ]
    long_name = main("POST", "/databases", json={"database": "d" * 49, "remote": "%"})
    assert errors(long_name) == [("ValidationException", "422", "The database may not be greater than 48 characters.")]
    main.ok("POST", "/databases", json={"database": "second", "remote": "%"})
    over = main("POST", "/databases", json={"database": "third", "remote": "%"})
    assert errors(over) == [("TooManyDatabasesException", "400", TOO_MANY)]
    assert main("POST", "/databases", "reader", json={"database": "x", "remote": "%"}).status_code == 403
    hidden = main.ok("GET", "/databases", "reader", params={"include": "password"})["data"][0]["attributes"]
    assert hidden["relationships"]["password"] == {"object": "null_resource", "attributes": None}
    assert main("POST", f"/databases/{first['id']}/rotate-password", "reader").status_code == 403
    assert main("DELETE", f"/databases/{first['id']}", "reader").status_code == 403
    spare = Server(sb, "spare")
    assert errors(spare("DELETE", f"/databases/{first['id']}")) == [("NotFoundHttpException", "404", NOT_FOR_SERVER)]
    assert errors(main("DELETE", "/databases/999999")) == [("NotFoundHttpException", "404", NOT_FOUND_UNKNOWN)]
    for item in main.ok("GET", "/databases")["data"]:
        main.ok("DELETE", f"/databases/{item['attributes']['id']}", status=204)


def test_hosts_and_the_client_features(sb):
    faraway = Server(sb, "faraway")  # on node-2, which has no database host
    try:
        settings(sb, client_features={"databases": {"allow_random": False}})
        refused = faraway("POST", "/databases", json={"database": "abc", "remote": "%"})
        assert errors(refused) == [("NoSuitableDatabaseHostException", "400", NO_HOST)]
        settings(sb, client_features={"databases": {"allow_random": True, "enabled": False}})
        disabled = faraway("POST", "/databases", json={"database": "abc", "remote": "%"})
        code = "DatabaseClientFeatureNotEnabledException"
        assert errors(disabled) == [(code, "500", GENERIC_500)]
    finally:
        settings(sb, client_features={"databases": {"allow_random": True, "enabled": True}})
    # a random host of another node; a null limit is no limit; max_databases is not checked
    made = [faraway.ok("POST", "/databases", json={"database": f"db{i}", "remote": "%"}) for i in range(3)]
    assert {m["attributes"]["host"]["address"] for m in made} == {"db1.sandbox.test"}
    for item in made:
        faraway.ok("DELETE", f"/databases/{item['attributes']['id']}", status=204)


def test_pelican_limits_database_creation(pl_sandbox):
    settings(pl_sandbox, database_create_throttle={"count": 2, "period": 60})
    bare = Server(pl_sandbox, "bare")
    codes = [bare("POST", "/databases", json={"database": "abc", "remote": "%"}).status_code for _unused in range(3)]
    assert codes == [400, 400, 429]  # bare's limit is 0: refused, yet counted
