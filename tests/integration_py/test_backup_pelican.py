# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_backup and server_backup_info on a Pelican panel (reference panel-client-api-config.md §3.5):
the backup object's extra ``is_scheduled`` is not returned, a restore really puts the files back,
a deleted backup no longer counts for the creation throttle, and the restore throttle (3 per 15 min)
fails the fourth restore with the panel's text and when the next one is allowed, nothing changed."""

from __future__ import annotations

import json

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import ROOT, play_header, secrets_of  # noqa: E402  pylint: disable=wrong-import-position

FLEET = ROOT / "tests" / "integration" / "fleets" / "backups.yml"

PLAYBOOK = (
    play_header("Backups on Pelican")
    + """\
    - name: Make a backup
      gameops.pterodactyl.server_backup:
        server: "{{ world }}"
        name: first
      register: made

    - name: Make it again
      gameops.pterodactyl.server_backup:
        server: "{{ world }}"
        name: first
      register: again

    - name: Change a file after the backup
      gameops.pterodactyl.server_file:
        server: "{{ world }}"
        path: server.properties
        content: "motd=changed on pelican\\n"

    - name: Restore it, truncating, then three more times (the panel allows 3 per 15 minutes)
      gameops.pterodactyl.server_backup:
        server: "{{ world }}"
        name: first
        state: restored
        truncate: true
        rate_limit_wait: 2
      loop: [1, 2, 3, 4]
      register: restores
      failed_when: false

    - name: Read the file
      gameops.pterodactyl.server_file_info:
        server: "{{ world }}"
        path: server.properties
        content: true
      register: after

    - name: Delete the backup, and make two more (the throttle allows 2)
      gameops.pterodactyl.server_backup:
        server: "{{ world }}"
        name: "{{ item.name }}"
        state: "{{ item.state | default('present') }}"
      loop:
        - {name: first, state: absent}
        - {name: second}
        - {name: third}
      register: more

    - name: Read the backups
      gameops.pterodactyl.server_backup_info:
        server: "{{ world }}"
      register: listed

    - name: Keep the results
      ansible.builtin.copy:
        dest: "{{ playbook_dir }}/results.json"
        content: "{{ {'made': made, 'again': again, 'restores': restores.results, 'after': after,
                      'more': more.results, 'listed': listed} | to_json }}"
        mode: "0600"
"""
)


def test_backups_on_pelican(quality_sandbox, runner):
    sandbox = quality_sandbox(fleet=str(FLEET), flavor="pelican")
    assert sandbox["flavor"] == "pelican"
    world = sandbox.server("world")["identifier"]
    playbook = runner.write("pelican.yml", PLAYBOOK)
    variables = {"panel_url": sandbox["panel_url"], "api_key": sandbox["keys"]["owner"], "world": world}
    extra = runner.write("vars.json", json.dumps(variables))
    ran = runner.run("ansible-playbook", playbook, "-e", f"@{extra}", timeout=240)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output[-6000:]
    assert "Traceback" not in output
    for secret in secrets_of(sandbox):
        assert secret not in output
    results = json.loads((runner.folder / "results.json").read_text())
    made, again = results["made"], results["again"]
    assert made["changed"] and made["backup"]["state"] == "successful" and made["waited_with"] == "websocket"
    assert "is_scheduled" not in made["backup"]
    assert not again["changed"] and again["backup"]["uuid"] == made["backup"]["uuid"]
    restores = results["restores"]
    assert [r["changed"] for r in restores] == [True, True, True, False], restores
    assert restores[3]["failure"]["status"] == 429
    assert "Too Many Attempts." in restores[3]["msg"], restores[3]["msg"]
    assert "3 restores of a server per 15 minutes" in restores[3]["msg"]
    assert "The next one is allowed in" in restores[3]["msg"]
    assert "changed on pelican" not in results["after"]["content"]
    assert "motd=" in results["after"]["content"]
    more = results["more"]
    assert all(r["changed"] for r in more), more  # the deleted backup does not count on Pelican
    assert [b["name"] for b in results["listed"]["backups"]] == ["third", "second"]
    assert all("is_scheduled" not in b for b in results["listed"]["backups"])
