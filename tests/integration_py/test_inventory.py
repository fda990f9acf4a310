# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory plugin through real ``ansible-inventory`` / ``ansible-playbook`` runs against the sandbox.

Most tests share one virtual sandbox loaded from ``fleets/inventory.yml`` (duplicate names, Jinja
in a name and a description, suspended / installing servers, a server of another owner).
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys

import pytest
import yaml
from shared import plain

from hack import devenv
from sandbox.launcher import launch

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = devenv.BIN  # the running virtual environment (a worktree has no .venv of its own)
FLEET = pathlib.Path(__file__).resolve().parent / "fleets" / "inventory.yml"
PLUGIN = "gameops.pterodactyl.pterodactyl"
RUN_TIMEOUT = 90

JINJA_NAME = "{{ lookup('pipe', 'touch pwned-marker && echo PWNED') }}"
JINJA_DESCRIPTION = "{% if true %}EVALUATED{% endif %}"
JINJA_HOST = "___lookup__pipe____touch_pwned-marker____echo_pwned_____"
OWNER_HOSTS = {"lobby", "survival_5a000002", "survival_5b000003", JINJA_HOST, "creative_build", "new_world"}


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def ansible_env(tmp_path: pathlib.Path, **extra: str) -> dict:
    return devenv.ansible_env(tmp_path, strict_inventory=True, **extra)


def run(tmp_path: pathlib.Path, argv: list, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / argv[0])] + [str(a) for a in argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=env or ansible_env(tmp_path),
        check=False,
    )


def write_config(
    tmp_path: pathlib.Path, sb, key: str | None = "owner", filename: str = "panel", **options
) -> pathlib.Path:
    config = {"plugin": PLUGIN, "url": sb["panel_url"], "retries": 0}
    if key is not None:
        config["api_key"] = sb["keys"][key]
    config.update(options)
    path = tmp_path / (f"{filename}.pterodactyl.yml")
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def inventory(tmp_path, sb, *args, key="owner", env=None, **options) -> dict:
    """``ansible-inventory --list`` of a config with these options; the parsed, unwrapped JSON."""
    path = write_config(tmp_path, sb, key=key, **options)
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--list", *args], env=env)
    assert proc.returncode == 0, proc.stderr
    return plain(json.loads(proc.stdout))


def hostvars(data: dict) -> dict:
    return data["_meta"]["hostvars"]


def group_hosts(data: dict, group: str) -> set:
    return set(data.get(group, {}).get("hosts", []))


