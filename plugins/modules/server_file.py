#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_file
short_description: Make a file or directory of a game server what it should be
version_added: 0.1.0
description:
  - Manages one file or directory in a server's files (its data directory), through the panel's
    files API - the way to configure a game server as code - C(server.properties), C(eula.txt),
    plugin and mod configuration, the jars themselves.
  - Compares before it writes - a file is written only when its SHA-256 differs from the wanted
    content, its mode only changed when it differs. Check mode reads and predicts and sends
    nothing that changes a file.
  - Small text files go through the panel (one request to read, one to write). Larger or binary
    files go through the node's signed download and upload URLs, streamed, so memory does not
    grow with the file; an upload goes to a temporary name beside the file and replaces it only
    once it arrived whole, so a failure never leaves a half-written file.
  - Paths are relative to the server's root (C(/) is that root). A path that would leave the
    root, or a path of the node or the game container (C(/home/container/...)), fails before
    anything is sent.
  - To edit single keys of a C(key=value) file while keeping the rest, use
    M(gameops.pterodactyl.server_properties).
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
options:
  path:
    description:
      - The file or directory, relative to the server's root, for example V(server.properties) or
        V(/plugins/Essentials/config.yml).
    type: str
    required: true
  state:
    description:
      - V(file) - a file with O(content) or O(src) (without either, an existing file is left as it
        is and a missing one is created empty). Missing parent directories are created.
      - V(directory) - a directory (and its parents).
      - V(absent) - neither; a directory is removed with everything in it.
    type: str
    choices: [file, directory, absent]
    default: file
  content:
    description:
      - The file's content, as text (written as UTF-8).
      - Not shown in results or logs (it may hold secrets), except in C(--diff) output.
      - Mutually exclusive with O(src).
    type: str
  src:
    description:
      - A file on the controller to copy, of any size and any bytes.
      - A file that shrinks while it is sent fails the task (C(LocalFileChanged)); the server's file is
        left as it was.
      - Mutually exclusive with O(content).
    type: path
  mode:
    description:
      - The permission bits, as an octal string (quote it in YAML), for example V("0640").
      - Files the node creates get V("0644"), directories V("0755").
    type: str
  force:
    description:
      - V(false) only creates a missing file; an existing one is left as it is whatever it holds.
    type: bool
    default: true
  backup:
    description:
      - Before a file's content is replaced, keep the old file beside it as
        C(<path>.<timestamp>~) and return that path as RV(backup_file).
    type: bool
    default: false
notes:
  - The key's user needs C(file.read) to look at a file, C(file.read-content) to compare its
    content, C(file.create) to create or write one, C(file.update) to change a mode or replace
    a file through an upload, and C(file.delete) to remove one.
  - Files of the egg's file denylist cannot be written (the panel answers 403 and the task says so).
"""

EXAMPLES = r"""
- name: Accept the EULA
  gameops.pterodactyl.server_file:
    server: lobby
    path: eula.txt
    content: "eula=true\n"

- name: Install a plugin jar from the controller
  gameops.pterodactyl.server_file:
    server: lobby
    path: plugins/EssentialsX.jar
    src: files/EssentialsX-2.21.0.jar
  notify: Restart the lobby

- name: A plugin's configuration from a template, kept private
  gameops.pterodactyl.server_file:
    server: lobby
    path: plugins/Essentials/config.yml
    content: "{{ lookup('ansible.builtin.template', 'essentials.yml.j2') }}"
    mode: "0640"
    backup: true

- name: A folder for world backups
  gameops.pterodactyl.server_file:
    server: lobby
    path: backups/worlds
    state: directory

- name: Remove an old log
  gameops.pterodactyl.server_file:
    server: lobby
    path: logs/debug.log
    state: absent
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
state:
  description: What the path is now (in check mode, what it would be) - V(file), V(directory) or V(absent).
  returned: always
  type: str
  sample: file
size:
  description: The file's size in bytes.
  returned: when the path is a file
  type: int
  sample: 1174
sha256:
  description: The SHA-256 of the file's content (of what the task wrote, or found equal).
  returned: when the path is a file and its content was compared or written
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
mode:
  description: The permission bits, as an octal string.
  returned: when known (the path was listed, created by the task, or O(mode) was given)
  type: str
  sample: "0644"
backup_file:
  description: Where the old file was kept (O(backup=true) and its content was replaced).
  returned: when a backup was made
  type: str
  sample: /server.properties.2026-12-02@14:05:09~
actions:
  description: What the task did (or, in check mode, would do), in order.
  returned: always
  type: list
  elements: str
  sample: [write /server.properties (1174 bytes, through the panel), chmod /server.properties 0640]
recovery:
  description: Requests whose answer was lost and how the module found out what happened.
  returned: always
  type: list
  elements: str
