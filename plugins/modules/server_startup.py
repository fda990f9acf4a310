#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_startup
short_description: Set a game server's startup variables and Docker image
version_added: 0.1.0
description:
  - Sets the startup variables of a server (the egg's settings such as the game version, the jar
    file or a world seed) and its Docker image, as desired state.
  - Reads the server's startup first (one request) and sends one request per changed variable,
    and one for the image when it differs - nothing when everything matches. Values are compared
    as the strings the panel stores (V(null) as empty).
  - Validates before sending - an unknown variable is named with the editable ones, a read-only
    one says so, a value that breaks the variable's rules (the egg's Laravel rules, such as
    C(required|in:1.20.4,1.21.1)) gets the panel's own rule text, an image the egg does not allow
    lists the allowed ones. Check mode predicts the same way and sends nothing.
  - The server reads its startup when it starts - restart (or reinstall) it for a change to take
    effect; the P(gameops.pterodactyl.update#role) role does all of it, with a backup and a rollback.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
options:
  variables:
    description:
      - The variables to set, by their environment name (C(env_variable)), for example the key
        C(MINECRAFT_VERSION) with the value V(1.21.1). Variables not given are left as they are.
    type: dict
    default: {}
  docker_image:
    description:
      - The Docker image, one of those the egg allows (see RV(docker_images)).
      - An image set by a panel administrator outside the egg's list cannot be changed by a client
        key; the task says so.
    type: str
notes:
  - The key's user needs C(startup.read), C(startup.update) to change variables and
    C(startup.docker-image) to change the image.
"""

EXAMPLES = r"""
- name: Run Minecraft 1.21.1 on Java 21
  gameops.pterodactyl.server_startup:
    server: lobby
    variables:
      MINECRAFT_VERSION: "1.21.1"
    docker_image: ghcr.io/pterodactyl/yolks:java_21
  register: startup
  notify: Reinstall the lobby

- name: Show the command the server will run
  ansible.builtin.debug:
    var: startup.startup_command
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
variables:
  description: Every variable the key may see, by environment name, with its value after the task.
  returned: always
  type: dict
  sample: {MINECRAFT_VERSION: "1.21.1", SERVER_JARFILE: server.jar}
previous_variables:
  description: The same before the task (to put them back).
  returned: always
  type: dict
changed_variables:
  description: The environment names of the variables the task changed (or would change).
  returned: always
  type: list
  elements: str
docker_image:
  description:
    - The server's Docker image after the task.
    - V(null) when O(docker_image) is not given (the image is then not read, to keep an unchanged task at one request).
  returned: always
  type: str
previous_docker_image:
  description: The image before the task (V(null) when O(docker_image) is not given).
  returned: always
  type: str
docker_images:
  description: The images the egg allows, by display name.
  returned: always
  type: dict
  sample: {"Java 21": "ghcr.io/pterodactyl/yolks:java_21"}
startup_command:
  description: The startup command with the variables filled in (hidden ones as C([hidden])), after the task.
  returned: always
  type: str
"""

import re

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._rules import check_value


def as_text(value) -> str:
    """A variable's value as the panel stores it: a string, ``null`` as empty, booleans as 1/0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def current_values(variables: list[dict]) -> dict[str, str]:
    """env -> the value the server uses (its own, else the egg's default), as text."""
    values = {}
    for variable in variables:
        value = variable.get("server_value")
        values[variable["env_variable"]] = as_text(value if value is not None else variable.get("default_value"))
    return values


def plan_variables(variables: list[dict], wanted: dict) -> dict[str, str]:
    """The variables to send (env -> new value), in the order given; InvalidOption before anything is sent."""
    by_name = {v["env_variable"]: v for v in variables}
    editable = sorted(name for name, v in by_name.items() if v.get("is_editable"))
    current = current_values(variables)
    changes = {}
    for name, value in wanted.items():
        if name not in by_name:
            raise invalid_option(
                f"variables.{name} is not a startup variable of this server",
                hint=f"the editable ones are: {', '.join(editable) or 'none'}",
            )
        text = as_text(value).strip()  # the panel trims what it receives (TrimStrings) and stores that
        if current[name] == text:
            continue
        if not by_name[name].get("is_editable"):
            raise invalid_option(f"variables.{name} is read-only: the egg does not let users change it")
        problem = check_value(text, by_name[name].get("rules") or "")
        if problem:
            raise invalid_option(
                f"variables.{name}: {problem}", hint=f"the egg's rules for it: {by_name[name].get('rules')}"
            )
        changes[name] = text
    return changes


def plan_image(current: str | None, wanted: str | None, allowed: dict) -> str | None:
    """The image to send, None when nothing changes; InvalidOption when the panel would refuse it."""
    if wanted is None or wanted == current:
        return None
    if wanted not in allowed.values():
        listed = ", ".join(f"{image} ({name})" for name, image in allowed.items()) or "none"
        raise invalid_option(f"docker_image {wanted!r} is not one of the egg's images: {listed}")
    if current is not None and current not in allowed.values():
        raise PterodactylError(
            f"the server's image {current!r} was set by a panel administrator; a client key cannot change it",
            code="InvalidOption",
            hint="ask a panel administrator, or leave docker_image out",
        )
    return wanted


def predict_command(raw: str, values: dict[str, str], server: dict) -> str:
    """The startup command as the panel will render it: the template with the server's memory,
    address and port and each variable filled in; a variable the key may not see as ``[hidden]``."""
    allocations = ((server.get("relationships") or {}).get("allocations") or {}).get("data") or []
    default = next((a["attributes"] for a in allocations if a.get("attributes", {}).get("is_default")), {})
    filled = {
        "SERVER_MEMORY": str((server.get("limits") or {}).get("memory", 0)),
        "SERVER_IP": str(default.get("ip", "")),
        "SERVER_PORT": str(default.get("port", "")),
        **values,
    }
    for name, value in filled.items():
        raw = raw.replace("{{" + name + "}}", value)
    return re.sub(r"\{\{[A-Za-z0-9_.]+\}\}", "[hidden]", raw)


def apply_startup(base: PterodactylModule) -> dict:
    client, server = base.client, base.server_id()
    startup = client.get_startup(server)
    variables, meta = startup["variables"], startup["meta"]
    previous = current_values(variables)
    allowed = dict(meta.get("docker_images") or {})
    image = client.get_server(server)[0].get("docker_image") if base.params["docker_image"] is not None else None
    changes = plan_variables(variables, base.params["variables"])
    new_image = plan_image(image, base.params["docker_image"], allowed)
    result = {
        "changed": bool(changes) or new_image is not None,
        "previous_variables": previous,
        "variables": {**previous, **changes},
        "changed_variables": list(changes),
        "previous_docker_image": image,
        "docker_image": new_image or image,
        "docker_images": allowed,
        "startup_command": meta.get("startup_command"),
    }
    if base.diff_mode:
        before = {**{name: previous[name] for name in changes}, **({"docker_image": image} if new_image else {})}
        after = {**changes, **({"docker_image": new_image} if new_image else {})}
        result["diff"] = {"before": before, "after": after}
    if base.check_mode:
        if changes and meta.get("raw_startup_command"):
            attributes = client.get_server(server)[0]
            result["startup_command"] = predict_command(meta["raw_startup_command"], result["variables"], attributes)
        return result
    try:
        for name, value in changes.items():
            answer = client.set_startup_variable(server, name, value)
            result["startup_command"] = answer.get("meta", {}).get("startup_command", result["startup_command"])
        if new_image is not None:
            client.set_docker_image(server, new_image)
    except PterodactylError as exc:
        raise exc.with_result(result) from None
    return result


def main() -> None:
    base = PterodactylModule({"variables": {"type": "dict", "default": {}}, "docker_image": {"type": "str"}})
    base.run(lambda: apply_startup(base))


if __name__ == "__main__":
    main()
