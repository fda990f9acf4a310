"""A tiny console program that behaves like a Minecraft-ish game server.

Run as ``python -m sandbox.gameserver [options]`` or by path, with the server's data folder as the
current directory.  Standard library only, so it can be started by path without the package.

Behaviour:
* boot lines spread over ``--boot-seconds``, then ``Done (1.234s)! For help, type "help"``;
* stdin commands: ``say <msg>``, ``list``, ``help``, ``burst <n>``, ``stop``; anything else is
  echoed in an ``Unknown command`` line;
* ``--crash-after N`` exits with code 1 after N seconds, ``--noisy N`` prints N chatter lines a
  second, ``--invalid-utf8`` prints a line holding bytes that are not UTF-8, ``--burst N`` prints
  N lines at once right after the done line;
* ``--hang-on-stop`` ignores ``stop`` (for stop-timeout tests);
* ``--version-variable NAME``: the version in the first boot line is the value of that environment variable (as
  the egg's variables reach a container), ``latest`` or empty meaning ``--latest-version``; with
  ``--crash-versions a,b`` a listed version fails at boot (``Failed to start the minecraft server`` and a stack
  trace naming it, exit code 1);
* reads ``server.properties`` from its data folder at boot (java.util.Properties syntax; written with
  Minecraft-like defaults only when missing) and prints ``motd: <motd>`` and ``max-players: <n>`` after
  ``Loading properties``; ``list`` answers with that ``max-players``;
* ``--eula-required``: as Minecraft, refuses to boot until ``eula.txt`` holds ``eula=true`` (creating it with
  ``eula=false`` when missing), printing ``You need to agree to the EULA in order to run the server. Go to
  eula.txt for more info.`` and exiting with code 0;
* writes a few files (``world/``, ``logs/latest.log``) so disk usage is non-zero;
* ends itself when stdin closes (the daemon went away).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time

MAX_PLAYERS = 20
VERSION = "1.20.4"  # without --version-variable
DONE_TEMPLATE = 'Done ({:.3f}s)! For help, type "help"'
HELP_LINES = (
    "--------- Help: Index (1/1) ----------------------",
    "help: Shows this list of commands",
    "list: Lists the players online",
    "say <message>: Broadcasts a message to every player",
    "burst <count>: Prints <count> lines at once",
    "stop: Saves the world and stops the server",
)
EULA_REFUSAL = "You need to agree to the EULA in order to run the server. Go to eula.txt for more info."
EULA_HEADER = "#By changing the setting below to TRUE you are indicating your agreement to our EULA (https://aka.ms/MinecraftEULA)."
DEFAULT_PROPERTIES = {  # a subset of a fresh 1.20 server.properties, in Minecraft's (sorted) order
    "allow-flight": "false",
    "allow-nether": "true",
    "difficulty": "easy",
    "enable-command-block": "false",
    "enable-rcon": "false",
    "enforce-whitelist": "false",
    "gamemode": "survival",
    "hardcore": "false",
    "level-name": "world",
    "level-seed": "",
    "max-players": "20",
    "motd": "A Minecraft Server",
    "online-mode": "true",
    "pvp": "true",
    "server-ip": "",
    "server-port": "25565",
    "spawn-protection": "16",
    "view-distance": "10",
    "white-list": "false",
}


def boot_messages(props: dict | None = None, version: str = VERSION) -> list[str]:
    """The boot lines before ``Done``, from the server's properties (defaults where missing or unreadable)."""
    props = dict(DEFAULT_PROPERTIES, **(props or {}))

    def shown(text: str) -> str:  # one console line, whatever the value holds
        return text.replace("\r", "\\r").replace("\n", "\\n")

    return [
        f"Starting minecraft server version {version}",
        "Loading properties",
        f"motd: {shown(props['motd'])}",
        f"max-players: {max_players(props)}",
        f"Default game type: {shown(props['gamemode']).upper()}",
        "Generating keypair",
        f"Starting Minecraft server on {shown(props['server-ip']) or '*'}:{shown(props['server-port'])}",
        f'Preparing level "{shown(props["level-name"])}"',
        "Preparing start region for dimension minecraft:overworld",
        "Preparing spawn area: 0%",
        "Preparing spawn area: 51%",
        "Time elapsed: 412 ms",
    ]


STOP_MESSAGES = (
    "Stopping server",
    "Saving players",
    "Saving worlds",
    "Saving chunks for level 'ServerLevel[world]'/minecraft:overworld",
    "ThreadedAnvilChunkStorage (world): All chunks are saved",
    "ThreadedAnvilChunkStorage: All dimensions are saved",
)


