"""The files family: ``/api/client/servers/{server}/files/*`` over each server's real data folder.

Reference: ``../shared/reference/panel-client-api-config.md`` §2. Each handler runs behind the panel's
pipeline (sandbox/panel.py) and then does what the real controller's form request and controller do:
403 permission (``This action is unauthorized.``), 422 validation (Laravel's rules of §2.1), the Wings call
(here: sandbox/files_fs.py on the data folder, with Wings' errors), the activity entry, the answer.
A Wings error reaches the client as the panel turns it (PT ``DaemonConnectionException`` with the Wings status:
``An error occurred on the remote host: <text>. (request id: <id>)`` below 500, ``There was an error while
communicating with the machine running this server. ... (code: 500) (request_id: <id>)`` from 500;
Pelican: a 500 with the generic text, code ``RequestException`` or the repository's exception).
Signed URLs point at sandbox/files_wings.py on the Wings port.
"""

from __future__ import annotations

import calendar
import re
import stat
import time
import urllib.parse
import uuid as uuidlib
from typing import Any

from aiohttp import web

from . import errors as E
from . import files_wings, signed_urls  # noqa: F401 - files_wings registers the node's transfer routes
from .errors import ApiError
from .files_archive import compress, decompress
from .files_fs import FsError, ServerFS, for_server, wings_error
from .fleet import iso
from .forms import as_list, checked_input
from .golike import go_join
from .panel import Ctx, Panel, route

MAX_EDIT_SIZE = 4 * 1024 * 1024  # PTERODACTYL_FILES_MAX_EDIT_SIZE / PANEL_FILES_MAX_EDIT_SIZE
WRITE_ON_FOLDER = "Cannot write file, name conflicts with an existing directory by the same name."
TOO_LARGE = "The file you are attempting to open is too large to view in the file editor."
BASE = r"^/api/client/servers/(?P<server>[^/]+)/files/"
OPTIONAL_ROOT = ("root", "sometimes|nullable|string")
REQUIRED_ROOT = ("root", "required|nullable|string")  # ``required`` fails on null whatever ``nullable`` says
PELICAN_EXTENSIONS = ("zip", "tgz", "tar.gz", "txz", "tar.xz", "tbz2", "tar.bz2")
# Pelican's DaemonFileRepository turns some Wings statuses into its own exceptions (all 500s for the client)
PELICAN_CODES = {
    ("contents", 400): "FileNotEditableException",
    ("contents", 404): "FileNotFoundException",
    ("write", 400): "FileExistsException",
    ("create-folder", 400): "FileExistsException",
}


class WingsFailure(Exception):
    """What the node answered instead of success: ``status`` and its ``error`` text."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------- helpers


def max_edit_size(panel: Panel) -> int:
    return int(getattr(panel, "max_edit_size", MAX_EDIT_SIZE))


def daemon_error(panel: Panel, op: str, failure: WingsFailure) -> ApiError:
    if panel.pelican:
        return E.unexpected(PELICAN_CODES.get((op, failure.status), "RequestException"))
    request_id = str(uuidlib.uuid4())
    if failure.status >= 500:
        detail = (
            "There was an error while communicating with the machine running this server. This error has been "
            f"logged, please try again. (code: {failure.status}) (request_id: {request_id})"
        )
    else:
        detail = f"An error occurred on the remote host: {failure.message}. (request id: {request_id})"
    return ApiError(failure.status, "DaemonConnectionException", detail, pretty=False)


def fs_failure(panel: Panel, err: FsError) -> WingsFailure:
    return WingsFailure(*wings_error(err, panel.pelican))


def node_fs(panel: Panel, ctx: Ctx) -> ServerFS:
    """The Wings call: 504 (Pelican 500) for an unreachable node, else the server's data folder."""
    panel.check_daemon(ctx.server)
    return for_server(ctx.server, pelican=panel.pelican)


