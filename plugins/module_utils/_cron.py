# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A schedule's five cron fields, checked as the panel's cron library checks them. Private to the collection.

Both panels join the fields with spaces and hand them to dragonmantank/cron-expression (Pterodactyl
v3.4.0, Pelican v3.6.0: the same ``validate()`` of each field); a field it refuses, or an expression
without a next date, is the panel's 400 "The cron data provided does not evaluate to a valid
expression." which names no field. Checked here first, each refusal names the field and its value.

What a field takes (``AbstractField::validate`` and the fields' own): ``*``; a number in the field's
range; a range ``a-b`` (no ``*`` in it); a step ``*/n`` or ``a-b/n`` (n a whole number above 0, not
after a single number); a list of those, by commas. Month and weekday names (``JAN``, ``mon``, any
case) stand for their numbers. The day of the month also takes ``?``, ``L`` (the last day) and ``nW``
(the weekday nearest day n), the day of the week ``?``, ``n#k`` (the k-th weekday n of the month,
k 1-5) and ``nL`` (its last weekday n); ``W`` and ``L`` not inside a list. ``?`` only in those two
fields, and not in both. Stricter than the library only where the panel would refuse anyway: a
range or a step range that runs backwards (``30-10``) never matches, so the panel finds no next
date; numbers are plain digits.
"""

from __future__ import annotations

import re

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import invalid_option

FIELDS = ("minute", "hour", "day_of_month", "month", "day_of_week")
RANGES = {"minute": (0, 59), "hour": (0, 23), "day_of_month": (1, 31), "month": (1, 12), "day_of_week": (0, 7)}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
LITERALS = {
    "month": {name: index + 1 for index, name in enumerate(_MONTHS)},
    "day_of_week": {name: index + 1 for index, name in enumerate(_DAYS)},
}
HELP = {
    "minute": "0-59",
    "hour": "0-23",
    "day_of_month": "1-31, L (the last day) or nW (the weekday nearest day n)",
    "month": "1-12 or JAN-DEC",
    "day_of_week": "0-7 (0 and 7 are Sunday) or MON-SUN, n#k (the k-th weekday n of the month) or nL (the last one)",
}
_DIGITS = re.compile(r"^[0-9]+$")
_STEP = re.compile(r"^\+?[1-9][0-9]*$")  # PHP FILTER_VALIDATE_INT, and not 0


def _literal(field: str, value: str) -> str:
    """A month or weekday name as its number (``convertLiterals``: the whole value, any case)."""
    number = LITERALS.get(field, {}).get(value.upper())
    return str(number) if number is not None else value


def _number(field: str, value: str) -> int | None:
    """The value as a number of the field's range, else None."""
    value = _literal(field, value)
    if not _DIGITS.match(value):
        return None
    number = int(value)
    low, high = RANGES[field]
    return number if low <= number <= high else None


def _range(field: str, value: str) -> bool:
    """``a-b``: both ends in the field's range, upward."""
    if value.count("-") != 1:
        return False
    start, end = (_number(field, part) for part in value.split("-"))
    if field == "day_of_week" and start == 7:  # Sunday as 0 (7-2) or as 7 (5-0) at either end
        start = 0
    if field == "day_of_week" and end == 0:
        end = 7
    return start is not None and end is not None and start <= end


def _basic(field: str, value: str) -> bool:
    """``AbstractField::validate``: ``*``, a number, a range, a step, a list of those."""
    value = _literal(field, value)
    if value == "*":
        return True
    if "," in value:
        return all(_valid(field, item) for item in value.split(","))
    if "/" in value:
        if value.count("/") != 1:
            return False
        span, step = value.split("/")
        if _DIGITS.match(span) or not _STEP.match(step):  # no step after a single number, no step 0
            return False
        return span == "*" or _range(field, span)
    if "-" in value:
        return _range(field, value)
    return _number(field, value) is not None


def _valid(field: str, value: str) -> bool:
    """A field's value (or one item of its list) as the field's ``validate()`` takes it."""
    if _basic(field, value):
        return True
    if field == "day_of_month":
        if value in ("?", "L"):
            return True
        return value.endswith("W") and _valid(field, value[:-1])
    if field == "day_of_week":
        if value == "?":
            return True
        if "#" in value:
            day, _sep, nth = value.partition("#")
            return _number(field, day) is not None and nth in ("1", "2", "3", "4", "5")
        return value.endswith("L") and _valid(field, value[:-1])
    return False


def field_text(name: str, value) -> str:
    """A field's value as the string sent: a whole number or a string, trimmed (as the panel trims)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise invalid_option(f"cron.{name} must be a string or a whole number, not {value!r}")
    return str(value).strip()


def check_field(name: str, value: str) -> None:
    """InvalidOption naming the field and its value when the panel's cron library would refuse it."""
    if not value:
        raise invalid_option(f"cron.{name} is empty", hint=f"{name} takes {HELP[name]}, ranges, steps, lists or *")
    lists = name == "day_of_month" and "," in value and ("W" in value or "L" in value)  # DayOfMonthField
    if " " in value or "\t" in value or lists or not _valid(name, value):
        raise invalid_option(
            f"cron.{name} {value!r} is not a valid cron field",
            hint=f"{name} takes {HELP[name]}, ranges (a-b), steps (*/n, a-b/n), lists (a,b) or *",
        )
    if value == "?" and name not in ("day_of_month", "day_of_week"):
        raise invalid_option(f"cron.{name} '?' is not a valid cron field", hint="only the day fields take ?")


def check_cron(cron: dict) -> dict[str, str]:
    """The five fields as strings, each checked; InvalidOption before anything is sent."""
    fields = {name: field_text(name, cron.get(name, "*")) for name in FIELDS}
    for name in FIELDS:
        check_field(name, fields[name])
    if fields["day_of_month"] == "?" and fields["day_of_week"] == "?":
        raise invalid_option("cron.day_of_month and cron.day_of_week cannot both be '?'")
    return fields
