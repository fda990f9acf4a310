"""The files routes in the Pelican flavor (reference panel-client-api-config.md §2.8): contents converted to
UTF-8, PW's errors as the Pelican panel turns them (500s with the generic text and the repository's exception
as code), PW's listing order and symlink flag, compress names and formats, the JWT scopes and PW's checks on
the transfer endpoints, the denylist where PW enforces it, admins in conflict states.
"""

from __future__ import annotations

import zipfile

import pytest
import requests
from files_expect import DENYLISTED, GENERIC_500, NOT_ON_SERVER, Files, files_sandbox
from sandbox_expect import claims, error

pytestmark = pytest.mark.timeout(120)


sb = files_sandbox("files-pelican", flavor="pelican")


@pytest.fixture
def files(sb):
    return Files(sb)


def generic(response, code: str) -> None:
    assert response.status_code == 500, response.text
    assert error(response) == {"code": code, "status": "500", "detail": GENERIC_500}


def test_contents_are_converted_to_utf8(files):
    for name, data, text in (
        ("utf8.txt", "motd=café\n".encode(), "motd=café\n"),
        ("latin1.txt", b"motd=caf\xe9\n", "motd=café\n"),
        ("utf16.txt", "\ufeffmotd=café\n".encode("utf-16-le"), "motd=café\n"),
    ):
        if name == "utf16.txt":
            data = b"\xff\xfe" + data[2:]
        files.put(name, data)
        response = files("GET", "contents", params={"file": name})
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode("utf-8") == text


def test_errors_become_500s_with_the_repository_exception(files):
    files.put("server.jar", "jar")
    (files.root / "folder").mkdir(exist_ok=True)
    generic(files("GET", "contents", params={"file": "missing.txt"}), "FileNotFoundException")
    generic(files("GET", "contents", params={"file": "folder"}), "FileNotEditableException")
    generic(files("GET", "contents", params={"file": "server.jar"}), "RequestException")  # PW: denylist 403
    generic(files.write("folder", "x"), "FileExistsException")
    generic(files("GET", "list", params={"directory": "missing"}), "RequestException")
    generic(files("POST", "delete", json={"root": "/", "files": ["missing"]}), "RequestException")


def test_listing_order_symlink_flag_and_delete_keeping_denylisted_files(files):
    files.put("zeta.txt", "z")
    files.put("alpha/server.jar", "jar")
    files.put("alpha/other.txt", "o")
    (files.root / "beta").mkdir(exist_ok=True)
    (files.root / "link").unlink(missing_ok=True)
    (files.root / "link").symlink_to("zeta.txt")
    names = files.names()
    assert names[:2] == ["alpha", "beta"] and names.index("link") < names.index("zeta.txt")
    listing = {i["attributes"]["name"]: i["attributes"] for i in files("GET", "list").json()["data"]}
    assert listing["link"]["is_symlink"] is True and listing["link"]["is_file"] is True
    assert files("POST", "delete", json={"root": "/", "files": ["alpha", "beta"]}).status_code == 204
    assert sorted(p.name for p in (files.root / "alpha").iterdir()) == ["server.jar"]
    assert not (files.root / "beta").exists()


def test_compress_names_and_formats(files):
    files.put("world/level.dat", b"\x00" * 10)
    files.put("server.jar", "jar")
    body = {"root": "/", "files": ["world", "server.jar"], "name": "backup", "extension": "zip"}
    item = files("POST", "compress", json=body).json()["attributes"]
    assert item["name"] == "backup.zip" and item["mimetype"] == "application/zip"
    with zipfile.ZipFile(files.root / "backup.zip") as zf:
        assert "world/level.dat" in zf.namelist() and "server.jar" not in zf.namelist()  # PW skips denylisted
    assert files("POST", "compress", json=body).json()["attributes"]["name"] == "backup copy.zip"
    activity = files.activity()[-1]
    assert activity["event"] == "server:file.compress"
    assert activity["properties"] == {"name": "backup copy.zip", "directory": "/", "files": "world", "count": 2}
    item = files("POST", "compress", json={"root": "/", "files": ["world"], "extension": "txz"}).json()["attributes"]
    assert item["name"].startswith("archive-") and item["name"].endswith(".tar.xz")
    assert item["mimetype"] == "application/x-xz"
    response = files("POST", "compress", json={"root": "/", "files": ["world"], "extension": "rar"})
    assert response.status_code == 422 and error(response)["detail"] == "The selected extension is invalid."


def test_rename_and_decompress_activity(files):
    files.put("a.txt", "a")
    assert files("PUT", "rename", json={"root": "/", "files": [{"from": "a.txt", "to": "b.txt"}]}).status_code == 204
    activity = files.activity()[-1]
    assert activity["properties"] == {"directory": "/", "to": "b.txt", "from": "a.txt", "count": 1}
    with zipfile.ZipFile(files.root / "in.zip", "w") as zf:
        zf.writestr("unpacked/x.txt", "x")
    assert files("POST", "decompress", json={"root": "/", "file": "in.zip"}).status_code == 204
    assert (files.root / "unpacked" / "x.txt").read_text() == "x"
    assert files.activity()[-1]["properties"] == {"directory": "/", "file": "in.zip"}


def test_signed_urls_carry_scopes_and_pw_checks_them(sb, files):
    files.put("a.txt", "hello")
    files.put("server.jar", "jar")
    url = files.signed_url("download", file="a.txt")
    header, body = claims(url)
    assert list(body) == [
        "iss", "aud", "jti", "iat", "nbf", "exp", "file_path", "server_uuid", "user_uuid", "scope", "unique_id"
    ]  # fmt: skip
    assert body["scope"] == "file-download" and header["jti"] == body["jti"] and len(body["jti"]) == 64
    assert body["user_uuid"] == sb["users"]["owner"] and "user_id" not in body
    upload = files.signed_url("upload")
    assert claims(upload)[1]["scope"] == "file-upload"
    wrong = upload.replace("/upload/file", "/download/file")
    assert requests.get(wrong, timeout=10).json() == {"error": NOT_ON_SERVER}
    assert requests.get(url, timeout=10).content == b"hello"
    response = requests.get(files.signed_url("download", file="server.jar"), timeout=10)
    assert response.status_code == 403 and response.json()["error"] == DENYLISTED
    response = requests.get(files.signed_url("download", file="missing"), timeout=10)
    assert response.status_code == 404
    assert response.json()["error"] == "The requested resources was not found on the system."


def test_admins_use_the_file_manager_in_conflict_states(sb):
    frozen = Files(sb, "frozen")
    assert frozen("GET", "list", "admin").status_code == 200
    response = frozen("GET", "list", "owner")
    assert response.status_code == 409 and error(response)["code"] == "ServerStateConflictException"
    assert frozen("GET", "upload", "admin").status_code == 200
