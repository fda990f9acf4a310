# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the Python integration tests (those of every folder, ``sandbox``, ``start_sandbox`` and
``module_sandbox``, are in tests/conftest.py; helpers in fixtures_quality.py and shared.py).

* ``quality_sandbox(**cli_args)``: ``start_sandbox`` with tests/integration/fleet.yml unless
  ``fleet`` or ``servers`` is given;
* ``runner``: a :class:`fixtures_quality.Runner` in the test's temporary folder.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import STANDARD_FLEET, Runner  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def quality_sandbox(start_sandbox):
    def start(**cli_args):
        if "fleet" not in cli_args and "servers" not in cli_args:
            cli_args["fleet"] = str(STANDARD_FLEET)
        return start_sandbox(**cli_args)

    return start


@pytest.fixture
def runner(tmp_path):
    return Runner(tmp_path / "ansible")
