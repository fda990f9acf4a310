"""The node's file transfer endpoints on the Wings port (W ``router/router_download.go``,
``router/router_server_files.go::postServerUploadFiles``), reached with the panel's signed URLs.

* ``GET /download/file?token=`` streams ``file_path`` (``application/octet-stream``, ``Content-Disposition:
  attachment; filename="<name>"``); a folder is a 404; a missing path, an escape or a final symlink the 500
  of §2.5. PW checks the egg denylist first (403) and answers a missing file 404.
* ``POST /upload/file?token=&directory=`` reads the whole ``multipart/form-data`` body first (Go's
  ``ParseMultipartForm``), takes the ``files`` parts (each named by the base name of its filename), refuses
  every part over ``api.upload_limit`` MB before writing any, then writes each to ``<directory>/<name>``
  (denylist, quota, parents created, 0644) and records ``server:file.uploaded`` (``file``, ``directory``).
  Success is a 200 with an empty body.

Faults for tests (control endpoint ``POST /transfers/faults``): ``{"kind": "upload"|"download",
"after_bytes": N, "count": 1, "leave_partial": false}`` aborts the connection once N bytes of file data
went through. An upload then writes nothing (as Wings: the form never completed), unless ``leave_partial``
asks for the bytes received so far to be left in the target file (a node that died mid-write).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import tempfile
from typing import Any

from aiohttp import BodyPartReader, web

from . import signed_urls
from .files_fs import FsError, ServerFS, for_server, wings_error
from .golike import go_base, go_clean, go_join
from .signed_urls import WingsAnswer, request_id, wings_json
from .wings import register_route

log = logging.getLogger("sandbox.files")

CHUNK = 64 * 1024
NO_FORM = "Failed to get multipart form data from request."
NO_FILES = "No files were found on the request body."


def _pelican(ctx: Any) -> bool:
    return getattr(ctx, "flavor", "pterodactyl") == "pelican"


def take_fault(ctx: Any, kind: str) -> dict | None:
    faults = getattr(ctx, "transfer_faults", None) or []
    for fault in faults:
        if fault["kind"] == kind and fault["count"] > 0:
            fault["count"] -= 1
            if fault["count"] <= 0:
                faults.remove(fault)
            return fault
    return None


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError()  # aiohttp closes the connection without an answer


def fs_answer(request: web.Request, err: FsError, pelican: bool) -> WingsAnswer:
    status, message = wings_error(err, pelican)
    rid = request_id(request)
    return WingsAnswer(wings_json(status, {"error": message, "request_id": rid}, rid))


def go_quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


async def download_file(ctx: Any, request: web.Request) -> web.StreamResponse:
    pelican = _pelican(ctx)
    try:
        token, server = signed_urls.check(ctx, request, "file-download", string_claims=("file_path",))
        path = str(token.claims.get("file_path") or "")
        fs = for_server(server, pelican=pelican)
        try:
            if pelican:
                fs.is_ignored(path)
            target, st = fs.open_nofollow(path)
        except FsError as exc:
            raise fs_answer(request, exc, pelican) from None
        if stat.S_ISDIR(st.st_mode):
            rid = request_id(request)
            raise WingsAnswer(wings_json(404, {"error": signed_urls.RESOURCE_NOT_FOUND}, rid))
    except WingsAnswer as answer:
        return answer.response
    return await stream_file(ctx, request, target, st.st_size)


async def stream_file(ctx: Any, request: web.Request, target: str, size: int) -> web.StreamResponse:
    """A node download's answer (files and backups): ``size`` bytes of ``target`` as an attachment named by its
    base name; an armed ``download`` transfer fault cuts it."""
    fault = take_fault(ctx, "download")
    response = web.StreamResponse(
        headers={
            "Content-Length": str(size),
            "Content-Disposition": "attachment; filename=" + go_quote(os.path.basename(target)),
            "Content-Type": "application/octet-stream",
            "X-Request-Id": request_id(request),
        }
    )
    await response.prepare(request)
    sent = 0
    with open(target, "rb") as fh:
        while sent < size:
            chunk = fh.read(min(CHUNK, size - sent))
            if not chunk:
                break
            if fault is not None and sent + len(chunk) > int(fault.get("after_bytes", 0)):
                chunk = chunk[: max(0, int(fault.get("after_bytes", 0)) - sent)]
                if chunk:
                    await response.write(chunk)
                await response.drain()
                _abort(request)
            await response.write(chunk)
            sent += len(chunk)
    await response.write_eof()
    return response


class _Part:
    def __init__(self, filename: str, spool: Any):
        self.filename = filename
        self.spool = spool
        self.size = 0


async def _read_form(ctx: Any, request: web.Request, fs: ServerFS, directory: str) -> list[_Part]:
    """Go's ``ParseMultipartForm``: every ``files`` part spooled to a temporary file before anything is written."""
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError):
        raise WingsAnswer(wings_json(400, {"error": NO_FORM}, request_id(request))) from None
    fault = take_fault(ctx, "upload")
    limit = int(fault.get("after_bytes", 0)) if fault else None
    received = 0
    parts: list[_Part] = []
    try:
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue  # a nested multipart: Go does not read those as files either
            entry = None
            if part.name == "files" and part.filename:
                spool = tempfile.TemporaryFile(prefix="sandbox-upload-")  # noqa: SIM115 - closed by upload_file
                entry = _Part(go_base(part.filename), spool)
                parts.append(entry)
            while True:
                chunk = await part.read_chunk(CHUNK)
                if not chunk:
                    break
                if limit is not None and received + len(chunk) > limit:
                    chunk = chunk[: max(0, limit - received)]
                    if entry is not None and fault.get("leave_partial"):
                        entry.spool.write(chunk)
                        entry.size += len(chunk)
                        entry.spool.seek(0)
                        _write_part(fs, go_join(directory, entry.filename), entry, check_quota=False)
                    _abort(request)
                received += len(chunk)
                if entry is not None:
                    entry.spool.write(chunk)
                    entry.size += len(chunk)
    except (ValueError, AssertionError, asyncio.IncompleteReadError, ConnectionError) as exc:
        for entry in parts:
            entry.spool.close()
        log.debug("upload form unreadable: %s", exc)
        raise WingsAnswer(wings_json(400, {"error": NO_FORM}, request_id(request))) from None
    return parts


