"""sandbox/power.py: the power state machine over a real game-server process and in virtual mode."""

from __future__ import annotations

import asyncio
import json
import time
import types

import psutil
import pytest
from sandbox_expect import WINGS_STATS_KEYS

from sandbox.power import HISTORY_SIZE, MAX_LINE_BYTES, PowerError, PowerLocked, ServerRuntime, daemon_line

pytestmark = pytest.mark.timeout(30)

DONE = ')! For help, type "help"'


def make_server(**game) -> types.SimpleNamespace:
    options = {"boot_seconds": 0.2, "crash_after": None, "noisy": False, "invalid_utf8": False}
    options.update(game)
    egg = types.SimpleNamespace(
        startup_done=options.pop("startup_done", DONE), stop_command=options.pop("stop_command", "stop")
    )
    return types.SimpleNamespace(
        uuid="4f7d8e0c-5b4e-4c1e-9a44-8d1f2f0e6a11",
        identifier="4f7d8e0c",
        egg=egg,
        limits={"memory": 1024, "disk": 5120, "cpu": 200},
        status=options.pop("status", None),
        is_transferring=False,
        **options,
    )


def run(coro, timeout: float = 25):
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Recorder:
    """Collects a runtime's events as they are published."""

    def __init__(self, runtime: ServerRuntime):
        self.runtime = runtime
        self.queue = runtime.subscribe()
        self.events: list[tuple[str, list[str]]] = []
        self.cursor = 0

    async def until(self, predicate, timeout: float = 5.0):
        """The next event (after the previous match) for which predicate(event, args) holds."""
        deadline = time.monotonic() + timeout
        while True:
            while self.cursor < len(self.events):
                event = self.events[self.cursor]
                self.cursor += 1
                if predicate(*event):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"event not seen within {timeout}s; last: {self.events[-5:]}")
            try:
                self.events.append(await asyncio.wait_for(self.queue.get(), remaining))
            except TimeoutError:
                continue

    async def state(self, state: str, timeout: float = 5.0):
        return await self.until(lambda e, a: e == "status" and a == [state], timeout)

    def drain(self):
        while not self.queue.empty():
            self.events.append(self.queue.get_nowait())
        return self.events

    def statuses(self):
        return [a[0] for e, a in self.drain() if e == "status"]

    def console(self):
        return [a[0] for e, a in self.drain() if e == "console output"]


def run_runtime(scenario, server: types.SimpleNamespace, **options) -> None:
    """Run ``await scenario(rt, rec)`` on a new ServerRuntime(server, **options) and its Recorder.

    The runtime is closed whatever the scenario does: closing is what stops its game-server process,
    so a failed assertion leaves no orphan behind for the next test to trip over.
    """

    async def main():
        rt = ServerRuntime(server, **options)
        rec = Recorder(rt)
        try:
            await scenario(rt, rec)
        finally:
            await rt.close()

    run(main())


def children() -> list[psutil.Process]:
    """Game-server processes started by this test process (not those of a sandbox subprocess)."""
    alive = []
    for p in psutil.Process().children(recursive=False):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and any("gameserver" in part for part in p.cmdline()):
                alive.append(p)
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "server"


