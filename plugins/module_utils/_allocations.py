# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network allocations without the client: finding one by notes or address, the panel's refusals, lines.

The client API cannot choose a port: an allocation is assigned by the panel (a free one of the node on
the primary's IP, or a new port in the panel's range), so a module finds its allocation again by the
notes it wrote on it, or by the address it was given. Private to the collection.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._normalize import normalize_allocation


def matching(allocations: list[dict], notes: str | None, ip: str | None, port: int | None) -> list[dict]:
    """The allocations a task means: by ``port`` (and ``ip``) when given, else by ``notes`` exactly;
    the primary first, then by id."""
    if port is not None:
        found = [a for a in allocations if a.get("port") == port and ip in (None, a.get("ip"), a.get("ip_alias"))]
    else:
        found = [a for a in allocations if a.get("notes") == notes]
    return sorted(found, key=lambda a: (not a.get("is_default"), a.get("id") or 0))


def address(allocation: dict) -> str:
    return f"{allocation.get('ip_alias') or allocation.get('ip')}:{allocation.get('port')}"


def pelican(api_key: str, server: dict) -> bool:
    """Pelican (its key prefix, or the server object's ``oom_killer``) lets a client release the primary."""
    return str(api_key).startswith("pacc_") or "oom_killer" in (server.get("limits") or {})


def assign_check(allocations: list[dict], server: dict) -> None:
    """FeatureLimitReached when the panel would refuse to assign one more (no limit refuses too)."""
    limit = (server.get("feature_limits") or {}).get("allocations")
    if not limit or len(allocations) >= int(limit):
        raise PterodactylError(
            f"the server holds {len(allocations)} allocations and its limit is {limit or 'not set'}: the panel "
            "would refuse another one (Cannot assign additional allocations to this server: limit has been reached.)",
            code="FeatureLimitReached",
            hint="release an allocation, or ask a panel administrator for a higher allocation limit",
        )


def release_check(releasing: list[dict], server: dict, on_pelican: bool) -> None:
    """The panel's refusals of a release, before it is sent: no limit set; the primary on Pterodactyl."""
    if not (server.get("feature_limits") or {}).get("allocations"):
        raise PterodactylError(
            "the server has no allocation limit, and the panel lets a client release an allocation only "
            "from a server that has one (You cannot delete allocations for this server: no allocation limit is set.)",
            code="AllocationLimitUnset",
            hint="ask a panel administrator to set the server's allocation limit, or to release it",
        )
    primary = [a for a in releasing if a.get("is_default")]
    if primary and not on_pelican:
        raise PterodactylError(
            f"{address(primary[0])} is the server's primary allocation, which the panel does not release "
            "(You cannot delete the primary allocation for this server.)",
            code="PrimaryAllocation",
            hint="make another allocation primary first (primary: true on it), then release this one",
        )


def shaped(allocation: dict | None) -> dict | None:
    return normalize_allocation(allocation) if allocation else None


def lines(allocations: list[dict]) -> str:
    """Diff mode: one allocation a line, primary first."""
    out = []
    for allocation in allocations:
        primary = " (primary)" if allocation.get("is_default") else ""
        out.append(
            f"{address(allocation) if allocation.get('port') else 'a new allocation'}{primary} "
            f"notes={allocation.get('notes')!r}\n"
        )
    return "".join(out)
