#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_file_info
short_description: Read a file or a directory of a game server
version_added: 0.1.0
description:
  - Tells whether a path exists in a server's files and what it is - size, mode, modification
    time, MIME type - and, for a directory, its entries; for a file, optionally its content and
    SHA-256.
  - Never changes anything.
  - Paths are relative to the server's root (C(/) is that root); a path that would leave it fails
    before anything is sent.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.info_module
options:
  path:
    description: The file or directory, relative to the server's root.
    type: str
    default: /
  content:
    description:
      - For a file, read it and return its RV(sha256) and, when it is text, its RV(content).
      - Files up to 4 MiB are read through the panel, larger ones through the node's signed
        download URL (streamed for the digest; RV(content) is only returned up to 4 MiB).
      - The key's user needs C(file.read-content).
    type: bool
    default: false
notes:
  - The key's user needs C(file.read) to list a directory.
"""

EXAMPLES = r"""
- name: What is in the plugins folder
  gameops.pterodactyl.server_file_info:
    server: lobby
    path: plugins
  register: plugins

- name: List the jars
  ansible.builtin.debug:
    msg: "{{ plugins.files | selectattr('name', 'search', '\\.jar$') | map(attribute='name') | list }}"

- name: Read the server's properties
  gameops.pterodactyl.server_file_info:
    server: lobby
    path: server.properties
    content: true
  register: props

- name: Fail when the EULA was not accepted
  gameops.pterodactyl.server_file_info:
    server: lobby
    path: eula.txt
    content: true
  register: eula
  failed_when: not eula.exists or 'eula=true' not in eula.content
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
  description: The path, normalized (with a leading C(/)).
  returned: always
  type: str
  sample: /server.properties
exists:
  description: Whether the path exists.
  returned: always
  type: bool
is_file:
  description: Whether it is a file.
  returned: when it exists
  type: bool
is_directory:
  description: Whether it is a directory.
  returned: when it exists
  type: bool
size:
  description: Size in bytes (of a file).
  returned: when it exists
  type: int
  sample: 1174
mode:
  description: Permission bits, as an octal string.
  returned: when it exists
  type: str
  sample: "0644"
modified:
  description: When it was last modified (ISO 8601).
  returned: when it exists and is not the root
  type: str
  sample: "2026-12-02T14:05:09+00:00"
mimetype:
  description: The MIME type the node sniffed (V(inode/directory) for a directory).
  returned: when it exists
  type: str
  sample: text/plain; charset=utf-8
sha256:
  description: The SHA-256 of the file's content.
  returned: when O(content=true) and the path is a file
  type: str
content:
  description: The file's content, when it is text (UTF-8) and at most 4 MiB.
  returned: when O(content=true) and the path is such a file
  type: str
binary:
  description:
    - Whether the file is not UTF-8 text (its content is then not returned); V(null) for a file
      over 4 MiB, which is only streamed for its digest.
  returned: when O(content=true) and the path is a file
  type: bool
files:
  description: The directory's entries, directories first, then by name.
  returned: when the path is a directory
  type: list
  elements: dict
  contains:
    name:
      description: The entry's name.
      type: str
    size:
      description: Size in bytes.
      type: int
    mode:
      description: Permission bits, as an octal string.
      type: str
    is_file:
      description: Whether it is a file.
      type: bool
    is_directory:
      description: Whether it is a directory.
      type: bool
    is_symlink:
      description: Whether it is a symbolic link (Pterodactyl's Wings 1.11 always says V(false)).
      type: bool
    mimetype:
      description: The MIME type.
      type: str
    modified:
      description: When it was last modified.
      type: str
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._files import (
    EDIT_SIZE_LIMIT,
    file_info,
    info_dict,
    is_text,
    server_path,
    sha256_of,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._remote_files import RemoteFiles


def sorted_entries(entries: list[dict]) -> list[dict]:
    """A directory's entries as result dicts: directories first, then by name (the panel's order is not stable)."""
    infos = [info_dict(file_info(attributes)) for attributes in entries]
    return sorted(infos, key=lambda item: (not item["is_directory"], item["name"]))


def content_part(files: RemoteFiles, path, info) -> dict:
    """``sha256``, ``binary`` and, for text up to 4 MiB, ``content`` of a file."""
    if info.size > EDIT_SIZE_LIMIT:
        digest, _size = files.digest(path)
        return {"sha256": digest, "binary": None}
    data = files.read(path, info)
    part = {"sha256": sha256_of(data), "binary": not is_text(data)}
    if not part["binary"]:
        part["content"] = data.decode("utf-8")
    return part


def read_path(base: PterodactylModule) -> dict:
    path = server_path(base.params["path"])
    files = RemoteFiles(base.client, base.server_id(), base.transfer)
    try:
        info = files.stat(path)
        result = {"changed": False, "path": path.path, "exists": info is not None}
        if info is None:
            return result
        result.update({key: value for key, value in info_dict(info).items() if key != "name"})
        if path.path == "/":
            result.pop("modified", None)
        if info.is_directory:
            result["files"] = sorted_entries(files.listing(path.path))
        elif base.params["content"]:
            result.update(content_part(files, path, info))
        return result
    finally:
        files.close()


def main() -> None:
    base = PterodactylModule(
        {"path": {"type": "str", "default": "/"}, "content": {"type": "bool", "default": False}},
    )
    base.run(lambda: read_path(base))


if __name__ == "__main__":
    main()