def version_of(environ: dict, variable: str | None, latest: str = VERSION) -> str:
    """The game's version: the ``variable``'s value in ``environ``; ``latest`` or empty is ``latest``."""
    value = str(environ.get(variable, "") if variable else "").strip()
    return latest if value.lower() in ("", "latest") else value


def version_crash(version: str) -> list[str]:
    """What a version that cannot run prints at boot (after the version line), before it exits with code 1."""
    return [
        stamp("Failed to start the minecraft server", level="ERROR", thread="ServerMain"),
        f"java.lang.IllegalStateException: Unsupported data version for minecraft server version {version}",
        "\tat net.minecraft.server.Main.main(Main.java:218)",
        "\tat io.papermc.paperclip.Paperclip.main(Paperclip.java:42)",
    ]


def stamp(message: str, level: str = "INFO", thread: str = "Server thread") -> str:
    """A console line as the game prints it: ``[HH:MM:SS] [Server thread/INFO]: message``."""
    return f"[{time.strftime('%H:%M:%S')}] [{thread}/{level}]: {message}"


# --------------------------------------------------------------------------- server.properties, eula.txt


def parse_properties(text: str) -> dict[str, str]:
    """``java.util.Properties.load``: ``key=value``, ``key: value`` or ``key value``; ``#``/``!`` comment lines;
    a line ending in an odd number of backslashes continues on the next (its leading blanks dropped);
    escapes ``\\t \\n \\r \\f \\uXXXX`` and ``\\<any>`` (the character itself). A malformed ``\\u`` is
    kept as written (Java would refuse the file)."""
    props: dict[str, str] = {}
    lines = re.split(r"\r\n|\r|\n", text)
    i = 0
    while i < len(lines):
        line = lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1:
            line = line[:-1]
            if i >= len(lines):
                break
            line += lines[i].lstrip(" \t\f")
            i += 1
        key_end, value_start, separated, escaped = len(line), len(line), False, False
        for pos, char in enumerate(line):
            if char in "=:" and not escaped:
                key_end, value_start, separated = pos, pos + 1, True
                break
            if char in " \t\f" and not escaped:
                key_end, value_start = pos, pos + 1
                break
            escaped = char == "\\" and not escaped
        while value_start < len(line):
            char = line[value_start]
            if char in "=:" and not separated:
                separated = True
            elif char not in " \t\f":
                break
            value_start += 1
        props[_unescape(line[:key_end])] = _unescape(line[value_start:])
    return props


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        i += 1
        if char != "\\" or i >= len(text):
            out.append(char)
            continue
        char = text[i]
        i += 1
        if char == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i : i + 4]):
            out.append(chr(int(text[i : i + 4], 16)))
            i += 4
        else:
            out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(char, char))
    return "".join(out)


def read_properties(path: str) -> dict[str, str] | None:
    """A properties file (UTF-8, else ISO-8859-1 as Minecraft falls back to), or None when it is missing."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    try:
        return parse_properties(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return parse_properties(raw.decode("latin-1"))


def java_date() -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())


def load_server_properties(data_dir: str, *, create: bool = True) -> dict[str, str]:
    """``server.properties``: read, or (``create``) written with the defaults when missing."""
    path = os.path.join(data_dir, "server.properties")
    props = read_properties(path)
    if props is not None:
        return props
    if create:
        lines = ["#Minecraft server properties", "#" + java_date()]
        lines += [f"{key}={value}" for key, value in DEFAULT_PROPERTIES.items()]
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
        except OSError:
            pass
    return dict(DEFAULT_PROPERTIES)


def max_players(props: dict) -> int:
    value = props.get("max-players", "20")
    return int(value) if re.fullmatch(r"[+-]?\d{1,9}", value) else 20  # Integer.parseInt, else the default


BOOT_MESSAGES = tuple(boot_messages())


def eula_check(data_dir: str) -> tuple[bool, list[str]]:
    """Minecraft's ``Eula``: -> (agreed, console lines); a missing ``eula.txt`` is written with ``eula=false``."""
    path = os.path.join(data_dir, "eula.txt")
    props = read_properties(path)
    lines = []
    if props is None:
        lines.append(stamp("Failed to load eula.txt", level="WARN", thread="ServerMain"))
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(f"{EULA_HEADER}\n#{java_date()}\neula=false\n")
        except OSError:
            pass
        props = {}
    agreed = props.get("eula", "false").lower() == "true"  # Boolean.parseBoolean
    if not agreed:
        lines.append(stamp(EULA_REFUSAL, thread="ServerMain"))
    return agreed, lines