def test_start_running_on_done_line_then_stop(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        assert rt.state == "starting"
        assert rt.is_running()
        await rec.state("running")
        assert any(DONE in line for line in rt.history)
        pid = rt._proc.pid
        assert psutil.pid_exists(pid)
        # pre-boot daemon messages come while offline, in Wings' ANSI format
        console = rec.console()
        assert console[0] == daemon_line("Checking server disk space usage, this could take a few seconds...")
        assert daemon_line("Updating process configuration files...") in console
        t0 = time.monotonic()
        await rt.power("stop")
        assert time.monotonic() - t0 < 3
        assert rt.state == "offline" and not rt.is_running()
        assert rec.statuses() == ["starting", "running", "stopping", "offline"]
        assert any("Stopping server" in line for line in rt.history)
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        # no crash handling for a requested stop
        assert not any("crashed state" in line for line in rec.console())
        # a stats event with zeros when going offline, memory limit kept
        stats = [json.loads(a[0]) for e, a in rec.drain() if e == "stats"][-1]
        assert stats["state"] == "offline"
        assert stats["memory_bytes"] == stats["uptime"] == stats["cpu_absolute"] == 0
        assert stats["network"] == {"rx_bytes": 0, "tx_bytes": 0}
        assert stats["memory_limit_bytes"] == 1024 * 115 * 10_000  # 1024 MiB x 1.15 x 1 000 000
        assert stats["disk_bytes"] > 0
        assert await rt.send_command("say hi") is False

    run_runtime(scenario, make_server(), data_dir=data_dir, virtual=False, stop_timeout=5)
    assert children() == []


def test_kill_and_restart(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        first = rt._proc.pid
        await rt.power("restart")  # returns once the new process is spawned
        assert rt._proc.pid != first
        await rec.state("running", timeout=5)
        assert rec.statuses() == ["starting", "running", "stopping", "offline", "starting", "running"]
        second = rt._proc.pid
        t0 = time.monotonic()
        await rt.power("kill")
        assert time.monotonic() - t0 < 2
        assert rt.state == "offline"
        assert rec.statuses()[-2:] == ["stopping", "offline"]
        assert not psutil.pid_exists(second) or psutil.Process(second).status() == psutil.STATUS_ZOMBIE
        # start while not offline is an error
        await rt.power("start")
        with pytest.raises(PowerError, match="server is running"):
            await rt.power("start")
        with pytest.raises(PowerError, match="unknown power action"):
            await rt.power("explode")

    run_runtime(scenario, make_server(), data_dir=data_dir, virtual=False)
    assert children() == []


def test_typed_stop_command_is_not_a_crash(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        assert await rt.send_command("say hello there") is True
        await rec.until(lambda e, a: e == "console output" and a[0].endswith("[Server] hello there"))
        await rt.send_command("list")
        await rec.until(
            lambda e, a: e == "console output" and a[0].endswith("There are 0 of a max of 20 players online: ")
        )
        await rt.send_command("frobnicate now")
        await rec.until(lambda e, a: e == "console output" and "Unknown command" in a[0] and "frobnicate now" in a[0])
        await rt.send_command("stop")
        assert rt.state == "stopping"  # set before the process reacts
        await rec.state("offline")
        assert rec.statuses()[-2:] == ["stopping", "offline"]
        assert not any("crashed state" in line for line in rec.console())

    run_runtime(scenario, make_server(), data_dir=data_dir, virtual=False)


def test_crash_detection_auto_restart_and_guard(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        await rec.until(lambda e, a: e == "console output" and a[0] == daemon_line("Exit code: 1"))
        # offline without stopping, then the automatic restart
        assert rec.statuses()[:3] == ["starting", "running", "offline"]
        console = rec.console()
        assert daemon_line("---------- Detected server process in a crashed state! ----------") in console
        assert daemon_line("Out of memory: false") in console
        await rec.until(lambda e, a: e == "console output" and "less than 60 seconds ago" in a[0], timeout=8)
        assert rt.state == "offline"
        statuses = rec.statuses()
        assert statuses == ["starting", "running", "offline", "starting", "running", "offline"]

    run_runtime(scenario, make_server(boot_seconds=0.1, crash_after=0.6), data_dir=data_dir, virtual=False)


def test_crash_detection_disabled(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.until(lambda e, a: e == "console output" and "crash detection is disabled" in a[0])
        assert rt.state == "offline"
        assert "stopping" not in rec.statuses()

    run_runtime(
        scenario,
        make_server(boot_seconds=0.05, crash_after=0.3),
        data_dir=data_dir,
        virtual=False,
        crash_detection=False,
    )


def test_power_lock_and_stop_timeout_kill(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        pid = rt._proc.pid
        t0 = time.monotonic()
        stopping = asyncio.ensure_future(rt.power("stop"))
        await rec.state("stopping")
        for action in ("start", "stop", "restart"):
            with pytest.raises(PowerLocked):
                await rt.power(action)
        await stopping  # the process ignores "stop": killed after the timeout
        assert 0.9 < time.monotonic() - t0 < 4
        assert rt.state == "offline"
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        # kill proceeds while the lock is busy
        await rt.power("start")
        await rec.state("running")
        restarting = asyncio.ensure_future(rt.power("restart"))
        await asyncio.sleep(0.2)
        with pytest.raises(PowerLocked):
            await rt.power("stop")
        await rt.power("kill")
        assert rt.state in ("offline", "starting")
        await asyncio.wait_for(restarting, 5)

    run_runtime(scenario, make_server(hang_on_stop=True), data_dir=data_dir, virtual=False, stop_timeout=1.0)
    assert children() == []


def test_suspended_server_cannot_start(data_dir):
    async def main():
        rt = ServerRuntime(make_server(status="suspended"), data_dir=data_dir, virtual=False)
        try:
            with pytest.raises(PowerError, match="suspended state"):
                await rt.power("start")
            assert rt.state == "offline"
        finally:
            await rt.close()

    run(main())


def test_console_throttle_on_burst_and_invalid_utf8(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        bad = await rec.until(lambda e, a: e == "console output" and "Invalid bytes" in a[0])
        assert "\ufffd" in bad[1][0]
        await asyncio.sleep(0.15)  # a fresh throttle window
        await rt.send_command("burst 5000")
        await rec.until(lambda e, a: "throttling" in a[0] if e == "console output" else False)
        deadline = time.monotonic() + 5
        while rt.history[-1] != "" and not rt.history[-1].endswith("Burst line 5000 of 5000"):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        burst = [line for line in rec.console() if "Burst line" in line]
        throttled = [line for line in rec.console() if "throttling" in line]
        assert 2000 <= len(burst) < 5000
        assert throttled[0] == daemon_line("Server is outputting console data too quickly -- throttling...")
        # the history keeps the raw lines, throttled or not
        assert len(rt.history) == HISTORY_SIZE
        assert rt.history[-1].endswith("Burst line 5000 of 5000")

    run_runtime(scenario, make_server(boot_seconds=0.05, invalid_utf8=True), data_dir=data_dir, virtual=False)


def test_stats_once_a_second_while_running(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        t0 = time.monotonic()
        ticks = []
        while len(ticks) < 2:
            event = await rec.until(
                lambda e, a: (
                    e == "stats" and json.loads(a[0])["state"] == "running" and a[0] not in [t[1] for t in ticks]
                ),
                timeout=3,
            )
            ticks.append((time.monotonic(), event[1][0]))
        assert ticks[-1][0] - t0 < 3.5
        first, second = (json.loads(t[1]) for t in ticks)
        assert list(first) == sorted(first)  # periodic stats come out key-sorted
        assert 700 <= second["uptime"] - first["uptime"] <= 1700
        assert second["uptime"] >= 900  # milliseconds
        assert second["memory_bytes"] > 1_000_000  # rss of the real process
        assert second["memory_limit_bytes"] == 1_177_600_000
        assert second["network"]["rx_bytes"] >= first["network"]["rx_bytes"]
        assert isinstance(second["cpu_absolute"], (int, float))
        # send stats / auth order is Wings' struct order
        assert list(rt.stats()) == WINGS_STATS_KEYS
        # no ticker without subscribers
        rt.unsubscribe(rec.queue)
        await asyncio.sleep(0)
        assert rt._ticker is None

    run_runtime(scenario, make_server(boot_seconds=0.05), data_dir=data_dir, virtual=False)


def test_virtual_mode_timings(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        t0 = time.monotonic()
        await rt.power("start")
        assert rt.state == "starting"
        await rec.state("running")
        assert 0.4 <= time.monotonic() - t0 < 1.5
        assert any(DONE in line for line in rt.history)
        assert children() == []  # no process at all
        await rt.send_command("say virtual hello")
        assert rt.history[-1].endswith("[Server] virtual hello")
        stats = rt.stats()
        assert stats["state"] == "running" and stats["memory_bytes"] > 0 and stats["uptime"] >= 400
        t0 = time.monotonic()
        await rt.power("stop")
        assert 0.25 <= time.monotonic() - t0 < 1.2
        assert rt.state == "offline"
        await rt.power("restart")
        await rec.state("running")
        await rt.power("kill")
        assert rt.state == "offline"
        assert rec.statuses() == [
            "starting",
            "running",
            "stopping",
            "offline",
            "starting",
            "running",
            "stopping",
            "offline",
        ]
        # typed stop command
        await rt.power("start")
        await rt.send_command("stop")  # while starting: stopping, then offline after the stop delay
        assert rt.state == "stopping"
        await rec.state("offline", timeout=2)
        assert rt.stats()["uptime"] == 0

    run_runtime(scenario, make_server(), data_dir=data_dir, virtual=True)


def test_virtual_custom_timings_and_crash(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        t0 = time.monotonic()
        await rt.power("start")
        await rec.state("running")
        assert time.monotonic() - t0 < 0.3
        await rec.until(lambda e, a: e == "console output" and "crash detection is disabled" in a[0])
        assert rec.statuses() == ["starting", "running", "offline"]

    run_runtime(
        scenario,
        make_server(crash_after=0.3),
        data_dir=data_dir,
        virtual=True,
        start_delay=0.1,
        stop_delay=0.05,
        crash_detection=False,
    )


def test_virtual_noisy_server(data_dir):
    async def scenario(rt: ServerRuntime, rec: Recorder):
        await rt.power("start")
        await rec.state("running")
        await asyncio.sleep(1.0)
        chatter = [line for line in rec.console() if "Villager trades" in line]
        assert 15 <= len(chatter) <= 45
        await rt.power("kill")
        count = len(rt.history)
        await asyncio.sleep(0.3)
        assert len(rt.history) == count  # quiet once offline

    run_runtime(scenario, make_server(noisy=30), data_dir=data_dir, virtual=True, start_delay=0.05)


def test_many_virtual_servers_are_cheap(tmp_path):
    async def main():
        runtimes = [
            ServerRuntime(make_server(), data_dir=tmp_path / str(i), virtual=True, start_delay=0.05)
            for i in range(2000)
        ]
        t0 = time.monotonic()
        await asyncio.gather(*(rt.power("start") for rt in runtimes))
        await asyncio.sleep(0.2)
        assert all(rt.state == "running" for rt in runtimes)
        await asyncio.gather(*(rt.close() for rt in runtimes))
        assert time.monotonic() - t0 < 5
        assert not any(rt.data_dir.exists() for rt in runtimes[:10])

    run(main())


def test_close_leaves_no_orphans_even_when_cancelled(data_dir):
    async def main():
        rt = ServerRuntime(make_server(boot_seconds=5, noisy=True), data_dir=data_dir, virtual=False)
        await rt.power("start")
        pid = rt._proc.pid
        # a start cancelled half way on a second runtime
        rt2 = ServerRuntime(make_server(), data_dir=data_dir.parent / "other", virtual=False)
        task = asyncio.ensure_future(rt2.power("start"))
        await asyncio.sleep(0.001)
        task.cancel()
        try:  # on a busy machine the start may finish before the cancel lands: both must leave nothing
            await task
        except asyncio.CancelledError:
            pass
        await asyncio.gather(rt.close(), rt2.close())
        assert rt.state == "offline"
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        await asyncio.sleep(0.3)
        assert children() == []

    run(main())
    assert children() == []


def test_long_lines_truncated_and_empty_lines_skipped(data_dir):
    async def main():
        rt = ServerRuntime(make_server(), data_dir=data_dir, virtual=True)
        rec = Recorder(rt)
        reader = asyncio.StreamReader()
        reader.feed_data(b"first\r\n\n\r\n" + b"x" * (MAX_LINE_BYTES * 2 + 10) + b"\nafter\n" + b"tail")
        reader.feed_eof()
        await rt._read_output(reader)
        assert list(rt.history) == ["first", "x" * MAX_LINE_BYTES, "after", "tail"]
        assert len(rec.console()) == 4
        for i in range(HISTORY_SIZE + 20):
            rt._line(f"line {i}")
        assert len(rt.history) == HISTORY_SIZE
        assert rt.history[0] == "line 20"
        await rt.close()

    run(main())