def list_requests(sb) -> list:
    return [r for r in sb.requests_log() if r["path"] == "/api/client"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def fleet_sb(tmp_path_factory):
    sb = launch(tmp_path_factory.mktemp("inventory-sandbox"), fleet=str(FLEET), virtual=True)
    yield sb
    assert sb.stop() == 0, sb.log()


@pytest.fixture
def sb(fleet_sb):
    fleet_sb.control("POST", "/reset")
    return fleet_sb


# --------------------------------------------------------------------------- #
# Pages
# --------------------------------------------------------------------------- #


def test_250_servers_across_three_pages(tmp_path):
    big = launch(tmp_path / "sb", servers=250, virtual=True)
    try:
        big.control("DELETE", "/requests")
        data = inventory(tmp_path, big)
        log = big.requests_log()
    finally:
        assert big.stop() == 0, big.log()
    assert len(hostvars(data)) == 250
    assert {hv["pterodactyl_identifier"] for hv in hostvars(data).values()} == {s["identifier"] for s in big["servers"]}
    assert len(group_hosts(data, "pterodactyl_node_node_eu1")) == 125
    assert [(r["method"], r["path"], r["query"]["per_page"], r["status"]) for r in log] == [
        ("GET", "/api/client", "100", 200)
    ] * 3
    assert sorted(r["query"]["page"] for r in log) == ["1", "2", "3"]


# --------------------------------------------------------------------------- #
# Host vars, default groups, connection
# --------------------------------------------------------------------------- #


def test_host_vars_and_default_groups(tmp_path, sb):
    data = inventory(tmp_path, sb)
    hv = hostvars(data)
    assert set(hv) == OWNER_HOSTS
    lobby = hv["lobby"]
    assert lobby["pterodactyl_identifier"] == "a1000001"
    assert lobby["pterodactyl_uuid"] == "a1000001-0000-4000-8000-000000000001"
    assert lobby["pterodactyl_name"] == "Lobby"
    assert lobby["pterodactyl_description"] == "Main lobby {{ undefined_var_in_description }}"
    assert lobby["pterodactyl_node"] == "node-eu1"
    assert lobby["pterodactyl_sftp"]["ip"] == "node-eu1.sandbox.test"
    assert lobby["pterodactyl_sftp"]["port"] == 2022
    assert lobby["pterodactyl_primary_allocation"]["ip"] == "127.0.0.1"
    assert lobby["pterodactyl_primary_allocation"]["port"] == 25565
    assert [a["port"] for a in lobby["pterodactyl_allocations"]] == [25565]
    assert lobby["pterodactyl_limits"]["memory"] == 1024
    assert "databases" in lobby["pterodactyl_feature_limits"]
    assert lobby["pterodactyl_docker_image"]
    assert lobby["pterodactyl_status"] is None
    assert lobby["pterodactyl_is_suspended"] is False
    assert lobby["pterodactyl_is_installing"] is False
    assert lobby["pterodactyl_is_transferring"] is False
    assert lobby["pterodactyl_is_node_under_maintenance"] is False
    assert lobby["pterodactyl_condition"] is None
    assert lobby["pterodactyl_server_owner"] is True
    assert "pterodactyl_egg" not in lobby and "pterodactyl_state" not in lobby
    assert lobby["ansible_connection"] == "local"
    assert os.path.realpath(lobby["ansible_python_interpreter"]) == os.path.realpath(sys.executable)
    suspended = hv["creative_build"]
    assert suspended["pterodactyl_is_suspended"] is True
    assert suspended["pterodactyl_condition"] == "suspended"
    assert hv["new_world"]["pterodactyl_is_installing"] is True
    assert group_hosts(data, "pterodactyl_node_node_eu1") == {"lobby", "survival_5a000002", "new_world"}
    assert group_hosts(data, "pterodactyl_status_suspended") == {"creative_build"}
    assert group_hosts(data, "pterodactyl_status_installing") == {"new_world"}
    installed = {"lobby", "survival_5a000002", "survival_5b000003", JINJA_HOST}
    assert group_hosts(data, "pterodactyl_status_installed") == installed
    assert not any(name.startswith("pterodactyl_egg_") for name in data)


def test_set_local_connection_false(tmp_path, sb):
    hv = hostvars(inventory(tmp_path, sb, set_local_connection=False))["lobby"]
    assert "ansible_connection" not in hv and "ansible_python_interpreter" not in hv


def test_compose_overrides_connection_and_adds_vars(tmp_path, sb):
    data = inventory(
        tmp_path,
        sb,
        compose={
            "ansible_connection": "'ssh'",
            "ansible_host": "pterodactyl_sftp.ip",
            "game_port": "pterodactyl_primary_allocation.port",
        },
    )
    lobby = hostvars(data)["lobby"]
    assert lobby["ansible_connection"] == "ssh"
    assert lobby["ansible_host"] == "node-eu1.sandbox.test"
    assert lobby["game_port"] == 25565
    assert "ansible_python_interpreter" in lobby


def test_keyed_groups_and_groups(tmp_path, sb):
    data = inventory(
        tmp_path,
        sb,
        keyed_groups=[
            {"key": "pterodactyl_node", "prefix": "on"},
            {"key": "pterodactyl_status | default('installed', true)", "prefix": "st"},
        ],
        groups={"eu_running_candidates": "pterodactyl_node == 'node-eu1' and not pterodactyl_is_installing"},
    )
    assert group_hosts(data, "on_node_eu1") == {"lobby", "survival_5a000002", "new_world"}
    assert group_hosts(data, "on_node_us1") == {"survival_5b000003", JINJA_HOST, "creative_build"}
    assert group_hosts(data, "st_suspended") == {"creative_build"}
    assert len(group_hosts(data, "st_installed")) == 3 + 1
    assert group_hosts(data, "eu_running_candidates") == {"lobby", "survival_5a000002"}


def test_strict_keyed_group_error_fails(tmp_path, sb):
    path = write_config(tmp_path, sb, strict=True, keyed_groups=[{"key": "no_such_var", "prefix": "x"}])
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--list"])
    assert proc.returncode != 0
    assert "no_such_var" in proc.stderr


# --------------------------------------------------------------------------- #
# Server-side filters, type, statuses
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "option, value, query_key, hosts",
    [
        ("name", "surv", "filter[name]", {"survival_5a000002", "survival_5b000003"}),
        ("uuid", "e0000006", "filter[uuid]", {"new_world"}),
        ("external_id", "ext-lobby", "filter[external_id]", {"lobby"}),
        ("description", "main lobby", "filter[description]", {"lobby"}),
        ("query", "5b000003", "filter[*]", {"survival"}),  # unique among the hosts listed: no suffix
    ],
)
def test_server_side_filters(tmp_path, sb, option, value, query_key, hosts):
    data = inventory(tmp_path, sb, **{option: value})
    assert set(hostvars(data)) == hosts
    assert [r["query"].get(query_key) for r in list_requests(sb)] == [value]


