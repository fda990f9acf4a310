#!/usr/bin/python
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_power
short_description: Start, stop, restart or kill a game server
version_added: 0.1.0
description:
  - Brings a server of a Pterodactyl or Pelican panel to a power state.
  - The decision is made from the server's true current state, read from the node's websocket,
    not from the panel's C(/resources) endpoint, which the panel caches for 20 seconds.
  - V(started) does nothing when the server is running or starting, V(stopped) and V(killed)
    do nothing when it is offline; V(restarted) always acts.
  - Before anything is sent, the module checks that the panel would accept the action - the
    server is not suspended, installing, restoring a backup, being transferred or on a node in
    maintenance, and the key's user has the permission the action needs (V(control.start),
    V(control.stop) or V(control.restart), and V(websocket.connect)).
  - With O(wait), the module returns once the target state is reached, and fails with the last
    state seen when O(wait_timeout) runs out.
  - With O(wait), a server that goes offline while it boots fails the task at once with
    C(failure.code=ServerCrashed), whether the module sent the start or found the server starting.
    The failure carries the last console lines the module saw (RV(last_console_lines)), so the
    reason the game gave is in the task's output.
  - With O(stable_for), the module keeps watching a server it brought to running for that many
    seconds more; a crash in that window fails the task the same way.
  - A power request whose answer is lost (a timeout or a dropped connection after it was sent, a
    5xx from the panel or a proxy) is not guessed at - the module finds out whether Wings acted on
    it from the websocket's live state and the panel's activity log, and sends it again only when
    it did not. What was decided, and on what evidence, is in RV(recovery). A power action is never
    sent twice.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server_console
  - gameops.pterodactyl.attributes.actions
options:
  state:
    description:
      - The power state to reach.
      - V(started) - running. V(stopped) - offline after the egg's stop command (Wings kills the
        process if it does not stop in time). V(restarted) - stopped, then started again.
        V(killed) - offline at once (SIGKILL); unsaved game data is lost.
    type: str
    required: true
    choices: [started, stopped, restarted, killed]
  wait:
    description: Wait until the server reaches O(state).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the state when O(wait=true). A finite number greater than 0.
    type: float
    default: 300
  stable_for:
    description:
      - With O(state=started) or O(state=restarted) and O(wait=true), seconds to keep watching
        the server once it runs; if it goes offline or stops in that time, the task fails with
        C(failure.code=ServerCrashed) and the last console lines. V(0) does not watch.
      - Catches a server that reports running and crashes right after (a bad plugin, a world
        that fails to load).
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Make sure the lobby is running
  gameops.pterodactyl.server_power:
    url: https://panel.example.com
    api_key: "{{ vault_pterodactyl_client_key }}"
    server: lobby
    state: started

- name: Restart a server and wait at most two minutes for it to be back
  gameops.pterodactyl.server_power:
    server: 1a7ce997
    state: restarted
    wait_timeout: 120

- name: Start a server and fail if it does not stay up for 30 seconds
  gameops.pterodactyl.server_power:
    server: lobby
    state: started
    stable_for: 30
  register: lobby_power

- name: Stop every server of an inventory group, without waiting
  gameops.pterodactyl.server_power:
    server: "{{ pterodactyl_identifier }}"
    state: stopped
    wait: false
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
previous_state:
  description: The server's power state before the task, as Wings reported it.
  returned: always
  type: str
  sample: offline
state:
  description:
    - The power state at the end of the task. In check mode, and with O(wait=false), the state
      last reported (the change may still be under way).
  returned: always
  type: str
  sample: running
action:
  description:
    - The power signal sent to the panel (V(start), V(stop), V(restart), V(kill)), or V(null)
      when none was (needed).
  returned: always
  type: str
  sample: start
waited:
  description: Seconds spent waiting for the target state.
  returned: always
  type: float
  sample: 2.41
states_seen:
  description: The power states reported while waiting, in order.
  returned: always
  type: list
  elements: str
  sample: [offline, starting, running]
server:
  description: The server's identifier.
  returned: always
  type: str
  sample: 1a7ce997
stable_for:
  description: Seconds the server was watched, and stayed running, after it reached running (O(stable_for)).
  returned: when the server stayed running for O(stable_for)
  type: float
  sample: 10.0
