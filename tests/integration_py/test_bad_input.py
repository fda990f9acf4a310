# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input that needs more than a playbook role: a key of another panel, server names and
descriptions with Jinja syntax (modules and inventory host variables in a play), and the
inventory plugin's own bad options.

The modules' other bad-input cases are the integration target tests/integration/targets/bad_input.
"""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import FLEETS, listed_hostvars, play_header, secrets_of  # noqa: E402  pylint: disable=wrong-import-position

JINJA_FLEET = FLEETS / "jinja.yml"


def no_traceback_nor_key(text: str, *sandboxes) -> None:
    assert "Traceback" not in text, text[-6000:]
    assert "MODULE FAILURE" not in text, text[-6000:]
    for sandbox in sandboxes:
        for key in secrets_of(sandbox):
            assert key not in text


def write_vars(runner, sandbox, key: str, **extra) -> str:
    data = {"panel_url": sandbox["panel_url"], "api_key": key}
    data.update(extra)
    return f"@{runner.write('vars.json', json.dumps(data))}"


# --------------------------------------------------------------------------- #
# A key of another panel
# --------------------------------------------------------------------------- #

FOREIGN_PLAYBOOK = (
    play_header("A valid-looking key of another panel")
    + """\
    - name: List the servers
      gameops.pterodactyl.server_info:
      register: foreign_list
      failed_when: false

    - name: Start a server
      gameops.pterodactyl.server_power:
        server: "{{ beta }}"
        state: started
      register: foreign_power
      failed_when: false

    - name: Send a command
      gameops.pterodactyl.server_command:
        server: "{{ alpha }}"
        command: say from another panel
      register: foreign_command
      failed_when: false

    - name: Keep the results
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/foreign.json"
        content: "{{ [foreign_list, foreign_power, foreign_command] | to_json }}"
        mode: "0600"
"""
)


def test_key_of_another_panel(quality_sandbox, runner):
    here = quality_sandbox()
    there = quality_sandbox(servers=2, virtual=True)
    foreign_key = there["keys"]["owner"]
    assert foreign_key.startswith("ptlc_") and len(foreign_key) == 48
    playbook = runner.write("foreign.yml", FOREIGN_PLAYBOOK)
    extra = write_vars(
        runner, here, foreign_key, alpha=here.server("alpha")["identifier"], beta=here.server("beta")["identifier"]
    )
    result = runner.run("ansible-playbook", playbook, "-e", extra)
    no_traceback_nor_key(result.stdout + result.stderr, here, there)
    assert result.returncode == 0, result.stdout[-6000:]
    results = json.loads((runner.folder / "foreign.json").read_text())
    for item in results:
        assert item["failure"]["status"] == 401, item
        assert "The API key was not accepted" in item["msg"], item["msg"]
        assert "Account > API Credentials" in item["msg"]
    assert results[2]["sent"] == []
    log = here.requests_log()
    assert [entry["status"] for entry in log] == [401, 401, 401], log
    assert [entry["user"] for entry in log] == [None, None, None]
    beta = here.control("GET", f"/servers/{here.server('beta')['identifier']}").json()
    assert beta["state"] == "offline"

    inventory = runner.inventory(runner.inventory_source(here, api_key=foreign_key))
    no_traceback_nor_key(inventory.stdout + inventory.stderr, here, there)
    assert inventory.returncode != 0
    assert "Pterodactyl inventory: GET /api/client failed: HTTP 401" in inventory.stderr
    assert "The API key was not accepted" in inventory.stderr


# --------------------------------------------------------------------------- #
# Jinja syntax in what the panel returns
# --------------------------------------------------------------------------- #

JINJA_PLAYBOOK = (
    play_header("Servers with Jinja in their names, through the modules")
    + """\
    - name: List every server
      gameops.pterodactyl.server_info:
      register: listing

    - name: Read each one again by its name, as the panel returned it
      gameops.pterodactyl.server_info:
        server: "{{ item.name }}"
      loop: "{{ listing.servers }}"
      loop_control:
        label: "{{ item.identifier }}"
      register: by_name

    - name: Check each server's state and resources, by name
      gameops.pterodactyl.resource_facts:
        server: "{{ listing.servers[0].name }}"
      register: facts_by_name

    - name: Show a name
      ansible.builtin.debug:
        msg: "name={{ listing.servers[0].name }}"

    - name: Keep what the modules returned
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/modules.json"
        content: "{{ {'listing': listing.servers, 'by_name': by_name.results | map(attribute='servers') | list,
                      'facts_name': facts_by_name.ansible_facts.pterodactyl_resources.name} | to_json }}"
        mode: "0600"

