"""What the Python integration tests share: the sandbox launcher, the collection link, JSON helpers.

The sandbox launcher lives in tests/sandbox/conftest.py; it is loaded once here, under its own
module name, so every test file uses the same one.
"""

from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "collections"


def _load_sandbox_fixtures():
    spec = importlib.util.spec_from_file_location("_integration_py_sandbox_fixtures", ROOT / "tests" / "sandbox" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sandbox_fixtures = _load_sandbox_fixtures()
launch = sandbox_fixtures.launch


def ensure_collection_link() -> None:
    """ansible_collections/gameops/pterodactyl -> this checkout (what `make collection` makes)."""
    link = COLLECTIONS / "ansible_collections" / "gameops" / "pterodactyl"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)


def plain(value):
    """JSON from ansible-inventory --list without Ansible's ``{"__ansible_unsafe": ...}`` markers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
