"""Start ``python -m sandbox`` as a subprocess, wait until it is ready, stop it reliably.

The one launcher of the sandbox for everything outside it: the pytest fixtures (tests/conftest.py
wraps it in ``sandbox``, ``start_sandbox``, ``module_sandbox``), the benchmarks (bench/common.py)
and the demo (hack/demo.py). It has no pytest dependency::

    from sandbox.launcher import launch, running

    sb = launch(tmp / "sb", servers=6)          # keyword foo_bar=1 -> --foo-bar 1, True -> a bare flag
    sb["panel_url"], sb["keys"]["owner"], sb["control_url"]
    sb.api("GET", "/api/client"); sb.requests_log()
    assert sb.stop() == 0                        # SIGTERM; SandboxError if it hangs or leaves children

    with running(tmp / "sb", fleet="sandbox/fleets/demo.yml") as sb:
        ...                                      # stopped on the way out, whatever happens

The sandbox listens on 127.0.0.1 (ports it picks) and writes its ready file once both sites accept
connections; what that file holds is :func:`sandbox.__main__.ready_document`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import requests

try:  # psutil comes with sandbox/requirements.txt; without it, only the sandbox process itself is checked
    import psutil
except ImportError:  # pragma: no cover - the test and bench environments have it
    psutil = None

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
# The sandbox is not part of the collection: it runs on the main .venv when there is one, even when the
# tests run on another interpreter (hack/matrix.sh).
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
FLEETS = ROOT / "sandbox" / "fleets"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0

__all__ = [
    "FLEETS",
    "PYTHON",
    "ROOT",
    "START_TIMEOUT",
    "STOP_TIMEOUT",
    "Sandbox",
    "SandboxError",
    "cli_args",
    "launch",
    "running",
]


class SandboxError(RuntimeError, AssertionError):
    """The sandbox did not start, did not stop in time, or left processes behind.

    A RuntimeError (what a failed start always raised) and an AssertionError (what a failed stop
    raised), so that a fixture's teardown reports it as a failed check.
    """


class Sandbox(dict):
    """The parsed ready file plus the process and a few helpers."""

    proc: subprocess.Popen
    ready_path: pathlib.Path
    log_path: pathlib.Path

    # --- HTTP helpers (requests) -------------------------------------------------------------
    def headers(self, key: str | None = "owner", **extra) -> dict:
        h = {"Accept": "application/json"}
        if key is not None:
            token = self["keys"].get(key, key)
            h["Authorization"] = f"Bearer {token}"
        h.update(extra)
        return h

    def api(
        self, method: str, path: str, key: str | None = "owner", *, headers: dict | None = None, **kwargs
    ) -> requests.Response:
        """``path`` relative to the panel, e.g. ``/api/client``; ``key`` a role name or a token."""
        h = self.headers(key)
        h.update(headers or {})
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, self["panel_url"] + path, headers=h, **kwargs)

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return requests.request(method, self["control_url"] + path, **kwargs)

    def server(self, name: str) -> dict:
        for s in self["servers"]:
            if name in (s["name"], s["identifier"], s["uuid"]):
                return s
        raise KeyError(name)

    def requests_log(self) -> list[dict]:
        return self.control("GET", "/requests").json()

    def ports(self) -> list[tuple[str, int]]:
        """(host, port) of the panel and of Wings."""
        return [(u.hostname, u.port) for u in (urlsplit(self["panel_url"]), urlsplit(self["wings_url"]))]

    def listening(self) -> list[tuple[str, int]]:
        """Those of :meth:`ports` that still accept connections."""
        found = []
        for host, port in self.ports():
            with socket.socket() as sock:
                sock.settimeout(1)
                if sock.connect_ex((host, port)) == 0:
                    found.append((host, port))
        return found

    # --- process ------------------------------------------------------------------------------
    def children(self) -> list:
        return _children(self.proc.pid)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Signal the sandbox, wait for it; its exit code.

        Raises :class:`SandboxError` when it did not stop within ``timeout`` (it is killed) or left
        child processes behind (they are killed). Stopping a stopped sandbox returns its exit code.
        """
        if self.proc.poll() is not None:
            return self.proc.returncode
        kids = self.children()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise SandboxError(f"sandbox did not stop within {timeout}s; log: {self.log()}") from None
        leftover = _reap(kids)
        if leftover:
            raise SandboxError(f"child processes left after stop: {leftover}")
        return code

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def _children(pid: int) -> list:
    """Every descendant process of ``pid`` (psutil.Process objects); none without psutil."""
    if psutil is None:
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _reap(kids: list) -> list:
    """Wait a little for ``kids`` to end; kill and return those still running."""
    if psutil is None or not kids:
        return []
    _gone, alive = psutil.wait_procs(kids, timeout=5)
    leftover = []
    for p in alive:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                leftover.append(p)
                p.kill()
        except psutil.NoSuchProcess:
            pass
    return leftover


def cli_args(kwargs: dict) -> list[str]:
    """``{"rate_limit": 5, "virtual": True}`` -> ``["--rate-limit", "5", "--virtual"]`` (False/None dropped)."""
    argv = []
    for k, v in kwargs.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            argv.append(flag)
        elif v is False or v is None:
            continue
        else:
            argv += [flag, str(v)]
    return argv


def launch(
    directory: pathlib.Path,
    *,
    ready_file: pathlib.Path | None = None,
    log_file: pathlib.Path | None = None,
    python: str | None = None,
    start_timeout: float = START_TIMEOUT,
    new_session: bool = False,
    **kwargs,
) -> Sandbox:
    """Start ``python -m sandbox --ready-file ... <kwargs as options>``; return once it is ready.

    ``directory`` holds ready.json and sandbox.log unless ``ready_file``/``log_file`` say otherwise.
    Without ``servers`` or ``fleet``, a generated fleet of 3 servers. ``new_session``: the sandbox gets a
    session of its own (a Ctrl-C in the terminal reaches only the caller, who stops it). Raises
    :class:`SandboxError` when it exits or is not ready within ``start_timeout`` seconds (then it is killed).
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ready = pathlib.Path(ready_file) if ready_file else directory / "ready.json"
    log_path = pathlib.Path(log_file) if log_file else directory / "sandbox.log"
    if "servers" not in kwargs and "fleet" not in kwargs:
        kwargs["servers"] = 3
    argv = [python or PYTHON, "-m", "sandbox", "--ready-file", str(ready)] + cli_args(kwargs)
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
    deadline = time.monotonic() + start_timeout
    try:
        while not ready.exists():
            if proc.poll() is not None:
                raise SandboxError(f"sandbox exited with {proc.returncode}: {log_path.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise SandboxError(f"sandbox not ready after {start_timeout}s: {log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        info = json.loads(ready.read_text())
    except BaseException:  # not ready, or interrupted (Ctrl-C) while waiting: nothing is left running
        if proc.poll() is None:
            kids = _children(proc.pid)
            proc.kill()
            proc.wait(5)
            _reap(kids)
        raise
    sb = Sandbox(info)
    sb.proc, sb.ready_path, sb.log_path = proc, ready, log_path
    return sb


@contextlib.contextmanager
def running(directory: pathlib.Path, *, check: bool = True, **kwargs):
    """:func:`launch` as a context manager: always stopped on exit; with ``check``, a non-zero exit is an error."""
    sb = launch(directory, **kwargs)
    try:
        yield sb
    finally:
        code = sb.stop()
        if check and code != 0:
            raise SandboxError(f"sandbox exited with {code}: {sb.log()}")
