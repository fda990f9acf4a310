#!/usr/bin/python
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_command
short_description: Send console commands to a game server and read what it answers
version_added: 0.1.0
description:
  - Sends one or more console commands to a running server through the panel, in order, as
    the panel's console does (each is recorded in the server's activity log).
  - Optionally collects the console lines the server prints after each command, until a
    regular expression matches or a timeout, from the node's websocket. The module listens
    before it sends; when the websocket is lost meanwhile, it reconnects and takes the lines
    printed in between from the history Wings keeps (RV(gap_closed) says whether that could be
    proven, and the task warns when it could not).
  - A command is never sent twice, even when the panel is slow or a request is retried. When the
    answer to a command is lost (a timeout or a dropped connection after it was sent, a 5xx from
    the panel or a proxy), the module looks in the panel's activity log (it needs C(activity.read))
    for the command, and sends it again only when the panel did not run it; what it decided and
    why is in RV(recovery). Without C(activity.read) such a command fails as uncertain, unsent.
  - In diff mode the commands sent (or, in check mode, that would be sent) are shown.
  - Console commands are imperative - the task always reports a change when it sends one.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server_console
  - gameops.pterodactyl.attributes.actions
options:
  command:
    description: One command, as typed in the panel's console (without a leading C(/)).
    type: str
  commands:
    description: Several commands, sent one after the other.
    type: list
    elements: str
  wait_for:
    description:
      - A regular expression (Python syntax) searched in each console line printed after each
        command. Collection of a command's output stops at the first matching line.
      - When no line matches within O(output_timeout) the task fails, unless
        O(fail_on_timeout=false).
    type: str
  output_timeout:
    description:
      - Seconds to collect console output after each command.
      - Without O(wait_for), the lines printed in this time are returned. V(0) returns no
        output and does not open the websocket.
      - Defaults to V(10) when O(wait_for) is set, otherwise to V(0).
    type: float
  max_lines:
    description: Stop collecting a command's output after this many lines.
    type: int
    default: 1000
  fail_on_timeout:
    description: Fail when O(wait_for) does not match within O(output_timeout).
    type: bool
    default: true
  ignore_offline:
    description:
      - Do not fail when the server is offline; report that nothing was sent instead.
      - The panel only accepts console commands for a running (or starting) server.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Tell the players
  gameops.pterodactyl.server_command:
    url: https://panel.example.com
    api_key: "{{ vault_pterodactyl_client_key }}"
    server: lobby
    command: say The server restarts in 5 minutes

- name: Ask who is online and wait for the answer
  gameops.pterodactyl.server_command:
    server: 1a7ce997
    command: list
    wait_for: 'players online'
    output_timeout: 10
  register: who

- name: Show the answer
  ansible.builtin.debug:
    var: who.output

- name: Save the world on every running server, skipping stopped ones
  gameops.pterodactyl.server_command:
    server: "{{ pterodactyl_identifier }}"
    commands:
      - save-all
      - say Saved.
    ignore_offline: true
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
output:
  description: Console lines printed after the commands (ANSI colours removed), in order.
  returned: always
  type: list
  elements: str
  sample: ["There are 0 of a max of 20 players online: "]
matched:
  description: Whether O(wait_for) matched after every command. V(false) without O(wait_for).
  returned: always
  type: bool
results:
  description: One entry per command sent - C(command), C(output), C(matched), C(timed_out).
  returned: always
  type: list
  elements: dict
sent:
  description: The commands the panel accepted, in order. In check mode, the commands that would be sent.
  returned: always
  type: list
  elements: str
offline:
  description: Whether the server was offline, so that nothing was sent (only with O(ignore_offline=true)).
  returned: always
  type: bool
reconnects:
  description: Times the websocket was lost and regained while output was collected.
  returned: when output was collected (O(output_timeout) above 0)
  type: int
