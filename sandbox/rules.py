"""Laravel's validator for the rules eggs give their variables (and the form requests that need more than
sandbox/forms.py's few rules): parsing, the rules' semantics on PHP values, and the panel's English texts.

Texts are PT's ``resources/lang/en/validation.php`` (PL's ``lang/en/validation.php`` has the same lines, and
both fall back to Laravel's own file for ``present`` and ``not_regex``). The attribute is shown as Laravel's
``getDisplayableAttribute`` does: underscores become spaces (``docker_image`` -> ``docker image``).

Semantics (Laravel 11 ``Validator`` / ``ValidatesAttributes``):

* a rule string is exploded on ``|`` (so a ``regex:`` holding ``|`` breaks, as in the panel: use a list);
  names are normalised (``alphaDash`` = ``alpha_dash``); parameters are CSV (``str_getcsv``), except for
  ``regex`` / ``not_regex``;
* ``required`` / ``present`` / ``filled`` are implicit: they run on a missing attribute, and when one fails
  the attribute's other rules stop; other rules are skipped for a missing attribute, and for ``null`` when
  ``nullable`` is listed; ``bail`` stops at the first failure;
* sizes (``min``, ``max``, ``between``, ``size``) are the number itself only when the attribute also has
  ``numeric`` or ``integer`` and the value is numeric, the item count of an array, else the string length
  (so ``integer|max:10`` lets ``"abcdefghi"`` through the size check); the message follows the rules too.

A regex that PHP cannot compile (a ``|`` split, a bad delimiter) is PHP's warning, i.e. the panel's 500
``ErrorException``; an unknown rule is Laravel's 500 ``BadMethodCallException``.
"""

from __future__ import annotations

import csv
import ipaddress
import json
import re
import unicodedata
from typing import Any

from . import errors as E
from .forms import PHP_NUMERIC, _expand, permit

IMPLICIT = ("required", "present", "filled", "required_unless")
NUMERIC_RULES = ("numeric", "integer")
MESSAGES = {
    "required": "The :attribute field is required.",
    "present": "The :attribute field must be present.",
    "filled": "The :attribute field is required.",
    "required_unless": "The :attribute field is required unless :other is in :values.",
    "email": "The :attribute must be a valid email address.",
    "string": "The :attribute must be a string.",
    "array": "The :attribute must be an array.",
    "integer": "The :attribute must be an integer.",
    "numeric": "The :attribute must be a number.",
    "boolean": "The :attribute field must be true or false.",
    "in": "The selected :attribute is invalid.",
    "not_in": "The selected :attribute is invalid.",
    "regex": "The :attribute format is invalid.",
    "not_regex": "The :attribute field format is invalid.",
    "alpha": "The :attribute may only contain letters.",
    "alpha_dash": "The :attribute may only contain letters, numbers, and dashes.",
    "alpha_num": "The :attribute may only contain letters and numbers.",
    "url": "The :attribute format is invalid.",
    "ip": "The :attribute must be a valid IP address.",
    "json": "The :attribute must be a valid JSON string.",
    "digits": "The :attribute must be :digits digits.",
    "digits_between": "The :attribute must be between :min and :max digits.",
    "max": {
        "numeric": "The :attribute may not be greater than :max.",
        "string": "The :attribute may not be greater than :max characters.",
        "array": "The :attribute may not have more than :max items.",
    },
    "min": {
        "numeric": "The :attribute must be at least :min.",
        "string": "The :attribute must be at least :min characters.",
        "array": "The :attribute must have at least :min items.",
    },
    "between": {
        "numeric": "The :attribute must be between :min and :max.",
        "string": "The :attribute must be between :min and :max characters.",
        "array": "The :attribute must have between :min and :max items.",
    },
    "size": {
        "numeric": "The :attribute must be :size.",
        "string": "The :attribute must be :size characters.",
        "array": "The :attribute must contain :size items.",
    },
}
FLAGS = ("sometimes", "nullable", "bail")
EMULATED = frozenset(MESSAGES) | frozenset(FLAGS)
# Str::isUrl's protocols, the ones a game server's variable may plausibly hold
URL_PROTOCOLS = ("http", "https", "ftp", "ftps", "sftp", "ssh", "git", "ws", "wss", "file", "s3", "steam")
URL = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?:[\w.%-]+(?::[\w.%-]*)?@)?"
    r"(?:[\w.~-]*\w[\w.~-]*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])"
    r"(?::\d+)?"
    r"(?:/[\w\-.~!$&'()*+,;=:@%]*)*"
    r"(?:\?[\w\-.~!$&'\[\]()*+,;=:@/?%]*)?"
    r"(?:#[\w\-.~!$&'()*+,;=:@/?%]*)?$",
    re.IGNORECASE,
)
PHP_INT_MAX = 2**63 - 1
# Laravel's ``email`` (egulias RFCValidation), approximated: a local part and a domain without spaces or a second @
EMAIL = re.compile(r"^[^@\s]+@[^@\s.][^@\s]*$")


