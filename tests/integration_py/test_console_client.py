# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ConsoleSession against the real sandbox: the panel hands out tokens, the Wings emulator speaks
the websocket protocol, real game-server processes print the console.

Each test uses its own server of the module's sandbox, so they do not disturb each other.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._console import ConsoleSession
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    ConsoleError,
    ConsoleTimeout,
    PterodactylError,
)

pytestmark = pytest.mark.timeout(60)

DONE_LINE = r"Done \([0-9.]+s\)! For help"


class Counted:
    """``credentials()`` for a session, counting the panel calls and remembering the tokens."""

    def __init__(self, client: PterodactylClient, server_id: str):
        self.client = client
        self.server_id = server_id
        self.tokens: list[str] = []

    def __call__(self) -> dict:
        creds = self.client.get_websocket_credentials(self.server_id)
        self.tokens.append(creds["token"])
        return creds

    @property
    def calls(self) -> int:
        return len(self.tokens)

    def assert_not_in(self, *texts: str) -> None:
        for token in self.tokens:
            for text in texts:
                assert token not in text


def client_for(sb, role: str = "owner") -> PterodactylClient:
    return PterodactylClient(sb["panel_url"], sb["keys"][role], timeout=10, retries=1)


def session_for(sb, index: int, role: str = "owner", **kwargs):
    client = client_for(sb, role)
    server_id = sb["servers"][index]["identifier"]
    creds = Counted(client, server_id)
    origin = kwargs.pop("origin", client.base_url)
    kwargs.setdefault("timeout", 10)
    return client, server_id, creds, ConsoleSession(creds, origin=origin, **kwargs)


def drive(sb, index: int, state: str) -> None:
    """Put a server in ``state`` through the sandbox's control endpoint (not under test)."""
    identifier = sb["servers"][index]["identifier"]
    answer = sb.control("PATCH", "/servers/" + identifier, json={"state": state, "timeout": 30})
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == state


def later(seconds: float, action) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), action()), daemon=True)
    thread.start()
    return thread


def test_wait_for_state_across_a_real_start_and_stop(module_sandbox):
    client, server_id, creds, con = session_for(module_sandbox, 0)
    with con:
        assert con.state() == "offline"
        client.send_power(server_id, "start")
        state, seen = con.wait_for_state({"running"}, timeout=20)
        assert state == "running" and seen == ["offline", "starting", "running"]
        client.send_power(server_id, "stop")
        state, seen = con.wait_for_state({"offline"}, timeout=20)
        assert state == "offline" and seen == ["running", "stopping", "offline"]
        assert con.stats()["state"] == "offline"
        creds.assert_not_in(repr(con))
    assert creds.calls == 1


def test_run_command_collects_until_regex_and_history(module_sandbox):
    drive(module_sandbox, 0, "running")
    client, server_id, creds, con = session_for(module_sandbox, 0)
    with con:
        result = con.run_command(
            lambda: client.send_command(server_id, "say hello there"), wait_for=r"\[Server\] hello there", timeout=10
        )
        assert result["matched"] and not result["timed_out"]
        assert result["output"][-1].endswith("[Server] hello there")
        history = con.history()
        assert any(line.endswith("[Server] hello there") for line in history)
        assert any("Done (" in line for line in history)
        assert all("\x1b" not in line for line in history)
        stats = con.stats()
        assert stats["state"] == "running" and stats["uptime"] > 0


def test_regex_that_never_matches_times_out_with_the_lines_seen(module_sandbox):
    drive(module_sandbox, 0, "running")
    client, server_id, creds, con = session_for(module_sandbox, 0)
    with con:
        started = time.monotonic()
        result = con.run_command(
            lambda: client.send_command(server_id, "help"), wait_for=r"this never appears", timeout=1.5
        )
        took = time.monotonic() - started
    assert result["timed_out"] and not result["matched"]
    assert any("Help: Index" in line for line in result["output"])
    assert 1.4 < took < 5


