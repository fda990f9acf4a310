"""The backups routes of the client API (reference panel-client-api-config.md §3.1–§3.4, Pterodactyl): shapes,
the order of the create checks, every refusal text, the route binding's 404s, permissions per route, activity.
"""

from __future__ import annotations

import time

import pytest
from backups_expect import (
    ALL,
    ATOM,
    BACKUP_KEYS,
    DAEMON_500,
    IN_PROGRESS,
    LOCKED,
    NOT_FOR_SERVER,
    NOT_FOUND_UNKNOWN,
    NOT_RESTORABLE,
    RESTORING,
    SHA1,
    UNAUTHORIZED,
    UUID4,
    Backups,
    backups_fixtures,
    limit_text,
    too_many,
)
from sandbox_expect import error

pytestmark = pytest.mark.timeout(120)

sb, backups = backups_fixtures("backups")


def test_create_view_list_shapes_and_activity(backups):
    backups.put("world/level.dat", b"level")
    created = backups.create(name="  nightly  ", ignored="logs/\n\n*.tmp\n", is_locked=True)
    assert list(created) == BACKUP_KEYS
    assert UUID4.match(created["uuid"])
    assert created["name"] == "nightly" and created["ignored_files"] == ["logs/", "*.tmp"]
    assert created["is_locked"] is True and created["is_successful"] is False
    assert created["checksum"] is None and created["bytes"] == 0 and created["completed_at"] is None
    assert ATOM.match(created["created_at"])
    done = backups.done(created["uuid"])
    assert done["is_successful"] is True and SHA1.match(done["checksum"]) and ATOM.match(done["completed_at"])
    assert done["bytes"] == backups.archive(created["uuid"]).stat().st_size > 0
    default = backups.create()
    stamp = default["created_at"][:19].replace("T", " ")
    assert default["name"] == f"Backup at {stamp}"
    assert backups.create(name="0")["name"].startswith("Backup at ")  # PHP: "0" ?: the default
    assert backups("GET").json()["meta"]["pagination"]["per_page"] == 20
    listing = backups("GET", params={"per_page": 50})
    assert listing.status_code == 200
    body = listing.json()
    assert list(body) == ["object", "data", "meta"] and list(body["meta"]) == ["backup_count", "pagination"]
    items = [item["attributes"] for item in body["data"]]
    uuids = [item["uuid"] for item in items]
    assert uuids[-3] == created["uuid"] and uuids[-2] == default["uuid"]  # the table's order
    failed = [i for i in items if i["completed_at"] and not i["is_successful"]]
    assert body["meta"]["backup_count"] == len(items) - len(failed)
    starts = [p for e, p in backups.events("server:backup.start")]
    assert {"name": "nightly", "locked": True} in starts
    assert ("server:backup.complete", {"name": "nightly"}) in backups.events()
    complete = next(a for a in backups.activity() if a["event"] == "server:backup.complete")
    assert complete["is_api"] is False  # reported by the node, no user


def test_pagination_per_page_and_links(backups):
    server = Backups(backups.sb, "spare")
    for _attempt in range(3):
        server.made()
    page = server("GET", params={"per_page": 2}).json()
    pagination = page["meta"]["pagination"]
    assert len(page["data"]) == 2 and pagination["per_page"] == 2 and pagination["total_pages"] >= 2
    assert "per_page=2" in pagination["links"]["next"] and "page=2" in pagination["links"]["next"]
    assert server("GET", params={"per_page": 500}).json()["meta"]["pagination"]["per_page"] == 50
    assert server("GET", params={"per_page": "many"}).json()["meta"]["pagination"]["per_page"] == 50
    assert server("GET", params={"per_page": 0}).json()["meta"]["pagination"]["per_page"] == 15


def test_validation(backups):
    response = backups("POST", json={"name": "n" * 192, "is_locked": "yes", "ignored": ["a"]})
    assert response.status_code == 422
    details = [(e["meta"]["source_field"], e["meta"]["rule"], e["detail"]) for e in response.json()["errors"]]
    assert details == [
        ("name", "max", "The name may not be greater than 191 characters."),
        ("is_locked", "boolean", "The is locked field must be true or false."),
        ("ignored", "string", "The ignored must be a string."),
    ]
    assert backups("POST", json={"name": "n" * 191, "is_locked": "0"}).status_code == 200
    response = backups("POST", json={"name": 7})
    assert response.status_code == 422 and error(response)["detail"] == "The name must be a string."


def test_is_locked_needs_backup_delete(backups):
    made = backups.create("maker", is_locked=True)
    assert made["is_locked"] is False
    assert backups.events("server:backup.start")[0][1] == {"name": made["name"], "locked": True}
    assert backups.create("keeper", is_locked=True)["is_locked"] is True