@pytest.mark.parametrize(
    "kind, hosts",
    [
        ("admin", OWNER_HOSTS),
        ("admin-all", OWNER_HOSTS | {"admin_test"}),
        ("owner", {"admin_test"}),
    ],
)
def test_type(tmp_path, sb, kind, hosts):
    data = inventory(tmp_path, sb, key="admin", type=kind)
    assert set(hostvars(data)) == hosts
    assert [r["query"].get("type") for r in list_requests(sb)] == [kind]
    if kind == "admin-all":
        assert hostvars(data)["admin_test"]["pterodactyl_server_owner"] is True
        assert hostvars(data)["lobby"]["pterodactyl_server_owner"] is False


def test_statuses_and_exclude_suspended(tmp_path, sb):
    assert set(hostvars(inventory(tmp_path, sb, exclude_suspended=True))) == OWNER_HOSTS - {"creative_build"}
    only = inventory(tmp_path, sb, statuses=["suspended", "installing"])
    assert set(hostvars(only)) == {"creative_build", "new_world"}
    both = inventory(tmp_path, sb, statuses=["installed", "suspended"], exclude_suspended=True)
    assert set(hostvars(both)) == {"lobby", "survival_5a000002", "survival_5b000003", JINJA_HOST}


# --------------------------------------------------------------------------- #
# Host names and prefix
# --------------------------------------------------------------------------- #


def test_hostname_template_and_expression(tmp_path, sb):
    data = inventory(tmp_path, sb, hostname="srv-{{ pterodactyl_identifier }}")
    assert set(hostvars(data)) == {
        "srv-a1000001",
        "srv-5a000002",
        "srv-5b000003",
        "srv-c0000004",
        "srv-d0000005",
        "srv-e0000006",
    }
    data = inventory(tmp_path, sb, hostname="pterodactyl_node")
    names = set(hostvars(data))
    # every server shares its node's name with others: the identifier is appended to all of them
    assert "node-eu1_a1000001" in names and "node-us1_d0000005" in names and len(names) == 6


def test_hostvar_prefix(tmp_path, sb):
    data = inventory(
        tmp_path,
        sb,
        hostvar_prefix="ptero_",
        include_egg=True,
        keyed_groups=[{"key": "ptero_egg.name", "prefix": "egg"}],
    )
    lobby = hostvars(data)["lobby"]
    assert lobby["ptero_identifier"] == "a1000001"
    assert lobby["ptero_egg"]["name"] == "Paper"
    assert not any(key.startswith("pterodactyl_") for key in lobby)
    assert group_hosts(data, "ptero_node_node_eu1") == {"lobby", "survival_5a000002", "new_world"}
    assert group_hosts(data, "ptero_status_suspended") == {"creative_build"}
    assert group_hosts(data, "egg_Vanilla_Minecraft") == {"survival_5a000002", "new_world"}


