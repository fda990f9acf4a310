"""The backups' node side (reference panel-client-api-config.md §3.4, wings-websocket.md §2.2): real archives of
the data folder with ignored / .pteroignore, the signed download, restores that really replace files, the
websocket events and who sees them, failing backups, and a restore that waits for the game to stop.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
import json
import os
import pathlib
import shutil
import tarfile
import time
import types

import pytest
import requests
from backups_expect import BACKUP_NOT_ON_NODE, NOT_ON_NODE, RESTORED, RESTORING, Backups, backups_fixtures, has, watch
from sandbox_expect import claims, error

from sandbox import backups_wings
from sandbox.fleet import NodeContext
from sandbox.power import ServerRuntime

pytestmark = pytest.mark.timeout(120)

sb, backups = backups_fixtures("backups-wings")


def completed(uuid: str, successful: bool, checksum: str = "", size: int = 0) -> str:
    """Go's JSON of the map Wings publishes (keys sorted)."""
    return (
        f'{{"checksum":"{checksum}","checksum_type":"sha1","file_size":{size},'
        f'"is_successful":{"true" if successful else "false"},"uuid":"{uuid}"}}'
    )


def test_the_archive_holds_the_data_without_the_ignored_paths(backups):
    backups.put("server.properties", "motd=hi\n")
    backups.put("world/level.dat", b"\x00level")
    backups.put("logs/latest.log", "log")
    backups.put("cache/chunk.tmp", "tmp")
    backups.put("world/region/r.0.0.mca", os.urandom(4096))
    made = backups.made(ignored="logs/\n*.tmp")
    archive = backups.archive(made["uuid"])
    assert archive.is_file() and backups.sb["backup_dir"] not in str(backups.root)
    assert not str(archive).startswith(str(backups.root))
    members = backups.members(made["uuid"])
    assert "logs/latest.log" not in members and "cache/chunk.tmp" not in members
    assert members["world/level.dat"] == b"\x00level"
    assert members["server.properties"] == b"motd=hi\n"
    assert members["world/region/r.0.0.mca"] == (backups.root / "world/region/r.0.0.mca").read_bytes()
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
    assert names == sorted(names, key=lambda n: n.split("/"))  # Go's WalkDir order, no folder entries
    assert made["checksum"] == "sha1:" + hashlib.sha1(archive.read_bytes()).hexdigest()
    assert made["bytes"] == archive.stat().st_size


def test_pteroignore_when_ignored_is_empty(backups):
    server = Backups(backups.sb, "spare")
    server.put(".pteroignore", "secret/\n# a comment\n")
    server.put("secret/key.pem", "k")
    server.put("keep.txt", "keep")
    names = set(server.members(server.made()["uuid"]))
    assert "secret/key.pem" not in names and {"keep.txt", ".pteroignore"} <= names
    names = set(server.members(server.made(ignored="keep.txt")["uuid"]))  # given lines win over the file
    assert "secret/key.pem" in names and "keep.txt" not in names
    server.put(".pteroignore", "secret/\n" + "#" * (32 * 1024))  # over 32 KiB: not read
    assert "secret/key.pem" in server.members(server.made()["uuid"])
    (server.root / ".pteroignore").unlink()


def test_signed_download_streams_the_archive_once(backups):
    backups.put("a.txt", "a")
    made = backups.made()
    response = backups("GET", f"/{made['uuid']}/download")
    assert response.status_code == 200
    url = response.json()["attributes"]["url"]
    assert url.startswith(backups.sb["wings_url"] + "/download/backup?token=")
    header, body = claims(url)
    assert list(body) == [
        "iss", "aud", "jti", "iat", "nbf", "exp", "backup_uuid", "server_uuid", "user_uuid", "user_id", "unique_id"
    ]  # fmt: skip
    assert body["backup_uuid"] == made["uuid"] and body["server_uuid"] == backups.server["uuid"]
    assert body["exp"] - body["iat"] == 900 and header["jti"] == body["jti"]
    assert backups.events("server:backup.download")[0] == ("server:backup.download", {"name": made["name"]})
    download = requests.get(url, timeout=10)
    assert download.status_code == 200 and download.content == backups.archive(made["uuid"]).read_bytes()
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{made["uuid"]}.tar.gz"'
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        assert "a.txt" in tar.getnames()
    again = requests.get(url, timeout=10)
    assert again.status_code == 404 and again.json() == {"error": NOT_ON_NODE}
    backups.sb.control("POST", "/backups/faults", json={"server": "main", "fail": True})
    failed = backups.made()
    url = backups("GET", f"/{failed['uuid']}/download").json()["attributes"]["url"]  # no completion check
    response = requests.get(url, timeout=10)
    assert response.status_code == 404 and response.json() == {"error": BACKUP_NOT_ON_NODE}


