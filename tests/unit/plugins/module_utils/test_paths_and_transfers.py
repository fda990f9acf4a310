# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server paths, modes and diffs (_files), and Wings' signed-URL transfers (_transfer) against a
local HTTP server: streamed both ways, Wings' errors named, the URL's token never shown."""

from __future__ import annotations

import hashlib
import io

import pytest
from urllib3.filepost import encode_multipart_formdata
from werkzeug.wrappers import Response

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _files
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._transfer import MultipartBody, Transfer

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.c2lnbmVk.S3cr3tS1gnatur3"


@pytest.mark.parametrize(
    "value, path, directory, name",
    [
        ("server.properties", "/server.properties", "/", "server.properties"),
        ("/plugins//Essentials/./config.yml", "/plugins/Essentials/config.yml", "/plugins/Essentials", "config.yml"),
        ("plugins/x/../y.yml", "/plugins/y.yml", "/plugins", "y.yml"),
        ("/", "/", "/", ""),
        ("world\\region\\r.0.0.mca", "/world/region/r.0.0.mca", "/world/region", "r.0.0.mca"),
    ],
)
def test_server_path(value, path, directory, name):
    assert _files.server_path(value) == (path, directory, name)


@pytest.mark.parametrize(
    "value, words",
    [
        ("", "path is empty"),
        ("../etc/passwd", "leaves the server's root"),
        ("a/../../b", "leaves the server's root"),
        ("/home/container/server.properties", "use '/server.properties'"),
        ("/var/lib/pterodactyl/volumes/0e4f2a77-1d6b/plugins/x.jar", "use '/plugins/x.jar'"),
    ],
)
def test_server_path_refusals(value, words):
    with pytest.raises(PterodactylError) as caught:
        _files.server_path(value)
    assert words in str(caught.value) and caught.value.code == "InvalidOption"


@pytest.mark.parametrize(
    "value, bits", [("0640", "640"), ("640", "640"), ("0755", "755"), ("4755", "4755"), (None, None)]
)
def test_octal_mode(value, bits):
    assert _files.octal_mode(value) == bits


@pytest.mark.parametrize("value", ["rw-r--r--", "0999", "77777", 420, "", "0o644"])
def test_octal_mode_refusals(value):
    with pytest.raises(PterodactylError, match="octal string"):
        _files.octal_mode(value)


def test_file_info_of_a_panel_file_object():
    info = _files.file_info(
        {
            "name": "w",
            "mode": "drwxr-xr-x",
            "mode_bits": "755",
            "size": 4096,
            "is_file": False,
            "is_symlink": False,
            "mimetype": "inode/directory",
            "modified_at": "2026-12-02T12:00:00+00:00",
        }
    )
    assert info.is_directory and not info.is_file and info.mode == "0755"
    assert _files.info_dict(info)["is_file"] is False


def test_diff_sides():
    assert _files.diff_side(b"a=1\n", "before") == "a=1\n"
    assert _files.diff_side(None, "before") == ""
    assert _files.diff_side(b"\x00\x01", "after").startswith("(binary file after, 2 bytes, sha256 ")
    big = b"x" * (_files.DIFF_SIZE_LIMIT + 1)
    assert "large or binary file after" in _files.diff_side(big, "after")
    assert _files.diff_side(None, "after", 10, "ab").startswith("(large or binary file after, 10 bytes, sha256 ab)")


# -- Wings transfers --


def test_download_streams_into_the_sink_without_the_panel_key(httpserver):
    data = bytes(range(256)) * 20000
    httpserver.expect_request("/download/file", query_string={"token": TOKEN}).respond_with_data(data)
    chunks = []
    size = Transfer().download(httpserver.url_for("/download/file") + f"?token={TOKEN}", chunks.append)
    assert size == len(data) and b"".join(chunks) == data and len(chunks) > 1
    (request, _response) = httpserver.log[0]
    assert "Authorization" not in request.headers


def test_upload_is_multipart_field_files_into_the_directory(httpserver):
    seen = {}

    def handler(request):
        upload = request.files["files"]
        seen.update(directory=request.args["directory"], name=upload.filename, data=upload.read())
        return Response("", status=200)

    httpserver.expect_request("/upload/file", method="POST").respond_with_handler(handler)
    payload = b"\x00jar bytes" * 1000
    Transfer().upload(
        httpserver.url_for("/upload/file") + f"?token={TOKEN}",
        "/plugins",
        ".x.jar.part",
        io.BytesIO(payload),
        len(payload),
    )
    assert seen == {"directory": "/plugins", "name": ".x.jar.part", "data": payload}


@pytest.mark.parametrize("name", ["world.zip", "my plugin (1).jar", "été.yml", 'say "hi".txt'])
def test_the_form_is_urllib3s_own_encoding_of_the_same_file(name):
    """The streamed body is byte for byte the form urllib3 would build with the whole file in memory."""
    payload = bytes(range(256)) * 40
    body = MultipartBody(name, io.BytesIO(payload), len(payload), block=1000)
    streamed = b"".join(body)
    boundary = body.content_type.split("boundary=")[1]
    whole, content_type = encode_multipart_formdata(
        {"files": (name, payload, "application/octet-stream")}, boundary=boundary
    )
    assert (streamed, body.content_type) == (whole, content_type)
    assert len(body) == len(whole)


def test_a_local_file_that_shrinks_during_the_upload_fails_it_by_name():
    body = MultipartBody("x.jar", io.BytesIO(b"short"), 100)
    with pytest.raises(PterodactylError) as caught:
        b"".join(body)
    assert caught.value.code == "LocalFileChanged" and "95 bytes before its size of 100" in str(caught.value)


def test_a_local_file_that_grows_during_the_upload_is_sent_at_its_size():
    """The size was taken (and compared) before the upload: the bytes after it are not sent."""
    body = MultipartBody("x.jar", io.BytesIO(b"0123456789 and more"), 10, block=4)
    streamed = b"".join(body)
    assert b"0123456789\r\n--" in streamed and b"more" not in streamed and len(streamed) == len(body)


class RecordingFile(io.FileIO):
    """A local file that remembers the size of every read the upload makes of it."""

    def __init__(self, path) -> None:
        super().__init__(path, "rb")
        self.sizes: list[int] = []

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


def test_upload_reads_the_file_in_large_blocks_and_sends_its_length(httpserver, tmp_path):
    """A file-like body is read 16 KiB at a time by urllib3, and a multipart encoder around the file copies each
    block again: the file is read in CHUNK-sized blocks handed over as they are, still with a Content-Length."""
    seen = {}

    def handler(request):
        seen.update(
            length=request.headers.get("Content-Length"),
            chunked=request.headers.get("Transfer-Encoding"),
            data=request.files["files"].read(),
        )
        return Response("", status=200)

    httpserver.expect_request("/upload/file", method="POST").respond_with_handler(handler)
    payload = bytes(range(256)) * (3 * _files.CHUNK // 256) + b"tail"
    local = tmp_path / "world.zip"
    local.write_bytes(payload)
    with RecordingFile(local) as stream:
        Transfer().upload(
            httpserver.url_for("/upload/file") + f"?token={TOKEN}", "/", "world.zip", stream, len(payload)
        )
    assert seen["data"] == payload
    assert seen["chunked"] is None and int(seen["length"]) > len(payload)
    assert stream.sizes == [_files.CHUNK] * 3 + [4], stream.sizes[:10]


@pytest.mark.parametrize(
    "status, body, words",
    [
        (
            400,
            b'{"error":"File x.jar is larger than the maximum file upload size of 100 MB."}',
            "maximum file upload size",
        ),
        (403, b'{"error":"This file cannot be modified: present in egg denylist."}', "denylist"),
        (500, b"<html>oops</html>", "expired"),
    ],
)
def test_wings_errors_are_named_and_the_token_is_not(httpserver, status, body, words):
    httpserver.expect_request("/upload/file", method="POST").respond_with_data(body, status=status)
    with pytest.raises(PterodactylError) as caught:
        Transfer().upload(httpserver.url_for("/upload/file") + f"?token={TOKEN}", "/", "x.jar", io.BytesIO(b"x"), 1)
    text = str(caught.value) + repr(caught.value) + str(caught.value.to_failure())
    assert words in text and caught.value.status == status
    assert TOKEN not in text and "S3cr3t" not in text and "token=" not in text
    assert caught.value.uncertain is (status >= 500)


def test_sha256_of_a_local_file(tmp_path):
    local = tmp_path / "f.bin"
    local.write_bytes(b"abc" * 1_000_000)
    assert _files.sha256_of_file(str(local)) == (hashlib.sha256(b"abc" * 1_000_000).hexdigest(), 3_000_000)


def test_an_upload_through_a_hashing_reader_hashes_every_byte_sent(httpserver, tmp_path):
    """The body stops reading at the file's size, without a last empty read: the reader's digest and size are
    still those of the whole file, the bytes the node got."""
    seen = {}
    httpserver.expect_request("/upload/file", method="POST").respond_with_handler(
        lambda request: seen.update(data=request.files["files"].read()) or Response("", status=200)
    )
    payload = bytes(range(256)) * (2 * _files.CHUNK // 256) + b"tail"
    local = tmp_path / "world.zip"
    local.write_bytes(payload)
    with _files.HashingReader(str(local)) as reader:
        Transfer().upload(
            httpserver.url_for("/upload/file") + f"?token={TOKEN}", "/", "world.zip", reader, len(payload)
        )
    assert seen["data"] == payload
    assert (reader.sha256, reader.size) == (hashlib.sha256(payload).hexdigest(), len(payload))


def test_an_upload_of_a_file_that_shrank_fails_without_waiting_for_the_node(httpserver):
    httpserver.expect_request("/upload/file", method="POST").respond_with_data("", status=200)
    transfer = Transfer(timeout=20)
    with pytest.raises(PterodactylError) as caught:
        transfer.upload(httpserver.url_for("/upload/file") + f"?token={TOKEN}", "/", "x.jar", io.BytesIO(b"x"), 5000)
    assert caught.value.code == "LocalFileChanged" and TOKEN not in str(caught.value)
