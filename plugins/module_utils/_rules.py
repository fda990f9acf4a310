# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An egg variable's rules (Laravel's validation rules), checked before a value is sent. Private to the collection.

Eggs describe each startup variable's allowed values with a Laravel rule string, e.g.
``required|string|max:20`` or ``required|in:1.20.4,1.21.1``. The panel validates a new value
against it and answers 422 with Laravel's English message, the attribute being ``value``. The
rules eggs use are checked here with the same messages, so check mode predicts the refusal and
nothing is sent; a rule this module does not know is left to the panel (its 422 names it).
"""

from __future__ import annotations

import re
from collections.abc import Callable

_INTEGER_RE = re.compile(r"^[+-]?(0|[1-9]\d*)$")  # PHP's FILTER_VALIDATE_INT: no leading zeros
_NUMERIC_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
BOOLEANS = ("1", "0")  # Laravel's boolean rule: true, false, 1, 0, "1", "0" - not "true" or "false"


def split_rules(rules: str | list) -> list[tuple[str, str]]:
    """``[(name, argument), ...]`` of a rule string or list (a string is split on every ``|``, as Laravel does)."""
    items = rules if isinstance(rules, list) else str(rules or "").split("|")
    parsed = []
    for item in items:
        name, _sep, argument = str(item).strip().partition(":")
        if name:
            parsed.append((name.lower(), argument))
    return parsed


def _size(value: str, numeric: bool) -> float:
    return float(value) if numeric else len(value)


def _unit(numeric: bool) -> str:
    return "" if numeric else " characters"


def check_value(value: str | None, rules: str | list) -> str | None:
    """The panel's message for a value the rules refuse, or None when they accept it (or cannot tell)."""
    parsed = split_rules(rules)
    names = {name for name, _argument in parsed}
    text = "" if value is None else str(value).strip()  # the panel's TrimStrings, then empty is null
    if text == "":
        if "required" in names:
            return "The value field is required."
        return None  # nullable or not required: an empty value passes the other rules
    numeric = bool(names & {"integer", "numeric"})
    for name, argument in parsed:
        message = _CHECKS.get(name, _unknown)(text, argument, numeric)
        if message:
            return message
    return None


def _unknown(_text: str, _argument: str, _numeric: bool) -> None:
    return None


def _string(_text: str, _argument: str, _numeric: bool) -> None:
    return None  # every value sent is a string


def _integer(text: str, _argument: str, _numeric: bool) -> str | None:
    return None if _INTEGER_RE.match(text) else "The value must be an integer."


def _numeric_rule(text: str, _argument: str, _numeric: bool) -> str | None:
    return None if _NUMERIC_RE.match(text) else "The value must be a number."


def _boolean(text: str, _argument: str, _numeric: bool) -> str | None:
    return None if text in BOOLEANS else "The value field must be true or false."


def _in(text: str, argument: str, _numeric: bool) -> str | None:
    return None if text in argument.split(",") else "The selected value is invalid."


def _not_in(text: str, argument: str, _numeric: bool) -> str | None:
    return "The selected value is invalid." if text in argument.split(",") else None


def _max(text: str, argument: str, numeric: bool) -> str | None:
    try:
        limit = float(argument)
    except ValueError:
        return None
    if _size(text, numeric) > limit:
        return f"The value may not be greater than {argument}{_unit(numeric)}."
    return None


def _min(text: str, argument: str, numeric: bool) -> str | None:
    try:
        limit = float(argument)
    except ValueError:
        return None
    if _size(text, numeric) < limit:
        return f"The value must be at least {argument}{_unit(numeric)}."
    return None


def _between(text: str, argument: str, numeric: bool) -> str | None:
    low, _sep, high = argument.partition(",")
    try:
        inside = float(low) <= _size(text, numeric) <= float(high)
    except ValueError:
        return None
    return None if inside else f"The value must be between {low} and {high}{_unit(numeric)}."


def _size_rule(text: str, argument: str, numeric: bool) -> str | None:
    try:
        wanted = float(argument)
    except ValueError:
        return None
    return None if _size(text, numeric) == wanted else f"The value must be {argument}{_unit(numeric)}."


def _regex(text: str, argument: str, _numeric: bool) -> str | None:
    match = re.match(r"^/(.*)/([a-zA-Z]*)$", argument)
    if not match:
        return None
    flags = re.IGNORECASE if "i" in match.group(2) else 0
    try:
        found = re.search(match.group(1), text, flags)
    except re.error:
        return None  # a PCRE feature Python's re lacks: the panel decides
    return None if found else "The value format is invalid."


def _pattern(regex: str, message: str) -> Callable[[str, str, bool], str | None]:
    compiled = re.compile(regex)
    return lambda text, _argument, _numeric: None if compiled.match(text) else message


_CHECKS: dict[str, Callable[[str, str, bool], str | None]] = {
    "required": _unknown,
    "nullable": _unknown,
    "sometimes": _unknown,
    "string": _string,
    "integer": _integer,
    "numeric": _numeric_rule,
    "boolean": _boolean,
    "in": _in,
    "not_in": _not_in,
    "max": _max,
    "min": _min,
    "between": _between,
    "size": _size_rule,
    "regex": _regex,
    "alpha": _pattern(r"^[^\W\d_]+$", "The value may only contain letters."),
    "alpha_num": _pattern(r"^[^\W_]+$", "The value may only contain letters and numbers."),
    "alpha_dash": _pattern(r"^[\w-]+$", "The value may only contain letters, numbers, and dashes."),
    "url": _pattern(r"^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$", "The value format is invalid."),
}
