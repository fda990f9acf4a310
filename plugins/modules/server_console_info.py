#!/usr/bin/python
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_console_info
short_description: Read a game server's console through the Wings websocket
version_added: 0.1.0
description:
  - Returns the server's recent console lines (up to the 150 that Wings keeps) and its true
    current power state, read live from the node's websocket.
  - Optionally follows the console for a number of seconds, or until a line matches a regular
    expression.
  - When the websocket is lost while following, the module reconnects and takes the lines printed
    meanwhile from the history Wings keeps, so that each line is returned once and in order;
    RV(gap_closed) says whether that could be proven, and the task warns when it could not.
  - ANSI colour codes are removed from the lines.
  - Never changes anything and sends no console command.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server_console
  - gameops.pterodactyl.attributes.info_module
options:
  lines:
    description:
      - How many of the most recent console lines to return, at most the 150 Wings keeps.
      - V(0) skips the history.
      - A server that is offline has no history in Wings; RV(history) is then empty and
        RV(msg) says so.
    type: int
    default: 150
  follow:
    description:
      - Seconds to keep reading the console after the history. V(0) does not follow.
    type: float
    default: 0
  until:
    description:
      - A Python regular expression. Following stops as soon as a console line matches it.
      - Needs O(follow), which is then the longest time to wait.
    type: str
  max_lines:
    description: Stop following after this many lines.
    type: int
notes:
  - The API key's user needs the C(websocket.connect) permission on the server.
  - The websocket is opened with the C(Origin) header set to O(websocket_origin), or O(url).
seealso:
  - module: gameops.pterodactyl.server_info
"""

EXAMPLES = r"""
- name: Show the last 20 console lines of the lobby
  gameops.pterodactyl.server_console_info:
    server: lobby
    lines: 20
  register: console

- name: Wait up to two minutes for the server to finish loading the world
  gameops.pterodactyl.server_console_info:
    server: lobby
    lines: 0
    follow: 120
    until: 'Done \([0-9.]+s\)!'
  register: boot
  failed_when: not boot.matched

- name: A panel behind a reverse proxy, whose Wings knows it by another URL
  gameops.pterodactyl.server_console_info:
    url: https://games.example.com
    websocket_origin: https://panel.internal.example.com
    server: 1a7ce997
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
state:
  description: The server's power state as Wings reports it right now.
  returned: always
  type: str
  choices: [offline, starting, running, stopping]
  sample: running
history:
  description: The most recent console lines, oldest first, without ANSI codes.
  returned: always
  type: list
  elements: str
  sample: ["[12:00:01] [Server thread/INFO]: Done (4.211s)! For help, type \"help\""]
output:
  description: The console lines printed while following, oldest first, without ANSI codes.
  returned: always
  type: list
  elements: str
matched:
  description: Whether a followed line matched O(until).
  returned: always
  type: bool
timed_out:
  description: Whether O(follow) seconds passed before O(until) matched.
  returned: always
  type: bool
reconnects:
  description: How many times the Wings websocket was lost and regained during the task.
  returned: always
  type: int
  sample: 0
gap_closed:
  description:
    - Whether every console line printed while the websocket was down was recovered from the
      history Wings keeps (its last 150 lines), so that RV(output) misses no line and repeats none.
    - V(true) when the websocket was never lost. V(false) when the history did not reach back to
      the last line seen (more than 150 lines were printed meanwhile, the server restarted or
      stopped, or nothing had been seen yet); the task then also warns.
  returned: always
  type: bool
  sample: true
missed_lines:
  description: How many console lines may be missing from RV(output) - V(0) when RV(gap_closed), V(null) when unknown.
  returned: always
  type: int
  sample: 0
console_gaps:
  description:
    - One entry per reconnect - C(closed) (bool), C(missed_lines) (V(0) or V(null) for unknown),
      C(recovered_lines) (how many lines printed while the websocket was down came from Wings' history)
      and C(reason) (why the gap is, or is not, proven closed).
  returned: always
  type: list
  elements: dict
msg:
  description: Why RV(history) is empty, when the server is offline.
  returned: when the server is offline and history was asked for
  type: str
  sample: The server is offline; Wings keeps no console history for a stopped server.
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import COUNT, SECONDS, NumberRule

OFFLINE_MESSAGE = "The server is offline; Wings keeps no console history for a stopped server."
HISTORY_LIMIT = 150
NUMBERS = {
    "lines": NumberRule(COUNT, positive=False, maximum=HISTORY_LIMIT),  # Wings keeps 150 lines
    "follow": NumberRule(SECONDS, positive=False),
    "max_lines": NumberRule(COUNT),
}


def options_problem(params: dict) -> str | None:
    """Why the options cannot be used together, or None (each number's own range is in NUMBERS)."""
    if params["until"] and params["follow"] <= 0:
        return "until needs follow: the longest time, in seconds, to wait for a matching line"
    return None


def new_result() -> dict:
    return {"changed": False, "history": [], "output": [], "matched": False, "timed_out": False}


def continuity_part(session, warn) -> dict:
    """The session's reconnects and console gaps for the result; ``warn`` when a gap stayed open."""
    message = session.continuity_warning()
    if message:
        warn(message)
    return session.continuity()


def history_part(history: list[str], lines: int, state: str) -> dict:
    """The last ``lines`` of ``history``, and why it is empty when the server is offline."""
    part = {"history": history[-lines:]}
    if not part["history"] and state == "offline":
        part["msg"] = OFFLINE_MESSAGE
    return part


def read_console(base: PterodactylModule) -> dict:
    params = base.params
    server_id = base.server_id()
    result = new_result()
    with base.console(server_id) as session:
        result["state"] = session.state()
        if params["lines"] > 0:
            result.update(history_part(session.history(), params["lines"], result["state"]))
        if params["follow"] > 0:
            result.update(session.follow(params["follow"], until=params["until"], max_lines=params["max_lines"]))
            result["state"] = session.state()
        result.update(continuity_part(session, base.module.warn))
    return result


def main() -> None:
    base = PterodactylModule(
        {
            "lines": {"type": "int", "default": HISTORY_LIMIT},
            "follow": {"type": "float", "default": 0.0},
            "until": {"type": "str"},
            "max_lines": {"type": "int"},
        },
        console=True,
        numbers=NUMBERS,
    )
    problem = options_problem(base.params)
    if problem:
        base.fail(problem)
    base.run(lambda: read_console(base))


if __name__ == "__main__":
    main()
