"""sandbox/gameserver.py: the console program each non-virtual server runs."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GAMESERVER = ROOT / "sandbox" / "gameserver.py"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable

pytestmark = pytest.mark.timeout(30)


def start(cwd: pathlib.Path, *args: str, module: bool = False) -> subprocess.Popen:
    cwd.mkdir(parents=True, exist_ok=True)
    argv = [PYTHON, "-m", "sandbox.gameserver"] if module else [PYTHON, str(GAMESERVER)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        argv + list(args), cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )


def read_until(proc: subprocess.Popen, needle: bytes, timeout: float = 5.0) -> list[bytes]:
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not seen; got {lines[-5:]}")


def test_boot_commands_and_clean_stop(tmp_path):
    proc = start(tmp_path, "--boot-seconds", "0.2")
    try:
        t0 = time.monotonic()
        boot = read_until(proc, b"Done (")
        assert time.monotonic() - t0 < 3
        assert len(boot) >= 5
        assert boot[-1].rstrip().endswith(b')! For help, type "help"')
        assert b"Done (0." in boot[-1]
        for command, expected in (
            (b"say hello world", b"[Server] hello world"),
            (b"list", b"There are 0 of a max of 20 players online: \n"),
            (b"help", b"stop: Saves the world"),
            (b"tp me there", b'Unknown command. Type "help" for help. (tp me there)'),
        ):
            proc.stdin.write(command + b"\n")
            proc.stdin.flush()
            assert expected in read_until(proc, expected)[-1]
        proc.stdin.write(b"burst 300\n")
        proc.stdin.flush()
        burst = read_until(proc, b"Burst line 300 of 300")
        assert len(burst) == 300
        proc.stdin.write(b"stop\n")
        proc.stdin.flush()
        rest = proc.stdout.read()
        assert proc.wait(5) == 0
        assert b"Stopping server" in rest and b"All dimensions are saved" in rest
        # the data folder has some weight
        assert (tmp_path / "world" / "level.dat").stat().st_size > 0
        assert (tmp_path / "server.properties").exists()
        assert b"Stopping server" in (tmp_path / "logs" / "latest.log").read_bytes()
    finally:
        proc.kill()
        proc.wait()


def test_ends_when_stdin_closes_and_runs_as_module(tmp_path):
    proc = start(tmp_path, "--boot-seconds", "0", module=True)
    try:
        read_until(proc, b"Done (")
        proc.stdin.close()
        assert proc.wait(5) == 0
    finally:
        proc.kill()
        proc.wait()


def test_crash_after_noisy_and_invalid_utf8(tmp_path):
    proc = start(tmp_path, "--boot-seconds", "0", "--crash-after", "1.0", "--noisy", "50", "--invalid-utf8")
    try:
        t0 = time.monotonic()
        out = proc.stdout.read()
        code = proc.wait(5)
        assert code == 1
        assert 0.9 < time.monotonic() - t0 < 3
        assert b"\xff\xfe" in out
        with pytest.raises(UnicodeDecodeError):
            out.decode("utf-8")
        chatter = [line for line in out.splitlines() if b"Villager trades" in line]
        assert 25 <= len(chatter) <= 80  # about 50 lines in one second
        assert b"Encountered an unexpected exception" in out
    finally:
        proc.kill()
        proc.wait()


def test_burst_option_and_hang_on_stop(tmp_path):
    proc = start(tmp_path, "--boot-seconds", "0", "--burst", "1000", "--hang-on-stop")
    try:
        read_until(proc, b"Burst line 1000 of 1000")
        proc.stdin.write(b"stop\n")
        proc.stdin.flush()
        read_until(proc, b"Waiting for a very slow world save")
        time.sleep(0.3)
        assert proc.poll() is None  # still alive: the daemon must kill it
    finally:
        proc.kill()
        proc.wait()
