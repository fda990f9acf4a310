"""The game server's configuration files: ``server.properties`` (java.util.Properties syntax, Minecraft-like
defaults written only when missing, ``motd``/``max-players`` in the boot lines and ``list``) and the EULA an egg
with ``eula_required`` asks for, alone and through a sandbox (real processes and virtual ones).
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from files_expect import Files, launch_files
from sandbox_expect import wait_for
from test_gameserver import read_until, start

from sandbox.gameserver import DEFAULT_PROPERTIES, EULA_REFUSAL, parse_properties

pytestmark = pytest.mark.timeout(60)


PROPERTIES = [
    ("motd=A Minecraft Server", {"motd": "A Minecraft Server"}),
    ("key: value", {"key": "value"}),
    ("key value with spaces", {"key": "value with spaces"}),
    ("  key  =  value  ", {"key": "value  "}),  # leading blanks dropped, trailing ones kept
    ("key=:=", {"key": ":="}),
    ("key", {"key": ""}),
    ("# comment\n! bang comment\n\n   \nx=1", {"x": "1"}),
    ("a\\ b\\=c=d", {"a b=c": "d"}),
    ("motd=Hello \\u00e9\\u263A\\t\\n\\\\end\\q", {"motd": "Hello é☺\t\n\\endq"}),
    ("motd=first \\\n    second \\\r\n\tthird", {"motd": "first second third"}),
    ("even=x\\\\\nnext=1", {"even": "x\\", "next": "1"}),
    ("#comment \\\nnot=continued", {"not": "continued"}),
    ("a=1\ra=2\r\nb=3", {"a": "2", "b": "3"}),
    ("bad=\\u12", {"bad": "u12"}),
]


@pytest.mark.parametrize(("text", "expected"), PROPERTIES)
def test_java_properties_syntax(text, expected):
    assert parse_properties(text) == expected


def test_boot_lines_show_the_properties_and_the_file_is_not_rewritten(tmp_path):
    raw = b"#mine\nmotd=Caf\\u00e9 \\\n  night\nmax-players = 7\nserver-port=25599\n"
    (tmp_path / "server.properties").write_bytes(raw)
    proc = start(tmp_path, "--boot-seconds", "0")
    try:
        boot = [line.decode() for line in read_until(proc, b"Done (")]
        assert any(line.endswith("[Server thread/INFO]: motd: Café night\n") for line in boot), boot
        assert any(line.endswith("[Server thread/INFO]: max-players: 7\n") for line in boot), boot
        assert any(line.endswith("Starting Minecraft server on *:25599\n") for line in boot), boot
        names = [line.split("]: ", 1)[1] for line in boot[:4]]
        assert names == ["Starting minecraft server version 1.20.4\n", "Loading properties\n", "motd: Café night\n",
                         "max-players: 7\n"]  # fmt: skip
        proc.stdin.write(b"list\n")
        proc.stdin.flush()
        assert read_until(proc, b"players online")[-1].endswith(b"There are 0 of a max of 7 players online: \n")
    finally:
        proc.kill()
        proc.wait()
    assert (tmp_path / "server.properties").read_bytes() == raw


def test_missing_properties_are_written_with_defaults(tmp_path):
    proc = start(tmp_path, "--boot-seconds", "0")
    try:
        boot = b"".join(read_until(proc, b"Done ("))
        assert b"[Server thread/INFO]: motd: A Minecraft Server\n" in boot
        assert b"[Server thread/INFO]: max-players: 20\n" in boot
    finally:
        proc.kill()
        proc.wait()
    text = (tmp_path / "server.properties").read_text()
    assert text.startswith("#Minecraft server properties\n#") and "motd=A Minecraft Server\n" in text
    assert parse_properties(text) == DEFAULT_PROPERTIES
    assert (tmp_path / "eula.txt").read_text() == "eula=true\n"  # an egg without eula_required: accepted


def test_eula_required_refuses_until_eula_is_true(tmp_path):
    proc = start(tmp_path, "--boot-seconds", "0", "--eula-required")
    out = proc.communicate(timeout=10)[0].decode()
    assert proc.returncode == 0 and "Done (" not in out
    lines = out.splitlines()
    assert lines[0].endswith("[ServerMain/WARN]: Failed to load eula.txt")
    assert lines[1].endswith(f"[ServerMain/INFO]: {EULA_REFUSAL}") and len(lines) == 2
    assert not (tmp_path / "world").exists() and "You need to agree" in (tmp_path / "logs" / "latest.log").read_text()
    eula = (tmp_path / "eula.txt").read_text()
    assert eula.startswith("#By changing the setting below to TRUE") and eula.endswith("\neula=false\n")
    proc = start(tmp_path, "--boot-seconds", "0", "--eula-required")
    out = proc.communicate(timeout=10)[0].decode()
    assert out.splitlines() == [out.splitlines()[0]] and out.rstrip().endswith(EULA_REFUSAL)
    (tmp_path / "eula.txt").write_text("eula=TRUE\n")
    proc = start(tmp_path, "--boot-seconds", "0", "--eula-required")
    try:
        assert b"Done (" in read_until(proc, b"Done (")[-1]
    finally:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- through a sandbox


def console(sb, server: dict, action, until: str, timeout: float = 20.0) -> list[str]:
    """Console lines of ``server`` from its websocket, after ``action()`` ran, up to one containing ``until``."""
    data = sb.api("GET", f"/api/client/servers/{server['identifier']}/websocket").json()["data"]

    async def main() -> list[str]:
        lines: list[str] = []
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(data["socket"], headers={"Origin": sb["panel_url"]})
            await ws.send_str(json.dumps({"event": "auth", "args": [data["token"]]}))
            async with asyncio.timeout(timeout):
                while json.loads((await ws.receive()).data)["event"] != "auth success":
                    pass
                await asyncio.get_running_loop().run_in_executor(None, action)
                async for msg in ws:
                    event = json.loads(msg.data)
                    if event["event"] == "console output":
                        lines.append(event["args"][0])
                        if until in event["args"][0]:
                            break
            await ws.close()
        return lines

    return asyncio.run(main())


@pytest.mark.parametrize("virtual", [False, True], ids=["process", "virtual"])
def test_a_strict_egg_boots_once_eula_txt_agrees(tmp_path, virtual):
    sb = launch_files(tmp_path, virtual=virtual)
    try:
        strict = Files(sb, "strict")
        power = f"/api/client/servers/{strict.server['identifier']}/power"
        lines = console(
            sb,
            strict.server,
            lambda: sb.api("POST", power, json={"signal": "start"}),
            "Aborting automatic restart",
        )
        text = "\n".join(lines)
        assert EULA_REFUSAL in text and "Detected server process in a crashed state!" in text
        assert "Exit code: 0" in text and "Done (" not in text
        wait_for(lambda: sb.control("GET", "/servers/strict").json()["state"] == "offline")
        assert "eula=false" in strict("GET", "contents", params={"file": "eula.txt"}).text
        assert strict.write("eula.txt", "eula=true\n").status_code == 204
        assert strict.write("server.properties", "motd=Config as code\nmax-players=12\n").status_code == 204
        lines = console(sb, strict.server, lambda: sb.api("POST", power, json={"signal": "start"}), "Done (")
        assert any(line.endswith("motd: Config as code") for line in lines), lines
        assert any(line.endswith("max-players: 12") for line in lines), lines
        wait_for(lambda: sb.control("GET", "/servers/strict").json()["state"] == "running")
        command = f"/api/client/servers/{strict.server['identifier']}/command"
        lines = console(sb, strict.server, lambda: sb.api("POST", command, json={"command": "list"}), "players online")
        assert lines[-1].endswith("There are 0 of a max of 12 players online: ")
    finally:
        assert sb.stop() == 0, sb.log()