gap_closed:
  description:
    - V(false) when console lines printed while the websocket was down may be missing from
      RV(output) (Wings' history of 150 lines did not reach back to the last line seen); the task
      warns then. As in M(gameops.pterodactyl.server_console_info).
  returned: when output was collected (O(output_timeout) above 0)
  type: bool
missed_lines:
  description: V(0), or V(null) when an unknown number of lines may be missing from RV(output).
  returned: when output was collected (O(output_timeout) above 0)
  type: int
console_gaps:
  description:
    - Per reconnect, C(closed), C(missed_lines), C(recovered_lines) and C(reason), as in
      M(gameops.pterodactyl.server_console_info).
  returned: when output was collected (O(output_timeout) above 0)
  type: list
  elements: dict
server:
  description: The server's identifier or UUID as used for the requests.
  returned: always
  type: str
recovery:
  description:
    - One entry per command whose outcome was uncertain (its answer was lost or was a 5xx), with
      how it was resolved from the activity log. Empty when every command was answered.
  returned: always
  type: list
  elements: dict
  contains:
    request:
      description: The command, e.g. C(command 'say hi').
      type: str
    error:
      description: How the request failed.
      type: str
    outcome:
      description: V(ran), V(not run) or V(unknown) (the activity log could not be read).
      type: str
    evidence:
      description: What the decision rests on.
      type: str
    action:
      description: V(sent again) (only when it did not run) or V(not sent again).
      type: str
"""

import time
from typing import NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _evidence
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import COUNT, SECONDS, NumberRule


class CommandPlan(NamedTuple):
    """What one run sends, and how it listens."""

    commands: list  # in order, stripped
    collect: float  # seconds of output collected after each command; 0 opens no websocket
    wait_for: str | None
    max_lines: int
    fail_on_timeout: bool


def command_list(params: dict) -> list[str]:
    commands = [params["command"]] if params["command"] is not None else list(params["commands"] or [])
    return [command.strip() for command in commands]


def output_timeout(params: dict) -> float:
    """Seconds to collect output after each command: the option, else 10 with wait_for, else 0."""
    if params["output_timeout"] is not None:
        return params["output_timeout"]
    return 10.0 if params["wait_for"] else 0.0


def plan_commands(params: dict) -> CommandPlan:
    return CommandPlan(
        command_list(params), output_timeout(params), params["wait_for"], params["max_lines"], params["fail_on_timeout"]
    )


def commands_problem(commands: list[str]) -> str | None:
    """Why the commands cannot be sent, or None."""
    if not commands or not all(commands):
        return "every command must be a non-empty string"
    return None


COMMAND_EVENT = "server:console.command"


def new_result() -> dict:
    return {
        "changed": False,
        "output": [],
        "matched": False,
        "results": [],
        "sent": [],
        "offline": False,
        "recovery": [],
    }


def commands_diff(commands: list[str]) -> dict:
    """Diff mode: the commands sent (or that would be), one per line."""
    return {"before": "", "after": "".join(f"{command}\n" for command in commands), "after_header": "console commands"}


def unresolved_error(exc: PterodactylError, command: str, finding: _evidence.Finding) -> PterodactylError:
    """The failure for a command that may or may not have run, when the panel could not tell."""
    return exc.retold(
        f"'{command}' may or may not have run: {exc.message}; {finding.evidence}",
        hint="It was not sent again, so that it cannot run twice. Grant the key's user activity.read "
        "to let the module find out from the activity log, or check the server's console.",
        uncertain=True,
    )


def no_match_error(plan: CommandPlan, entry: dict, gap_closed: bool = True) -> PterodactylError | None:
    """The failure for a command whose output did not match wait_for in time, or None; it says so
    when lines printed while the websocket was down may be missing (``gap_closed`` false)."""
    if not (entry["timed_out"] and plan.wait_for and plan.fail_on_timeout):
        return None
    hint = "raise output_timeout, fix wait_for, or set fail_on_timeout=false"
    if not gap_closed:
        hint = "the websocket was lost and some console lines may be missing (see console_gaps); " + hint
    return PterodactylError(
        f"no console line matched '{plan.wait_for}' within {plan.collect:g}s after '{entry['command']}'",
        code="WaitTimeout",
        detail=f"{len(entry['output'])} line(s) seen",
        hint=hint,
    )


def is_offline_error(exc: PterodactylError) -> bool:
    """Whether the panel refused a command because the server is not running."""
    return exc.status == 502 and exc.code == "HttpException"


def skipped_offline(exc: PterodactylError, sent: list[str], ignore_offline: bool) -> bool:
    """Whether a failure means "offline, nothing sent" and the task asked to ignore that."""
    return ignore_offline and not sent and is_offline_error(exc)


def partial_error(exc: PterodactylError, sent: list[str], total: int) -> PterodactylError:
    """The failure to report: says which commands were sent before it, when some were."""
    if not sent:
        return exc
    return exc.retold(
        f"{len(sent)} of {total} command(s) were sent before this failure ({', '.join(sent)}): {exc.message}"
    )


def all_matched(results: list[dict]) -> bool:
    return bool(results) and all(item["matched"] for item in results)


class CommandTask:
    """One run of the module: send each command in order, optionally collecting its output."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.plan = plan_commands(base.params)
        self.result = new_result()
        self.sent_at: list[tuple[str, float]] = []  # (command, panel time of its send), for the evidence
        self.sleep = time.sleep  # between two reads of the activity log; replaced in tests

    def run(self) -> dict:
        problem = commands_problem(self.plan.commands)
        if problem:
            self.base.fail(problem, **self.result)
        server_id = self.base.server_id()
        self.result["server"] = server_id
        if self.base.diff_mode:
            self.result["diff"] = commands_diff(self.plan.commands)
        if self.base.check_mode:
            # Read-only checks only: the server exists and is visible to this key.
            self.client.get_server(server_id)
            self.result.update(changed=True, sent=list(self.plan.commands))
            return self.result
        try:
            if self.plan.collect > 0:
                with self.base.console(server_id) as console:
                    self._send_all(server_id, console)
            else:
                self._send_all(server_id, None)
        except PterodactylError as exc:
            if skipped_offline(exc, self.result["sent"], self.base.params["ignore_offline"]):
                self.result.update(offline=True, msg="the server is offline; no command was sent")
                return self.result
            raise partial_error(exc, self.result["sent"], len(self.plan.commands)).with_result(self.result) from None
        self.result["matched"] = all_matched(self.result["results"])
        return self.result

    def _send_all(self, server_id: str, console) -> None:
        for command in self.plan.commands:
            entry = self._send_one(server_id, command, console)
            self.result["results"].append(entry)
            self.result["output"].extend(entry["output"])
            if console is not None:
                self.result.update(console.continuity())
            error = no_match_error(self.plan, entry, self.result.get("gap_closed", True))
            if error is not None:
                self._warn_gaps(console)
                raise error
        self._warn_gaps(console)

    def _warn_gaps(self, console) -> None:
        """Warn once when lines printed while the websocket was down may be missing."""
        message = console.continuity_warning() if console is not None else None
        if message:
            self.base.module.warn(message)

    def _send_one(self, server_id: str, command: str, console) -> dict:
        def send() -> None:
            self._deliver(server_id, command)
            self.result["sent"].append(command)
            self.result["changed"] = True

        if console is None:
            send()
            return {"command": command, "output": [], "matched": False, "timed_out": False}
        collected = console.run_command(
            send, wait_for=self.plan.wait_for, max_lines=self.plan.max_lines, timeout=self.plan.collect
        )
        return {"command": command, **collected}

    def _deliver(self, server_id: str, command: str, resend: bool = True) -> None:
        """POST the command; when that fails uncertainly, find out whether it ran and send it again only if not."""
        since = self.client.panel_time()
        try:
            self.client.send_command(server_id, command)
        except PterodactylError as exc:
            if not exc.uncertain:
                raise
            finding = self._find_out(server_id, command, since)
            action = "sent again" if resend and finding.outcome == _evidence.NOT_RUN else "not sent again"
            self.result["recovery"].append(_evidence.recovery_entry(f"command '{command}'", exc, finding, action))
            if finding.outcome == _evidence.NOT_RUN and resend:
                return self._deliver(server_id, command, resend=False)
            if finding.outcome == _evidence.UNKNOWN:
                raise unresolved_error(exc, command, finding) from None
            if finding.outcome == _evidence.NOT_RUN:
                raise _evidence.gave_up(exc, f"'{command}'", finding) from None
        self.sent_at.append((command, since))
        return None

    def _find_out(self, server_id: str, command: str, since: float) -> _evidence.Finding:
        """What the activity log says of ``command`` since ``since`` (the task's own earlier sends discounted)."""
        window = since - _evidence.CLOCK_TOLERANCE_SECONDS - 1.0
        known = sum(1 for sent, when in self.sent_at if sent == command and when >= window)
        return _evidence.wait_for_activity(
            self.client,
            server_id,
            COMMAND_EVENT,
            since,
            matches=lambda entry: (entry.get("properties") or {}).get("command") == command,
            known=known,
            sleep=self.sleep,
        )


NUMBERS = {"output_timeout": NumberRule(SECONDS, positive=False), "max_lines": NumberRule(COUNT)}


def main() -> None:
    base = PterodactylModule(
        {
            "command": {"type": "str"},
            "commands": {"type": "list", "elements": "str"},
            "wait_for": {"type": "str"},
            "output_timeout": {"type": "float"},
            "max_lines": {"type": "int", "default": 1000},
            "fail_on_timeout": {"type": "bool", "default": True},
            "ignore_offline": {"type": "bool", "default": False},
        },
        console=True,
        numbers=NUMBERS,
        mutually_exclusive=[("command", "commands")],
        required_one_of=[("command", "commands")],
    )
    base.run(CommandTask(base).run)


if __name__ == "__main__":
    main()
