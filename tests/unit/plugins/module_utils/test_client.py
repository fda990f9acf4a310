# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the client's endpoints (_client over the route table) against a real HTTP server on 127.0.0.1.

The transport under them is tested in test_http.py and test_retry.py; the ``panel`` fixture is
in conftest.py.
"""

from __future__ import annotations

import re

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _client, _hints
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"
SERVER = "abcd1234"
SERVER_PATH = f"/api/client/servers/{SERVER}"

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]


# --------------------------------------------------------------------------- #
# Error scenarios. Each builds one error; the rule tests check its specifics and
# test_api_key_never_leaks checks every one for the key.
# --------------------------------------------------------------------------- #


def list_named(panel, *names: str) -> None:
    """The panel lists servers aaaa0001, aaaa0002... named ``names``: what a name is resolved against."""
    items = [panel.server_item(f"aaaa{number:04d}", name) for number, name in enumerate(names, start=1)]
    panel.expect_request("/api/client").respond_with_handler(panel.paged(items))


def case_name_not_found(panel):
    list_named(panel, "lobby-2", "Lobby")
    return panel.error_of(panel.client(KEY).resolve_server_id, "lobby")


def case_name_ambiguous(panel):
    list_named(panel, "lobby", "lobby-old", "lobby")
    return panel.error_of(panel.client(KEY).resolve_server_id, "lobby")


def test_list_servers_maps_filters_include_type(panel, many_servers):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(many_servers))
    servers = panel.client(KEY).list_servers(
        type="owner", filters={"name": "srv", "*": "x"}, include=["egg", "subusers"]
    )
    assert servers == [item["attributes"] for item in many_servers]
    assert servers[0]["relationships"] == {"allocations": {"object": "list", "data": []}}
    seen = panel.requests_seen()
    assert len(seen) == 3
    for request in seen:
        assert request.args["filter[name]"] == "srv"
        assert request.args["filter[*]"] == "x"
        assert request.args["include"] == "egg,subusers"
        assert request.args["type"] == "owner"
        assert request.args["per_page"] == "100"


def test_concurrent_pagination_equals_sequential(panel, many_servers):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(many_servers))
    client = panel.client(KEY)
    assert client.list_servers(concurrent=True, workers=3) == client.list_servers()


# --------------------------------------------------------------------------- #
# Server references
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("ref", ["abcd1234", "0e4f2a77-1d6b-4c9e-9a51-3f0f0c9b6d21", "serv_abcd1234", "serv_Q7x2Lm9P"])
def test_identifier_and_uuid_need_no_request(panel, ref):
    client = panel.client(KEY)
    assert client.resolve_server_id(ref) == ref
    assert client.request_count == 0


def test_name_resolves_to_exact_match(panel):
    list_named(panel, "lobby-old", "lobby", "Lobby")
    client = panel.client(KEY)
    assert client.resolve_server_id("lobby") == "aaaa0002"
    (request,) = panel.requests_seen()
    assert request.args["filter[name]"] == "lobby"
    assert "type" not in request.args


def test_name_resolution_walks_pages_and_passes_type(panel):
    items = [panel.server_item(f"{n:08x}", f"game-{n}") for n in range(150)] + [panel.server_item("beef0001", "game")]
    panel.expect_request("/api/client").respond_with_handler(panel.paged(items))
    assert panel.client(KEY).resolve_server_id("game", type="admin-all") == "beef0001"
    seen = panel.requests_seen()
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
    list_named(panel, "ABCD1234")
    assert panel.client(KEY).resolve_server_id("ABCD1234") == "aaaa0001"


# --------------------------------------------------------------------------- #
# Endpoint helpers
# --------------------------------------------------------------------------- #


def test_get_server_returns_attributes_and_meta(panel):
    panel.expect_request(SERVER_PATH, query_string={"include": "egg,subusers"}).respond_with_json(
        {
            "object": "server",
            "attributes": {"identifier": SERVER, "relationships": {"egg": {}}},
            "meta": {"is_server_owner": True, "user_permissions": ["*"]},
        }
    )
    attributes, meta = panel.client(KEY).get_server(SERVER, include=["egg", "subusers"])
    assert attributes["identifier"] == SERVER and "egg" in attributes["relationships"]
    assert meta == {"is_server_owner": True, "user_permissions": ["*"]}


def test_get_resources(panel):
    stats = {"current_state": "running", "is_suspended": False, "resources": {"memory_bytes": 1}}
    panel.expect_request(SERVER_PATH + "/resources").respond_with_json({"object": "stats", "attributes": stats})
    assert panel.client(KEY).get_resources(SERVER) == stats


def test_send_command_body(panel):
    panel.expect_request(SERVER_PATH + "/command", method="POST", json={"command": "say hello"}).respond_with_data(
        "", status=204
    )
    assert panel.client(KEY).send_command(SERVER, "say hello") is None
    assert len(panel.requests_seen()) == 1


def test_get_websocket_credentials(panel):
    data = {"token": "jwt", "socket": "wss://node.example.com:8080/api/servers/u/ws"}
    panel.expect_request(SERVER_PATH + "/websocket").respond_with_json({"data": data})
    assert panel.client(KEY).get_websocket_credentials(SERVER) == data


def test_list_activity_parameters(panel):
    entries = [{"object": "activity_log", "attributes": {"event": "server:power.start", "n": n}} for n in range(120)]
    panel.expect_request(SERVER_PATH + "/activity").respond_with_handler(panel.paged(entries))
    result = panel.client(KEY).list_activity(
        SERVER, event="server:power", sort="-timestamp", limit=110, include_actor=True
    )
    assert [entry["n"] for entry in result] == list(range(110))
    for request in panel.requests_seen():
        assert request.args["filter[event]"] == "server:power"
        assert request.args["sort"] == "-timestamp"
        assert request.args["include"] == "actor"
        assert request.args["per_page"] == "100"


def test_list_activity_rejects_unknown_sort(panel):
    with pytest.raises(PterodactylError) as info:
        panel.client(KEY).list_activity(SERVER, sort="event")
    assert "timestamp" in str(info.value)


def test_server_reference_is_quoted_into_one_segment(panel):
    panel.expect_request(re.compile("^/api/client/servers/")).respond_with_json({"object": "stats", "attributes": {}})
    panel.client(KEY).get_resources("a/b?c")
    (request,) = panel.requests_seen()
    assert request.environ["REQUEST_URI"] == "/api/client/servers/a%2Fb%3Fc/resources"


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
        transport = sys.modules[_http.__name__]
        assert transport.HAS_REQUESTS is False and "blocked" in transport.REQUESTS_IMPORT_ERROR
        with pytest.raises(fresh.PterodactylError) as info:
            fresh.PterodactylClient("https://panel.example.com", KEY)
        assert "requests" in str(info.value)
    finally:
        monkeypatch.undo()
    assert sys.modules[module_name] is api


def test_a_body_without_the_route_keys_is_refused_before_sending(panel):
    client = panel.client(KEY)
    with pytest.raises(PterodactylError) as info:
        client._call("power", body={"action": "start"}, server=SERVER)
    assert info.value.code == "InvalidOption" and "signal" in str(info.value)
    assert client.request_count == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.resolve_server_id(" "),
        lambda client: client.get_resources(""),
        lambda client: client.send_power("", "start"),
    ],
)
def test_an_empty_server_reference_is_refused_before_sending(panel, call):
    client = panel.client(KEY)
    with pytest.raises(PterodactylError) as info:
        call(client)
    assert info.value.code == "InvalidOption" and "server is empty" in str(info.value)
    assert client.request_count == 0


@pytest.mark.parametrize(
    "path, body, call, code",
    [
        (SERVER_PATH, None, lambda client: client.get_server(SERVER), "UnexpectedAnswer"),
        (
            SERVER_PATH + "/resources",
            {"object": "stats"},
            lambda client: client.get_resources(SERVER),
            "UnexpectedAnswer",
        ),
        (
            SERVER_PATH + "/websocket",
            {"data": {"token": "jwt"}},
            lambda client: client.get_websocket_credentials(SERVER),
            "WebsocketCredentialsInvalid",
        ),
    ],
)
def test_an_answer_of_the_wrong_shape_is_named(panel, path, body, call, code):
    if body is None:
        panel.expect_request(path).respond_with_data("", status=204)
    else:
        panel.expect_request(path).respond_with_json(body)
    with pytest.raises(PterodactylError) as info:
        call(panel.client(KEY))
    assert info.value.code == code and info.value.status == 200


def test_a_403_on_power_names_every_power_permission(panel):
    panel.expect_request(SERVER_PATH + "/power", method="POST").respond_with_json(
        {"errors": [{"code": "AccessDeniedHttpException", "status": "403", "detail": "This action is unauthorized."}]},
        status=403,
    )
    with pytest.raises(PterodactylError) as info:
        panel.client(KEY).send_power(SERVER, "kill")
    assert "(control.start, control.stop or control.restart)" in info.value.hint


# --------------------------------------------------------------------------- #
# The key never leaks
# --------------------------------------------------------------------------- #


def test_api_key_never_leaks(panel, error_case, assert_keys_hidden):
    assert_keys_hidden(error_case(panel), KEY)
