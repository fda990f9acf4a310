# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy: _retry's Backoff and wait headers, and the transport applying them.

A GET is tried again after a transient network error or a 502/503/504; a POST only after a 429
or when the connection was never made; 429s are waited out within ``rate_limit_wait``. The
transport tests run against a real HTTP server on 127.0.0.1 (conftest.py); only the Retry-After
and timeout tests really wait (about 1 s each).
"""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
import requests
from werkzeug.wrappers import Response

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _retry
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._retry import Backoff

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"
APP_KEY = "ptla_Zz9Yy8Xx7Ww" + "AppS3cretAppS3cretAppS3cretAppS3"
SERVER = "abcd1234"
SERVER_PATH = f"/api/client/servers/{SERVER}"
ACCOUNT = "/api/client/account"
NOT_FOUND = "The requested resource could not be found on the server."
PROXY_502_PAGE = f"<html><body><h1>502 Bad Gateway</h1><hr>nginx/1.24.0 {'padding ' * 80}</body></html>"
NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]


def get_account(client) -> dict:
    """A cheap GET (the user's account), through the transport: the client has no method for it."""
    return client.request("GET", ACCOUNT)["attributes"]


def closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def slow_handler(seconds, hits):
    def handler(request):
        hits.append(request.method)
        time.sleep(seconds)
        return Response(json.dumps({"object": "user", "attributes": {}}), content_type="application/json")

    return handler


# --------------------------------------------------------------------------- #
# Error scenarios. Each builds one error; the rule tests check its specifics and
# test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #


def case_429_budget_exceeded(panel):
    headers = {"Retry-After": "30", "X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "0"}
    panel.answer_error(ACCOUNT, 429, "ThrottleRequestsException", "Too Many Attempts.", headers=headers)
    return panel.error_of(get_account, panel.client(KEY, rate_limit_wait=1.0))


def case_504_daemon(panel):
    detail = "Could not establish a connection to the machine running this server. Please try again."
    panel.answer_error(SERVER_PATH + "/resources", 504, "DaemonConnectionException", detail)
    return panel.error_of(panel.client(KEY, retries=1).get_resources, SERVER)


def case_post_502(panel):
    detail = "Server must be online in order to send commands."
    panel.answer_error(SERVER_PATH + "/command", 502, "HttpException", detail, method="POST")
    return panel.error_of(panel.client(KEY).send_command, SERVER, "say once")


def case_get_timeout(panel):
    hits = []
    panel.expect_request(ACCOUNT).respond_with_handler(slow_handler(1.5, hits))
    error = panel.error_of(get_account, panel.client(KEY, timeout=0.5, retries=1))
    error.hits = hits
    return error


def case_post_timeout(panel):
    hits = []
    panel.expect_request(SERVER_PATH + "/command", method="POST").respond_with_handler(slow_handler(1.5, hits))
    error = panel.error_of(panel.client(KEY, timeout=0.5).send_command, SERVER, "say slow")
    error.hits = hits
    return error


def case_connection_refused(panel):
    client = PterodactylClient(
        f"http://127.0.0.1:{closed_port()}", KEY, retries=2, backoff_base=0.001, backoff_max=0.01
    )
    error = panel.error_of(get_account, client)
    error.client = client
    return error


# --------------------------------------------------------------------------- #
# Transient statuses: GET tried again, POST never re-sent
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_status_retried_then_success(panel, status):
    panel.expect_ordered_request(ACCOUNT).respond_with_data("busy", status=status)
    panel.expect_ordered_request(ACCOUNT).respond_with_data("busy", status=status)
    panel.expect_ordered_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {"id": 7}})
    client = panel.client(KEY)
    assert get_account(client) == {"id": 7}
    assert client.request_count == 3
    assert len(panel.requests_seen()) == 3


