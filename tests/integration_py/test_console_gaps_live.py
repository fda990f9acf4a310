# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console stays whole across a dropped websocket, against a Wings 1.12 sandbox.

Servers of fleets/console.yml print numbered chatter lines ("Villager trades refreshed (N)"), so a
lost or doubled line shows as a break in the numbers. The websocket is dropped through the sandbox's
control endpoint (POST /websockets/drop) while a module or a session reads. The same sandbox answers
every test (each uses its own server); it runs Wings 1.12, so a ``throttled`` event would show any
burst of the session. The version-skew test starts a sandbox of its own (a 1.11 panel).
"""

from __future__ import annotations

import itertools
import json
import pathlib
import re
import threading
import time

import pytest
from fixtures_quality import add_faults, wait_for_request

from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._console import ConsoleSession
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError
from sandbox.launcher import launch

pytestmark = pytest.mark.timeout(120)

FLEET = pathlib.Path(__file__).resolve().parent / "fleets" / "console.yml"
CHATTER = re.compile(r"Villager trades refreshed \((\d+)\)")
FOLLOW, COMMAND, LONG_GAP, LIMITS = 0, 1, 2, 4  # the fleet's servers, one per test


@pytest.fixture(scope="module")
def chatter(tmp_path_factory):
    """A Wings 1.12 sandbox of chatty servers for this module, stopped (cleanly) at its end."""
    sb = launch(tmp_path_factory.mktemp("chatter"), fleet=str(FLEET), version="1.12")
    yield sb
    code = sb.stop()
    assert code == 0, f"sandbox exited with {code}: {sb.log()}"


def numbers(lines: list[str]) -> list[int]:
    return [int(match.group(1)) for line in lines for match in [CHATTER.search(line)] if match]


def assert_whole(lines: list[str], at_least: int) -> None:
    """Every chatter line once, in order: the numbers count up by one, none missing or doubled."""
    seen = numbers(lines)
    assert len(seen) >= at_least, lines[-3:]
    breaks = [(before, after) for before, after in zip(seen, seen[1:], strict=False) if after != before + 1]
    assert not breaks, f"lines missing or doubled at {breaks[:5]}"


def assert_once_and_each_stream_in_order(seen: list[int]) -> None:
    """Each line once and, from the replay's first line on, none missing; the replay and the live lines each
    in their own order. A live line that Wings sends while it is still sending its history comes amid the
    replayed lines (nothing in a line's text tells the two apart), a few places early: the sequence is then a
    merge of two ordered streams, which holds no three lines in falling order."""
    assert len(seen) == len(set(seen)), [number for number in seen if seen.count(number) > 1][:5]
    start = next((i for i in range(1, len(seen)) if seen[i] > seen[i - 1] + 1), 0)  # the lines lost end here
    after_gap = sorted(seen[start:])
    assert after_gap == list(range(after_gap[0], after_gap[-1] + 1)), "lines missing after the replay's start"
    highest_before = list(itertools.accumulate(seen, max))
    lowest_after = list(itertools.accumulate(reversed(seen), min))[::-1]
    falling = [seen[j] for j in range(1, len(seen) - 1) if highest_before[j - 1] > seen[j] > lowest_after[j + 1]]
    assert not falling, f"lines in falling order around {falling[:3]}"


def identifier(sb, index: int) -> str:
    return sb["servers"][index]["identifier"]


def drop_when(sb, index: int, predicate, delay: float, fault: dict | None = None) -> threading.Thread:
    """In the background: once the panel saw a request matching ``predicate``, wait ``delay``, add
    ``fault`` (if any), then drop the server's websocket."""

    def run() -> None:
        wait_for_request(sb, predicate)
        time.sleep(delay)
        if fault:
            add_faults(sb, fault)
        assert sb.control("POST", "/websockets/drop", json={"server": identifier(sb, index)}).json()["dropped"] == 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def websocket_fetched(sb, index: int):
    return lambda entry: entry["method"] == "GET" and entry["path"].endswith(f"/{identifier(sb, index)}/websocket")


def run_task(runner, sb, index: int, module: str, args: dict) -> tuple[dict, str]:
    """One task of ``module`` through ansible-playbook: (its registered result, the play's output)."""
    task = {"url": sb["panel_url"], "api_key": sb["keys"]["owner"], "server": identifier(sb, index), **args}
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "connection": "local",
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "tasks": [
                {f"gameops.pterodactyl.{module}": task, "register": "out", "ignore_errors": True},
                {"ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": "{{ playbook_dir }}/out.json"}},
            ],
        }
    ]
    done = runner.run("ansible-playbook", "-i", "localhost,", runner.write("play.yml", json.dumps(play)), timeout=90)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert sb["keys"]["owner"] not in done.stdout + done.stderr
    return json.loads((runner.folder / "out.json").read_text()), done.stdout + done.stderr