def test_include_egg(tmp_path, sb):
    data = inventory(tmp_path, sb, include_egg=True)
    assert hostvars(data)["lobby"]["pterodactyl_egg"]["name"] == "Paper"
    assert group_hosts(data, "pterodactyl_egg_Vanilla_Minecraft") == {"survival_5a000002", "new_world"}
    paper = {"lobby", "survival_5b000003", JINJA_HOST, "creative_build"}
    assert group_hosts(data, "pterodactyl_egg_Paper") == paper
    assert [r["query"].get("include") for r in list_requests(sb)] == ["egg"]


def test_duplicate_names_get_the_identifier(tmp_path, sb):
    hv = hostvars(inventory(tmp_path, sb))
    assert "survival" not in hv
    assert hv["survival_5a000002"]["pterodactyl_name"] == "Survival"
    assert hv["survival_5b000003"]["pterodactyl_name"] == "Survival"
    assert hv["survival_5a000002"]["pterodactyl_node"] == "node-eu1"


# --------------------------------------------------------------------------- #
# Unsafe panel strings
# --------------------------------------------------------------------------- #


def test_jinja_in_panel_strings_stays_literal_in_list(tmp_path, sb):
    path = write_config(
        tmp_path,
        sb,
        compose={"shown_name": "pterodactyl_name"},
        hostname="{{ pterodactyl_name }}-x",
        keyed_groups=[{"key": "pterodactyl_name", "prefix": "n"}],
    )
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--list"])
    assert proc.returncode == 0, proc.stderr
    raw = json.loads(proc.stdout)
    host = JINJA_NAME + "-x"
    assert raw["_meta"]["hostvars"][host]["pterodactyl_name"] == {"__ansible_unsafe": JINJA_NAME}
    hv = plain(raw)["_meta"]["hostvars"][host]
    assert hv["pterodactyl_name"] == JINJA_NAME
    assert hv["shown_name"] == JINJA_NAME
    assert hv["pterodactyl_description"] == JINJA_DESCRIPTION
    assert "EVALUATED" not in proc.stdout.replace(JINJA_DESCRIPTION, "")
    assert not (tmp_path / "pwned-marker").exists()
    assert "\nPWNED" not in proc.stdout and '"PWNED"' not in proc.stdout


def test_jinja_in_panel_strings_stays_literal_in_playbook(tmp_path, sb):
    # the host name itself comes from the panel too: inventory_hostname must stay literal as well
    path = write_config(tmp_path, sb, name="lookup", hostname="{{ pterodactyl_name }}")
    playbook = tmp_path / "show.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "hosts": "all",
                    "gather_facts": False,
                    "tasks": [
                        {"ansible.builtin.debug": {"var": "pterodactyl_name"}},
                        {
                            "ansible.builtin.debug": {
                                "msg": "name=[{{ pterodactyl_name }}] desc=[{{ pterodactyl_description }}]"
                            }
                        },
                        {"ansible.builtin.debug": {"msg": "host=[{{ inventory_hostname }}]"}},
                    ],
                }
            ]
        )
    )
    proc = run(tmp_path, ["ansible-playbook", "-i", path, playbook])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (tmp_path / "pwned-marker").exists()
    assert f'"pterodactyl_name": "{JINJA_NAME}"' in proc.stdout
    assert f"name=[{JINJA_NAME}] desc=[{JINJA_DESCRIPTION}]" in proc.stdout
    assert f"host=[{JINJA_NAME}]" in proc.stdout
    assert "desc=[EVALUATED]" not in proc.stdout
    assert "ok=3" in proc.stdout and "failed=0" in proc.stdout


# --------------------------------------------------------------------------- #
# resources
# --------------------------------------------------------------------------- #