def test_504_daemon_connection_points_at_wings(panel):
    error = case_504_daemon(panel)
    assert error.status == 504 and error.code == "DaemonConnectionException"
    assert "Wings" in error.hint
    assert len(panel.requests_seen()) == 2  # retries=1


def test_retries_zero_means_one_attempt(panel):
    panel.expect_request(ACCOUNT).respond_with_data("busy", status=503)
    with pytest.raises(PterodactylError):
        get_account(panel.client(KEY, retries=0))
    assert len(panel.requests_seen()) == 1


def test_post_not_resent_after_502(panel):
    error = case_post_502(panel)
    assert error.status == 502
    assert len(panel.requests_seen("POST")) == 1
    assert "must be online" in str(error)


def test_post_proxy_502_says_the_command_was_not_resent(panel):
    panel.expect_request(SERVER_PATH + "/command", method="POST").respond_with_data(
        PROXY_502_PAGE, status=502, content_type="text/html"
    )
    with pytest.raises(PterodactylError) as info:
        panel.client(KEY).send_command(SERVER, "say once")
    assert len(panel.requests_seen("POST")) == 1
    assert "may have received the request; it was not re-sent" in str(info.value)


def test_panel_502_for_offline_server_is_definitive(panel):
    error = case_post_502(panel)
    assert "not re-sent" not in str(error)


@pytest.mark.parametrize("status", [503, 504])
def test_post_not_resent_after_503_504(panel, status):
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_data("", status=status)
    with pytest.raises(PterodactylError):
        panel.client(KEY).send_power(SERVER, "stop")
    assert len(panel.requests_seen("POST")) == 1


# --------------------------------------------------------------------------- #
# Network faults
# --------------------------------------------------------------------------- #


def test_get_timeout_names_host_and_seconds_and_is_retried(panel):
    started = time.monotonic()
    error = case_get_timeout(panel)
    assert time.monotonic() - started < 3.0
    assert error.status is None and error.code == "ReadTimeout"
    assert "timed out after 0.5 s" in str(error)
    assert f"127.0.0.1:{panel.port}" in str(error)
    assert error.hits == ["GET", "GET"]  # retries=1


def test_post_not_resent_after_read_timeout(panel):
    error = case_post_timeout(panel)
    assert error.status is None and "timed out after 0.5 s" in str(error)
    assert "not re-sent" in error.hint
    time.sleep(0.1)  # a re-sent POST would have arrived by now
    assert error.hits == ["POST"]


def test_connection_refused_names_host_and_is_retried_for_get(panel):
    error = case_connection_refused(panel)
    assert error.status is None
    assert "connection refused" in str(error)
    assert "127.0.0.1:" in str(error)
    assert error.client.request_count == 3  # retries=2


def test_post_resent_when_connection_refused():
    client = PterodactylClient(
        f"http://127.0.0.1:{closed_port()}", KEY, retries=2, backoff_base=0.001, backoff_max=0.01
    )
    with pytest.raises(PterodactylError) as info:
        client.send_command(SERVER, "say hi")
    assert client.request_count == 3  # never reached the panel: safe to send again
    assert "connection refused" in str(info.value)
    assert "not re-sent" not in (info.value.hint or "")


def _wrapped_reset_error():
    from urllib3.exceptions import ProtocolError

    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


def test_connection_reset_on_post_is_not_resent(monkeypatch):
    client = PterodactylClient("http://127.0.0.1:1", KEY, retries=3, backoff_base=0.001)
    calls = []

    def fake_request(*args, **kwargs):
        calls.append(args)
        raise _wrapped_reset_error()

    monkeypatch.setattr(client._session, "request", fake_request)
    with pytest.raises(PterodactylError) as info:
        client.send_command(SERVER, "say once")
    assert len(calls) == 1
    assert "closed by the other side" in str(info.value) and "not re-sent" in info.value.hint


# --------------------------------------------------------------------------- #
# Rate limits
# --------------------------------------------------------------------------- #


