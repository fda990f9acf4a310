# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hints (_hints): what a person should check, for each HTTP and network failure.

The HTTP cases go through the transport against a real HTTP server on 127.0.0.1 (conftest.py),
so the panel's error envelope is decoded as in production; the rest are pure functions.
"""

from __future__ import annotations

import json
import socket

import pytest
import requests

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _hints
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"
APP_KEY = "ptla_Zz9Yy8Xx7Ww" + "AppS3cretAppS3cretAppS3cretAppS3"
SERVER = "abcd1234"
SERVER_PATH = f"/api/client/servers/{SERVER}"

NOT_FOUND = "The requested resource could not be found on the server."
NOT_VISIBLE = "The requested resource does not exist on this server."
APP_KEY_DETAIL = "You are attempting to use an application API key on an endpoint that requires a client API key."
SUSPENDED = "This server is currently suspended and the functionality requested is unavailable."

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]


# --------------------------------------------------------------------------- #
# Error scenarios. Each builds one error; the rule tests check its specifics and
# test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #


def envelope_case(path, status, code, detail, call, *args, key=KEY, **matching):
    """A ``case_*`` scenario: the panel answers ``path`` with its error envelope; the error ``call`` then raises.

    ``call`` is a method name of a client with ``key``, called with ``args``; ``matching`` (method=...) narrows
    the request the answer is for. Most HTTP scenarios differ only in these, so they are one line each below.
    """

    def case(panel):
        panel.answer_error(path, status, code, detail, **matching)
        return panel.error_of(getattr(panel.client(key), call), *args)

    return case


UNAUTHENTICATED = ("AuthenticationException", "Unauthenticated.")
UNAUTHORIZED = ("AccessDeniedHttpException", "This action is unauthorized.")
NO_WEBSOCKET = "You do not have permission to connect to this server's websocket."

case_401 = envelope_case(SERVER_PATH, 401, *UNAUTHENTICATED, "get_server", SERVER)
case_401_application_key = envelope_case("/api/client", 401, *UNAUTHENTICATED, "list_servers", key=APP_KEY)
case_403_application_key = envelope_case(
    SERVER_PATH, 403, "AccessDeniedHttpException", APP_KEY_DETAIL, "get_server", SERVER
)
case_403_application_key_by_prefix = envelope_case(
    SERVER_PATH + "/resources", 403, *UNAUTHORIZED, "get_resources", SERVER, key=APP_KEY
)
case_403_unauthorized = envelope_case(
    SERVER_PATH + "/command", 403, *UNAUTHORIZED, "send_command", SERVER, "say hi", method="POST"
)
case_403_websocket = envelope_case(
    SERVER_PATH + "/websocket", 403, "HttpForbiddenException", NO_WEBSOCKET, "get_websocket_credentials", SERVER
)
case_404_unknown_server = envelope_case(SERVER_PATH, 404, "NotFoundHttpException", NOT_FOUND, "get_server", SERVER)
case_404_not_visible = envelope_case(SERVER_PATH, 404, "NotFoundHttpException", NOT_VISIBLE, "get_server", SERVER)
case_409 = envelope_case(
    SERVER_PATH + "/power", 409, "ServerStateConflictException", SUSPENDED, "send_power", SERVER, "start", method="POST"
)


def case_422(panel):
    body = {
        "errors": [
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The selected signal is invalid.",
                "meta": {"source_field": "signal", "rule": "in"},
            },
            {
                "code": "ValidationException",
                "status": "422",
                "detail": "The other field is required.",
                "meta": {"source_field": "other", "rule": "required"},
            },
        ]
    }
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_json(body, status=422)
    return panel.error_of(panel.client(KEY).send_power, SERVER, "explode")


def case_redirect_to_login(panel):
    panel.expect_request("/api/client").respond_with_data(
        "", status=302, headers={"Location": panel.url_for("/auth/login")}
    )
    return panel.error_of(panel.client(KEY).list_servers)


# --------------------------------------------------------------------------- #
# HTTP errors and their hints, through the transport
# --------------------------------------------------------------------------- #


def test_401_says_key_not_accepted(panel):
    error = case_401(panel)
    assert error.status == 401
    assert error.code == "AuthenticationException"
    assert error.detail == "Unauthenticated."
    assert error.method == "GET" and error.path == SERVER_PATH
    assert str(error).startswith(f"GET {SERVER_PATH} failed: HTTP 401 AuthenticationException: Unauthenticated.")
    assert "not accepted" in error.hint and "ptlc_" in error.hint and "pacc_" in error.hint


def test_401_with_application_key_explains_key_type(panel):
    error = case_401_application_key(panel)
    assert "application API key" in error.hint and "ptlc_" in error.hint


def test_403_application_key_detail(panel):
    error = case_403_application_key(panel)
    assert error.status == 403 and error.code == "AccessDeniedHttpException"
    assert "application API key" in error.hint and "ptlc_" in error.hint
    assert APP_KEY_DETAIL in str(error)


def test_403_with_ptla_key_explains_key_type(panel):
    error = case_403_application_key_by_prefix(panel)
    assert "application API key" in error.hint


def test_403_unauthorized_means_missing_subuser_permission(panel):
    error = case_403_unauthorized(panel)
    assert error.status == 403 and error.method == "POST" and error.path == SERVER_PATH + "/command"
    assert "subuser permission" in error.hint and "control.console" in error.hint
    assert "application" not in error.hint


def test_403_websocket_means_missing_websocket_connect(panel):
    error = case_403_websocket(panel)
    assert error.code == "HttpForbiddenException"
    assert "websocket.connect" in error.hint


def test_404_unknown_server(panel):
    error = case_404_unknown_server(panel)
    assert error.status == 404 and error.code == "NotFoundHttpException"
    assert str(error).startswith(f"GET {SERVER_PATH} failed: HTTP 404 NotFoundHttpException: {NOT_FOUND}")
    assert "Check the server identifier" in str(error)


def test_404_server_not_visible(panel):
    error = case_404_not_visible(panel)
    assert error.status == 404
    assert "not visible to the user of this API key" in str(error)
    assert "Check the server identifier" not in str(error)


def test_409_passes_state_detail_through(panel):
    error = case_409(panel)
    assert error.status == 409 and error.code == "ServerStateConflictException"
    assert SUSPENDED in str(error)
    assert "state" in error.hint


def test_422_lists_source_fields(panel):
    error = case_422(panel)
    assert error.status == 422 and error.code == "ValidationException"
    assert error.detail == "The selected signal is invalid."
    assert len(error.errors) == 2
    assert error.errors[0]["meta"]["source_field"] == "signal"
    assert "signal (rule in): The selected signal is invalid." in error.hint
    assert "other (rule required)" in error.hint


def test_redirect_not_followed_and_explained(panel):
    error = case_redirect_to_login(panel)
    assert error.status == 302
    assert "/auth/login" in str(error)
    assert "not the panel's API root" in error.hint and "Accept" in error.hint
    assert [request.path for request in panel.requests_seen()] == ["/api/client"]


def test_error_to_failure_has_every_field(panel):
    failure = case_404_unknown_server(panel).to_failure()
    assert set(failure) == {"status", "code", "detail", "method", "path", "errors", "hint"}
    assert failure["status"] == 404 and failure["path"] == SERVER_PATH and failure["method"] == "GET"
    assert failure["errors"] == [{"code": "NotFoundHttpException", "status": "404", "detail": NOT_FOUND}]
    json.dumps(failure)


def test_error_path_has_no_query_string(panel):
    panel.expect_request("/api/client").respond_with_json(
        panel.envelope(400, "InvalidFilterQuery", "Requested filter(s) `x` are not allowed."), status=400
    )
    with pytest.raises(PterodactylError) as info:
        panel.client(KEY).list_servers(filters={"x": "1"})
    assert info.value.path == "/api/client"
    assert "?" not in str(info.value).split(" failed", maxsplit=1)[0]


# --------------------------------------------------------------------------- #
# Network errors: what failed, and whether a POST may be sent again
# --------------------------------------------------------------------------- #


def test_dns_failure_is_described():
    from urllib3.exceptions import MaxRetryError, NameResolutionError

    reason = NameResolutionError("panel.invalid", None, socket.gaierror(-2, "Name or service not known"))
    cause, hint = _hints.network_cause(requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason)), 30)
    assert cause == "could not resolve the host name"
    assert "DNS" in hint


def _wrapped_new_connection_error():
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/client", reason))


def _wrapped_reset_error():
    from urllib3.exceptions import ProtocolError

    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


@pytest.mark.parametrize(
    "factory, safe",
    [
        (requests.exceptions.ConnectTimeout, True),
        (_wrapped_new_connection_error, True),
        (requests.exceptions.ReadTimeout, False),
        (_wrapped_reset_error, False),
        (lambda: requests.exceptions.SSLError("certificate verify failed"), False),
        (requests.exceptions.ChunkedEncodingError, False),
    ],
)
def test_post_resend_only_when_connection_never_made(factory, safe):
    assert _hints.connect_failed(factory()) is safe


@pytest.mark.parametrize(
    "exc, transient",
    [
        (requests.exceptions.ConnectTimeout(), True),
        (requests.exceptions.ReadTimeout(), True),
        (requests.exceptions.ChunkedEncodingError(), True),
        (requests.exceptions.ConnectionError(), True),
        (requests.exceptions.SSLError("certificate verify failed"), False),
        (requests.exceptions.InvalidJSONError(), False),
    ],
)
def test_transient_network_errors_for_a_request_safe_to_repeat(exc, transient):
    assert _hints.transient_network_error(exc) is transient


def test_exception_chain_follows_args_reason_cause_and_context_once():
    inner = ConnectionRefusedError(111, "refused")
    middle = OSError("wrapped")
    middle.reason = inner
    outer = requests.exceptions.ConnectionError(middle)
    outer.__cause__ = inner  # seen twice, listed once
    assert _hints.exception_chain(outer) == [outer, middle, inner]
    assert _hints.has_class([outer], "RequestException") and not _hints.has_class([outer], "Timeout")


# --------------------------------------------------------------------------- #
# Pure hint builders
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "permission, phrase",
    [
        (None, ""),
        ("", ""),
        ("control.console", " (control.console)"),
        (("control.stop",), " (control.stop)"),
        (("control.start", "control.stop", "control.restart"), " (control.start, control.stop or control.restart)"),
        (
            {"pterodactyl": "schedule.update", "pelican": "schedule.delete"},
            " (schedule.update on Pterodactyl, schedule.delete on Pelican)",
        ),
    ],
)
def test_permission_phrase(permission, phrase):
    assert _hints.permission_phrase(permission) == phrase


def test_403_unauthorized_names_the_route_permission():
    hint = _hints.http_hint(
        403,
        "AccessDeniedHttpException",
        "This action is unauthorized.",
        [],
        "client",
        ("control.start", "control.stop"),
    )
    assert "subuser permission" in hint and "(control.start or control.stop)" in hint
    assert "allowed IPs" in _hints.http_hint(403, None, "This IP address (1.2.3.4) is not allowed.", [], "client")
    controller = "You do not have permission to perform this action."  # a check in the controller
    hint = _hints.http_hint(403, "HttpForbiddenException", controller, [], "client", "schedule.update")
    assert "subuser permission for this action (schedule.update)" in hint


@pytest.mark.parametrize(
    "status, code, detail, words",
    [
        (400, "TwoFactorAuthRequiredException", "2FA", "two-factor"),
        (400, "InvalidFilterQuery", "Requested filter(s) `x` are not allowed.", "filter or sort"),
        (404, "NotFoundHttpException", "The route api/client/x could not be found.", "no such API route"),
        (500, "QueryException", "oops", "internal error"),
        (502, "HttpException", "Server must be online in order to send commands.", "Start the server first"),
        (503, None, None, "try again later"),
        (504, None, None, "Wings"),
        (409, "DaemonConnectionException", "cannot reach", "Wings"),
    ],
)
def test_http_hint_by_status_and_code(status, code, detail, words):
    assert words in _hints.http_hint(status, code, detail, [], "client")


def test_http_hint_is_none_when_there_is_nothing_to_add():
    assert _hints.http_hint(404, "NotFoundHttpException", "Something else.", [], "client") is None
    assert _hints.http_hint(418, None, None, [], "client") is None
    assert _hints.http_hint(422, "ValidationException", "x", [], "client") is None  # no entries to list


def test_error_entries_keep_code_status_detail_and_meta_only():
    body = {
        "errors": [
            {"code": "A", "status": "422", "detail": "d", "meta": {"rule": "in"}, "extra": 1},
            "not an entry",
            {"code": "B", "meta": "not a dict"},
        ]
    }
    assert _hints.error_entries(body) == [
        {"code": "A", "status": "422", "detail": "d", "meta": {"rule": "in"}},
        {"code": "B", "status": None, "detail": None},
    ]
    assert _hints.error_entries({"errors": "x"}) == [] and _hints.error_entries(["x"]) == []


def test_http_message_with_envelope_body_or_nothing():
    assert (
        _hints.http_message("GET", "/p", 404, "NotFound", None, None) == "GET /p failed: HTTP 404 NotFound: (no detail)"
    )
    assert _hints.http_message("GET", "/p", 503, None, None, None) == "GET /p failed: HTTP 503 with an empty body"
    assert _hints.http_message("GET", "/p", 503, None, None, "<b>busy</b>") == "GET /p failed: HTTP 503, body: 'busy'"


def test_rate_limit_and_redirect_hints():
    assert "waited 8 s of rate_limit_wait=10 s" in _hints.rate_limit_hint(8.2, 10)
    assert "use that scheme" in _hints.redirect_hint("https://panel.example.com/api/client", "http://panel.example.com")
    assert "not followed" in _hints.redirect_hint("/elsewhere", "https://panel.example.com")


def test_network_cause_names_what_failed():
    cause, _hint = _hints.network_cause(requests.exceptions.ReadTimeout(), 2.5)
    assert cause == "timed out after 2.5 s waiting for the answer"
    assert "proxy" in _hints.network_cause(requests.exceptions.ProxyError("refused"), 30)[1].lower()
    assert _hints.network_cause(requests.exceptions.SSLError("wrong version number"), 30)[0].startswith("TLS error")


# --------------------------------------------------------------------------- #
# The key never leaks
# --------------------------------------------------------------------------- #


def test_api_key_never_leaks(panel, error_case, assert_keys_hidden):
    assert_keys_hidden(error_case(panel), KEY, APP_KEY)
