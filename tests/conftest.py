"""What every test folder shares; pytest loads this file itself (pytest.ini: ``pythonpath = . .build/collections``).

* the collection link ``.build/collections/ansible_collections/gameops/pterodactyl`` -> this checkout is
  made at import time (:func:`hack.devenv.ensure_collection_link`), so that
  ``import ansible_collections.gameops.pterodactyl...`` works in every test module and Ansible finds the
  collection through ANSIBLE_COLLECTIONS_PATH (:func:`hack.devenv.ansible_env`);
* thin fixtures over :mod:`sandbox.launcher`, each sandbox stopped at the end and required to exit 0
  with no child process left:

  - ``sandbox`` (session): a generated fleet of 6 real-process servers, shared by the whole run;
  - ``clean``: that shared sandbox with its request log, faults, rate windows and cache reset;
  - ``module_sandbox`` (module): the same, one per test module;
  - ``start_sandbox(**cli_args)``: start special ones in a test, e.g.
    ``start_sandbox(servers=120, virtual=True, rate_limit=5, flavor="pelican", fleet=path)``; keyword
    ``foo_bar=value`` becomes ``--foo-bar value``, ``True`` a bare flag; ``sb.stop()`` stops one earlier.

See docs/dev/testing.md for which test goes in which folder.
"""

from __future__ import annotations

import pytest

from hack import devenv
from sandbox.launcher import Sandbox, launch

devenv.ensure_collection_link()


def _stopped(sb: Sandbox) -> None:
    code = sb.stop()
    assert code == 0, f"sandbox exited with {code}: {sb.log()}"


def _six_servers(tmp_path_factory):
    """A sandbox with a generated fleet of 6 real-process servers, stopped at the end of the scope."""
    sb = launch(tmp_path_factory.mktemp("sandbox"), servers=6)
    yield sb
    _stopped(sb)


sandbox = pytest.fixture(_six_servers, scope="session", name="sandbox")  # shared by the whole run
module_sandbox = pytest.fixture(_six_servers, scope="module", name="module_sandbox")  # one per test module


@pytest.fixture
def clean(sandbox):  # pylint: disable=redefined-outer-name
    """Reset the shared sandbox's log, faults, rate windows and resource cache before a test."""
    sandbox.control("POST", "/reset")
    yield sandbox


@pytest.fixture
def start_sandbox(tmp_path):
    """``start_sandbox(**cli_args)``: sandboxes of the test's own (``servers=3`` unless told), stopped at its end."""
    started: list[Sandbox] = []

    def start(**cli_args) -> Sandbox:
        sb = launch(tmp_path / f"sandbox{len(started)}", **cli_args)
        started.append(sb)
        return sb

    yield start
    failures = []
    for sb in started:  # every one is stopped, even when an earlier one fails to
        try:
            _stopped(sb)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
