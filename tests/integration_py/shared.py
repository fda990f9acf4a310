"""Helpers several Python integration tests share (the sandbox launcher is sandbox.launcher, the Ansible
environment hack.devenv, the fixtures tests/conftest.py and tests/integration_py/conftest.py)."""

from __future__ import annotations

import pathlib
import subprocess

from hack import devenv


def plain(value):
    """JSON from ansible-inventory --list without Ansible's ``{"__ansible_unsafe": ...}`` markers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def run_inventory_playbook(
    folder: pathlib.Path, sandbox, playbook: pathlib.Path, *args: str, timeout: float = 240
) -> subprocess.CompletedProcess:
    """``ansible-playbook playbook *args`` in ``folder`` through the inventory plugin, as the sandbox's owner."""
    folder.mkdir(parents=True, exist_ok=True)
    inventory = folder / "fleet.pterodactyl.yml"
    inventory.write_text("plugin: gameops.pterodactyl.pterodactyl\n")
    env = devenv.ansible_env(
        folder,
        strict_inventory=True,
        PTERODACTYL_URL=sandbox["panel_url"],
        PTERODACTYL_API_KEY=sandbox["keys"]["owner"],
    )
    argv = [devenv.tool("ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout, check=False)
