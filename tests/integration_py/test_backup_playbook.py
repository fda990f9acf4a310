# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml through the inventory plugin: every server backed up, old backups rotated,
and a summary of sizes and ages."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import ROOT  # noqa: E402  pylint: disable=wrong-import-position

FLEET = ROOT / "tests" / "integration" / "fleets" / "backups.yml"
PLAYBOOK = ROOT / "playbooks" / "backup.yml"


def test_nightly_backups_rotate_and_are_summarized(quality_sandbox, runner):
    sandbox = quality_sandbox(fleet=str(FLEET))
    sandbox.control("PATCH", "/settings", json={"backup_throttle": {"count": 50, "period": 600}})
    quiet = sandbox.server("quiet")["identifier"]
    sandbox.control("PATCH", f"/servers/{quiet}", json={"feature_limits": {"backups": 4}})
    source = runner.inventory_source(sandbox)
    env = {"PTERODACTYL_URL": sandbox["panel_url"], "PTERODACTYL_API_KEY": sandbox["keys"]["owner"]}
    for night in ("2026-12-01", "2026-12-02", "2026-12-03"):
        extra = ["-e", f"backup_name=nightly-{night}", "-e", "backup_keep=2"]  # every host of the inventory
        ran = runner.run("ansible-playbook", "-i", source, PLAYBOOK, *extra, env=env, timeout=240)
        assert ran.returncode == 0, ran.stdout[-5000:]
    for server in ("world", "quiet"):
        identifier = sandbox.server(server)["identifier"]
        listed = sandbox.api("GET", f"/api/client/servers/{identifier}/backups").json()["data"]
        names = sorted(item["attributes"]["name"] for item in listed)
        assert names == ["nightly-2026-12-02", "nightly-2026-12-03"], server
        summary = [line for line in ran.stdout.splitlines() if f"{server}:" in line]
        assert summary and "MiB" in summary[0] and "min old" in summary[0] and "2 kept, 0 failed" in summary[0]
