# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions that give the panel's objects the collection's documented shapes.

Shared by the modules and the inventory plugin so that a server looks the same everywhere: the
server, resource and activity shapes of the modules' results, and the host variables, group names
and host names the inventory makes of a server. Nothing here does I/O. Private to the collection.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t

# Panel ``status`` values that stop every client route except the server view (HTTP 409).
CONFLICT_STATUSES = ("suspended", "installing", "install_failed", "restoring_backup")
MIB = 1024 * 1024
CACHE_VERSION = 1  # of the inventory's cache entries
# The server fields that become the inventory's host variables (and are kept in its cache).
HOSTVAR_KEYS = (
    "identifier",
    "uuid",
    "name",
    "description",
    "node",
    "sftp",
    "primary_allocation",
    "allocations",
    "limits",
    "feature_limits",
    "docker_image",
    "egg",
    "status",
    "is_suspended",
    "is_installing",
    "is_transferring",
    "is_node_under_maintenance",
    "condition",
    "server_owner",
    "state",
    "resources",
    "resources_error",
)
INSTALLED = "installed"  # the status name of a server the panel gives no status
_UNSAFE_HOST_CHARS = re.compile(r"[^a-z0-9_-]")


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


# -- the inventory's view of a normalized server --


def status_name(server: dict) -> str:
    """The status used in group names and the inventory's statuses: the panel's status, or ``installed``."""
    return server.get("status") or INSTALLED


def status_included(server: dict, statuses: list[str] | None = None, exclude_suspended: bool = False) -> bool:
    """Whether a normalized server passes the inventory's statuses / exclude_suspended options."""
    status = status_name(server)
    if exclude_suspended and (status == "suspended" or server.get("is_suspended")):
        return False
    return not statuses or status in statuses


def slim_server(server: dict) -> dict:
    """Only the fields that become host variables (what the inventory cache stores)."""
    return {key: server[key] for key in HOSTVAR_KEYS if key in server}


def host_vars(server: dict, prefix: str) -> dict:
    """The prefixed host variables of a normalized server (plain values, not yet marked unsafe)."""
    return {prefix + key: server[key] for key in HOSTVAR_KEYS if key in server}


def default_group_names(server: dict, prefix: str, include_egg: bool = False) -> list[str]:
    """Raw (unsanitized) names of the node, egg and status groups of a normalized server."""
    names = []
    if server.get("node"):
        names.append(f"{prefix}node_{server['node']}")
    egg = server.get("egg") or {}
    if include_egg and egg.get("name"):
        names.append(f"{prefix}egg_{egg['name']}")
    names.append(f"{prefix}status_{status_name(server)}")
    return names


def safe_hostname(name: str | None, identifier: str | None) -> str:
    """The server name lowercased, every character but a-z 0-9 _ - replaced by _; the identifier if empty."""
    safe = _UNSAFE_HOST_CHARS.sub("_", (name or "").lower())
    return safe if safe.strip("_") else (identifier or safe)


def dedupe_hostnames(pairs: list[tuple[str, str]]) -> list[str]:
    """Host names for ``[(candidate, identifier), ...]``: a candidate shared by several servers
    gets ``_<identifier>`` appended on every one of them."""
    counts: dict[str, int] = {}
    for candidate, _identifier in pairs:
        counts[candidate] = counts.get(candidate, 0) + 1
    return [candidate if counts[candidate] == 1 else f"{candidate}_{identifier}" for candidate, identifier in pairs]


def resources_skip_reason(server: dict) -> str | None:
    """Why /resources is not asked for this server (the panel answers 409), or None."""
    condition = server.get("condition")
    if condition:
        return f"not fetched: the panel does not report resources while the server's condition is {condition!r}"
    return None


def add_resources(server: dict, stats: dict) -> None:
    """Record a /resources answer (attributes) on a normalized server."""
    resources = normalize_resources(stats, server.get("limits"))
    server["state"] = resources["state"]
    server["resources"] = resources
    server.pop("resources_error", None)


def add_resources_error(server: dict, message: str) -> None:
    """Record on a normalized server why its resources are missing."""
    server["state"] = None
    server["resources"] = None
    server["resources_error"] = message


# -- the inventory's cache entry: its servers, slimmed, and what was asked of the panel --


def fingerprint(parts: dict) -> str:
    """A stable hash of what was asked of the panel; tells whether a cache entry still fits."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def cache_entry(servers: list[dict], entry_fingerprint: str) -> str:
    """What is stored in the cache: one JSON text (cheap for any cache plugin to store and load)."""
    return json.dumps(
        {"version": CACHE_VERSION, "fingerprint": entry_fingerprint, "servers": servers}, separators=(",", ":")
    )


def cached_servers(entry: t.Any, expected_fingerprint: str) -> list[dict] | None:
    """The servers of a cache entry, or None when it is missing, stale or from another version."""
    if isinstance(entry, str):
        try:
            entry = json.loads(entry)
        except ValueError:
            return None
    if not isinstance(entry, dict) or entry.get("version") != CACHE_VERSION:
        return None
    if entry.get("fingerprint") != expected_fingerprint or not isinstance(entry.get("servers"), list):
        return None
    return entry["servers"]