def respond(command: str, players: int = MAX_PLAYERS) -> tuple[list[str], bool]:
    """Console reply lines for one stdin command, and whether the command stops the server.

    Shared with the virtual runtime (sandbox/power.py) so both answer alike.  ``burst`` and
    ``stop`` are answered by the caller (they need its timing); here they only return
    their first lines.
    """
    command = command.strip()
    if not command:
        return [], False
    name, _, rest = command.partition(" ")
    if name == "say":
        return [stamp("[Server] " + rest)], False
    if name == "list":
        return [stamp(f"There are 0 of a max of {players} players online: ")], False
    if name == "help":
        return [stamp(line) for line in HELP_LINES], False
    if name == "stop":
        return [], True
    if name == "burst":
        return [], False
    return [stamp(f'Unknown command. Type "help" for help. ({command})', level="WARN")], False


def burst_lines(count: int) -> list[str]:
    return [stamp(f"Burst line {i + 1} of {count}") for i in range(count)]


class Console:
    """Line-oriented, thread-safe writer on the raw stdout, flushed per line."""

    def __init__(self, log_path: str | None):
        self._lock = threading.Lock()
        self._out = sys.stdout.buffer
        self._log = None
        if log_path:
            try:
                os.makedirs(os.path.dirname(log_path), exist_ok=True)
                self._log = open(log_path, "ab")  # noqa: SIM115 - kept open for the process's lifetime
            except OSError:
                self._log = None

    def raw(self, data: bytes) -> None:
        with self._lock:
            try:
                self._out.write(data)
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                os._exit(0)  # nobody listens any more
            if self._log is not None:
                try:
                    self._log.write(data)
                    self._log.flush()
                except OSError:
                    pass

    def line(self, text: str) -> None:
        self.raw(text.encode("utf-8") + b"\n")

    def lines(self, texts: list[str]) -> None:
        if texts:
            self.raw("".join(t + "\n" for t in texts).encode("utf-8"))


