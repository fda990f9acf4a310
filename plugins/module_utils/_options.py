# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's options, in one table for the modules and the inventory, and their checks.

``CONNECTION_OPTIONS`` is the one list of options that build a client: type, default, whether
the value is a secret, and the environment variable that supplies it when the task or the
inventory file does not. The modules' argument spec is built from it, the inventory plugin reads
the same options, and a unit test holds both plugins' DOCUMENTATION to it. ``SERVER_FILTERS``
is the one table of server filters (option name, the panel's ``filter[...]`` key). Private to
the collection.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import excerpt, invalid_option

API_SUFFIXES = ("/api/client", "/api")  # stripped from url: paths are relative to the panel root
APPLICATION_KEY_PREFIXES = ("ptla_", "papp_")
CLIENT_KEY_PREFIXES = ("ptlc_", "pacc_")

_KEY_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no whitespace


class Option(NamedTuple):
    name: str
    type: str
    default: Any = None
    env: str | None = None
    required: bool = False
    no_log: bool = False


# The options every module and the inventory take to reach the panel, with their environment variables.
CONNECTION_OPTIONS = (
    # url and api_key are needed, but not "required" for Ansible: either the option or its
    # environment variable gives them, and the message for a missing one names both.
    Option("url", "str", env="PTERODACTYL_URL"),
    Option("api_key", "str", env="PTERODACTYL_API_KEY", no_log=True),
    Option("validate_certs", "bool", True, env="PTERODACTYL_VALIDATE_CERTS"),
    Option("ca_path", "path", env="PTERODACTYL_CA_PATH"),
    Option("timeout", "float", 30.0, env="PTERODACTYL_TIMEOUT"),
    Option("retries", "int", 3, env="PTERODACTYL_RETRIES"),
    Option("rate_limit_wait", "float", 120.0, env="PTERODACTYL_RATE_LIMIT_WAIT"),
)

# Options of the modules that open a server's websocket console.
CONSOLE_OPTIONS = (Option("websocket_origin", "str", env="PTERODACTYL_WEBSOCKET_ORIGIN"),)

# Server filters: (option name, the panel's filter[...] key); server_info and the inventory take them all.
SERVER_FILTERS = (
    ("name", "name"),
    ("uuid", "uuid"),
    ("external_id", "external_id"),
    ("description", "description"),
    ("query", "*"),
)


def client_kwargs(values: dict) -> dict:
    """The keyword arguments of the client's constructor from option values (by option name)."""
    return {option.name: values.get(option.name) for option in CONNECTION_OPTIONS}


def server_filters(values: dict) -> dict:
    """``{filter key: value}`` for the client's list_servers, from the filter options that are set."""
    return {key: values[name] for name, key in SERVER_FILTERS if values.get(name) not in (None, "")}


def normalize_url(url: str) -> str:
    """The panel root: scheme://host[:port][/prefix], without /api/client or /api."""
    if url is None:
        raise invalid_option(
            "url is missing: give the panel's address, e.g. https://panel.example.com, as url or in the "
            "PTERODACTYL_URL environment variable"
        )
    if not isinstance(url, str) or not url.strip():
        raise invalid_option("url is empty: give the panel's address, e.g. https://panel.example.com")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    shown = excerpt(url.split("@")[-1], 100)
    if scheme not in ("http", "https"):
        raise invalid_option(f"url {shown!r} must start with https:// or http://, e.g. https://panel.example.com")
    if not parts.hostname:
        raise invalid_option(f"url {shown!r} has no host name, e.g. https://panel.example.com")
    if parts.username is not None or parts.password is not None:
        raise invalid_option("url must not contain a user name or password; give the API key as api_key")
    path = parts.path.rstrip("/")
    for suffix in API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    return f"{scheme}://{parts.netloc.lower()}{path}"


def check_api_key(api_key: str) -> str:
    """The key without surrounding whitespace; raises if it cannot be a key."""
    if api_key is None:
        raise invalid_option(
            "api_key is missing: give a client API key (ptlc_..., on Pelican pacc_...) as api_key or in the "
            "PTERODACTYL_API_KEY environment variable; create one in the panel under Account > API Credentials"
        )
    if not isinstance(api_key, str) or not api_key.strip():
        raise invalid_option(
            "api_key is empty: create a client API key in the panel (Account > API Credentials, "
            "it starts with ptlc_, on Pelican pacc_) and pass it as api_key or PTERODACTYL_API_KEY"
        )
    key = api_key.strip()
    if not _KEY_RE.match(key):
        raise invalid_option(
            "api_key contains spaces, line breaks or non-ASCII characters and cannot be sent; "
            "copy the key again (a client key looks like ptlc_ followed by 43 letters and digits)"
        )
    return key


def key_kind(api_key: str) -> str:
    """``application``, ``client`` or ``unknown``, judged by the key prefix."""
    if api_key.startswith(APPLICATION_KEY_PREFIXES):
        return "application"
    if api_key.startswith(CLIENT_KEY_PREFIXES):
        return "client"
    return "unknown"


# Rules for numeric options, checked before anything is sent (one message style for all).
SECONDS = "seconds"  # a finite number (float)
COUNT = "count"  # a whole number (int)


class NumberRule(NamedTuple):
    kind: str  # SECONDS or COUNT
    positive: bool = True  # > 0; otherwise >= 0
    maximum: float | None = None


def _shown(value: Any) -> str:
    """A value as the user wrote it, roughly: -5, nan, inf, 'abc'."""
    if isinstance(value, float) and (not math.isfinite(value) or value.is_integer()):
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _bounds_text(kind: str, positive: bool, maximum: float | None) -> str:
    noun = "a whole number" if kind == COUNT else "a finite number"
    if maximum is not None:
        return f"{noun} from {1 if positive else 0} to {maximum:g}"
    return f"{noun} {'greater than 0' if positive else 'of 0 or more'}"


def number_option(value: Any, name: str, *, positive: bool = False, maximum: float | None = None) -> float:
    """A finite number >= 0 (> 0 when ``positive``, <= ``maximum`` when given) from an option's value."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    too_big = maximum is not None and number > maximum
    if not math.isfinite(number) or number < 0 or (positive and number <= 0) or too_big:
        raise invalid_option(f"{name} must be {_bounds_text(SECONDS, positive, maximum)}, not {_shown(value)}")
    return number


def integer_option(value: Any, name: str, *, positive: bool = False, maximum: int | None = None) -> int:
    """A whole number >= 0 (> 0 when ``positive``, <= ``maximum`` when given) from an option's value."""
    valid = isinstance(value, int) and not isinstance(value, bool)
    if valid and (value < 0 or (positive and value == 0) or (maximum is not None and value > maximum)):
        valid = False
    if not valid:
        raise invalid_option(f"{name} must be {_bounds_text(COUNT, positive, maximum)}, not {_shown(value)}")
    return value


def non_negative_int(value: Any, name: str) -> int:
    return integer_option(value, name)


def check_numbers(values: dict, rules: dict[str, NumberRule]) -> None:
    """InvalidOption for the first option in ``rules`` whose value (when set) breaks its rule."""
    for name, rule in rules.items():
        value = values.get(name)
        if value is None:
            continue
        check = integer_option if rule.kind == COUNT else number_option
        check(value, name, positive=rule.positive, maximum=rule.maximum)


# The connection options' rules, for the modules and the inventory alike.
CONNECTION_NUMBERS = {
    "timeout": NumberRule(SECONDS),
    "retries": NumberRule(COUNT, positive=False),
    "rate_limit_wait": NumberRule(SECONDS, positive=False),
}


def check_limit(limit: int | None) -> None:
    if limit is not None:
        integer_option(limit, "limit", positive=True)
