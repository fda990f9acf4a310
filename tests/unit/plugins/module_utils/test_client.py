# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the panel API client (_client over _http, _hints) against a real HTTP server on 127.0.0.1.

One test per rule; each fails if its rule breaks. Backoff sleeps are made tiny
through the client's ``backoff_base`` / ``backoff_max`` parameters so the file
stays fast; only the Retry-After and timeout tests really wait (about 1 s each).
"""

from __future__ import annotations

import http.server
import json
import logging
import math
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Response

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _client, _hints, _retry
from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"
APP_KEY = "ptla_Zz9Yy8Xx7Ww" + "AppS3cretAppS3cretAppS3cretAppS3"
SERVER = "abcd1234"
SERVER_PATH = "/api/client/servers/" + SERVER

NOT_FOUND = "The requested resource could not be found on the server."
NOT_VISIBLE = "The requested resource does not exist on this server."
APP_KEY_DETAIL = "You are attempting to use an application API key on an endpoint that requires a client API key."
SUSPENDED = "This server is currently suspended and the functionality requested is unavailable."
PROXY_502_PAGE = """<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title><style>body { width: 35em; }</style></head>
<body>
  <center><h1>502     Bad Gateway</h1></center>
  <hr><center>nginx/1.24.0</center>
  <p>%s</p>
</body></html>
""" % ("padding " * 80)

pytestmark = pytest.mark.timeout(30)


# --------------------------------------------------------------------------- #
# Fixtures and helpers
# --------------------------------------------------------------------------- #


class FastHTTPServer(HTTPServer):
    """pytest-httpserver with a short poll interval, so stop() takes milliseconds."""

    def thread_target(self) -> None:
        self.server.serve_forever(poll_interval=0.01)


def _start_server(ssl_context=None) -> FastHTTPServer:
    server = FastHTTPServer(host="127.0.0.1", port=0, threaded=True, ssl_context=ssl_context)
    server.start()
    return server


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    """Keep every request of these tests on 127.0.0.1, whatever proxy the environment names."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def panel():
    server = _start_server()
    yield server
    server.clear()
    server.stop()


def make_client(panel, key=KEY, **kwargs) -> PterodactylClient:
    options = {"retries": 3, "timeout": 5.0, "backoff_base": 0.001, "backoff_max": 0.01}
    options.update(kwargs)
    return PterodactylClient(panel.url_for("/"), key, **options)


def envelope(status, code, detail, meta=None) -> dict:
    entry = {"code": code, "status": str(status), "detail": detail}
    if meta:
        entry["meta"] = meta
    return {"errors": [entry]}


