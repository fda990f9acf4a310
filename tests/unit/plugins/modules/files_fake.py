# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory server file tree behind the client's file methods and a Wings transfer, for the
file modules' tests. It answers as Pterodactyl with Wings 1.11 does: a missing file or directory
is a generic 500, a file over 4 MiB is a 400 on the contents route, signed URLs are single use.
"""

from __future__ import annotations

import posixpath

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

GENERIC_500 = "There was an error while communicating with the machine running this server."
TOO_LARGE = "The file you are attempting to open is too large to view in the file editor."


def error(status: int, detail: str, **fields) -> PterodactylError:
    return PterodactylError(f"HTTP {status}: {detail}", status=status, detail=detail, **fields)


class FakeFiles:
    """A client's file methods over ``tree`` (path -> bytes for files, None for directories)."""

    def __init__(self, tree: dict[str, bytes | None] | None = None, edit_limit: int = 4 * 1024 * 1024) -> None:
        self.tree: dict[str, bytes | None] = {"/": None}
        self.modes: dict[str, str] = {}
        self.calls: list[tuple] = []
        self.edit_limit = edit_limit
        self.fail: dict[str, PterodactylError] = {}  # method name -> error raised once
        self.urls: dict[str, str] = {}
        for path, data in (tree or {}).items():
            self.put(path, data)

    def put(self, path: str, data: bytes | None) -> None:
        parent = posixpath.dirname(path)
        if parent not in self.tree:
            self.put(parent, None)
        self.tree[path] = data

    def _call(self, name: str, *args) -> None:
        self.calls.append((name, *args))
        if name in self.fail:
            raise self.fail.pop(name)

    def mutating(self) -> list[tuple]:
        return [call for call in self.calls if call[0] not in ("list_files", "file_contents", "download_url")]

    # -- the client's file methods --

    def list_files(self, server, directory):
        self._call("list_files", directory)
        if self.tree.get(directory, b"") is not None:
            raise error(500, GENERIC_500)
        entries = []
        for path, data in self.tree.items():
            if path != "/" and posixpath.dirname(path) == directory:
                mode = self.modes.get(path, "755" if data is None else "644")
                entries.append(
                    {
                        "name": posixpath.basename(path),
                        "mode_bits": mode,
                        "size": 4096 if data is None else len(data),
                        "is_file": data is not None,
                        "is_symlink": False,
                        "mimetype": "inode/directory" if data is None else "text/plain; charset=utf-8",
                        "modified_at": "2026-12-02T12:00:00+00:00",
                    }
                )
        return entries

    def file_contents(self, server, path):
        self._call("file_contents", path)
        data = self.tree.get(path)
        if data is None:
            raise error(500, GENERIC_500)
        if len(data) > self.edit_limit:
            raise error(400, TOO_LARGE)
        return data

    def write_file(self, server, path, data):
        self._call("write_file", path, data)
        self.put(path, bytes(data))

    def create_folder(self, server, root, name):
        self._call("create_folder", root, name)
        self.put(posixpath.join(root, name), None)

    def delete_files(self, server, root, names):
        self._call("delete_files", root, list(names))
        for name in names:
            target = posixpath.join(root, name)
            for path in [p for p in self.tree if p == target or p.startswith(target + "/")]:
                del self.tree[path]

    def chmod_files(self, server, root, modes):
        self._call("chmod_files", root, dict(modes))
        for name, mode in modes.items():
            self.modes[posixpath.join(root, name)] = mode

    def rename_files(self, server, root, moves):
        self._call("rename_files", root, dict(moves))
        for source, target in moves.items():
            old, new = posixpath.join(root, source), posixpath.join(root, target)
            if new in self.tree:
                raise error(400, "Cannot move or rename file, destination already exists.")
            self.tree[new] = self.tree.pop(old)

    def download_url(self, server, path):
        self._call("download_url", path)
        url = f"http://wings.test/download/file?token=t{len(self.urls)}"
        self.urls[url] = path
        return url

    def upload_url(self, server):
        self._call("upload_url")
        return "http://wings.test/upload/file?token=u"

    def panel_time(self):
        return 1_800_000_000.0


class FakeTransfer:
    """Wings' side of the signed URLs over the same tree; ``cut_after`` makes an upload stop midway."""

    def __init__(self, files: FakeFiles, chunk: int = 64 * 1024) -> None:
        self.files = files
        self.chunk = chunk
        self.cut_after: int | None = None
        self.uploads: list[str] = []
        self.closed = False

    def download(self, url, sink):
        path = self.files.urls.pop(url)  # single use
        data = self.files.tree[path]
        for start in range(0, len(data), self.chunk):
            sink(data[start : start + self.chunk])
        return len(data)

    def upload(self, url, directory, name, stream, size):
        """Reads ``size`` bytes of ``stream``, as the real transfer sends them."""
        path = posixpath.join(directory, name)
        self.uploads.append(path)
        received = b""
        while len(received) < size:
            chunk = stream.read(min(self.chunk, size - len(received)))
            if not chunk:
                break
            received += chunk
            if self.cut_after is not None and len(received) >= self.cut_after:
                self.files.put(path, received[: self.cut_after])
                raise error(502, "upstream closed the connection", uncertain=True)
        self.files.put(path, received)

    def close(self):
        self.closed = True
