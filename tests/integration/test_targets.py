"""Every role under tests/integration/targets, run with ansible-playbook against its own sandbox.

A target may hold `sandbox.json` with extra sandbox CLI options (for example a low rate limit
or a short websocket token lifetime); the default is the fleet in tests/integration/fleet.yml.
After the play, the sandbox is stopped and must exit cleanly with no process left.
"""

from __future__ import annotations

import json
import pathlib

import pytest
from support import HERE, run_playbook, sandbox_vars

TARGETS = sorted(path.name for path in (HERE / "targets").iterdir() if (path / "tasks" / "main.yml").is_file())


def target_options(target: str) -> dict:
    options = {"fleet": str(HERE / "fleet.yml")}
    extra = HERE / "targets" / target / "sandbox.json"
    if extra.is_file():
        options.update(json.loads(extra.read_text()))
    return options


@pytest.mark.timeout(900)  # a target is a whole play: the longest (rolling_restart) restarts a server 8 times
@pytest.mark.parametrize("target", TARGETS)
def test_target(target: str, start_sandbox, tmp_path: pathlib.Path) -> None:
    sandbox = start_sandbox(**target_options(target))
    variables = sandbox_vars(sandbox, tmp_path / "vars.json")
    result = run_playbook(HERE / "run_target.yml", "-e", f"target={target}", "-e", f"sandbox_vars={variables}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"target {target} failed:\n{output[-12000:]}"
    assert "Traceback" not in output, output[-12000:]
    for key in sandbox["keys"].values():
        assert key not in output, f"an API key appeared in the output of {target}"