class RuleError(ValueError):
    """A rule the sandbox does not emulate (raised when a fleet file is loaded)."""


class PanelFailure(Exception):
    """What PHP would throw while validating: the panel's 500 with this exception class as ``code``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --------------------------------------------------------------------------- parsing


def rule_name(name: str) -> str:
    """Laravel normalises a rule's name (``Str::studly``), and reports it in snake case."""
    studly = "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_\s]+", name.strip()) if part)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", studly).lower()


def parse(spec: str | list[str]) -> list[tuple[str, list[str]]]:
    """A rule string (exploded on ``|``) or list -> [(name, parameters)]."""
    items = spec.split("|") if isinstance(spec, str) else [str(item) for item in spec]
    out = []
    for item in items:
        if not item.strip():
            continue
        head, colon, rest = item.partition(":")
        name = rule_name(head)
        if not colon:
            params: list[str] = []
        elif name in ("regex", "not_regex"):
            params = [rest]
        else:
            params = next(csv.reader([rest], skipinitialspace=False), [])
        out.append((name, params))
    return out


def check_rule_names(spec: str | list[str]) -> None:
    """RuleError for a rule named like a Laravel rule that the sandbox does not emulate (a fragment that is
    no name at all, such as the tail of a regex split on ``|``, stays: the panel answers it with a 500)."""
    for name, _params in parse(spec):
        if re.fullmatch(r"[a-z_]+", name) and name not in EMULATED:
            raise RuleError(f"the rule {name!r} is not emulated (emulated: {', '.join(sorted(EMULATED))})")


# --------------------------------------------------------------------------- PHP values


def php_string(value: Any) -> str:
    """PHP's ``(string)`` of a scalar."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and PHP_NUMERIC.match(value) is not None


def _number(value: Any) -> float:
    return float(value.strip()) if isinstance(value, str) else float(value)


def _filter_int(value: Any) -> bool:
    """``filter_var($value, FILTER_VALIDATE_INT) !== false``."""
    if isinstance(value, (list, dict)) or value is None:
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    text = php_string(value).strip(" \t\n\r\v\x00")
    if not re.fullmatch(r"[+-]?(0|[1-9][0-9]*)", text):
        return False
    return -PHP_INT_MAX - 1 <= int(text) <= PHP_INT_MAX


def _loose_equal(a: str, b: str) -> bool:
    """PHP 8's ``==`` of two strings: numerically when both are numeric strings."""
    if is_numeric(a) and is_numeric(b):
        return _number(a) == _number(b)
    return a == b


def _letters(text: str, categories: str, extra: str = "") -> bool:
    """``/\\A[\\pL\\pM...]+\\z/u``: each character of a Unicode category in ``categories`` or in ``extra``."""
    return bool(text) and all(c in extra or unicodedata.category(c)[0] in categories for c in text)


def php_regex(pattern: str) -> re.Pattern:
    """A PCRE pattern with delimiters and flags as Python's ``re`` (PanelFailure when PHP would warn)."""
    if len(pattern) < 2 or pattern[0].isalnum() or pattern[0] in "\\ \t\r\n":
        raise PanelFailure("ErrorException")
    closing = {"(": ")", "[": "]", "{": "}", "<": ">"}.get(pattern[0], pattern[0])
    end = pattern.rfind(closing)
    if end <= 0:
        raise PanelFailure("ErrorException")  # preg_match(): No ending delimiter
    body, modifiers = pattern[1:end], pattern[end + 1 :]
    flags = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0, "D": 0}
    if any(m not in flags for m in modifiers):
        raise PanelFailure("ErrorException")  # preg_match(): Unknown modifier
    py_flags = 0 if "u" in modifiers else re.ASCII
    for m in modifiers:
        py_flags |= flags[m]
    body = body.replace(f"\\{pattern[0]}", pattern[0]).replace("(?<", "(?P<").replace("(?P<=", "(?<=")
    body = body.replace("(?P<!", "(?<!").replace("\\Z", "(?=\\n?\\Z)").replace("\\z", "\\Z")
    body = body.replace("\\h", "[ \\t]")
    if "D" in modifiers:
        body = re.sub(r"(?<!\\)\$", r"\\Z", body)
    try:
        return re.compile(body, py_flags)
    except re.error:
        raise PanelFailure("ErrorException") from None


def _size(value: Any, numeric: bool) -> float:
    if numeric and is_numeric(value):
        return _number(value)
    if isinstance(value, (list, dict)):
        return float(len(value))
    return float(len(php_string(value)))