def test_resources_state_and_keyed_groups(tmp_path, sb):
    sb.control("POST", "/faults", json={"route": "GET /api/client/servers/5b000003/resources", "status": 500})
    proc_path = write_config(
        tmp_path,
        sb,
        resources=True,
        resources_workers=3,
        keyed_groups=[{"key": "pterodactyl_state", "prefix": "state"}],
    )
    proc = run(tmp_path, ["ansible-inventory", "-i", proc_path, "--list"])
    assert proc.returncode == 0, proc.stderr
    data = plain(json.loads(proc.stdout))
    hv = hostvars(data)
    assert hv["lobby"]["pterodactyl_state"] == "running"
    assert hv["lobby"]["pterodactyl_resources"]["state"] == "running"
    assert hv["lobby"]["pterodactyl_resources"]["limits"]["memory_bytes"] == 1024 * 1024 * 1024
    assert hv["survival_5a000002"]["pterodactyl_state"] == "offline"
    assert group_hosts(data, "state_running") == {"lobby"}
    assert group_hosts(data, "state_offline") == {"survival_5a000002", JINJA_HOST}
    # one failure: recorded on the host, a warning, no crash
    failed = hv["survival_5b000003"]
    assert failed["pterodactyl_state"] is None
    assert "HTTP 500" in failed["pterodactyl_resources_error"]
    assert "could not read the resources of server 5b000003" in proc.stderr
    # suspended / installing servers are not asked (the panel answers 409)
    assert "suspended" in hv["creative_build"]["pterodactyl_resources_error"]
    assert "installing" in hv["new_world"]["pterodactyl_resources_error"]
    asked = sorted(r["path"].split("/")[4] for r in sb.requests_log() if r["path"].endswith("/resources"))
    assert asked == ["5a000002", "5b000003", "a1000001", "c0000004"]


# --------------------------------------------------------------------------- #
# Cache
# --------------------------------------------------------------------------- #


def test_cache_hit_makes_no_request_and_never_stores_the_key(tmp_path, sb):
    cache_dir = tmp_path / "cache"
    key = sb["keys"]["owner"]
    path = write_config(
        tmp_path,
        sb,
        key=None,
        api_key="{{ lookup('ansible.builtin.env', 'MY_PANEL_KEY') }}",
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(cache_dir),
        cache_timeout=600,
        resources=True,
    )
    env = ansible_env(tmp_path, MY_PANEL_KEY=key)
    first = run(tmp_path, ["ansible-inventory", "-i", path, "--list", "-vvvv"], env=env)
    assert first.returncode == 0, first.stderr
    assert key not in first.stdout + first.stderr
    assert len(list_requests(sb)) == 1
    files = list(cache_dir.iterdir())
    assert files
    for cached in files:
        text = cached.read_text()
        assert key not in text and "Lobby" in text
    sb.control("DELETE", "/requests")

    second = run(tmp_path, ["ansible-inventory", "-i", path, "--list"], env=env)
    assert second.returncode == 0, second.stderr
    assert sb.requests_log() == []
    listed = first.stdout[first.stdout.index("\n{") + 1 :]  # -vvvv prints a header first
    assert json.loads(second.stdout) == json.loads(listed)

    # --flush-cache reads the panel again
    third = run(tmp_path, ["ansible-inventory", "-i", path, "--list", "--flush-cache"], env=env)
    assert third.returncode == 0, third.stderr
    assert len(list_requests(sb)) == 1


def test_cache_entry_for_other_options_is_not_used(tmp_path, sb):
    common = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "c")}
    inventory(tmp_path, sb, **common)
    sb.control("DELETE", "/requests")
    data = inventory(tmp_path, sb, include_egg=True, **common)
    assert len(list_requests(sb)) == 1
    assert "pterodactyl_egg" in hostvars(data)["lobby"]


# --------------------------------------------------------------------------- #
# Credentials and errors
# --------------------------------------------------------------------------- #


def test_url_and_key_from_environment_and_extra_vars(tmp_path, sb):
    path = tmp_path / "env.pterodactyl.yml"
    path.write_text(f"plugin: {PLUGIN}\n")
    env = ansible_env(tmp_path, PTERODACTYL_URL=sb["panel_url"], PTERODACTYL_API_KEY=sb["keys"]["owner"])
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--list"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert set(plain(json.loads(proc.stdout))["_meta"]["hostvars"]) == OWNER_HOSTS
    templated = write_config(
        tmp_path, sb, key=None, filename="vars", api_key="{{ panel_key }}", url="{{ panel_url }}/api/client"
    )
    proc = run(
        tmp_path,
        [
            "ansible-inventory",
            "-i",
            templated,
            "--list",
            "-e",
            f"panel_key={sb['keys']['admin']}",
            "-e",
            f"panel_url={sb['panel_url']}",
        ],
    )
    assert proc.returncode == 0, proc.stderr
    assert set(plain(json.loads(proc.stdout))["_meta"]["hostvars"]) == {"admin_test"}


