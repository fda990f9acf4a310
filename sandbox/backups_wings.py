"""The backups' node side: Wings' local backup adapter over each server's data folder (W ``server/backup.go``,
``server/backup/backup*.go``, ``server/filesystem/archive.go``, ``router/router_server_backup.go``,
``router/router_download.go``; reference panel-client-api-config.md §3.4 and wings-websocket.md §2.2).

The panel (sandbox/backups.py) calls these as it calls Wings' HTTP API, and hands a ``remote``: the panel's
``/api/remote/backups/...`` endpoints, which the node reports to when a job ends.

* :func:`start_backup` (``POST /api/servers/{uuid}/backup``, 202): in the background, a ``tar.gz`` of the
  server's data folder (regular files and symlinks, walked in name order, no folder entries; a symlink is named
  by its base name, as W's ``addToArchive`` does) without the paths matched by ``ignore`` (gitignore lines;
  empty: the ``.pteroignore`` in the root, if it is a regular file of at most 32 KiB) is written to
  ``<backup_dir>/<uuid>.tar.gz`` (PW: ``<backup_dir>/<server uuid>/<uuid>.tar.gz``), never inside a data folder.
  The job takes at least ``backup_min_seconds``. Then the panel is told (``checksum`` = sha1 hex, ``size``),
  then the bus gets ``backup completed`` with Go's JSON of ``{"checksum","checksum_type":"sha1","file_size",
  "is_successful","uuid"}`` (keys sorted, as a Go map). A failure (or an armed fault) reports
  ``successful: false`` and publishes ``is_successful: false``, ``checksum: ""``, ``file_size: 0``. A success
  the panel refuses (the backup was deleted meanwhile) removes the archive and publishes nothing.
* :func:`restore` (``POST /api/servers/{uuid}/backup/{backup}/restore``): the restoring flag, the optional
  truncation of the data folder and the archive lookup (missing: 500) happen before the 202; then, in the
  background, the suspended flag, a stop of the game (the egg's stop, waiting ``restore_stop_timeout`` s, never a
  kill), ``daemon message`` ``(restoring): <name>`` and a write per entry (quota checked, no denylist), the panel
  told ``successful``, the flags cleared, ``daemon message`` ``Completed server restoration from local backup.``
  and ``backup restore completed`` (``""``), after a failure too.
* :func:`delete_backup` (``DELETE /api/servers/{uuid}/backup/{backup}``): 404 ``The requested backup was not
  found on this server.`` when there is no archive.
* ``GET /download/backup?token=`` streams the archive (``Content-Disposition: attachment;
  filename="<uuid>.tar.gz"``); a backup without an archive is a 404 with the text above; the token checks are
  sandbox/signed_urls.py's (PW: scope ``backup-download``, and the uuid must parse, else a 500).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import pathlib
import shutil
import stat
import tarfile
import tempfile
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pathspec
from aiohttp import web

from . import signed_urls
from .files_fs import FsError, for_server
from .files_wings import guarded, stream_file
from .power import OFFLINE
from .signed_urls import GENERIC_HTTP, WingsAnswer, request_id, wings_json
from .wings import go_json, register_route

log = logging.getLogger("sandbox.backups")

BACKUP_NOT_FOUND = "The requested backup was not found on this server."
IGNORE_FILE = ".pteroignore"
IGNORE_FILE_LIMIT = 32 * 1024
RESTORED = "Completed server restoration from local backup."
CHUNK = 64 * 1024


class NodeError(Exception):
    """What the node answered instead of success: ``status`` and its ``error`` text."""

    def __init__(self, status: int, message: str = GENERIC_HTTP):
        super().__init__(message)
        self.status = status
        self.message = message


class Remote(Protocol):
    """The panel's remote API as the node reaches it."""

    def backup_status(self, server: Any, uuid: str, successful: bool, checksum: str, size: int) -> bool:
        """``POST /api/remote/backups/{uuid}``; False when the panel refused it."""

    def restore_status(self, server: Any, uuid: str, successful: bool) -> None:
        """``POST /api/remote/backups/{uuid}/restore``."""


def _pelican(ctx: Any) -> bool:
    return getattr(ctx, "flavor", "pterodactyl") == "pelican"


def backup_root(ctx: Any) -> pathlib.Path:
    """``system.backup_directory`` (a temporary folder when the sandbox was not given one)."""
    root = getattr(ctx, "backup_dir", None)
    if root is None:
        root = ctx.backup_dir = tempfile.mkdtemp(prefix="sandbox-backups-")
    path = pathlib.Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def archive_path(ctx: Any, server_uuid: str, uuid: str) -> pathlib.Path:
    """W ``<dir>/<uuid>.tar.gz``; PW keeps each server's backups in a folder of its own."""
    root = backup_root(ctx)
    if _pelican(ctx):
        return root / server_uuid / f"{uuid}.tar.gz"
    return root / f"{uuid}.tar.gz"