def test_throttle_counts_in_progress_successful_and_deleted(backups):
    server = Backups(backups.sb, "throttled")
    backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"count": 2, "period": 600}})
    failing = {"server": server.server["identifier"], "fail": True}
    assert backups.sb.control("POST", "/backups/faults", json=failing).status_code == 201
    failed = server.made()
    assert failed["is_successful"] is False  # failed backups do not count
    first = server.made()
    assert server("DELETE", "/" + first["uuid"]).status_code == 204  # deleted ones do (withTrashed)
    started = time.time()
    server.create()
    response = server("POST")
    assert response.status_code == 429
    assert error(response) == {"code": "TooManyRequestsHttpException", "status": "429", "detail": too_many()}
    assert 595 <= int(response.headers["Retry-After"]) <= 600 - int(time.time() - started) + 1
    assert response.text.startswith("{\n    ")  # a Symfony HTTP exception: pretty-printed
    backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"count": 3, "period": 60}})
    server.create()
    response = server("POST")
    assert response.status_code == 429 and error(response)["detail"] == too_many(3, 60)
    backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"period": 0}})
    assert server("POST").status_code == 200


def test_feature_limit(backups):
    none = Backups(backups.sb, "none")
    response = none("POST")
    assert response.status_code == 400
    assert error(response) == {"code": "TooManyBackupsException", "status": "400", "detail": limit_text(0)}
    assert not response.text.startswith("{\n")  # a DisplayException: compact
    limited = Backups(backups.sb, "limited")
    failing = {"server": "limited", "fail": True}
    backups.sb.control("POST", "/backups/faults", json=failing)
    limited.made()  # a failed backup does not use the slot
    only = limited.create()
    response = limited("POST")
    assert response.status_code == 400 and error(response)["detail"] == limit_text(1)
    backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"count": 1, "period": 600}})
    assert limited("POST").status_code == 429  # the throttle is checked first
    backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"period": 0}})
    state = backups.sb.control("PATCH", "/servers/limited", json={"feature_limits": {"backups": 2}}).json()
    assert state["feature_limits"]["backups"] == 2
    assert limited("POST").status_code == 200
    limited.done(only["uuid"])
    assert limited("GET").json()["meta"]["backup_count"] == 2
    backups.sb.control("PATCH", "/servers/limited", json={"feature_limits": {"backups": 1}})


def test_lock_toggles_and_the_locked_delete(backups):
    made = backups.made()
    path = "/" + made["uuid"]
    locked = backups("POST", path + "/lock")
    assert locked.status_code == 200 and locked.json()["attributes"]["is_locked"] is True
    response = backups("DELETE", path)
    assert response.status_code == 400
    assert error(response) == {"code": "BackupLockedException", "status": "400", "detail": LOCKED}
    assert backups("POST", path + "/lock").json()["attributes"]["is_locked"] is False
    assert backups("DELETE", path).status_code == 204
    events = backups.events("server:backup.lock", "server:backup.unlock", "server:backup.delete")[:3]
    assert events == [
        ("server:backup.delete", {"name": made["name"], "failed": False}),
        ("server:backup.unlock", {"name": made["name"]}),
        ("server:backup.lock", {"name": made["name"]}),
    ]
    response = backups("GET", path)
    assert response.status_code == 404 and error(response)["detail"] == NOT_FOUND_UNKNOWN
    assert made["uuid"] not in [i["attributes"]["uuid"] for i in backups("GET").json()["data"]]
    assert not backups.archive(made["uuid"]).exists()


def test_locked_in_progress_and_failed_backups_can_be_deleted(backups):
    backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": 3})
    running = backups.create(is_locked=True)
    assert backups("DELETE", "/" + running["uuid"]).status_code == 204
    assert backups.events("server:backup.delete")[0][1] == {"name": running["name"], "failed": True}
    backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": 0.1})
    backups.sb.control("POST", "/backups/faults", json={"server": "main", "fail": True})
    failed = backups.made(is_locked=True)
    assert failed["is_locked"] is False  # a failed backup is unlocked by the node's report
    assert backups("POST", f"/{failed['uuid']}/lock").json()["attributes"]["is_locked"] is True
    assert backups("DELETE", "/" + failed["uuid"]).status_code == 204  # no archive: the node's 404 is ignored