def test_restore_replaces_the_files(backups):
    server = Backups(backups.sb, "spare")
    server.root.mkdir(parents=True, exist_ok=True)  # made by an earlier test only when it ran first
    for path in list(server.root.iterdir()):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    server.put("config.yml", "original")
    level = server.put("world/level.dat", b"level")
    mtime = int(level.stat().st_mtime) - 100
    os.utime(level, (mtime, mtime))
    made = server.made()
    server.put("config.yml", "changed")
    level.unlink()
    server.put("new.txt", "made after the backup")
    assert server("POST", f"/{made['uuid']}/restore", json={"truncate": False}).status_code == 204
    server.restored()
    assert (server.root / "config.yml").read_text() == "original"
    assert level.read_bytes() == b"level" and int(level.stat().st_mtime) == mtime
    assert (server.root / "new.txt").exists()  # without truncate it stays
    assert server.events("server:backup.restore", "server:backup.restore-complete")[:2] == [
        ("server:backup.restore-complete", {"name": made["name"]}),
        ("server:backup.restore", {"name": made["name"], "truncate": False}),
    ]
    assert server("POST", f"/{made['uuid']}/restore", json={"truncate": "1"}).status_code == 204
    assert not (server.root / "new.txt").exists()  # truncated before the answer
    server.restored()
    assert sorted(p.name for p in server.root.iterdir()) == ["config.yml", "world"]
    assert server.events("server:backup.restore")[0][1] == {"name": made["name"], "truncate": "1"}


def test_a_failed_restore_still_ends_the_restore(backups):
    """A write over the disk limit fails the restore: restore-failed (sic), status null, the closing events."""
    server = Backups(backups.sb, "tight")  # limits.disk 1 MiB
    server.put("big.bin", os.urandom(700_000))
    made = server.made()
    (server.root / "big.bin").unlink()
    server.put("other.bin", os.urandom(700_000))

    def restore():
        assert server("POST", f"/{made['uuid']}/restore", json={"truncate": False}).status_code == 204

    seen = watch(backups.sb, server.server, ["owner"], restore, has("backup restore completed"))
    messages = [args[0] for name, args in seen["owner"] if name == "daemon message"]
    assert messages == ["(restoring): big.bin", RESTORED] and seen["owner"][-1] == ("backup restore completed", [""])
    server.restored()
    assert not (server.root / "big.bin").exists()
    assert server.events()[0] == ("server.backup.restore-failed", {"name": made["name"]})


def test_restore_of_a_running_server(backups):
    server = Backups(backups.sb, "running")
    server.put("data.txt", "v1")
    made = server.made()
    server.put("data.txt", "v2")
    assert backups.sb.control("PATCH", "/servers/running", json={"state": "running"}).json()["state"] == "running"

    def restore():
        response = server("POST", f"/{made['uuid']}/restore", json={"truncate": False})
        assert response.status_code == 204, response.text
        assert server.status() == "restoring_backup"
        files = backups.sb.api("GET", f"/api/client/servers/{server.server['identifier']}/files/list", server.key())
        assert files.status_code == 409 and error(files)["detail"] == RESTORING
        command = backups.sb.api(
            "POST", f"/api/client/servers/{server.server['identifier']}/command", json={"command": "list"}
        )
        assert command.status_code == 409

    seen = watch(backups.sb, server.server, ["owner", "watcher"], restore, has("backup restore completed"))
    for user in ("owner", "watcher"):  # every socket sees the restore's messages
        events = [(name, args) for name, args in seen[user] if name in ("status", "daemon message")]
        events += [(name, args) for name, args in seen[user] if name == "backup restore completed"]
        assert ("status", ["stopping"]) in events and ("status", ["offline"]) in events
        messages = [args[0] for name, args in seen[user] if name == "daemon message"]
        assert messages == ["(restoring): data.txt", RESTORED]
        assert seen[user][-1] == ("backup restore completed", [""])
        order = [name for name, _args in seen[user]]
        assert order.index("daemon message") > max(i for i, n in enumerate(order) if n == "status")
    server.restored()
    assert (server.root / "data.txt").read_text() == "v1"
    state = backups.sb.control("GET", "/servers/running").json()
    assert state["state"] == "offline" and state["status"] is None  # stopped, not started again


