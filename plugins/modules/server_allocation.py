#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_allocation
short_description: Assign, label, make primary and release a game server's network allocations
version_added: 0.1.0
description:
  - An allocation is an IP and port of the node that the server may use (for a query port, a voice
    server, a dynmap web page). The client API cannot choose the port - the panel assigns one (a free
    allocation of the node on the primary's IP, or a new port in the range the panel allows) - so the
    module finds its allocation by the O(notes) it wrote on it, or by its O(port).
  - V(present) with O(notes) - unchanged when an allocation has these notes; otherwise the panel assigns
    one and the notes are set on it. With O(port) (and O(ip)) - the server must hold that allocation
    already; O(notes) are then written on it.
  - O(primary=true) makes the allocation the server's primary one (the game uses it from its next
    start).
  - V(absent) releases every allocation with these notes (or that address) back to the node.
    Pterodactyl does not release the primary allocation - the task says so before sending anything;
    Pelican does (the server keeps pointing at it until another one is made primary - the task warns).
  - The panel's refusals are found out before sending when the module can know them - no allocation
    limit set, the limit reached, the primary on Pterodactyl. Client auto-assignment turned off on the
    panel, or no free port left, are the panel's own refusals, which the task passes on.
  - An unchanged allocation costs one request (the list).
  - Check mode reads, predicts and sends nothing that changes an allocation.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
attributes:
  diff_mode:
    description: Returns the server's allocations before and after, one a line.
    support: full
options:
  notes:
    description:
      - The allocation's notes (256 characters at most) - what finds it, unless O(port) is given; then
        what is written on it.
    type: str
  port:
    description: The allocation's port, to act on an allocation the server holds already.
    type: int
  ip:
    description: With O(port), the allocation's IP address (or its alias) when the server has several.
    type: str
  state:
    description: Whether the server holds the allocation.
    type: str
    choices: [present, absent]
    default: present
  primary:
    description:
      - V(true) makes the allocation the server's primary one.
      - A server always has a primary allocation - V(false) on the primary one fails (make another one
        primary instead). V(null) leaves it as it is.
    type: bool
notes:
  - The key's user needs C(allocation.read), and C(allocation.create) to be assigned one,
    C(allocation.update) for notes and the primary, C(allocation.delete) to release one.
  - A panel assigns allocations to clients only when its administrator turned it on
    (C(PTERODACTYL_CLIENT_ALLOCATIONS_ENABLED)), within the server's allocation limit.
  - On Pelican the panel assigns at most 2 allocations a minute per server.
"""

EXAMPLES = r"""
- name: A port for the dynmap web page
  gameops.pterodactyl.server_allocation:
    server: survival
    notes: dynmap
  register: dynmap_port

- name: Tell dynmap which port it got
  gameops.pterodactyl.server_file:
    server: survival
    path: plugins/dynmap/configuration.txt
    content: "webserver-port: {{ dynmap_port.port }}\n"

- name: Move the game to the allocation noted "game-2"
  gameops.pterodactyl.server_allocation:
    server: survival
    notes: game-2
    primary: true

- name: Release the old query port
  gameops.pterodactyl.server_allocation:
    server: survival
    port: 25575
    state: absent
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
allocation:
  description:
    - The allocation after the task (in check mode, a new one has no C(id), C(ip) nor C(port) yet);
      for V(absent), the first one released; V(null) when there is none.
  returned: always
  type: dict
  contains:
    id:
      description: The panel's id of the allocation.
      type: int
    ip:
      description: Its IP address.
      type: str
    ip_alias:
      description: The IP's alias, if the node has one.
      type: str
    port:
      description: Its port.
      type: int
    notes:
      description: Its notes.
      type: str
    is_default:
      description: Whether it is the server's primary allocation.
      type: bool
  sample: {id: 42, ip: 10.0.0.5, ip_alias: null, port: 26004, notes: dynmap, is_default: false}
