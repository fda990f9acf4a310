"""The game honours the egg's variables: the version line at boot is the ``version_variable``'s value (from the
environment Wings gives the process), so it changes after ``PUT /startup/variable`` and a restart; a version of
``crash_versions`` fails at boot with a Minecraft-like error, and Wings' crash handling follows. Alone
(sandbox/gameserver.py) and through a sandbox, real processes and virtual ones."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import types

import pytest
from sandbox_expect import wait_for
from startup_expect import FLEET, Client, launch_startup, record

from sandbox import eggvars
from sandbox import fleet as fleet_mod

pytestmark = pytest.mark.timeout(120)

ROOT = pathlib.Path(__file__).resolve().parents[2]
VERSION_LINE = "[Server thread/INFO]: Starting minecraft server version "
CRASH_LINE = "[ServerMain/ERROR]: Failed to start the minecraft server"


def game(tmp: pathlib.Path, version: str | None, *args: str) -> subprocess.CompletedProcess:
    """Run the game until it exits (``stop`` on stdin) with MINECRAFT_VERSION in its environment."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("MINECRAFT_VERSION", None)
    if version is not None:
        env["MINECRAFT_VERSION"] = version
    argv = [sys.executable, str(ROOT / "sandbox" / "gameserver.py"), "--boot-seconds", "0", *args]
    return subprocess.run(argv, cwd=tmp, env=env, input=b"stop\n", capture_output=True, timeout=20, check=False)


def test_the_game_reads_its_version_from_the_environment(tmp_path):
    options = ("--version-variable", "MINECRAFT_VERSION", "--latest-version", "1.21.1")
    for value, shown in (("1.20.1", "1.20.1"), ("latest", "1.21.1"), (None, "1.21.1"), (" 1.19.4 ", "1.19.4")):
        done = game(tmp_path, value, *options)
        lines = done.stdout.decode().splitlines()
        assert lines and lines[0].endswith(VERSION_LINE + shown), (done.returncode, lines[:2], done.stderr[-2000:])
    lines = game(tmp_path, "1.20.1").stdout.decode().splitlines()  # no --version-variable: the fixed one
    assert lines[0].endswith(VERSION_LINE + "1.20.4")


def test_a_crash_version_fails_at_boot(tmp_path):
    done = game(tmp_path, "1.99", "--version-variable", "MINECRAFT_VERSION", "--crash-versions", "1.98,1.99")
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 1
    assert lines[0].endswith(VERSION_LINE + "1.99") and lines[1].endswith("Loading properties")
    assert lines[2].endswith(CRASH_LINE)
    assert lines[3] == "java.lang.IllegalStateException: Unsupported data version for minecraft server version 1.99"
    assert lines[4].startswith("\tat net.minecraft.server.Main.main(") and not any("Done (" in x for x in lines)


def test_the_environment_wings_gives(tmp_path):
    (tmp_path / "fleet.yml").write_text(FLEET)
    server = fleet_mod.load(tmp_path / "fleet.yml").servers[0]
    server.variable_values["MINECRAFT_VERSION"] = "1.20.1"
    env = eggvars.environment(server)
    assert list(env)[:5] == ["TZ", "STARTUP", "SERVER_MEMORY", "SERVER_IP", "SERVER_PORT"]
    assert env["STARTUP"].startswith("java -Xmx{{SERVER_MEMORY}}M") and env["SECRET_TOKEN"] == "s3cret"
    assert (env["MINECRAFT_VERSION"], env["P_SERVER_UUID"], env["SERVER_MEMORY"]) == ("1.20.1", server.uuid, "1024")
    assert eggvars.game_version(server) == "1.20.1"
    server.variable_values["MINECRAFT_VERSION"] = "latest"
    assert eggvars.game_version(server) == "1.21.1"
    assert eggvars.game_version(types.SimpleNamespace(uuid="x")) is None  # a server without an egg


def console_until(sb, server: dict, action, needle: str, timeout: float = 30.0) -> list[str]:
    seen = record(
        sb, server, ["owner"], action, lambda name, args: name == "console output" and needle in args[0], timeout
    )
    return [args[0] for name, args in seen["owner"] if name == "console output"]


@pytest.mark.parametrize("virtual", [False, True], ids=["process", "virtual"])
def test_the_version_line_follows_the_variable(tmp_path, virtual):
    sb = launch_startup(tmp_path, virtual=virtual)
    try:
        alpha = Client(sb)
        power = {"signal": "start"}
        lines = console_until(sb, alpha.server, lambda: alpha("POST", "/power", json=power), ")! For help")
        assert any(line.endswith(VERSION_LINE + "1.21.1") for line in lines), lines  # latest
        assert any(line.endswith("motd: A Minecraft Server") for line in lines)  # server.properties as before
        assert alpha.put_variable("MINECRAFT_VERSION", "1.20.1").status_code == 200
        restart = {"signal": "restart"}
        lines = console_until(sb, alpha.server, lambda: alpha("POST", "/power", json=restart), ")! For help")
        assert [line for line in lines if VERSION_LINE in line][-1].endswith(VERSION_LINE + "1.20.1")
        alpha.patch(state="offline")
        assert alpha.put_variable("MINECRAFT_VERSION", "1.99").status_code == 200
        aborting = "Aborting automatic restart, last crash occurred less than 60 seconds ago."
        lines = console_until(sb, alpha.server, lambda: alpha("POST", "/power", json=power), aborting)
        assert sum(line.endswith(CRASH_LINE) for line in lines) == 2, lines  # the crash, and again after restart
        assert any("Detected server process in a crashed state!" in line for line in lines)
        assert not any("Done (" in line for line in lines)
        wait_for(lambda: alpha.state()["state"] == "offline")
    finally:
        assert sb.stop() == 0, sb.log()
