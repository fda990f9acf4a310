# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the unit tests of the inventory plugin and of the modules."""

from __future__ import annotations

import pytest


@pytest.fixture
def recorded_resources() -> dict:
    """The attributes of GET /api/client/servers/<id>/resources as the panel sends them (recorded from the sandbox).

    The inventory and resource_facts read the same answer; one copy keeps their tests on the same figures
    (a new dict per test, so that a test may change it).
    """
    return {
        "current_state": "running",
        "is_suspended": False,
        "resources": {
            "memory_bytes": 536870912,
            "cpu_absolute": 50.0,
            "disk_bytes": 1048576,
            "network_rx_bytes": 10,
            "network_tx_bytes": 20,
            "uptime": 5000,
        },
    }