def record(panel: Panel, ctx: Ctx, event: str, properties: dict) -> None:
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def file_object(item: dict) -> dict:
    """PT ``FileObjectTransformer`` over Wings' Stat JSON (times re-emitted as ``+00:00``)."""
    return {
        "object": "file_object",
        "attributes": {
            "name": item.get("name"),
            "mode": item.get("mode"),
            "mode_bits": item.get("mode_bits"),
            "size": item.get("size"),
            "is_file": item.get("file", True),
            "is_symlink": item.get("symlink", False),
            "mimetype": item.get("mime", "application/octet-stream"),
            "created_at": _atom(item.get("created", "")),
            "modified_at": _atom(item.get("modified", "")),
        },
    }


def _atom(go_time: str) -> str:
    try:
        return iso(calendar.timegm(time.strptime(go_time, "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        return go_time


def _root(value: Any) -> str:
    return value if isinstance(value, str) else "/"


# --------------------------------------------------------------------------- routes


@route("api:client:server.files.list", BASE + r"list$", ("GET",))
async def list_files(panel: Panel, ctx: Ctx) -> web.Response:
    checked_input(panel, ctx, "file.read", [("directory", "sometimes|nullable|string")])
    directory = ctx.query.get("directory") or "/"
    fs = node_fs(panel, ctx)
    try:
        items = fs.list_directory(directory)
    except FsError as exc:
        status, message = wings_error(exc, panel.pelican)
        if panel.pelican and exc.kind == "notexist":
            message = "The requested directory was not found on the server."
        raise daemon_error(panel, "list", WingsFailure(status, message)) from None
    return panel.json_response({"object": "list", "data": [file_object(i) for i in items]})


@route("api:client:server.files.contents", BASE + r"contents$", ("GET",))
async def contents(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "file.read-content", [("file", "required|string")])
    file = ctx.query.get("file", data["file"])  # $request->get(): the query string first
    fs = node_fs(panel, ctx)
    try:
        if panel.pelican:
            fs.is_ignored(file.lstrip("/"))
        target, st = fs.open_nofollow(file.lstrip("/"))
        if stat.S_ISFIFO(st.st_mode):
            raise WingsFailure(400, "Cannot open files of this type.")
        if stat.S_ISDIR(st.st_mode):
            raise FsError("isdir", file)
        if not stat.S_ISREG(st.st_mode):
            raise FsError("other", f"{file} cannot be read")
    except FsError as exc:
        failure = fs_failure(panel, exc)
        if panel.pelican and exc.kind == "isdir":
            failure = WingsFailure(400, "Cannot perform that action: file is a directory.")
        raise daemon_error(panel, "contents", failure) from None
    except WingsFailure as failure:
        raise daemon_error(panel, "contents", failure) from None
    if st.st_size > max_edit_size(panel):  # the panel checks Wings' Content-Length once the answer is in
        raise ApiError(400, "FileSizeTooLargeException", TOO_LARGE, pretty=False)
    with open(target, "rb") as fh:
        data = fh.read(st.st_size)
    record(panel, ctx, "server:file.read", {"file": file})
    if panel.pelican:
        return web.Response(body=convert_to_utf8(data), headers={"Content-Type": "text/plain; charset=utf-8"})
    return web.Response(body=data, headers={"Content-Type": "text/plain"})


def convert_to_utf8(data: bytes) -> bytes:
    """PL ``convert_to_utf8``: valid UTF-8 unchanged, a UTF-16 BOM decoded, anything else read as ISO-8859-1."""
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").encode("utf-8")
    return data.decode("latin-1").encode("utf-8")


@route("api:client:server.files.download", BASE + r"download$", ("GET",))
async def download(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "file.read-content", [("file", "required|string")])
    file = ctx.query.get("file", data["file"])
    claims = {"file_path": urllib.parse.unquote(file, errors="replace"), "server_uuid": ctx.server.uuid}
    token = signed_urls.issue(panel, ctx.user, ctx.server, claims, scope="file-download")
    record(panel, ctx, "server:file.download", {"file": file})
    return panel.json_response(signed_urls.signed_url(panel, "/download/file", token))


@route("api:client:server.files.upload", BASE + r"upload$", ("GET",))
async def upload(panel: Panel, ctx: Ctx) -> web.Response:
    checked_input(panel, ctx, "file.create", [])
    token = signed_urls.issue(panel, ctx.user, ctx.server, {"server_uuid": ctx.server.uuid}, scope="file-upload")
    return panel.json_response(signed_urls.signed_url(panel, "/upload/file", token))


@route("api:client:server.files.write", BASE + r"write$", ("POST",))
async def write(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "file.create", [("file", "required|string")])
    file = ctx.query.get("file", data["file"])
    multipart = ctx.request.headers.get("Content-Type", "").lower().startswith("multipart/form-data")
    content = b"" if multipart else await ctx.request.read()  # PHP's getContent() is empty for multipart
    fs = node_fs(panel, ctx)
    path = "/" + file.lstrip("/")
    try:
        fs.is_ignored(path)
        fs.write(path, [content], len(content), 0o644)
    except FsError as exc:
        failure = fs_failure(panel, exc)
        if exc.kind == "isdir":
            failure = WingsFailure(400, WRITE_ON_FOLDER)
        raise daemon_error(panel, "write", failure) from None
    record(panel, ctx, "server:file.write", {"file": file})
    return web.Response(status=204)


@route("api:client:server.files.rename", BASE + r"rename$", ("PUT",))
async def rename(panel: Panel, ctx: Ctx) -> web.Response:
    rules = [REQUIRED_ROOT, ("files", "required|array"), ("files.*", "array")]
    rules += [("files.*.to", "required|string"), ("files.*.from", "required|string")]
    data = checked_input(panel, ctx, "file.update", rules)
    root, files = data["root"], as_list(data["files"])
    fs = node_fs(panel, ctx)
    try:
        for pair in files:
            source, target = go_join(root, pair["from"]), go_join(root, pair["to"])
            fs.is_ignored(source, target)
            try:
                fs.rename(source, target)
            except FsError as exc:
                if exc.kind == "notexist":
                    continue  # W skips a missing source (or target parent it cannot make)
                if exc.kind == "exist":
                    raise WingsFailure(400, "Cannot move or rename file, destination already exists.") from None
                raise
    except FsError as exc:
        raise daemon_error(panel, "rename", fs_failure(panel, exc)) from None
    except WingsFailure as failure:
        raise daemon_error(panel, "rename", failure) from None
    properties: dict = {"directory": root, "files": files}
    if panel.pelican:
        properties.update({"to": files[0]["to"], "from": files[0]["from"]})
    record(panel, ctx, "server:file.rename", properties)
    return web.Response(status=204)


@route("api:client:server.files.copy", BASE + r"copy$", ("POST",))
async def copy(panel: Panel, ctx: Ctx) -> web.Response:
    location = checked_input(panel, ctx, "file.create", [("location", "required|string")])["location"]
    fs = node_fs(panel, ctx)
    try:
        fs.is_ignored(location)
        fs.copy(location)
    except FsError as exc:
        raise daemon_error(panel, "copy", fs_failure(panel, exc)) from None
    record(panel, ctx, "server:file.copy", {"file": location})
    return web.Response(status=204)


@route("api:client:server.files.delete", BASE + r"delete$", ("POST",))
async def delete(panel: Panel, ctx: Ctx) -> web.Response:
    rules = [REQUIRED_ROOT, ("files", "required|array"), ("files.*", "string")]
    data = checked_input(panel, ctx, "file.delete", rules)
    root, files = data["root"], as_list(data["files"])
    fs = node_fs(panel, ctx)
    try:
        for name in files:
            fs.delete(go_join(root, name))
    except FsError as exc:
        raise daemon_error(panel, "delete", fs_failure(panel, exc)) from None
    record(panel, ctx, "server:file.delete", {"directory": root, "files": files})
    return web.Response(status=204)


@route("api:client:server.files.create-folder", BASE + r"create-folder$", ("POST",))
async def create_folder(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "file.create", [OPTIONAL_ROOT, ("name", "required|string")])
    if "root" in data and data["root"] is None:
        raise E.unexpected("TypeError")  # createDirectory(string $name, string $path) given null
    root, name = data.get("root", "/"), data["name"]
    fs = node_fs(panel, ctx)
    try:
        fs.mkdir_all(go_join(root, name))
    except FsError as exc:
        failure = fs_failure(panel, exc)
        if panel.pelican and exc.kind == "notdir":
            failure = WingsFailure(400, "Part of the path being created is not a directory (ENOTDIR).")
        raise daemon_error(panel, "create-folder", failure) from None
    record(panel, ctx, "server:file.create-directory", {"name": name, "directory": data.get("root")})
    return web.Response(status=204)


@route("api:client:server.files.chmod", BASE + r"chmod$", ("POST",))
async def chmod(panel: Panel, ctx: Ctx) -> web.Response:
    rules = [REQUIRED_ROOT, ("files", "required|array")]
    rules += [("files.*.file", "required|string"), ("files.*.mode", "required|numeric")]
    data = checked_input(panel, ctx, "file.update", rules)
    root, files = data["root"], as_list(data["files"])
    fs = node_fs(panel, ctx)
    if any(not isinstance(item.get("mode"), str) for item in files):
        # Wings binds ``mode`` to a Go string: a JSON number fails the binding (400, generic text)
        raise daemon_error(panel, "chmod", WingsFailure(400, signed_urls.GENERIC_HTTP))
    try:
        for item in files:
            mode = item["mode"]
            if not re.fullmatch(r"[0-7]+", mode) or int(mode, 8) > 0xFFFFFFFF:  # Go's ParseUint(mode, 8, 32)
                raise WingsFailure(400, "Invalid file mode.")
            try:
                fs.chmod(go_join(root, item["file"]), int(mode, 8))
            except FsError as exc:
                if exc.kind != "notexist":
                    raise
    except FsError as exc:
        raise daemon_error(panel, "chmod", fs_failure(panel, exc)) from None
    except WingsFailure as failure:
        raise daemon_error(panel, "chmod", failure) from None
    return web.Response(status=204)


@route("api:client:server.files.compress", BASE + r"compress$", ("POST",))
async def compress_files(panel: Panel, ctx: Ctx) -> web.Response:
    rules = [OPTIONAL_ROOT, ("files", "required|array"), ("files.*", "string")]
    if panel.pelican:
        rules += [("name", "sometimes|nullable|string"), ("extension", "sometimes|in:" + ",".join(PELICAN_EXTENSIONS))]
    data = checked_input(panel, ctx, "file.archive", rules)
    files = as_list(data["files"])
    fs = node_fs(panel, ctx)
    try:
        item, _path = compress(
            fs, _root(data.get("root")), files, name=data.get("name") or "", extension=data.get("extension") or ""
        )
    except FsError as exc:
        failure = fs_failure(panel, exc)
        if exc.kind == "compress-space":
            text = "This server does not have enough available disk space to generate a compressed archive."
            failure = WingsFailure(409, text)
        raise daemon_error(panel, "compress", failure) from None
    properties = {"name": item["name"]} if panel.pelican else {}
    properties.update({"directory": data.get("root"), "files": files})
    record(panel, ctx, "server:file.compress", properties)
    return panel.json_response(file_object(item))


@route("api:client:server.files.decompress", BASE + r"decompress$", ("POST",))
async def decompress_file(panel: Panel, ctx: Ctx) -> web.Response:
    data = checked_input(panel, ctx, "file.create", [OPTIONAL_ROOT, ("file", "required|string")])
    fs = node_fs(panel, ctx)
    try:
        decompress(fs, _root(data.get("root")), data["file"])
    except FsError as exc:
        raise daemon_error(panel, "decompress", fs_failure(panel, exc)) from None
    key = "file" if panel.pelican else "files"
    record(panel, ctx, "server:file.decompress", {"directory": data.get("root"), key: data["file"]})
    return web.Response(status=204)
