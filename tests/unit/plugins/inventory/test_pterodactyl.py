# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parts of the inventory plugin: host names, groups, filters, host vars from recorded JSON."""

from __future__ import annotations

import copy
import json
import sys

import pytest

from ansible_collections.gameops.pterodactyl.plugins.inventory import pterodactyl as inv
from ansible_collections.gameops.pterodactyl.plugins.module_utils import _normalize as norm
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import server_filters

# One item of GET /api/client?include=egg as the panel sends it (recorded from the sandbox).
RECORDED_PAGE = json.loads(r"""
{"object": "list", "data": [{"object": "server", "attributes": {
  "server_owner": true, "identifier": "2bdb507d", "internal_id": 1,
  "uuid": "2bdb507d-b4b1-4b4c-9b8b-bf4a47eb5dfd", "name": "MC Lobby #1", "node": "node-eu1",
  "is_node_under_maintenance": false,
  "sftp_details": {"ip": "node-eu1.sandbox.test", "port": 2022},
  "description": "Sandbox server {{ lookup('pipe', 'id') }}",
  "limits": {"memory": 1024, "swap": 0, "disk": 5120, "io": 500, "cpu": 200, "threads": null, "oom_disabled": true},
  "invocation": "java -Xms128M -Xmx1024M -jar server.jar",
  "docker_image": "ghcr.io/pterodactyl/yolks:java_21", "egg_features": ["eula"],
  "feature_limits": {"databases": 0, "allocations": 2, "backups": 1},
  "status": null, "is_suspended": false, "is_installing": false, "is_transferring": false,
  "relationships": {
    "allocations": {"object": "list", "data": [
      {"object": "allocation", "attributes": {"id": 7, "ip": "10.0.0.5", "ip_alias": null, "port": 25566,
                                              "notes": null, "is_default": false}},
      {"object": "allocation", "attributes": {"id": 1, "ip": "10.0.0.5", "ip_alias": "mc.example", "port": 25565,
                                              "notes": "game", "is_default": true}}]},
    "variables": {"object": "null_resource", "attributes": null},
    "egg": {"object": "egg", "attributes": {"uuid": "43973bd0-0a66-4451-9dcd-804cf488e1c3", "name": "Paper"}}}}}],
 "meta": {"pagination": {"total": 1, "count": 1, "per_page": 100, "current_page": 1, "total_pages": 1,
                         "links": {}}}}
""")


@pytest.fixture
def server():
    attributes = copy.deepcopy(RECORDED_PAGE["data"][0]["attributes"])
    return norm.slim_server(norm.normalize_server(attributes))


# -- host names ------------------------------------------------------------- #


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mc-001", "mc-001"),
        ("MC Lobby #1", "mc_lobby__1"),
        ("Überserver", "_berserver"),
        ("{{ lookup('pipe','id') }}", "___lookup__pipe___id_____"),
        ("a.b:c", "a_b_c"),
    ],
)
def test_safe_hostname(name, expected):
    assert norm.safe_hostname(name, "abcd1234") == expected


@pytest.mark.parametrize("name", ["", None, "   ", "!!!"])
def test_safe_hostname_falls_back_to_identifier(name):
    assert norm.safe_hostname(name, "abcd1234") == "abcd1234"


def test_dedupe_appends_identifier_to_every_duplicate():
    pairs = [("survival", "aaaa0001"), ("lobby", "bbbb0002"), ("survival", "cccc0003"), ("creative", "dddd0004")]
    assert norm.dedupe_hostnames(pairs) == ["survival_aaaa0001", "lobby", "survival_cccc0003", "creative"]


def test_dedupe_unique_names_untouched():
    assert norm.dedupe_hostnames([("a", "1"), ("b", "2")]) == ["a", "b"]
    assert norm.dedupe_hostnames([]) == []


@pytest.mark.parametrize(
    "value, expected",
    [
        ("{{ x }}", True),
        ("{% if x %}y{% endif %}", True),
        ("{# c #}", True),
        ("pterodactyl_identifier", False),
        ("ptlc_abc", False),
        (None, False),
        (3, False),
    ],
)
def test_is_template(value, expected):
    assert inv.is_template(value) is expected


# -- statuses, filters -------------------------------------------------------- #


@pytest.mark.parametrize(
    "status, statuses, exclude, included",
    [
        (None, None, False, True),
        ("suspended", None, False, True),
        ("suspended", None, True, False),
        (None, ["installed"], False, True),
        ("installing", ["installed"], False, False),
        ("installing", ["installed", "installing"], False, True),
        ("suspended", ["suspended"], True, False),
        (None, [], False, True),
    ],
)
def test_status_included(status, statuses, exclude, included):
    assert norm.status_included({"status": status}, statuses, exclude) is included


def test_status_name():
    assert norm.status_name({"status": None}) == "installed"
    assert norm.status_name({"status": "install_failed"}) == "install_failed"


def test_server_filters_maps_query_to_star_and_skips_empty():
    options = {"name": "lobby", "uuid": None, "external_id": "", "description": "main", "query": "10.0.0.5:255"}
    assert server_filters(options) == {"name": "lobby", "description": "main", "*": "10.0.0.5:255"}
    assert server_filters({}) == {}


# -- host vars and groups from recorded JSON ----------------------------------- #


