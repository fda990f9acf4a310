# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake panel the client's tests talk to: a real HTTP server on 127.0.0.1, and the key-leak check.

Shared by test_http.py (the transport), test_retry.py, test_hints.py, test_client.py (the endpoints) and
test_options.py. The ``panel`` fixture is a :class:`FakePanel`: ``panel.client(key)`` is a client of it
with tiny backoff sleeps, ``panel.answer_error(...)`` makes it answer with the panel's error envelope,
``panel.paged(items)`` answers like one of the panel's paginated list endpoints, ``panel.requests_seen()``
is what it received and ``panel.error_of(call)`` the PterodactylError a call raises.

Error scenarios: a test module's functions named ``case_*`` each build one error from ``panel`` and
return it; a test that takes the argument ``error_case`` runs once for each of them (see
:func:`pytest_generate_tests`), and the ``assert_keys_hidden`` fixture checks an error for the keys.
The ``wings`` fixture is wings_fake.FakeWings in place of websocket-client (the console's tests).
Fixtures and hooks only: nothing imports this file.
"""

from __future__ import annotations

import json
import math
import time

import pytest
import wings_fake
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _console
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
FAST_RETRIES = {"retries": 3, "timeout": 5.0, "backoff_base": 0.001, "backoff_max": 0.01}


class FakePanel(HTTPServer):
    """pytest-httpserver with a short poll interval (stop() takes milliseconds) and a list endpoint."""

    def thread_target(self) -> None:
        self.server.serve_forever(poll_interval=0.01)

    def client(self, key: str, **options) -> PterodactylClient:
        """A client of this panel: 3 retries, 5 s timeout, millisecond backoff; ``options`` override those."""
        return PterodactylClient(self.url_for("/"), key, **{**FAST_RETRIES, **options})

    def requests_seen(self, method: str | None = None) -> list:
        """The requests this panel received (only those with ``method``, if given), in order."""
        return [request for request, _response in self.log if method is None or request.method == method]

    @staticmethod
    def envelope(status: int, code: str, detail: str) -> dict:
        """The panel's JSON error body with one error."""
        return {"errors": [{"code": code, "status": str(status), "detail": detail}]}

    def answer_error(self, path, status, code, detail, *, ordered=False, headers=None, **matching) -> None:
        """Answer a request to ``path`` (``matching``: method=, query_string=) with an error envelope.

        ``ordered``: as an ordered expectation (``expect_ordered_request``), for a sequence of answers.
        """
        expect = self.expect_ordered_request if ordered else self.expect_request
        expect(path, **matching).respond_with_json(self.envelope(status, code, detail), status=status, headers=headers)

    @staticmethod
    def server_item(identifier: str, name: str, **extra) -> dict:
        """One server as the panel lists it: identifier, a UUID built from it, name and ``extra`` attributes."""
        attributes = {"identifier": identifier, "uuid": f"{identifier}-1111-4111-8111-111111111111", "name": name}
        return {"object": "server", "attributes": {**attributes, **extra}}

    @staticmethod
    def error_of(call, *args, **kwargs) -> PterodactylError:
        """The PterodactylError that ``call(*args, **kwargs)`` raises; the test fails if it raises none."""
        with pytest.raises(PterodactylError) as info:
            call(*args, **kwargs)
        return info.value

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


def pytest_generate_tests(metafunc):
    """A test that takes ``error_case`` runs once for each ``case_*`` function of its module, by name."""
    if "error_case" in metafunc.fixturenames:
        cases = {name: value for name, value in vars(metafunc.module).items() if name.startswith("case_")}
        names = sorted(name for name, value in cases.items() if callable(value))
        metafunc.parametrize("error_case", [cases[name] for name in names], ids=names)


@pytest.fixture
def assert_keys_hidden():
    """A check that an error shows none of ``keys``, nor their secret parts, in any form a user can see."""

    def check(error, *keys: str) -> None:
        assert isinstance(error, PterodactylError)
        for text in (str(error), repr(error), json.dumps(error.to_failure()), repr(error.args)):
            for key in keys:
                secret_part = key[16:]  # the secret alone must not leak either
                assert key not in text and secret_part not in text

    return check


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


@pytest.fixture
def many_servers() -> list:
    """250 servers as the panel lists them (3 pages of 100), each with an empty allocations relationship."""
    relationships = {"allocations": {"object": "list", "data": []}}
    return [
        FakePanel.server_item(f"{0xA0000000 + n:08x}", f"srv-{n:03d}", relationships=relationships) for n in range(250)
    ]


@pytest.fixture
def wings(monkeypatch):
    fake = wings_fake.FakeWings()
    monkeypatch.setattr(_console.websocket, "create_connection", fake.create_connection)
    return fake
