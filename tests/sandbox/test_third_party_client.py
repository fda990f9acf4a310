"""A third-party client written against the real panel (py-dactyl, not ours) works unchanged.

py-dactyl is a popular Python wrapper of the Pterodactyl API. It is used here exactly as its
documentation shows, against a sandbox, to check that the sandbox speaks the panel's protocol
and not merely what our own client expects.
"""

from __future__ import annotations

import pytest
import requests
from sandbox_expect import wait_for

pydactyl = pytest.importorskip("pydactyl")


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    from sandbox.launcher import launch  # pylint: disable=import-outside-toplevel

    sandbox = launch(tmp_path_factory.mktemp("third-party"), servers=120, virtual=True)
    yield sandbox
    assert sandbox.stop() == 0, sandbox.log()


@pytest.fixture
def api(panel):
    return pydactyl.PterodactylClient(panel["panel_url"], panel["keys"]["owner"])


def test_lists_every_server_across_pages(panel, api):
    pages = api.client.servers.list_servers()
    identifiers = [server["attributes"]["identifier"] for page in pages for server in page]
    assert identifiers == [server["identifier"] for server in panel["servers"]]


def test_reads_a_server_and_its_resources(panel, api):
    server = panel["servers"][0]
    details = api.client.servers.get_server(server["identifier"])
    assert details["uuid"] == server["uuid"] and details["name"] == server["name"]
    usage = api.client.servers.get_server_utilization(server["identifier"])
    assert usage["current_state"] in ("offline", "starting", "running", "stopping")
    assert set(usage["resources"]) >= {"memory_bytes", "cpu_absolute", "disk_bytes", "uptime"}


def test_power_console_and_websocket(panel, api):
    server = panel["servers"][1]
    identifier = server["identifier"]
    api.client.servers.send_power_action(identifier, "start")
    wait_for(
        lambda: panel.control("GET", "/servers/" + identifier).json().get("state") == "running",
        timeout=20.0,
        interval=0.2,
    )
    response = api.client.servers.send_console_command(identifier, "say from py-dactyl")
    assert response.status_code == 204
    ws = api.client.servers.get_websocket_client(identifier, origin=panel["panel_url"])
    ws.connect()
    try:
        events = []
        for message in ws.listen():
            events.append(message["event"])
            if message["event"] == "status":
                assert message["args"] == ["running"]
                break
    finally:
        ws.close()
    assert events[:2] == ["auth success", "status"]
    log = panel.requests_log()
    assert [entry["status"] for entry in log if entry["method"] == "POST" and identifier in entry["path"]] == [204, 204]


def test_files_list_read_write_and_download(panel, api):
    identifier = panel["servers"][2]["identifier"]
    files = api.client.servers.files
    files.write_file(identifier, "config/motd.txt", "hello from py-dactyl\n")
    listing = files.list_files(identifier, "config")
    assert [item["attributes"]["name"] for item in listing["data"]] == ["motd.txt"]
    assert listing["data"][0]["attributes"]["size"] == len("hello from py-dactyl\n")
    assert files.get_file_contents(identifier, "config/motd.txt", json=False).text == "hello from py-dactyl\n"
    url = files.download_file(identifier, "config/motd.txt")
    assert url.startswith(panel["wings_url"] + "/download/file?token=")
    assert requests.get(url, timeout=10).text == "hello from py-dactyl\n"
