# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pterodactyl 1.12 in the field, and the hints users asked for, through real playbooks.

* ``serv_`` identifiers (``--server-identifiers serv``): the inventory hands them out, every module
  takes them as they are (no name lookup), power and commands work, against Wings 1.12's limits.
* A Wings node's address given as ``url`` is named as such; a missing ``api_key`` names
  ``PTERODACTYL_API_KEY``.
"""

from __future__ import annotations

import json

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import listed_hostvars, play_header  # noqa: E402  pylint: disable=wrong-import-position

SERV_PLAYBOOK = """\
- name: Every server of the inventory, by its serv_ identifier
  hosts: all
  gather_facts: false
  module_defaults:
    group/gameops.pterodactyl.all:
      url: "{{ panel_url }}"
      api_key: "{{ api_key }}"
  tasks:
    - name: Read the server
      gameops.pterodactyl.server_info:
        server: "{{ pterodactyl_identifier }}"
      register: info

    - name: Start it
      gameops.pterodactyl.server_power:
        server: "{{ pterodactyl_identifier }}"
        state: started
      register: power

    - name: Ask who is online
      gameops.pterodactyl.server_command:
        server: "{{ pterodactyl_identifier }}"
        command: list
        wait_for: players online
      register: who

    - name: Keep the results
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/{{ inventory_hostname }}.json"
        content: "{{ {'id': pterodactyl_identifier, 'info': info, 'power': power, 'who': who} | to_json }}"
        mode: "0600"
      delegate_to: localhost
"""


def test_serv_identifiers_work_end_to_end(quality_sandbox, runner):
    sandbox = quality_sandbox(servers=2, server_identifiers="serv", version="1.12")
    source = runner.inventory_source(sandbox)
    listed = runner.inventory(source)
    assert listed.returncode == 0, listed.stderr
    hostvars = listed_hostvars(listed)
    assert len(hostvars) == 2 and all(hv["pterodactyl_identifier"].startswith("serv_") for hv in hostvars.values())
    sandbox.control("DELETE", "/requests")
    extra = runner.write(
        "vars.json", json.dumps({"panel_url": sandbox["panel_url"], "api_key": sandbox["keys"]["owner"]})
    )
    playbook = runner.write("serv.yml", SERV_PLAYBOOK)
    ran = runner.run("ansible-playbook", "-i", source, playbook, "-e", f"@{extra}")
    assert ran.returncode == 0, ran.stdout[-4000:]
    for host in hostvars:
        result = json.loads((runner.folder / f"{host}.json").read_text())
        assert [server["identifier"] for server in result["info"]["servers"]] == [result["id"]]
        assert result["power"]["state"] == "running" and result["who"]["matched"]
    lookups = [entry for entry in sandbox.requests_log() if "filter[name]" in entry["query"]]
    assert lookups == [], "a serv_ identifier must be used as is, not looked up by name"


WINGS_PLAYBOOK = (
    play_header("The node's address given as the panel's")
    + """\
    - name: List the servers
      gameops.pterodactyl.server_info:
      register: listed
      failed_when: false

    - name: List the servers without a key
      gameops.pterodactyl.server_info:
        api_key: "{{ omit }}"
      environment:
        PTERODACTYL_API_KEY: ""
      register: keyless
      failed_when: false

    - name: Keep the results
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/wings.json"
        content: "{{ [listed, keyless] | to_json }}"
        mode: "0600"
"""
)


def test_a_wings_address_and_a_missing_key_are_named(quality_sandbox, runner):
    sandbox = quality_sandbox(servers=1, virtual=True)
    playbook = runner.write("wings.yml", WINGS_PLAYBOOK)
    extra = runner.write(
        "vars.json", json.dumps({"panel_url": sandbox["wings_url"], "api_key": sandbox["keys"]["owner"]})
    )
    ran = runner.run("ansible-playbook", playbook, "-e", f"@{extra}", env={"PTERODACTYL_API_KEY": ""})
    assert ran.returncode == 0, ran.stdout[-4000:]
    listed, keyless = json.loads((runner.folder / "wings.json").read_text())
    assert listed["failure"]["status"] == 404
    assert "Wings node" in listed["msg"] and "set url to the panel's address" in listed["msg"]
    assert keyless["failure"]["code"] == "InvalidOption"
    assert keyless["msg"].startswith("api_key is") and "PTERODACTYL_API_KEY" in keyless["msg"]
