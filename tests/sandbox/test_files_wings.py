"""Signed URLs and the node's transfer endpoints (reference panel-client-api-config.md §2.4): the JWT the panel
issues, single use, expiry, the download stream, the multipart upload with its per-file limit, its activity,
and the control endpoint's faults that cut a transfer midway.
"""

from __future__ import annotations

import asyncio
import hashlib
import pathlib
import re
import time
import types

import aiohttp
import jwt
import pytest
import requests
from aiohttp import web
from files_expect import DENYLISTED, NOT_ON_SERVER, UUID, WINGS_GENERIC, Files, files_sandbox
from sandbox_expect import claims, serving

from sandbox.fleet import NodeContext
from sandbox.wings import add_wings_routes

pytestmark = pytest.mark.timeout(120)

KEY = "n0de-t0ken-" + "y" * 53
SERVER_UUID = "0b6e3f5a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"


sb = files_sandbox("files-wings")


@pytest.fixture
def files(sb):
    sb.control("POST", "/reset")
    sb.control("PATCH", "/settings", json={"upload_limit": 100})
    return Files(sb)


def test_download_url_claims_stream_and_single_use(sb, files):
    files.put("world/level.dat", b"\x00\x01level")
    url = files.signed_url("download", file="world%2Flevel.dat")
    assert url.startswith(sb["wings_url"] + "/download/file?token=")
    header, body = claims(url)
    owner = files.sb["users"]["owner"]
    assert list(body) == [
        "iss", "aud", "jti", "iat", "nbf", "exp", "file_path", "server_uuid", "user_uuid", "user_id", "unique_id"
    ]  # fmt: skip
    assert header["alg"] == "HS256" and header["jti"] == body["jti"]
    assert body["iss"] == sb["panel_url"] and body["aud"] == [sb["wings_url"]]
    assert body["exp"] - body["iat"] == 900 and body["iat"] - body["nbf"] == 300
    assert body["file_path"] == "world/level.dat" and body["server_uuid"] == files.server["uuid"]
    assert body["user_uuid"] == owner and len(body["unique_id"]) == 16
    assert body["jti"] == hashlib.md5(f"{body['user_id']}{files.server['uuid']}".encode()).hexdigest()
    activity = files.activity()[-1]
    assert activity["event"] == "server:file.download" and activity["properties"] == {"file": "world%2Flevel.dat"}
    response = requests.get(url, timeout=10)
    assert response.status_code == 200 and response.content == b"\x00\x01level"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == 'attachment; filename="level.dat"'
    assert response.headers["Content-Length"] == "7"
    again = requests.get(url, timeout=10)
    assert again.status_code == 404 and again.json() == {"error": NOT_ON_SERVER}


def test_download_errors(files):
    (files.root / "folder").mkdir(parents=True, exist_ok=True)
    response = requests.get(files.signed_url("download", file="folder"), timeout=10)
    assert response.status_code == 404 and response.json() == {"error": NOT_ON_SERVER}
    for name in ("missing.txt", "../../etc/passwd"):
        response = requests.get(files.signed_url("download", file=name), timeout=10)
        body = response.json()
        assert response.status_code == 500 and body["error"] == WINGS_GENERIC
        assert body["request_id"] == response.headers["X-Request-Id"]
    files.put("server.jar", "jar")  # W does not check the denylist on downloads
    assert requests.get(files.signed_url("download", file="server.jar"), timeout=10).content == b"jar"
    url = files.signed_url("download", file="server.jar")
    response = requests.get(url[:-3] + "AAA", timeout=10)  # a broken signature
    assert response.status_code == 500 and response.json()["error"] == WINGS_GENERIC
    assert requests.get(url, timeout=10).status_code == 200  # the refused request did not spend it


def test_upload_multipart_writes_each_file_and_logs_activity(files):
    url = files.signed_url("upload")
    header, body = claims(url)
    assert list(body) == ["iss", "aud", "jti", "iat", "nbf", "exp", "server_uuid", "user_uuid", "user_id", "unique_id"]
    parts = [("files", ("a.jar", b"first")), ("files", ("../../b.jar", b"second")), ("note", (None, "ignored"))]
    response = requests.post(url + "&directory=plugins", files=parts, timeout=10)
    assert response.status_code == 200 and response.content == b""
    assert (files.root / "plugins" / "a.jar").read_bytes() == b"first"
    assert (files.root / "plugins" / "b.jar").read_bytes() == b"second"  # a part is named by its base name
    assert oct((files.root / "plugins" / "a.jar").stat().st_mode & 0o777) == "0o644"
    uploaded = [a for a in files.activity() if a["event"] == "server:file.uploaded"][-2:]
    assert [a["properties"] for a in uploaded] == [
        {"file": "a.jar", "directory": "/plugins/"},
        {"file": "b.jar", "directory": "/plugins/"},
    ]
    again = requests.post(url, files=[("files", ("c.jar", b"x"))], timeout=10)
    assert again.status_code == 404 and again.json() == {"error": NOT_ON_SERVER}
    response = requests.post(files.signed_url("upload"), files=[("other", ("c.jar", b"x"))], timeout=10)
    assert response.status_code == 400 and response.json() == {"error": "No files were found on the request body."}
    response = requests.post(files.signed_url("upload"), data="plain", timeout=10)
    assert response.status_code == 400 and response.json() == {
        "error": "Failed to get multipart form data from request."
    }
    response = requests.post(files.signed_url("upload"), files=[("files", ("server.jar", b"x"))], timeout=10)
    assert response.status_code == 403 and response.json()["error"] == DENYLISTED


