"""The backups routes as Pelican has them (reference panel-client-api-config.md §3.5): rename, ``is_scheduled``,
real deletes (no longer counted by the creation throttle), the restore throttle, the scoped binding of another
server's backup, PW's archive folders and the download token's scope.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import requests
from backups_expect import (
    BACKUP_KEYS,
    NOT_FOUND_UNKNOWN,
    NOT_ON_NODE,
    UNAUTHORIZED,
    Backups,
    backups_fixtures,
    too_many,
)
from sandbox_expect import claims, error

pytestmark = pytest.mark.timeout(120)

sb, backups = backups_fixtures("backups-pelican", flavor="pelican")


def test_is_scheduled_and_rename(backups):
    made = backups.made(name="first")
    keys = list(BACKUP_KEYS)
    keys.insert(3, "is_scheduled")
    assert list(made) == keys and made["is_scheduled"] is False
    path = f"/{made['uuid']}/rename"
    response = backups("PUT", path, json={"name": "second"})
    assert response.status_code == 200 and response.json()["attributes"]["name"] == "second"
    assert backups("PUT", path, json={"name": "second"}).status_code == 200  # unchanged: no activity
    renames = backups.events("server:backup.rename")
    assert renames == [("server:backup.rename", {"old_name": "first", "new_name": "second"})]
    response = backups("PUT", path, json={})
    assert response.status_code == 422 and error(response)["detail"] == "The name field is required."
    response = backups("PUT", path, json={"name": "n" * 256})
    assert error(response)["detail"] == "The name may not be greater than 255 characters."
    response = backups("PUT", path, "reader", json={"name": "third"})  # needs backup.delete
    assert response.status_code == 403 and error(response)["detail"] == UNAUTHORIZED
    response = backups("POST", path, json={"name": "x"})
    assert response.status_code == 405 and response.headers["Allow"] == "PUT"
    assert backups("POST", json={"name": "n" * 255}).status_code == 200  # Pelican's max:255


def test_deleted_backups_are_gone_for_the_throttle(backups):
    server = Backups(backups.sb, "throttled")
    backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"count": 1, "period": 600}})
    first = server.made()
    response = server("POST")
    assert response.status_code == 429 and error(response)["detail"] == too_many(1, 600)
    assert server("DELETE", "/" + first["uuid"]).status_code == 204
    assert not server.archive(first["uuid"]).exists()
    assert server("POST").status_code == 200  # Pterodactyl would still count the deleted one


def test_restore_throttle_counts_every_request(backups):
    made = backups.made()
    path = f"/{made['uuid']}/restore"
    assert backups.sb.control("GET", "/settings").json()["backup_restore_throttle"] == {"count": 3, "period": 900}
    for _attempt in range(3):
        assert backups("POST", path, json={}).status_code == 422  # refused requests count too
    response = backups("POST", path, json={"truncate": False})
    assert response.status_code == 429 and error(response)["detail"] == "Too Many Attempts."
    assert response.headers["X-RateLimit-Limit"] == "3" and response.headers["X-RateLimit-Remaining"] == "0"
    assert 890 <= int(response.headers["Retry-After"]) <= 900
    other = Backups(backups.sb, "spare")  # per server
    assert other("POST", f"/{other.made()['uuid']}/restore", json={}).status_code == 422


def test_a_restore_on_pelican(backups):
    server = Backups(backups.sb, "spare")
    server.put("a.txt", "before")
    made = server.made()
    server.put("a.txt", "after")
    assert server("POST", f"/{made['uuid']}/restore", json={"truncate": True}).status_code == 204
    server.restored()
    assert (server.root / "a.txt").read_text() == "before"
    assert server.events()[0] == ("server:backup.restore-complete", {"name": made["name"]})


def test_another_servers_backup_is_not_bound(backups):
    theirs = Backups(backups.sb, "spare").made()
    response = backups("GET", "/" + theirs["uuid"])
    assert response.status_code == 404 and error(response)["detail"] == NOT_FOUND_UNKNOWN
    # bound with the server, before authentication
    response = backups.sb.api("GET", backups.base + "/" + theirs["uuid"], None)
    assert response.status_code == 404
    assert backups.sb.api("GET", backups.base, None).status_code == 401


def test_archives_per_server_and_the_download_scope(backups):
    backups.put("a.txt", "a")
    made = backups.made()
    archive = backups.archive(made["uuid"])
    assert archive.parent.name == backups.server["uuid"] and archive.is_file()
    url = backups("GET", f"/{made['uuid']}/download").json()["attributes"]["url"]
    _header, body = claims(url)
    assert body["scope"] == "backup-download" and "user_id" not in body
    assert body["jti"] == hashlib.sha256(f"1{backups.server['uuid']}".encode()).hexdigest()
    assert requests.get(url, timeout=10).content == archive.read_bytes()
    files = f"/api/client/servers/{backups.server['identifier']}/files/download"
    file_url = backups.sb.api("GET", files, params={"file": "a.txt"}).json()["attributes"]["url"]
    token = file_url.split("token=", 1)[1]
    wrong = requests.get(backups.sb["wings_url"] + "/download/backup?token=" + token, timeout=10)
    assert wrong.status_code == 404 and wrong.json() == {"error": NOT_ON_NODE}  # a file-download token


def test_unreachable_node(backups):
    far = Backups(backups.sb, "far")
    response = far("POST")
    assert response.status_code == 500 and error(response)["code"] == "ConnectionException"


def test_a_failing_backup_is_deleted_for_good(backups):
    backups.sb.control("POST", "/backups/faults", json={"server": "main", "fail": True})
    failed = backups.made()
    started = time.time()
    assert backups("DELETE", "/" + failed["uuid"]).status_code == 204
    assert backups.events("server:backup.delete")[0][1] == {"name": failed["name"], "failed": "1"}
    assert time.time() - started < 5
    assert backups("GET", "/" + failed["uuid"]).status_code == 404
