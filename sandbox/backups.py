"""The backups family: ``/api/client/servers/{server}/backups/*`` (reference panel-client-api-config.md §3).

Each handler runs behind the panel's pipeline (sandbox/panel.py) and does what PT ``BackupController`` and its
services do, in their order: the backup's binding (an unknown or deleted uuid is a 404 where the server is bound;
Pelican binds it scoped to the server, so another server's backup is that 404 too; Pterodactyl's
``ResourceBelongsToServer`` answers it after the 409 checks: ``The requested resource was not found for this
server.``), the permission (403), Laravel's rules (422), the service's checks, the Wings call (sandbox/
backups_wings.py, a real ``tar.gz`` of the server's data folder), the activity entry, the answer.

The rows live in ``fleet.backups`` (the table, in id order): Pterodactyl soft-deletes (a deleted backup still
counts for the creation throttle), Pelican deletes. The node reports completion and restores through
:class:`Remote`, the panel's ``/api/remote/backups`` endpoints (activity without an actor).
"""

from __future__ import annotations

import dataclasses
import datetime
import time
import uuid as uuidlib
from typing import Any

from aiohttp import web

from . import backups_wings, signed_urls
from . import errors as E
from .backups_wings import NodeError
from .errors import ApiError
from .files import WingsFailure, daemon_error
from .fleet import Server, iso
from .forms import checked_input, permit
from .panel import Ctx, Panel, register_binder, route

BASE = r"^/api/client/servers/(?P<server>[^/]+)/backups"
ITEM = BASE + r"/(?P<backup>[^/]+)"
THROTTLE = {"count": 2, "period": 600}  # BACKUP_THROTTLE_LIMIT / BACKUP_THROTTLE_PERIOD
RESTORE_THROTTLE = {"count": 3, "period": 900}  # Pelican's ResourceLimit::BackupRestore (3 per 15 min per server)
NOT_FOR_SERVER = "The requested resource was not found for this server."
TOO_MANY = "Only {count} backups may be generated within a {period} second span of time."
LIMIT = "Cannot create a new backup, this server has reached its limit of {limit} backups."
LOCKED = "Cannot delete a backup that is marked as locked."
NOT_RESTORABLE = "This server is not currently in a state that allows for a backup to be restored."
IN_PROGRESS = "This backup cannot be restored at this time: not completed or failed."


@dataclasses.dataclass(eq=False)
class Backup:
    """A row of the ``backups`` table."""

    server: Server
    uuid: str
    name: str
    ignored_files: list[str]
    created_at: float
    is_locked: bool = False
    is_scheduled: bool = False  # Pelican: made by a schedule's task
    is_successful: bool = False
    checksum: str | None = None
    bytes: int = 0
    disk: str = "wings"
    completed_at: float | None = None
    deleted_at: float | None = None

    @property
    def non_failed(self) -> bool:
        """In progress or successful (``getNonFailedBackups``)."""
        return self.completed_at is None or self.is_successful


# --------------------------------------------------------------------------- the table


def live(panel: Panel, server: Server) -> list[Backup]:
    """``$server->backups()``: the server's rows that are not deleted, in id order."""
    return [b for b in panel.fleet.backups if b.server is server and b.deleted_at is None]


def find(panel: Panel, uuid: str) -> Backup | None:
    return next((b for b in panel.fleet.backups if b.uuid == uuid and b.deleted_at is None), None)


def bind_backup(panel: Panel, server: Server, value: str) -> Backup:
    """Route binding of ``{backup}`` by uuid (Pelican's ``{backup:uuid}`` is scoped to the server)."""
    backup = find(panel, value)
    if backup is None or (panel.pelican and backup.server is not server):
        raise E.not_found(E.NOT_FOUND_UNKNOWN)
    return backup


register_binder("backup", bind_backup)


def backup_of(ctx: Ctx) -> Backup:
    """PT ``ResourceBelongsToServer``."""
    backup = ctx.bound["backup"]
    if backup.server is not ctx.server:
        raise E.not_found(NOT_FOR_SERVER)
    return backup


