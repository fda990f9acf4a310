"""A play over several servers at once, with forks, against one sandbox."""

from __future__ import annotations

import json
import pathlib

from support import HERE, ansible_env, run_playbook

SERVERS = 8
FORKS = 4


def write_inventory(sandbox: dict, path: pathlib.Path) -> pathlib.Path:
    """A YAML inventory: identifiers stay strings (INI would read 13843e08 as a float)."""
    hosts = {
        server["name"]: {"pterodactyl_identifier": server["identifier"], "ansible_connection": "local"}
        for server in sandbox["servers"]
    }
    inventory = {
        "game": {"hosts": hosts, "vars": {"panel_url": sandbox["panel_url"], "api_key": sandbox["keys"]["owner"]}}
    }
    path.write_text(json.dumps(inventory))
    return path


def test_play_over_several_servers_with_forks(start_sandbox, tmp_path: pathlib.Path) -> None:
    sandbox = start_sandbox(servers=SERVERS)
    inventory = write_inventory(sandbox, tmp_path / "hosts.yml")
    result = run_playbook(HERE / "playbooks" / "forks.yml", "-i", str(inventory), "-f", str(FORKS), env=ansible_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    log = sandbox.requests_log()
    commands = [entry for entry in log if entry["method"] == "POST" and entry["path"].endswith("/command")]
    power = [entry for entry in log if entry["method"] == "POST" and entry["path"].endswith("/power")]
    assert sorted(entry["path"].split("/")[4] for entry in commands) == sorted(
        s["identifier"] for s in sandbox["servers"]
    )
    assert len(power) == 2 * SERVERS
    assert all(entry["status"] == 204 for entry in commands + power)
    for server in sandbox["servers"]:
        assert f"{server['name']}" in output
    assert output.count("changed=3") == SERVERS  # start, command, stop