ip:
  description: The allocation's IP address (RV(allocation.ip)).
  returned: always
  type: str
  sample: 10.0.0.5
port:
  description: The allocation's port (RV(allocation.port)).
  returned: always
  type: int
  sample: 26004
notes:
  description: The allocation's notes (RV(allocation.notes)).
  returned: always
  type: str
  sample: dynmap
released:
  description: The allocations the task released (or would release).
  returned: always
  type: list
  elements: dict
actions:
  description: What the task did (or would do), in order - V(assign), V(notes), V(primary), V(release).
  returned: always
  type: list
  elements: str
recovery:
  description:
    - One entry per request whose answer was lost (a timeout, a dropped connection, a 5xx) - whether
      the allocations list showed it done, and whether it was sent again (only when it was not).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _allocations
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import COUNT, NumberRule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._recovery import seen, send_checked

NUMBERS = {"port": NumberRule(COUNT, maximum=65535)}
LONGEST_NOTES = 256


def plan(found: list[dict], params: dict) -> list[str]:
    """The requests to send, in order (``assign``, ``notes``, ``primary``, ``release``); InvalidOption
    for what no request can do."""
    if params["state"] == "absent":
        return ["release"] if found else []
    if not found:
        if params["port"] is not None:
            raise invalid_option(
                f"the server holds no allocation on port {params['port']}, and the client API cannot choose a port",
                hint="give notes without port to have the panel assign one (it picks the port), or ask a panel "
                "administrator to add that port to the server",
            )
        return ["assign", "notes"] + (["primary"] if params["primary"] else [])
    target, actions = found[0], []
    if params["port"] is not None and params["notes"] is not None and target.get("notes") != params["notes"]:
        actions.append("notes")
    if params["primary"] and not target.get("is_default"):
        actions.append("primary")
    if params["primary"] is False and target.get("is_default"):
        raise invalid_option(
            f"{_allocations.address(target)} is the server's primary allocation and a server always has one",
            hint="set primary: true on the allocation that should be primary instead",
        )
    return actions


def predicted(allocations: list[dict], found: list[dict], actions: list[str], params: dict) -> list[dict]:
    """The server's allocations after the actions (a new one without id, ip or port)."""
    if "release" in actions:
        return [a for a in allocations if a not in found]
    target = found[0] if found else {"id": None, "ip": None, "ip_alias": None, "port": None, "is_default": False}
    changed = {**target}
    if "notes" in actions:
        changed["notes"] = params["notes"]
    if "primary" in actions:
        changed["is_default"] = True
    after = [{**a, "is_default": False} if "primary" in actions else a for a in allocations if a is not target]
    return sorted(after + [changed], key=lambda a: (not a.get("is_default"), a.get("id") or 1 << 62))