def _write_part(fs: ServerFS, path: str, part: _Part, *, check_quota: bool = True) -> None:
    part.spool.seek(0)
    limit = fs.disk_limit
    if not check_quota:
        fs.disk_limit = 0
    try:
        fs.write(path, iter(lambda: part.spool.read(CHUNK), b""), part.size, 0o644)
    finally:
        fs.disk_limit = limit


async def upload_file(ctx: Any, request: web.Request) -> web.StreamResponse:
    pelican = _pelican(ctx)
    parts: list[_Part] = []
    try:
        token, server = signed_urls.check(ctx, request, "file-upload")
        fs = for_server(server, pelican=pelican)
        directory = request.query.get("directory", "")
        parts = await _read_form(ctx, request, fs, directory)
        if not parts:
            raise WingsAnswer(wings_json(400, {"error": NO_FILES}, request_id(request)))
        limit_mb = int(getattr(ctx, "upload_limit", 100))
        for part in parts:
            if part.size > limit_mb * 1024 * 1024:
                message = f"File {part.filename} is larger than the maximum file upload size of {limit_mb} MB."
                raise WingsAnswer(wings_json(400, {"error": message}, request_id(request)))
        for part in parts:
            path = go_join(directory, part.filename)
            try:
                fs.is_ignored(path)
                _write_part(fs, path, part)
            except FsError as exc:
                raise fs_answer(request, exc, pelican) from None
            _record_upload(ctx, request, token, server, part.filename, directory)
    except WingsAnswer as answer:
        return answer.response
    finally:
        for part in parts:
            with contextlib.suppress(OSError):
                part.spool.close()
    return web.Response(status=200, headers={"X-Request-Id": request_id(request)})


def _record_upload(ctx: Any, request: web.Request, token: Any, server: Any, filename: str, directory: str) -> None:
    """Wings batches ``server:file.uploaded`` to the panel's activity log (actor: the token's user)."""
    fleet = getattr(ctx, "fleet", None)
    if fleet is None:
        return
    actor = next((u for u in fleet.users if u.uuid == token.user_uuid), None)
    properties = {"file": filename, "directory": go_clean(directory)}
    fleet.record("server:file.uploaded", actor, server, properties, ip=request.remote or "")


def guarded(handler):
    """An unexpected failure is Wings' generic 500 JSON (gin's recovery), not aiohttp's text page."""

    async def guarded(ctx: Any, request: web.Request) -> web.StreamResponse:
        try:
            return await handler(ctx, request)
        except (asyncio.CancelledError, web.HTTPException):
            raise
        except Exception:
            log.exception("node file route failed: %s %s", request.method, request.path)
            return signed_urls.generic_error(request).response

    return guarded


register_route("GET", "/download/file", guarded(download_file))
register_route("POST", "/upload/file", guarded(upload_file))
