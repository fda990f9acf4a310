# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the transport (_http): headers, session, decoding, TLS, pagination, redaction.

Against a real HTTP server on 127.0.0.1 (the ``panel`` fixture of conftest.py). Retries and
rate limits are in test_retry.py, hints in test_hints.py, option checks in test_options.py.
Backoff sleeps are made tiny through ``backoff_base`` / ``backoff_max``.
"""

from __future__ import annotations

import http.server
import json
import shutil
import ssl
import subprocess
import threading

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"
APP_KEY = "ptla_Zz9Yy8Xx7Ww" + "AppS3cretAppS3cretAppS3cretAppS3"
SERVER = "abcd1234"
SERVER_PATH = f"/api/client/servers/{SERVER}"
ACCOUNT = "/api/client/account"
PROXY_502_PAGE = f"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title><style>body {{ width: 35em; }}</style></head>
<body>
  <center><h1>502     Bad Gateway</h1></center>
  <hr><center>nginx/1.24.0</center>
  <p>{"padding " * 80}</p>
</body></html>
"""

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]


def get_account(client) -> dict:
    """A cheap GET (the user's account), through the transport: the client has no method for it."""
    return client.request("GET", ACCOUNT)["attributes"]


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


# --------------------------------------------------------------------------- #
# Error scenarios (the case_* functions). Each builds one error; the rule tests
# check its specifics and test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #


def account_answered(panel, status, body, content_type="text/html", retries=3):
    """The error of GET /api/client/account when the panel answers it with ``body``, not an account."""
    panel.expect_request(ACCOUNT).respond_with_data(body, status=status, content_type=content_type)
    return panel.error_of(get_account, panel.client(KEY, retries=retries))


def case_500(panel):
    detail = "An unexpected error was encountered while processing this request, please try again."
    panel.answer_error(ACCOUNT, 500, "QueryException", detail)
    return panel.error_of(get_account, panel.client(KEY))


def case_502_html(panel):
    return account_answered(panel, 502, PROXY_502_PAGE, retries=2)


def case_html_200(panel):
    return account_answered(panel, 200, "<html><body><h1>Welcome to nginx!</h1></body></html>")


def case_truncated_json(panel):
    return account_answered(panel, 500, '{"errors":[{"code":"QueryExc', content_type="application/json")


def case_key_echoed_by_server(panel):
    panel.answer_error(ACCOUNT, 400, "BadRequestHttpException", "Bad token Bearer " + KEY)
    return panel.error_of(get_account, panel.client(KEY))


def case_key_echoed_in_html(panel):
    return account_answered(panel, 503, f"<html><body>Authorization: Bearer {KEY}</body></html>", retries=0)


# --------------------------------------------------------------------------- #
# Headers, session, verify
# --------------------------------------------------------------------------- #


def test_get_sends_auth_accept_and_user_agent(panel):
    panel.expect_request("/api/client/account", method="GET").respond_with_json(
        {"object": "user", "attributes": {"id": 1, "username": "jdoe"}}
    )
    assert get_account(panel.client(KEY)) == {"id": 1, "username": "jdoe"}
    (request,) = panel.requests_seen()
    assert request.headers["Authorization"] == "Bearer " + KEY
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "gameops.pterodactyl/0.1.0 (+ansible)"
    assert "Content-Type" not in request.headers
    for header in ("Origin", "Referer", "Cookie", "X-Requested-With"):
        assert header not in request.headers


def test_post_sends_json_body_with_content_type(panel):
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_data("", status=204)
    assert panel.client(KEY).send_power(SERVER, "restart") is None
    (request,) = panel.requests_seen()
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer " + KEY
    assert request.headers["Accept"] == "application/json"
    assert json.loads(request.get_data()) == {"signal": "restart"}


def test_custom_user_agent(panel):
    panel.expect_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {}})
    get_account(panel.client(KEY, user_agent="my-tool/1.0"))
    assert panel.requests_seen()[0].headers["User-Agent"] == "my-tool/1.0"


def test_cookies_are_never_sent_back(panel):
    panel.expect_request(ACCOUNT).respond_with_json(
        {"object": "user", "attributes": {}}, headers={"Set-Cookie": "pterodactyl_session=abc; Path=/"}
    )
    client = panel.client(KEY)
    get_account(client)
    get_account(client)
    assert all("Cookie" not in request.headers for request in panel.requests_seen())


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """A minimal HTTP/1.1 server that keeps connections open (werkzeug always closes)."""

    protocol_version = "HTTP/1.1"
    ports: list = []

    def do_GET(self):
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
        client = PterodactylClient(f"http://127.0.0.1:{server.server_address[1]}", KEY)
        session = client._session
        for _unused in range(3):
            get_account(client)
        assert client._session is session
        assert len(_KeepAliveHandler.ports) == 3
        assert len(set(_KeepAliveHandler.ports)) == 1  # one TCP connection reused
    finally:
        server.shutdown()
        server.server_close()


def test_paths_sent_without_trailing_slash(panel):
    panel.expect_request("/api/client").respond_with_handler(panel.paged([]))
    panel.client(KEY).list_servers()
    assert panel.requests_seen()[0].path == "/api/client"


def test_api_key_surrounding_whitespace_stripped(panel):
    panel.expect_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {}})
    get_account(panel.client(f"  {KEY}\n"))
    assert panel.requests_seen()[0].headers["Authorization"] == "Bearer " + KEY


def test_ca_path_and_validate_certs_select_verify():
    assert PterodactylClient("https://p.example.com", KEY, ca_path="/etc/ca.pem")._verify == "/etc/ca.pem"
    assert PterodactylClient("https://p.example.com", KEY, validate_certs=False, ca_path="/x")._verify is False