def json_response(body, status=200, headers=None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def requests_seen(panel, method=None) -> list:
    return [request for request, _response in panel.log if method is None or request.method == method]


def closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def server_item(identifier, name, **extra) -> dict:
    attributes = {"identifier": identifier, "uuid": identifier + "-1111-4111-8111-111111111111", "name": name}
    attributes.update(extra)
    return {"object": "server", "attributes": attributes}


def paged_handler(items, delay=0.0, tracker=None):
    """A list endpoint like the panel's: per_page (max 100), page, filter[name] as LIKE %v%."""

    def handler(request):
        if tracker is not None:
            tracker.enter()
        try:
            time.sleep(delay)
            return json_response(_page_body(items, request.args))
        finally:
            if tracker is not None:
                tracker.leave()

    return handler


def _page_body(items, args) -> dict:
    wanted = args.get("filter[name]")
    if wanted is not None:
        items = [item for item in items if wanted.lower() in item["attributes"]["name"].lower()]
    per_page = min(int(args.get("per_page", 50)), 100)
    page = int(args.get("page", 1))
    chunk = items[(page - 1) * per_page: page * per_page]
    total_pages = max(1, math.ceil(len(items) / per_page))
    pagination = {"total": len(items), "count": len(chunk), "per_page": per_page,
                  "current_page": page, "total_pages": total_pages, "links": {}}
    return {"object": "list", "data": chunk, "meta": {"pagination": pagination}}


class InFlight:
    """Counts concurrent handler executions."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def enter(self):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self):
        with self.lock:
            self.now -= 1


def slow_handler(seconds, hits):
    def handler(request):
        hits.append(request.method)
        time.sleep(seconds)
        return json_response({"object": "user", "attributes": {}})

    return handler


# --------------------------------------------------------------------------- #
# Error scenarios. Each builds one error; the rule tests check its specifics and
# test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #

ERROR_CASES = {}


def error_case(function):
    ERROR_CASES[function.__name__] = function
    return function


@error_case
def case_401(panel):
    panel.expect_request(SERVER_PATH).respond_with_json(
        envelope(401, "AuthenticationException", "Unauthenticated."), status=401)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_server(SERVER)
    return info.value


@error_case
def case_401_application_key(panel):
    panel.expect_request("/api/client").respond_with_json(
        envelope(401, "AuthenticationException", "Unauthenticated."), status=401)
    with pytest.raises(PterodactylError) as info:
        make_client(panel, key=APP_KEY).list_servers()
    return info.value


@error_case
def case_403_application_key(panel):
    panel.expect_request(SERVER_PATH).respond_with_json(
        envelope(403, "AccessDeniedHttpException", APP_KEY_DETAIL), status=403)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_server(SERVER)
    return info.value


@error_case
def case_403_application_key_by_prefix(panel):
    panel.expect_request(SERVER_PATH + "/resources").respond_with_json(
        envelope(403, "AccessDeniedHttpException", "This action is unauthorized."), status=403)
    with pytest.raises(PterodactylError) as info:
        make_client(panel, key=APP_KEY).get_resources(SERVER)
    return info.value


@error_case
def case_403_unauthorized(panel):
    panel.expect_request(SERVER_PATH + "/command", method="POST").respond_with_json(
        envelope(403, "AccessDeniedHttpException", "This action is unauthorized."), status=403)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).send_command(SERVER, "say hi")
    return info.value


@error_case
def case_403_websocket(panel):
    panel.expect_request(SERVER_PATH + "/websocket").respond_with_json(
        envelope(403, "HttpForbiddenException", "You do not have permission to connect to this server's websocket."),
        status=403)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_websocket_credentials(SERVER)
    return info.value


@error_case
def case_404_unknown_server(panel):
    panel.expect_request(SERVER_PATH).respond_with_json(
        envelope(404, "NotFoundHttpException", NOT_FOUND), status=404)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_server(SERVER)
    return info.value


@error_case
def case_404_not_visible(panel):
    panel.expect_request(SERVER_PATH).respond_with_json(
        envelope(404, "NotFoundHttpException", NOT_VISIBLE), status=404)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_server(SERVER)
    return info.value


@error_case
def case_409(panel):
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_json(
        envelope(409, "ServerStateConflictException", SUSPENDED), status=409)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).send_power(SERVER, "start")
    return info.value


@error_case
def case_422(panel):
    body = {"errors": [
        {"code": "ValidationException", "status": "422", "detail": "The selected signal is invalid.",
         "meta": {"source_field": "signal", "rule": "in"}},
        {"code": "ValidationException", "status": "422", "detail": "The other field is required.",
         "meta": {"source_field": "other", "rule": "required"}},
    ]}
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_json(body, status=422)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).send_power(SERVER, "explode")
    return info.value


@error_case
def case_429_budget_exceeded(panel):
    panel.expect_request("/api/client/account").respond_with_json(
        envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429,
        headers={"Retry-After": "30", "X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "0"})
    with pytest.raises(PterodactylError) as info:
        make_client(panel, rate_limit_wait=1.0).get_account()
    return info.value


@error_case
def case_500(panel):
    panel.expect_request("/api/client/account").respond_with_json(
        envelope(500, "QueryException",
                 "An unexpected error was encountered while processing this request, please try again."), status=500)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_account()
    return info.value


@error_case
def case_502_html(panel):
    panel.expect_request("/api/client/account").respond_with_data(
        PROXY_502_PAGE, status=502, content_type="text/html")
    with pytest.raises(PterodactylError) as info:
        make_client(panel, retries=2).get_account()
    return info.value


@error_case
def case_504_daemon(panel):
    panel.expect_request(SERVER_PATH + "/resources").respond_with_json(
        envelope(504, "DaemonConnectionException",
                 "Could not establish a connection to the machine running this server. Please try again."),
        status=504)
    with pytest.raises(PterodactylError) as info:
        make_client(panel, retries=1).get_resources(SERVER)
    return info.value


@error_case
def case_post_502(panel):
    panel.expect_request(SERVER_PATH + "/command", method="POST").respond_with_json(
        envelope(502, "HttpException", "Server must be online in order to send commands."), status=502)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).send_command(SERVER, "say once")
    return info.value


@error_case
def case_get_timeout(panel):
    hits = []
    panel.expect_request("/api/client/account").respond_with_handler(slow_handler(1.5, hits))
    with pytest.raises(PterodactylError) as info:
        make_client(panel, timeout=0.5, retries=1).get_account()
    info.value.hits = hits
    return info.value


@error_case
def case_post_timeout(panel):
    hits = []
    panel.expect_request(SERVER_PATH + "/command", method="POST").respond_with_handler(slow_handler(1.5, hits))
    with pytest.raises(PterodactylError) as info:
        make_client(panel, timeout=0.5).send_command(SERVER, "say slow")
    info.value.hits = hits
    return info.value


@error_case
def case_connection_refused(panel):
    client = PterodactylClient("http://127.0.0.1:%d" % closed_port(), KEY, retries=2,
                               backoff_base=0.001, backoff_max=0.01)
    with pytest.raises(PterodactylError) as info:
        client.get_account()
    info.value.client = client
    return info.value


@error_case
def case_redirect_to_login(panel):
    panel.expect_request("/api/client").respond_with_data(
        "", status=302, headers={"Location": panel.url_for("/auth/login")})
    with pytest.raises(PterodactylError) as info:
        make_client(panel).list_servers()
    return info.value


@error_case
def case_html_200(panel):
    panel.expect_request("/api/client/account").respond_with_data(
        "<html><body><h1>Welcome to nginx!</h1></body></html>", status=200, content_type="text/html")
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_account()
    return info.value


@error_case
def case_truncated_json(panel):
    panel.expect_request("/api/client/account").respond_with_data(
        '{"errors":[{"code":"QueryExc', status=500, content_type="application/json")
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_account()
    return info.value


@error_case
def case_key_echoed_by_server(panel):
    panel.expect_request("/api/client/account").respond_with_json(
        envelope(400, "BadRequestHttpException", "Bad token Bearer " + KEY), status=400)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).get_account()
    return info.value


@error_case
def case_key_echoed_in_html(panel):
    panel.expect_request("/api/client/account").respond_with_data(
        "<html><body>Authorization: Bearer %s</body></html>" % KEY, status=503, content_type="text/html")
    with pytest.raises(PterodactylError) as info:
        make_client(panel, retries=0).get_account()
    return info.value


@error_case
def case_name_not_found(panel):
    panel.expect_request("/api/client").respond_with_handler(
        paged_handler([server_item("aaaa0001", "lobby-2"), server_item("aaaa0002", "Lobby")]))
    with pytest.raises(PterodactylError) as info:
        make_client(panel).resolve_server_id("lobby")
    return info.value


@error_case
def case_name_ambiguous(panel):
    items = [server_item("aaaa0001", "lobby"), server_item("aaaa0002", "lobby-old"), server_item("aaaa0003", "lobby")]
    panel.expect_request("/api/client").respond_with_handler(paged_handler(items))
    with pytest.raises(PterodactylError) as info:
        make_client(panel).resolve_server_id("lobby")
    return info.value


@error_case
def case_bad_url_scheme(panel):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("ftp://panel.example.com", KEY)
    return info.value


@error_case
def case_key_with_whitespace(panel):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("https://panel.example.com", KEY[:20] + " \n" + KEY[20:])
    return info.value


# --------------------------------------------------------------------------- #
# Headers, session, URL handling
# --------------------------------------------------------------------------- #


def test_get_sends_auth_accept_and_user_agent(panel):
    panel.expect_request("/api/client/account", method="GET").respond_with_json(
        {"object": "user", "attributes": {"id": 1, "username": "jdoe"}})
    assert make_client(panel).get_account() == {"id": 1, "username": "jdoe"}
    (request,) = requests_seen(panel)
    assert request.headers["Authorization"] == "Bearer " + KEY
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "gameops.pterodactyl/0.1.0 (+ansible)"
    assert "Content-Type" not in request.headers
    for header in ("Origin", "Referer", "Cookie", "X-Requested-With"):
        assert header not in request.headers


def test_post_sends_json_body_with_content_type(panel):
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_data("", status=204)
    assert make_client(panel).send_power(SERVER, "restart") is None
    (request,) = requests_seen(panel)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer " + KEY
    assert request.headers["Accept"] == "application/json"
    assert json.loads(request.get_data()) == {"signal": "restart"}


def test_custom_user_agent(panel):
    panel.expect_request("/api/client/account").respond_with_json({"object": "user", "attributes": {}})
    make_client(panel, user_agent="my-tool/1.0").get_account()
    assert requests_seen(panel)[0].headers["User-Agent"] == "my-tool/1.0"


def test_cookies_are_never_sent_back(panel):
    panel.expect_request("/api/client/account").respond_with_json(
        {"object": "user", "attributes": {}}, headers={"Set-Cookie": "pterodactyl_session=abc; Path=/"})
    client = make_client(panel)
    client.get_account()
    client.get_account()
    assert all("Cookie" not in request.headers for request in requests_seen(panel))


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """A minimal HTTP/1.1 server that keeps connections open (werkzeug always closes)."""

    protocol_version = "HTTP/1.1"
    ports: list = []

    def do_GET(self):  # noqa: N802
        self.ports.append(self.client_address[1])
        body = b'{"object": "user", "attributes": {}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_one_keep_alive_session_for_all_calls():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        client = PterodactylClient("http://127.0.0.1:%d" % server.server_address[1], KEY)
        session = client._session
        for _unused in range(3):
            client.get_account()
        assert client._session is session
        assert len(_KeepAliveHandler.ports) == 3
        assert len(set(_KeepAliveHandler.ports)) == 1  # one TCP connection reused
    finally:
        server.shutdown()
        server.server_close()


def test_paths_sent_without_trailing_slash(panel):
    panel.expect_request("/api/client").respond_with_handler(paged_handler([]))
    make_client(panel).list_servers()
    assert requests_seen(panel)[0].path == "/api/client"


@pytest.mark.parametrize("url, expected", [
    ("https://panel.example.com", "https://panel.example.com"),
    ("https://panel.example.com/", "https://panel.example.com"),
    ("https://panel.example.com/api/client", "https://panel.example.com"),
    ("https://panel.example.com/api/client/", "https://panel.example.com"),
    ("https://panel.example.com/api", "https://panel.example.com"),
    ("  HTTPS://Panel.Example.com:8443/panel/api/client  ", "https://panel.example.com:8443/panel"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_url_normalisation(url, expected):
    assert PterodactylClient(url, KEY).base_url == expected


@pytest.mark.parametrize("url, words", [
    ("ftp://panel.example.com", "https://"),
    ("panel.example.com", "https://"),
    ("https://", "no host"),
    ("https:///api/client", "no host"),
    ("", "empty"),
    ("https://user:pw@panel.example.com", "password"),
])
def test_bad_url_rejected(url, words):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient(url, KEY)
    assert info.value.status is None
    assert words in str(info.value)
    assert "pw" not in str(info.value).replace("password", "")


def test_bad_url_scheme_names_the_problem(panel):
    error = case_bad_url_scheme(panel)
    assert "ftp://panel.example.com" in str(error) and "https://" in str(error)


@pytest.mark.parametrize("key", ["", "   ", None])
def test_empty_api_key_rejected(key):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("https://panel.example.com", key)
    assert "api_key is empty" in str(info.value)
    assert info.value.status is None


def test_api_key_with_whitespace_inside_rejected(panel):
    error = case_key_with_whitespace(panel)
    assert "api_key contains" in str(error)


def test_api_key_surrounding_whitespace_stripped(panel):
    panel.expect_request("/api/client/account").respond_with_json({"object": "user", "attributes": {}})
    make_client(panel, key="  %s\n" % KEY).get_account()
    assert requests_seen(panel)[0].headers["Authorization"] == "Bearer " + KEY


@pytest.mark.parametrize("option, value", [
    ("timeout", 0), ("timeout", float("inf")), ("timeout", "soon"), ("retries", -1), ("retries", 1.5),
    ("rate_limit_wait", -5),
])
def test_bad_numeric_options_rejected(option, value):
    with pytest.raises(PterodactylError) as info:
        PterodactylClient("https://panel.example.com", KEY, **{option: value})
    assert option in str(info.value)


def test_defaults_are_finite():
    client = PterodactylClient("https://panel.example.com", KEY)
    assert client.timeout == 30.0
    assert client.retries == 3
    assert client.rate_limit_wait == 120.0
    assert client.validate_certs is True
    assert client._verify is True


def test_ca_path_and_validate_certs_select_verify():
    assert PterodactylClient("https://p.example.com", KEY, ca_path="/etc/ca.pem")._verify == "/etc/ca.pem"
    assert PterodactylClient("https://p.example.com", KEY, validate_certs=False, ca_path="/x")._verify is False


def test_client_repr_and_vars_hide_the_key():
    client = PterodactylClient("https://panel.example.com", KEY)
    assert KEY not in repr(client)
    assert KEY not in str(client)
    assert KEY not in repr(vars(client))
    assert "panel.example.com" in repr(client)


# --------------------------------------------------------------------------- #
# HTTP errors and their hints
# --------------------------------------------------------------------------- #


def test_401_says_key_not_accepted(panel):
    error = case_401(panel)
    assert error.status == 401
    assert error.code == "AuthenticationException"
    assert error.detail == "Unauthenticated."
    assert error.method == "GET" and error.path == SERVER_PATH
    assert str(error).startswith("GET %s failed: HTTP 401 AuthenticationException: Unauthenticated." % SERVER_PATH)
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
    assert str(error).startswith("GET %s failed: HTTP 404 NotFoundHttpException: %s" % (SERVER_PATH, NOT_FOUND))
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


def test_500_not_retried(panel):
    error = case_500(panel)
    assert error.status == 500 and error.code == "QueryException"
    assert len(requests_seen(panel)) == 1
    assert "internal error" in error.hint


def test_502_html_page_gives_excerpt_and_is_retried_for_get(panel):
    error = case_502_html(panel)
    assert error.status == 502 and error.code is None
    assert len(requests_seen(panel)) == 3  # retries=2
    text = str(error)
    assert "502 Bad Gateway" in text and "nginx/1.24.0" in text
    assert "<" not in text and "width: 35em" not in text
    assert "Traceback" not in text and "JSONDecodeError" not in text and "Expecting value" not in text
    body_part = text.split("body: ", 1)[1].split("'")[1]
    assert len(body_part) <= 200
    assert "  " not in body_part
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_truncated_json_gives_excerpt_not_traceback(panel):
    error = case_truncated_json(panel)
    assert error.status == 500
    assert '{"errors":[{"code":"QueryExc' in str(error)
    assert "Traceback" not in str(error) and "Unterminated" not in str(error)


def test_html_page_with_200_is_an_error(panel):
    error = case_html_200(panel)
    assert error.status == 200
    assert "not JSON" in str(error) and "Welcome to nginx!" in str(error)
    assert "url" in error.hint


@pytest.mark.parametrize("status", [502, 503, 504])
def test_transient_status_retried_then_success(panel, status):
    panel.expect_ordered_request("/api/client/account").respond_with_data("busy", status=status)
    panel.expect_ordered_request("/api/client/account").respond_with_data("busy", status=status)
    panel.expect_ordered_request("/api/client/account").respond_with_json({"object": "user", "attributes": {"id": 7}})
    client = make_client(panel)
    assert client.get_account() == {"id": 7}
    assert client.request_count == 3
    assert len(requests_seen(panel)) == 3


def test_504_daemon_connection_points_at_wings(panel):
    error = case_504_daemon(panel)
    assert error.status == 504 and error.code == "DaemonConnectionException"
    assert "Wings" in error.hint
    assert len(requests_seen(panel)) == 2  # retries=1


def test_retries_zero_means_one_attempt(panel):
    panel.expect_request("/api/client/account").respond_with_data("busy", status=503)
    with pytest.raises(PterodactylError):
        make_client(panel, retries=0).get_account()
    assert len(requests_seen(panel)) == 1


def test_post_not_resent_after_502(panel):
    error = case_post_502(panel)
    assert error.status == 502
    assert len(requests_seen(panel, "POST")) == 1
    assert "must be online" in str(error)


def test_post_proxy_502_says_the_command_was_not_resent(panel):
    panel.expect_request(SERVER_PATH + "/command", method="POST").respond_with_data(
        PROXY_502_PAGE, status=502, content_type="text/html")
    with pytest.raises(PterodactylError) as info:
        make_client(panel).send_command(SERVER, "say once")
    assert len(requests_seen(panel, "POST")) == 1
    assert "may have received the request; it was not re-sent" in str(info.value)


def test_panel_502_for_offline_server_is_definitive(panel):
    error = case_post_502(panel)
    assert "not re-sent" not in str(error)


@pytest.mark.parametrize("status", [503, 504])
def test_post_not_resent_after_503_504(panel, status):
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_data("", status=status)
    with pytest.raises(PterodactylError):
        make_client(panel).send_power(SERVER, "stop")
    assert len(requests_seen(panel, "POST")) == 1


def test_redirect_not_followed_and_explained(panel):
    error = case_redirect_to_login(panel)
    assert error.status == 302
    assert "/auth/login" in str(error)
    assert "not the panel's API root" in error.hint and "Accept" in error.hint
    assert [request.path for request in requests_seen(panel)] == ["/api/client"]


def test_error_to_failure_has_every_field(panel):
    failure = case_404_unknown_server(panel).to_failure()
    assert set(failure) == {"status", "code", "detail", "method", "path", "errors", "hint"}
    assert failure["status"] == 404 and failure["path"] == SERVER_PATH and failure["method"] == "GET"
    assert failure["errors"] == [{"code": "NotFoundHttpException", "status": "404", "detail": NOT_FOUND}]
    json.dumps(failure)


def test_error_path_has_no_query_string(panel):
    panel.expect_request("/api/client").respond_with_json(
        envelope(400, "InvalidFilterQuery", "Requested filter(s) `x` are not allowed."), status=400)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).list_servers(filters={"x": "1"})
    assert info.value.path == "/api/client"
    assert "?" not in str(info.value).split(" failed", maxsplit=1)[0]


# --------------------------------------------------------------------------- #
# Rate limits
# --------------------------------------------------------------------------- #


def test_429_retry_after_is_waited_out(panel):
    panel.expect_ordered_request("/api/client/account").respond_with_json(
        envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429,
        headers={"Retry-After": "1", "X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "0"})
    panel.expect_ordered_request("/api/client/account").respond_with_json(
        {"object": "user", "attributes": {"id": 1}},
        headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "719"})
    client = make_client(panel, retries=0)  # 429 waits do not use up retries
    started = time.monotonic()
    assert client.get_account() == {"id": 1}
    assert time.monotonic() - started >= 0.95
    assert client.request_count == 2
    assert client.rate_limit_remaining == 719


def test_429_beyond_wait_budget_is_a_clean_error(panel):
    started = time.monotonic()
    error = case_429_budget_exceeded(panel)
    assert time.monotonic() - started < 1.0  # did not sleep 30 s, nor 1 s
    assert error.status == 429 and error.code == "ThrottleRequestsException"
    assert "720" in error.hint and "per user" in error.hint and "rate_limit_wait" in error.hint
    assert len(requests_seen(panel)) == 1


def test_429_uses_x_ratelimit_reset_when_no_retry_after(panel):
    reset = int(time.time()) + 3
    panel.expect_ordered_request("/api/client/account").respond_with_json(
        envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429,
        headers={"X-RateLimit-Reset": str(reset)})
    panel.expect_ordered_request("/api/client/account").respond_with_json({"object": "user", "attributes": {}})
    client = make_client(panel)
    waits = []
    client._sleep = waits.append
    client.get_account()
    assert len(waits) == 1 and 1.5 < waits[0] <= 3.0


def test_429_wait_budget_is_cumulative(panel):
    panel.expect_request("/api/client/account").respond_with_json(
        envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429, headers={"Retry-After": "4"})
    client = make_client(panel, rate_limit_wait=10)
    waits = []
    client._sleep = waits.append
    with pytest.raises(PterodactylError) as info:
        client.get_account()
    assert waits == [4.0, 4.0]  # a third wait would exceed 10 s
    assert info.value.status == 429 and "waited 8 s" in info.value.hint


def test_post_resent_after_429(panel):
    panel.expect_ordered_request(SERVER_PATH + "/command", method="POST").respond_with_json(
        envelope(429, "ThrottleRequestsException", "Too Many Attempts."), status=429, headers={"Retry-After": "0"})
    panel.expect_ordered_request(SERVER_PATH + "/command", method="POST").respond_with_data("", status=204)
    make_client(panel).send_command(SERVER, "say hi")
    posts = requests_seen(panel, "POST")
    assert len(posts) == 2
    assert all(json.loads(request.get_data()) == {"command": "say hi"} for request in posts)


def test_rate_limit_headers_remembered_on_success_and_error(panel):
    panel.expect_ordered_request("/api/client/account").respond_with_json(
        {"object": "user", "attributes": {}}, headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "600"})
    panel.expect_ordered_request(SERVER_PATH).respond_with_json(
        envelope(404, "NotFoundHttpException", NOT_FOUND), status=404,
        headers={"X-RateLimit-Limit": "720", "X-RateLimit-Remaining": "599"})
    client = make_client(panel)
    assert client.rate_limit_limit is None and client.rate_limit_remaining is None
    client.get_account()
    assert (client.rate_limit_limit, client.rate_limit_remaining) == (720, 600)
    with pytest.raises(PterodactylError):
        client.get_server(SERVER)
    assert client.rate_limit_remaining == 599


def test_retry_after_parsing():
    now = 1_700_000_000.0
    assert _retry.retry_after_seconds("5", now) == 5.0
    assert _retry.retry_after_seconds("-3", now) == 0.0
    assert _retry.retry_after_seconds("Tue, 14 Nov 2023 22:13:30 GMT", now) == pytest.approx(10.0)
    assert _retry.retry_after_seconds("soon", now) is None
    assert _retry.retry_after_seconds(None, now) is None
    assert _retry.reset_seconds(str(int(now) + 7), now) == 7.0
    assert _retry.reset_seconds("x", now) is None


# --------------------------------------------------------------------------- #
# Network faults and retry safety
# --------------------------------------------------------------------------- #


def test_get_timeout_names_host_and_seconds_and_is_retried(panel):
    started = time.monotonic()
    error = case_get_timeout(panel)
    assert time.monotonic() - started < 3.0
    assert error.status is None and error.code == "ReadTimeout"
    assert "timed out after 0.5 s" in str(error)
    assert "127.0.0.1:%d" % panel.port in str(error)
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
    client = PterodactylClient("http://127.0.0.1:%d" % closed_port(), KEY, retries=2,
                               backoff_base=0.001, backoff_max=0.01)
    with pytest.raises(PterodactylError) as info:
        client.send_command(SERVER, "say hi")
    assert client.request_count == 3  # never reached the panel: safe to send again
    assert "connection refused" in str(info.value)
    assert "not re-sent" not in (info.value.hint or "")


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
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


@pytest.mark.parametrize("factory, safe", [
    (requests.exceptions.ConnectTimeout, True),
    (_wrapped_new_connection_error, True),
    (requests.exceptions.ReadTimeout, False),
    (_wrapped_reset_error, False),
    (lambda: requests.exceptions.SSLError("certificate verify failed"), False),
    (requests.exceptions.ChunkedEncodingError, False),
])
def test_post_resend_only_when_connection_never_made(factory, safe):
    assert _hints.connect_failed(factory()) is safe


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


def test_backoff_is_capped_with_jitter():
    client = PterodactylClient("https://panel.example.com", KEY, backoff_base=0.5, backoff_max=8.0)
    for attempt in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= client._backoff(attempt) <= ceiling
    assert len({client._backoff(3) for _unused in range(20)}) > 1


# --------------------------------------------------------------------------- #
# TLS
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def tls_panel(self_signed):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    server = _start_server(ssl_context=context)
    server.expect_request("/api/client/account").respond_with_json({"object": "user", "attributes": {"id": 3}})
    yield server
    server.clear()
    server.stop()


def test_tls_verify_failure_explains_options(tls_panel):
    client = PterodactylClient(tls_panel.url_for("/"), KEY, retries=3)
    with pytest.raises(PterodactylError) as info:
        client.get_account()
    assert info.value.status is None
    assert "certificate verify failed" in str(info.value)
    assert "validate_certs" in str(info.value) and "ca_path" in str(info.value)
    assert client.request_count == 1  # a TLS failure is not transient


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_ca_path_and_validate_certs_false(tls_panel, self_signed):
    assert PterodactylClient(tls_panel.url_for("/"), KEY, ca_path=self_signed[0]).get_account() == {"id": 3}
    assert PterodactylClient(tls_panel.url_for("/"), KEY, validate_certs=False).get_account() == {"id": 3}


# --------------------------------------------------------------------------- #
# Pagination
# --------------------------------------------------------------------------- #


SERVERS = [server_item("%08x" % (0xa0000000 + n), "srv-%03d" % n,
                       relationships={"allocations": {"object": "list", "data": []}}) for n in range(250)]


def test_pagination_walks_pages_and_keeps_every_parameter(panel):
    panel.expect_request("/api/client").respond_with_handler(paged_handler(SERVERS))
    client = make_client(panel)
    items = client.paginate("/api/client", {"filter[*]": "srv", "type": "admin-all", "include": "egg,subusers"})
    assert items == SERVERS
    seen = requests_seen(panel)
    assert [request.args["page"] for request in seen] == ["1", "2", "3"]
    for request in seen:
        assert request.args["per_page"] == "100"
        assert request.args["filter[*]"] == "srv"
        assert request.args["type"] == "admin-all"
        assert request.args["include"] == "egg,subusers"


def test_list_servers_maps_filters_include_type(panel):
    panel.expect_request("/api/client").respond_with_handler(paged_handler(SERVERS))
    servers = make_client(panel).list_servers(
        type="owner", filters={"name": "srv", "*": "x"}, include=["egg", "subusers"])
    assert servers == [item["attributes"] for item in SERVERS]
    assert servers[0]["relationships"] == {"allocations": {"object": "list", "data": []}}
    seen = requests_seen(panel)
    assert len(seen) == 3
    for request in seen:
        assert request.args["filter[name]"] == "srv"
        assert request.args["filter[*]"] == "x"
        assert request.args["include"] == "egg,subusers"
        assert request.args["type"] == "owner"
        assert request.args["per_page"] == "100"


def test_concurrent_pagination_same_ordered_result(panel):
    tracker = InFlight()
    panel.expect_request("/api/client").respond_with_handler(paged_handler(SERVERS * 2, delay=0.1, tracker=tracker))
    client = make_client(panel)
    items = client.paginate("/api/client", {"filter[*]": "srv"}, concurrent=True, workers=4)
    assert items == SERVERS * 2  # 5 pages, in page order
    assert client.request_count == 5
    assert tracker.peak >= 2
    assert sorted(request.args["page"] for request in requests_seen(panel)) == ["1", "2", "3", "4", "5"]
    assert all(request.args["filter[*]"] == "srv" for request in requests_seen(panel))


def test_concurrent_pagination_equals_sequential(panel):
    panel.expect_request("/api/client").respond_with_handler(paged_handler(SERVERS))
    client = make_client(panel)
    assert client.list_servers(concurrent=True, workers=3) == client.list_servers()


def test_pagination_limit_stops_early(panel):
    panel.expect_request("/api/client").respond_with_handler(paged_handler(SERVERS))
    client = make_client(panel)
    items = client.paginate("/api/client", limit=150)
    assert items == SERVERS[:150]
    assert len(requests_seen(panel)) == 2


def test_pagination_error_on_a_later_page_propagates(panel):
    panel.expect_ordered_request("/api/client").respond_with_handler(paged_handler(SERVERS))
    panel.expect_ordered_request("/api/client").respond_with_json(
        envelope(500, "QueryException", "An unexpected error was encountered."), status=500)
    with pytest.raises(PterodactylError) as info:
        make_client(panel).paginate("/api/client")
    assert info.value.status == 500


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_pagination_bad_limit_rejected(panel, limit):
    with pytest.raises(PterodactylError):
        make_client(panel).paginate("/api/client", limit=limit)
    assert not requests_seen(panel)


# --------------------------------------------------------------------------- #
# Server references
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("ref", ["abcd1234", "0e4f2a77-1d6b-4c9e-9a51-3f0f0c9b6d21"])
def test_identifier_and_uuid_need_no_request(panel, ref):
    client = make_client(panel)
    assert client.resolve_server_id(ref) == ref
    assert client.request_count == 0


def test_name_resolves_to_exact_match(panel):
    items = [server_item("aaaa0001", "lobby-old"), server_item("aaaa0002", "lobby"), server_item("aaaa0003", "Lobby")]
    panel.expect_request("/api/client").respond_with_handler(paged_handler(items))
    client = make_client(panel)
    assert client.resolve_server_id("lobby") == "aaaa0002"
    (request,) = requests_seen(panel)
    assert request.args["filter[name]"] == "lobby"
    assert "type" not in request.args


def test_name_resolution_walks_pages_and_passes_type(panel):
    items = [server_item("%08x" % n, "game-%d" % n) for n in range(150)] + [server_item("beef0001", "game")]
    panel.expect_request("/api/client").respond_with_handler(paged_handler(items))
    assert make_client(panel).resolve_server_id("game", type="admin-all") == "beef0001"
    seen = requests_seen(panel)
    assert len(seen) == 2
    assert all(request.args["type"] == "admin-all" and request.args["filter[name]"] == "game" for request in seen)


def test_name_with_no_exact_match(panel):
    error = case_name_not_found(panel)
    assert error.status is None and error.code == "ServerNotFound"
    assert "No server named 'lobby' is visible to this API key" in str(error)
    assert "'Lobby'" in error.hint  # case-insensitive near miss suggested


def test_name_with_several_matches_lists_them(panel):
    error = case_name_ambiguous(panel)
    assert error.code == "ServerNameAmbiguous"
    assert "lobby (aaaa0001)" in str(error) and "lobby (aaaa0003)" in str(error)
    assert "lobby-old" not in str(error)
    assert "identifier" in error.hint


def test_uppercase_identifier_is_treated_as_a_name(panel):
    panel.expect_request("/api/client").respond_with_handler(paged_handler([server_item("aaaa0001", "ABCD1234")]))
    assert make_client(panel).resolve_server_id("ABCD1234") == "aaaa0001"


# --------------------------------------------------------------------------- #
# Endpoint helpers
# --------------------------------------------------------------------------- #


def test_get_server_returns_attributes_and_meta(panel):
    panel.expect_request(SERVER_PATH, query_string={"include": "egg,subusers"}).respond_with_json(
        {"object": "server", "attributes": {"identifier": SERVER, "relationships": {"egg": {}}},
         "meta": {"is_server_owner": True, "user_permissions": ["*"]}})
    attributes, meta = make_client(panel).get_server(SERVER, include=["egg", "subusers"])
    assert attributes["identifier"] == SERVER and "egg" in attributes["relationships"]
    assert meta == {"is_server_owner": True, "user_permissions": ["*"]}


def test_get_resources(panel):
    stats = {"current_state": "running", "is_suspended": False, "resources": {"memory_bytes": 1}}
    panel.expect_request(SERVER_PATH + "/resources").respond_with_json({"object": "stats", "attributes": stats})
    assert make_client(panel).get_resources(SERVER) == stats


def test_send_command_body(panel):
    panel.expect_request(SERVER_PATH + "/command", method="POST", json={"command": "say hello"}).respond_with_data(
        "", status=204)
    assert make_client(panel).send_command(SERVER, "say hello") is None
    assert len(requests_seen(panel)) == 1


def test_get_websocket_credentials(panel):
    data = {"token": "jwt", "socket": "wss://node.example.com:8080/api/servers/u/ws"}
    panel.expect_request(SERVER_PATH + "/websocket").respond_with_json({"data": data})
    assert make_client(panel).get_websocket_credentials(SERVER) == data


def test_list_activity_parameters(panel):
    entries = [{"object": "activity_log", "attributes": {"event": "server:power.start", "n": n}} for n in range(120)]
    panel.expect_request(SERVER_PATH + "/activity").respond_with_handler(paged_handler(entries))
    result = make_client(panel).list_activity(SERVER, event="server:power", sort="-timestamp", limit=110,
                                              include_actor=True)
    assert [entry["n"] for entry in result] == list(range(110))
    for request in requests_seen(panel):
        assert request.args["filter[event]"] == "server:power"
        assert request.args["sort"] == "-timestamp"
        assert request.args["include"] == "actor"
        assert request.args["per_page"] == "100"


def test_list_activity_rejects_unknown_sort(panel):
    with pytest.raises(PterodactylError) as info:
        make_client(panel).list_activity(SERVER, sort="event")
    assert "timestamp" in str(info.value)


def test_server_reference_is_quoted_into_one_segment(panel):
    panel.expect_request(re.compile("^/api/client/servers/")).respond_with_json(
        {"object": "stats", "attributes": {}})
    make_client(panel).get_resources("a/b?c")
    (request,) = requests_seen(panel)
    assert request.environ["REQUEST_URI"] == "/api/client/servers/a%2Fb%3Fc/resources"


def test_request_accepts_relative_path_and_returns_none_for_204(panel):
    panel.expect_request("/api/client/account").respond_with_data("", status=204)
    assert make_client(panel).request("get", "api/client/account") is None


# --------------------------------------------------------------------------- #
# The key never leaks
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_api_key_never_leaks(panel, name):
    error = ERROR_CASES[name](panel)
    assert isinstance(error, PterodactylError)
    secret_part = KEY[16:]  # the secret alone must not leak either
    for text in (str(error), repr(error), json.dumps(error.to_failure()), repr(error.args)):
        assert KEY not in text and secret_part not in text
        assert APP_KEY not in text and APP_KEY[16:] not in text


def test_api_key_never_in_log_lines(panel, caplog):
    caplog.set_level(logging.DEBUG)
    panel.expect_request("/api/client/account").respond_with_data("busy", status=503)
    with pytest.raises(PterodactylError):
        make_client(panel, retries=2).get_account()
    case_connection_refused(panel)
    assert caplog.records  # something was logged
    assert KEY not in caplog.text and KEY[16:] not in caplog.text


def test_import_without_requests(monkeypatch):
    """ansible-test's import sanity test loads the client without third-party packages."""
    import importlib
    import sys

    from ansible_collections.gameops.pterodactyl.plugins.module_utils import _http

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name == "requests" or name.startswith(("requests.", "urllib3")):
                raise ImportError("blocked for the test")
            return None

    api = _client
    module_name = api.__name__
    package = sys.modules[module_name.rsplit(".", 1)[0]]
    for name in [name for name in sys.modules if name == "requests" or name.startswith("requests.")]:
        monkeypatch.delitem(sys.modules, name)
    for loaded in (_hints, _http, _client):
        monkeypatch.delitem(sys.modules, loaded.__name__)
        monkeypatch.setattr(package, loaded.__name__.rsplit(".", 1)[1], loaded)
    monkeypatch.setattr(sys, "meta_path", [Blocker()] + sys.meta_path)
    fresh = importlib.import_module(module_name)
    try:
        assert fresh.HAS_REQUESTS is False and "blocked" in fresh.REQUESTS_IMPORT_ERROR
        with pytest.raises(fresh.PterodactylError) as info:
            fresh.PterodactylClient("https://panel.example.com", KEY)
        assert "requests" in str(info.value)
    finally:
        monkeypatch.undo()
    assert sys.modules[module_name] is api