def test_upload_limit_refuses_before_writing_anything(sb, files):
    assert sb.control("PATCH", "/settings", json={"upload_limit": 1}).json()["upload_limit"] == 1
    parts = [("files", ("small.txt", b"ok")), ("files", ("big.bin", b"\x00" * (1024 * 1024 + 1)))]
    response = requests.post(files.signed_url("upload"), files=parts, timeout=10)
    assert response.status_code == 400
    assert response.json() == {"error": "File big.bin is larger than the maximum file upload size of 1 MB."}
    assert not (files.root / "small.txt").exists() and not (files.root / "big.bin").exists()
    response = requests.post(
        files.signed_url("upload"), files=[("files", ("ok.bin", b"\x00" * 1024 * 1024))], timeout=10
    )
    assert response.status_code == 200
    assert sb.control("PATCH", "/settings", json={"upload_limit": -1}).status_code == 422


def test_faults_cut_an_upload_or_a_download_midway(sb, files):
    payload = b"0123456789" * 1000
    fault = {"kind": "upload", "after_bytes": 4000}
    assert sb.control("POST", "/transfers/faults", json=fault).json() == {**fault, "count": 1, "leave_partial": False}
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(files.signed_url("upload"), files=[("files", ("cut.bin", payload))], timeout=10)
    assert not (files.root / "cut.bin").exists()  # as Wings: the form never completed, nothing was written
    assert sb.control("GET", "/transfers/faults").json() == []
    sb.control("POST", "/transfers/faults", json={**fault, "leave_partial": True})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(files.signed_url("upload"), files=[("files", ("half.bin", payload))], timeout=10)
    assert (files.root / "half.bin").read_bytes() == payload[:4000]  # a node that died mid-write
    assert requests.post(files.signed_url("upload"), files=[("files", ("whole.bin", payload))], timeout=10).ok
    files.put("big.bin", payload)
    sb.control("POST", "/transfers/faults", json={"kind": "download", "after_bytes": 100})
    with pytest.raises(requests.exceptions.RequestException):
        response = requests.get(files.signed_url("download", file="big.bin"), timeout=10)
        response.raise_for_status()
        assert len(response.content) == len(payload)
    assert requests.get(files.signed_url("download", file="big.bin"), timeout=10).content == payload
    assert sb.control("POST", "/transfers/faults", json={"kind": "nope"}).status_code == 422


# --------------------------------------------------------------------------- the node in process


def _token(key: str = KEY, **overrides) -> str:
    now = int(time.time())
    body = {"iat": now, "exp": now + 60, "file_path": "a.txt", "server_uuid": SERVER_UUID, "user_uuid": "u"}
    body["unique_id"] = str(time.monotonic_ns())
    body.update(overrides)
    return jwt.encode(body, key, algorithm="HS256")


def test_node_refuses_expired_unknown_and_foreign_tokens(tmp_path: pathlib.Path):
    data = tmp_path / SERVER_UUID
    data.mkdir()
    (data / "a.txt").write_text("hello")
    server = types.SimpleNamespace(
        uuid=SERVER_UUID,
        limits={"disk": 0},
        egg=types.SimpleNamespace(file_denylist=[]),
        runtime=types.SimpleNamespace(data_dir=data),
    )
    context = NodeContext(servers_by_uuid={SERVER_UUID: server}, daemon_token=KEY, boot_time=time.time() - 5)

    async def main():
        app = web.Application()
        add_wings_routes(app, context)
        async with serving(app) as base, aiohttp.ClientSession() as session:
            url = f"{base}/download/file"

            async def get(token):
                async with session.get(url, params={"token": token}) as r:
                    return r.status, await r.read(), r.headers

            status, body, _headers = await get(_token())
            assert status == 200 and body == b"hello"
            for bad in (_token(exp=int(time.time()) - 2), _token(key="another-node-" + "z" * 40), "garbage", ""):
                status, body, headers = await get(bad)
                assert status == 500 and headers["Content-Type"].startswith("application/json")
                assert re.fullmatch(rf'\{{"error":"{WINGS_GENERIC}","request_id":"{UUID}"\}}', body.decode())
            status, body, _headers = await get(_token(server_uuid="0" * 36))
            assert status == 404 and body == b'{"error":"The requested resource was not found on this server."}'
            token = _token(unique_id="once")
            assert (await get(token))[0] == 200 and (await get(token))[0] == 404

    asyncio.run(main())
