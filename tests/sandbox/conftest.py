"""Fixtures that run the real sandbox CLI (``python -m sandbox``) as a subprocess.

* ``sandbox`` (session): a generated fleet of 6 real-process servers; yields the parsed ready
  file (a dict with helpers, see :class:`Sandbox`) and stops it at the end of the session,
  asserting exit code 0 and that no child process is left.
* ``start_sandbox(**cli_args)`` (function): start a special one, e.g.
  ``start_sandbox(servers=120, virtual=True, rate_limit=5, flavor="pelican", fleet=path)``;
  keyword ``foo_bar=value`` becomes ``--foo-bar value``, ``True`` a bare flag. Stopped (and
  checked the same way) when the test ends; ``sb.stop()`` stops it earlier and returns the exit code.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import psutil
import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
FLEETS = ROOT / "sandbox" / "fleets"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


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

    def api(self, method: str, path: str, key: str | None = "owner", *, headers: dict | None = None,
            **kwargs) -> requests.Response:
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

    # --- process ------------------------------------------------------------------------------
    def children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is not None:
            return self.proc.returncode
        kids = self.children()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"sandbox did not stop within {STOP_TIMEOUT}s; log: {self.log()}")
        _gone, alive = psutil.wait_procs(kids, timeout=5)
        leftover = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for p in leftover:
            p.kill()
        assert not leftover, f"child processes left after stop: {leftover}"
        return code

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


def cli_args(kwargs: dict) -> list[str]:
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


def launch(directory: pathlib.Path, **kwargs) -> Sandbox:
    directory.mkdir(parents=True, exist_ok=True)
    ready = directory / "ready.json"
    log_path = directory / "sandbox.log"
    if "servers" not in kwargs and "fleet" not in kwargs:
        kwargs["servers"] = 3
    argv = [PYTHON, "-m", "sandbox", "--ready-file", str(ready)] + cli_args(kwargs)
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=logf, stderr=subprocess.STDOUT,
                                env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"sandbox exited with {proc.returncode}: {log_path.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"sandbox not ready after {START_TIMEOUT}s: {log_path.read_text(errors='replace')}")
        time.sleep(0.05)
    sb = Sandbox(json.loads(ready.read_text()))
    sb.proc, sb.ready_path, sb.log_path = proc, ready, log_path
    return sb


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    sb = launch(tmp_path_factory.mktemp("sandbox"), servers=6)
    yield sb
    assert sb.stop() == 0, sb.log()


@pytest.fixture
def start_sandbox(tmp_path):
    started: list[Sandbox] = []

    def start(**kwargs) -> Sandbox:
        sb = launch(tmp_path / f"sb{len(started)}", **kwargs)
        started.append(sb)
        return sb

    yield start
    for sb in started:
        assert sb.stop() == 0, sb.log()


@pytest.fixture
def clean(sandbox):
    """Reset the shared sandbox's log, faults, rate windows and resource cache before a test."""
    sandbox.control("POST", "/reset")
    yield sandbox