def test_backup_completed_event_and_who_sees_it(backups):
    backups.put("a.txt", "a")
    made: dict = {}

    def create():
        made.update(backups.create())

    seen = watch(backups.sb, backups.server, ["owner", "reader", "admin", "watcher"], create, has("backup completed"))
    done = backups.get(made["uuid"])
    expected = completed(made["uuid"], True, done["checksum"][5:], done["bytes"])
    for user in ("owner", "reader", "admin"):  # "*", backup.read, a root admin
        assert ("backup completed", [expected]) in seen[user], user
    assert not any(name.startswith("backup") for name, _args in seen["watcher"])  # no backup.read


def test_a_failing_backup(backups):
    fault = backups.sb.control("POST", "/backups/faults", json={"server": "main", "fail": True, "count": 1})
    assert fault.status_code == 201 and fault.json()["count"] == 1
    assert len(backups.sb.control("GET", "/backups/faults").json()) == 1
    made: dict = {}
    seen = watch(backups.sb, backups.server, ["owner"], lambda: made.update(backups.create()), has("backup completed"))
    failed = backups.get(made["uuid"])
    assert failed["is_successful"] is False and failed["completed_at"] is not None
    assert failed["checksum"] is None and failed["bytes"] == 0
    assert ("backup completed", [completed(made["uuid"], False)]) in seen["owner"]
    assert backups.events("server:backup.fail")[0] == ("server:backup.fail", {"name": failed["name"]})
    assert not backups.archive(made["uuid"]).exists()
    assert backups.sb.control("GET", "/backups/faults").json() == []
    assert backups.made()["is_successful"] is True  # the fault was used up
    bad = backups.sb.control("POST", "/backups/faults", json={"server": "main", "count": 0})
    assert bad.status_code == 422


def test_backup_time_has_a_minimum_and_a_delete_meanwhile_fails_it(backups):
    backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": 1.5})
    started = time.monotonic()
    made: dict = {}

    def create_and_delete():
        made.update(backups.create())
        assert backups.get(made["uuid"])["completed_at"] is None  # in progress
        assert backups("DELETE", "/" + made["uuid"]).status_code == 204

    seen = watch(backups.sb, backups.server, ["owner"], create_and_delete, has("backup completed"))
    assert time.monotonic() - started >= 1.5
    # the node's details of a removed archive fail: it reports a failure the panel refuses (404), and says so
    assert ("backup completed", [completed(made["uuid"], False)]) in seen["owner"]
    names = [e for e, _p in backups.events()[:3]]
    assert names[0] == "server:backup.delete" and "server:backup.fail" not in names


def test_the_control_endpoint_lists_the_rows_with_their_exact_times(backups):
    """``GET <control_url>/backups``: the panel's own times as epoch floats (the API rounds them to the second),
    deleted rows too."""
    backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": 0.3})
    before = time.time()
    made = backups.made(name="timed")
    after = time.time()
    row = next(r for r in backups.sb.control("GET", "/backups").json() if r["uuid"] == made["uuid"])
    assert row["server"] == backups.server["identifier"] and row["name"] == "timed" and row["is_successful"] is True
    assert before <= row["created_at"] and row["created_at"] + 0.3 <= row["completed_at"] <= after
    assert row["bytes"] == made["bytes"] > 0 and row["deleted_at"] is None
    for key in ("created_at", "completed_at"):
        assert abs(datetime.datetime.fromisoformat(made[key]).timestamp() - row[key]) < 1
    assert backups("DELETE", "/" + made["uuid"]).status_code == 204
    row = next(r for r in backups.sb.control("GET", "/backups").json() if r["uuid"] == made["uuid"])
    assert row["deleted_at"] >= row["completed_at"]  # Pterodactyl soft-deletes


