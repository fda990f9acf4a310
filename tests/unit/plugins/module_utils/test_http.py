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


def make_client(panel, key=KEY, **kwargs) -> PterodactylClient:
    options = {"retries": 3, "timeout": 5.0, "backoff_base": 0.001, "backoff_max": 0.01}
    options.update(kwargs)
    return PterodactylClient(panel.url_for("/"), key, **options)


def get_account(client) -> dict:
    """A cheap GET (the user's account), through the transport: the client has no method for it."""
    return client.request("GET", ACCOUNT)["attributes"]


def envelope(status, code, detail) -> dict:
    return {"errors": [{"code": code, "status": str(status), "detail": detail}]}


def requests_seen(panel, method=None) -> list:
    return [request for request, _response in panel.log if method is None or request.method == method]


def server_item(identifier, name, **extra) -> dict:
    attributes = {"identifier": identifier, "uuid": f"{identifier}-1111-4111-8111-111111111111", "name": name}
    attributes.update(extra)
    return {"object": "server", "attributes": attributes}


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
# Error scenarios. Each builds one error; the rule tests check its specifics and
# test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #
ERROR_CASES = {}


def error_case(function):
    ERROR_CASES[function.__name__] = function
    return function


@error_case
def case_500(panel):
    panel.expect_request(ACCOUNT).respond_with_json(
        envelope(
            500,
            "QueryException",
            "An unexpected error was encountered while processing this request, please try again.",
        ),
        status=500,
    )
    with pytest.raises(PterodactylError) as info:
        get_account(make_client(panel))
    return info.value


@error_case
def case_502_html(panel):
    panel.expect_request(ACCOUNT).respond_with_data(PROXY_502_PAGE, status=502, content_type="text/html")
    with pytest.raises(PterodactylError) as info:
        get_account(make_client(panel, retries=2))
    return info.value


@error_case
def case_html_200(panel):
    panel.expect_request(ACCOUNT).respond_with_data(
        "<html><body><h1>Welcome to nginx!</h1></body></html>", status=200, content_type="text/html"
    )
    with pytest.raises(PterodactylError) as info:
        get_account(make_client(panel))
    return info.value


@error_case
def case_truncated_json(panel):
    panel.expect_request(ACCOUNT).respond_with_data(
        '{"errors":[{"code":"QueryExc', status=500, content_type="application/json"
    )
    with pytest.raises(PterodactylError) as info:
        get_account(make_client(panel))
    return info.value


@error_case
def case_key_echoed_by_server(panel):
    panel.expect_request(ACCOUNT).respond_with_json(
        envelope(400, "BadRequestHttpException", "Bad token Bearer " + KEY), status=400
    )
    with pytest.raises(PterodactylError) as info:
        get_account(make_client(panel))
    return info.value


@error_case
def case_key_echoed_in_html(panel):
    panel.expect_request(ACCOUNT).respond_with_data(
        f"<html><body>Authorization: Bearer {KEY}</body></html>", status=503, content_type="text/html"
    )
    with pytest.raises(PterodactylError) as info:
        get_account(make_client(panel, retries=0))
    return info.value


# --------------------------------------------------------------------------- #
# Headers, session, verify
# --------------------------------------------------------------------------- #


def test_get_sends_auth_accept_and_user_agent(panel):
    panel.expect_request("/api/client/account", method="GET").respond_with_json(
        {"object": "user", "attributes": {"id": 1, "username": "jdoe"}}
    )
    assert get_account(make_client(panel)) == {"id": 1, "username": "jdoe"}
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
    panel.expect_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {}})
    get_account(make_client(panel, user_agent="my-tool/1.0"))
    assert requests_seen(panel)[0].headers["User-Agent"] == "my-tool/1.0"


def test_cookies_are_never_sent_back(panel):
    panel.expect_request(ACCOUNT).respond_with_json(
        {"object": "user", "attributes": {}}, headers={"Set-Cookie": "pterodactyl_session=abc; Path=/"}
    )
    client = make_client(panel)
    get_account(client)
    get_account(client)
    assert all("Cookie" not in request.headers for request in requests_seen(panel))


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
    make_client(panel).list_servers()
    assert requests_seen(panel)[0].path == "/api/client"


def test_api_key_surrounding_whitespace_stripped(panel):
    panel.expect_request(ACCOUNT).respond_with_json({"object": "user", "attributes": {}})
    get_account(make_client(panel, key=f"  {KEY}\n"))
    assert requests_seen(panel)[0].headers["Authorization"] == "Bearer " + KEY


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
    assert make_client(panel).request("get", "api/client/account") is None


# --------------------------------------------------------------------------- #
# Decoding
# --------------------------------------------------------------------------- #


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


SERVERS = [
    server_item(f"{0xA0000000 + n:08x}", f"srv-{n:03d}", relationships={"allocations": {"object": "list", "data": []}})
    for n in range(250)
]


def test_pagination_walks_pages_and_keeps_every_parameter(panel):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(SERVERS))
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


def test_concurrent_pagination_same_ordered_result(panel):
    tracker = InFlight()
    panel.expect_request("/api/client").respond_with_handler(panel.paged(SERVERS * 2, delay=0.1, tracker=tracker))
    client = make_client(panel)
    items = client.paginate("/api/client", {"filter[*]": "srv"}, concurrent=True, workers=4)
    assert items == SERVERS * 2  # 5 pages, in page order
    assert client.request_count == 5
    assert tracker.peak >= 2
    assert sorted(request.args["page"] for request in requests_seen(panel)) == ["1", "2", "3", "4", "5"]
    assert all(request.args["filter[*]"] == "srv" for request in requests_seen(panel))


def test_pagination_limit_stops_early(panel):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(SERVERS))
    client = make_client(panel)
    items = client.paginate("/api/client", limit=150)
    assert items == SERVERS[:150]
    assert len(requests_seen(panel)) == 2


def test_pagination_error_on_a_later_page_propagates(panel):
    panel.expect_ordered_request("/api/client").respond_with_handler(panel.paged(SERVERS))
    panel.expect_ordered_request("/api/client").respond_with_json(
        envelope(500, "QueryException", "An unexpected error was encountered."), status=500
    )
    with pytest.raises(PterodactylError) as info:
        make_client(panel).paginate("/api/client")
    assert info.value.status == 500


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_pagination_bad_limit_rejected(panel, limit):
    with pytest.raises(PterodactylError):
        make_client(panel).paginate("/api/client", limit=limit)
    assert not requests_seen(panel)


# --------------------------------------------------------------------------- #
# The verbs of the next issues: method and body reach the panel
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_post_put_patch_send_method_and_json_body(panel, method):
    path = f"{SERVER_PATH}/files/rename"
    body = {"root": "/", "files": [{"from": "a.txt", "to": "b.txt"}]}
    panel.expect_request(path, method=method).respond_with_json({"object": "done"})
    send = getattr(make_client(panel), method.lower())
    assert send(path, body) == {"object": "done"}
    (request,) = requests_seen(panel)
    assert request.method == method
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.get_data()) == body


def test_delete_sends_method_and_query_without_body(panel):
    path = f"{SERVER_PATH}/backups/0e4f2a77"
    panel.expect_request(path, method="DELETE", query_string={"force": "1"}).respond_with_data("", status=204)
    assert make_client(panel).delete(path, {"force": "1"}) is None
    (request,) = requests_seen(panel)
    assert request.method == "DELETE" and request.get_data() == b""
    assert "Content-Type" not in request.headers


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