def test_429_retry_after_is_waited_out(panel):
    panel.expect_ordered_request(ACCOUNT).respond_with_json(
        panel.envelope(429, "ThrottleRequestsException", "Too Many Attempts."),
        status=429,
        headers={"Retry-After": "1", "X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "0"},
    )
    panel.expect_ordered_request(ACCOUNT).respond_with_json(
        {"object": "user", "attributes": {"id": 1}},
        headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "719"},
    )
    client = panel.client(KEY, retries=0)  # 429 waits do not use up retries
    started = time.monotonic()
    assert get_account(client) == {"id": 1}
    assert time.monotonic() - started >= 0.95
    assert client.request_count == 2
    assert client.rate_limit_remaining == 719


def test_429_beyond_wait_budget_is_a_clean_error(panel):
    started = time.monotonic()
    error = case_429_budget_exceeded(panel)
    assert time.monotonic() - started < 1.0  # did not sleep 30 s, nor 1 s
    assert error.status == 429 and error.code == "ThrottleRequestsException"
    assert "720" in error.hint and "per user" in error.hint and "rate_limit_wait" in error.hint
    assert len(panel.requests_seen()) == 1


def test_429_uses_x_ratelimit_reset_when_no_retry_after(panel):
    reset = int(time.time()) + 3
    panel.expect_ordered_request(ACCOUNT).respond_with_json(
        panel.envelope(429, "ThrottleRequestsException", "Too Many Attempts."),
        status=429,
        headers={"X-RateLimit-Reset": str(reset)},
    )
    panel.expect_ordered_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {}})
    client = panel.client(KEY)
    waits = []
    client._sleep = waits.append
    get_account(client)
    assert len(waits) == 1 and 1.5 < waits[0] <= 3.0


def test_429_wait_budget_is_cumulative(panel):
    panel.expect_request(ACCOUNT).respond_with_json(
        panel.envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429, headers={"Retry-After": "4"}
    )
    client = panel.client(KEY, rate_limit_wait=10)
    waits = []
    client._sleep = waits.append
    with pytest.raises(PterodactylError) as info:
        get_account(client)
    assert waits == [4.0, 4.0]  # a third wait would exceed 10 s
    assert info.value.status == 429 and "waited 8 s" in info.value.hint


def test_post_resent_after_429(panel):
    panel.expect_ordered_request(SERVER_PATH + "/command", method="POST").respond_with_json(
        panel.envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429, headers={"Retry-After": "0"}
    )
    panel.expect_ordered_request(SERVER_PATH + "/command", method="POST").respond_with_data("", status=204)
    panel.client(KEY).send_command(SERVER, "say hi")
    posts = panel.requests_seen("POST")
    assert len(posts) == 2
    assert all(json.loads(request.get_data()) == {"command": "say hi"} for request in posts)


def test_rate_limit_headers_remembered_on_success_and_error(panel):
    panel.expect_ordered_request(ACCOUNT).respond_with_json(
        {"object": "user", "attributes": {}}, headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "600"}
    )
    panel.expect_ordered_request(SERVER_PATH).respond_with_json(
        panel.envelope(404, "NotFoundHttpException", NOT_FOUND),
        status=404,
        headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "599"},
    )
    client = panel.client(KEY)
    assert client.rate_limit_limit is None and client.rate_limit_remaining is None
    get_account(client)
    assert (client.rate_limit_limit, client.rate_limit_remaining) == (720, 600)
    with pytest.raises(PterodactylError):
        client.get_server(SERVER)
    assert client.rate_limit_remaining == 599


# --------------------------------------------------------------------------- #
# The key never leaks
# --------------------------------------------------------------------------- #


def test_api_key_never_leaks(panel, error_case, assert_keys_hidden):
    assert_keys_hidden(error_case(panel), KEY, APP_KEY)


