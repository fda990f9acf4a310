# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret leaks: a playbook that uses every module (successes, failures, token refreshes on the
websocket) and the inventory plugin (with a JSON file cache) runs with -vvvv; everything printed,
Ansible's log file, every returned value and every cache file is scanned for the API keys of the
sandbox and for anything shaped like a websocket token (JWT). Zero occurrences are allowed.
"""

from __future__ import annotations

import json
import re

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import FLEETS, JWT_PATTERN, secrets_of  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = """
- name: Every module, with -vvvv
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/gameops.pterodactyl.all:
      url: "{{ panel_url }}"
      api_key: "{{ keys.owner }}"
  tasks:
    - name: List the servers
      gameops.pterodactyl.server_info:
        include: [egg, subusers]
      register: r_list

    - name: Read one server by name
      gameops.pterodactyl.server_info:
        server: alpha
      register: r_one

    - name: Start beta and wait
      gameops.pterodactyl.server_power:
        server: beta
        state: started
      register: r_start

    - name: Stop beta and wait
      gameops.pterodactyl.server_power:
        server: beta
        state: stopped
      register: r_stop

    - name: Ask chatty who is online
      gameops.pterodactyl.server_command:
        server: chatty
        command: list
        wait_for: players online
      register: r_command

    - name: Read alpha's resources, cached and live
      gameops.pterodactyl.resource_facts:
        server: alpha
        fresh: "{{ item }}"
      loop: [false, true]
      register: r_facts

    - name: Read alpha's activity
      gameops.pterodactyl.activity_info:
        server: alpha
      register: r_activity

    - name: Follow chatty's console longer than a websocket token lives
      gameops.pterodactyl.server_console_info:
        server: chatty
        lines: 20
        follow: 7
      register: r_console

    - name: Use the application key
      gameops.pterodactyl.server_info:
        api_key: "{{ keys.application }}"
        server: alpha
      register: r_application
      failed_when: false

    - name: Use another user's key
      gameops.pterodactyl.server_power:
        api_key: "{{ keys.other }}"
        server: "{{ alpha }}"
        state: stopped
      register: r_other
      failed_when: false

    - name: Use the subuser's key for a command it may not send
      gameops.pterodactyl.server_command:
        api_key: "{{ keys.subuser }}"
        server: "{{ alpha }}"
        command: say not allowed
      register: r_subuser
      failed_when: false

    - name: Use a key the panel does not know
      gameops.pterodactyl.activity_info:
        api_key: "{{ keys.owner[:-4] }}XXXX"
        server: "{{ alpha }}"
      register: r_unknown
      failed_when: false

    - name: Keep every returned value
      ansible.builtin.copy:
        dest: "{{ results_path }}"
        content: "{{ [r_list, r_one, r_start, r_stop, r_command, r_facts, r_activity, r_console,
                      r_application, r_other, r_subuser, r_unknown] | to_nice_json }}"
        mode: "0600"

- name: The inventory's hosts, with -vvvv
  hosts: all
  gather_facts: false
  tasks:
    - name: Show every host variable the inventory gave (not the extra vars, which hold the keys)
      ansible.builtin.debug:
        msg: "{{ hostvars[inventory_hostname] | dict2items
          | selectattr('key', 'match', '(pterodactyl|ansible)_') | items2dict }}"

    - name: Read each host's server
      gameops.pterodactyl.server_info:
        url: "{{ panel_url }}"
        api_key: "{{ keys.owner }}"
        server: "{{ pterodactyl_identifier }}"
      register: r_host

    - name: Keep the host's returned value
      ansible.builtin.copy:
        dest: "{{ results_path }}.{{ inventory_hostname }}"
        content: "{{ r_host | to_nice_json }}"
        mode: "0600"
"""


def test_nothing_secret_is_printed_returned_or_cached(quality_sandbox, runner):
    sandbox = quality_sandbox(fleet=str(FLEETS / "faults.yml"), token_ttl=5)
    secrets = secrets_of(sandbox)
    assert len(secrets) >= 5
    cache = runner.folder / "cache"
    log_file = runner.folder / "ansible.log"
    results = runner.folder / "results.json"
    source = runner.inventory_source(
        sandbox,
        resources=True,
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(cache),
        cache_timeout=300,
    )
    extra = runner.write(
        "vars.json",
        json.dumps(
            {
                "panel_url": sandbox["panel_url"],
                "keys": sandbox["keys"],
                "results_path": str(results),
                "alpha": sandbox.server("alpha")["identifier"],
            }
        ),
    )
    env = {"ANSIBLE_LOG_PATH": str(log_file), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"}
    play = runner.run(
        "ansible-playbook", "-vvvv", "-i", source, "-e", f"@{extra}", runner.write("secrets.yml", PLAYBOOK), env=env
    )
    assert play.returncode == 0, play.stdout[-8000:]
    cached_list = runner.run("ansible-inventory", "-vvvv", "-i", source, "--list", env=env)
    flushed_list = runner.run("ansible-inventory", "-vvvv", "-i", source, "--list", "--flush-cache", env=env)
    assert cached_list.returncode == 0 and flushed_list.returncode == 0, cached_list.stderr + flushed_list.stderr

    texts = {
        "ansible-playbook output": play.stdout + play.stderr,
        "ansible-inventory output (cache hit)": cached_list.stdout + cached_list.stderr,
        "ansible-inventory output (flush)": flushed_list.stdout + flushed_list.stderr,
        "ansible log": log_file.read_text(encoding="utf-8", errors="replace"),
    }
    for path in sorted(runner.folder.glob("results.json*")):
        texts[path.name] = path.read_text(encoding="utf-8")
    cache_files = sorted(path for path in cache.rglob("*") if path.is_file())
    for path in cache_files:
        texts["cache " + path.name] = path.read_text(encoding="utf-8", errors="replace")

    # the scan is not vacuous: the runs did what they should, at the verbosity asked
    returned = json.loads(results.read_text(encoding="utf-8"))
    assert returned[4]["matched"] is True and returned[7]["output"], returned[7]
    assert [returned[i]["failure"]["status"] for i in (8, 9, 10, 11)] == [403, 404, 403, 401]
    assert len(cache_files) >= 1 and sandbox.server("alpha")["identifier"] in texts["cache " + cache_files[0].name]
    assert (
        f"pterodactyl inventory: {len(sandbox['servers'])} servers from the cache"
        in texts["ansible-inventory output (cache hit)"]
    )
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in texts["ansible-playbook output"]
    assert "ESTABLISH LOCAL CONNECTION" in texts["ansible-playbook output"]
    assert '"pterodactyl_uuid": ' in texts["ansible-playbook output"]
    assert len(list(runner.folder.glob("results.json.*"))) == len(sandbox["servers"])
    chatty = f"/api/client/servers/{sandbox.server('chatty')['identifier']}/websocket"
    credentials = [entry for entry in sandbox.requests_log() if entry["path"] == chatty]
    assert len(credentials) >= 3, f"the websocket tokens were not refreshed: {len(credentials)} fetched"

    leaks = []
    for name, text in texts.items():
        for secret in secrets:
            if secret in text:
                leaks.append(f"{name}: API key {secret[:9]}...")
        for token in re.findall(JWT_PATTERN, text):
            leaks.append(f"{name}: websocket token {token[:12]}...")
    assert not leaks, leaks