def test_output_burst_of_thousands_of_lines(module_sandbox):
    drive(module_sandbox, 0, "running")
    client, server_id, creds, con = session_for(module_sandbox, 0)
    with con:
        result = con.run_command(
            lambda: client.send_command(server_id, "burst 5000"),
            wait_for=r"Burst line 5000 of 5000|outputting console data too quickly",
            timeout=20,
        )
        assert result["matched"], result["output"][-3:]
        assert len(result["output"]) >= 1000
        assert result["output"][0].endswith("Burst line 1 of 5000")
        # the session is still usable after the flood (once it settled: lines printed while Wings
        # throttles are dropped, by design)
        con.follow(1.0)
        assert con.state() == "running"
        again = con.run_command(
            lambda: client.send_command(server_id, "say still alive"), wait_for="still alive", timeout=10
        )
        assert again["matched"]


def test_max_lines_stops_collection(module_sandbox):
    drive(module_sandbox, 0, "running")
    client, server_id, creds, con = session_for(module_sandbox, 0)
    with con:
        result = con.run_command(lambda: client.send_command(server_id, "help"), max_lines=2, timeout=10)
    assert len(result["output"]) == 2 and not result["timed_out"] and not result["matched"]


def test_offline_server_history_is_empty_and_commands_fail_clearly(module_sandbox):
    drive(module_sandbox, 1, "offline")
    client, server_id, creds, con = session_for(module_sandbox, 1)
    with con:
        assert con.state() == "offline"
        started = time.monotonic()
        assert con.history() == []
        assert time.monotonic() - started < 2
        with pytest.raises(PterodactylError) as info:
            con.run_command(lambda: client.send_command(server_id, "say hi"), timeout=2)
    assert info.value.status == 502
    assert "online" in str(info.value)


def test_token_expiring_mid_collection_refreshes_without_losing_lines(module_sandbox):
    sb = module_sandbox
    drive(sb, 2, "running")
    assert sb.control("PATCH", "/settings", json={"token_ttl": 3}).status_code == 200
    try:
        client, server_id, creds, con = session_for(sb, 2)
        ticker = client_for(sb)
        sent: list[str] = []

        def tick() -> None:
            for number in range(24):
                sent.append(f"tick {number}")
                ticker.send_command(server_id, f"say tick {number}")
                time.sleep(0.25)

        with con:
            result = con.run_command(lambda: later(0, tick), wait_for=r"\[Server\] tick 23$", timeout=20)
            assert result["matched"], result["output"][-3:]
            said = [line.rsplit("[Server] ", 1)[1] for line in result["output"] if "[Server] tick" in line]
            assert said == sent  # every line arrived, in order, across refreshes
            assert creds.calls >= 3 and con.refreshes >= 2
            assert con.reconnects == 0  # refreshed on the same socket
            assert con.state() == "running"
            creds.assert_not_in(repr(con), *result["output"])
    finally:
        sb.control("PATCH", "/settings", json={"token_ttl": 600})


def test_connection_dropped_mid_wait_reconnects_and_resyncs(module_sandbox):
    sb = module_sandbox
    drive(sb, 3, "offline")
    client, server_id, creds, con = session_for(sb, 3)
    identifier = sb["servers"][3]["identifier"]
    with con:
        assert con.state() == "offline"
        client.send_power(server_id, "start")
        dropper = later(0.3, lambda: sb.control("POST", "/websockets/drop", json={"server": identifier}))
        state, seen = con.wait_for_state({"running"}, timeout=20)
        dropper.join(5)
        assert state == "running" and seen[0] == "offline" and seen[-1] == "running"
        assert con.reconnects == 1 and creds.calls == 2
        # a drop while idle: the next call reconnects and still knows the true state
        assert sb.control("POST", "/websockets/drop", json={"server": identifier}).json()["dropped"] == 1
        client.send_power(server_id, "stop")
        state, seen = con.wait_for_state({"offline"}, timeout=20)
        assert state == "offline" and con.reconnects == 2
        actual = sb.control("GET", "/servers/" + identifier).json()["state"]
        assert actual == "offline"


def test_wrong_origin_names_the_origin_requirement(module_sandbox):
    client, server_id, creds, con = session_for(module_sandbox, 4, origin="https://proxy.example.org")
    with pytest.raises(ConsoleError) as info:
        con.open()
    message = str(info.value)
    assert message.startswith(
        "Wings refused the websocket (HTTP 403): the Origin header "
        "'https://proxy.example.org' must equal the panel URL configured in Wings"
    )
    assert "websocket_origin" in message and info.value.status == 403
    assert info.value.code == "WebsocketOriginRejected"
    creds.assert_not_in(message, repr(info.value), str(info.value.to_failure()))