def test_api_key_never_in_log_lines(panel, caplog):
    caplog.set_level(logging.DEBUG)
    panel.expect_request(ACCOUNT).respond_with_data("busy", status=503)
    with pytest.raises(PterodactylError):
        get_account(panel.client(KEY, retries=2))
    case_connection_refused(panel)
    assert caplog.records  # something was logged
    assert KEY not in caplog.text and KEY[16:] not in caplog.text


# --------------------------------------------------------------------------- #
# Backoff and the wait headers
# --------------------------------------------------------------------------- #


def test_backoff_is_capped_with_jitter():
    client = PterodactylClient("https://panel.example.com", KEY, backoff_base=0.5, backoff_max=8.0)
    for attempt in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= client._backoff(attempt) <= ceiling
    assert len({client._backoff(3) for _unused in range(20)}) > 1


def test_retry_after_parsing():
    now = 1_700_000_000.0
    assert _retry.retry_after_seconds("5", now) == 5.0
    assert _retry.retry_after_seconds("-3", now) == 0.0
    assert _retry.retry_after_seconds("Tue, 14 Nov 2023 22:13:30 GMT", now) == pytest.approx(10.0)
    assert _retry.retry_after_seconds("soon", now) is None
    assert _retry.retry_after_seconds(None, now) is None
    assert _retry.reset_seconds(str(int(now) + 7), now) == 7.0
    assert _retry.reset_seconds("x", now) is None


def test_backoff_ceiling_doubles_from_base_and_is_capped_at_maximum():
    backoff = Backoff(0.5, 8.0)
    assert [backoff.ceiling(attempt) for attempt in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff.ceiling(0) == backoff.ceiling(-3) == 0.5  # counts from 1
    assert backoff.ceiling(10_000) == 8.0  # no overflow far out


def test_backoff_delay_draws_from_half_to_full_ceiling_with_the_injected_uniform():
    drawn = []
    backoff = Backoff(1.0, 5.0, uniform=lambda low, high: drawn.append((low, high)) or high)
    assert [backoff.delay(attempt) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert drawn == [(0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (2.5, 5.0)]


def test_backoff_jitter_is_bounded():
    backoff = Backoff(0.25, 2.0)
    for attempt in range(1, 8):
        delays = [backoff.delay(attempt) for _unused in range(50)]
        ceiling = backoff.ceiling(attempt)
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


@pytest.mark.parametrize(
    "base, maximum",
    [(0, 8.0), (-1, 8.0), (float("nan"), 8.0), (float("inf"), 8.0), (0.5, float("nan")), (0.5, float("inf"))],
)
def test_backoff_rejects_numbers_it_cannot_use(base, maximum):
    with pytest.raises(ValueError):
        Backoff(base, maximum)


def test_backoff_maximum_below_base_is_raised_to_base():
    backoff = Backoff(2.0, 1.0)
    assert backoff.maximum == 2.0 and backoff.ceiling(5) == 2.0
    assert repr(backoff) == "Backoff(base=2, maximum=2)"


@pytest.mark.parametrize(
    "header, seconds",
    [
        ("5", 5.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("-3", 0.0),
        ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),
        ("Tue, 14 Nov 2023 22:13:30 -0000", 10.0),
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0.0),  # a date in the past: no wait
        ("soon", None),
        ("", None),
        (None, None),
        ("nan", None),
        ("inf", None),
        ("Tue, 99 Foo 2023", None),
    ],
)
def test_retry_after_seconds_or_http_date(header, seconds):
    assert _retry.retry_after_seconds(header, NOW) == (None if seconds is None else pytest.approx(seconds))


@pytest.mark.parametrize(
    "header, seconds",
    [
        (str(int(NOW) + 7), 7.0),
        (f" {int(NOW) + 60} ", 60.0),
        (str(int(NOW) - 5), 0.0),
        ("x", None),
        ("", None),
        (None, None),
        ("12.5", None),
    ],
)
def test_reset_seconds_from_an_epoch_timestamp(header, seconds):
    assert _retry.reset_seconds(header, NOW) == seconds