def test_follow_across_a_drop_misses_and_doubles_no_line(chatter, runner):
    sb = chatter
    sb.control("POST", "/reset")
    dropper = drop_when(sb, FOLLOW, websocket_fetched(sb, FOLLOW), 2.5)
    result, output = run_task(runner, sb, FOLLOW, "server_console_info", {"lines": 0, "follow": 6})
    dropper.join(10)
    assert not result.get("failed"), result
    assert_whole(result["output"], at_least=100)  # 20 lines a second for 6 s, across the drop
    assert result["reconnects"] == 1 and result["gap_closed"] is True and result["missed_lines"] == 0
    assert result["console_gaps"][0]["closed"] and result["console_gaps"][0]["recovered_lines"] > 0
    assert "may be missing" not in output


def test_wait_for_line_printed_during_the_gap_still_matches(chatter, runner):
    sb = chatter
    sb.control("POST", "/reset")
    # the panel runs the command 1.5 s late; the websocket is dropped meanwhile, so the answer is
    # printed while the session is reconnecting
    add_faults(sb, {"route": "POST /api/client/servers/*/command", "delay": 1.5})
    dropper = drop_when(sb, COMMAND, lambda e: e["method"] == "POST" and e["path"].endswith("/command"), 0.2)
    result, _output = run_task(
        runner, sb, COMMAND, "server_command", {"command": "say gap marker", "wait_for": r"\[Server\] gap marker"}
    )
    dropper.join(10)
    assert not result.get("failed"), result.get("msg")
    assert result["matched"] and result["output"][-1].endswith("[Server] gap marker")
    assert result["reconnects"] == 1 and result["gap_closed"] is True
    assert_whole(result["output"], at_least=10)


def test_a_gap_longer_than_the_history_is_reported_and_warned(chatter, runner):
    sb = chatter
    sb.control("POST", "/reset")
    # 200 lines a second, and the reconnect's credentials come 2.5 s late: 500 lines, Wings keeps 150
    slow = {"route": "GET /api/client/servers/*/websocket", "delay": 2.5}
    dropper = drop_when(sb, LONG_GAP, websocket_fetched(sb, LONG_GAP), 1.0, fault=slow)
    result, output = run_task(runner, sb, LONG_GAP, "server_console_info", {"lines": 0, "follow": 6})
    dropper.join(10)
    assert not result.get("failed"), result
    assert result["reconnects"] == 1 and result["gap_closed"] is False and result["missed_lines"] is None
    assert "more lines were printed than it keeps" in result["console_gaps"][0]["reason"]
    assert "an unknown number of console lines may be missing" in output
    # lines before the replay are lost; what came is there once, each stream in its order
    assert_once_and_each_stream_in_order(numbers(result["output"]))


def test_long_follow_with_a_drop_and_history_reads_stays_within_wings_limits(chatter):
    sb = chatter
    client = PterodactylClient(sb["panel_url"], sb["keys"]["owner"], timeout=10, retries=1)
    server_id = identifier(sb, LIMITS)
    con = ConsoleSession(lambda: client.get_websocket_credentials(server_id), origin=client.base_url, timeout=10)
    with con:
        first = con.history()
        dropper = threading.Timer(3.0, lambda: sb.control("POST", "/websockets/drop", json={"server": server_id}))
        dropper.start()
        followed = con.follow(8)
        dropper.join(5)
        again = con.history()
        recent = con.recent_lines
        stats = con.stats()
    assert con.reconnects == 1 and con.continuity()["gap_closed"]
    assert con.throttled_events == 0  # Wings 1.12 answered no message with "throttled"
    assert_whole(first + followed["output"], at_least=150)
    assert numbers(again)[-1] >= numbers(followed["output"])[-1] and stats["state"] == "running"
    assert len(recent) == 30 and recent[-1] == again[-1]  # the last lines seen, kept by the session


def test_a_panel_older_than_wings_1_12_2_gets_the_version_hint(start_sandbox):
    sb = start_sandbox(servers=1, version="1.12", panel_version="1.11")
    client = PterodactylClient(sb["panel_url"], sb["keys"]["owner"], timeout=10, retries=1)
    server_id = identifier(sb, 0)
    tokens: list[str] = []

    def credentials() -> dict:
        creds = client.get_websocket_credentials(server_id)
        tokens.append(creds["token"])
        return creds

    with pytest.raises(ConsoleError) as info:
        ConsoleSession(credentials, origin=client.base_url, timeout=10).open()
    message = str(info.value)
    assert info.value.code == "PanelWingsVersionSkew" and "missing connect permission" in message
    assert "older than 1.12.3" in message and "Wings 1.12.2 or newer" in message and "upgrade the panel" in message
    assert tokens and all(token not in message + repr(info.value) + str(info.value.to_failure()) for token in tokens)
