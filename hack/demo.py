#!/usr/bin/env python3
"""`make demo`: playbooks/demo.yml against a local sandbox panel, through the inventory plugin.

1. starts the sandbox (`python -m sandbox`) with sandbox/fleets/demo.yml, data under .build/demo/;
2. writes the inventory source .build/demo/demo.pterodactyl.yml (plugin and URL only);
3. runs `ansible-playbook -i <that> playbooks/demo.yml`, the owner's API key in the environment
   (PTERODACTYL_API_KEY), never on a command line or in a file we write;
4. says where the fleet report is;
5. always stops the sandbox (SIGTERM, then waits) and checks that nothing is left running or listening.

Exit code: the playbook's (1 when the sandbox could not start or did not stop cleanly).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
DEMO_DIR = ROOT / ".build" / "demo"
FLEET = ROOT / "sandbox" / "fleets" / "demo.yml"
PLAYBOOK = ROOT / "playbooks" / "demo.yml"
COLLECTIONS = ROOT / ".build" / "collections"
REPORT = ROOT / ".build" / "reports" / "fleet_report.html"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
PLAYBOOK_TIMEOUT = 600.0


def say(message: str) -> None:
    print("demo: %s" % message, flush=True)


def ensure_collection_link() -> None:
    """ansible_collections/gameops/pterodactyl -> this checkout (what `make collection` does)."""
    link = COLLECTIONS / "ansible_collections" / "gameops" / "pterodactyl"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)


def start_sandbox(ready: pathlib.Path, log: pathlib.Path) -> subprocess.Popen:
    data_dir = DEMO_DIR / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    argv = [sys.executable, "-m", "sandbox", "--fleet", str(FLEET), "--ready-file", str(ready),
            "--data-dir", str(data_dir)]
    with open(log, "wb") as out:
        # A session of its own: a Ctrl-C reaches us, and we stop the sandbox in `finally`.
        return subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


def wait_ready(proc: subprocess.Popen, ready: pathlib.Path, log: pathlib.Path) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready.exists():
        if proc.poll() is not None:
            raise RuntimeError("the sandbox exited with %s:\n%s" % (proc.returncode, tail(log)))
        if time.monotonic() > deadline:
            raise RuntimeError("the sandbox was not ready after %.0f s:\n%s" % (START_TIMEOUT, tail(log)))
        time.sleep(0.1)
    return json.loads(ready.read_text())


def tail(path: pathlib.Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def descendants(pid: int) -> list:
    try:
        import psutil
    except ImportError:  # psutil comes with sandbox/requirements.txt; without it, only the sandbox is checked
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def stop_sandbox(proc: subprocess.Popen, ports: list) -> bool:
    """SIGTERM, wait; True when it exited with 0 and left no process and no listening port behind."""
    clean = True
    children = descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say("the sandbox did not stop within %.0f s; killing it" % STOP_TIMEOUT)
            proc.kill()
            proc.wait(10)
            clean = False
    if proc.returncode != 0:
        say("the sandbox exited with %s" % proc.returncode)
        clean = False
    leftover = []
    for child in children:
        try:
            child.wait(5)
        except Exception:  # noqa: BLE001 - psutil.TimeoutExpired or NoSuchProcess
            pass
        try:
            if child.is_running() and child.status() != "zombie":
                leftover.append(child)
                child.kill()
        except Exception:  # noqa: BLE001 - it ended meanwhile
            pass
    if leftover:
        say("killed %d game-server processes the sandbox left behind" % len(leftover))
        clean = False
    for host, port in ports:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                say("something still listens on %s:%s" % (host, port))
                clean = False
    return clean


def run_playbook(panel_url: str, api_key: str, inventory: pathlib.Path, report: pathlib.Path) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PTERODACTYL_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_INVENTORY_UNPARSED_FAILED="true",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        PTERODACTYL_URL=panel_url,
        PTERODACTYL_API_KEY=api_key,
        PATH="%s%s%s" % (BIN, os.pathsep, env.get("PATH", "")),
    )
    argv = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), "-e", "fleet_report_path=%s" % report]
    say("running " + " ".join(argv[:1] + [os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in argv[1:]]))
    try:
        return subprocess.run(argv, cwd=ROOT, env=env, timeout=PLAYBOOK_TIMEOUT, check=False).returncode
    except subprocess.TimeoutExpired:
        say("the playbook did not finish within %.0f s" % PLAYBOOK_TIMEOUT)
        return 1


def main() -> int:
    started = time.monotonic()
    ensure_collection_link()
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    # The sandbox's ready file holds its API keys: keep it in a private folder, removed at the end.
    private = pathlib.Path(tempfile.mkdtemp(prefix="pterodactyl-demo-"))
    ready = private / "ready.json"
    log = DEMO_DIR / "sandbox.log"
    inventory = DEMO_DIR / "demo.pterodactyl.yml"
    proc = None
    ports: list = []
    code = 1
    try:
        say("starting the sandbox panel with %s" % FLEET.relative_to(ROOT))
        proc = start_sandbox(ready, log)
        info = wait_ready(proc, ready, log)
        ports = [(u.hostname, u.port) for u in (urlsplit(info["panel_url"]), urlsplit(info["wings_url"]))]
        say("panel at %s (%d servers, log in %s)" % (info["panel_url"], len(info["servers"]), log.relative_to(ROOT)))
        inventory.write_text(
            "# Written by hack/demo.py; the API key comes from PTERODACTYL_API_KEY.\n"
            "plugin: gameops.pterodactyl.pterodactyl\n"
            "url: %s\n"
            "resources: true\n" % info["panel_url"])
        REPORT.unlink(missing_ok=True)
        code = run_playbook(info["panel_url"], info["keys"]["owner"], inventory, REPORT)
        if code == 0 and REPORT.is_file():
            say("fleet report: %s" % REPORT)
        elif code != 0:
            say("the playbook failed with exit code %d" % code)
    except (RuntimeError, OSError, KeyError, ValueError) as exc:
        say("error: %s" % exc)
        code = 1
    except KeyboardInterrupt:
        say("interrupted")
        code = 130
    finally:
        if proc is not None:
            if stop_sandbox(proc, ports):
                say("sandbox stopped, nothing left running")
            elif code == 0:
                code = 1
        shutil.rmtree(private, ignore_errors=True)
    say("done in %.0f s" % (time.monotonic() - started))
    return code


if __name__ == "__main__":
    sys.exit(main())
