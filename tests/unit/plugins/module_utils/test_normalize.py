# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes shared by the modules and the inventory: server, resources, activity."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _normalize as norm

SERVER = {
    "identifier": "1a7ce997",
    "uuid": "1a7ce997-259b-452e-8b4e-cecc464142ca",
    "internal_id": 3,
    "name": "lobby",
    "description": None,
    "node": "node-eu1",
    "server_owner": True,
    "status": None,
    "is_node_under_maintenance": False,
    "is_transferring": False,
    "sftp_details": {"ip": "sftp.test", "port": 2022},
    "limits": {"memory": 1024, "disk": 0, "cpu": 200},
    "feature_limits": {"backups": 1},
    "relationships": {
        "allocations": {
            "object": "list",
            "data": [
                {"attributes": {"id": 2, "ip": "10.0.0.5", "port": 25566, "is_default": False}},
                {"attributes": {"id": 1, "ip": "10.0.0.5", "port": 25565, "is_default": True}},
            ],
        },
        "egg": {"object": "egg", "attributes": {"uuid": "e", "name": "Paper"}},
        "subusers": {"object": "null_resource", "attributes": None},
    },
}


def test_normalize_server():
    server = norm.normalize_server(SERVER)
    assert server["description"] == "" and server["condition"] is None
    assert server["primary_allocation"]["port"] == 25565
    assert server["sftp"] == {"ip": "sftp.test", "port": 2022, "alias": None}
    assert server["egg"] == {"uuid": "e", "name": "Paper"} and "subusers" not in server
    assert not server["is_suspended"] and not server["is_installing"]


@pytest.mark.parametrize(
    "changes, condition",
    [
        ({"status": "suspended"}, "suspended"),
        ({"status": "install_failed"}, "install_failed"),
        ({"status": "restoring_backup"}, "restoring_backup"),
        ({"is_node_under_maintenance": True}, "node_maintenance"),
        ({"is_transferring": True}, "transferring"),
        ({"status": "reinstall_failed"}, None),
    ],
)
def test_server_condition(changes, condition):
    assert norm.server_condition(dict(SERVER, **changes)) == condition


def test_primary_allocation_falls_back_to_the_first():
    assert norm.primary_allocation([{"port": 1}, {"port": 2}]) == {"port": 1}
    assert norm.primary_allocation([]) is None


def test_percent():
    assert norm.percent(50, 200) == 25.0
    assert norm.percent(50, 0) is None and norm.percent(None, 100) is None


def test_resources_rest_and_websocket_shapes_agree():
    rest = {
        "current_state": "running",
        "is_suspended": False,
        "resources": {
            "memory_bytes": 536870912,
            "cpu_absolute": 50.0,
            "disk_bytes": 0,
            "network_rx_bytes": 10,
            "network_tx_bytes": 20,
            "uptime": 5000,
        },
    }
    websocket = {
        "state": "running",
        "memory_bytes": 536870912,
        "cpu_absolute": 50.0,
        "disk_bytes": 0,
        "network": {"rx_bytes": 10, "tx_bytes": 20},
        "uptime": 5000,
    }
    limits = SERVER["limits"]
    assert norm.normalize_resources(rest, limits) == norm.normalize_resources(websocket, limits)
    shaped = norm.normalize_resources(rest, limits)
    assert shaped["percent"] == {"memory": 50.0, "disk": None, "cpu": 25.0}
    assert shaped["limits"] == {"memory_bytes": 1073741824, "disk_bytes": None, "cpu_percent": 200.0}


def test_activity_properties_always_a_dict():
    entry = norm.normalize_activity(
        {
            "id": "1",
            "event": "server:power.start",
            "properties": [],
            "relationships": {"actor": {"object": "user", "attributes": {"uuid": "u", "username": "owner"}}},
        }
    )
    assert entry["properties"] == {} and entry["actor"] == {"uuid": "u", "username": "owner"}
    assert "actor" not in norm.normalize_activity({"properties": {"command": "x"}})
