# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake panel the client's tests talk to: a real HTTP server on 127.0.0.1.

Shared by test_http.py (the transport) and test_client.py (the endpoints). ``panel.paged(items)``
answers like one of the panel's paginated list endpoints. Fixtures only: the test files keep
their own small helpers, so nothing imports this file.
"""

from __future__ import annotations

import json
import math
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class FakePanel(HTTPServer):
    """pytest-httpserver with a short poll interval (stop() takes milliseconds) and a list endpoint."""

    def thread_target(self) -> None:
        self.server.serve_forever(poll_interval=0.01)

    def paged(self, items: list, delay: float = 0.0, tracker=None):
        """A handler like the panel's list endpoints: per_page (max 100), page, filter[name] as LIKE %v%.

        ``tracker`` (with ``enter()`` / ``leave()``) sees each request while it is handled.
        """

        def handler(request):
            if tracker is not None:
                tracker.enter()
            try:
                time.sleep(delay)
                return Response(json.dumps(page_body(items, request.args)), content_type="application/json")
            finally:
                if tracker is not None:
                    tracker.leave()

        return handler


def page_body(items: list, args) -> dict:
    wanted = args.get("filter[name]")
    if wanted is not None:
        items = [item for item in items if wanted.lower() in item["attributes"]["name"].lower()]
    per_page = min(int(args.get("per_page", 50)), 100)
    page = int(args.get("page", 1))
    chunk = items[(page - 1) * per_page : page * per_page]
    total_pages = max(1, math.ceil(len(items) / per_page))
    pagination = {
        "total": len(items),
        "count": len(chunk),
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        "links": {},
    }
    return {"object": "list", "data": chunk, "meta": {"pagination": pagination}}


@pytest.fixture
def no_proxies(monkeypatch):
    """Keep every request of a test on 127.0.0.1, whatever proxy the environment names."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def start_panel(no_proxies):
    """A function that starts a fake panel (``ssl_context`` for TLS); every one is stopped after the test."""
    started: list[FakePanel] = []

    def start(ssl_context=None) -> FakePanel:
        server = FakePanel(host="127.0.0.1", port=0, threaded=True, ssl_context=ssl_context)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.clear()
        server.stop()


@pytest.fixture
def panel(start_panel) -> FakePanel:
    return start_panel()
