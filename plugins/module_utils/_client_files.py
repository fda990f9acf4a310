# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of a server's files. Private to the collection.

A mixin of ``_client.PterodactylClient``: thin methods over the route table (``_routes``), using the
client's ``_call`` / ``_read`` / ``_list`` and ``request_raw``; nothing here builds a URL by hand or
reads a status.
"""

from __future__ import annotations

from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import ROUTES, render
from ansible_collections.gameops.pterodactyl.plugins.module_utils._shapes import attributes as _attributes


class FilesCalls:
    """Files: list, contents, write, create-folder, delete, chmod, rename, signed URLs."""

    # -- files (paths relative to the server's root, with a leading slash) --

    def list_files(self, server: str, directory: str) -> list[dict]:
        """The entries of a directory (file_object attributes; the route is not paginated)."""
        body = self._read("files_list", {"directory": directory}, server=server)
        return [_attributes(item) for item in body.get("data") or []]

    def file_contents(self, server: str, path: str) -> bytes:
        """A file's bytes as the panel returns them (up to its edit size limit, 4 MiB by default)."""
        route = ROUTES["files_contents"]
        return self.request_raw(route.method, render(route, server=server), params={"file": path})

    def write_file(self, server: str, path: str, data: bytes) -> None:
        """Create or replace a file with ``data`` (the panel forwards the raw body to Wings)."""
        route = ROUTES["files_write"]
        self.request_raw(route.method, render(route, server=server), params={"file": path}, data=data)

    def create_folder(self, server: str, root: str, name: str) -> None:
        self._call("files_create_folder", body={"root": root, "name": name}, server=server)

    def delete_files(self, server: str, root: str, names: list[str]) -> None:
        self._call("files_delete", body={"root": root, "files": list(names)}, server=server)

    def chmod_files(self, server: str, root: str, modes: dict[str, str]) -> None:
        """``modes``: name -> octal permission bits as a string (``"640"``), as Wings wants them."""
        files = [{"file": name, "mode": mode} for name, mode in modes.items()]
        self._call("files_chmod", body={"root": root, "files": files}, server=server)

    def rename_files(self, server: str, root: str, moves: dict[str, str]) -> None:
        files = [{"from": source, "to": target} for source, target in moves.items()]
        self._call("files_rename", body={"root": root, "files": files}, server=server)

    def download_url(self, server: str, path: str) -> str:
        """A signed, single-use URL of Wings to download a file (valid 15 minutes)."""
        return self._signed_url("files_download", {"file": path}, server)

    def upload_url(self, server: str) -> str:
        """A signed URL of Wings to upload files (``directory=`` is added to it; valid 15 minutes)."""
        return self._signed_url("files_upload", None, server)

    def _signed_url(self, name: str, params: dict | None, server: str) -> str:
        attributes = _attributes(self._read(name, params, server=server))
        url = attributes.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            path = render(ROUTES[name], server=server)
            raise self._unexpected_answer(f"GET {path}: the answer has no signed URL", path)
        return url
