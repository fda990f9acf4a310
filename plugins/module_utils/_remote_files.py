# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's files over the panel's files API: stat, read, digest, write, upload. Private to the collection.

Small text files go through the panel (``/files/contents``, ``/files/write``: one request each);
larger or binary ones through Wings' signed URLs, streamed. An upload never leaves a half-written
file: it goes to a hidden temporary name in the same directory, is checked, then replaces the
target. A write whose answer is lost is checked by reading the file back. The panel (Pterodactyl
with Wings 1.11) answers a missing file or directory with a generic 500, so a 500 is only taken
for "missing" after a listing of the parent shows the name is not there.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable
from typing import IO

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._files import (
    EDIT_SIZE_LIMIT,
    FileInfo,
    ServerPath,
    directory_info,
    find_entry,
    server_path,
    sha256_of,
)

MISSING_STATUSES = (404, 500)  # Wings 1.11 through Pterodactyl: 500; Pelican's Wings: 404
TOO_LARGE_STATUS = 400  # "The file you are attempting to open is too large to view in the file editor."


class RemoteFiles:
    """The files of one server, through a client (panel routes) and a transfer (Wings' signed URLs)."""

    def __init__(self, client, server: str, transfer: Callable[[], object]) -> None:
        self.client = client
        self.server = server
        self._transfer_factory = transfer
        self._transfer = None
        self._listings: dict[str, list[dict]] = {}

    @property
    def transfer(self):
        if self._transfer is None:
            self._transfer = self._transfer_factory()
        return self._transfer

    def close(self) -> None:
        if self._transfer is not None:
            self._transfer.close()

    # -- reading --

    def listing(self, directory: str, *, fresh: bool = False) -> list[dict]:
        """A directory's entries (file_object attributes), read once per task unless ``fresh``."""
        if fresh or directory not in self._listings:
            self._listings[directory] = self.client.list_files(self.server, directory)
        return self._listings[directory]

    def stat(self, path: ServerPath) -> FileInfo | None:
        """What ``path`` is, or None when it does not exist (a missing parent too)."""
        if path.path == "/":
            return directory_info("")
        try:
            entries = self.listing(path.directory)
        except PterodactylError as exc:
            if (
                exc.status in MISSING_STATUSES
                and path.directory != "/"
                and self.stat(server_path(path.directory)) is None
            ):
                return None
            raise
        return find_entry(entries, path.name)

    def read_small(self, path: ServerPath) -> bytes | None:
        """The bytes of a file expected to be small, through the panel (one request); None when it does not
        exist. One larger than the panel's editor allows (TOO_LARGE_STATUS) is read through Wings instead."""
        try:
            return self.client.file_contents(self.server, path.path)
        except PterodactylError as exc:
            if exc.status == TOO_LARGE_STATUS:
                return self._download_bytes(path)
            if exc.status in MISSING_STATUSES and self.stat(path) is None:
                return None
            raise

    def read(self, path: ServerPath, info: FileInfo | None = None) -> bytes:
        """A file's bytes, through the panel when it is small, else through Wings (in memory)."""
        if info is not None and info.size > EDIT_SIZE_LIMIT:
            return self._download_bytes(path)
        try:
            data = self.client.file_contents(self.server, path.path)
        except PterodactylError as exc:
            if exc.status != TOO_LARGE_STATUS:
                raise
            return self._download_bytes(path)
        return data

    def _download_bytes(self, path: ServerPath) -> bytes:
        buffer = io.BytesIO()
        self.download(path, buffer.write)
        return buffer.getvalue()

    def download(self, path: ServerPath, sink: Callable[[bytes], None]) -> int:
        """Stream a file through Wings into ``sink``; its size."""
        return self.transfer.download(self.client.download_url(self.server, path.path), sink)

    def digest(self, path: ServerPath) -> tuple[str, int]:
        """(sha256, size) of a file, streamed through Wings: memory does not grow with the file."""
        hasher = hashlib.sha256()
        size = self.download(path, hasher.update)
        return hasher.hexdigest(), size

    # -- writing --

    def write_small(self, path: ServerPath, data: bytes) -> str | None:
        """Write ``data`` through the panel. When the answer is lost, the file is read back: None
        when it holds ``data`` anyway (the write happened), else the error is raised saying what it holds."""
        try:
            self.client.write_file(self.server, path.path, data)
        except PterodactylError as exc:
            if not exc.uncertain:
                raise
            return self._verify_lost_write(path, data, exc)
        self._listings.pop(path.directory, None)
        return None

    def _verify_lost_write(self, path: ServerPath, data: bytes, exc: PterodactylError) -> str:
        self._listings.pop(path.directory, None)
        try:
            now = self.read_small(path)
        except PterodactylError:
            now = b"?"
        if now is not None and now == data:
            return f"the answer to the write was lost ({exc.message}); reading the file back shows the new content"
        state = "does not exist" if now is None else "does not hold the new content (it was not changed, or partly)"
        raise exc.retold(
            f"writing {path.path} failed: {exc.message}; read back, the file {state}",
            hint="run the task again: it compares before it writes",
            uncertain=False,  # read back: the file's state is known
        ) from None

    def upload(self, path: ServerPath, stream: IO[bytes], size: int) -> None:
        """Replace ``path`` with ``stream`` (``size`` bytes) through Wings, never half-written:
        upload to a temporary name beside it, check its size, then move it over the target."""
        temporary = f".{path.name}.gameops-{secrets.token_hex(4)}.part"
        url = self.client.upload_url(self.server)
        try:
            self.transfer.upload(url, path.directory, temporary, stream, size)
            uploaded = find_entry(self.listing(path.directory, fresh=True), temporary)
            if uploaded is None or uploaded.size != size:
                got = "nothing" if uploaded is None else f"{uploaded.size} bytes"
                raise PterodactylError(
                    f"uploading {path.path} failed: the node holds {got} of {size} bytes", code="UploadIncomplete"
                )
        except PterodactylError as exc:
            self._forget(path.directory, temporary)
            raise exc.with_result({"file_state": f"{path.path} was not changed"}) from None
        self._move_into_place(path, temporary)

    def _move_into_place(self, path: ServerPath, temporary: str) -> None:
        if find_entry(self.listing(path.directory), path.name) is not None:
            self.client.delete_files(self.server, path.directory, [path.name])
        try:
            self.client.rename_files(self.server, path.directory, {temporary: path.name})
        except PterodactylError as exc:
            kept = f"{path.directory.rstrip('/')}/{temporary}"
            raise exc.with_result({"file_state": f"the new content is in {kept}; {path.path} was removed"}) from None
        finally:
            self._listings.pop(path.directory, None)

    def _forget(self, directory: str, name: str) -> None:
        """Remove a temporary upload, best effort (it may not exist)."""
        try:
            self.client.delete_files(self.server, directory, [name])
        except PterodactylError:
            pass
        self._listings.pop(directory, None)

    def changed(self, directory: str) -> None:
        """A directory's listing is stale (something was created, renamed or removed in it)."""
        self._listings.pop(directory, None)


def bytes_sha256(data: bytes | None) -> str | None:
    return None if data is None else sha256_of(data)