def test_client_repr_and_vars_hide_the_key():
    client = PterodactylClient("https://panel.example.com", KEY)
    assert KEY not in repr(client)
    assert KEY not in str(client)
    assert KEY not in repr(vars(client))
    assert "panel.example.com" in repr(client)


def test_request_accepts_relative_path_and_returns_none_for_204(panel):
    panel.expect_request(ACCOUNT).respond_with_data("", status=204)
    assert panel.client(KEY).request("get", "api/client/account") is None


# --------------------------------------------------------------------------- #
# Decoding
# --------------------------------------------------------------------------- #


def test_500_not_retried(panel):
    error = case_500(panel)
    assert error.status == 500 and error.code == "QueryException"
    assert len(panel.requests_seen()) == 1
    assert "internal error" in error.hint


def test_502_html_page_gives_excerpt_and_is_retried_for_get(panel):
    error = case_502_html(panel)
    assert error.status == 502 and error.code is None
    assert len(panel.requests_seen()) == 3  # retries=2
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
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


@pytest.fixture
def tls_panel(self_signed, start_panel):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed)
    server = start_panel(ssl_context=context)
    server.expect_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {"id": 3}})
    return server


def test_tls_verify_failure_explains_options(tls_panel):
    client = PterodactylClient(tls_panel.url_for("/"), KEY, retries=3)
    with pytest.raises(PterodactylError) as info:
        get_account(client)
    assert info.value.status is None
    assert "certificate verify failed" in str(info.value)
    assert "validate_certs" in str(info.value) and "ca_path" in str(info.value)
    assert client.request_count == 1  # a TLS failure is not transient


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_ca_path_and_validate_certs_false(tls_panel, self_signed):
    assert get_account(PterodactylClient(tls_panel.url_for("/"), KEY, ca_path=self_signed[0])) == {"id": 3}
    assert get_account(PterodactylClient(tls_panel.url_for("/"), KEY, validate_certs=False)) == {"id": 3}


# --------------------------------------------------------------------------- #
# Pagination
# --------------------------------------------------------------------------- #


def test_pagination_walks_pages_and_keeps_every_parameter(panel, many_servers):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(many_servers))
    client = panel.client(KEY)
    items = client.paginate("/api/client", {"filter[*]": "srv", "type": "admin-all", "include": "egg,subusers"})
    assert items == many_servers
    seen = panel.requests_seen()
    assert [request.args["page"] for request in seen] == ["1", "2", "3"]
    for request in seen:
        assert request.args["per_page"] == "100"
        assert request.args["filter[*]"] == "srv"
        assert request.args["type"] == "admin-all"
        assert request.args["include"] == "egg,subusers"


def test_concurrent_pagination_same_ordered_result(panel, many_servers):
    tracker = InFlight()
    panel.expect_request("/api/client").respond_with_handler(panel.paged(many_servers * 2, delay=0.1, tracker=tracker))
    client = panel.client(KEY)
    items = client.paginate("/api/client", {"filter[*]": "srv"}, concurrent=True, workers=4)
    assert items == many_servers * 2  # 5 pages, in page order
    assert client.request_count == 5
    assert tracker.peak >= 2
    assert sorted(request.args["page"] for request in panel.requests_seen()) == ["1", "2", "3", "4", "5"]
    assert all(request.args["filter[*]"] == "srv" for request in panel.requests_seen())


def test_pagination_limit_stops_early(panel, many_servers):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(many_servers))
    client = panel.client(KEY)
    items = client.paginate("/api/client", limit=150)
    assert items == many_servers[:150]
    assert len(panel.requests_seen()) == 2


def test_pagination_error_on_a_later_page_propagates(panel, many_servers):
    panel.expect_ordered_request("/api/client").respond_with_handler(panel.paged(many_servers))
    panel.answer_error("/api/client", 500, "QueryException", "An unexpected error was encountered.", ordered=True)
    with pytest.raises(PterodactylError) as info:
        panel.client(KEY).paginate("/api/client")
    assert info.value.status == 500


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_pagination_bad_limit_rejected(panel, limit):
    with pytest.raises(PterodactylError):
        panel.client(KEY).paginate("/api/client", limit=limit)
    assert not panel.requests_seen()


# --------------------------------------------------------------------------- #
# The verbs of the next issues: method and body reach the panel
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_post_put_patch_send_method_and_json_body(panel, method):
    path = f"{SERVER_PATH}/files/rename"
    body = {"root": "/", "files": [{"from": "a.txt", "to": "b.txt"}]}
    panel.expect_request(path, method=method).respond_with_json({"object": "done"})
    send = getattr(panel.client(KEY), method.lower())
    assert send(path, body) == {"object": "done"}
    (request,) = panel.requests_seen()
    assert request.method == method
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == body


def test_delete_sends_method_and_query_without_body(panel):
    path = f"{SERVER_PATH}/backups/0e4f2a77"
    panel.expect_request(path, method="DELETE", query_string={"force": "1"}).respond_with_data("", status=204)
    assert panel.client(KEY).delete(path, {"force": "1"}) is None
    (request,) = panel.requests_seen()
    assert request.method == "DELETE" and request.get_data() == b""
    assert "Content-Type" not in request.headers


# --------------------------------------------------------------------------- #
# The key never leaks
# --------------------------------------------------------------------------- #


def test_api_key_never_leaks(panel, error_case, assert_keys_hidden):
    assert_keys_hidden(error_case(panel), KEY, APP_KEY)
