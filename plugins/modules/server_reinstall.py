#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_reinstall
short_description: Reinstall a game server (run its egg's install script again)
version_added: 0.1.0
description:
  - Runs the install script of the server's egg again, as the panel's C(Reinstall Server) button
    does - after a change of version or Docker image, the usual way to get the new game files.
    The node stops the server first; the server's files stay, except those the script replaces.
  - Not idempotent - every run reinstalls (it reports a change); check mode sends nothing.
  - With O(wait), the task returns once the node reports the install done, and fails when the
    install failed (the panel's C(install_failed) or C(reinstall_failed)), with the last lines the
    install script printed (only an administrator's key receives them).
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server_console
  - gameops.pterodactyl.attributes.actions
options:
  wait:
    description: Wait until the install is done.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: float
    default: 900
notes:
  - The key's user needs C(settings.reinstall), and C(websocket.connect) to be told of the end
    (otherwise the module asks the panel every few seconds).
  - The panel refuses a reinstall while another power action runs (HTTP 409).
"""

EXAMPLES = r"""
- name: Reinstall after a version change, and wait
  gameops.pterodactyl.server_reinstall:
    server: lobby
  register: reinstall

- name: Start it again
  gameops.pterodactyl.server_power:
    server: lobby
    state: started
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
status:
  description: The server's status after the install - V(null) (installed), V(install_failed) or V(reinstall_failed).
  returned: when the task waited
  type: str
install_output:
  description: The lines the install script printed (the last 200), when the key receives them (administrators).
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
waited_with:
  description: How the end was noticed - V(websocket) or V(polling).
  returned: when the task waited
  type: str
"""

import time

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _wings
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    ConsoleError,
    ConsoleTimeout,
    PterodactylError,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import SECONDS, NumberRule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wait import poll_until

NUMBERS = {"wait_timeout": NumberRule(SECONDS)}
FAILED = ("install_failed", "reinstall_failed")
OUTPUT_KEPT = 200
STATUS_SETTLE_SECONDS = 30.0


def failure(status: str, output: list[str]) -> PterodactylError:
    last = " | ".join(line[:200] for line in output[-5:]) or "the key does not receive the install script's output"
    return PterodactylError(
        f"the install failed (status {status}); its last lines: {last}",
        code="InstallFailed",
        detail=status,
        hint="fix the egg's variables (the version?) and reinstall; install_output has the script's lines",
    )


class ReinstallTask:
    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.result: dict = {"changed": True, "install_output": [], "waited": 0.0}
        self.console = None

    def run(self) -> dict:
        server = self.base.server_id()
        if self.base.check_mode:
            self.client.get_server(server)  # read only: the server exists and is visible
            return self.result
        mark = self._listen(server)
        self.client.reinstall_server(server)
        if not self.base.params["wait"]:
            return self.result
        try:
            started = time.monotonic()
            self._wait(server, mark)
            # the node tells the panel the outcome around the time it announces the end: read it settled
            status, _reads = poll_until(
                lambda: self.client.get_server(server)[0].get("status"),
                lambda value: value != "installing",
                timeout=STATUS_SETTLE_SECONDS,
                interval=0.5,
                what="the panel's record of the install's outcome",
            )
            self.result["waited"] = round(time.monotonic() - started, 3)
        finally:
            if self.console is not None:
                self.console.close()
        self.result["status"] = status
        if status in FAILED:
            raise failure(status, self.result["install_output"]).with_result(self.result)
        return self.result

    def _listen(self, server: str) -> int | None:
        """Open the websocket before the reinstall (the panel refuses it to non-admins while installing)."""
        if not self.base.params["wait"]:
            return None
        try:
            self.console = self.base.console(server)
            return self.console.event_mark()
        except PterodactylError as exc:
            self.console = None
            self.base.module.warn(f"waiting by asking the panel: the websocket cannot be used ({exc.message})")
            return None

    def _wait(self, server: str, mark: int | None) -> None:
        timeout = self.base.params["wait_timeout"]
        if self.console is not None:
            try:
                self.console.wait_for_event(_wings.EVENT_INSTALL_COMPLETED, since=mark, timeout=timeout)
                output = [args[0] for args in self.console.events(_wings.EVENT_INSTALL_OUTPUT, mark) if args]
                self.result.update(install_output=output[-OUTPUT_KEPT:], waited_with="websocket")
                return
            except ConsoleTimeout:
                raise PterodactylError(
                    f"the install was not done within {timeout:g}s", code="WaitTimeout", hint="raise wait_timeout"
                ).with_result(self.result) from None
            except ConsoleError as exc:
                self.base.module.warn(f"the websocket was lost while waiting ({exc.message}); asking the panel instead")
        poll_until(
            lambda: self.client.get_server(server)[0].get("status"),
            lambda status: status != "installing",
            timeout=timeout,
            what="the install",
        )
        self.result["waited_with"] = "polling"


def main() -> None:
    base = PterodactylModule(
        {"wait": {"type": "bool", "default": True}, "wait_timeout": {"type": "float", "default": 900.0}},
        console=True,
        websocket=lambda params: params["wait"],
        numbers=NUMBERS,
    )
    base.run(lambda: ReinstallTask(base).run())


if __name__ == "__main__":
    main()
