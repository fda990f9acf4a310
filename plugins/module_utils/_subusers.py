# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subusers without the client: the panel's permission keys, what it stores, matching by email, shapes.

Both panels keep only the keys ``GET /api/client/permissions`` lists and add ``websocket.connect``
(Pelican also sorts them), so the set a subuser ends up with is the asked keys plus that one: what
the modules compare. Private to the collection.
"""

from __future__ import annotations

import difflib
import re

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import invalid_option

ALWAYS = "websocket.connect"  # added by both panels to every subuser they store
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


def known_keys(answer: dict | list) -> list[str]:
    """The keys of ``GET /api/client/permissions``: Pterodactyl's groups (``{"control": {"keys":
    {"console": ...}}}``) or Pelican's flat list, as one flat list in the panel's order."""
    if isinstance(answer, list):
        return [str(key) for key in answer]
    keys = []
    for group, entry in (answer or {}).items():
        keys += [f"{group}.{key}" for key in ((entry or {}).get("keys") or {})]
    return keys


def asked_keys(permissions: list[str]) -> list[str]:
    """The asked keys, stripped and without repeats (a repeated key can make Pterodactyl store an object)."""
    return list(dict.fromkeys(str(key).strip() for key in permissions if str(key).strip()))


def stored(permissions: list[str]) -> set[str]:
    """The set the panel stores for these (known) keys."""
    return set(asked_keys(permissions)) | {ALWAYS}


def to_send(permissions: list[str]) -> list[str]:
    """The body's list. ``websocket.connect`` is not added (the panel adds it, and a granting subuser
    without it would be refused for asking it) unless the list would be empty (``required``)."""
    return asked_keys(permissions) or [ALWAYS]


def unknown(keys: list[str], known: list[str]) -> list[str]:
    known_set = set(known)
    return [key for key in keys if key not in known_set]


def refuse_unknown(keys: list[str], known: list[str]) -> None:
    """InvalidOption naming the keys the panel does not know (it would drop them silently), with the
    nearest known key of each and every valid one; nothing when all are known."""
    bad = unknown(keys, known)
    if not bad:
        return
    guesses = []
    for key in bad:
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        if near:
            guesses.append(f"{near[0]} for {key}")
    message = f"permissions: the panel does not know {', '.join(bad)}"
    if guesses:
        message += f" (did you mean {', '.join(guesses)}?)"
    raise invalid_option(message, hint=f"the keys this panel knows: {', '.join(known)}")


def check_email(email: str) -> str:
    """The email, stripped; InvalidOption for one the panel's ``email`` rule refuses for sure."""
    email = (email or "").strip()
    if not _EMAIL_RE.match(email):
        raise invalid_option(f"email must be an email address (name@domain), not {email!r}")
    return email


def find(subusers: list[dict], email: str) -> dict | None:
    """The subuser with this email: the exact one, else one that differs in case only (Pterodactyl finds
    users as MySQL compares, case-insensitively, and would refuse to add them again)."""
    exact = [s for s in subusers if s.get("email") == email]
    if exact:
        return exact[0]
    folded = [s for s in subusers if str(s.get("email") or "").casefold() == email.casefold()]
    return folded[0] if folded else None


def shaped(subuser: dict) -> dict:
    """A subuser in results: the panel's fields, the permissions sorted."""
    return {
        "uuid": subuser.get("uuid"),
        "username": subuser.get("username"),
        "email": subuser.get("email"),
        "permissions": sorted(subuser.get("permissions") or []),
        "2fa_enabled": bool(subuser.get("2fa_enabled")),
        "created_at": subuser.get("created_at"),
    }


def lines(subuser: dict | None) -> str:
    """Diff mode: the email, then one permission a line."""
    if not subuser:
        return ""
    return f"{subuser.get('email')}\n" + "".join(f"  {key}\n" for key in sorted(subuser.get("permissions") or []))
