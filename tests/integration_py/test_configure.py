# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/configure.yml through the inventory plugin: the first run writes, restarts only the
servers whose files changed and checks the new setting on their consoles; the second changes nothing
and restarts nothing."""

from __future__ import annotations

import pathlib

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import ROOT  # noqa: E402  pylint: disable=wrong-import-position

FLEET = ROOT / "tests" / "integration" / "fleets" / "files.yml"
PLAYBOOK = ROOT / "playbooks" / "configure.yml"


def power_posts(sandbox) -> list[str]:
    return [entry["path"] for entry in sandbox.requests_log() if entry["path"].endswith("/power")]


def test_configure_writes_restarts_what_changed_then_nothing(quality_sandbox, runner):
    sandbox = quality_sandbox(fleet=str(FLEET))
    source = runner.inventory_source(sandbox)
    hosts = ["-e", "configure_hosts=lobby,survival"]
    env = {"PTERODACTYL_URL": sandbox["panel_url"], "PTERODACTYL_API_KEY": sandbox["keys"]["owner"]}
    first = runner.run("ansible-playbook", "-i", source, PLAYBOOK, *hosts, env=env, timeout=240)
    assert first.returncode == 0, first.stdout[-5000:]
    assert "RUNNING HANDLER [Restart the server]" in first.stdout
    assert "RUNNING HANDLER [Check the new setting]" in first.stdout
    lobby = sandbox.server("lobby")
    config = pathlib.Path(lobby["data_dir"]) / "plugins" / "Greeter" / "config.yml"
    assert 'greeting: "Welcome to lobby!"' in config.read_text()
    properties = (pathlib.Path(lobby["data_dir"]) / "server.properties").read_text()
    assert "max-players=40" in properties and "motd=lobby - managed by Ansible" in properties
    sandbox.control("DELETE", "/requests")
    second = runner.run("ansible-playbook", "-i", source, PLAYBOOK, *hosts, env=env, timeout=240)
    assert second.returncode == 0, second.stdout[-5000:]
    assert "changed=0" in second.stdout and "RUNNING HANDLER" not in second.stdout
    assert power_posts(sandbox) == []
