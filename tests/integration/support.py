"""Helpers for the integration targets: Ansible's environment, the target's variables, playbook runs.

The sandbox comes from the ``start_sandbox`` fixture of tests/conftest.py (over sandbox.launcher);
the collection link and the environment from hack.devenv.
"""

from __future__ import annotations

import json
import pathlib
import subprocess

from hack import devenv

HERE = pathlib.Path(__file__).resolve().parent


def ansible_env(**extra: str) -> dict:
    """hack.devenv's environment, with the targets folder as ANSIBLE_ROLES_PATH."""
    return devenv.ansible_env(ANSIBLE_ROLES_PATH=str(HERE / "targets"), **extra)


def sandbox_vars(sandbox: dict, path: pathlib.Path) -> pathlib.Path:
    """Write the variables a target sees: `sandbox` (the ready file) and `servers` by name."""
    servers = {}
    for server in sandbox["servers"]:
        servers.setdefault(server["name"], server)
    ready = dict(sandbox.items())
    path.write_text(json.dumps({"sandbox": ready, "servers": servers}))
    return path


def run_playbook(
    playbook: pathlib.Path, *args: str, env: dict | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [devenv.tool("ansible-playbook"), str(playbook), *args],
        env=env or ansible_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