def test_restore_refusals(backups):
    backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": 2})
    running = backups.create()
    response = backups("POST", f"/{running['uuid']}/restore", json={"truncate": False})
    assert response.status_code == 400
    assert error(response) == {"code": "BadRequestHttpException", "status": "400", "detail": IN_PROGRESS}
    response = backups("POST", f"/{running['uuid']}/restore", json={})
    assert response.status_code == 422 and error(response)["detail"] == "The truncate field is required."
    response = backups("POST", f"/{running['uuid']}/restore", json={"truncate": "yes"})
    assert error(response)["detail"] == "The truncate field must be true or false."
    done = backups.done(running["uuid"])
    backups.sb.control("PATCH", "/servers/main", json={"status": "reinstall_failed"})
    try:
        response = backups("POST", f"/{done['uuid']}/restore", json={"truncate": False})
        assert response.status_code == 400 and error(response)["detail"] == NOT_RESTORABLE
    finally:
        backups.sb.control("PATCH", "/servers/main", json={"status": None})
    backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": 0.1})
    backups.sb.control("POST", "/backups/faults", json={"server": "main", "fail": True})
    failed = backups.made()
    response = backups("POST", f"/{failed['uuid']}/restore", json={"truncate": False})  # passes the panel
    assert response.status_code == 500 and DAEMON_500.match(error(response)["detail"])  # no archive on the node
    assert backups.status() is None  # rolled back


def test_restoring_status_is_a_409_everywhere(backups):
    made = backups.made()
    backups.sb.control("PATCH", "/servers/main", json={"status": "restoring_backup"})
    try:
        for method, tail in (("GET", ""), ("POST", ""), ("GET", "/" + made["uuid"]), ("DELETE", "/" + made["uuid"])):
            response = backups(method, tail)
            assert response.status_code == 409 and error(response)["detail"] == RESTORING, (method, tail)
        # the backup is bound before the state checks: an unknown one is a 404 even now
        response = backups("GET", "/0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
        assert response.status_code == 404 and error(response)["detail"] == NOT_FOUND_UNKNOWN
    finally:
        backups.sb.control("PATCH", "/servers/main", json={"status": None})


def test_another_servers_backup_and_hidden_servers(backups):
    spare = Backups(backups.sb, "spare")
    theirs = spare.made()
    for method, tail in (("GET", ""), ("GET", "/download"), ("POST", "/lock"), ("DELETE", "")):
        response = backups(method, "/" + theirs["uuid"] + tail)
        assert response.status_code == 404 and error(response)["detail"] == NOT_FOR_SERVER, tail
    response = backups("POST", f"/{theirs['uuid']}/restore", json={"truncate": False})
    assert response.status_code == 404 and error(response)["detail"] == NOT_FOR_SERVER
    backups.sb.control("PATCH", "/servers/main", json={"status": "restoring_backup"})
    try:  # ResourceBelongsToServer runs after the 409 checks
        assert backups("GET", "/" + theirs["uuid"]).status_code == 409
    finally:
        backups.sb.control("PATCH", "/servers/main", json={"status": None})
    response = backups("GET", "", "other")
    assert response.status_code == 404
    assert error(response)["detail"] == "The requested resource does not exist on this server."
    assert backups("GET", "", "admin").status_code == 200


ROUTES = [  # (method, tail, permission, body, the answer with the permission: a later check or success)
    ("GET", "", "backup.read", None, 200),
    ("POST", "", "backup.create", {"name": "n" * 300}, 422),
    ("GET", "/{uuid}", "backup.read", None, 200),
    ("GET", "/{uuid}/download", "backup.download", None, 200),
    ("POST", "/{uuid}/lock", "backup.delete", None, 200),
    ("POST", "/{uuid}/restore", "backup.restore", {}, 422),
    ("DELETE", "/{locked}", "backup.delete", None, 400),
]


@pytest.mark.parametrize(
    ("method", "tail", "permission", "body", "allowed"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_permission_per_route(backups, method, tail, permission, body, allowed):
    made = backups.made()
    locked = backups.made(is_locked=True)
    path = tail.format(uuid=made["uuid"], locked=locked["uuid"])
    backups.permit("probe", [p for p in ALL if p != permission] + ["websocket.connect"])
    response = backups(method, path, "probe", json=body)
    assert response.status_code == 403 and error(response)["detail"] == UNAUTHORIZED
    backups.permit("probe", [permission])
    response = backups(method, path, "probe", json=body)
    assert response.status_code == allowed, response.text


def test_unreachable_node(backups):
    far = Backups(backups.sb, "far")
    response = far("POST")
    assert response.status_code == 504
    assert error(response)["code"] == "DaemonConnectionException"
    assert far("GET").json()["data"] == []  # the row is rolled back


def test_verbs_and_routes(backups):
    made = backups.made()
    response = backups("PATCH")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, POST"
    response = backups("PUT", "/" + made["uuid"])
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, DELETE"
    assert backups("HEAD").status_code == 200
    response = backups("PUT", f"/{made['uuid']}/rename", json={"name": "x"})  # Pelican's route only
    assert response.status_code == 404 and error(response)["detail"].endswith("/rename could not be found.")
    assert "is_scheduled" not in made
