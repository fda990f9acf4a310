"""One server's process side, as Wings sees it: power state machine, console, event bus, stats.

Real mode runs ``sandbox/gameserver.py`` as an OS process (stdin/stdout pipes, stderr merged);
virtual mode simulates the transitions with timers so thousands of servers cost nothing while idle.
Behaviour follows Wings 1.11 (see ``../shared/reference/wings-websocket.md`` §3.2, §4, §5).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import json
import logging
import os
import pathlib
import re
import signal
import sys
import time
from typing import Any

import psutil

from . import eggvars, gameserver

log = logging.getLogger("sandbox.power")

OFFLINE, STARTING, RUNNING, STOPPING = "offline", "starting", "running", "stopping"
STATES = (OFFLINE, STARTING, RUNNING, STOPPING)
ACTIONS = ("start", "stop", "restart", "kill")

HISTORY_SIZE = 150  # system.websocket_log_count
MAX_LINE_BYTES = 64 * 1024  # system/utils.go maxBufferSize
THROTTLE_LINES = 2000  # throttles.lines
THROTTLE_INTERVAL = 0.1  # throttles.line_reset_interval (100 ms)
QUEUE_SIZE = 10000  # per subscriber; beyond that events are dropped (Wings drops too)
GAMESERVER = pathlib.Path(gameserver.__file__).resolve()

DEFAULTS = {
    "stop_timeout": 30.0,  # Wings: 10 minutes; shorter in the sandbox
    "crash_detection": True,  # system.crash_detection.enabled
    "crash_timeout": 60.0,  # system.crash_detection.timeout
    "detect_clean_exit_as_crash": True,
    "start_delay": 0.5,  # virtual: starting -> running
    "stop_delay": 0.3,  # virtual: stopping -> offline
    "stats_interval": 1.0,  # Docker's stats stream
    "disk_cache_seconds": 2.0,  # Wings: 150 s (system.disk_check_interval); the folder is tiny
    "kill_wait": 5.0,  # deadline for a killed process to be reaped
    "noisy_rate": 20.0,  # lines/s when a server's ``noisy`` is just true
}


def daemon_line(message: str, app_name: str = "Pterodactyl") -> str:
    """A Wings daemon console message, rendered like colorstring does (§4.6)."""
    return f"\x1b[33m\x1b[1m[{app_name} Daemon]:\x1b[39m {message}\x1b[0m"


def memory_multiplier(mib: int) -> float:
    if mib <= 2048:
        return 1.15
    if mib <= 4096:
        return 1.10
    return 1.05


class PowerError(Exception):
    """A power action failed; ``str()`` is Wings' internal error text."""


class PowerLocked(PowerError):
    """Another stop/restart is being processed for this server."""

    def __init__(self, message: str = "locker: cannot acquire lock, already locked"):
        super().__init__(message)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