- name: The same servers as inventory hosts
  hosts: all
  gather_facts: false
  tasks:
    - name: Show the host variables
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}: {{ pterodactyl_name }} / {{ pterodactyl_description }}"

    - name: Read the server by its name from the host variables
      gameops.pterodactyl.server_info:
        url: "{{ panel_url }}"
        api_key: "{{ api_key }}"
        server: "{{ pterodactyl_name }}"
      register: from_hostvars

    - name: Keep the host variables and the module's answer
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/host-{{ pterodactyl_identifier }}.json"
        content: "{{ {'hostname': inventory_hostname, 'name': pterodactyl_name, 'description': pterodactyl_description,
                      'external_id': pterodactyl_external_id | default(none), 'group_names': group_names,
                      'module_name': from_hostvars.servers[0].name} | to_json }}"
        mode: "0600"
"""
)


def pwned(folder: pathlib.Path) -> list:
    return sorted(str(path) for path in folder.rglob("pwned-*"))


def test_jinja_in_names_is_never_templated(quality_sandbox, runner):
    sandbox = quality_sandbox(fleet=str(JINJA_FLEET), virtual=True)
    fleet = {server["identifier"]: server for server in yaml.safe_load(JINJA_FLEET.read_text())["servers"]}
    playbook = runner.write("jinja.yml", JINJA_PLAYBOOK)
    source = runner.inventory_source(sandbox, hostname="pterodactyl_identifier")
    result = runner.run(
        "ansible-playbook",
        "-i",
        source,
        playbook,
        "-e",
        write_vars(runner, sandbox, sandbox["keys"]["owner"]),
        env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"},
    )
    output = result.stdout + result.stderr
    no_traceback_nor_key(output, sandbox)
    assert result.returncode == 0, output[-6000:]
    assert pwned(runner.folder.parent) == [] and pwned(pathlib.Path.cwd()) == []

    modules = json.loads((runner.folder / "modules.json").read_text())
    returned = {server["identifier"]: server for server in modules["listing"]}
    assert sorted(returned) == sorted(fleet)
    for identifier, server in fleet.items():
        assert returned[identifier]["name"] == server["name"]
        assert returned[identifier]["description"] == server["description"]
    for found in modules["by_name"]:
        assert len(found) == 1 and found[0]["name"] == fleet[found[0]["identifier"]]["name"]
    assert modules["facts_name"] == modules["listing"][0]["name"]
    assert "name=" + modules["listing"][0]["name"] in output

    for identifier, server in fleet.items():
        host = json.loads((runner.folder / f"host-{identifier}.json").read_text())
        assert host["hostname"] == identifier
        assert host["name"] == server["name"]
        assert host["description"] == server["description"]
        assert host["module_name"] == server["name"]
        assert f"{identifier}: {server['name']} / {server['description']}" in output

    listed = runner.inventory(source)
    assert listed.returncode == 0, listed.stderr
    hostvars = listed_hostvars(listed)
    for identifier, server in fleet.items():
        assert hostvars[identifier]["pterodactyl_name"] == server["name"]
        assert hostvars[identifier]["pterodactyl_description"] == server["description"]
    assert pwned(runner.folder.parent) == [] and pwned(pathlib.Path.cwd()) == []


# --------------------------------------------------------------------------- #
# The inventory plugin's bad options
# --------------------------------------------------------------------------- #

INVENTORY_CASES = {
    "ftp scheme": ({"url": "ftp://127.0.0.1:21"}, "must start with https:// or http://"),
    "nobody listening": (
        {"url": "http://127.0.0.1:1", "retries": 0},
        "GET /api/client failed: connection refused (127.0.0.1:1)",
    ),
    "empty key": ({"api_key": ""}, "api_key is empty"),
    "application key": ({"api_key": "application"}, "application API key"),
    "unknown key": ({"api_key": "ptlc_" + "A" * 43}, "HTTP 401"),
}


@pytest.fixture(scope="module")
def shared_sandbox(tmp_path_factory):
    from sandbox.launcher import launch  # pylint: disable=import-outside-toplevel

    sandbox = launch(tmp_path_factory.mktemp("bad-input"), servers=3, virtual=True)
    yield sandbox
    assert sandbox.stop() == 0, sandbox.log()


@pytest.mark.parametrize("case", sorted(INVENTORY_CASES))
def test_inventory_bad_options(case, shared_sandbox, runner):  # pylint: disable=redefined-outer-name
    options, expected = INVENTORY_CASES[case]
    if options.get("api_key") == "application":
        options = dict(options, api_key=shared_sandbox["keys"]["application"])
    result = runner.inventory(runner.inventory_source(shared_sandbox, **options))
    no_traceback_nor_key(result.stdout + result.stderr, shared_sandbox)
    assert result.returncode != 0
    assert "Pterodactyl inventory: " in result.stderr
    assert expected in result.stderr, result.stderr


def test_inventory_url_with_api_suffix(shared_sandbox, runner):  # pylint: disable=redefined-outer-name
    source = runner.inventory_source(shared_sandbox, url=shared_sandbox["panel_url"] + "/api/client/")
    result = runner.inventory(source)
    assert result.returncode == 0, result.stderr
    assert sorted(host["pterodactyl_identifier"] for host in listed_hostvars(result).values()) == sorted(
        server["identifier"] for server in shared_sandbox["servers"]
    )
