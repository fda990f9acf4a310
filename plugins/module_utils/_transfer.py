# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files streamed to and from Wings through the panel's signed URLs. Private to the collection.

The panel hands out single-use URLs of the node (``/download/file?token=…``, ``/upload/file?token=…``)
valid for 15 minutes. They carry their own token: the panel's API key is never sent to Wings, and
the token never appears in a message (URLs are shown without their query). Bodies are streamed in
chunks both ways, so memory does not grow with the file. Wings answers errors as ``{"error": "…"}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any
from urllib.parse import quote

try:
    import requests
    from urllib3.filepost import choose_boundary, encode_multipart_formdata
except ImportError:  # _http reports the missing library
    requests = None

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, excerpt
from ansible_collections.gameops.pterodactyl.plugins.module_utils._files import CHUNK
from ansible_collections.gameops.pterodactyl.plugins.module_utils._hints import connect_failed, network_cause
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wings import redact_url


class Transfer:
    """Downloads and uploads through signed Wings URLs, with the TLS options of the panel's client."""

    def __init__(self, *, validate_certs: bool = True, ca_path: str | None = None, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._verify: bool | str = (ca_path or True) if validate_certs else False
        self._session = requests.Session()
        self._session.trust_env = True

    def close(self) -> None:
        self._session.close()

    def download(self, url: str, sink: Callable[[bytes], None]) -> int:
        """Stream the file at ``url`` into ``sink`` chunk by chunk; the number of bytes."""
        shown = redact_url(url)
        try:
            with self._session.get(url, stream=True, timeout=self.timeout, verify=self._verify) as response:
                if response.status_code != 200:
                    raise wings_error("GET", shown, response.status_code, response.content[:2000], "download")
                size = 0
                for chunk in response.iter_content(CHUNK):
                    sink(chunk)
                    size += len(chunk)
                return size
        except requests.exceptions.RequestException as exc:
            raise transfer_failed("GET", shown, exc, self.timeout, uncertain=False) from None

    def upload(self, url: str, directory: str, name: str, stream: IO[bytes], size: int) -> None:
        """Upload ``size`` bytes of ``stream`` as ``directory/name`` (Wings' multipart field ``files``), streamed."""
        target = f"{url}&directory={quote(directory, safe='/')}"
        shown = redact_url(url)
        body = MultipartBody(name, stream, size)
        try:
            response = self._session.post(
                target,
                data=body,
                headers={"Content-Type": body.content_type},
                timeout=self.timeout,
                verify=self._verify,
            )
        except requests.exceptions.RequestException as exc:
            raise transfer_failed("POST", shown, exc, self.timeout, uncertain=not connect_failed(exc)) from None
        if response.status_code not in (200, 204):
            raise wings_error("POST", shown, response.status_code, response.content[:2000], "upload")


class MultipartBody:
    """One file as a ``multipart/form-data`` body (field ``files``), streamed in CHUNK-sized blocks, with its length.

    urllib3 renders the part's headers and the boundary (the same encoding as a form it sends whole); the
    file's bytes go between them as read, block by block, never held whole. An iterable with a length makes
    requests send it as it comes with a ``Content-Length`` (Wings reads the whole form), not chunked. A
    file-like body would be read 16 KiB at a time by urllib3, and a multipart encoder wrapped around the file
    copies every block once more: both cost the controller's CPU per block (bench/file_upload.py).
    Exactly ``size`` bytes are sent; a file that shrank meanwhile fails the upload instead of hanging it.
    """

    def __init__(self, name: str, stream: IO[bytes], size: int, block: int = CHUNK) -> None:
        boundary = choose_boundary()
        form, self.content_type = encode_multipart_formdata(
            {"files": (name, b"", "application/octet-stream")}, boundary=boundary
        )
        self._tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
        self._head = form[: -len(self._tail)]
        self._stream, self._size, self._block = stream, size, block

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def __iter__(self):
        yield self._head
        left = self._size
        while left > 0:
            block = self._stream.read(min(self._block, left))
            if not block:
                raise PterodactylError(
                    f"the local file ended {left} bytes before its size of {self._size} bytes: it changed during "
                    "the upload; nothing was changed on the server",
                    code="LocalFileChanged",
                )
            left -= len(block)
            yield block
        yield self._tail


def wings_error(method: str, shown: str, status: int, body: bytes, what: str) -> PterodactylError:
    """The error of a Wings answer to a signed URL, with Wings' own text when it gave one."""
    text = _wings_text(body)
    hint = {
        403: "the egg's file denylist protects this file",
        404: "the signed URL was already used or its server is unknown to the node",
        500: "the signed URL may have expired (15 minutes), or the node failed; try again",
    }.get(status)
    return PterodactylError(
        f"{method} {shown} ({what} through Wings) failed: HTTP {status}: {text}",
        status=status,
        detail=text,
        method=method,
        path=shown,
        hint=hint,
        uncertain=method != "GET" and status >= 500,
    )


def transfer_failed(
    method: str, shown: str, exc: BaseException, timeout: float, *, uncertain: bool
) -> PterodactylError:
    cause, hint = network_cause(exc, timeout)
    return PterodactylError(
        f"{method} {shown} failed: {cause}",
        code=type(exc).__name__,
        method=method,
        path=shown,
        hint=hint,
        uncertain=uncertain,
    )


def _wings_text(body: bytes) -> str:
    try:
        decoded: Any = json.loads(body)
    except ValueError:
        return excerpt(body.decode("utf-8", errors="replace")) or "(no text)"
    if isinstance(decoded, dict) and isinstance(decoded.get("error"), str):
        return decoded["error"]
    return excerpt(json.dumps(decoded))
