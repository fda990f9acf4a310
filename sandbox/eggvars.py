"""A server's egg variables as the panel and Wings use them: values, the startup command, the environment of
the game and install processes, and the game version the game prints at boot.

Every variable has a value row (as for servers the panel created): ``server_value`` is the server's value,
else the default. Functions take any object with the attributes of ``fleet.Server`` / ``fleet.Egg`` and
tolerate the plain namespaces tests use for servers (no egg, no variables).
"""

from __future__ import annotations

from typing import Any

HIDDEN = "[hidden]"
WINGS_TZ = "UTC"  # system.timezone


def variables(server: Any) -> list:
    egg = getattr(server, "egg", None)
    return list(getattr(egg, "variables", None) or [])


def server_value(server: Any, var: Any) -> str:
    return (getattr(server, "variable_values", None) or {}).get(var.env_variable, var.default_value)


def images(egg: Any) -> dict[str, str]:
    """The egg's ``docker_images`` (display name -> image); an egg without them offers its one image."""
    found = getattr(egg, "docker_images", None)
    default = getattr(egg, "docker_image", "")
    return dict(found) if found else ({default: default} if default else {})


def docker_image(server: Any) -> str:
    return getattr(server, "docker_image", "") or getattr(getattr(server, "egg", None), "docker_image", "")


def template(server: Any) -> str:
    """The server's startup template (``raw_startup_command``)."""
    return str(getattr(getattr(server, "egg", None), "startup", "") or "")


def startup_command(server: Any, hide_all: bool = False) -> str:
    """StartupCommandService: PHP's str_replace with arrays, i.e. one pair after the other over the whole text."""
    allocation = server.allocations[0] if getattr(server, "allocations", None) else None
    pairs = [
        ("{{SERVER_MEMORY}}", str((getattr(server, "limits", None) or {}).get("memory", 0))),
        ("{{SERVER_IP}}", allocation.ip if allocation else "127.0.0.1"),
        ("{{SERVER_PORT}}", str(allocation.port) if allocation else "0"),
    ]
    for var in variables(server):
        shown = server_value(server, var) if var.user_viewable and not hide_all else HIDDEN
        pairs.append(("{{" + var.env_variable + "}}", shown))
    text = template(server)
    for find, replacement in pairs:
        text = text.replace(find, replacement)
    return text


def environment(server: Any) -> dict[str, str]:
    """Wings' ``GetEnvironmentVariables``: TZ, STARTUP, SERVER_MEMORY/IP/PORT, then the panel's variables (the
    egg's, upper-cased, and P_SERVER_*), each name only once."""
    allocation = server.allocations[0] if getattr(server, "allocations", None) else None
    env = {
        "TZ": WINGS_TZ,
        "STARTUP": template(server),
        "SERVER_MEMORY": str((getattr(server, "limits", None) or {}).get("memory", 0)),
        "SERVER_IP": allocation.ip if allocation else "127.0.0.1",
        "SERVER_PORT": str(allocation.port) if allocation else "0",
    }
    extra = {var.env_variable: server_value(server, var) for var in variables(server)}
    extra["P_SERVER_LOCATION"] = getattr(getattr(server, "node", None), "name", "")
    extra["P_SERVER_UUID"] = str(getattr(server, "uuid", ""))
    extra["P_SERVER_ALLOCATION_LIMIT"] = str((getattr(server, "feature_limits", None) or {}).get("allocations", 0))
    for name, value in extra.items():
        if not any(key.startswith(name.upper()) for key in env):  # Wings skips a name it already set
            env[name.upper()] = value
    return env


def game_version(server: Any, env: dict[str, str] | None = None) -> str | None:
    """The version the game runs: the egg's ``version_variable`` in the environment (``latest`` or empty: the
    egg's ``latest_version``); None for an egg without one."""
    egg = getattr(server, "egg", None)
    name = getattr(egg, "version_variable", None)
    if not name:
        return None
    value = (environment(server) if env is None else env).get(name.upper(), "")
    return resolve_version(value, getattr(egg, "latest_version", "1.20.4"))


def resolve_version(value: str, latest: str) -> str:
    return latest if value.strip().lower() in ("", "latest") else value.strip()


def game_arguments(server: Any) -> list[str]:
    """What sandbox/gameserver.py needs to honour the variables: where its version is and which ones crash."""
    egg = getattr(server, "egg", None)
    name = getattr(egg, "version_variable", None)
    if not name:
        return []
    argv = ["--version-variable", name.upper(), "--latest-version", str(getattr(egg, "latest_version", "1.20.4"))]
    crash = [str(v) for v in getattr(egg, "crash_versions", None) or []]
    return argv + (["--crash-versions", ",".join(crash)] if crash else [])
