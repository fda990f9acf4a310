#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_subuser
short_description: Add, change and remove a game server's subusers
version_added: 0.1.0
description:
  - Makes sure a panel user, by O(email), is a subuser of a server with exactly the O(permissions)
    given, or is not a subuser (V(absent)).
  - An email the panel does not know gets a new panel account; the panel mails that person a link to
    set a password.
  - The panel always adds C(websocket.connect) and drops keys it does not know, so the module compares
    what the panel will store - a task that does not list C(websocket.connect) is still unchanged the
    second time.
  - An unchanged subuser costs one request (the list of subusers). A key that the subuser does not
    already hold is first checked against the panel's permission list (C(GET /api/client/permissions),
    read once per task) - an unknown key is refused before anything is sent, named with the nearest
    known key, and the known ones are listed.
  - A key whose user is a subuser itself can only grant the permissions it holds - the panel refuses
    the others with its own message (C(Cannot assign permissions to a subuser that your account does
    not actively possess.)), and the task says which ones it lacks.
  - Emails are matched case-insensitively, as Pterodactyl does.
  - Check mode reads, predicts and sends nothing that changes a subuser.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
attributes:
  diff_mode:
    description: Returns the subuser's permissions before and after, one a line.
    support: full
options:
  email:
    description: The panel user's email address - what finds the subuser.
    type: str
    required: true
  permissions:
    description:
      - The subuser's permission keys, for example V(control.console) or V(file.read) - the complete
        set, replacing the one the subuser has. C(websocket.connect) is always added by the panel.
      - V(null) (the default) leaves an existing subuser's permissions as they are and gives a new
        subuser only C(websocket.connect).
      - On Pelican the database password key is C(database.view-password), on Pterodactyl
        C(database.view_password).
    type: list
    elements: str
  state:
    description: Whether the user is a subuser of the server.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The key's user needs C(user.read), and C(user.create), C(user.update) or C(user.delete) for a
    change. Nobody can change or remove their own subuser entry, and the server's owner cannot be
    added (the panel refuses both).
  - Changing or removing a subuser also ends its open console websockets on the node.
  - On Pelican the panel adds at most 10 subusers per 15 minutes to a server.
"""

EXAMPLES = r"""
- name: Let the moderator use the console and restart the server
  gameops.pterodactyl.server_subuser:
    server: lobby
    email: mod@example.com
    permissions:
      - control.console
      - control.restart
      - activity.read

- name: Remove a former moderator
  gameops.pterodactyl.server_subuser:
    server: lobby
    email: old-mod@example.com
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
subuser:
  description:
    - The subuser after the task (in check mode, as predicted; a new one has no C(uuid) yet).
      V(null) when the user is not a subuser.
  returned: always
  type: dict
  contains:
    uuid:
      description: The panel user's uuid.
      type: str
    username:
      description: The panel user's username.
      type: str
    email:
      description: The panel user's email address.
      type: str
    permissions:
      description: The keys the panel stores, sorted (C(websocket.connect) included).
      type: list
      elements: str
    2fa_enabled:
      description: Whether the user has two-factor authentication.
      type: bool
    created_at:
      description: When the panel user was created.
      type: str
  sample:
    uuid: 6c1d0e62-3f5a-4a0e-9a54-2f7f4e9f1a20
    username: mod4xq
    email: mod@example.com
    permissions: [activity.read, control.console, control.restart, websocket.connect]
    2fa_enabled: false
    created_at: "2026-12-01T10:00:00+00:00"
added:
  description: The keys the task granted (or would grant).
  returned: always
  type: list
  elements: str
removed:
  description: The keys the task took away (or would take away); all of them for V(absent).
  returned: always
  type: list
  elements: str
recovery:
  description:
    - One entry per request whose answer was lost (a timeout, a dropped connection, a 5xx) - whether
      the subusers list showed it done, and whether it was sent again (only when it was not).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _subusers
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._recovery import seen, send_checked

ESCALATION = "Cannot assign permissions"


def plan(current: dict | None, state: str, permissions: list[str] | None) -> dict:
    """What to send: ``action`` (None, create, update, delete), ``send`` (the body's keys), ``validate``
    (the asked keys the panel must be asked about: those the subuser does not hold, as the stored ones
    are known to the panel by construction) and ``after`` (the stored set after the task)."""
    held = set((current or {}).get("permissions") or [])
    if state == "absent":
        return {"action": "delete" if current else None, "send": [], "validate": [], "after": set()}
    if permissions is None:
        if current:
            return {"action": None, "send": [], "validate": [], "after": held}
        permissions = []
    wanted = _subusers.stored(permissions)
    validate = [key for key in _subusers.asked_keys(permissions) if key not in held and key != _subusers.ALWAYS]
    if current and wanted == held:
        return {"action": None, "send": [], "validate": [], "after": held}
    action = "update" if current else "create"
    return {"action": action, "send": _subusers.to_send(permissions), "validate": validate, "after": wanted}