def test_host_vars_from_recorded_json(server):
    hv = norm.host_vars(server, "pterodactyl_")
    assert set(hv) == {
        "pterodactyl_identifier",
        "pterodactyl_uuid",
        "pterodactyl_name",
        "pterodactyl_description",
        "pterodactyl_node",
        "pterodactyl_sftp",
        "pterodactyl_primary_allocation",
        "pterodactyl_allocations",
        "pterodactyl_limits",
        "pterodactyl_feature_limits",
        "pterodactyl_docker_image",
        "pterodactyl_egg",
        "pterodactyl_status",
        "pterodactyl_is_suspended",
        "pterodactyl_is_installing",
        "pterodactyl_is_transferring",
        "pterodactyl_is_node_under_maintenance",
        "pterodactyl_condition",
        "pterodactyl_server_owner",
    }
    assert hv["pterodactyl_identifier"] == "2bdb507d"
    assert hv["pterodactyl_name"] == "MC Lobby #1"
    assert hv["pterodactyl_description"] == "Sandbox server {{ lookup('pipe', 'id') }}"
    assert hv["pterodactyl_sftp"] == {"ip": "node-eu1.sandbox.test", "port": 2022, "alias": None}
    assert hv["pterodactyl_primary_allocation"]["port"] == 25565
    assert hv["pterodactyl_primary_allocation"]["ip_alias"] == "mc.example"
    assert [a["port"] for a in hv["pterodactyl_allocations"]] == [25566, 25565]
    assert hv["pterodactyl_egg"] == {"uuid": "43973bd0-0a66-4451-9dcd-804cf488e1c3", "name": "Paper"}
    assert hv["pterodactyl_limits"]["memory"] == 1024
    assert hv["pterodactyl_feature_limits"] == {"databases": 0, "allocations": 2, "backups": 1}
    assert hv["pterodactyl_status"] is None
    assert hv["pterodactyl_condition"] is None
    assert hv["pterodactyl_server_owner"] is True
    assert "pterodactyl_invocation" not in hv and "pterodactyl_internal_id" not in hv


def test_host_vars_custom_prefix(server):
    hv = norm.host_vars(server, "ptero_")
    assert hv["ptero_name"] == "MC Lobby #1"
    assert not any(key.startswith("pterodactyl_") for key in hv)


def test_slim_server_is_json_and_small(server):
    json.dumps(server)
    assert "invocation" not in server and "egg_features" not in server


def test_connection_vars():
    assert inv.connection_vars() == {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def test_default_group_names(server):
    assert norm.default_group_names(server, "pterodactyl_", include_egg=True) == [
        "pterodactyl_node_node-eu1",
        "pterodactyl_egg_Paper",
        "pterodactyl_status_installed",
    ]
    assert norm.default_group_names(server, "p_") == ["p_node_node-eu1", "p_status_installed"]
    suspended = dict(server, status="suspended")
    assert norm.default_group_names(suspended, "pterodactyl_")[-1] == "pterodactyl_status_suspended"


# -- resources ------------------------------------------------------------------ #


def test_add_resources_uses_limits(server, recorded_resources):
    norm.add_resources(server, recorded_resources)
    assert server["state"] == "running"
    assert server["resources"]["memory_bytes"] == 536870912
    assert server["resources"]["percent"]["memory"] == 50.0
    assert server["resources"]["percent"]["cpu"] == 25.0
    assert "resources_error" not in server
    hv = norm.host_vars(server, "pterodactyl_")
    assert hv["pterodactyl_state"] == "running"


def test_add_resources_error(server):
    norm.add_resources_error(server, "HTTP 500")
    assert server["state"] is None and server["resources"] is None
    assert norm.host_vars(server, "x_")["x_resources_error"] == "HTTP 500"


@pytest.mark.parametrize(
    "condition, skipped",
    [
        (None, False),
        ("suspended", True),
        ("installing", True),
        ("node_maintenance", True),
        ("transferring", True),
    ],
)
def test_resources_skip_reason(condition, skipped):
    reason = norm.resources_skip_reason({"condition": condition})
    assert bool(reason) is skipped
    if skipped:
        assert condition in reason


# -- cache ------------------------------------------------------------------------- #


def test_fingerprint_is_stable_and_sensitive():
    parts = {"url": "http://x", "type": None, "filters": {"name": "a"}, "include_egg": False, "resources": False}
    assert norm.fingerprint(parts) == norm.fingerprint(dict(reversed(list(parts.items()))))
    assert norm.fingerprint(parts) != norm.fingerprint(dict(parts, resources=True))


def test_cached_servers():
    entry = {"version": norm.CACHE_VERSION, "fingerprint": "f", "servers": [{"identifier": "a"}]}
    assert norm.cached_servers(entry, "f") == [{"identifier": "a"}]
    assert norm.cached_servers(entry, "other") is None
    assert norm.cached_servers(dict(entry, version=0), "f") is None
    assert norm.cached_servers(None, "f") is None
    assert norm.cached_servers({"version": norm.CACHE_VERSION, "fingerprint": "f"}, "f") is None


def test_cache_entry_round_trip():
    text = norm.cache_entry([{"identifier": "a", "name": "{{ x }}"}], "f")
    assert isinstance(text, str)
    assert norm.cached_servers(text, "f") == [{"identifier": "a", "name": "{{ x }}"}]
    assert norm.cached_servers(text, "g") is None
    assert norm.cached_servers("not json", "f") is None


def test_is_auth_error():
    assert inv.is_auth_error(PterodactylError("x", status=401))
    assert not inv.is_auth_error(PterodactylError("x", status=403))
    assert not inv.is_auth_error(PterodactylError("x"))


def test_verify_file(tmp_path):
    plugin = inv.InventoryModule()
    for name, ok in [
        ("a.pterodactyl.yml", True),
        ("a.pterodactyl.yaml", True),
        ("pterodactyl.yml", False),
        ("a.yml", False),
        ("a.pterodactyl.yml.bak", False),
    ]:
        path = tmp_path / name
        path.write_text("plugin: gameops.pterodactyl.pterodactyl\n")
        assert plugin.verify_file(str(path)) is ok, name
    assert plugin.verify_file(str(tmp_path / "missing.pterodactyl.yml")) is False