# --------------------------------------------------------------------------- background jobs


def _spawn(ctx: Any, coro) -> asyncio.Task:
    jobs: set[asyncio.Task] | None = getattr(ctx, "backup_jobs", None)
    if jobs is None:
        jobs = ctx.backup_jobs = set()

        async def close() -> None:
            for job in list(jobs):
                job.cancel()
            if jobs:
                await asyncio.wait(list(jobs), timeout=10)

        getattr(ctx, "closers", []).append(close)
    task = asyncio.get_running_loop().create_task(coro)
    jobs.add(task)
    task.add_done_callback(jobs.discard)
    return task


async def _in_thread(function: Callable, *args: Any) -> Any:
    """Run blocking work in a thread; a cancelled job tells the thread to stop at its next file."""
    cancel = threading.Event()
    try:
        return await asyncio.get_running_loop().run_in_executor(None, function, *args, cancel)
    except asyncio.CancelledError:
        cancel.set()
        raise


def take_fault(ctx: Any, server: Any) -> bool:
    """An armed ``POST <control_url>/backups/faults``: this backup of ``server`` fails."""
    faults = getattr(ctx, "backup_faults", None) or []
    for fault in faults:
        if fault.get("server") == server.uuid and fault.get("count", 0) > 0:
            fault["count"] -= 1
            if fault["count"] <= 0:
                faults.remove(fault)
            return True
    return False


# --------------------------------------------------------------------------- generation


def ignored_patterns(server: Any, ignore: str) -> str:
    """W ``Server.Backup``: the request's lines, else the ``.pteroignore`` of the root (not a symlink, ≤ 32 KiB)."""
    if ignore:
        return ignore
    try:
        fs = for_server(server)
        path, st = fs.open_nofollow(IGNORE_FILE)
        if not stat.S_ISREG(st.st_mode) or st.st_size > IGNORE_FILE_LIMIT:
            return ""
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")
    except (FsError, OSError):
        return ""


def walk(root: str, relative: str = "") -> Iterator[tuple[os.DirEntry, str]]:
    """Go's WalkDir: entries in name order, a folder's content right after it; -> (entry, path in the root)."""
    try:
        with os.scandir(os.path.join(root, relative) if relative else root) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        path = f"{relative}/{entry.name}" if relative else entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from walk(root, path)
        else:
            yield entry, path


