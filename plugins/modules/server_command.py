#!/usr/bin/python
# -*- coding: utf-8 -*-
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
    before it sends, so no line is missed.
  - A command is never sent twice, even when the panel is slow or a request is retried.
  - Console commands are imperative - the task always reports a change when it sends one.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.connection.console
  - gameops.pterodactyl.attributes
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
server:
  description: The server's identifier or UUID as used for the requests.
  returned: always
  type: str
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils.api import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils.module import PterodactylModule

OFFLINE_DETAIL = "Server must be online in order to send commands."


def is_offline_error(exc: PterodactylError) -> bool:
    """Whether the panel refused a command because the server is not running."""
    return exc.status == 502 and exc.code == "HttpException"


def command_list(params: dict) -> list[str]:
    commands = [params["command"]] if params["command"] is not None else list(params["commands"] or [])
    return [command.strip() for command in commands]


def output_timeout(params: dict) -> float:
    """Seconds to collect output after each command: the option, else 10 with wait_for, else 0."""
    if params["output_timeout"] is not None:
        return max(0.0, params["output_timeout"])
    return 10.0 if params["wait_for"] else 0.0


class CommandTask:
    """One run of the module: send each command in order, optionally collecting its output."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.commands = command_list(base.params)
        self.output_timeout = output_timeout(base.params)
        self.result = {"changed": False, "output": [], "matched": False, "results": [], "sent": [], "offline": False}

    def validate(self) -> None:
        empty = [index for index, command in enumerate(self.commands) if not command]
        if not self.commands or empty:
            self.base.fail("every command must be a non-empty string", **self.result)

    def run(self) -> dict:
        self.validate()
        server_id = self.base.server_id()
        self.result["server"] = server_id
        if self.base.check_mode:
            # Read-only checks only: the server exists and is visible to this key.
            self.client.get_server(server_id)
            self.result.update(changed=True, sent=list(self.commands))
            return self.result
        try:
            if self.output_timeout > 0:
                with self.base.console(server_id) as console:
                    self._send_all(server_id, console)
            else:
                self._send_all(server_id, None)
        except PterodactylError as exc:
            return self._failed(exc)
        self.result["matched"] = bool(self.result["results"]) and all(item["matched"] for item in self.result["results"])
        return self.result

    def _send_all(self, server_id: str, console) -> None:
        for command in self.commands:
            entry = self._send_one(server_id, command, console)
            self.result["results"].append(entry)
            self.result["output"].extend(entry["output"])
            if entry["timed_out"] and self.base.params["wait_for"] and self.base.params["fail_on_timeout"]:
                raise PterodactylError(
                    "no console line matched '{0}' within {1:g}s after '{2}'".format(
                        self.base.params["wait_for"], self.output_timeout, command),
                    code="timeout", detail="{0} line(s) seen".format(len(entry["output"])),
                    hint="raise output_timeout, fix wait_for, or set fail_on_timeout=false")

    def _send_one(self, server_id: str, command: str, console) -> dict:
        def send() -> None:
            self.client.send_command(server_id, command)
            self.result["sent"].append(command)
            self.result["changed"] = True

        if console is None:
            send()
            return {"command": command, "output": [], "matched": False, "timed_out": False}
        collected = console.run_command(
            send, wait_for=self.base.params["wait_for"], max_lines=self.base.params["max_lines"],
            timeout=self.output_timeout)
        return {"command": command, **collected}

    def _failed(self, exc: PterodactylError) -> dict:
        if is_offline_error(exc) and not self.result["sent"] and self.base.params["ignore_offline"]:
            self.result["offline"] = True
            self.result["msg"] = "the server is offline; no command was sent"
            return self.result
        if self.result["sent"]:
            exc = PterodactylError(
                "{0} of {1} command(s) were sent before this failure ({2}): {3}".format(
                    len(self.result["sent"]), len(self.commands), ", ".join(self.result["sent"]), exc.message),
                status=exc.status, code=exc.code, detail=exc.detail, errors=exc.errors,
                method=exc.method, path=exc.path, hint=exc.hint)
        exc.result = dict(self.result)
        raise exc


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
        mutually_exclusive=[("command", "commands")],
        required_one_of=[("command", "commands")],
    )
    base.run(CommandTask(base).run)


if __name__ == "__main__":
    main()