def backup_item(panel: Panel, backup: Backup) -> dict:
    """PT ``BackupTransformer`` (Pelican adds ``is_scheduled``)."""
    attrs: dict[str, Any] = {"uuid": backup.uuid, "is_successful": backup.is_successful, "is_locked": backup.is_locked}
    if panel.pelican:
        attrs["is_scheduled"] = backup.is_scheduled
    attrs.update(
        {
            "name": backup.name,
            "ignored_files": list(backup.ignored_files),
            "checksum": backup.checksum,
            "bytes": backup.bytes,
            "created_at": iso(backup.created_at),
            "completed_at": iso(backup.completed_at) if backup.completed_at is not None else None,
        }
    )
    return {"object": "backup", "attributes": attrs}


def record(panel: Panel, ctx: Ctx, event: str, properties: dict) -> None:
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def php_bool(value: Any) -> bool:
    """PHP's ``(bool)`` of a validated boolean input (``"0"`` is false)."""
    return value not in (None, False, 0, "0", "")


def node_failure(panel: Panel, exc: NodeError) -> ApiError:
    return daemon_error(panel, "backups", WingsFailure(exc.status, exc.message))


# --------------------------------------------------------------------------- settings (control endpoint)


def settings(panel: Panel) -> dict:
    ctx = panel.node_context
    return {
        "backup_throttle": dict(getattr(panel, "backup_throttle", THROTTLE)),
        "backup_restore_throttle": dict(getattr(panel, "backup_restore_throttle", RESTORE_THROTTLE)),
        "backup_min_seconds": getattr(ctx, "backup_min_seconds", 0.5),
        "restore_stop_timeout": getattr(ctx, "restore_stop_timeout", 120.0),
    }


def control_rows(panel: Panel) -> list[dict]:
    """``GET <control_url>/backups``: every row of the table, deleted ones too, with the panel's own times as epoch
    floats (the API shows them to the second): ``created_at`` when the panel made the row and asked the node,
    ``completed_at`` when the node's report came (the node publishes ``backup completed`` right after)."""
    return [
        {
            "uuid": b.uuid,
            "server": b.server.identifier,
            "name": b.name,
            "created_at": b.created_at,
            "completed_at": b.completed_at,
            "is_successful": b.is_successful,
            "bytes": b.bytes,
            "deleted_at": b.deleted_at,
        }
        for b in panel.fleet.backups
    ]


def patch_settings(panel: Panel, body: dict) -> None:
    """``PATCH <control_url>/settings``: the throttles ``{"count", "period"}`` (period 0 disables the creation
    throttle), ``backup_min_seconds`` and ``restore_stop_timeout`` (s); ValueError for a bad value."""
    patch_throttles(panel, body, {"backup_throttle": THROTTLE, "backup_restore_throttle": RESTORE_THROTTLE})
    for name in ("backup_min_seconds", "restore_stop_timeout"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name} must be a number of seconds >= 0")
        setattr(panel.node_context, name, float(value))


def patch_throttles(panel: Panel, body: dict, defaults: dict[str, dict]) -> None:
    """Each ``name`` of ``defaults`` given in ``body`` (``{"count", "period"}``, merged over the current one)
    becomes the Panel attribute the family reads; ValueError for a bad value."""
    for name, default in defaults.items():
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, dict) or not set(value) <= {"count", "period"}:
            raise ValueError(f"{name} is {{'count': N, 'period': seconds}}")
        merged = {**getattr(panel, name, default), **value}
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in merged.values()):
            raise ValueError(f"{name}: count and period are whole numbers >= 0")
        setattr(panel, name, merged)


# --------------------------------------------------------------------------- services