def write_archive(root: pathlib.Path, target: pathlib.Path, ignore: str, cancel: threading.Event) -> None:
    """W ``filesystem.Archive.Create`` (gzip at its fastest level, as W's default ``compression_level``)."""
    spec = pathspec.GitIgnoreSpec.from_lines(ignore.split("\n")) if ignore.strip() else None
    root.mkdir(parents=True, exist_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as archive:
        for entry, relative in walk(str(root)):
            if cancel.is_set():
                raise OSError("the backup was cancelled")
            if spec is not None and spec.match_file(relative):
                continue
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(mode):
                    archive.addfile(archive.gettarinfo(entry.path, arcname=entry.name))
                elif stat.S_ISREG(mode):
                    info = archive.gettarinfo(entry.path, arcname=relative)
                    with open(entry.path, "rb") as fh:
                        archive.addfile(info, fh)
            except FileNotFoundError:
                continue  # gone since the walk saw it


def archive_details(path: pathlib.Path, cancel: threading.Event) -> tuple[str, int]:
    """-> (sha1 hex, size), as W's ``Backup.Details``."""
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest(), os.stat(path).st_size


def completed_event(uuid: str, successful: bool, checksum: str = "", size: int = 0) -> str:
    """The ``backup completed`` argument: Go's JSON of the map Wings publishes (keys sorted)."""
    payload = {"checksum": checksum, "checksum_type": "sha1", "file_size": size}
    payload.update({"is_successful": successful, "uuid": uuid})
    return go_json(payload)


def start_backup(ctx: Any, server: Any, uuid: str, ignore: str, remote: Remote) -> None:
    """``POST /api/servers/{uuid}/backup``: accepted, the work goes on in the background."""
    _spawn(ctx, _generate(ctx, server, uuid, ignore, remote))


async def _generate(ctx: Any, server: Any, uuid: str, ignore: str, remote: Remote) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    path = archive_path(ctx, server.uuid, uuid)
    details = None
    try:
        failing = take_fault(ctx, server)
        if not failing:
            patterns = ignored_patterns(server, ignore)
            await _in_thread(write_archive, pathlib.Path(server.runtime.data_dir), path, patterns)
        # the least time a backup takes is spent as if writing (a delete meanwhile makes the details fail)
        remaining = float(getattr(ctx, "backup_min_seconds", 0) or 0) - (loop.time() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        if failing:
            raise OSError("backup failure armed through the control endpoint")
        details = await _in_thread(archive_details, path)
    except OSError as exc:
        log.info("server %s: backup %s failed: %s", server.uuid, uuid, exc)
    if details is None:
        remote.backup_status(server, uuid, False, "", 0)
        server.runtime.publish("backup completed", [completed_event(uuid, False)])
        return
    checksum, size = details
    if not remote.backup_status(server, uuid, True, checksum, size):
        with contextlib.suppress(OSError):
            path.unlink()  # Wings removes the archive when the panel does not take the success
        return
    server.runtime.publish("backup completed", [completed_event(uuid, True, checksum, size)])


# --------------------------------------------------------------------------- restore


def truncate_root(root: pathlib.Path) -> None:
    """W ``TruncateRootDirectory``: everything in the data folder goes (the folder itself stays here, so a running
    game keeps its working directory)."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


def restore(ctx: Any, server: Any, uuid: str, truncate: bool, remote: Remote) -> None:
    """``POST .../backup/{backup}/restore`` with the ``wings`` adapter: NodeError(500) when it cannot start."""
    runtime = server.runtime
    runtime.restoring = True
    started = False
    try:
        if truncate:
            try:
                truncate_root(pathlib.Path(runtime.data_dir))
            except OSError as exc:
                raise NodeError(500) from exc
        path = archive_path(ctx, server.uuid, uuid)
        if not path.is_file():
            raise NodeError(500)  # LocateLocal: a missing archive is an unmapped error
        _spawn(ctx, _restore(ctx, server, uuid, path, remote))
        started = True
    finally:
        if not started:
            runtime.restoring = False


def extract(server: Any, path: pathlib.Path, announce: Callable[[str], None], cancel: threading.Event) -> None:
    """W ``LocalBackup.Restore`` and its callback: each entry announced, then written (quota, parents, mode)."""
    fs = for_server(server)
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if cancel.is_set():
                raise OSError("the restore was cancelled")
            if member.isdir():
                continue
            announce(f"(restoring): {member.name}")
            reader = archive.extractfile(member) if member.isfile() else None
            size = member.size if reader is not None else 0
            chunks = iter(lambda r=reader: r.read(CHUNK), b"") if reader is not None else iter(())
            fs.write(member.name, chunks, size, (member.mode & 0o777) or 0o644)
            with contextlib.suppress(OSError, FsError):
                os.utime(fs.full(member.name), (member.mtime, member.mtime), follow_symlinks=False)


async def _restore(ctx: Any, server: Any, uuid: str, path: pathlib.Path, remote: Remote) -> None:
    runtime = server.runtime
    loop = asyncio.get_running_loop()
    try:
        runtime.suspended = True
        successful = False
        try:
            if runtime.state != OFFLINE:
                await runtime.wait_for_stop(float(getattr(ctx, "restore_stop_timeout", 120.0)), terminate=False)

            def announce(text: str) -> None:
                loop.call_soon_threadsafe(runtime.publish, "daemon message", [text])

            await _in_thread(extract, server, path, announce)
            successful = True
        except Exception as exc:  # Wings logs any failure and reports it
            log.info("server %s: restore of %s failed: %s", server.uuid, uuid, exc)
        remote.restore_status(server, uuid, successful)
        runtime.suspended = False
        runtime.publish("daemon message", [RESTORED])
        runtime.publish("backup restore completed", [""])
    finally:
        runtime.suspended = False
        runtime.restoring = False


# --------------------------------------------------------------------------- delete and download


def delete_backup(ctx: Any, server: Any, uuid: str) -> None:
    """``DELETE .../backup/{backup}``: NodeError(404) without an archive."""
    path = archive_path(ctx, server.uuid, uuid)
    if not path.exists():
        raise NodeError(404, BACKUP_NOT_FOUND)
    if path.is_dir():
        raise NodeError(500)  # "invalid archive, is directory"
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise NodeError(500) from exc


async def download_backup(ctx: Any, request: web.Request) -> web.StreamResponse:
    try:
        token, server = signed_urls.check(ctx, request, "backup-download", string_claims=("backup_uuid",))
        uuid = str(token.claims.get("backup_uuid") or "")
        if _pelican(ctx):
            try:
                uuidlib.UUID(uuid)
            except ValueError:
                raise signed_urls.generic_error(request) from None
        path = archive_path(ctx, server.uuid, uuid)
        if not path.exists():
            raise WingsAnswer(wings_json(404, {"error": BACKUP_NOT_FOUND}, request_id(request)))
        if path.is_dir():
            raise signed_urls.generic_error(request)
        size = path.stat().st_size
    except WingsAnswer as answer:
        return answer.response
    return await stream_file(ctx, request, str(path), size)


register_route("GET", "/download/backup", guarded(download_backup))