def _passes(name: str, params: list[str], value: Any, numeric: bool) -> bool:
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, (list, dict))
    if name == "integer":
        return _filter_int(value)
    if name == "numeric":
        return is_numeric(value)
    if name == "boolean":
        return (isinstance(value, bool) or value in (0, 1, "0", "1")) and not isinstance(value, float)
    if name in ("in", "not_in"):
        found = not isinstance(value, (list, dict)) and any(_loose_equal(php_string(value), p) for p in params)
        return found if name == "in" else not found
    if name in ("min", "max", "size", "between"):
        size = _size(value, numeric)
        bounds = [float(p) for p in params]
        return {
            "min": lambda: size >= bounds[0],
            "max": lambda: size <= bounds[0],
            "size": lambda: size == bounds[0],
            "between": lambda: bounds[0] <= size <= bounds[1],
        }[name]()
    if name in ("regex", "not_regex"):
        if not isinstance(value, str) and not is_numeric(value):
            return False
        found = php_regex(params[0]).search(php_string(value)) is not None
        return found if name == "regex" else not found
    if name == "alpha":
        return isinstance(value, str) and _letters(value, "LM")
    if name in ("alpha_dash", "alpha_num"):
        if not isinstance(value, str) and not is_numeric(value):
            return False
        return _letters(php_string(value), "LMN", "_-" if name == "alpha_dash" else "")
    if name in ("digits", "digits_between"):
        text = php_string(value)
        if isinstance(value, (list, dict)) or re.search(r"[^0-9]", text):
            return False
        low, high = (int(params[0]), int(params[0])) if name == "digits" else (int(params[0]), int(params[1]))
        return low <= len(text) <= high
    if name == "email":
        return isinstance(value, str) and EMAIL.match(value) is not None and ".." not in value.partition("@")[2]
    if name == "url":
        match = URL.match(value) if isinstance(value, str) else None
        return match is not None and match["scheme"].lower() in (params or URL_PROTOCOLS)
    if name == "ip":
        try:
            ipaddress.ip_address(php_string(value))
            return not isinstance(value, (list, dict))
        except ValueError:
            return False
    if name == "json":
        if isinstance(value, (list, dict)) or value is None:
            return False
        try:
            json.loads(php_string(value))
            return True
        except ValueError:
            return False
    raise PanelFailure("BadMethodCallException")  # Validator::validate<Name> does not exist


# --------------------------------------------------------------------------- validating


def message(name: str, params: list[str], attribute: str, kind: str) -> str:
    text = MESSAGES[name]
    if isinstance(text, dict):
        text = text[kind]
    shown = attribute.replace("_", " ")
    values = {"attribute": shown, "min": "", "max": "", "size": "", "digits": "", "other": "", "values": ""}
    if name == "required_unless" and params:
        values["other"], values["values"] = params[0].replace("_", " "), ", ".join(params[1:])
    if name in ("min", "max", "size", "digits"):
        values[name] = params[0] if params else ""
    if name in ("between", "digits_between"):
        values["min"], values["max"] = (params + ["", ""])[:2]
    return re.sub(r":(attribute|min|max|size|digits|other|values)\b", lambda m: values[m.group(1)], text)


def failures(
    attribute: str, present: bool, value: Any, spec: str | list[str], data: dict | None = None
) -> list[tuple[str, str]]:
    """The (rule, message) pairs Laravel reports for one attribute, in the rules' order (``data``: the other
    fields, for ``required_unless:other,value,...``)."""
    rules = parse(spec)
    names = [name for name, _params in rules]
    if "sometimes" in names and not present:
        return []
    numeric = any(name in NUMERIC_RULES for name in names)
    kind = "numeric" if numeric else "array" if "array" in names else "string"
    out: list[tuple[str, str]] = []
    for name, params in rules:
        if name in FLAGS:
            continue
        implicit = name in IMPLICIT
        blank = isinstance(value, str) and value.strip() == ""
        if not implicit and (not present or blank or (value is None and "nullable" in names)):
            continue
        if name == "present":
            ok = present
        elif name == "required_unless" and php_string((data or {}).get(params[0] if params else "")) in params[1:]:
            ok = True
        elif name in ("required", "filled", "required_unless"):
            ok = (name == "filled" and not present) or not (
                value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})
            )
        else:
            try:
                ok = _passes(name, params, value, numeric)
            except (ValueError, IndexError):
                raise PanelFailure("InvalidArgumentException") from None  # a rule without its parameters
        if not ok:
            out.append((name, message(name, params, attribute, kind)))
            if implicit or "bail" in names:
                break
    return out


def validate(data: dict, rules: list[tuple[str, str | list[str]]]) -> None:
    """422 with one item per message (``files.*`` style keys expand as in sandbox/forms.py); a rule PHP
    would throw on is the panel's 500."""
    found: list[tuple[str, str, str]] = []
    try:
        for field, spec in rules:
            for attribute, present, value in _expand(data, field):
                found += [(attribute, rule, text) for rule, text in failures(attribute, present, value, spec, data)]
    except PanelFailure as exc:
        raise E.unexpected(exc.code) from None
    if found:
        raise E.validation_failed(found)


def checked_input(panel, ctx, permission: str, rules: list[tuple[str, str | list[str]]]) -> dict:
    """sandbox/forms.py's form request with every rule above: 403 without ``permission``, then 422."""
    permit(panel, ctx, permission)
    data = {**ctx.query, **ctx.body}
    validate(data, rules)
    return data