def write_world(data_dir: str, eula_required: bool = False) -> None:
    """A few files so the data folder has a non-zero size (and ``eula.txt`` accepted unless it must be asked)."""
    try:
        os.makedirs(os.path.join(data_dir, "world", "region"), exist_ok=True)
        os.makedirs(os.path.join(data_dir, "logs"), exist_ok=True)
        level = os.path.join(data_dir, "world", "level.dat")
        if not os.path.exists(level):
            with open(level, "wb") as fh:
                fh.write(os.urandom(16384))
        region = os.path.join(data_dir, "world", "region", "r.0.0.mca")
        if not os.path.exists(region):
            with open(region, "wb") as fh:
                fh.write(b"\0" * 8192 + os.urandom(24576))
        eula = os.path.join(data_dir, "eula.txt")
        if not eula_required and not os.path.exists(eula):
            with open(eula, "w") as fh:
                fh.write("eula=true\n")
    except OSError:
        pass


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gameserver", description=__doc__.splitlines()[0])
    parser.add_argument("--boot-seconds", type=float, default=1.0)
    parser.add_argument(
        "--crash-after", type=float, default=None, help="exit with code 1 this many seconds after start"
    )
    parser.add_argument("--noisy", type=float, default=0.0, help="chatter lines per second")
    parser.add_argument(
        "--invalid-utf8", action="store_true", help="print a line with bytes that are not valid UTF-8 after boot"
    )
    parser.add_argument("--burst", type=int, default=0, help="print N lines at once after boot")
    parser.add_argument("--stop-seconds", type=float, default=0.1, help="time spent saving on stop")
    parser.add_argument("--hang-on-stop", action="store_true", help="ignore the stop command (the daemon must kill it)")
    parser.add_argument(
        "--eula-required", action="store_true", help="refuse to boot until eula.txt holds eula=true (Minecraft)"
    )
    parser.add_argument("--version-variable", default=None, help="environment variable holding the game version")
    parser.add_argument("--latest-version", default=VERSION, help="what 'latest' (or no value) means")
    parser.add_argument("--crash-versions", default="", help="comma-separated versions that fail at boot")
    parser.add_argument("--data-dir", default=".")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    data_dir = os.path.abspath(args.data_dir)
    props = load_server_properties(data_dir)
    console = Console(os.path.join(data_dir, "logs", "latest.log"))
    if args.eula_required:
        agreed, lines = eula_check(data_dir)
        console.lines(lines)
        if not agreed:
            os._exit(0)  # Minecraft returns from main (no world yet): a clean exit the daemon sees as a crash
    write_world(data_dir, args.eula_required)
    players = max_players(props)
    version = version_of(os.environ, args.version_variable, args.latest_version)
    messages = boot_messages(props, version)
    raw_version = os.environ.get(args.version_variable or "", "")
    if args.version_variable and {version, raw_version} & set(filter(None, args.crash_versions.split(","))):
        console.lines([stamp(message) for message in messages[:2]] + version_crash(version))
        os._exit(1)
    stopping = threading.Event()
    booted = threading.Event()

    def finish(code: int) -> None:
        os._exit(code)

    def do_stop() -> None:
        if stopping.is_set():
            return
        stopping.set()
        console.line(stamp(STOP_MESSAGES[0]))
        if args.stop_seconds > 0:
            time.sleep(args.stop_seconds)
        console.lines([stamp(m) for m in STOP_MESSAGES[1:]])
        finish(0)

    def crash_timer() -> None:
        time.sleep(args.crash_after)
        if stopping.is_set():
            return
        console.lines(
            [
                stamp("Encountered an unexpected exception", level="ERROR"),
                stamp("java.lang.IllegalStateException: the sandbox asked for a crash", level="ERROR"),
                stamp("This crash report has been saved to: crash-reports/crash.txt", level="ERROR"),
            ]
        )
        try:
            os.makedirs(os.path.join(data_dir, "crash-reports"), exist_ok=True)
            with open(os.path.join(data_dir, "crash-reports", "crash.txt"), "w") as fh:
                fh.write("---- Minecraft Crash Report ----\n")
        except OSError:
            pass
        finish(1)

    def chatter() -> None:
        booted.wait()
        rate = args.noisy
        # batch so that high rates do not need tiny sleeps
        per_tick = max(1, int(rate / 50))
        interval = per_tick / rate
        n = 0
        next_at = time.monotonic()
        while not stopping.is_set():
            batch = []
            for _ in range(per_tick):
                n += 1
                batch.append(
                    stamp(f"Villager trades refreshed ({n}), chunk {n % 97} ticked", thread=f"Worker-Main-{n % 4}")
                )
            console.lines(batch)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()

    steps = len(messages)
    pause = max(0.0, args.boot_seconds) / steps
    # The version line comes before the console reads commands (as Minecraft's does): a ``stop`` sent at once
    # still finds it printed.
    console.line(stamp(messages[0]))

    def boot() -> None:
        if pause:
            time.sleep(pause)
        for message in messages[1:]:
            if stopping.is_set():
                return
            console.line(stamp(message))
            if pause:
                time.sleep(pause)
        if stopping.is_set():
            return
        console.line(stamp(DONE_TEMPLATE.format(time.monotonic() - started)))
        booted.set()
        if args.invalid_utf8:
            console.raw(
                b"[" + time.strftime("%H:%M:%S").encode() + b"] [Server thread/WARN]: "
                b"Invalid bytes follow: \xff\xfe caf\xc3 end \xed\xa0\x80!\n"
            )
        if args.burst > 0:
            console.lines(burst_lines(args.burst))

    threads = [threading.Thread(target=boot, daemon=True, name="boot")]
    if args.crash_after is not None:
        threads.append(threading.Thread(target=crash_timer, daemon=True, name="crash"))
    if args.noisy > 0:
        threads.append(threading.Thread(target=chatter, daemon=True, name="chatter"))
    for thread in threads:
        thread.start()

    stdin = sys.stdin.buffer
    while True:
        try:
            raw = stdin.readline()
        except (OSError, ValueError):
            raw = b""
        if not raw:
            # stdin closed: the daemon is gone, end without a trace
            finish(0)
        command = raw.decode("utf-8", errors="replace").strip()
        if not command:
            continue
        lines, stop = respond(command, players)
        if stop:
            if args.hang_on_stop:
                console.line(stamp("Stopping server"))
                console.line(stamp("Waiting for a very slow world save...", level="WARN"))
                continue
            threading.Thread(target=do_stop, daemon=True, name="stop").start()
            continue
        if command.split(" ", 1)[0] == "burst":
            try:
                count = max(0, min(1_000_000, int(command.split(" ", 1)[1])))
            except (IndexError, ValueError):
                count = 0
            console.lines(burst_lines(count))
            continue
        console.lines(lines)


if __name__ == "__main__":
    sys.exit(main())
