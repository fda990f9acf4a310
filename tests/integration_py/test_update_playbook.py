# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/update.yml through the inventory plugin: a group updated a batch at a time (``serial``), and a
rollout whose new version crashes stopped after the first batch (``max_fail_percentage``), each of its
servers rolled back, the servers of later batches never touched."""

from __future__ import annotations

import json

import pytest
import yaml

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import ROOT  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.timeout(900)

STARTUP_FLEET = ROOT / "tests" / "integration" / "fleets" / "startup.yml"
PLAYBOOK = ROOT / "playbooks" / "update.yml"
SERVERS = ("mc-1", "mc-2", "mc-3")


def fleet(tmp_path):
    """The startup targets' fleet (its Paper egg: 1.99 crashes at boot), with three running Paper servers."""
    content = yaml.safe_load(STARTUP_FLEET.read_text(encoding="utf-8"))
    content["servers"] = [
        {
            "name": name,
            "node": "node-eu1",
            "egg": "Paper",
            "state": "running",
            "variables": {"MINECRAFT_VERSION": "1.20.4"},
            "feature_limits": {"databases": 0, "allocations": 0, "backups": 5},
        }
        for name in SERVERS
    ]
    path = tmp_path / "fleet.yml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def versions(sandbox) -> dict:
    """Each server's MINECRAFT_VERSION as the panel's startup route gives it."""
    found = {}
    for name in SERVERS:
        identifier = sandbox.server(name)["identifier"]
        data = sandbox.api("GET", f"/api/client/servers/{identifier}/startup").json()["data"]
        values = {item["attributes"]["env_variable"]: item["attributes"]["server_value"] for item in data}
        found[name] = values["MINECRAFT_VERSION"]
    return found


def test_a_group_is_updated_in_batches_and_a_crashing_version_is_rolled_back(tmp_path, quality_sandbox, runner):
    sandbox = quality_sandbox(fleet=str(fleet(tmp_path)))
    sandbox.control("PATCH", "/settings", json={"backup_throttle": {"count": 50, "period": 600}})
    source = runner.inventory_source(sandbox, include_egg=True)  # the egg groups
    env = {"PTERODACTYL_URL": sandbox["panel_url"], "PTERODACTYL_API_KEY": sandbox["keys"]["owner"]}
    common = ["-e", "update_hosts=pterodactyl_egg_Paper", "-e", "update_serial=2", "-e", "update_stable_for=2"]

    def update(version: str):
        extra = json.dumps({"update_variables": {"MINECRAFT_VERSION": version}})
        return runner.run("ansible-playbook", "-i", source, PLAYBOOK, *common, "-e", extra, env=env, timeout=600)

    ran = update("1.21.1")
    assert ran.returncode == 0, ran.stdout[-5000:]
    assert versions(sandbox) == dict.fromkeys(SERVERS, "1.21.1"), ran.stdout[-5000:]
    assert ran.stdout.count('"status": "updated"') == 3, ran.stdout[-5000:]
    batches = [line for line in ran.stdout.splitlines() if line.startswith("PLAY [")]
    assert len(batches) == 2, batches  # serial 2 over 3 servers: two batches

    third = sandbox.server("mc-3")["identifier"]
    before = len(sandbox.requests_log())
    ran = update("1.99")
    assert ran.returncode != 0, ran.stdout[-5000:]
    assert "Rolled back: files restored from the backup" in ran.stdout, ran.stdout[-5000:]
    # the first batch failed and was rolled back; max_fail_percentage 0 stopped the rollout before mc-3
    assert "NO MORE HOSTS LEFT" in ran.stdout, ran.stdout[-5000:]
    touched = [entry for entry in sandbox.requests_log()[before:] if third in entry["path"]]
    assert touched == [], touched  # the third server was in the batch that never started
    assert versions(sandbox) == dict.fromkeys(SERVERS, "1.21.1")
    for name in SERVERS:
        state = sandbox.api("GET", f"/api/client/servers/{sandbox.server(name)['identifier']}/resources").json()
        assert state["attributes"]["current_state"] == "running", (name, state)
