# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databases without the client: the panel's name rules and prefix, matching, shapes. Private to the collection.

The panel stores a client's database as ``s<server internal id>_<name>``, cut to 48 characters, so a
database is found by its name without that prefix; a longer name would be cut, and found again by no
one, so it is refused before anything is sent.
"""

from __future__ import annotations

import re

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import invalid_option

LONGEST = 48  # the stored name with its prefix (DatabaseManagementService), and the rule max:48
_PREFIX_RE = re.compile(r"^s\d+_")
_NAME_RE = re.compile(r"^[\w-]+$")  # Laravel's alpha_dash: letters, numbers, dashes and underscores
_REMOTE_RE = re.compile(r"^[\w\-/.%:]+$")  # the Database model's rule for remote


def prefix(internal_id: int | str) -> str:
    return f"s{internal_id}_"


def short_name(stored: str) -> str:
    """The name a user gave: the stored one without ``s<id>_``."""
    return _PREFIX_RE.sub("", str(stored or ""), count=1)


def check_name(name: str) -> str:
    """InvalidOption for a name the panel's rules refuse (``alpha_dash``, 3 to 48 characters)."""
    if not _NAME_RE.match(name or ""):
        raise invalid_option(
            f"name {name!r} may only contain letters, numbers, dashes and underscores (the panel's alpha_dash rule)"
        )
    if not 3 <= len(name) <= LONGEST:
        raise invalid_option(f"name must have 3 to {LONGEST} characters, not {len(name)} ({name!r})")
    return name


def check_fits(name: str, internal_id: int | str) -> None:
    """InvalidOption for a name the panel would cut: with its prefix it must fit in 48 characters."""
    room = LONGEST - len(prefix(internal_id))
    if len(name) > room:
        raise invalid_option(
            f"name {name!r} has {len(name)} characters; with the panel's prefix {prefix(internal_id)} it may have "
            f"{room} at most (the panel would cut it to 48)"
        )


def check_remote(remote: str) -> str:
    if not _REMOTE_RE.match(remote or ""):
        raise invalid_option(
            f"remote {remote!r} is not a host pattern the panel accepts: letters, numbers and _ - / . % : only "
            "(for example %, 10.0.0.% or 192.168.1.10)"
        )
    return remote


def find(databases: list[dict], name: str) -> dict | None:
    """The database with this name (without the prefix; the stored name matches too)."""
    for database in databases:
        if short_name(database.get("name")) == name or database.get("name") == name:
            return database
    return None


def password_of(item: dict) -> str | None:
    """The password the panel included (create, rotate-password), None without ``database.view_password``."""
    relation = (item.get("relationships") or {}).get("password") or {}
    return (relation.get("attributes") or {}).get("password")


def shaped(item: dict) -> dict:
    """A database in results, never with its password."""
    host = item.get("host") or {}
    return {
        "id": item.get("id"),
        "name": item.get("name"),
        "short_name": short_name(item.get("name")),
        "username": item.get("username"),
        "host": {"address": host.get("address"), "port": host.get("port")},
        "connections_from": item.get("connections_from"),
        "max_connections": item.get("max_connections"),
    }


def lines(item: dict | None, rotated: bool = False) -> str:
    """Diff mode: one line, never the password."""
    if not item:
        return ""
    return (
        f"{item.get('name')} (connections from {item.get('connections_from')}){', new password' if rotated else ''}\n"
    )
