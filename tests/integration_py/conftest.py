# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the Python integration tests (those of every folder, ``sandbox``, ``start_sandbox`` and
``module_sandbox``, are in tests/conftest.py; helpers in fixtures_quality.py and shared.py).

* ``quality_sandbox(**cli_args)``: ``start_sandbox`` with tests/integration/fleet.yml unless
  ``fleet`` or ``servers`` is given;
* ``runner``: a :class:`fixtures_quality.Runner` in the test's temporary folder;
* ``report_fleet`` (session): a sandbox with fleet_report_support.FLEET, shared by the report's tests;
* ``live_report``, ``cached_report`` (session): playbooks/fleet_report.yml run on it with its defaults
  (live figures; ``latecomer`` started just before with the panel's cache still saying offline, and
  ``survival``'s websocket refused) and with ``fleet_report_fresh=false``.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("fixtures_quality", "fleet_report_support")
# pylint: disable=wrong-import-position
import fleet_report_support as report  # noqa: E402
import yaml  # noqa: E402
from fixtures_quality import STANDARD_FLEET, Runner  # noqa: E402

from sandbox.launcher import launch  # noqa: E402


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


@pytest.fixture(scope="session")
def report_fleet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    fleet = folder / "fleet.yml"
    fleet.write_text(yaml.safe_dump(report.FLEET))
    sandbox = launch(folder / "sandbox", fleet=str(fleet))
    # The panel caches /resources for 20 s; a slow machine's play can outlast that, which would make the
    # "live, not cached" and "equal to the panel's figures" checks inconclusive: keep the cache for an hour.
    sandbox.control("PATCH", "/settings", json={"resource_cache_seconds": 3600})
    yield sandbox
    assert sandbox.stop() == 0, sandbox.log()


@pytest.fixture(scope="session")
def live_report(report_fleet, tmp_path_factory):  # pylint: disable=redefined-outer-name
    """The report with the playbook's defaults: ``started`` (latecomer's identifier), ``refused``
    (survival's), ``cache_after`` (latecomer's state in the panel's cache right after the play), the
    node's states and the panel's figures then."""
    report_fleet.control("POST", "/reset")
    started = report.start_after_caching(report_fleet, report.LATECOMER)
    refused = report.refuse_websocket(report_fleet, report.NO_WEBSOCKET)
    run = report.run_report(tmp_path_factory.mktemp("live"), report_fleet)
    cache_after = report.panel_state(report_fleet, started)
    report_fleet.control("DELETE", "/faults")
    visible, resources = report.panel_figures(report_fleet)
    states = {s["identifier"]: report_fleet.control("GET", f"/servers/{s['identifier']}").json() for s in visible}
    return {
        **run,
        "sandbox": report_fleet,
        "started": started,
        "refused": refused,
        "cache_after": cache_after,
        "visible": visible,
        "resources": resources,
        "states": states,
    }


@pytest.fixture(scope="session")
def cached_report(report_fleet, tmp_path_factory):  # pylint: disable=redefined-outer-name
    """The report with ``fleet_report_fresh=false``, and what the panel's cache says right after."""
    report_fleet.control("POST", "/reset")
    run = report.run_report(tmp_path_factory.mktemp("cached"), report_fleet, "-e", "fleet_report_fresh=false")
    visible, resources = report.panel_figures(report_fleet)
    return {**run, "sandbox": report_fleet, "visible": visible, "resources": resources}
