# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Python integration tests against the sandbox (panel + Wings emulator, ``python -m sandbox``).

Makes the collection importable by its full name (as tests/unit/conftest.py does) and reuses
the sandbox launcher of tests/sandbox/conftest.py.
"""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

from shared import sandbox_fixtures

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load(name: str, path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# the same symlink tree the unit tests use: .build/collections/ansible_collections/gameops/pterodactyl
_load("_gameops_unit_conftest", REPO_ROOT / "tests" / "unit" / "conftest.py")


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory):
    """A sandbox of its own for one test module (6 real-process servers)."""
    sb = sandbox_fixtures.launch(tmp_path_factory.mktemp("sandbox"), servers=6)
    yield sb
    assert sb.stop() == 0, sb.log()
