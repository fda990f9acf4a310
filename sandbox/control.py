"""The test control endpoint (``<panel_url>/_sandbox``): request log, faults, state changes, reset.

Not part of the real API surface; answers loopback peers only. Also provides the panel site's
request-logging / fault-injection middleware (every panel request except ``/_sandbox`` itself).
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import json
import logging
import time
from typing import Any

from aiohttp import web

from . import allocations, backups, databases, eggvars, install, schedules, schedules_runner, subusers
from . import errors as E
from . import settings as settings_family
from .files import MAX_EDIT_SIZE
from .fleet import FleetError, merge_client_features
from .panel import Panel

log = logging.getLogger("sandbox.control")

PREFIX = "/_sandbox"

PROXY_PAGES = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
    500: "Internal Server Error",
}


def proxy_html(status: int) -> str:
    reason = PROXY_PAGES.get(status) or web.Response(status=status).reason
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )


def flat_query(request: web.Request) -> dict:
    out: dict[str, Any] = {}
    for k, v in request.query.items():
        if k in out:
            out[k] = out[k] + [v] if isinstance(out[k], list) else [out[k], v]
        else:
            out[k] = v
    return out


class Control:
    def __init__(self, panel: Panel):
        self.panel = panel
        self.fleet = panel.fleet

    # ----------------------------------------------------------------- middleware
    @web.middleware
    async def middleware(self, request: web.Request, handler):
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return await handler(request)
        entry = {
            "method": request.method,
            "path": request.path,
            "query": flat_query(request),
            "status": None,
            "time": time.time(),
            "user": None,
        }
        self.panel.request_log.append(entry)
        fault = self.take_fault(request)
        if fault is not None and fault.get("after"):
            return await self.fault_after(request, handler, entry, fault)
        if fault is not None:
            entry["fault"] = {k: v for k, v in fault.items() if k not in ("count", "id")}
            key = self.panel.lookup_key(request)
            entry["user"] = key.user.username if key else None
            if fault.get("delay"):
                await asyncio.sleep(float(fault["delay"]))
            if fault.get("drop"):
                entry["status"] = None
                self.drop(request)
                raise asyncio.CancelledError()  # aiohttp closes the connection without a response
            if fault.get("status"):
                resp = self.fault_response(fault)
                entry["status"] = resp.status
                return resp
        try:
            resp = await handler(request)
        except web.HTTPException as exc:
            entry["status"] = exc.status
            entry["user"] = request.get("sandbox_user")
            raise
        except E.ApiError as exc:
            entry["status"] = exc.status
            entry["user"] = request.get("sandbox_user")
            return exc.response()
        entry["status"] = resp.status
        entry["user"] = request.get("sandbox_user")
        return resp

    async def fault_after(self, request: web.Request, handler, entry: dict, fault: dict) -> web.StreamResponse:
        """``after: true``: the panel handles the request for real (effects, activity, rate limit), then
        the fault answers in place of the real response, or the connection is dropped."""
        entry["fault"] = {k: v for k, v in fault.items() if k not in ("count", "id")}
        try:
            real = await handler(request)
            real_status = real.status
        except web.HTTPException as exc:
            real_status = exc.status
        except E.ApiError as exc:
            real_status = exc.status
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("request under an after-fault failed: %s %s", request.method, request.path)
            real_status = 500
        entry["real_status"] = real_status
        user = request.get("sandbox_user")
        if user is None:
            key = self.panel.lookup_key(request)
            user = key.user.username if key else None
        entry["user"] = user
        if fault.get("delay"):
            await asyncio.sleep(float(fault["delay"]))
        if fault.get("drop"):
            entry["status"] = None
            self.drop(request)
            raise asyncio.CancelledError()
        resp = self.fault_response(fault)
        entry["status"] = resp.status
        return resp

    @staticmethod
    def drop(request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    def take_fault(self, request: web.Request) -> dict | None:
        subject = f"{request.method} {request.path}"
        for fault in self.panel.faults:
            if fault["count"] > 0 and fnmatch.fnmatchcase(subject, fault["route"]):
                fault["count"] -= 1
                if fault["count"] <= 0:
                    self.panel.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def fault_response(fault: dict) -> web.Response:
        status = int(fault["status"])
        body = fault.get("body")
        if body is None:
            body = "html" if status >= 500 else "json"
        headers = dict(fault.get("headers") or {})
        if body == "html":
            return web.Response(status=status, text=proxy_html(status), content_type="text/html", headers=headers)
        if body == "json":
            reason = web.Response(status=status).reason
            err = E.ApiError(status, "HttpException", reason or "Error", headers=headers)
            return err.response()
        if isinstance(body, (dict, list)):
            return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)
        return web.Response(status=status, text=str(body), content_type="text/plain", headers=headers)

    # ----------------------------------------------------------------- control routes
    async def handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.remote or ""
        try:
            loopback = ipaddress.ip_address(peer.split("%")[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return web.json_response({"error": "the sandbox control endpoint only answers loopback peers"}, status=403)
        sub = request.path[len(PREFIX) :].rstrip("/") or "/"
        method = request.method
        try:
            body = await self.read_json(request)
            if sub == "/":
                return web.json_response(
                    {
                        "routes": [
                            "GET /requests",
                            "DELETE /requests",
                            "GET /faults",
                            "POST /faults",
                            "DELETE /faults",
                            "POST /websockets/drop",
                            "PATCH /servers/{identifier}",
                            "PUT /subusers",
                            "PATCH /settings",
                            "GET /transfers/faults",
                            "POST /transfers/faults",
                            "DELETE /transfers/faults",
                            "GET /backups",
                            "GET /backups/faults",
                            "POST /backups/faults",
                            "DELETE /backups/faults",
                            "GET /installs/faults",
                            "POST /installs/faults",
                            "DELETE /installs/faults",
                            "POST /reset",
                            "GET /state",
                            "POST /schedules/tick",
                            "GET /servers/{identifier}/console",
                        ]
                    }
                )
            if sub == "/requests":
                if method == "GET":
                    return web.json_response(self.panel.request_log)
                if method == "DELETE":
                    self.panel.request_log.clear()
                    return web.Response(status=204)
            elif sub == "/faults":
                if method == "GET":
                    return web.json_response(self.panel.faults)
                if method == "POST":
                    return web.json_response(self.add_faults(body), status=201)
                if method == "DELETE":
                    self.panel.faults.clear()
                    return web.Response(status=204)
            elif sub == "/websockets/drop" and method == "POST":
                server = None
                if body.get("server"):
                    server = self.server(body["server"])
                result = self.panel.node_context.drop_connections(server.uuid if server else None)
                if asyncio.iscoroutine(result):
                    result = await result
                return web.json_response({"dropped": result if isinstance(result, int) else None})
            elif sub.startswith("/servers/") and method == "PATCH":
                return web.json_response(await self.patch_server(self.server(sub[len("/servers/") :]), body))
            elif sub.startswith("/servers/") and sub.endswith("/console") and method == "GET":
                runtime = self.server(sub[len("/servers/") : -len("/console")]).runtime
                return web.json_response({"lines": list(runtime.history) if runtime else []})
            elif sub == "/schedules/tick" and method == "POST":
                try:
                    return web.json_response(schedules_runner.tick(self.panel, body))
                except ValueError as exc:
                    raise ControlError(str(exc), 422) from None
            elif sub.startswith("/servers/") and method == "GET":
                return web.json_response(self.server_state(self.server(sub[len("/servers/") :])))
            elif sub == "/subusers" and method == "PUT":
                return web.json_response(self.put_subuser(body))
            elif sub == "/settings" and method in ("PATCH", "GET"):
                if method == "PATCH":
                    if body.get("rate_limit") is not None:
                        self.panel.rate_limit = int(body["rate_limit"])
                    if body.get("rate_period") is not None:
                        self.panel.rate_period = float(body["rate_period"])
                    if body.get("two_factor_required") is not None:
                        self.fleet.two_factor_required = int(body["two_factor_required"])
                    if body.get("resource_cache_seconds") is not None:
                        self.panel.resource_cache_seconds = float(body["resource_cache_seconds"])
                    if body.get("token_ttl") is not None:
                        self.panel.token_ttl = int(body["token_ttl"])
                        self.panel.node_context.token_ttl = int(body["token_ttl"])
                    # versions apply to tokens issued and sockets opened from now on
                    if body.get("wings_version") is not None:
                        self.fleet.wings_version = str(body["wings_version"])
                        self.panel.node_context.wings_version = self.fleet.wings_version
                    if body.get("panel_version") is not None:
                        self.fleet.panel_version = str(body["panel_version"])
                    self.patch_file_settings(body)
                    try:
                        backups.patch_settings(self.panel, body)
                        settings_family.patch_control_settings(self.panel, body)
                        schedules_runner.patch_settings(self.panel, body)
                        backups.patch_throttles(self.panel, body, creation_throttles())
                        if body.get("client_features") is not None:
                            merge_client_features(self.fleet.client_features, body["client_features"])
                    except (ValueError, FleetError) as exc:
                        raise ControlError(str(exc), 422) from None
                return web.json_response(
                    {
                        "rate_limit": self.panel.rate_limit,
                        "token_ttl": self.panel.token_ttl,
                        "resource_cache_seconds": self.panel.resource_cache_seconds,
                        "two_factor_required": self.fleet.two_factor_required,
                        "wings_version": self.fleet.wings_version,
                        "panel_version": self.fleet.panel_version,
                        "upload_limit": self.panel.node_context.upload_limit,
                        "max_edit_size": getattr(self.panel, "max_edit_size", MAX_EDIT_SIZE),
                        **backups.settings(self.panel),
                        **settings_family.control_settings(self.panel),
                        **schedules_runner.settings(self.panel),
                        **{name: getattr(self.panel, name, dflt) for name, dflt in creation_throttles().items()},
                        "client_features": self.fleet.client_features,
                    }
                )
            elif sub in ("/transfers/faults", "/backups/faults", "/installs/faults"):
                # the node's faults: transfers (sandbox/files_wings.py), backups (sandbox/backups_wings.py),
                # reinstalls (sandbox/install.py)
                if sub == "/transfers/faults":
                    faults, add = self.panel.node_context.transfer_faults, self.add_transfer_fault
                elif sub == "/backups/faults":
                    faults, add = self.panel.node_context.backup_faults, self.add_backup_fault
                else:
                    faults, add = install.settings(self.panel.node_context).faults, self.add_install_fault
                if method == "GET":
                    return web.json_response(faults)
                if method == "POST":
                    return web.json_response(add(body), status=201)
                if method == "DELETE":
                    faults.clear()
                    return web.Response(status=204)
            elif sub == "/backups" and method == "GET":
                return web.json_response(backups.control_rows(self.panel))
            elif sub == "/reset" and method == "POST":
                self.reset()
                return web.Response(status=204)
            elif sub == "/state" and method == "GET":
                return web.json_response(self.state())
            return web.json_response({"error": f"unknown control route {method} {sub}"}, status=404)
        except ControlError as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)

    @staticmethod
    async def read_json(request: web.Request) -> dict:
        if not request.can_read_body:
            return {}
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ControlError(f"body is not JSON: {exc}", 400) from None
        if not isinstance(body, dict):
            raise ControlError("body must be a JSON object", 400)
        return body

    def server(self, ref: str):
        server = self.fleet.find_server(ref)
        if server is None:
            for s in self.fleet.servers:
                if s.name == ref:
                    return s
            raise ControlError(f"no server {ref!r}", 404)
        return server

    def add_faults(self, body: dict) -> list:
        specs = body.get("faults") if isinstance(body.get("faults"), list) else [body]
        added = []
        for spec in specs:
            if not spec.get("route"):
                raise ControlError("a fault needs a route, e.g. 'POST /api/client/servers/*/command'", 400)
            if not (spec.get("status") or spec.get("drop") or spec.get("delay")):
                raise ControlError("a fault needs status, drop or delay", 400)
            if spec.get("after") and not (spec.get("status") or spec.get("drop")):
                raise ControlError("an after fault needs status or drop (what the client sees instead)", 400)
            fault = {
                "route": str(spec["route"]),
                "count": int(spec.get("count", 1)),
                "status": int(spec["status"]) if spec.get("status") else None,
                "body": spec.get("body"),
                "delay": float(spec.get("delay") or 0),
                "drop": bool(spec.get("drop")),
                "headers": spec.get("headers") or {},
                "after": bool(spec.get("after")),
            }
            if fault["count"] > 0:
                self.panel.faults.append(fault)
                added.append(fault)
        return added

    def patch_file_settings(self, body: dict) -> None:
        """``upload_limit`` (Wings' api.upload_limit, MB per file) and ``max_edit_size`` (bytes, the editor's)."""
        for name in ("upload_limit", "max_edit_size"):
            value = body.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ControlError(f"{name} must be a whole number >= 0", 422)
        if body.get("upload_limit") is not None:
            self.panel.node_context.upload_limit = body["upload_limit"]
        if body.get("max_edit_size") is not None:
            self.panel.max_edit_size = body["max_edit_size"]

    def add_transfer_fault(self, body: dict) -> dict:
        """Arm a fault on the node's next upload or download (sandbox/files_wings.py)."""
        kind = body.get("kind")
        if kind not in ("upload", "download"):
            raise ControlError("kind must be upload or download", 422)
        after = body.get("after_bytes", 0)
        count = body.get("count", 1)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ControlError("after_bytes must be a whole number >= 0", 422)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ControlError("count must be a whole number >= 1", 422)
        fault = {"kind": kind, "after_bytes": after, "count": count, "leave_partial": bool(body.get("leave_partial"))}
        self.panel.node_context.transfer_faults.append(fault)
        return fault

    def add_backup_fault(self, body: dict) -> dict:
        """Make the node's next ``count`` backups of a server fail (sandbox/backups_wings.py)."""
        server = self.server(str(body.get("server", "")))
        count = body.get("count", 1)
        if body.get("fail", True) is not True:
            raise ControlError("fail must be true (the only fault a backup has)", 422)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ControlError("count must be a whole number >= 1", 422)
        fault = {"server": server.uuid, "fail": True, "count": count}
        self.panel.node_context.backup_faults.append(fault)
        return fault

    def add_install_fault(self, body: dict) -> dict:
        """``{"server", "count": 1, "stage": "pull"|"script"}``: the server's next reinstalls fail."""
        server = self.server(str(body.get("server", "")))
        try:
            return install.add_fault(self.panel.node_context, server, body)
        except ValueError as exc:
            raise ControlError(str(exc), 422) from None

    async def patch_server(self, server, body: dict) -> dict:
        if "status" in body:
            if body["status"] not in (
                None,
                "installing",
                "install_failed",
                "reinstall_failed",
                "suspended",
                "restoring_backup",
            ):
                raise ControlError(f"unknown status {body['status']!r}", 422)
            server.status = body["status"]
        if "is_transferring" in body:
            server.is_transferring = bool(body["is_transferring"])
        if "node_maintenance" in body:
            server.node.maintenance_mode = bool(body["node_maintenance"])
        if "node_unreachable" in body:
            server.node.unreachable = bool(body["node_unreachable"])
        if "name" in body:
            server.name = str(body["name"])
        if "description" in body:
            server.description = str(body["description"] or "")
        if "external_id" in body:
            server.external_id = body["external_id"]
        if "feature_limits" in body:
            limits = body["feature_limits"]
            if not isinstance(limits, dict) or any(
                isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in limits.values()
            ):
                raise ControlError("feature_limits is {name: whole number >= 0}, e.g. {'backups': 3}", 422)
            server.feature_limits.update(limits)
        if "docker_image" in body:  # an image an administrator set (it may be outside the egg's images)
            server.docker_image = str(body["docker_image"])
        if isinstance(body.get("variables"), dict):
            server.variable_values.update({str(k): str(v) for k, v in body["variables"].items()})
        if "state" in body:
            state = body["state"]
            if state not in ("offline", "running"):
                raise ControlError("state must be offline or running", 422)
            await drive_state(server.runtime, state, timeout=float(body.get("timeout", 30)))
        return self.server_state(server)

    @staticmethod
    def server_state(server) -> dict:
        return {
            "identifier": server.identifier,
            "uuid": server.uuid,
            "name": server.name,
            "status": server.status,
            "is_transferring": server.is_transferring,
            "node": server.node.name,
            "node_maintenance": server.node.maintenance_mode,
            "node_unreachable": server.node.unreachable,
            "state": server.runtime.state if server.runtime else None,
            "owner": server.owner.username,
            "subusers": dict(server.subusers),
            "description": server.description,
            "external_id": server.external_id,
            "feature_limits": dict(server.feature_limits),
            "data_dir": str(server.runtime.data_dir) if server.runtime else None,
            "docker_image": eggvars.docker_image(server),
            "variables": {var.env_variable: eggvars.server_value(server, var) for var in eggvars.variables(server)},
        }

    def put_subuser(self, body: dict) -> dict:
        server = self.server(str(body.get("server", "")))
        username = body.get("username")
        try:
            self.fleet.user(username)
        except KeyError:
            raise ControlError(f"no user {username!r}", 404) from None
        perms = body.get("permissions")
        if perms is None:
            server.subusers.pop(username, None)
        else:
            server.subusers[username] = [str(p) for p in perms]
        return self.server_state(server)

    def reset(self) -> None:
        self.panel.request_log.clear()
        self.panel.faults.clear()
        self.panel.node_context.transfer_faults.clear()
        self.panel.node_context.backup_faults.clear()
        install.settings(self.panel.node_context).faults.clear()
        self.panel.windows.clear()
        self.panel.resource_cache.clear()

    def state(self) -> dict:
        f = self.fleet
        return {
            "flavor": f.flavor,
            "panel_url": self.panel.panel_url,
            "wings_url": self.panel.wings_url,
            "rate_limit": self.panel.rate_limit,
            "token_ttl": self.panel.token_ttl,
            "wings_version": f.wings_version,
            "panel_version": f.panel_version,
            "server_identifiers": f.identifier_style,
            "users": [
                {
                    "id": u.id,
                    "uuid": u.uuid,
                    "username": u.username,
                    "email": u.email,
                    "root_admin": u.root_admin,
                    "keys": [k.identifier for k in u.keys],
                }
                for u in f.users
            ],
            "nodes": [{"name": n.name, "fqdn": n.fqdn, "maintenance_mode": n.maintenance_mode} for n in f.nodes],
            "eggs": [{"name": e.name, "startup_done": e.startup_done, "stop_command": e.stop_command} for e in f.eggs],
            "servers": [self.server_state(s) for s in f.servers],
            "faults": self.panel.faults,
            "rate_windows": {k: {"resets_at": v[0], "hits": v[1]} for k, v in self.panel.windows.items()},
            "resource_cache": list(self.panel.resource_cache),
            "activity": len(f.activity),
            "denied_jtis": sorted(getattr(self.panel.node_context, "denied_jtis", None) or {}),
            "requests": len(self.panel.request_log),
        }


def creation_throttles() -> dict[str, dict]:
    """Pelican's per-server creation limits (``ResourceLimit``) a test may widen: name -> the default."""
    return {
        "schedule_create_throttle": schedules.CREATE_THROTTLE,
        "subuser_create_throttle": subusers.CREATE_THROTTLE,
        "database_create_throttle": databases.CREATE_THROTTLE,
        "allocation_create_throttle": allocations.CREATE_THROTTLE,
    }


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


async def drive_state(runtime, state: str, timeout: float = 30.0) -> None:
    """Bring a runtime to ``running`` or ``offline`` and wait for it."""
    if runtime is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    if state == "running":
        if runtime.state == "offline":
            await runtime.power("start", try_lock=False)
        while runtime.state != "running" and loop.time() < deadline:
            if runtime.state == "offline":
                raise ControlError("the server went offline while starting", 500)
            await asyncio.sleep(0.02)
    else:
        if runtime.state != "offline":
            await runtime.power("stop", try_lock=False)
        while runtime.state != "offline" and loop.time() < deadline:
            await asyncio.sleep(0.02)
    if runtime.state != state:
        raise ControlError(f"server did not reach {state} within {timeout} s (now {runtime.state})", 504)
