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
    Option("url", "str", env="PTERODACTYL_URL", required=True),
    Option("api_key", "str", env="PTERODACTYL_API_KEY", required=True, no_log=True),
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


def number_option(value: Any, name: str, *, positive: bool = False) -> float:
    """A finite number >= 0 (> 0 when ``positive``) from an option's value."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise invalid_option(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise invalid_option(f"{name} must be a finite number >= 0, not {value!r}")
    if positive and number <= 0:
        raise invalid_option(f"{name} must be greater than 0, not {value!r}")
    return number


def non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid_option(f"{name} must be an integer >= 0, not {value!r}")
    return value


def check_limit(limit: int | None) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise invalid_option(f"limit must be a positive integer, not {limit!r}")
