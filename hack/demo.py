#!/usr/bin/env python3
"""`make demo` (``python -m hack.demo``): playbooks/demo.yml against a local sandbox, through the inventory plugin.

1. starts the sandbox (sandbox.launcher) with sandbox/fleets/demo.yml, data under .build/demo/;
2. writes the inventory source .build/demo/demo.pterodactyl.yml (plugin and URL only);
3. runs `ansible-playbook -i <that> playbooks/demo.yml`, the owner's API key in the environment
   (PTERODACTYL_API_KEY), never on a command line or in a file we write;
4. says where the fleet report is;
5. always stops the sandbox (SIGTERM, then waits) and checks that nothing is left running or listening.

Exit code: the playbook's (1 when the sandbox could not start or did not stop cleanly).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):  # run by path: its package (and sandbox, hack) would not be importable
    sys.exit("run it as a module from the repository root: python -m hack.demo")

from hack import devenv
from sandbox.launcher import Sandbox, SandboxError, launch

ROOT = devenv.ROOT
DEMO_DIR = ROOT / ".build" / "demo"
FLEET = ROOT / "sandbox" / "fleets" / "demo.yml"
PLAYBOOK = ROOT / "playbooks" / "demo.yml"
REPORT = ROOT / ".build" / "reports" / "fleet_report.html"
PLAYBOOK_TIMEOUT = 600.0


def say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def start_sandbox(ready: pathlib.Path, log: pathlib.Path) -> Sandbox:
    data_dir = DEMO_DIR / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    # A session of its own: a Ctrl-C reaches us, and we stop the sandbox in `finally`.
    return launch(DEMO_DIR, ready_file=ready, log_file=log, new_session=True, fleet=FLEET, data_dir=data_dir)


def stop_sandbox(sandbox: Sandbox) -> bool:
    """SIGTERM, wait; True when it exited with 0 and left no process and no listening port behind."""
    try:
        code = sandbox.stop()
    except SandboxError as exc:  # did not stop in time, or left game-server processes (both killed)
        say(str(exc).splitlines()[0])
        return False
    clean = code == 0
    if not clean:
        say(f"the sandbox exited with {code}")
    for host, port in sandbox.listening():
        say(f"something still listens on {host}:{port}")
        clean = False
    return clean


def run_playbook(panel_url: str, api_key: str, inventory: pathlib.Path, report: pathlib.Path) -> int:
    # The user's ANSIBLE_* settings stay (it is their terminal); PTERODACTYL_* ones would point elsewhere.
    env = devenv.ansible_env(
        keep=("ANSIBLE_",), strict_inventory=True, color=True, PTERODACTYL_URL=panel_url, PTERODACTYL_API_KEY=api_key
    )
    argv = [devenv.tool("ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), "-e", f"fleet_report_path={report}"]
    say(
        "running " + " ".join(argv[:1] + [os.path.relpath(a, ROOT) if a.startswith(str(ROOT)) else a for a in argv[1:]])
    )
    try:
        return subprocess.run(argv, cwd=ROOT, env=env, timeout=PLAYBOOK_TIMEOUT, check=False).returncode
    except subprocess.TimeoutExpired:
        say(f"the playbook did not finish within {PLAYBOOK_TIMEOUT:.0f} s")
        return 1


def main() -> int:
    started = time.monotonic()
    devenv.ensure_collection_link()
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    # The sandbox's ready file holds its API keys: keep it in a private folder, removed at the end.
    private = pathlib.Path(tempfile.mkdtemp(prefix="pterodactyl-demo-"))
    ready = private / "ready.json"
    log = DEMO_DIR / "sandbox.log"
    inventory = DEMO_DIR / "demo.pterodactyl.yml"
    sandbox = None
    code = 1
    try:
        say(f"starting the sandbox panel with {FLEET.relative_to(ROOT)}")
        sandbox = info = start_sandbox(ready, log)
        say(f"panel at {info['panel_url']} ({len(info['servers'])} servers, log in {log.relative_to(ROOT)})")
        inventory.write_text(
            "# Written by hack/demo.py; the API key comes from PTERODACTYL_API_KEY.\n"
            "plugin: gameops.pterodactyl.pterodactyl\n"
            f"url: {info['panel_url']}\n"
            "resources: true\n"
        )
        REPORT.unlink(missing_ok=True)
        code = run_playbook(info["panel_url"], info["keys"]["owner"], inventory, REPORT)
        if code == 0 and REPORT.is_file():
            say(f"fleet report: {REPORT}")
        elif code != 0:
            say(f"the playbook failed with exit code {code}")
    except (RuntimeError, OSError, KeyError, ValueError) as exc:
        say(f"error: {exc}")
        code = 1
    except KeyboardInterrupt:
        say("interrupted")
        code = 130
    finally:
        if sandbox is not None:
            if stop_sandbox(sandbox):
                say("sandbox stopped, nothing left running")
            elif code == 0:
                code = 1
        shutil.rmtree(private, ignore_errors=True)
    say(f"done in {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