def test_subuser_without_websocket_connect_gets_a_clear_403(module_sandbox):
    sb = module_sandbox
    index = 1  # a server that has the subuser
    server = sb["servers"][index]
    subuser = sb["roles"]["subuser"]
    original = server["subusers"][subuser]
    changed = sb.control(
        "PUT",
        "/subusers",
        json={"server": server["identifier"], "username": subuser, "permissions": ["control.console", "control.start"]},
    )
    assert changed.status_code == 200, changed.text
    try:
        client, server_id, creds, con = session_for(sb, index, role="subuser")
        with pytest.raises(PterodactylError) as info:
            con.open()
        assert info.value.status == 403
        assert "websocket" in str(info.value)
        assert not isinstance(info.value, ConsoleError)  # the panel's answer, unchanged
    finally:
        sb.control(
            "PUT", "/subusers", json={"server": server["identifier"], "username": subuser, "permissions": original}
        )
    # with the permission back, the subuser connects
    client, server_id, creds, con = session_for(sb, index, role="subuser")
    with con:
        assert con.state() in ("offline", "starting", "running", "stopping")


def test_wait_for_state_timeout_reports_what_was_seen(module_sandbox):
    drive(module_sandbox, 4, "offline")
    client, server_id, creds, con = session_for(module_sandbox, 4)
    with con, pytest.raises(ConsoleTimeout) as info:
        con.wait_for_state({"running"}, timeout=0.5)
    assert info.value.last_state == "offline" and info.value.seen == ["offline"]
    assert "still 'offline'" in str(info.value)
    assert info.value.code == "WaitTimeout"


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  module_defaults:
    gameops.pterodactyl.server_console_info:
      url: "{panel_url}"
      api_key: "{api_key}"
      timeout: 10
  tasks:
    - name: An offline server has no history, and the module says so
      gameops.pterodactyl.server_console_info:
        server: "{offline}"
      register: offline
    - ansible.builtin.assert:
        that:
          - offline is not changed
          - offline.state == "offline"
          - offline.history == []
          - "'offline' in offline.msg"

    - name: Follow a running server until a marker line (check mode behaves the same)
      gameops.pterodactyl.server_console_info:
        server: "{running}"
        lines: 5
        follow: 20
        until: '\\[Server\\] marker'
      check_mode: true
      register: running
    - ansible.builtin.assert:
        that:
          - running is not changed
          - running.state == "running"
          - running.history | length == 5
          - running.matched and not running.timed_out
          - running.output[-1] is search('marker')

    - name: A regular expression that never matches
      gameops.pterodactyl.server_console_info:
        server: "{running}"
        lines: 0
        follow: 1
        until: 'never appears'
      register: nothing
    - ansible.builtin.assert:
        that:
          - nothing.timed_out and not nothing.matched
          - nothing.history == []

    - name: A wrong Origin fails with the Origin requirement
      gameops.pterodactyl.server_console_info:
        server: "{running}"
        websocket_origin: https://proxy.example.org
      register: origin
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - origin is failed
          - "'Origin header' in origin.msg"
          - origin.failure.status == 403
"""


def test_module_end_to_end_with_ansible_playbook(module_sandbox, tmp_path):
    sb = module_sandbox
    drive(sb, 4, "offline")
    drive(sb, 2, "running")
    running = sb["servers"][2]["identifier"]
    playbook = tmp_path / "console.yml"
    playbook.write_text(
        PLAYBOOK.format(
            panel_url=sb["panel_url"], api_key=sb["keys"]["owner"], offline=sb["servers"][4]["name"], running=running
        )
    )
    stop = threading.Event()
    ticker = client_for(sb)

    def tick() -> None:
        while not stop.wait(0.5):
            ticker.send_command(running, "say marker")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    repo = pathlib.Path(__file__).resolve().parents[2]
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(repo / ".build" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    try:
        done = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", str(playbook)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=50,
            check=False,
        )
    finally:
        stop.set()
        thread.join(5)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert sb["keys"]["owner"] not in done.stdout + done.stderr
