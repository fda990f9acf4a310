# -*- coding: utf-8 -*-
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that turn the panel's Fractal objects into the collection's documented shapes.

Shared by the modules and the inventory plugin so that a server looks the same everywhere.
Nothing here does I/O.
"""

from __future__ import annotations

import typing as t

# Panel ``status`` values that stop every client route except the server view (HTTP 409).
CONFLICT_STATUSES = ("suspended", "installing", "install_failed", "restoring_backup")
MIB = 1024 * 1024


def _relationship(attributes: dict, name: str) -> t.Any:
    """The ``relationships.<name>`` entry, or None when absent or a null_resource."""
    entry = (attributes.get("relationships") or {}).get(name)
    if not isinstance(entry, dict) or entry.get("object") == "null_resource":
        return None
    if entry.get("object") == "list":
        return [item.get("attributes") or {} for item in entry.get("data") or []]
    return entry.get("attributes")


def normalize_allocation(allocation: dict) -> dict:
    return {
        "id": allocation.get("id"),
        "ip": allocation.get("ip"),
        "ip_alias": allocation.get("ip_alias"),
        "port": allocation.get("port"),
        "notes": allocation.get("notes"),
        "is_default": bool(allocation.get("is_default")),
    }


def primary_allocation(allocations: list[dict]) -> dict | None:
    """The default allocation ({ip, port, ...}), or the first one, or None."""
    for allocation in allocations:
        if allocation.get("is_default"):
            return allocation
    return allocations[0] if allocations else None


def server_condition(attributes: dict) -> str | None:
    """Why the panel refuses actions on this server (409), or None when it does not."""
    status = attributes.get("status")
    if status in CONFLICT_STATUSES:
        return status
    if attributes.get("is_node_under_maintenance"):
        return "node_maintenance"
    if attributes.get("is_transferring"):
        return "transferring"
    return None


def normalize_server(attributes: dict) -> dict:
    """A server object (the ``attributes`` of the panel's ``server``) in the documented shape."""
    allocations = [normalize_allocation(a) for a in _relationship(attributes, "allocations") or []]
    egg = _relationship(attributes, "egg")
    subusers = _relationship(attributes, "subusers")
    sftp = attributes.get("sftp_details") or {}
    server = {
        "identifier": attributes.get("identifier"),
        "uuid": attributes.get("uuid"),
        "internal_id": attributes.get("internal_id"),
        "name": attributes.get("name"),
        "description": attributes.get("description") or "",
        "node": attributes.get("node"),
        "server_owner": bool(attributes.get("server_owner")),
        "status": attributes.get("status"),
        "is_suspended": attributes.get("status") == "suspended",
        "is_installing": attributes.get("status") in ("installing", "install_failed"),
        "is_transferring": bool(attributes.get("is_transferring")),
        "is_node_under_maintenance": bool(attributes.get("is_node_under_maintenance")),
        "condition": server_condition(attributes),
        "sftp": {"ip": sftp.get("ip"), "port": sftp.get("port"), "alias": sftp.get("alias")},
        "allocations": allocations,
        "primary_allocation": primary_allocation(allocations),
        "limits": dict(attributes.get("limits") or {}),
        "feature_limits": dict(attributes.get("feature_limits") or {}),
        "docker_image": attributes.get("docker_image"),
        "invocation": attributes.get("invocation"),
        "egg_features": attributes.get("egg_features"),
    }
    if egg is not None:
        server["egg"] = {"uuid": egg.get("uuid"), "name": egg.get("name")}
    if subusers is not None:
        server["subusers"] = [
            {
                "uuid": user.get("uuid"),
                "username": user.get("username"),
                "email": user.get("email"),
                "permissions": list(user.get("permissions") or []),
            }
            for user in subusers
        ]
    return server


def percent(used: float | int | None, limit: float | int | None) -> float | None:
    """``used`` as a percentage of ``limit`` (2 decimals); None when the limit is 0 (unlimited)."""
    if not limit or used is None:
        return None
    return round(100.0 * float(used) / float(limit), 2)


def normalize_resources(stats: dict, limits: dict | None = None) -> dict:
    """Resource usage from ``/resources`` attributes or a websocket ``stats`` payload.

    Accepts both shapes: the REST one (``current_state``, ``resources.network_rx_bytes``) and
    the websocket one (``state``, ``network.rx_bytes``). ``limits`` are the server's limits
    (MiB and CPU percent, 0 = unlimited), used for the percentages.
    """
    usage = stats.get("resources") if isinstance(stats.get("resources"), dict) else stats
    network = usage.get("network") if isinstance(usage.get("network"), dict) else {}
    limits = limits or {}
    memory = int(usage.get("memory_bytes") or 0)
    disk = int(usage.get("disk_bytes") or 0)
    cpu = float(usage.get("cpu_absolute") or 0.0)
    memory_limit = int(limits.get("memory") or 0) * MIB
    disk_limit = int(limits.get("disk") or 0) * MIB
    cpu_limit = float(limits.get("cpu") or 0)
    return {
        "state": stats.get("current_state") or stats.get("state") or usage.get("state"),
        "is_suspended": bool(stats.get("is_suspended")),
        "memory_bytes": memory,
        "cpu_absolute": cpu,
        "disk_bytes": disk,
        "network_rx_bytes": int(usage.get("network_rx_bytes") or network.get("rx_bytes") or 0),
        "network_tx_bytes": int(usage.get("network_tx_bytes") or network.get("tx_bytes") or 0),
        "uptime_ms": int(usage.get("uptime") or 0),
        "limits": {
            "memory_bytes": memory_limit or None,
            "disk_bytes": disk_limit or None,
            "cpu_percent": cpu_limit or None,
        },
        "percent": {
            "memory": percent(memory, memory_limit),
            "disk": percent(disk, disk_limit),
            "cpu": percent(cpu, cpu_limit),
        },
    }


def normalize_activity(attributes: dict) -> dict:
    """One activity log entry in the documented shape.

    Pelican sends empty ``properties`` as ``[]``; it becomes ``{}`` here, like Pterodactyl's.
    """
    properties = attributes.get("properties")
    actor = _relationship(attributes, "actor")
    entry = {
        "id": attributes.get("id"),
        "event": attributes.get("event"),
        "timestamp": attributes.get("timestamp"),
        "is_api": bool(attributes.get("is_api")),
        "ip": attributes.get("ip"),
        "description": attributes.get("description"),
        "properties": properties if isinstance(properties, dict) else {},
        "has_additional_metadata": bool(attributes.get("has_additional_metadata")),
    }
    if actor is not None:
        entry["actor"] = {"uuid": actor.get("uuid"), "username": actor.get("username")}
    return entry