def test_settings_validation(backups):
    response = backups.sb.control("PATCH", "/settings", json={"backup_throttle": {"count": -1}})
    assert response.status_code == 422
    assert backups.sb.control("PATCH", "/settings", json={"backup_min_seconds": "x"}).status_code == 422
    settings = backups.sb.control("GET", "/settings").json()
    assert settings["backup_throttle"] == {"count": 2, "period": 0} and settings["backup_min_seconds"] == 0.1
    bad = backups.sb.control("PATCH", "/servers/main", json={"feature_limits": {"backups": -2}})
    assert bad.status_code == 422


# --------------------------------------------------------------------------- in process


class Remote:
    def __init__(self):
        self.restores: list[bool] = []

    def backup_status(self, server, uuid, successful, checksum, size) -> bool:
        return True

    def restore_status(self, server, uuid, successful) -> None:
        self.restores.append(successful)


def test_a_restore_waits_for_the_stop_and_never_kills(tmp_path: pathlib.Path):
    """A game that ignores its stop command: after ``restore_stop_timeout`` the restore fails, the game still runs."""
    egg = types.SimpleNamespace(startup_done=')! For help, type "help"', stop_command="stop")
    server = types.SimpleNamespace(
        uuid="4f7d8e0c-5b4e-4c1e-9a44-8d1f2f0e6a11",
        egg=egg,
        limits={"memory": 1024, "disk": 0},
        status=None,
        is_transferring=False,
        boot_seconds=0.1,
        hang_on_stop=True,
    )
    ctx = NodeContext(servers_by_uuid={}, daemon_token="t", backup_dir=tmp_path / "backups")
    ctx.backup_min_seconds = 0
    ctx.restore_stop_timeout = 1.0
    remote = Remote()

    async def main():
        runtime = server.runtime = ServerRuntime(server, data_dir=tmp_path / "data", virtual=False)
        queue = runtime.subscribe()
        try:
            (tmp_path / "data").mkdir()
            (tmp_path / "data" / "x.txt").write_text("x")
            backups_wings.start_backup(ctx, server, "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "", remote)
            await asyncio.wait(list(ctx.backup_jobs), timeout=10)
            assert (tmp_path / "backups" / "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b.tar.gz").is_file()
            await runtime.power("start")
            deadline = time.monotonic() + 10
            while runtime.state != "running" and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert runtime.state == "running"
            backups_wings.restore(ctx, server, "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", False, remote)
            assert runtime.restoring is True
            events = []
            async with asyncio.timeout(10):
                while ("backup restore completed", [""]) not in events:
                    events.append(await queue.get())
            assert remote.restores == [False]
            assert runtime.state == "stopping" and runtime.is_running()  # not killed
            assert ("daemon message", [RESTORED]) in events
            assert not any(e == "daemon message" and a[0].startswith("(restoring)") for e, a in events)
            assert runtime.restoring is False and runtime.suspended is False
        finally:
            await runtime.close()
            await asyncio.gather(*(closer() for closer in ctx.closers))

    asyncio.run(main())


def test_the_node_refuses_a_restore_without_an_archive(tmp_path: pathlib.Path):
    server = types.SimpleNamespace(uuid="4f7d8e0c-5b4e-4c1e-9a44-8d1f2f0e6a11", runtime=types.SimpleNamespace())
    server.runtime.restoring = False
    server.runtime.data_dir = tmp_path / "data"
    ctx = NodeContext(servers_by_uuid={}, daemon_token="t", backup_dir=tmp_path / "backups")
    with pytest.raises(backups_wings.NodeError) as caught:
        backups_wings.restore(ctx, server, "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", True, Remote())
    assert caught.value.status == 500 and server.runtime.restoring is False
    with pytest.raises(backups_wings.NodeError) as caught:
        backups_wings.delete_backup(ctx, server, "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
    assert caught.value.status == 404 and caught.value.message == BACKUP_NOT_ON_NODE
    assert json.loads(backups_wings.completed_event("u", True, "ab", 3)) == {
        "checksum": "ab",
        "checksum_type": "sha1",
        "file_size": 3,
        "is_successful": True,
        "uuid": "u",
    }
