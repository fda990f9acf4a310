# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``key=value`` properties files (``server.properties``), edited in place. Private to the collection.

Reading follows ``java.util.Properties.load`` (what Minecraft and most Java game servers use):
``key=value``, ``key: value`` and ``key value``; ``#`` and ``!`` comments; a trailing backslash
continues a line; ``\\t \\n \\r \\f \\uXXXX`` and ``\\x`` escapes. Editing keeps every comment,
blank line, the order and every line it was not asked to change; a changed key gets one line
written as ``Properties.store`` writes it (keys and values escaped the same way, UTF-8 kept
as is); a new key is appended; the last of duplicate keys is the one that counts, as in Java.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import invalid_option

MASK = "********"
_SECRET_RE = re.compile(r"password|secret|token", re.IGNORECASE)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_SEPARATORS = "=:"
_WHITESPACE = " \t\f"


class Entry(NamedTuple):
    lines: list[str]  # the physical lines, without their line ending
    key: str | None  # None for a comment or a blank line
    value: str | None


def is_secret(key: str) -> bool:
    """Whether a key names a secret (``rcon.password``, ``*secret*``, ``*token*``): its value is masked."""
    return bool(_SECRET_RE.search(key))


def shown(key: str, value: str | None) -> str | None:
    return MASK if value is not None and is_secret(key) else value


# -- reading --


def parse(text: str) -> list[Entry]:
    """The entries of a properties file, one per logical line (comments and blank lines included)."""
    entries: list[Entry] = []
    physical = text.splitlines()
    index = 0
    while index < len(physical):
        first = physical[index]
        index += 1
        stripped = first.lstrip(_WHITESPACE)
        if not stripped or stripped[0] in "#!":
            entries.append(Entry([first], None, None))
            continue
        lines, logical = [first], stripped
        while _continues(logical) and index < len(physical):
            logical = logical[:-1] + physical[index].lstrip(_WHITESPACE)
            lines.append(physical[index])
            index += 1
        if _continues(logical):
            logical = logical[:-1]
        key, value = split_pair(logical)
        entries.append(Entry(lines, key, value))
    return entries


def _continues(line: str) -> bool:
    """A line ending in an odd number of backslashes continues on the next one."""
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def split_pair(logical: str) -> tuple[str, str]:
    """(key, value) of a logical line, both unescaped."""
    position, length = 0, len(logical)
    while position < length:
        char = logical[position]
        if char == "\\":
            position += 2
            continue
        if char in _SEPARATORS or char in _WHITESPACE:
            break
        position += 1
    key = logical[:position]
    rest = logical[position:].lstrip(_WHITESPACE)
    if rest[:1] and rest[0] in _SEPARATORS:
        rest = rest[1:].lstrip(_WHITESPACE)
    return unescape(key), unescape(rest)


def unescape(text: str) -> str:
    out, position = [], 0
    while position < len(text):
        char = text[position]
        if char != "\\" or position + 1 >= len(text):
            out.append(char)
            position += 1
            continue
        following = text[position + 1]
        if following == "u" and re.match(r"[0-9a-fA-F]{4}", text[position + 2 : position + 6]):
            out.append(chr(int(text[position + 2 : position + 6], 16)))
            position += 6
            continue
        out.append(_ESCAPES.get(following, following))
        position += 2
    return "".join(out)


def values(entries: list[Entry]) -> dict[str, str]:
    """key -> value, the last occurrence of a key winning (as Java's load does)."""
    return {entry.key: entry.value for entry in entries if entry.key is not None}


# -- writing --


def escape(text: str, *, is_key: bool) -> str:
    """``Properties.store``'s escaping: backslash, controls, ``= : # !``; spaces in keys, leading ones in values."""
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "\t\n\r\f":
            out.append("\\" + {"\t": "t", "\n": "n", "\r": "r", "\f": "f"}[char])
        elif char in "=:#!" or (char == " " and (is_key or index == 0)):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def line_for(key: str, value: str) -> str:
    return f"{escape(key, is_key=True)}={escape(value, is_key=False)}"


def as_text(key: str, value: Any) -> str | None:
    """A desired value as the file holds it: booleans ``true``/``false``, numbers as written; None removes."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    kind = type(value).__name__
    raise invalid_option(f"properties.{key} must be a string, a number, a boolean or null, not a {kind}")


class Edit(NamedTuple):
    text: str  # the new file
    changed: list[str]  # the keys that changed, in the order given
    before_lines: list[str]  # the changed lines before (secrets masked), for diff mode
    after_lines: list[str]  # and after


def apply(text: str, desired: dict[str, Any]) -> Edit:
    """``text`` with ``desired`` applied (None removes a key); only differing keys are touched."""
    newline = "\r\n" if "\r\n" in text else "\n"
    entries = parse(text)
    current = values(entries)
    wanted = {key: as_text(key, value) for key, value in desired.items()}
    changed = [key for key, value in wanted.items() if current.get(key) != value]
    if not changed:
        return Edit(text, [], [], [])
    before, after = [], []
    output: list[str] = []
    last = {entry.key: index for index, entry in enumerate(entries) if entry.key is not None}
    for index, entry in enumerate(entries):
        if entry.key in changed and (wanted[entry.key] is None or last[entry.key] == index):
            before.extend(masked_lines(entry))
            if wanted[entry.key] is None:
                continue  # removed: every occurrence goes
            output.append(line_for(entry.key, wanted[entry.key]))
            after.append(masked_line(entry.key, wanted[entry.key]))
            continue
        output.extend(entry.lines)
    for key in changed:
        if key not in current and wanted[key] is not None:
            output.append(line_for(key, wanted[key]))
            after.append(masked_line(key, wanted[key]))
    return Edit(newline.join(output) + newline, changed, before, after)


def masked_line(key: str, value: str) -> str:
    return line_for(key, MASK) if is_secret(key) else line_for(key, value)


def masked_lines(entry: Entry) -> list[str]:
    if entry.key is not None and is_secret(entry.key):
        return [masked_line(entry.key, entry.value or "")]
    return list(entry.lines)


def shown_values(text: str) -> dict[str, str]:
    """Every key's value after an edit, secrets masked (the module's ``properties`` result)."""
    return {key: shown(key, value) for key, value in values(parse(text)).items()}
