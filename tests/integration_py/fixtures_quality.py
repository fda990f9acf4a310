# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the fault, bad-input and secret tests (their fixtures, ``quality_sandbox`` and ``runner``,
are in tests/integration_py/conftest.py).

* ``Runner``: ``ansible-playbook`` / ``ansible-inventory`` of the Python running the tests, with a
  clean Ansible environment in a temporary folder (hack.devenv.ansible_env).
"""

from __future__ import annotations

import json
import pathlib
import string
import subprocess
import time

from shared import plain

from hack import devenv

ROOT = pathlib.Path(__file__).resolve().parents[2]
FLEETS = ROOT / "tests" / "integration" / "fleets"
STANDARD_FLEET = ROOT / "tests" / "integration" / "fleet.yml"
BIN = devenv.BIN
RUN_TIMEOUT = 240
JWT_PATTERN = r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"
PLAY_HEADER = string.Template("""
- name: $name
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/gameops.pterodactyl.all:
      url: "{{ panel_url }}"
      api_key: "{{ $key_variable }}"
  tasks:
""")


def play_header(name: str, key_variable: str = "api_key") -> str:
    """A play on localhost up to ``tasks:``, its modules given the panel by module_defaults.

    ``url`` comes from the variable ``panel_url``, ``api_key`` from ``key_variable``: the tests pass both
    with ``-e @vars.json``, so that no key is on a command line.
    """
    return PLAY_HEADER.substitute(name=name, key_variable=key_variable)


def listed_hostvars(result: subprocess.CompletedProcess) -> dict:
    """The host variables of an ansible-inventory --list run, plain."""
    return plain(json.loads(result.stdout))["_meta"]["hostvars"]


def secrets_of(sandbox: dict) -> list[str]:
    """Every API key in a sandbox's ready file."""
    found = set(sandbox["keys"].values())
    for group in ("user_keys", "application_keys"):
        for keys in (sandbox.get(group) or {}).values():
            found.update(keys)
    return sorted(found)


class Runner:
    """Runs Ansible commands in ``folder`` with an environment of their own."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        env = devenv.ansible_env(
            folder, ANSIBLE_INVENTORY_ENABLED="gameops.pterodactyl.pterodactyl", ANSIBLE_DEPRECATION_WARNINGS="0"
        )
        self.env = env

    def argv(self, command: str, *args) -> list[str]:
        return [str(BIN / command)] + [str(arg) for arg in args]

    def run(
        self, command: str, *args, env: dict | None = None, timeout: float = RUN_TIMEOUT
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv(command, *args),
            cwd=self.folder,
            env=dict(self.env, **(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, command: str, *args, env: dict | None = None) -> subprocess.Popen:
        """Start a command in the background; its output goes to files (see ``finish``)."""
        # Stays open after the return: the process writes to it; ``finish`` closes it.
        out = open(self.folder / "background.out", "w", encoding="utf-8")  # noqa: SIM115  # pylint: disable=consider-using-with
        proc = subprocess.Popen(
            self.argv(command, *args),
            cwd=self.folder,  # pylint: disable=consider-using-with
            env=dict(self.env, **(env or {})),
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        proc.output_file = out
        return proc

    @staticmethod
    def finish(proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str]:
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            raise
        finally:
            proc.output_file.close()
        return code, pathlib.Path(proc.output_file.name).read_text(encoding="utf-8", errors="replace")

    def write(self, name: str, text: str) -> pathlib.Path:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return path

    def inventory_source(self, sandbox: dict, name: str = "panel", **options) -> pathlib.Path:
        """An inventory source file for the sandbox (JSON is valid YAML); key: options['api_key'] or the owner's."""
        config = {
            "plugin": "gameops.pterodactyl.pterodactyl",
            "url": sandbox["panel_url"],
            "api_key": sandbox["keys"]["owner"],
        }
        config.update(options)
        return self.write(f"{name}.pterodactyl.yml", json.dumps(config, indent=2))

    def inventory(self, source: pathlib.Path, *args, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess:
        return self.run(
            "ansible-inventory",
            "-i",
            source,
            "--list",
            *args,
            timeout=timeout,
            env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"},
        )


def wait_for_request(sandbox, predicate, timeout: float = 60.0) -> dict:
    """The first entry of the sandbox's request log that matches ``predicate`` (polls)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in sandbox.requests_log():
            if predicate(entry):
                return entry
        time.sleep(0.2)
    raise AssertionError(f"no matching request within {timeout:g}s: {sandbox.requests_log()[-10:]}")


def add_faults(sandbox, *faults: dict) -> None:
    response = sandbox.control("POST", "/faults", json={"faults": list(faults)})
    assert response.status_code == 201, response.text
