"""A server's data folder as Wings' filesystem sees it (W ``server/filesystem``, ``internal/ufs``).

Every operation works on the real folder (the ServerRuntime's ``data_dir``) with Wings' path rules
(reference panel-client-api-config.md §2.5): a path is joined to the root and cleaned, a result outside the
root is refused, the final component is opened without following a symlink (even one pointing inside the
root), intermediate symlinks are followed only while they stay beneath the root (openat2 RESOLVE_BENEATH:
absolute link targets are refused too), the root itself cannot be renamed or deleted. Failures raise
:class:`FsError`; :func:`wings_error` turns one into the status and text the node answers with.
"""

from __future__ import annotations

import collections
import errno
import json
import os
import posixpath
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pathspec

from .golike import go_ext, go_mode_string, go_stable_sort, go_time

GENERIC = "An unexpected error was encountered while processing this request"
NOT_FOUND = "The requested resources was not found on the system."
DENYLISTED = "This file cannot be modified: present in egg denylist."
IS_DIRECTORY = "Cannot perform that action: file is a directory."
NO_DISK = "There is not enough disk space available to perform that action."
NAME_TOO_LONG = "Cannot perform that action: file name is too long."
UNKNOWN_ARCHIVE = "The archive provided is in a format Wings does not understand."
SNIFF_BYTES = 3072  # gabriel-vasile/mimetype's default read limit
MAX_LINKS = 40

_ERRNO_KINDS = {
    errno.ENOENT: "notexist",
    errno.ELOOP: "badpath",
    errno.EXDEV: "badpath",
    errno.EISDIR: "isdir",
    errno.ENOTDIR: "notdir",
    errno.EEXIST: "exist",
    errno.ENAMETOOLONG: "toolong",
}