class AllocationTask:
    """One run: list the allocations, plan, check the panel's refusals, send the plan in order."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.params = base.params
        self.server = ""
        self.result: dict = {"changed": False, "allocation": None, "released": [], "actions": [], "recovery": []}

    def run(self) -> dict:
        notes = self.params["notes"]
        if notes is not None and len(notes) > LONGEST_NOTES:
            raise invalid_option(f"notes may have {LONGEST_NOTES} characters at most, not {len(notes)}")
        self.server = self.base.server_id()
        allocations = self.client.list_allocations(self.server)
        found = _allocations.matching(allocations, notes, self.params["ip"], self.params["port"])
        actions = plan(found, self.params)
        if "assign" in actions or "release" in actions:
            self._refusals(allocations, found, actions)
        after = predicted(allocations, found, actions, self.params)
        self.result.update(changed=bool(actions), actions=actions)
        if "release" in actions:
            self.result["released"] = [_allocations.shaped(a) for a in found]
            self._show(found[0])
        else:
            wanted = found[0]["id"] if found else None
            self._show(next((a for a in after if a.get("id") == wanted), None))
        if self.base.diff_mode:
            self.result["diff"] = {"before": _allocations.lines(allocations), "after": _allocations.lines(after)}
        if not actions or self.base.check_mode:
            return self.result
        try:
            if "release" in actions:
                for allocation in found:
                    self._release(allocation)
            else:
                self._show(self._apply(actions, found[0] if found else None, allocations))
        except PterodactylError as exc:
            raise exc.with_result(self.result) from None
        return self.result

    def _show(self, allocation: dict | None) -> None:
        shown = _allocations.shaped(allocation)
        self.result.update(allocation=shown, **{key: (shown or {}).get(key) for key in ("ip", "port", "notes")})

    def _refusals(self, allocations: list[dict], found: list[dict], actions: list[str]) -> None:
        server = self.client.get_server(self.server)[0]
        if "assign" in actions:
            _allocations.assign_check(allocations, server)
            return
        on_pelican = _allocations.pelican(self.params["api_key"], server)
        _allocations.release_check(found, server, on_pelican)
        if on_pelican and any(a.get("is_default") for a in found):
            self.base.module.warn(
                "releasing the primary allocation: Pelican allows it, and the server keeps pointing at it "
                "until another allocation is made primary"
            )

    def _apply(self, actions: list[str], target: dict | None, before: list[dict]) -> dict:
        if "assign" in actions:
            target = self._assign(before)
            self._show(target)
        noted = False
        try:
            if "notes" in actions:
                target = self._update(target, "notes", self.params["notes"])
                noted = True
            if "primary" in actions:
                target = self._update(target, "is_default", True)
        except PterodactylError as exc:
            if "assign" not in actions:
                raise
            if noted:
                hint = "run the task again: it finds the allocation by its notes"
            else:
                hint = (
                    f"it has no notes: run the task again with port {target.get('port')} and the notes, or release it"
                )
            message = f"the panel assigned {_allocations.address(target)}, but then {exc.message}"
            raise exc.retold(message=message, hint=hint) from None
        return target

    def _assign(self, before: list[dict]) -> dict:
        known = {a.get("id") for a in before}

        def send():
            return self.client.assign_allocation(self.server)

        def look():
            new = [a for a in self.client.list_allocations(self.server) if a.get("id") not in known]
            listed = f"the allocations list has {len(new)} new allocation(s)"
            return seen(bool(new), listed, listed, new[0] if new else None)

        return send_checked(send, look, "assign an allocation", self.result["recovery"])

    def _update(self, target: dict, key: str, value) -> dict:
        """Set the notes, or make it primary (``is_default``); the allocation after."""
        ident, what = str(target["id"]), f"the {key} of {_allocations.address(target)}"

        def send():
            if key == "notes":
                return self.client.set_allocation_notes(self.server, ident, value)
            return self.client.set_primary_allocation(self.server, ident)

        def look():
            row = next((a for a in self.client.list_allocations(self.server) if a.get("id") == target["id"]), None)
            done = row is not None and row.get(key) == value
            return seen(done, f"the allocations list shows {what} set", f"the allocations list shows {what} unset", row)

        return send_checked(send, look, f"set {what}", self.result["recovery"])

    def _release(self, allocation: dict) -> None:
        def send():
            return self.client.release_allocation(self.server, str(allocation["id"]))

        def look():
            gone = all(a.get("id") != allocation["id"] for a in self.client.list_allocations(self.server))
            return seen(gone, "the allocations list no longer has it", "the allocations list still has it")

        send_checked(send, look, f"release {_allocations.address(allocation)}", self.result["recovery"])


def main() -> None:
    base = PterodactylModule(
        {
            "notes": {"type": "str"},
            "port": {"type": "int"},
            "ip": {"type": "str"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "primary": {"type": "bool"},
        },
        numbers=NUMBERS,
        required_one_of=[("notes", "port")],
        required_by={"ip": "port"},
    )
    base.run(lambda: AllocationTask(base).run())


if __name__ == "__main__":
    main()
