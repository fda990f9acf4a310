"""The files routes of the sandbox panel (Pterodactyl flavor) over the servers' real data folders:
success shapes, W's listing order, Wings' path rules and error texts as the panel words them, the egg
denylist, limits, activity. Reference: panel-client-api-config.md §2.1–§2.7.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import tarfile

import pytest
from files_expect import (
    ATOM,
    DAEMON_500,
    DENYLISTED,
    FILE_OBJECT_KEYS,
    NO_DISK,
    WINGS_GENERIC,
    Files,
    files_sandbox,
    remote,
)
from sandbox_expect import error

from sandbox.golike import go_stable_sort

pytestmark = pytest.mark.timeout(120)


sb = files_sandbox("files")


@pytest.fixture
def files(sb):
    client = Files(sb)
    for entry in client.root.iterdir() if client.root.exists() else ():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return client


def daemon_500(response):
    assert response.status_code == 500, response.text
    assert error(response)["code"] == "DaemonConnectionException"
    assert DAEMON_500.match(error(response)["detail"]), error(response)["detail"]


def remote_error(response, status, text):
    assert response.status_code == status, response.text
    assert error(response)["code"] == "DaemonConnectionException"
    assert remote(text).match(error(response)["detail"]), error(response)["detail"]


def test_list_shape_and_w_order(files):
    files.put("a.txt", "alpha\n")
    files.put("b.txt", b"\x00\x01binary")
    (files.root / "plugins").mkdir()
    (files.root / "world").mkdir()
    os.symlink("a.txt", files.root / "link")
    response = files("GET", "list")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["object", "data"] and body["object"] == "list"
    # W's "folders first" comparator is inconsistent: a short list comes out files first, names reversed
    assert [i["attributes"]["name"] for i in body["data"]] == ["link", "b.txt", "a.txt", "plugins", "world"]
    items = {i["attributes"]["name"]: i for i in body["data"]}
    assert all(i["object"] == "file_object" and list(i["attributes"]) == FILE_OBJECT_KEYS for i in body["data"])
    a = items["a.txt"]["attributes"]
    assert a["mode"] == "-rw-r--r--" and a["mode_bits"] == "644" and a["size"] == 6
    assert a["is_file"] is True and a["is_symlink"] is False and a["mimetype"] == "text/plain; charset=utf-8"
    assert ATOM.match(a["created_at"]) and ATOM.match(a["modified_at"])
    assert items["b.txt"]["attributes"]["mimetype"] == "application/octet-stream"
    plugins = items["plugins"]["attributes"]
    assert plugins["mode"] == "drwxr-xr-x" and plugins["is_file"] is False and plugins["mimetype"] == "inode/directory"
    link = items["link"]["attributes"]  # W reports a symlink as a file and never sets is_symlink
    assert link["mode"] == "Lrwxrwxrwx" and link["size"] == 5 and link["is_file"] is True
    assert link["is_symlink"] is False and link["mimetype"] == "application/octet-stream"
    assert files.names("plugins") == [] and files.names("/plugins/") == []


def test_list_errors(files):
    files.put("a.txt", "x")
    os.symlink("plugins", files.root / "alias")
    (files.root / "plugins").mkdir()
    for directory in ("missing", "../", "/../../etc", "a.txt", "alias"):
        daemon_500(files("GET", "list", params={"directory": directory}))
    response = files("GET", "list", params={"directory[]": "x"})
    assert response.status_code == 422 and error(response)["detail"] == "The directory must be a string."


def test_contents_raw_bytes_limits_and_paths(sb, files):
    data = b"motd=caf\xe9\x00\xff\n"
    files.put("raw.bin", data)
    response = files("GET", "contents", params={"file": "/raw.bin"})
    assert response.status_code == 200 and response.content == data
    assert response.headers["Content-Type"] == "text/plain"
    assert files.activity()[-1]["event"] == "server:file.read"
    assert files.activity()[-1]["properties"] == {"file": "/raw.bin"}
    sb.control("PATCH", "/settings", json={"max_edit_size": 10})
    try:
        response = files("GET", "contents", params={"file": "raw.bin"})
        assert response.status_code == 400
        assert error(response) == {
            "code": "FileSizeTooLargeException",
            "status": "400",
            "detail": "The file you are attempting to open is too large to view in the file editor.",
        }
    finally:
        assert sb.control("PATCH", "/settings", json={"max_edit_size": 4194304}).json()["max_edit_size"] == 4194304
    (files.root / "real" / "sub").mkdir(parents=True)
    files.put("real/sub/f.txt", "deep")
    os.symlink("real", files.root / "alias")  # followed when it is not the parent's last component
    os.symlink("../..", files.root / "out")  # leaves the root
    os.symlink(str(files.root / "real"), files.root / "abs")  # absolute: refused under RESOLVE_BENEATH
    os.symlink("real/sub/f.txt", files.root / "final")  # a final symlink is refused even inside the root
    os.mkfifo(files.root / "pipe")
    assert files("GET", "contents", params={"file": "alias/sub/f.txt"}).content == b"deep"
    for name in (
        "missing.txt",
        "../../etc/passwd",
        "/etc/passwd",
        "final",
        "alias/f.txt",
        "out/etc/passwd",
        "abs/sub/f.txt",
    ):
        daemon_500(files("GET", "contents", params={"file": name}))
    daemon_500(files("GET", "contents", params={"file": "real"}))  # a folder: W fails once headers are set
    remote_error(files("GET", "contents", params={"file": "pipe"}), 400, "Cannot open files of this type.")
    response = files("GET", "contents")
    assert response.status_code == 422 and error(response)["meta"] == {"source_field": "file", "rule": "required"}


def test_write_creates_parents_0644_and_refuses_what_wings_refuses(files):
    response = files.write("config/paper/global.yml", "a: 1\n")
    assert response.status_code == 204 and response.content == b""
    target = files.root / "config" / "paper" / "global.yml"
    assert target.read_text() == "a: 1\n" and oct(target.stat().st_mode & 0o777) == "0o644"
    assert files.write("config/paper/global.yml", "b").status_code == 204 and target.read_text() == "b"
    assert files.write("empty.txt", "").status_code == 204 and (files.root / "empty.txt").read_bytes() == b""
    assert files.activity()[-1]["properties"] == {"file": "empty.txt"}
    text = "Cannot write file, name conflicts with an existing directory by the same name."
    remote_error(files.write("config", "x"), 400, text)
    for name in ("server.jar", "plugins/x.lock", "secrets/token"):
        remote_error(files.write(name, "x"), 403, DENYLISTED)
    assert files.write("keep.lock", "x").status_code == 204  # a negated line lets it through
    daemon_500(files.write("../escape.txt", "x"))
    response = files(
        "POST", "write", params={"file": "a.json"}, data="{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and error(response)["code"] == "BadRequestHttpException"
    response = files("POST", "write", data="x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422 and error(response)["detail"] == "The file field is required."


ROUTES = [  # (method, op, permission, request keywords that pass validation)
    ("GET", "list", "file.read", {}),
    ("GET", "contents", "file.read-content", {"params": {"file": "a.txt"}}),
    ("GET", "download", "file.read-content", {"params": {"file": "a.txt"}}),
    ("GET", "upload", "file.create", {}),
    ("POST", "write", "file.create", {"params": {"file": "w.txt"}, "data": "x"}),
    ("POST", "copy", "file.create", {"json": {"location": "a.txt"}}),
    ("POST", "create-folder", "file.create", {"json": {"name": "made"}}),
    ("POST", "decompress", "file.create", {"json": {"file": "nothing.tar.gz"}}),
    ("PUT", "rename", "file.update", {"json": {"root": "/", "files": [{"from": "a.txt", "to": "b.txt"}]}}),
    ("POST", "chmod", "file.update", {"json": {"root": "/", "files": [{"file": "a.txt", "mode": "644"}]}}),
    ("POST", "delete", "file.delete", {"json": {"root": "/", "files": ["gone.txt"]}}),
    ("POST", "compress", "file.archive", {"json": {"root": "/", "files": ["a.txt"]}}),
]


@pytest.mark.parametrize(("method", "op", "permission", "kwargs"), ROUTES, ids=[r[1] for r in ROUTES])
def test_each_route_needs_its_permission(sb, files, method, op, permission, kwargs):
    files.put("a.txt", "x")
    others = [route[2] for route in ROUTES if route[2] != permission] + ["file.sftp", "websocket.connect"]
    sb.control("PUT", "/subusers", json={"server": "files", "username": "helper", "permissions": others})
    response = files(method, op, "helper", **kwargs)
    assert response.status_code == 403 and error(response) == {
        "code": "AccessDeniedHttpException",
        "status": "403",
        "detail": "This action is unauthorized.",
    }
    response = files(method, op, "helper")  # no body at all: the permission is checked first
    assert response.status_code == 403
    sb.control("PUT", "/subusers", json={"server": "files", "username": "helper", "permissions": [permission]})
    response = files(method, op, "helper", **kwargs)
    assert response.status_code in (200, 204) or (op == "decompress" and response.status_code == 500), response.text


VALIDATION = [
    (
        "PUT",
        "rename",
        {"root": None, "files": [{"from": "a"}]},
        [
            ("root", "required", "The root field is required."),
            ("files.0.to", "required", "The files.0.to field is required."),
        ],
    ),
    ("PUT", "rename", {"root": "/", "files": "a"}, [("files", "array", "The files must be an array.")]),
    (
        "PUT",
        "rename",
        {"root": "/", "files": ["a"]},
        [
            ("files.0", "array", "The files.0 must be an array."),
            ("files.0.to", "required", "The files.0.to field is required."),
            ("files.0.from", "required", "The files.0.from field is required."),
        ],
    ),
    ("POST", "delete", {"root": "/", "files": []}, [("files", "required", "The files field is required.")]),
    (
        "POST",
        "delete",
        {"root": 5, "files": ["a", 1]},
        [
            ("root", "string", "The root must be a string."),
            ("files.1", "string", "The files.1 must be a string."),
        ],
    ),
    (
        "POST",
        "chmod",
        {"root": "/", "files": [{"file": "a", "mode": "rwx"}]},
        [
            ("files.0.mode", "numeric", "The files.0.mode must be a number."),
        ],
    ),
    ("POST", "copy", {}, [("location", "required", "The location field is required.")]),
    (
        "POST",
        "create-folder",
        {"root": 1},
        [
            ("root", "string", "The root must be a string."),
            ("name", "required", "The name field is required."),
        ],
    ),
    ("POST", "compress", {"root": "/"}, [("files", "required", "The files field is required.")]),
    ("POST", "decompress", {"file": ""}, [("file", "required", "The file field is required.")]),
]


@pytest.mark.parametrize(("method", "op", "body", "expected"), VALIDATION)
def test_validation_422(files, method, op, body, expected):
    response = files(method, op, json=body)
    assert response.status_code == 422, response.text
    got = [(e["meta"]["source_field"], e["meta"]["rule"], e["detail"]) for e in response.json()["errors"]]
    assert got == expected


def test_create_folder_with_a_null_root_is_the_panels_type_error(files):
    response = files("POST", "create-folder", json={"root": "", "name": "x"})  # "" becomes null
    assert response.status_code == 500 and error(response) == {
        "code": "TypeError",
        "status": "500",
        "detail": "An unexpected error was encountered while processing this request, please try again.",
    }


def test_rename_copy_delete_create_folder_chmod(files):
    files.put("a.txt", "a")
    files.put("b.txt", "b")
    files.put("pack.tar.gz", "not really")
    files.put("server.jar", "jar")
    assert (
        files("PUT", "rename", json={"root": "/", "files": [{"from": "a.txt", "to": "deep/er/a.txt"}]}).status_code
        == 204
    )
    assert (files.root / "deep" / "er" / "a.txt").read_text() == "a"
    assert files.activity()[-1]["properties"] == {
        "directory": "/",
        "files": [{"from": "a.txt", "to": "deep/er/a.txt"}],
        "count": 1,
    }
    assert files("PUT", "rename", json={"root": "/", "files": [{"from": "nope", "to": "x"}]}).status_code == 204
    text = "Cannot move or rename file, destination already exists."
    remote_error(
        files("PUT", "rename", json={"root": "deep", "files": [{"from": "er/a.txt", "to": "../b.txt"}]}), 400, text
    )
    for pair in ({"from": "server.jar", "to": "x.jar"}, {"from": "b.txt", "to": "server.jar.bak/server.jar"}):
        remote_error(files("PUT", "rename", json={"root": "/", "files": [pair]}), 403, DENYLISTED)
    daemon_500(files("PUT", "rename", json={"root": "/", "files": [{"from": ".", "to": "x"}]}))

    for _attempt in range(2):
        assert files("POST", "copy", json={"location": "b.txt"}).status_code == 204
    assert files("POST", "copy", json={"location": "/pack.tar.gz"}).status_code == 204
    assert {"b copy.txt", "b copy 1.txt", "pack copy.tar.gz"} <= set(files.names())
    daemon_500(files("POST", "copy", json={"location": "deep"}))
    remote_error(files("POST", "copy", json={"location": "server.jar"}), 403, DENYLISTED)

    assert files("POST", "create-folder", json={"name": "x/y/z"}).status_code == 204
    assert files("POST", "create-folder", json={"root": "/x", "name": "y"}).status_code == 204  # exists: fine
    assert files.activity()[-1]["properties"] == {"name": "y", "directory": "/x/"}
    daemon_500(files("POST", "create-folder", json={"root": "/", "name": "b.txt/sub"}))

    assert files("POST", "chmod", json={"root": "/", "files": [{"file": "b.txt", "mode": "600"}]}).status_code == 204
    assert oct((files.root / "b.txt").stat().st_mode & 0o777) == "0o600"
    assert files("POST", "chmod", json={"root": "/", "files": [{"file": "none", "mode": "600"}]}).status_code == 204
    remote_error(
        files("POST", "chmod", json={"root": "/", "files": [{"file": "b.txt", "mode": "9"}]}), 400, "Invalid file mode."
    )
    remote_error(
        files("POST", "chmod", json={"root": "/", "files": [{"file": "b.txt", "mode": 644}]}), 400, WINGS_GENERIC
    )
    assert files.activity()[-1]["event"] != "server:file.chmod"

    assert files("POST", "delete", json={"root": "/", "files": ["deep", "missing", "server.jar"]}).status_code == 204
    assert not (files.root / "deep").exists() and not (files.root / "server.jar").exists()  # W: no denylist here
    daemon_500(files("POST", "delete", json={"root": "/", "files": ["x/.."]}))  # the root itself
    assert files.activity()[-1]["properties"] == {
        "directory": "/",
        "files": ["deep", "missing", "server.jar"],
        "count": 3,
    }


def test_compress_and_decompress(files):
    files.put("world/level.dat", b"\x00" * 100)
    files.put("world/region/r.0.0.mca", b"\x01" * 50)
    files.put("server.properties", "motd=x\n")
    files.put("other.txt", "not chosen")
    response = files("POST", "compress", json={"root": "/", "files": ["world", "server.properties"]})
    assert response.status_code == 200
    item = response.json()
    assert item["object"] == "file_object" and list(item["attributes"]) == FILE_OBJECT_KEYS
    name = item["attributes"]["name"]
    assert re.fullmatch(r"archive-\d{4}-\d\d-\d\dT\d{6}Z\.tar\.gz", name), name
    assert item["attributes"]["mimetype"] == "application/tar+gzip" and item["attributes"]["mode_bits"] == "644"
    with tarfile.open(files.root / name) as tf:
        assert sorted(tf.getnames()) == ["server.properties", "world/level.dat", "world/region/r.0.0.mca"]
    activity = files.activity()[-1]
    assert activity["event"] == "server:file.compress"
    assert activity["properties"] == {"directory": "/", "files": ["world", "server.properties"], "count": 2}

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        for member, data in (("plugins/a.jar", b"a"), ("server.jar", b"refused"), ("notes/keep.lock", b"k")):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    files.put("upload/mods.tar.gz", buffer.getvalue())
    response = files("POST", "decompress", json={"root": "/upload", "file": "mods.tar.gz"})
    assert response.status_code == 204, response.text
    assert (files.root / "upload" / "plugins" / "a.jar").read_bytes() == b"a"
    assert (files.root / "upload" / "notes" / "keep.lock").exists()
    assert not (files.root / "upload" / "server.jar").exists()  # denylisted entries are skipped silently
    assert files.activity()[-1]["properties"] == {"directory": "/upload/", "files": "mods.tar.gz"}
    files.put("notes.txt", "plain text")
    text = "The archive provided is in a format Wings does not understand."
    remote_error(files("POST", "decompress", json={"file": "notes.txt"}), 400, text)
    daemon_500(files("POST", "decompress", json={"file": "missing.zip"}))


def test_disk_limit(sb):
    small = Files(sb, "small")
    remote_error(small.write("big.bin", b"\x00" * (1024 * 1024 + 1)), 400, NO_DISK)
    assert not (small.root / "big.bin").exists()
    assert small.write("half.bin", b"\x00" * 600_000).status_code == 204
    remote_error(small("POST", "copy", json={"location": "half.bin"}), 400, NO_DISK)
    small.put("over.bin", b"\x00" * 500_000)  # now over the limit
    response = small("POST", "compress", json={"root": "/", "files": ["half.bin"]})
    text = "This server does not have enough available disk space to generate a compressed archive."
    remote_error(response, 409, text)


def test_state_conflicts_and_an_unreachable_node(sb):
    frozen, far = Files(sb, "frozen"), Files(sb, "far")
    for user in ("owner", "admin"):
        response = frozen("GET", "list", user)
        assert response.status_code == 409 and error(response)["code"] == "ServerStateConflictException"
    response = far("GET", "list")
    assert response.status_code == 504 and error(response) == {
        "code": "DaemonConnectionException",
        "status": "504",
        "detail": "Could not establish a connection to the machine running this server. Please try again.",
    }
    assert far("GET", "upload").status_code == 200  # a signed URL needs no call to the node


def test_go_stable_sort_is_a_stable_sort_for_a_consistent_order():
    rng = random.Random(20241024)
    for n in (0, 1, 2, 19, 20, 21, 40, 41, 77, 130):
        items = [(rng.randint(0, 5), i) for i in range(n)]
        got = list(items)
        go_stable_sort(got, lambda a, b: (a[0] > b[0]) - (a[0] < b[0]))
        assert got == sorted(items, key=lambda item: item[0])
    names = [f"n{i:02d}" for i in range(30)]  # W's comparator on a long list: still every name once
    got = [{"name": n, "directory": i % 3 == 0} for i, n in enumerate(names)]
    go_stable_sort(got, lambda a, b: 0 if a["directory"] and b["directory"] else 1 if a["directory"] else -1)
    assert sorted(item["name"] for item in got) == names