class FsError(Exception):
    """``kind``: notexist, badpath, isdir, notdir, exist, denylist, nodisk, toolong, archive, other."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def from_os_error(exc: OSError) -> FsError:
    return FsError(_ERRNO_KINDS.get(exc.errno, "other"), str(exc))


def wings_error(err: FsError, pelican: bool = False) -> tuple[int, str]:
    """Wings' ``CaptureAndAbort`` answer for a failure (W ``router/middleware/request_error.go``).

    Only Wings' own filesystem errors are mapped on W: a missing path, a ``../`` escape or a final symlink
    come from ufs as plain path errors and give the generic 500. PW also maps ``file does not exist`` to 404.
    """
    if err.kind == "denylist":
        return 403, DENYLISTED
    if err.kind == "nodisk":
        return 400, NO_DISK
    if err.kind == "toolong":
        return 400, NAME_TOO_LONG
    if err.kind == "archive":
        return 400, UNKNOWN_ARCHIVE
    if err.kind == "notexist" and pelican:
        return 404, NOT_FOUND
    return 500, GENERIC


def sniff_mime(head: bytes) -> str:
    """A small subset of gabriel-vasile/mimetype (what Wings puts in ``mime``) for common game files."""
    signatures = (
        (b"\x1f\x8b", "application/gzip"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"BZh", "application/x-bzip2"),
        (b"\xfd7zXZ\x00", "application/x-xz"),
        (b"\x7fELF", "application/x-elf"),
    )
    for magic, mime in signatures:
        if head.startswith(magic):
            return mime
    if head[257:262] == b"ustar":
        return "application/x-tar"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text/plain; charset=utf-16" + ("le" if head[0] == 0xFF else "be")
    if any(b <= 0x08 or b == 0x0B or 0x0E <= b <= 0x1A or 0x1C <= b <= 0x1F for b in head):
        return "application/octet-stream"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"[") and len(head) < SNIFF_BYTES:
        try:
            json.loads(head)
            return "application/json"
        except ValueError:
            pass
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut by the read limit
            return "text/plain; charset=iso-8859-1"
    return "text/plain; charset=utf-8"


# --------------------------------------------------------------------------- the filesystem


class ServerFS:
    """One server's data folder. ``pelican`` selects PW's behaviour where it differs (symlink flag, sort)."""

    def __init__(self, root: Path | str, *, denylist: list[str] | None = None, disk_limit: int = 0, pelican=False):
        self.base = str(root).rstrip("/") or "/"
        Path(self.base).mkdir(parents=True, exist_ok=True)  # Wings creates the root on demand
        self.real_root = os.path.realpath(self.base)
        self.spec = pathspec.GitIgnoreSpec.from_lines(denylist) if denylist else None
        self.disk_limit = int(disk_limit or 0)  # bytes, 0 = unlimited
        self.pelican = pelican

    # ----------------------------------------------------------------- paths
    def clean(self, path: str) -> str:
        """ufs ``unsafePath``: the cleaned path relative to the root (``.`` for the root) or ``badpath``."""
        if path.startswith(self.base):
            path = path[len(self.base) :]
        joined = posixpath.normpath(self.base + "/" + path)
        if joined != self.base and not joined.startswith(self.base.rstrip("/") + "/"):
            raise FsError("badpath", f"{path} resolves outside the server root")
        rel = joined[len(self.base) :].lstrip("/")
        return rel or "."

    def _beneath(self, rel_dir: str) -> str:
        """Open ``rel_dir`` like openat2(RESOLVE_BENEATH, O_NOFOLLOW): -> its real path."""
        stack: list[str] = []
        queue = collections.deque((part, i == len(rel_dir.split("/")) - 1) for i, part in enumerate(rel_dir.split("/")))
        links = 0
        while queue:
            part, final = queue.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if not stack:
                    raise FsError("badpath", f"{rel_dir} leaves the server root")
                stack.pop()
                continue
            current = os.path.join(self.real_root, *stack, part)
            try:
                st = os.lstat(current)
            except OSError as exc:
                raise from_os_error(exc) from None
            if stat.S_ISLNK(st.st_mode):
                links += 1
                target = os.readlink(current)
                if final or links > MAX_LINKS or target.startswith("/"):
                    raise FsError("badpath", f"{rel_dir}: symlink {part}")
                queue.extendleft(reversed([(p, False) for p in target.split("/")]))
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise FsError("notdir", current)
            stack.append(part)
        return os.path.join(self.real_root, *stack)

    def locate(self, path: str) -> tuple[str, str]:
        """ufs ``safePath``: -> (real path of the parent folder, final name); ``.`` names the root."""
        rel = self.clean(path)
        if rel == ".":
            return self.real_root, "."
        parent, name = posixpath.split(rel)
        return (self._beneath(parent) if parent else self.real_root), name

    def locate_making_parents(self, path: str) -> tuple[str, str]:
        """:meth:`locate`, creating the missing parent folders first (ufs ``Touch``, ``Rename``)."""
        try:
            return self.locate(path)
        except FsError as exc:
            if exc.kind != "notexist":
                raise
        self.mkdir_all(posixpath.dirname(self.clean(path)))
        return self.locate(path)

    def full(self, path: str) -> str:
        folder, name = self.locate(path)
        return folder if name == "." else os.path.join(folder, name)

    def is_ignored(self, *paths: str) -> None:
        """Egg ``file_denylist`` on the request path as given (W ``IsIgnored``), not the resolved one."""
        for p in paths:
            if self.spec is not None and self.spec.match_file(p.lstrip("/") or "."):
                raise FsError("denylist", p)

    def open_nofollow(self, path: str) -> tuple[str, os.stat_result]:
        """ufs ``Open``: -> (real path, lstat); the final component must not be a symlink (O_NOFOLLOW)."""
        target = self.full(path)
        try:
            st = os.lstat(target)
        except OSError as exc:
            raise from_os_error(exc) from None
        if stat.S_ISLNK(st.st_mode):
            raise FsError("badpath", f"{path} is a symlink")
        return target, st

    # ----------------------------------------------------------------- disk space
    def usage(self) -> int:
        total = 0
        for folder, _dirs, files in os.walk(self.real_root):
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    pass
        return total

    def can_fit(self, size: int) -> bool:
        return self.disk_limit <= 0 or self.usage() + size <= self.disk_limit

    def has_space_for(self, size: int) -> None:
        if not self.can_fit(size):
            raise FsError("nodisk")

    # ----------------------------------------------------------------- listing
    def stat_json(self, target: str, st: os.stat_result, mime: str | None = None) -> dict:
        """Wings' ``Stat`` JSON (W ``server/filesystem/stat.go``)."""
        if mime is None:
            mime = "inode/directory" if stat.S_ISDIR(st.st_mode) else "application/octet-stream"
            if stat.S_ISREG(st.st_mode):
                try:
                    with open(target, "rb") as fh:
                        mime = sniff_mime(fh.read(SNIFF_BYTES))
                except OSError:
                    pass
        return {
            "name": os.path.basename(target) or ".",
            "created": go_time(st.st_ctime),
            "modified": go_time(st.st_mtime),
            "mode": go_mode_string(st.st_mode),
            "mode_bits": format(st.st_mode & 0o777, "o"),
            "size": st.st_size,
            "directory": stat.S_ISDIR(st.st_mode),
            "file": not stat.S_ISDIR(st.st_mode),
            # W tests the symlink bit against the permission bits only, so it is always false there
            "symlink": self.pelican and stat.S_ISLNK(st.st_mode),
            "mime": mime,
        }

    def list_directory(self, path: str) -> list[dict]:
        folder, st = self.open_nofollow(path)
        if not stat.S_ISDIR(st.st_mode):
            raise FsError("notdir", path)
        out = []
        for entry in os.scandir(folder):
            try:
                out.append(self.stat_json(entry.path, entry.stat(follow_symlinks=False)))
            except OSError:
                continue
        out.sort(key=lambda s: s["name"])
        if self.pelican:  # PW: a consistent "folders first"
            out.sort(key=lambda s: not s["directory"])
        else:
            go_stable_sort(out, lambda a, b: 0 if a["directory"] and b["directory"] else 1 if a["directory"] else -1)
        return out

    # ----------------------------------------------------------------- changes
    def mkdir_all(self, path: str) -> None:
        """ufs ``MkdirAll`` (0755 folders; an existing folder is fine, a file in the way is ENOTDIR)."""
        rel = self.clean(path)
        if rel == ".":
            return
        parent, name = posixpath.split(rel)
        if parent:
            self.mkdir_all(parent)
        folder = self._beneath(parent) if parent else self.real_root
        target = os.path.join(folder, name)
        try:
            st = os.stat(target) if os.path.islink(target) else os.lstat(target)
        except FileNotFoundError:
            try:
                os.mkdir(target, 0o755)
            except OSError as exc:
                raise from_os_error(exc) from None
            return
        except OSError as exc:
            raise from_os_error(exc) from None
        if not stat.S_ISDIR(st.st_mode):
            raise FsError("notdir", target)

    def write(self, path: str, chunks, size: int, mode: int = 0o644) -> None:
        """W ``Filesystem.Write``: folder target refused, quota, parents created, new files ``mode``."""
        current = 0
        try:
            st = os.stat(self.full(path))  # ufs Stat follows a final symlink
            if stat.S_ISDIR(st.st_mode):
                raise FsError("isdir", path)
            current = st.st_size
        except FsError as exc:
            if exc.kind != "notexist":
                raise
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise from_os_error(exc) from None
        self.has_space_for(size - current)
        folder, name = self.locate_making_parents(path)
        if name == ".":
            raise FsError("isdir", path)
        target = os.path.join(folder, name)
        created = not os.path.lexists(target)
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        except OSError as exc:
            raise from_os_error(exc) from None
        with os.fdopen(fd, "wb") as fh:
            if created:
                os.fchmod(fh.fileno(), mode)
            written = 0
            for chunk in chunks:
                chunk = chunk[: size - written]
                fh.write(chunk)
                written += len(chunk)
                if written >= size:
                    break

    def rename(self, old: str, new: str) -> None:
        """ufs ``Rename``: a missing source is ``notexist`` (the route skips it), an existing target ``exist``."""
        if old == new:
            return
        folder, name = self.locate(old)
        if name == ".":
            raise FsError("badpath", "cannot rename the root")
        source = os.path.join(folder, name)
        if not os.path.lexists(source):
            raise FsError("notexist", old)
        new_folder, new_name = self.locate_making_parents(new)
        if new_name == ".":
            raise FsError("badpath", "cannot rename onto the root")
        target = os.path.join(new_folder, new_name)
        if os.path.lexists(target):
            raise FsError("exist", new)
        try:
            os.rename(source, target)
        except OSError as exc:
            raise from_os_error(exc) from None

    def copy(self, path: str) -> None:
        """W ``Filesystem.Copy``: regular files only, ``<name> copy<ext>``, ``<name> copy 1<ext>``, ..."""
        folder, name = self.locate(path)
        source, st = self.open_nofollow(path) if name != "." else (folder, os.lstat(folder))
        if not stat.S_ISREG(st.st_mode):
            raise FsError("notexist", f"{path} is not a regular file")
        self.has_space_for(st.st_size)
        base = os.path.basename(source)
        ext = go_ext(base)
        stem = base[: len(base) - len(ext)]
        if stem.endswith(".tar"):
            ext, stem = ".tar" + ext, stem[:-4]
        suffix = " copy"
        for i in range(51):
            if i > 0:
                suffix = " copy " + str(i)
            if i == 50:
                suffix = "copy." + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            if not os.path.lexists(os.path.join(folder, stem + suffix + ext)):
                break
        target = os.path.join(folder, stem + suffix + ext)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, stat.S_IMODE(st.st_mode))
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)

    def delete(self, path: str) -> None:
        """ufs ``RemoveAll`` (a missing path is fine, symlinks are removed, not followed, the root is refused);
        PW keeps denylisted files and the folders that still hold one, and answers a missing path 404."""
        rel = self.clean(path)
        if rel == ".":
            raise FsError("badpath", "cannot delete the root")
        try:
            target = self.full(path)
            st = os.lstat(target)
        except FsError as exc:
            if exc.kind == "notexist" and not self.pelican:
                return
            raise
        except FileNotFoundError:
            if self.pelican:
                raise FsError("notexist", path) from None
            return
        if self.pelican:
            self._delete_keeping_denylisted(path, target, st)
        elif stat.S_ISDIR(st.st_mode):
            shutil.rmtree(target)
        else:
            os.unlink(target)

    def _delete_keeping_denylisted(self, path: str, target: str, st: os.stat_result) -> bool:
        """PW ``SafeDeleteRecursively``; -> whether ``target`` is gone."""
        try:
            self.is_ignored(path)
        except FsError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(target)
            return True
        remaining = False
        for entry in os.scandir(target):
            child = posixpath.join(path, entry.name)
            if not self._delete_keeping_denylisted(child, entry.path, entry.stat(follow_symlinks=False)):
                remaining = True
        if not remaining:
            os.rmdir(target)
        return not remaining

    def chmod(self, path: str, mode: int) -> None:
        """ufs ``Chmod`` (fchmodat follows a final symlink; the sandbox only follows one that stays inside)."""
        target = self.full(path)
        real = os.path.realpath(target)
        if real != self.real_root and not real.startswith(self.real_root + os.sep):
            raise FsError("badpath", f"{path} resolves outside the server root")
        try:
            os.chmod(real, mode & 0o7777)
        except OSError as exc:
            raise from_os_error(exc) from None


def for_server(server: Any, *, pelican: bool = False) -> ServerFS:
    """The data folder of ``server`` (its runtime's ``data_dir``, created on demand, virtual servers too) with
    its egg's ``file_denylist`` and its disk limit (``limits.disk`` MiB, 0 = unlimited)."""
    runtime = getattr(server, "runtime", None)
    root = getattr(runtime, "data_dir", None)
    if root is None:
        raise FsError("other", f"server {server.uuid} has no data folder")
    try:
        disk = int((server.limits or {}).get("disk") or 0)
    except (TypeError, ValueError):
        disk = 0
    denylist = list(getattr(server.egg, "file_denylist", None) or [])
    return ServerFS(root, denylist=denylist, disk_limit=max(0, disk) * 1024 * 1024, pelican=pelican)
