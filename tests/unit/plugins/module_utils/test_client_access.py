# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's calls of subusers, databases and allocations (_client_users, _client_databases,
_client_network) against a real HTTP server on 127.0.0.1: method, path, body and the shape returned."""

from __future__ import annotations

import pytest

KEY = "ptlc_Ab1Cd2Ef3Gh" + "S3cretS3cretS3cretS3cretS3cretXY"
SERVER_PATH = "/api/client/servers/abcd1234"

pytestmark = [pytest.mark.timeout(30), pytest.mark.usefixtures("no_proxies")]


def item(kind: str, **attributes) -> dict:
    return {"object": kind, "attributes": attributes}


def test_permissions_come_as_the_panel_sends_them(panel):
    groups = {"control": {"description": "", "keys": {"console": ""}}}
    panel.expect_request("/api/client/permissions").respond_with_json(item("system_permissions", permissions=groups))
    assert panel.client(KEY).get_permissions() == groups


def test_subuser_calls(panel):
    subuser = item("server_subuser", uuid="u-1", email="a@example.com", permissions=["websocket.connect"])
    panel.expect_request(SERVER_PATH + "/users", method="GET").respond_with_handler(panel.paged([subuser]))
    body = {"email": "a@example.com", "permissions": ["control.console"]}
    panel.expect_request(SERVER_PATH + "/users", method="POST", json=body).respond_with_json(subuser)
    panel.expect_request(SERVER_PATH + "/users/u-1", method="POST", json={"permissions": []}).respond_with_json(subuser)
    panel.expect_request(SERVER_PATH + "/users/u-1", method="DELETE").respond_with_data("", status=204)
    client = panel.client(KEY)
    assert client.list_subusers("abcd1234") == [subuser["attributes"]]
    assert client.create_subuser("abcd1234", "a@example.com", ["control.console"])["uuid"] == "u-1"
    assert client.update_subuser("abcd1234", "u-1", [])["email"] == "a@example.com"
    assert client.delete_subuser("abcd1234", "u-1") is None
    assert [request.method for request in panel.requests_seen()] == ["GET", "POST", "POST", "DELETE"]


def test_database_calls(panel):
    database = item("server_database", id="bEY4yAD5", name="s5_world", connections_from="%")
    created = {"object": "server_database", "attributes": {**database["attributes"], "relationships": {}}}
    panel.expect_request(SERVER_PATH + "/databases", method="GET").respond_with_handler(panel.paged([database]))
    body = {"database": "world", "remote": "%"}
    panel.expect_request(SERVER_PATH + "/databases", method="POST", json=body).respond_with_json(created)
    rotate = SERVER_PATH + "/databases/bEY4yAD5/rotate-password"
    panel.expect_request(rotate, method="POST").respond_with_json(created)
    panel.expect_request(SERVER_PATH + "/databases/bEY4yAD5", method="DELETE").respond_with_data("", status=204)
    client = panel.client(KEY)
    assert client.list_databases("abcd1234") == [database["attributes"]]
    assert "relationships" in client.create_database("abcd1234", "world", "%")
    assert client.rotate_database_password("abcd1234", "bEY4yAD5")["name"] == "s5_world"
    assert client.delete_database("abcd1234", "bEY4yAD5") is None
    assert "include" not in panel.requests_seen("GET")[0].args  # the list never asks for passwords


def test_allocation_calls(panel):
    allocation = item("allocation", id=7, ip="10.0.0.5", port=26000, notes=None, is_default=False)
    base = SERVER_PATH + "/network/allocations"
    panel.expect_request(base, method="GET").respond_with_handler(panel.paged([allocation]))
    panel.expect_request(base, method="POST").respond_with_json(allocation)
    panel.expect_request(base + "/7", method="POST", json={"notes": "dynmap"}).respond_with_json(allocation)
    panel.expect_request(base + "/7/primary", method="POST").respond_with_json(allocation)
    panel.expect_request(base + "/7", method="DELETE").respond_with_data("", status=204)
    client = panel.client(KEY)
    assert client.list_allocations("abcd1234") == [allocation["attributes"]]
    assert client.assign_allocation("abcd1234")["port"] == 26000
    assert client.set_allocation_notes("abcd1234", "7", "dynmap")["id"] == 7
    assert client.set_primary_allocation("abcd1234", "7")["id"] == 7
    assert client.release_allocation("abcd1234", "7") is None


def test_a_body_without_the_routes_keys_is_refused_before_sending(panel):
    client = panel.client(KEY)
    error = panel.error_of(client._call, "subusers_create", body={"permissions": []}, server="abcd1234")
    assert error.code == "InvalidOption" and "needs email" in str(error)
    assert panel.requests_seen() == []
