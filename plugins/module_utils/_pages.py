# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pagination of the panel's list endpoints (``meta.pagination``), for the HTTP transport.

:class:`Paginated` is mixed into ``_http.HttpTransport``: it needs only the transport's ``get``
(one request with its retries and rate-limit waits) and ``_unexpected_answer`` (the error for a
success answer of the wrong shape, the API key scrubbed). Every page keeps every query parameter;
``per_page`` is the panel's maximum; pages 2..N may be fetched by a few threads. Private to the collection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import check_limit

PER_PAGE = 100  # the panel's maximum page size
MAX_PAGES = 10000  # sanity bound on meta.pagination.total_pages
MAX_WORKERS = 16


def clean_path(path: str) -> str:
    """The path without query string or fragment, with a leading slash."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    return path if path.startswith("/") else "/" + path


def as_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class Paginated:
    """Walks ``meta.pagination`` of a list endpoint with the host's ``get``."""

    def paginate(
        self,
        path: str,
        params: dict | None = None,
        *,
        concurrent: bool = False,
        workers: int = 4,
        limit: int | None = None,
        on_page: Callable[[int, int | None], None] | None = None,
    ) -> list[dict]:
        """Every item of a paginated list (raw ``{"object","attributes"}`` dicts), in page order.

        Sends ``per_page=100`` and keeps every parameter in ``params`` on every page.
        ``limit`` stops early; ``concurrent`` fetches pages 2..N with ``workers`` threads.
        ``on_page(items, total)`` is told of each page as it arrives (``total``: the list's size).
        """
        check_limit(limit)
        query = dict(params or {})
        query["per_page"] = PER_PAGE
        first = self._get_page(path, query, 1, on_page)
        items = list(first["data"])
        last = self._last_page(first, path, limit)
        if last > 1:
            pages = range(2, last + 1)
            fetch = self._fetch_concurrently if concurrent else self._fetch_sequentially
            items.extend(fetch(path, query, pages, workers, on_page))
        return items if limit is None else items[:limit]

    def _get_page(self, path: str, query: dict, page: int, on_page=None) -> dict:
        body = self.get(path, {**query, "page": page})
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            path = clean_path(path)
            message = f"GET {path} page {page}: the answer has no 'data' list; is this a paginated endpoint?"
            raise self._unexpected_answer(message, path)
        if on_page is not None:
            pagination = (body.get("meta") or {}).get("pagination") or {}
            on_page(len(body["data"]), as_int(pagination.get("total")))
        return body

    def _last_page(self, first: dict, path: str, limit: int | None) -> int:
        pagination = (first.get("meta") or {}).get("pagination") or {}
        total_pages = as_int(pagination.get("total_pages")) or 1
        if total_pages > MAX_PAGES:
            path = clean_path(path)
            too_many = f"{total_pages} pages, more than the {MAX_PAGES} this client will fetch"
            message = f"GET {path}: the panel reports {too_many}"
            raise self._unexpected_answer(message, path)
        if limit is None:
            return total_pages
        per_page = as_int(pagination.get("per_page")) or len(first["data"]) or PER_PAGE
        return min(total_pages, max(1, math.ceil(limit / per_page)))

    def _fetch_sequentially(self, path: str, query: dict, pages: range, workers: int, on_page=None) -> list[dict]:
        items: list[dict] = []
        for page in pages:
            data = self._get_page(path, query, page, on_page)["data"]
            if not data:
                break
            items.extend(data)
        return items

    def _fetch_concurrently(self, path: str, query: dict, pages: range, workers: int, on_page=None) -> list[dict]:
        workers = max(1, min(int(workers), MAX_WORKERS, len(pages)))
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pterodactyl-page")
        try:
            bodies = list(executor.map(lambda page: self._get_page(path, query, page, on_page), pages))
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        return [item for body in bodies for item in body["data"]]
