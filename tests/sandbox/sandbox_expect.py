"""What several sandbox test modules expect, kept in one place so that they cannot drift apart.

Imported by plain name (``from sandbox_expect import ...``): pytest puts this folder on sys.path.
"""

from __future__ import annotations

import contextlib
import time

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