"""

import datetime
import io
import os

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._files import (
    EDIT_SIZE_LIMIT,
    FileInfo,
    HashingReader,
    ServerPath,
    diff_side,
    directory_info,
    is_text,
    octal_mode,
    server_path,
    sha256_of,
    sha256_of_file,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._remote_files import RemoteFiles


class Wanted:
    """The file the task asks for: its bytes (in memory when small or given as content) or a local file.

    A large local file's SHA-256 is computed when something needs it before the upload (a comparison with
    the server's file of the same size, check mode, diff mode); otherwise the upload reads the file once and
    hashes it on the way, so ``sha256`` after the upload is that of the bytes sent.
    """

    def __init__(self, data: bytes | None, src: str | None, size: int, sha256: str | None, text: bool) -> None:
        self.data, self.src, self.size, self.text = data, src, size, text
        self._sha256 = sha256
        self._reader: HashingReader | None = None

    @property
    def small(self) -> bool:
        """A small text file: read and written through the panel; anything else goes through Wings."""
        return self.text and self.size <= EDIT_SIZE_LIMIT

    @property
    def sha256(self) -> str:
        if self._sha256 is None and self._reader is not None and self._reader.size == self.size:
            self._sha256 = self._reader.sha256  # the upload read the whole file (the node holds that many bytes)
        if self._sha256 is None:
            self._sha256, _size = sha256_of_file(self.src)
        return self._sha256

    def stream(self):
        """The bytes to upload, as a stream (the local file is opened, not read into memory)."""
        if self.data is not None:
            return io.BytesIO(self.data)
        if self._sha256 is not None:
            return open(self.src, "rb")
        self._reader = HashingReader(self.src)
        return self._reader


def wanted_file(params: dict) -> Wanted | None:
    """What the file must hold, or None when the task gives no content (only existence and mode)."""
    if params["content"] is not None:
        data = params["content"].encode("utf-8")
        return Wanted(data, None, len(data), sha256_of(data), True)
    if params["src"] is not None:
        if not os.path.isfile(params["src"]):
            raise invalid_option(f"src {params['src']!r} is not a file on the controller")
        if os.path.getsize(params["src"]) > EDIT_SIZE_LIMIT:
            return Wanted(None, params["src"], os.path.getsize(params["src"]), None, False)
        data = _read_local(params["src"])
        return Wanted(data, params["src"], len(data), sha256_of(data), is_text(data))
    return None


def backup_name(path: ServerPath, now: datetime.datetime) -> str:
    """``<path>.<YYYY-MM-DD@HH:MM:SS>~``, the name Ansible's own modules give a backup."""
    return f"{path.path}.{now.strftime('%Y-%m-%d@%H:%M:%S')}~"