class ServerRuntime:
    """One server's process side, as Wings sees it (the seam in docs/dev/sandbox-interfaces.md).

    Options (keyword arguments, else the same-named attribute of ``server``, else ``DEFAULTS``):
    ``stop_timeout``, ``crash_detection``, ``crash_timeout``, ``detect_clean_exit_as_crash``,
    ``start_delay``/``stop_delay`` (virtual), ``stats_interval``, ``throttle_lines``,
    ``throttle_interval``, ``app_name``, ``python``.
    """

    def __init__(self, server: Any, *, data_dir: pathlib.Path | str, virtual: bool = False, **options: Any):
        self.server = server
        self.data_dir = pathlib.Path(data_dir)
        self.virtual = bool(virtual)
        self.state: str = OFFLINE
        self.history: collections.deque[str] = collections.deque(maxlen=HISTORY_SIZE)
        # Wings' own flags (not the panel's status): a backup restore sets both while it runs
        self.restoring = False  # Server.IsRestoring: power actions fail with "server is currently being restored"
        self.suspended = False  # the server config's suspended flag (W12: 4409 / cut sockets, no start)

        def opt(name: str, default: Any) -> Any:
            if name in options:
                return options.pop(name)
            value = _get(server, name, None)
            return default if value is None else value

        self.stop_timeout = float(opt("stop_timeout", DEFAULTS["stop_timeout"]))
        self.crash_detection = bool(opt("crash_detection", DEFAULTS["crash_detection"]))
        self.crash_timeout = float(opt("crash_timeout", DEFAULTS["crash_timeout"]))
        self.detect_clean_exit_as_crash = bool(
            opt("detect_clean_exit_as_crash", DEFAULTS["detect_clean_exit_as_crash"])
        )
        self.start_delay = float(opt("start_delay", DEFAULTS["start_delay"]))
        self.stop_delay = float(opt("stop_delay", DEFAULTS["stop_delay"]))
        self.stats_interval = float(opt("stats_interval", DEFAULTS["stats_interval"]))
        self.throttle_lines = int(opt("throttle_lines", THROTTLE_LINES))
        self.throttle_interval = float(opt("throttle_interval", THROTTLE_INTERVAL))
        self.app_name = str(opt("app_name", "Pterodactyl"))
        self.python = str(opt("python", sys.executable))
        self.kill_wait = float(opt("kill_wait", DEFAULTS["kill_wait"]))
        if options:
            raise TypeError(f"unknown ServerRuntime options: {sorted(options)}")

        self._lock = asyncio.Lock()
        self._subs: list[asyncio.Queue] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._ps: psutil.Process | None = None
        self._monitor: asyncio.Task | None = None
        self._exited: asyncio.Event | None = None
        self._ticker: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._timers: list[asyncio.TimerHandle] = []
        self._closed = False
        self._started_at: float | None = None  # monotonic, while the "container" runs
        self._memory_limit = 0  # 0 until the first start (Wings)
        self._tx = 0
        self._disk = 0
        self._disk_at = -1e9
        self._last_crash: float | None = None
        self._exit_code = 0
        self._win_start = 0.0
        self._win_count = 0
        self._throttled = False

    # ------------------------------------------------------------------ server facts
    @property
    def uuid(self) -> str:
        return str(_get(self.server, "uuid", ""))

    @property
    def _egg(self) -> Any:
        return _get(self.server, "egg")

    @property
    def stop_command(self) -> str:
        return str(_get(self._egg, "stop_command", "stop") or "stop")

    def _done_matchers(self) -> list:
        done = _get(self._egg, "startup_done", ")! For help, type ")
        entries = done if isinstance(done, (list, tuple)) else [done]
        matchers = []
        for entry in entries:
            if not entry:
                continue
            entry = str(entry)
            if entry.startswith("regex:"):
                try:
                    matchers.append(re.compile(entry[6:]).search)
                except re.error:
                    continue
            else:
                matchers.append(lambda line, e=entry: e in line)
        return matchers

    def _game(self, name: str, default: Any = None) -> Any:
        value = _get(self.server, name, None)
        if value is None:
            value = _get(_get(self.server, "game"), name, None)
        return default if value is None else value

    def _limit(self, name: str) -> int:
        try:
            return int(_get(_get(self.server, "limits") or {}, name, 0) or 0)
        except (TypeError, ValueError):
            return 0

    def _condition_error(self) -> PowerError | None:
        status = _get(self.server, "status")
        if status == "restoring_backup" or self.restoring:
            return PowerError("server is currently being restored")
        if _get(self.server, "is_transferring", False):
            return PowerError("server is currently being transferred")
        if status == "installing":
            return PowerError("server is currently installing")
        return None

    # ------------------------------------------------------------------ event bus
    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subs.append(queue)
        self._update_ticker()
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        with contextlib.suppress(ValueError):
            self._subs.remove(queue)
        self._update_ticker()

    def _publish(self, event: str, args: list[str]) -> None:
        for queue in self._subs:
            try:
                queue.put_nowait((event, args))
            except asyncio.QueueFull:
                pass

    def publish(self, event: str, args: list[str]) -> None:
        """Put an event on the server's bus (the families' node side: backups, restores)."""
        self._publish(event, args)

    def _daemon(self, message: str) -> None:
        self._publish("console output", [daemon_line(message, self.app_name)])

    def _set_state(self, new: str) -> None:
        old = self.state
        if new == old:
            return
        self.state = new
        self._publish("status", [new])
        if new == OFFLINE:
            self._started_at = None
            self._tx = 0
            self._ps = None
            self._publish("stats", [self._stats_json(sort_keys=True)])
            if old in (STARTING, RUNNING) and not self._closed:
                self._on_crash(self._exit_code)
        self._update_ticker()

    # ------------------------------------------------------------------ stats
    def _update_ticker(self) -> None:
        want = self.state != OFFLINE and bool(self._subs) and not self._closed
        if want and (self._ticker is None or self._ticker.done()):
            try:
                self._ticker = asyncio.get_running_loop().create_task(self._tick())
            except RuntimeError:
                self._ticker = None
        elif not want and self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.stats_interval)
            if self.state == OFFLINE or not self._subs:
                return
            # periodic stats go through Wings' bus as a map: keys come out sorted
            self._publish("stats", [self._stats_json(sort_keys=True)])

    def _disk_usage(self, refresh: bool = False) -> int:
        now = time.monotonic()
        if self.virtual:
            seed = int(hashlib.md5(self.uuid.encode()).hexdigest()[:6], 16)
            return 50_000_000 + seed % 200_000_000
        if refresh or now - self._disk_at > DEFAULTS["disk_cache_seconds"]:
            total = 0
            for root, _dirs, files in os.walk(self.data_dir):
                for name in files:
                    with contextlib.suppress(OSError):
                        total += os.lstat(os.path.join(root, name)).st_size
            self._disk, self._disk_at = total, now
        return self._disk

    def stats(self, *, refresh_disk: bool = False) -> dict:
        """Wings' ``ResourceUsage`` in struct order (what ``send stats`` and auth-while-offline send)."""
        memory = cpu = rx = tx = uptime = 0
        if self.state != OFFLINE and self._started_at is not None:
            uptime = int((time.monotonic() - self._started_at) * 1000)
            rx = uptime * 3 // 2
            tx = self._tx + uptime // 2
            if self.virtual:
                seed = int(hashlib.md5(self.uuid.encode()).hexdigest()[:6], 16)
                memory = 300_000_000 + seed % 400_000_000 + (uptime // 1000) % 7 * 1_000_000
                cpu = round(3 + (seed + uptime // 1000) % 170 / 10, 3)
            elif self._ps is not None:
                try:
                    with self._ps.oneshot():
                        memory = int(self._ps.memory_info().rss)
                        cpu = round(self._ps.cpu_percent(None), 3)
                except (psutil.Error, OSError):
                    memory, cpu = 0, 0
        if isinstance(cpu, float) and cpu.is_integer():
            cpu = int(cpu)  # Go encodes a float64 without a fraction as an integer
        return {
            "memory_bytes": memory,
            "memory_limit_bytes": self._memory_limit,
            "cpu_absolute": cpu,
            "network": {"rx_bytes": rx, "tx_bytes": tx},
            "uptime": uptime,
            "state": self.state,
            "disk_bytes": self._disk_usage(refresh_disk),
        }

    def _stats_json(self, *, sort_keys: bool = False, refresh_disk: bool = False) -> str:
        return json.dumps(self.stats(refresh_disk=refresh_disk), separators=(",", ":"), sort_keys=sort_keys)

    def stats_json(self, *, sort_keys: bool = False, refresh_disk: bool = False) -> str:
        """The ``stats`` event argument (JSON in a string)."""
        return self._stats_json(sort_keys=sort_keys, refresh_disk=refresh_disk)

    # ------------------------------------------------------------------ console lines
    def _throttle_allow(self) -> bool:
        now = time.monotonic()
        if now - self._win_start > self.throttle_interval:
            self._win_start, self._win_count = now, 0
        self._win_count += 1
        return self._win_count <= self.throttle_lines

    def _line_bytes(self, raw: bytes) -> None:
        self._line(raw[:MAX_LINE_BYTES].decode("utf-8", errors="replace"))

    def _line(self, text: str) -> None:
        text = text.rstrip("\r\n")
        if not text:
            return
        self.history.append(text)
        self._tx += len(text) + 1
        if self.state == STARTING and any(match(text) for match in self._done_matchers()):
            self._disk_at = -1e9  # the game has written its files by now
            self._set_state(RUNNING)
        if self._throttle_allow():
            self._throttled = False
            self._publish("console output", [text])
        elif not self._throttled:
            self._throttled = True
            self._daemon("Server is outputting console data too quickly -- throttling...")

    async def _read_output(self, stream: asyncio.StreamReader) -> None:
        pending = b""
        discarding = False
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                break
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            for part in parts:
                if discarding:  # the tail of an over-long line
                    discarding = False
                    continue
                self._line_bytes(part)
            if len(pending) > MAX_LINE_BYTES:
                if not discarding:
                    self._line_bytes(pending)
                discarding = True
                pending = b""
        if pending and not discarding:
            self._line_bytes(pending)

    # ------------------------------------------------------------------ public API
    def executing_power_action(self) -> bool:
        """Wings' ``ExecutingPowerAction``: the power lock is held (a reinstall is refused then)."""
        return self._lock.locked()

    def run_in_background(self, coro) -> asyncio.Task:
        """A task of this server's (a reinstall): cancelled by close()."""
        return self._background(coro)

    def _server_environment(self) -> dict[str, str]:
        """The egg's variables and Wings' own (eggvars.environment), minus names the Python process needs."""
        env = eggvars.environment(self.server) if _get(self.server, "egg") is not None else {}
        return {k: v for k, v in env.items() if k != "PATH" and not k.startswith(("PYTHON", "LD_"))}

    def is_running(self) -> bool:
        """Docker's view: starting, running and stopping count as running."""
        return self.state != OFFLINE

    async def power(self, action: str, *, try_lock: bool = True) -> None:
        if action not in ACTIONS:
            raise PowerError("attempting to handle unknown power action")
        if self._closed:
            raise PowerError("the sandbox is shutting down")
        error = self._condition_error()
        if error is not None:
            raise error
        if action == "kill":
            # kill takes the lock when it is free and proceeds anyway when it is not
            acquired = False
            if not self._lock.locked():
                await self._lock.acquire()
                acquired = True
            try:
                await self._terminate(signal.SIGKILL)
            finally:
                if acquired:
                    self._lock.release()
            return
        if self._lock.locked():
            if try_lock:
                raise PowerLocked()
            try:
                await asyncio.wait_for(self._lock.acquire(), self.stop_timeout + 15)
            except TimeoutError:
                raise PowerLocked() from None
        else:
            await self._lock.acquire()
        try:
            if action == "start":
                await self._start()
            elif action == "stop":
                await self._stop()
            else:
                await self._stop()
                await self._start()
        finally:
            self._lock.release()

    def request_power(self, action: str) -> None:
        """The panel's ``POST /power``: run in the background, errors only logged (202 semantics)."""

        async def run() -> None:
            try:
                await self.power(action, try_lock=True)
            except PowerError as exc:
                log.info("server %s: power %s: %s", self.uuid, action, exc)
            except Exception:  # pragma: no cover - logged, never raised to the HTTP caller
                log.exception("server %s: power %s failed", self.uuid, action)

        self._background(run())

    async def send_command(self, command: str) -> bool:
        """Write one console command; False when the process is not running (the panel's 502)."""
        if not self.is_running():
            return False
        stop = self.stop_command
        if not stop.startswith("^") and command == stop:
            self._set_state(STOPPING)  # so the exit is not seen as a crash
        if self.virtual:
            self._virtual_command(command)
            return True
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None:
            return True  # starting and not attached yet: Wings ignores it
        try:
            proc.stdin.write(command.encode("utf-8") + b"\n")
            await asyncio.wait_for(proc.stdin.drain(), 5)
        except (TimeoutError, OSError, ConnectionError, RuntimeError) as exc:
            log.info("server %s: cannot write command: %s", self.uuid, exc)
        return True

    async def close(self) -> None:
        """End the process and every task (sandbox shutdown); nothing is left running."""
        self._closed = True
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        proc = self._proc
        if proc is not None:
            self._kill_process(proc, signal.SIGKILL)
            with contextlib.suppress(asyncio.TimeoutError, ProcessLookupError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), self.kill_wait)
        if self._monitor is not None and not self._monitor.done():
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._monitor, 1)
        pending = [t for t in self._tasks if t is not current and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=1)
        self._proc = None
        self.state = OFFLINE
        self._started_at = None

    # ------------------------------------------------------------------ internals
    def _background(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _later(self, delay: float, callback, *args) -> None:
        loop = asyncio.get_running_loop()
        handle = loop.call_later(delay, self._fire, callback, args)
        self._timers.append(handle)

    def _fire(self, callback, args) -> None:
        now = asyncio.get_running_loop().time()
        self._timers = [h for h in self._timers if not h.cancelled() and h.when() > now]
        if not self._closed:
            callback(*args)

    def _cancel_timers(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    async def _start(self) -> None:
        if self.state != OFFLINE:
            raise PowerError("server is running")
        # onBeforeStart: panel sync (suspension), disk check, config files, permissions
        if _get(self.server, "status") == "suspended" or self.suspended:
            raise PowerError("server is currently in a suspended state")
        disk_limit = self._limit("disk")
        if disk_limit > 0:
            self._daemon("Checking server disk space usage, this could take a few seconds...")
            if self._disk_usage(refresh=True) > disk_limit * 1024 * 1024:
                raise PowerError("filesystem: not enough disk space")
        self._daemon("Updating process configuration files...")
        self._daemon("Ensuring file permissions are set correctly, this could take a few seconds...")
        memory = self._limit("memory")
        self._memory_limit = (
            int(memory * memory_multiplier(memory) * 1_000_000) if memory > 0 else int(psutil.virtual_memory().total)
        )
        self._win_start, self._win_count, self._throttled = 0.0, 0, False
        self._exit_code = 0
        self._set_state(STARTING)
        self._daemon("Pulling Docker container image, this could take a few minutes to complete...")
        self._daemon("Finished pulling Docker container image")
        if self.virtual:
            self._started_at = time.monotonic()
            if _get(self._egg, "eula_required", False) and not self._virtual_eula():
                return
            self._later(self.start_delay, self._virtual_booted)
            crash_after = self._game("crash_after")
            if crash_after is not None:
                self._later(max(self.start_delay, float(crash_after)), self._virtual_exit, 1)
            return
        try:
            await self._spawn()
        except BaseException:
            if self._proc is None:
                self._set_state(STOPPING)
                self._set_state(OFFLINE)
            raise

    def _command_line(self) -> list[str]:
        argv = [self.python, "-u", str(GAMESERVER), "--boot-seconds", str(float(self._game("boot_seconds", 1.0)))]
        crash_after = self._game("crash_after")
        if crash_after is not None:
            argv += ["--crash-after", str(float(crash_after))]
        noisy = self._game("noisy", False)
        if noisy is True:
            noisy = DEFAULTS["noisy_rate"]
        if noisy:
            argv += ["--noisy", str(float(noisy))]
        if self._game("invalid_utf8", False):
            argv.append("--invalid-utf8")
        burst = int(self._game("burst", 0) or 0)
        if burst:
            argv += ["--burst", str(burst)]
        if self._game("hang_on_stop", False):
            argv.append("--hang-on-stop")
        if _get(self._egg, "eula_required", False):
            argv.append("--eula-required")
        return argv + eggvars.game_arguments(self.server)

    async def _spawn(self) -> None:
        if self._closed:
            raise PowerError("the sandbox is shutting down")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, **self._server_environment(), PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
        creating = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *self._command_line(),
                cwd=str(self.data_dir),
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        )
        try:
            proc = await asyncio.shield(creating)
        except asyncio.CancelledError:

            def reap(task: asyncio.Future) -> None:
                if not task.cancelled() and task.exception() is None:
                    self._kill_process(task.result(), signal.SIGKILL)

            creating.add_done_callback(reap)
            raise
        if self._closed or self.state != STARTING:
            # shut down, or killed while the process was being created
            self._kill_process(proc, signal.SIGKILL)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(proc.wait(), self.kill_wait)
            raise PowerError("the process was stopped while it was being created")
        self._proc = proc
        self._started_at = time.monotonic()
        try:
            self._ps = psutil.Process(proc.pid)
            self._ps.cpu_percent(None)
        except (psutil.Error, OSError):
            self._ps = None
        self._exited = asyncio.Event()
        self._monitor = asyncio.get_running_loop().create_task(self._watch(proc, self._exited))

    async def _watch(self, proc: asyncio.subprocess.Process, exited: asyncio.Event) -> None:
        try:
            if proc.stdout is not None:
                await self._read_output(proc.stdout)
            code = await proc.wait()
        finally:
            if self._proc is proc:
                self._proc = None
            exited.set()
        if self._closed:
            return
        self._exit_code = code
        self._set_state(OFFLINE)

    @staticmethod
    def _kill_process(proc: asyncio.subprocess.Process, sig: int) -> None:
        if proc.returncode is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # its own session: pgid == pid
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(proc.pid, sig)

    async def _wait_exit(self, timeout: float) -> bool:
        exited = self._exited
        if exited is None or self._proc is None and exited.is_set():
            return True
        try:
            await asyncio.wait_for(exited.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def wait_for_stop(self, timeout: float, *, terminate: bool = False) -> None:
        """W ``Environment.WaitForStop``: the egg's stop action (no power lock, no condition checks), then wait
        up to ``timeout`` for the process to end; still running then: killed with ``terminate``, else a
        PowerError (what a backup restore does: it never kills)."""
        await self._stop(timeout, terminate=terminate)

    async def _stop(self, timeout: float | None = None, *, terminate: bool = True) -> None:
        if self.state == OFFLINE:
            return
        timeout = self.stop_timeout if timeout is None else timeout
        stop = self.stop_command
        if stop.startswith("^"):
            # stop type "signal": Terminate with that signal (C and unknown names are SIGKILL)
            name = stop[1:].upper()
            sig = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGABRT": signal.SIGABRT}.get(
                name, signal.SIGKILL
            )
            await self._terminate(sig)
            return
        self._set_state(STOPPING)
        if self.virtual:
            self._virtual_command(stop, schedule_offline=False)
            await asyncio.sleep(self.stop_delay)
            self._virtual_offline()
            return
        proc = self._proc
        if proc is not None and proc.stdin is not None and proc.returncode is None:
            try:
                proc.stdin.write(stop.encode("utf-8") + b"\n")
                await asyncio.wait_for(proc.stdin.drain(), 5)
            except (TimeoutError, OSError, ConnectionError, RuntimeError):
                pass
        if not await self._wait_exit(timeout):
            if not terminate:
                raise PowerError('environment/docker: error waiting on container to enter "not-running" state')
            log.info("server %s: did not stop within %ss, killing it", self.uuid, timeout)
            await self._terminate(signal.SIGKILL)

    async def _terminate(self, sig: int) -> None:
        if self.state == OFFLINE and self._proc is None:
            return
        self._set_state(STOPPING)
        if self.virtual:
            self._cancel_timers()
            self._virtual_offline()
            return
        proc = self._proc
        if proc is not None:
            self._kill_process(proc, sig)
            if not await self._wait_exit(self.kill_wait if sig == signal.SIGKILL else self.stop_timeout):
                self._kill_process(proc, signal.SIGKILL)
                await self._wait_exit(self.kill_wait)
        if self.state == STOPPING:  # a restart waiting on the same exit may have started again
            self._set_state(OFFLINE)

    def _on_crash(self, exit_code: int) -> None:
        """§4.5: an exit from starting/running without passing stopping."""
        if not self.crash_detection:
            self._daemon("Aborting automatic restart, crash detection is disabled for this instance.")
            return
        if exit_code == 0 and not self.detect_clean_exit_as_crash:
            return
        self._daemon("---------- Detected server process in a crashed state! ----------")
        self._daemon(f"Exit code: {exit_code}")
        self._daemon("Out of memory: false")
        now = time.monotonic()
        if self._last_crash is not None and self.crash_timeout > 0 and now - self._last_crash < self.crash_timeout:
            self._daemon(
                f"Aborting automatic restart, last crash occurred less than {int(self.crash_timeout)} seconds ago."
            )
            return
        self._last_crash = now

        async def restart() -> None:
            try:
                await self.power("start", try_lock=True)
            except Exception as exc:
                log.info("server %s: restart after crash failed: %s", self.uuid, exc)
                self._daemon("Server crash was detected but an error occurred while handling it.")

        with contextlib.suppress(RuntimeError):
            self._background(restart())

    # ------------------------------------------------------------------ virtual mode
    def _virtual_booted(self) -> None:
        if self.state != STARTING:
            return
        # the game's properties when the folder has them (virtual servers write none): motd and max-players lines
        props = gameserver.read_properties(str(self.data_dir / "server.properties")) or {}
        self._players = gameserver.max_players(props)
        version = eggvars.game_version(self.server) or gameserver.VERSION
        messages = gameserver.boot_messages(props, version)
        if self._crashing_version(version):
            for line in [gameserver.stamp(message) for message in messages[:2]] + gameserver.version_crash(version):
                self._line(line)
            self._virtual_exit(1, crashed=False)
            return
        for message in messages[:4]:
            self._line(gameserver.stamp(message))
        self._line(gameserver.stamp(gameserver.DONE_TEMPLATE.format(self.start_delay)))
        if self.state == STARTING:  # an egg whose done string our lines do not contain
            self._set_state(RUNNING)
        if self._game("invalid_utf8", False):
            self._line_bytes(b"Invalid bytes follow: \xff\xfe caf\xc3 end")
        burst = int(self._game("burst", 0) or 0)
        for line in gameserver.burst_lines(burst):
            self._line(line)
        noisy = self._game("noisy", False)
        if noisy is True:
            noisy = DEFAULTS["noisy_rate"]
        if noisy and float(noisy) > 0:
            self._virtual_chatter(float(noisy), 0)

    def _crashing_version(self, version: str) -> bool:
        """The egg's ``crash_versions`` hold this version (or the variable's raw value)."""
        crash = set(_get(self._egg, "crash_versions", None) or [])
        name = _get(self._egg, "version_variable", None)
        raw = self._server_environment().get(str(name).upper(), "") if name else ""
        return bool(crash & {version, raw})

    def _virtual_chatter(self, rate: float, count: int) -> None:
        """Noisy virtual servers: ``rate`` lines a second, in batches of at most ten ticks a second."""
        if self.state != RUNNING:
            return
        interval = max(0.1, 1.0 / rate)
        for _ in range(max(1, round(rate * interval))):
            count += 1
            self._line(
                gameserver.stamp(
                    f"Villager trades refreshed ({count}), chunk {count % 97} ticked", thread=f"Worker-Main-{count % 4}"
                )
            )
        self._later(interval, self._virtual_chatter, rate, count)

    def _virtual_command(self, command: str, schedule_offline: bool = True) -> None:
        lines, stop = gameserver.respond(command, getattr(self, "_players", gameserver.MAX_PLAYERS))
        if command == self.stop_command:
            stop = True
        for line in lines:
            self._line(line)
        if command.split(" ", 1)[0] == "burst":
            try:
                count = max(0, min(1_000_000, int(command.split(" ", 1)[1])))
            except (IndexError, ValueError):
                count = 0
            for line in gameserver.burst_lines(count):
                self._line(line)
        if stop:
            self._line(gameserver.stamp(gameserver.STOP_MESSAGES[0]))
            if schedule_offline:
                self._cancel_timers()
                self._later(self.stop_delay, self._virtual_offline)

    def _virtual_offline(self) -> None:
        if self.state == OFFLINE:
            return
        self._cancel_timers()
        if self.state == STOPPING:
            for message in gameserver.STOP_MESSAGES[1:]:
                self._line(gameserver.stamp(message))
        self._exit_code = 0
        self._set_state(OFFLINE)

    def _virtual_eula(self) -> bool:
        """An egg with ``eula_required``: as the real game, refuse and exit (code 0) until eula.txt agrees."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        agreed, lines = gameserver.eula_check(str(self.data_dir))
        for line in lines:
            self._line(line)
        if not agreed:
            self._later(min(self.start_delay, 0.1), self._virtual_exit, 0, False)
        return agreed

    def _virtual_exit(self, code: int, crashed: bool = True) -> None:
        if self.state not in (STARTING, RUNNING):
            return
        self._cancel_timers()
        if crashed:
            self._line(gameserver.stamp("Encountered an unexpected exception", level="ERROR"))
        self._exit_code = code
        self._set_state(OFFLINE)
