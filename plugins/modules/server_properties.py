#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_properties
short_description: Set keys of a game server's properties file (server.properties)
version_added: 0.1.0
description:
  - Edits a C(key=value) properties file of a server in place - Minecraft's C(server.properties)
    and the many game servers that use the same format.
  - Only the given keys are touched - comments, blank lines, the order and every other key stay
    as they are; a new key is appended. The file is written only when a value differs (one
    request to read, one to write).
  - Reads the file as C(java.util.Properties) does - a key and its value separated by C(=), C(:) or
    white space, C(#) and C(!) comments, escapes, continued lines - and writes changed keys as Java
    writes them. Values are compared as the strings the server will read - V(true), V(20), V(A world).
  - Values of keys that name a secret (C(rcon.password), or any key with C(password), C(secret)
    or C(token) in it) are masked in results and diffs.
  - The server reads its properties when it starts - restart it (M(gameops.pterodactyl.server_power))
    for a change to take effect.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
options:
  path:
    description: The properties file, relative to the server's root.
    type: str
    default: server.properties
  properties:
    description:
      - The keys to set. A V(null) value removes the key.
      - Booleans are written V(true)/V(false) (never C(True) or C(yes)); numbers as written.
    type: dict
    required: true
  create:
    description:
      - Create the file when it is missing. With V(false) a missing file fails the task.
    type: bool
    default: true
notes:
  - The key's user needs C(file.read-content) to read the file and C(file.create) to write it.
"""

EXAMPLES = r"""
- name: Configure the lobby
  gameops.pterodactyl.server_properties:
    server: lobby
    properties:
      motd: "Welcome to the lobby"
      max-players: 40
      pvp: false
      white-list: true
      enable-rcon: true
      rcon.password: "{{ vault_rcon_password }}"
  register: lobby_props
  notify: Restart the lobby

- name: Remove a key
  gameops.pterodactyl.server_properties:
    server: lobby
    properties:
      resource-pack: null
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
path:
  description: The file, normalized (with a leading C(/)).
  returned: always
  type: str
  sample: /server.properties
changed_keys:
  description: The keys whose value was changed, added or removed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [max-players, motd]
properties:
  description:
    - Every key of the file and its value after the task (in check mode, as it would be),
      secrets masked.
  returned: always
  type: dict
  sample: {motd: Welcome to the lobby, max-players: "40", rcon.password: "********"}
created:
  description: Whether the file was created.
  returned: always
  type: bool
recovery:
  description: Requests whose answer was lost and how the module found out what happened.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _properties
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._files import server_path
from ansible_collections.gameops.pterodactyl.plugins.module_utils._remote_files import RemoteFiles


def decode(data: bytes) -> str:
    """A properties file's text (UTF-8, as Minecraft reads it, else Latin-1 as Java's load does)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def plan(text: str | None, desired: dict, create: bool, path: str) -> tuple[_properties.Edit, bool]:
    """The edit to make and whether the file is created; a missing file without ``create`` fails."""
    if text is None and not create:
        raise PterodactylError(
            f"{path} does not exist",
            code="InvalidOption",
            hint="set create: true to create it, or check the path (it is relative to the server's root)",
        )
    return _properties.apply(text or "", desired), text is None


def diff_of(edit: _properties.Edit, path: str) -> dict:
    """Diff mode: only the changed lines, secrets masked."""
    before = "".join(f"{line}\n" for line in edit.before_lines)
    after = "".join(f"{line}\n" for line in edit.after_lines)
    return {"before": before, "after": after, "before_header": path, "after_header": path}


def edit_properties(base: PterodactylModule) -> dict:
    path = server_path(base.params["path"])
    files = RemoteFiles(base.client, base.server_id(), base.transfer)
    result: dict = {"changed": False, "path": path.path, "recovery": []}
    try:
        data = files.read_small(path)
        text = None if data is None else decode(data)
        edit, created = plan(text, base.params["properties"], base.params["create"], path.path)
        changed = bool(edit.changed) or created
        result.update(changed=changed, changed_keys=edit.changed, created=created)
        result["properties"] = _properties.shown_values(edit.text if changed else (text or ""))
        if changed and base.diff_mode:
            result["diff"] = diff_of(edit, path.path)
        if changed and not base.check_mode:
            note = files.write_small(path, edit.text.encode("utf-8"))
            if note:
                result["recovery"].append(note)
    except PterodactylError as exc:
        raise exc.with_result(result) from None
    finally:
        files.close()
    return result


def main() -> None:
    base = PterodactylModule(
        {
            "path": {"type": "str", "default": "server.properties"},
            "properties": {"type": "dict", "required": True},
            "create": {"type": "bool", "default": True},
        }
    )
    for key, value in base.params["properties"].items():
        if _properties.is_secret(key) and value not in (None, ""):
            base.module.no_log_values.add(str(value))  # masked everywhere, the invocation included
    base.run(lambda: edit_properties(base))


if __name__ == "__main__":
    main()
