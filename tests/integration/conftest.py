"""Fixtures for the integration tests (helpers in support.py)."""

from __future__ import annotations

import pytest

from support import ensure_collection_link, sandbox_fixtures


@pytest.fixture(scope="session", autouse=True)
def collection_link():
    ensure_collection_link()


@pytest.fixture
def start_sandbox(tmp_path):
    started = []

    def start(**cli_args):
        sandbox = sandbox_fixtures.launch(tmp_path / f"sandbox{len(started)}", **cli_args)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        code = sandbox.stop()
        assert code == 0, f"sandbox exited with {code}: {sandbox.log()}"
