"""The network allocations family: ``/api/client/servers/{server}/network/allocations/*`` (reference
panel-client-api-config.md §9).

A server's allocations are ``Server.allocations`` (the primary: ``Server.allocation``, the first one unless
set-primary chose another); a node's free ones ``Node.free_allocations`` (a fleet file's ``ports`` of the node).
In the panel's order:

* ``{allocation}`` binds any allocation by id (unknown: the binding's 404); one the server does not hold is
  ``ResourceBelongsToServer``'s 404 after the 409 checks.
* Assign (PL: 2 per minute per server): the limit (``feature_limits.allocations``; null or 0 refuses too,
  PHP's ``count >= null``), then ``FindAssignableAllocationService`` with ``client_features.allocations``:
  not ``enabled`` 400; PT takes a random free allocation of the node on the primary's IP (any port), else
  creates one at a random free port of ``range_start``-``range_end`` (no range, or no port left: 400); PL
  looks only within the range (no range: its ``Assert::integerish``, a 500), and creates one only when
  ``create_new``.
* Notes: ``notes`` nullable|string|max:256|present; the event only when they changed.
* Set primary: the server's next start uses it (Wings is not told).
* Delete: no limit set (null or 0) 400; the primary 400 on PT (PL allows it: the server keeps pointing at it);
  the allocation goes back to the node's pool, its notes cleared.
* Activity names an allocation ``ip:port`` (PL: ``alias:port``, the alias or the IP).
"""

from __future__ import annotations

import random

from aiohttp import web

from . import errors as E
from .errors import ApiError
from .fleet import Allocation, Server
from .forms import belonging, creation_throttle, found_or_404, permit, row_by_id
from .panel import Ctx, Panel, register_binder, route
from .rules import checked_input

BASE = r"^/api/client/servers/(?P<server>[^/]+)/network/allocations"
ITEM = BASE + r"/(?P<allocation>[^/]+)"
LIMIT_REACHED = "Cannot assign additional allocations to this server: limit has been reached."
NOT_ENABLED = "Server auto-allocation is not enabled for this instance."
NO_SPACE = "Cannot assign additional allocation: no more space available on node."
NO_LIMIT = "You cannot delete allocations for this server: no allocation limit is set."
PRIMARY = "You cannot delete the primary allocation for this server."
CREATE_THROTTLE = {"count": 2, "period": 60}  # Pelican's ResourceLimit::AllocationCreate


def every(panel: Panel) -> list[Allocation]:
    held = [a for s in panel.fleet.servers for a in s.allocations]
    return held + [a for n in panel.fleet.nodes for a in n.free_allocations]


def bind_allocation(panel: Panel, server: Server, value: str) -> Allocation:
    return found_or_404(row_by_id(every(panel), value))


register_binder("allocation", bind_allocation)


def allocation_of(ctx: Ctx) -> Allocation:
    return belonging(ctx, "allocation", lambda allocation: any(a is allocation for a in ctx.server.allocations))


def allocation_item(server: Server, allocation: Allocation) -> dict:
    """PT ``AllocationTransformer``."""
    attrs = {
        "id": allocation.id,
        "ip": allocation.ip,
        "ip_alias": allocation.ip_alias,
        "port": allocation.port,
        "notes": allocation.notes,
        "is_default": allocation is server.allocation,
    }
    return {"object": "allocation", "attributes": attrs}


def address(panel: Panel, allocation: Allocation) -> str:
    """PT ``toString()`` (ip:port), PL ``address`` (the alias, else the IP; IPv6 in brackets)."""
    if not panel.pelican:
        return f"{allocation.ip}:{allocation.port}"
    host = allocation.ip_alias or allocation.ip
    return f"[{host}]:{allocation.port}" if ":" in host else f"{host}:{allocation.port}"


def record(panel: Panel, ctx: Ctx, event: str, properties: dict) -> None:
    panel.fleet.record(event, ctx.user, ctx.server, properties, ip=ctx.request.remote or "", api_key=ctx.key)


def display(text: str, code: str = "DisplayException") -> ApiError:
    return ApiError(400, code, text, pretty=False)


