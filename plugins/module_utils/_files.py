# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's files, without the network: paths, modes, the panel's file objects, digests and diffs.

Paths are relative to the server's root; a leading ``/`` is the root itself. A path that would
leave the root, or a host or container path given by mistake (``/home/container/...``, the
directory Wings mounts the root on), is refused here, before anything is sent. Private to the
collection.
"""

from __future__ import annotations

import difflib
import hashlib
import posixpath
import re
from typing import Any, NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import invalid_option

# The panel's contents route refuses files larger than this (PTERODACTYL_FILES_MAX_EDIT_SIZE's default):
# larger ones, and binary ones, go through Wings' signed download and upload URLs.
EDIT_SIZE_LIMIT = 4 * 1024 * 1024
DIFF_SIZE_LIMIT = 256 * 1024  # a side of a diff larger than this is summarized, not shown
CHUNK = 1024 * 1024
# Where a server's root lives outside the panel's view: in the game container, and on the node.
FOREIGN_ROOTS = ("/home/container", "/var/lib/pterodactyl/volumes", "/var/lib/pelican/volumes")
_MODE_RE = re.compile(r"^0?[0-7]{3,4}$")


class ServerPath(NamedTuple):
    path: str  # normalized, with a leading slash: /plugins/Essentials/config.yml
    directory: str  # its parent: /plugins/Essentials
    name: str  # its last part: config.yml ("" for the root)


def server_path(value: Any, option: str = "path") -> ServerPath:
    """The normalized path of ``value`` in a server's root; InvalidOption when it leaves the root."""
    if not isinstance(value, str) or not value.strip():
        raise invalid_option(f"{option} is empty: give a path in the server's files, e.g. server.properties")
    raw = value.strip().replace("\\", "/")
    for root in FOREIGN_ROOTS:
        if raw == root or raw.startswith(root + "/"):
            inside = raw[len(root) :].split("/", 2)[-1] if "volumes" in root else raw[len(root) :].lstrip("/")
            raise invalid_option(
                f"{option} {value!r} is a path on the node or in the game container, not in the server's files",
                hint=f"paths are relative to the server's root (/ is that root): use '/{inside}'",
            )
    parts: list[str] = []
    for part in raw.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise invalid_option(f"{option} {value!r} leaves the server's root ('..' above /)")
            parts.pop()
            continue
        parts.append(part)
    path = "/" + "/".join(parts)
    return ServerPath(path, posixpath.dirname(path), parts[-1] if parts else "")


def octal_mode(value: Any, option: str = "mode") -> str | None:
    """The permission bits Wings takes (``"640"``) from ``"0640"``/``"640"``; None when not given."""
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, int) and not isinstance(value, bool):
        raise invalid_option(f"{option} must be an octal string such as '0640' (quoted in YAML), not {value}")
    if not _MODE_RE.match(text) or int(text, 8) > 0o7777:
        raise invalid_option(f"{option} must be an octal string such as '0640', not {value!r}")
    return format(int(text, 8), "o").rjust(3, "0")


class FileInfo(NamedTuple):
    """One entry of the panel's directory listing (its file_object), as the modules return it."""

    name: str
    size: int
    mode: str  # octal, 4 digits: "0644"
    mode_string: str  # -rw-r--r--
    is_file: bool
    is_directory: bool
    is_symlink: bool
    mimetype: str
    modified: str | None
    created: str | None


def file_info(attributes: dict) -> FileInfo:
    """A file_object's attributes as a FileInfo (the panel calls a symlink a file)."""
    bits = str(attributes.get("mode_bits") or "0")
    is_file = bool(attributes.get("is_file", True))
    mimetype = str(attributes.get("mimetype") or "")
    return FileInfo(
        name=str(attributes.get("name") or ""),
        size=int(attributes.get("size") or 0),
        mode=format(int(bits, 8) if bits.isdigit() else 0, "o").rjust(4, "0"),
        mode_string=str(attributes.get("mode") or ""),
        is_file=is_file,
        is_directory=not is_file or mimetype == "inode/directory",
        is_symlink=bool(attributes.get("is_symlink")),
        mimetype=mimetype,
        modified=attributes.get("modified_at"),
        created=attributes.get("created_at"),
    )


def directory_info(name: str) -> FileInfo:
    """A directory the task knows exists without listing it (the root, or one it just created)."""
    return FileInfo(name, 0, "0755", "drwxr-xr-x", False, True, False, "inode/directory", None, None)


def find_entry(entries: list[dict], name: str) -> FileInfo | None:
    """The entry called ``name`` in a directory listing, or None."""
    for attributes in entries:
        if attributes.get("name") == name:
            return file_info(attributes)
    return None


def info_dict(info: FileInfo) -> dict:
    """A FileInfo as a result dict (the documented keys)."""
    return {
        "name": info.name,
        "size": info.size,
        "mode": info.mode,
        "is_file": info.is_file and not info.is_directory,
        "is_directory": info.is_directory,
        "is_symlink": info.is_symlink,
        "mimetype": info.mimetype,
        "modified": info.modified,
    }


# -- content --


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: str) -> tuple[str, int]:
    """(sha256, size) of a local file, read in chunks (memory does not grow with the file)."""
    with HashingReader(path) as reader:
        while reader.read(CHUNK):
            pass
    return reader.sha256, reader.size


class HashingReader:
    """A local file opened for reading, hashed as it is read: ``sha256`` and ``size`` of the bytes read so far.
    An upload reads its ``src`` through it, so the file is read once, not hashed first and read again. No
    ``seek``: a reader that went back would make the digest wrong."""

    def __init__(self, path: str) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close() or the with block
        self._digest = hashlib.sha256()
        self.size = 0

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def fileno(self) -> int:
        """The file's descriptor (the multipart encoder takes the body's length from it)."""
        return self._file.fileno()

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> HashingReader:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def is_text(data: bytes) -> bool:
    """Whether ``data`` reads as text: UTF-8 and no NUL byte."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def diff_side(data: bytes | None, label: str, size: int | None = None, digest: str | None = None) -> str:
    """One side of a diff: the text, or one line that says what it is (absent, binary, too large)."""
    if data is None and size is None:
        return ""
    if data is not None and len(data) <= DIFF_SIZE_LIMIT and is_text(data):
        return data.decode("utf-8")
    size = len(data) if data is not None else size
    digest = sha256_of(data) if data is not None else digest
    kind = "binary" if data is not None and not is_text(data) else "large or binary"
    return f"({kind} file {label}, {size} bytes, sha256 {digest})\n"


def unified(before: str, after: str, path: str) -> str:
    """A unified diff of two texts, for messages and results (Ansible renders ``diff`` itself)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"{path} (before)", f"{path} (after)"
    )
    return "".join(lines)