class FileTask:
    """One run: read what is there, decide, send exactly what differs (nothing in check mode)."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.params = base.params
        self.path = server_path(self.params["path"])
        self.mode = octal_mode(self.params["mode"])
        self.result: dict = {"changed": False, "path": self.path.path, "actions": [], "recovery": []}
        self.files: RemoteFiles | None = None
        self.old: bytes | None = None  # the file's bytes, when the comparison read them

    def run(self) -> dict:
        if self.path.path == "/" and self.params["state"] != "directory":
            raise invalid_option("path '/' is the server's root: it can only be state=directory")
        wanted = wanted_file(self.params) if self.params["state"] == "file" else None
        self.files = RemoteFiles(self.base.client, self.base.server_id(), self.base.transfer)
        try:
            current = self.files.stat(self.path) if wanted is None or not wanted.small or self.mode else None
            handler = {"file": self._file, "directory": self._directory, "absent": self._absent}[self.params["state"]]
            handler(current, wanted)
        except PterodactylError as exc:
            raise exc.with_result({**self.result, **exc.result}) from None
        finally:
            self.files.close()
        return self.result

    def _do(self, text: str, action, *args) -> None:
        """Run an action unless in check mode, then record it. A refused action is neither in ``actions`` nor
        a change; one whose answer was lost is both, marked so."""
        if not self.base.check_mode:
            try:
                action(*args)
            except PterodactylError as exc:
                if exc.uncertain:
                    self.result["actions"].append(f"{text} (its answer was lost: it may or may not have been done)")
                    self.result["changed"] = True
                raise
        self.result["actions"].append(text)
        self.result["changed"] = True

    # -- state=absent / directory --

    def _absent(self, current: FileInfo | None, _wanted) -> None:
        if current is None:
            current = self.files.stat(self.path)
        self.result["state"] = "absent"
        if current is not None:
            kind = "directory" if current.is_directory else "file"
            self._diff(f"{kind} {self.path.path}\n", "")
            self._do(
                f"delete {self.path.path}",
                self.base.client.delete_files,
                self.files.server,
                self.path.directory,
                [self.path.name],
            )

    def _directory(self, current: FileInfo | None, _wanted) -> None:
        if current is None and self.path.path != "/":
            current = self.files.stat(self.path)
        if current is not None and not current.is_directory:
            raise PterodactylError(f"{self.path.path} exists and is a file, not a directory", code="InvalidOption")
        self.result["state"] = "directory"
        if current is None:
            self._diff("", f"directory {self.path.path}\n")
            self._do(f"create directory {self.path.path}", self._create_folder)
            current = directory_info(self.path.name)
        self._chmod(current, created=False)

    def _create_folder(self) -> None:
        self.base.client.create_folder(self.files.server, self.path.directory, self.path.name)
        self.files.changed(self.path.directory)

    # -- state=file --

    def _file(self, current: FileInfo | None, wanted: Wanted | None) -> None:
        if current is not None and current.is_directory:
            raise PterodactylError(f"{self.path.path} is a directory, not a file", code="InvalidOption")
        if wanted is not None and wanted.small and current is None and not self.mode:
            self.old = self.files.read_small(self.path)  # one request when the file is there and small
            exists = self.old is not None
        else:
            exists = current is not None
        self.result["state"] = "file"
        if wanted is None:
            self._ensure_exists(exists)
        elif not exists or (self.params["force"] and self._differs(current, wanted)):
            self._write(exists, wanted)
        else:
            self.result["size"] = current.size if current is not None else len(self.old)
            if self.old is not None:
                self.result["sha256"] = sha256_of(self.old)  # what the file holds (force=false may keep it)
            elif self.result.get("compared"):
                self.result["sha256"] = wanted.sha256  # streamed and found equal
        self.result.pop("compared", None)
        self._chmod(current, created=not exists)

    def _ensure_exists(self, exists: bool) -> None:
        if not exists:
            self._diff("", f"(empty file {self.path.path})\n")
            self._do(f"create {self.path.path} (empty)", self._write_bytes, b"")
            self.result.update(size=0, sha256=sha256_of(b""))

    def _differs(self, current: FileInfo | None, wanted: Wanted) -> bool:
        """Compare by sha256: the bytes read, else the size, else the file read (small text) or streamed."""
        if self.old is not None:
            return sha256_of(self.old) != wanted.sha256
        if current.size != wanted.size:
            return True
        self.result["compared"] = True
        if wanted.small:
            self.old = self.files.read(self.path, current)
            return sha256_of(self.old) != wanted.sha256
        digest, _size = self.files.digest(self.path)
        return digest != wanted.sha256

    def _write(self, exists: bool, wanted: Wanted) -> None:
        old = self.old
        if self.base.diff_mode:
            self.result["diff"] = {
                "before": diff_side(old, "before") if exists else "",
                "after": diff_side(wanted.data, "after", wanted.size, wanted.sha256),
                "before_header": self.path.path,
                "after_header": self.path.path,
            }
        if exists and self.params["backup"]:
            target = backup_name(self.path, datetime.datetime.now())
            self.result["backup_file"] = target
            self._do(f"keep the old file as {target}", self._backup, old, server_path(target))
        how = "through the panel" if wanted.small else "through the node's upload URL"
        self._do(f"write {self.path.path} ({wanted.size} bytes, {how})", self._send, wanted)
        self.result.update(size=wanted.size, sha256=wanted.sha256)

    def _send(self, wanted: Wanted) -> None:
        if wanted.small:
            self._write_bytes(wanted.data)
            return
        with wanted.stream() as stream:
            self.files.upload(self.path, stream, wanted.size)

    def _write_bytes(self, data: bytes) -> None:
        note = self.files.write_small(self.path, data)
        if note:
            self.result["recovery"].append(note)

    def _backup(self, old: bytes | None, target: ServerPath) -> None:
        if old is not None:
            note = self.files.write_small(target, old)
            if note:
                self.result["recovery"].append(note)
            return
        buffer = io.BytesIO()
        size = self.files.download(self.path, buffer.write)
        buffer.seek(0)
        self.files.upload(target, buffer, size)

    # -- mode and diff --

    def _chmod(self, current: FileInfo | None, created: bool) -> None:
        """Apply ``mode`` when it differs; report the mode when it is known."""
        current_mode = current.mode if current is not None else ("0644" if created else None)
        if self.mode is None:
            if current_mode is not None:
                self.result["mode"] = current_mode
            return
        wanted = self.mode.rjust(4, "0")
        self.result["mode"] = wanted
        if current_mode != wanted:
            self._do(
                f"chmod {self.path.path} {wanted}",
                self.base.client.chmod_files,
                self.files.server,
                self.path.directory,
                {self.path.name: self.mode},
            )

    def _diff(self, before: str, after: str) -> None:
        if self.base.diff_mode:
            self.result["diff"] = {"before": before, "after": after}


def _read_local(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def main() -> None:
    base = PterodactylModule(
        {
            "path": {"type": "str", "required": True},
            "state": {"type": "str", "default": "file", "choices": ["file", "directory", "absent"]},
            "content": {"type": "str", "no_log": True},
            "src": {"type": "path"},
            "mode": {"type": "str"},
            "force": {"type": "bool", "default": True},
            "backup": {"type": "bool", "default": False},
        },
        mutually_exclusive=[("content", "src")],
    )
    base.show_in_diff("content")
    base.run(lambda: FileTask(base).run())


if __name__ == "__main__":
    main()