class SubuserTask:
    """One run: list the subusers, plan, check unknown keys, send at most one change."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.server = ""
        self.result: dict = {"changed": False, "subuser": None, "added": [], "removed": [], "recovery": []}

    def run(self) -> dict:
        params = self.base.params
        email = _subusers.check_email(params["email"])
        self.server = self.base.server_id()
        current = _subusers.find(self.client.list_subusers(self.server), email)
        steps = plan(current, params["state"], params["permissions"])
        if steps["validate"]:
            _subusers.refuse_unknown(steps["validate"], _subusers.known_keys(self.client.get_permissions()))
        held = set((current or {}).get("permissions") or [])
        predicted = None
        if params["state"] == "present":
            predicted = {**(current or {"email": email}), "permissions": sorted(steps["after"])}
        self.result.update(
            changed=steps["action"] is not None,
            subuser=_subusers.shaped(predicted) if predicted else None,
            added=sorted(steps["after"] - held),
            removed=sorted(held - steps["after"]),
        )
        if self.base.diff_mode:
            self.result["diff"] = {"before": _subusers.lines(current), "after": _subusers.lines(predicted)}
        if steps["action"] is None or self.base.check_mode:
            return self.result
        try:
            answer = getattr(self, "_" + steps["action"])(email, current, steps)
        except PterodactylError as exc:
            raise self._explained(exc, steps).with_result(self.result) from None
        if answer is not None:
            self.result["subuser"] = _subusers.shaped(answer)
        return self.result

    def _look(self, email: str, done) -> tuple:
        found = _subusers.find(self.client.list_subusers(self.server), email)
        return seen(done(found), f"the subusers list shows {email} as asked", "the subusers list has no change", found)

    def _create(self, email: str, current: dict | None, steps: dict) -> dict | None:
        def send():
            return self.client.create_subuser(self.server, email, steps["send"])

        try:
            return send_checked(send, lambda: self._look(email, bool), f"add {email}", self.result["recovery"])
        except PterodactylError as exc:
            if exc.code != "ServerSubuserExistsException":
                raise
            exists = exc
        # a subuser since (another task, or the email of a user the list showed differently): update it
        found = _subusers.find(self.client.list_subusers(self.server), email)
        if found is None:
            raise exists
        again = plan(found, "present", self.base.params["permissions"])
        return self._update(email, found, again) if again["action"] else found

    def _update(self, email: str, current: dict, steps: dict) -> dict | None:
        def done(found):
            return found is not None and set(found.get("permissions") or []) == steps["after"]

        def send():
            return self.client.update_subuser(self.server, current["uuid"], steps["send"])

        return send_checked(send, lambda: self._look(email, done), f"update {email}", self.result["recovery"])

    def _delete(self, email: str, current: dict, steps: dict) -> None:
        def send():
            return self.client.delete_subuser(self.server, current["uuid"])

        def gone():
            return self._look(email, lambda found: found is None)

        send_checked(send, gone, f"remove {email}", self.result["recovery"])

    def _explained(self, exc: PterodactylError, steps: dict) -> PterodactylError:
        """The panel's refusal with what to do: the keys a granting subuser lacks, the owner, oneself."""
        if exc.status == 403 and ESCALATION in (exc.detail or ""):
            held = self._held()
            lacking = [key for key in steps["send"] if held is not None and "*" not in held and key not in held]
            which = f"lacks {', '.join(lacking)}" if lacking else "lacks some of them"
            return exc.retold(
                hint=f"the key's user {which} itself; a subuser can only grant the permissions it "
                "holds: use the owner's key, or leave them out",
            )
        if exc.status == 403 and steps["action"] in ("update", "delete"):
            return exc.retold(hint=f"{exc.hint} A user cannot change or remove their own subuser entry either.")
        if exc.code == "UserIsServerOwnerException":
            return exc.retold(hint="the server's owner has every permission already: leave the owner out")
        return exc

    def _held(self) -> list[str] | None:
        try:
            return list(self.client.get_server(self.server)[1].get("user_permissions") or [])
        except PterodactylError:
            return None


def main() -> None:
    base = PterodactylModule(
        {
            "email": {"type": "str", "required": True},
            "permissions": {"type": "list", "elements": "str"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        }
    )
    base.run(lambda: SubuserTask(base).run())


if __name__ == "__main__":
    main()