def initiate(
    panel: Panel,
    server: Server,
    name: str | None,
    ignored: list[str],
    *,
    locked: bool = False,
    scheduled: bool = False,
    override: bool = False,
) -> Backup:
    """PT ``InitiateBackupService::handle`` (``override``: a schedule's task, which deletes the oldest unlocked
    backup at the limit)."""
    throttle = getattr(panel, "backup_throttle", THROTTLE)
    count, period = throttle["count"], throttle["period"]
    if period > 0:
        now = time.time()
        since = int(now) - period
        previous = [
            b
            for b in panel.fleet.backups
            if b.server is server
            and (b.deleted_at is None or not panel.pelican)  # PT: withTrashed()
            and b.non_failed
            and int(b.created_at) >= since
        ]
        if len(previous) >= count:
            # Retry-After: until the last row of that unordered query (the newest) is ``period`` s old
            retry = max(0, int(int(previous[-1].created_at) + period - now))
            detail = TOO_MANY.format(count=count, period=period)
            raise ApiError(429, "TooManyRequestsHttpException", detail, headers={"Retry-After": str(retry)})
    try:
        limit = int(server.feature_limits.get("backups") or 0)
    except (TypeError, ValueError):
        limit = 0
    successful = [b for b in live(panel, server) if b.non_failed]
    if not limit or len(successful) >= limit:
        refused = ApiError(400, "TooManyBackupsException", LIMIT.format(limit=limit), pretty=False)
        if not override or limit <= 0:
            raise refused
        oldest = min((b for b in successful if not b.is_locked), key=lambda b: b.created_at, default=None)
        if oldest is None:
            raise refused
        delete(panel, oldest)
    panel.check_daemon(server)
    now = time.time()
    stamp = datetime.datetime.fromtimestamp(int(now), datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    backup = Backup(
        server=server,
        uuid=str(uuidlib.uuid4()),
        name=name if name not in (None, "", "0") else f"Backup at {stamp}",  # trim($name) ?: ..., "0" is falsy
        ignored_files=list(ignored),
        created_at=now,
        is_locked=locked,
        is_scheduled=scheduled,
    )
    panel.fleet.backups.append(backup)
    backups_wings.start_backup(panel.node_context, server, backup.uuid, "\n".join(ignored), Remote(panel))
    return backup


def delete(panel: Panel, backup: Backup) -> None:
    """PT ``DeleteBackupService`` (Pelican: ``WingsBackupSchema::deleteBackup``, then a real delete)."""
    if backup.is_locked and backup.is_successful and backup.completed_at is not None:
        raise ApiError(400, "BackupLockedException", LOCKED, pretty=False)
    try:
        panel.check_daemon(backup.server)
        backups_wings.delete_backup(panel.node_context, backup.server, backup.uuid)
    except (ApiError, NodeError) as exc:
        # a node 404 (no archive) is ignored; Pelican also ignores any failure for a backup that did not succeed
        if exc.status != 404 and (not panel.pelican or backup.is_successful):
            raise node_failure(panel, exc) if isinstance(exc, NodeError) else exc from None
    if panel.pelican:
        panel.fleet.backups.remove(backup)
    else:
        backup.deleted_at = time.time()


class Remote:
    """The panel's ``/api/remote/backups`` endpoints (PT ``BackupStatusController``), called by the node."""

    def __init__(self, panel: Panel):
        self.panel = panel

    def backup_status(self, server: Server, uuid: str, successful: bool, checksum: str, size: int) -> bool:
        backup = find(self.panel, uuid)
        if backup is None or backup.server.node is not server.node or backup.is_successful:
            return False  # 404 (deleted meanwhile), 403, 400 already completed
        backup.is_successful = successful
        backup.is_locked = backup.is_locked if successful else False
        backup.checksum = f"sha1:{checksum}" if successful else None
        backup.bytes = size if successful else 0
        backup.completed_at = time.time()
        event = "server:backup.complete" if successful else "server:backup.fail"
        self.panel.fleet.record(event, None, backup.server, {"name": backup.name})
        return True

    def restore_status(self, server: Server, uuid: str, successful: bool) -> None:
        backup = find(self.panel, uuid)
        if backup is None:
            return
        backup.server.status = None
        event = "server:backup.restore-complete" if successful else "server.backup.restore-failed"  # sic
        self.panel.fleet.record(event, None, backup.server, {"name": backup.name})


# --------------------------------------------------------------------------- routes


@route("api:client:server.backups.index", BASE + "$", ("GET",))
async def index(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "backup.read")
    rows = live(panel, ctx.server)
    body = panel.paginate(ctx, rows, 20, lambda b: backup_item(panel, b), max_per_page=50)
    body["meta"] = {"backup_count": sum(1 for b in rows if b.non_failed), **body["meta"]}
    return panel.json_response(body)


@route("api:client:server.backups.store", BASE + "$", ("POST",))
async def store(panel: Panel, ctx: Ctx) -> web.Response:
    longest = 255 if panel.pelican else 191
    rules = [("name", f"nullable|string|max:{longest}"), ("is_locked", "nullable|boolean")]
    rules.append(("ignored", "nullable|string"))
    data = checked_input(panel, ctx, "backup.create", rules)
    ignored = [line for line in (data.get("ignored") or "").split("\n") if line]
    # is_locked counts only for a user who may delete backups; the activity shows what was asked
    asked = php_bool(data.get("is_locked"))
    locked = asked and panel.fleet.can(ctx.user, ctx.server, "backup.delete")
    backup = initiate(panel, ctx.server, data.get("name"), ignored, locked=locked)
    record(panel, ctx, "server:backup.start", {"name": backup.name, "locked": asked})
    return panel.json_response(backup_item(panel, backup))


@route("api:client:server.backups.view", ITEM + "$", ("GET",))
async def view(panel: Panel, ctx: Ctx) -> web.Response:
    backup = backup_of(ctx)
    permit(panel, ctx, "backup.read")
    return panel.json_response(backup_item(panel, backup))


@route("api:client:server.backups.delete", ITEM + "$", ("DELETE",))
async def delete_route(panel: Panel, ctx: Ctx) -> web.Response:
    backup = backup_of(ctx)
    permit(panel, ctx, "backup.delete")
    delete(panel, backup)
    record(panel, ctx, "server:backup.delete", {"name": backup.name, "failed": not backup.is_successful})
    return web.Response(status=204)


@route("api:client:server.backups.download", ITEM + "/download$", ("GET",))
async def download(panel: Panel, ctx: Ctx) -> web.Response:
    backup = backup_of(ctx)
    permit(panel, ctx, "backup.download")
    claims = {"backup_uuid": backup.uuid, "server_uuid": ctx.server.uuid}
    token = signed_urls.issue(panel, ctx.user, ctx.server, claims, scope="backup-download")
    record(panel, ctx, "server:backup.download", {"name": backup.name})
    return panel.json_response(signed_urls.signed_url(panel, "/download/backup", token))


@route("api:client:server.backups.lock", ITEM + "/lock$", ("POST",))
async def lock(panel: Panel, ctx: Ctx) -> web.Response:
    backup = backup_of(ctx)
    permit(panel, ctx, "backup.delete")
    event = "server:backup.unlock" if backup.is_locked else "server:backup.lock"
    backup.is_locked = not backup.is_locked
    record(panel, ctx, event, {"name": backup.name})
    return panel.json_response(backup_item(panel, backup))


@route("api:client:server.backups.restore", ITEM + "/restore$", ("POST",))
async def restore(panel: Panel, ctx: Ctx) -> web.Response:
    backup = backup_of(ctx)
    if panel.pelican:
        limit = getattr(panel, "backup_restore_throttle", RESTORE_THROTTLE)
        panel.resource_throttle(ctx, "backup-restore:" + ctx.server.uuid, limit["count"], limit["period"])
    data = checked_input(panel, ctx, "backup.restore", [("truncate", "required|boolean")])
    server = ctx.server
    if server.status is not None:
        raise ApiError(400, "BadRequestHttpException", NOT_RESTORABLE)
    if not backup.is_successful and backup.completed_at is None:
        raise ApiError(400, "BadRequestHttpException", IN_PROGRESS)
    panel.check_daemon(server)
    server.status = "restoring_backup"
    try:
        backups_wings.restore(panel.node_context, server, backup.uuid, php_bool(data["truncate"]), Remote(panel))
    except NodeError as exc:
        server.status = None  # the transaction is rolled back
        raise node_failure(panel, exc) from None
    record(panel, ctx, "server:backup.restore", {"name": backup.name, "truncate": data["truncate"]})
    return web.Response(status=204)


@route("api:client:server.backups.rename", ITEM + "/rename$", ("PUT",), flavor="pelican")
async def rename(panel: Panel, ctx: Ctx) -> web.Response:
    backup = backup_of(ctx)
    data = checked_input(panel, ctx, "backup.delete", [("name", "required|string|max:255")])
    old, new = backup.name, data["name"]
    backup.name = new
    if old != new:
        record(panel, ctx, "server:backup.rename", {"old_name": old, "new_name": new})
    return panel.json_response(backup_item(panel, backup))