def test_bad_key_is_a_clear_error(tmp_path, sb):
    bad = "ptlc_" + "x" * 43
    path = write_config(tmp_path, sb, key=None, api_key=bad)
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--list", "-vvvv"])
    assert proc.returncode != 0
    assert "HTTP 401" in proc.stderr
    assert "The API key was not accepted" in proc.stderr
    assert bad not in proc.stdout + proc.stderr
    # without unparsed_is_failed Ansible only warns, but the message is the same
    proc = run(
        tmp_path,
        ["ansible-inventory", "-i", path, "--list"],
        env=ansible_env(tmp_path, ANSIBLE_INVENTORY_UNPARSED_FAILED="false"),
    )
    assert "Pterodactyl inventory: GET /api/client failed: HTTP 401" in proc.stderr


def test_unreachable_url_is_a_clear_error(tmp_path, sb):
    path = write_config(tmp_path, sb, url=f"http://127.0.0.1:{free_port()}", timeout=5)
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--list"])
    assert proc.returncode != 0
    assert "Pterodactyl inventory: GET /api/client failed: connection refused" in proc.stderr
    assert sb["keys"]["owner"] not in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- #
# --graph
# --------------------------------------------------------------------------- #

EXPECTED_GRAPH = f"""\
@all:
  |--@ungrouped:
  |--@pterodactyl_node_node_eu1:
  |  |--lobby
  |  |--survival_5a000002
  |  |--new_world
  |--@pterodactyl_status_installed:
  |  |--lobby
  |  |--survival_5a000002
  |  |--survival_5b000003
  |  |--{JINJA_HOST}
  |--@pterodactyl_node_node_us1:
  |  |--survival_5b000003
  |  |--{JINJA_HOST}
  |  |--creative_build
  |--@pterodactyl_status_suspended:
  |  |--creative_build
  |--@pterodactyl_status_installing:
  |  |--new_world
"""


def test_graph_of_a_small_fleet(tmp_path, sb):
    """Groups and hosts appear in the panel's order (hosts are added as the pages list them)."""
    path = write_config(tmp_path, sb)
    proc = run(tmp_path, ["ansible-inventory", "-i", path, "--graph"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == EXPECTED_GRAPH


# --------------------------------------------------------------------------- #
# Long reads say how they go (at -v, on stderr)
# --------------------------------------------------------------------------- #


def test_a_long_read_reports_progress_at_verbose(tmp_path):
    big = launch(tmp_path / "sb", servers=250, virtual=True)
    try:
        slow_pages = {"route": "GET /api/client", "count": 6, "delay": 2.0}
        big.control("POST", "/faults", json=slow_pages)
        quiet = run(tmp_path, ["ansible-inventory", "-i", write_config(tmp_path, big), "--list"])
        big.control("POST", "/faults", json=slow_pages)
        told = run(tmp_path, ["ansible-inventory", "-i", write_config(tmp_path, big), "--list", "-v"])
    finally:
        assert big.stop() == 0, big.log()
    assert quiet.returncode == 0 and told.returncode == 0, told.stderr
    assert "pterodactyl inventory:" not in quiet.stderr + quiet.stdout
    lines = [line for line in told.stderr.splitlines() if line.startswith("pterodactyl inventory: ")]
    assert lines, told.stderr
    assert all(" of 250 servers listed after " in line for line in lines), lines
    assert lines[-1].endswith(
        "250 of 250 servers listed after " + lines[-1].split(" after ")[1].split(",")[0] + ", done"
    )
    assert "pterodactyl inventory:" not in told.stdout  # the --list JSON stays clean
    listed = told.stdout[told.stdout.index("{") :]  # -v also prints which config file is used
    assert len(hostvars(plain(json.loads(listed)))) == 250