def find_assignable(panel: Panel, server: Server) -> Allocation:
    """``FindAssignableAllocationService::handle`` (the node's free allocation it takes, or a new one)."""
    features = panel.fleet.client_features["allocations"]
    if not features["enabled"]:
        raise display(NOT_ENABLED, "AutoAllocationNotEnabledException")
    start, end, node, ip = features["range_start"], features["range_end"], server.node, server.allocation.ip
    if panel.pelican and (start is None or end is None):
        raise E.unexpected("InvalidArgumentException")  # Assert::integerish(null)
    free = [a for a in node.free_allocations if a.ip == ip and (not panel.pelican or start <= a.port <= end)]
    if free:
        chosen = random.choice(free)
        node.free_allocations.remove(chosen)
        return chosen
    if panel.pelican and not features["create_new"]:
        raise display(NO_SPACE, "NoAutoAllocationSpaceAvailableException")
    if not start or not end:
        raise display(NO_SPACE, "NoAutoAllocationSpaceAvailableException")
    taken = {a.port for a in node.free_allocations if a.ip == ip}
    taken |= {a.port for s in panel.fleet.servers if s.node is node for a in s.allocations if a.ip == ip}
    available = [port for port in range(start, end + 1) if port not in taken]
    if not available:
        raise display(NO_SPACE, "NoAutoAllocationSpaceAvailableException")
    return Allocation(panel.fleet.next_id("allocations"), ip, random.choice(available))


@route("api:client:server.allocations.index", BASE + "$", ("GET",))
async def index(panel: Panel, ctx: Ctx) -> web.Response:
    permit(panel, ctx, "allocation.read")
    rows = [allocation_item(ctx.server, a) for a in ctx.server.allocations]
    return panel.json_response({"object": "list", "data": rows})


@route("api:client:server.allocations.store", BASE + "$", ("POST",))
async def store(panel: Panel, ctx: Ctx) -> web.Response:
    creation_throttle(panel, ctx, "allocation", CREATE_THROTTLE)
    permit(panel, ctx, "allocation.create")
    server = ctx.server
    limit = server.feature_limits.get("allocations")
    if limit is None or len(server.allocations) >= int(limit):  # count >= null is true in PHP
        raise display(LIMIT_REACHED)
    allocation = find_assignable(panel, server)
    server.allocations.append(allocation)
    record(panel, ctx, "server:allocation.create", {"allocation": address(panel, allocation)})
    return panel.json_response(allocation_item(server, allocation))


@route("api:client:server.allocations.update", ITEM + "$", ("POST",))
async def update(panel: Panel, ctx: Ctx) -> web.Response:
    allocation = allocation_of(ctx)
    data = checked_input(panel, ctx, "allocation.update", [("notes", "nullable|string|max:256|present")])
    original, allocation.notes = allocation.notes, data.get("notes")
    if original != allocation.notes:
        properties = {"allocation": address(panel, allocation), "old": original, "new": allocation.notes}
        record(panel, ctx, "server:allocation.notes", properties)
    return panel.json_response(allocation_item(ctx.server, allocation))


@route("api:client:server.allocations.primary", ITEM + "/primary$", ("POST",))
async def set_primary(panel: Panel, ctx: Ctx) -> web.Response:
    allocation = allocation_of(ctx)
    permit(panel, ctx, "allocation.update")
    ctx.server.primary = allocation
    record(panel, ctx, "server:allocation.primary", {"allocation": address(panel, allocation)})
    return panel.json_response(allocation_item(ctx.server, allocation))


@route("api:client:server.allocations.delete", ITEM + "$", ("DELETE",))
async def delete(panel: Panel, ctx: Ctx) -> web.Response:
    allocation = allocation_of(ctx)
    permit(panel, ctx, "allocation.delete")
    server = ctx.server
    if not server.feature_limits.get("allocations"):
        raise display(NO_LIMIT)
    if allocation is server.allocation:
        if not panel.pelican:
            raise display(PRIMARY)
        server.primary = allocation  # Pelican: allocation_id still names it
    server.allocations.remove(allocation)
    allocation.notes = None
    server.node.free_allocations.append(allocation)
    record(panel, ctx, "server:allocation.delete", {"allocation": address(panel, allocation)})
    return web.Response(status=204)
