"""What several sandbox test modules expect, kept in one place so that they cannot drift apart.

Imported by plain name (``from sandbox_expect import ...``): pytest puts this folder on sys.path.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pathlib
import time

import pytest
import requests
from aiohttp import web

# The keys of a Wings stats event, in the order of Wings' Go struct (a client may rely on the order).
WINGS_STATS_KEYS = [
    "memory_bytes",
    "memory_limit_bytes",
    "cpu_absolute",
    "network",
    "uptime",
    "state",
    "disk_bytes",
]


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something true, and return that; fail after ``timeout`` seconds.

    Power actions return before the server gets there: the tests poll the control API for the state.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f} s")


@contextlib.asynccontextmanager
async def serving(app: web.Application):
    """Serve ``app`` on a free loopback port for the block; yields its base URL (in-process tests)."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    finally:
        await runner.cleanup()


def launched(name: str, launcher, *args, **options):
    """A module-scoped fixture: ``launcher(folder, *args, **options)`` in its own folder, stopped (exit 0) at the
    end (the families' ``files_sandbox``, ``backups_sandbox``)."""

    @pytest.fixture(scope="module")
    def sandbox(tmp_path_factory):
        sb = launcher(tmp_path_factory.mktemp(name), *args, **options)
        yield sb
        assert sb.stop() == 0, sb.log()

    return sandbox


def error(response: requests.Response) -> dict:
    """The first item of the panel's error envelope."""
    return response.json()["errors"][0]


def claims(url: str) -> tuple[dict, dict]:
    """(JOSE header, claims) of a signed URL's token, unverified."""
    token = url.split("token=", 1)[1]

    def part(text: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))

    header, payload, _signature = token.split(".")
    return part(header), part(payload)


class ServerClient:
    """A family's routes on one server of a launched sandbox, called as one user (subclasses add the routes)."""

    default_server = ""

    def __init__(self, sb, server: str | None = None, user: str = "owner"):
        self.sb = sb
        self.server = sb.server(server or self.default_server)
        self.user = user

    def key(self, user: str | None = None) -> str:
        return self.sb["user_keys"][user or self.user][0]

    @property
    def root(self) -> pathlib.Path:
        """The server's data folder."""
        return pathlib.Path(self.server["data_dir"])

    def put(self, name: str, data: bytes | str = b"") -> pathlib.Path:
        """Write a file straight into the data folder (the tests' own set-up, not the API)."""
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
        return target
