"""Compress and decompress in a server's data folder as Wings does (W ``server/filesystem/compress.go``,
``archive.go``; PW's ``name``/``extension`` options).

W writes ``archive-<RFC 3339 time, colons removed>.tar.gz`` into ``root`` holding the regular files (and
symlinks, named by their base name, as W's ``addToArchive`` does) found under ``root`` whose path relative
to ``root`` is one of ``files`` or lies below one. PW writes zip / tar.gz / tar.bz2 / tar.xz, skips
denylisted paths and may be given a name (``<name><ext>``, then ``<name> copy<ext>``...).
Decompress extracts zip and (compressed) tar archives into ``root``: denylisted entries are skipped silently,
each file goes through the same checks as a write (quota, path escape), links in archives are skipped.
"""

from __future__ import annotations

import io
import os
import posixpath
import stat
import tarfile
import time
import zipfile
from collections.abc import Callable

from .files_fs import FsError, ServerFS, from_os_error
from .golike import go_join

# PW extension -> (file suffix, tarfile mode or "zip", mimetype)
PELICAN_FORMATS = {
    "zip": (".zip", "zip", "application/zip"),
    "tar.gz": (".tar.gz", "w:gz", "application/gzip"),
    "tgz": (".tar.gz", "w:gz", "application/gzip"),
    "tar.bz2": (".tar.bz2", "w:bz2", "application/x-bzip2"),
    "tbz2": (".tar.bz2", "w:bz2", "application/x-bzip2"),
    "tar.xz": (".tar.xz", "w:xz", "application/x-xz"),
    "txz": (".tar.xz", "w:xz", "application/x-xz"),
}
W_MIME = "application/tar+gzip"
COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def _archive_time() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()).replace(":", "")


def _selected(fs: ServerFS, root: str, files: list[str]) -> list[tuple[str, str]]:
    """W's walk of ``root``: -> (real path, name in the archive) for every regular file or symlink selected."""
    base = fs.full(root)
    if not os.path.isdir(base) or os.path.islink(base):
        raise FsError("notexist" if not os.path.lexists(base) else "notdir", root)
    chosen = []
    for folder, dirs, names in os.walk(base):
        dirs.sort()
        for name in sorted(names):
            real = os.path.join(folder, name)
            relative = os.path.relpath(real, base)
            wanted = any(f == relative or (relative.rstrip("/") + "/").startswith(f.rstrip("/") + "/") for f in files)
            mode = os.lstat(real).st_mode
            if wanted and (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                chosen.append((real, name if stat.S_ISLNK(mode) else relative))
    return chosen


def _find_name(folder: str, name: str, ext: str) -> str:
    """PW ``findCopySuffix``: ``<name><ext>``, ``<name> copy<ext>``, ``<name> copy 1<ext>``, ..."""
    for i in range(51):
        suffix = "" if i == 0 else " copy" if i == 1 else f" copy {i - 1}"
        if i == 50:
            suffix = " copy." + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if not os.path.lexists(os.path.join(folder, name + suffix + ext)):
            break
    return name + suffix + ext


def compress(fs: ServerFS, root: str, files: list[str], *, name: str = "", extension: str = "") -> tuple[dict, str]:
    """-> (Wings' Stat JSON of the archive, the archive's path relative to the data folder)."""
    if fs.disk_limit > 0 and fs.usage() > fs.disk_limit:
        raise FsError("compress-space")
    before = fs.usage()
    if fs.pelican:
        suffix, mode, mime = PELICAN_FORMATS.get(extension.lower().lstrip("."), PELICAN_FORMATS["tar.gz"])
        valid = []
        for f in files:
            try:
                fs.is_ignored(go_join(root, f))
                valid.append(f)
            except FsError:
                continue
        if not valid:
            raise FsError("other", "no valid files to compress")
        folder = fs.full(root)
        archive = _find_name(folder, name, suffix) if name else f"archive-{_archive_time()}{suffix}"
        entries = [(fs.full(go_join(root, f)), f) for f in valid]
    else:
        mode, mime = "w:gz", W_MIME
        entries = _selected(fs, root, files)
        archive = f"archive-{_archive_time()}.tar.gz"
    relative = posixpath.join(fs.clean(root), archive)
    target = fs.full(relative)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise from_os_error(exc) from None
    with os.fdopen(fd, "wb") as out:
        if mode == "zip":
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
                for real, arcname in entries:
                    _zip_add(zf, real, arcname)
        else:
            with tarfile.open(fileobj=out, mode=mode) as tf:
                for real, arcname in entries:
                    if os.path.lexists(real):
                        tf.add(real, arcname=arcname, recursive=fs.pelican)
    st = os.lstat(target)
    if fs.disk_limit > 0 and before + st.st_size > fs.disk_limit:
        os.unlink(target)
        raise FsError("nodisk")
    return fs.stat_json(target, st, mime), relative


def _zip_add(zf: zipfile.ZipFile, real: str, arcname: str) -> None:
    if os.path.isdir(real) and not os.path.islink(real):
        zf.write(real, arcname.rstrip("/") + "/")
        for entry in sorted(os.listdir(real)):
            _zip_add(zf, os.path.join(real, entry), posixpath.join(arcname, entry))
    elif os.path.lexists(real):
        zf.write(real, arcname)


def _open_archive(path: str) -> zipfile.ZipFile | tarfile.TarFile | None:
    """A zip or (compressed) tar archive; None for a single compressed file (Wings extracts nothing from
    those); FsError("archive") for anything else."""
    if zipfile.is_zipfile(path):
        return zipfile.ZipFile(path)
    try:
        return tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(COMPRESSED_MAGIC):
            return None
        raise FsError("archive", path) from None


def _members(archive: zipfile.ZipFile | tarfile.TarFile) -> list[tuple[str, int, int, float, Callable]]:
    """-> (name, size, mode, mtime, opener) of every file in the archive (folders and links left out)."""
    if isinstance(archive, zipfile.ZipFile):
        return [
            (
                info.filename,
                info.file_size,
                (info.external_attr >> 16) & 0o777 or 0o644,
                time.mktime((*info.date_time, 0, 0, -1)),
                lambda info=info: archive.open(info),
            )
            for info in archive.infolist()
            if not info.is_dir()
        ]
    return [
        (m.name, m.size, m.mode & 0o777, m.mtime, lambda m=m: archive.extractfile(m))
        for m in archive.getmembers()
        if m.isfile()
    ]


def decompress(fs: ServerFS, root: str, file: str) -> None:
    path, st = fs.open_nofollow(go_join(root, file))
    if stat.S_ISDIR(st.st_mode):
        raise FsError("isdir", file)
    archive = _open_archive(path)
    if archive is None:
        return
    with archive:
        members = _members(archive)
        if fs.disk_limit > 0 and not fs.can_fit(sum(m[1] for m in members)):
            raise FsError("nodisk")
        for name, size, mode, mtime, opener in members:
            target = go_join(root, name)
            try:
                fs.is_ignored(target)
            except FsError:
                continue
            with opener() or io.BytesIO() as reader:
                fs.write(target, iter(lambda r=reader: r.read(65536), b""), size, mode or 0o644)
            try:
                os.utime(fs.full(target), (mtime, mtime), follow_symlinks=False)
            except (OSError, FsError):
                pass
