"""Helpers for the integration tests: the sandbox launcher, Ansible's environment, playbook runs.

The sandbox launcher lives in tests/sandbox/conftest.py; it is loaded here under another module
name so both test folders can be collected in one pytest run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
HERE = pathlib.Path(__file__).resolve().parent
COLLECTIONS = ROOT / ".build" / "collections"
BIN = pathlib.Path(sys.executable).parent


def _load_sandbox_fixtures():
    spec = importlib.util.spec_from_file_location("sandbox_fixtures", ROOT / "tests" / "sandbox" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sandbox_fixtures = _load_sandbox_fixtures()


def ensure_collection_link() -> None:
    """ansible_collections/gameops/pterodactyl -> this checkout, for ANSIBLE_COLLECTIONS_PATH."""
    link = COLLECTIONS / "ansible_collections" / "gameops" / "pterodactyl"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)


def ansible_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_ROLES_PATH=str(HERE / "targets"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop("PTERODACTYL_URL", None)
    env.pop("PTERODACTYL_API_KEY", None)
    env.update(extra)
    return env


def sandbox_vars(sandbox: dict, path: pathlib.Path) -> pathlib.Path:
    """Write the variables a target sees: `sandbox` (the ready file) and `servers` by name."""
    servers = {}
    for server in sandbox["servers"]:
        servers.setdefault(server["name"], server)
    ready = dict(sandbox.items())
    path.write_text(json.dumps({"sandbox": ready, "servers": servers}))
    return path


def run_playbook(playbook: pathlib.Path, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "ansible-playbook"), str(playbook), *args],
        env=env or ansible_env(), capture_output=True, text=True, timeout=timeout, check=False,
    )