last_console_lines:
  description:
    - The last console lines (up to 30, ANSI colours removed) the module saw on the websocket
      while it waited. On a crash, the game's own account of why it stopped.
  returned: always
  type: list
  elements: str
  sample: ["[12:00:03] [Server thread/ERROR]: Failed to bind to port 25565"]
recovery:
  description:
    - One entry per power request whose outcome was uncertain (the answer was lost or was a 5xx),
      with how it was resolved. Empty when every request was answered.
  returned: always
  type: list
  elements: dict
  contains:
    request:
      description: The request, e.g. C(power start).
      type: str
    error:
      description: How it failed.
      type: str
    outcome:
      description: V(ran), V(not run) or V(unknown).
      type: str
    evidence:
      description: What the decision rests on (the websocket's state changes, the activity log).
      type: str
    action:
      description: V(sent again) (only when it did not run) or V(not sent again).
      type: str
  sample:
    - request: power start
      error: "POST /api/client/servers/1a7ce997/power failed: HTTP 502"
      outcome: ran
      evidence: "the websocket showed the server go from 'offline' to 'starting'"
      action: not sent again
"""

import time
from typing import NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _evidence
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleTimeout, PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._normalize import server_condition
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import SECONDS, NumberRule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._routes import SIGNAL_PERMISSIONS

STATES = ("offline", "starting", "running", "stopping")
RESOLVE_SECONDS = 5.0  # after an uncertain POST: how long a still websocket means Wings did not act
SIGNALS = {"started": "start", "stopped": "stop", "restarted": "restart", "killed": "kill"}
TARGETS = {
    "started": frozenset({"running"}),
    "stopped": frozenset({"offline"}),
    "restarted": frozenset({"running"}),
    "killed": frozenset({"offline"}),
}
GOING_DOWN = frozenset({"stopping", "offline", "starting"})  # a restart: the server leaves running first
BOOTING = frozenset({"starting", "running"})
BOOTED = frozenset({"running", "offline"})  # offline here is a crash during the boot
CONDITION_TEXT = {
    "suspended": "is suspended",
    "installing": "is still installing",
    "install_failed": "failed to install",
    "restoring_backup": "is restoring a backup",
    "node_maintenance": "is on a node in maintenance mode",
    "transferring": "is being transferred to another node",
}


class PowerPlan(NamedTuple):
    """What one run does, decided from the state read before anything is sent."""

    signal: str | None  # the power signal to send, None when none is needed
    settle: frozenset  # states to wait for before sending (a start while the server is stopping)
    waits: tuple  # with wait=true: the sets of states to wait for, one after the other
    crash_check: bool  # ending the waits offline means the server crashed while it booted


def plan_signal(target: str, current: str) -> str | None:
    """The signal to send to go from ``current`` to the ``target`` state, or None when there is none."""
    if target == "restarted":
        return "restart"
    if target == "started":
        return None if current in ("running", "starting") else "start"
    if target == "stopped":
        return None if current in ("offline", "stopping") else "stop"
    return None if current == "offline" else "kill"


def plan_power(target: str, current: str, wait: bool) -> PowerPlan:
    """The plan to bring a server that is ``current`` to ``target`` (``wait``: until it is there)."""
    signal = plan_signal(target, current)
    settle = frozenset({"offline"}) if signal == "start" and current == "stopping" else frozenset()
    if not wait:
        return PowerPlan(signal, settle, (), False)
    if signal == "restart":
        return PowerPlan(signal, settle, (GOING_DOWN, BOOTING, BOOTED), True)
    if signal == "start":
        return PowerPlan(signal, settle, (BOOTING, BOOTED), True)
    if signal is None and target == "started" and current == "starting":
        # Started by someone else and still booting: a crash ends the wait as when we send the start.
        return PowerPlan(None, settle, (BOOTED,), True)
    if signal is None and current in TARGETS[target]:
        return PowerPlan(None, settle, (), False)
    return PowerPlan(signal, settle, (TARGETS[target],), False)


def crashed(plan: PowerPlan, state: str | None) -> bool:
    """Whether the state at the end of the plan's waits means the server crashed while it booted."""
    return plan.crash_check and state == "offline"


def missing_permission(signal: str, permissions: list[str]) -> str | None:
    """The permission the user lacks for ``signal`` (or to read the state), or None."""
    if "*" in permissions:
        return None
    for needed in ("websocket.connect", SIGNAL_PERMISSIONS[signal]):
        if needed not in permissions:
            return needed
    return None


def refuse(server: dict, message: str, code: str, hint: str) -> PterodactylError:
    """An error raised before anything is sent to the panel."""
    return PterodactylError(
        f"server '{server.get('name')}' ({server.get('identifier')}) {message}", code=code, detail=message, hint=hint
    )


def refusal(server: dict, meta: dict, signal: str) -> PterodactylError | None:
    """The error to raise before sending ``signal`` when the panel would refuse it, or None."""
    condition = server_condition(server)
    if condition:
        text = CONDITION_TEXT.get(condition, f"is in the state {condition}")
        return refuse(
            server,
            text,
            "ServerStateBlocked",
            "the panel refuses power actions in this state (HTTP 409); wait until it ends, "
            "or ask a panel administrator",
        )
    lacking = missing_permission(signal, list(meta.get("user_permissions") or []))
    if lacking:
        return refuse(
            server,
            f"cannot be '{signal}' by this key: the user lacks the permission {lacking}",
            "PermissionMissing",
            f"grant the subuser the '{lacking}' permission in the panel",
        )
    return None


def tail_text(lines: list[str], count: int = 3) -> str:
    """The last ``count`` console lines for a message, or a note that there were none."""
    shown = [line[:200] for line in lines[-count:]]
    return " | ".join(shown) if shown else "none were printed while the module watched"


def crash_error(server: str, states_seen: list[str], console_lines: list[str], when: str) -> PterodactylError:
    """The failure for a server that went offline ``when`` (while starting, or N s after it ran)."""
    return PterodactylError(
        f"server '{server}' went offline {when} (states seen: {', '.join(states_seen)}); "
        f"its last console lines: {tail_text(console_lines)}",
        code="ServerCrashed",
        detail="the server stopped without being asked to",
        hint="read last_console_lines in the result, or its whole console (gameops.pterodactyl.server_console_info)",
    )


def timeout_error(target: str, exc: ConsoleTimeout, wait_timeout: float) -> ConsoleTimeout:
    """A wait that ran out, naming the state the task wanted and the option to raise."""
    return ConsoleTimeout(
        exc.last_state, exc.seen, wanted=TARGETS[target], timeout=wait_timeout, path=exc.path, option="wait_timeout"
    )


def power_diff(previous: str, target: str, plan: PowerPlan) -> dict:
    """Diff mode: the power state before, and the state the task brings the server to."""
    after = previous if plan.signal is None and not plan.waits else sorted(TARGETS[target])[0]
    return {"before": {"state": previous}, "after": {"state": after}}


def changed_from(state: str, seen: list[str]) -> str | None:
    """The first state in ``seen`` other than ``state``: evidence that a power action was acted on."""
    return next((item for item in seen if item != state), None)


class PowerTask:
    """One run of the module: read the state, plan, send, wait, watch."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.target = base.params["state"]
        self.result = {
            "changed": False,
            "action": None,
            "waited": 0.0,
            "states_seen": [],
            "recovery": [],
            "last_console_lines": [],
        }
        self.console = None

    def run(self) -> dict:
        server_id = self.base.server_id()
        attributes, meta = self.client.get_server(server_id)
        self.result["server"] = attributes.get("identifier") or server_id
        error = refusal(attributes, meta, SIGNALS[self.target])
        if error is not None:
            raise error
        with self.base.console(server_id) as console:
            self.console = console
            try:
                return self._apply(server_id)
            except PterodactylError as exc:
                raise exc.with_result(self._with_lines()) from None

    def _with_lines(self) -> dict:
        """The result with the console lines seen last (kept by the session while it waited)."""
        self.result["last_console_lines"] = list(getattr(self.console, "recent_lines", None) or [])
        return self.result

    def _apply(self, server_id: str) -> dict:
        current = self.console.state()
        self.result.update(previous_state=current, state=current)
        plan = plan_power(self.target, current, self.base.params["wait"])
        if self.base.diff_mode:
            self.result["diff"] = power_diff(current, self.target, plan)
        if plan.settle:
            self._wait(plan.settle)
        if plan.signal is not None:
            self.result.update(changed=True, action=plan.signal)
            if self.base.check_mode:
                return self.result
            self._send(server_id, plan.signal)
        for states in plan.waits:
            self._wait(states)
        if crashed(plan, self.result["state"]):
            raise crash_error(self.result["server"], self.result["states_seen"], self._recent(), "while starting")
        self._watch_stable(plan)
        return self._with_lines()

    def _recent(self) -> list[str]:
        return list(getattr(self.console, "recent_lines", None) or [])

    def _send(self, server_id: str, signal: str, resend: bool = True) -> None:
        """POST the signal; when that fails uncertainly, find out whether it ran and send it again only if not."""
        before = self.result["state"]
        since = self.client.panel_time()
        try:
            self.client.send_power(server_id, signal)
        except PterodactylError as exc:
            if not exc.uncertain:
                raise
            finding = self._find_out(server_id, signal, before, since)
            again = resend and finding.outcome == _evidence.NOT_RUN
            entry = _evidence.recovery_entry(
                f"power {signal}", exc, finding, "sent again" if again else "not sent again"
            )
            self.result["recovery"].append(entry)
            if again:
                return self._send(server_id, signal, resend=False)
            if finding.outcome != _evidence.RAN:
                raise _evidence.gave_up(exc, f"the power action '{signal}'", finding) from None
        return None

    def _find_out(self, server_id: str, signal: str, before: str, since: float) -> _evidence.Finding:
        """Whether Wings acted on ``signal``: a state change on the websocket, else the activity log."""
        others = set(STATES) - {before}
        try:
            state, seen = self.console.wait_for_state(others, RESOLVE_SECONDS)
        except ConsoleTimeout:
            state, seen = None, []
        if state is not None:
            self._record(state, seen, time.monotonic())
            changed = changed_from(before, seen) or state
            return _evidence.Finding(
                _evidence.RAN, f"the websocket showed the server go from '{before}' to '{changed}'"
            )
        finding = _evidence.from_activity(self.client, server_id, f"server:power.{signal}", since)
        quiet = f"the websocket showed no state change within {RESOLVE_SECONDS:g}s"
        if finding.outcome == _evidence.UNKNOWN:
            # Wings changes the state as soon as it acts on a signal: a still state says it did not.
            return _evidence.Finding(_evidence.NOT_RUN, f"{quiet}; {finding.evidence}")
        return _evidence.Finding(finding.outcome, f"{quiet}; {finding.evidence}")

    def _watch_stable(self, plan: PowerPlan) -> None:
        """``stable_for``: after reaching running, keep watching; leaving running in that window fails."""
        stable_for = self.base.params.get("stable_for") or 0.0
        if stable_for <= 0 or not plan.waits or self.result["state"] != "running":
            return
        started = time.monotonic()
        try:
            state, seen = self.console.wait_for_state({"offline", "stopping"}, stable_for)
        except ConsoleTimeout:
            self.result["stable_for"] = stable_for
            return
        self._record(state, seen, started)
        left_after = round(time.monotonic() - started, 1)
        raise crash_error(
            self.result["server"], self.result["states_seen"], self._recent(), f"{left_after:g}s after it was running"
        )

    def _wait(self, states: frozenset) -> None:
        """Wait for one of ``states`` within what is left of ``wait_timeout``; record what was seen."""
        started = time.monotonic()
        wait_timeout = self.base.params["wait_timeout"]
        remaining = max(0.0, wait_timeout - self.result["waited"])
        try:
            state, seen = self.console.wait_for_state(set(states), remaining)
        except ConsoleTimeout as exc:
            self._record(exc.last_state, exc.seen, started)
            raise timeout_error(self.target, exc, wait_timeout) from None
        except PterodactylError:
            self._record(None, [], started)
            raise
        self._record(state, seen, started)

    def _record(self, state: str | None, seen: list[str], started: float) -> None:
        self.result["waited"] = round(self.result["waited"] + time.monotonic() - started, 3)
        for item in seen:
            if not self.result["states_seen"] or self.result["states_seen"][-1] != item:
                self.result["states_seen"].append(item)
        if state:
            self.result["state"] = state


NUMBERS = {"wait_timeout": NumberRule(SECONDS), "stable_for": NumberRule(SECONDS, positive=False)}


def main() -> None:
    base = PterodactylModule(
        {
            "state": {"type": "str", "required": True, "choices": list(SIGNALS)},
            "wait": {"type": "bool", "default": True},
            "wait_timeout": {"type": "float", "default": 300.0},
            "stable_for": {"type": "float", "default": 0.0},
        },
        console=True,
        numbers=NUMBERS,
    )
    base.run(PowerTask(base).run)


if __name__ == "__main__":
    main()
