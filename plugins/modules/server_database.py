#!/usr/bin/python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_database
short_description: Create, delete and rotate the password of a game server's database
version_added: 0.1.0
description:
  - Makes sure a server has a database of that O(name) (V(present)) or has none (V(absent)), on a
    database host the panel chooses. An existing database is one request (the list), unchanged.
  - The panel stores the database as C(s<server id>_<name>) - O(name) is given without that prefix,
    and RV(database.name) returns the stored one.
  - Returns the connection details, and the password only when the task created the database or
    rotated its password (RV(password)). Put C(no_log) on the task - see the examples.
  - The panel has no route that changes a database - a different O(remote) cannot be applied to an
    existing one. The task fails and says so, unless O(recreate=true) deletes the database and creates
    it again (its data is lost).
  - The name and O(remote) are checked against the panel's rules before anything is sent, as is the
    server's database limit (C(feature_limits.databases)) for a new database.
  - Check mode reads, predicts and sends nothing that changes a database.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server
  - gameops.pterodactyl.attributes.actions
attributes:
  diff_mode:
    description: Returns the database's name and remote before and after (never its password).
    support: full
options:
  name:
    description:
      - The database's name without the panel's C(s<server id>_) prefix - letters, numbers, dashes and
        underscores, 3 characters at least and, with the prefix, 48 at most.
    type: str
    required: true
  remote:
    description:
      - The hosts that may connect, as a MySQL host pattern - V(%) for any, V(10.0.0.%) for a subnet.
      - Compared with the existing database's; see O(recreate).
    type: str
    default: "%"
  state:
    description: Whether the database exists.
    type: str
    choices: [present, absent]
    default: present
  rotate_password:
    description:
      - Give the existing database a new password (and return it). Every run with V(true) rotates
        it, so the task always changes.
      - A database the task creates has a new password already.
    type: bool
    default: false
  recreate:
    description:
      - When the existing database's remote differs from O(remote), delete it and create it again -
        B(its data is lost). Without it the task fails, as the panel cannot change a remote.
    type: bool
    default: false
notes:
  - The key's user needs C(database.read), C(database.create), C(database.update) (to rotate) or
    C(database.delete), and C(database.view_password) (Pelican C(database.view-password)) to be given
    the password.
  - The panel refuses a new database when no database host serves the server's node, when client
    databases are turned off, or at the server's limit; the task says which.
  - On Pelican the panel creates at most 2 databases a minute per server.
"""

EXAMPLES = r"""
- name: A database for the lobby's plugins
  gameops.pterodactyl.server_database:
    server: lobby
    name: luckperms
    remote: "10.0.0.%"
  register: luckperms_db
  no_log: true  # the result holds the password when the database was created

- name: Write the plugin's connection settings
  gameops.pterodactyl.server_file:
    server: lobby
    path: plugins/LuckPerms/config.yml
    content: "{{ lookup('ansible.builtin.template', 'luckperms.yml.j2') }}"
  when: luckperms_db.password is not none
  no_log: true

- name: A new password every quarter
  gameops.pterodactyl.server_database:
    server: lobby
    name: luckperms
    remote: "10.0.0.%"
    rotate_password: true
  no_log: true

- name: Drop the old stats database
  gameops.pterodactyl.server_database:
    server: lobby
    name: stats
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
database:
  description:
    - The database after the task (in check mode, as predicted), or the one deleted for V(absent);
      V(null) when there is none. Never holds the password.
  returned: always
  type: dict
  contains:
    id:
      description: The panel's id of the database (a hashid on Pterodactyl, a number on Pelican).
      type: raw
    name:
      description: The database's name as stored, with the C(s<server id>_) prefix.
      type: str
    short_name:
      description: The name without the prefix (O(name)).
      type: str
    username:
      description: The database user.
      type: str
    host:
      description: The database host, C(address) and C(port).
      type: dict
    connections_from:
      description: The hosts that may connect (O(remote)).
      type: str
    max_connections:
      description: The most connections the user may open (V(null) is no limit).
      type: int
  sample:
    id: bEY4yAD5
    name: s5_luckperms
    short_name: luckperms
    username: u5_QsIAp1jhvS
    host: {address: db1.example.com, port: 3306}
    connections_from: "10.0.0.%"
    max_connections: null
password:
  description:
    - The database user's password - a secret. Returned only when the task created the database or
      rotated its password, and only when the key's user may see it (C(database.view_password));
      V(null) otherwise. Use C(no_log) on the task so that it is not shown or logged.
  returned: always
  type: str
  sample: null
actions:
  description: What the task did (or would do), in order - V(create), V(delete), V(rotate_password).
  returned: always
  type: list
  elements: str
recovery:
  description:
    - One entry per request whose answer was lost (a timeout, a dropped connection, a 5xx) - whether
      the databases list showed it done, and whether it was sent again (only when it was not).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _databases
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._evidence import UNKNOWN, Finding, recovery_entry
from ansible_collections.gameops.pterodactyl.plugins.module_utils._recovery import seen, send_checked

HINTS = {
    "NoSuitableDatabaseHostException": "no database host serves this server's node: a panel administrator must add "
    "one (or allow hosts of other nodes)",
    "TooManyDatabasesException": "the server is at its database limit: delete a database, or ask for a higher limit",
    "DatabaseClientFeatureNotEnabledException": "client databases are turned off on this panel "
    "(PTERODACTYL_CLIENT_DATABASES_ENABLED, Pelican PANEL_CLIENT_DATABASES_ENABLED)",
}


def plan(current: dict | None, params: dict) -> list[str]:
    """The requests to send, in order: ``delete``, ``create``, ``rotate_password``."""
    if params["state"] == "absent":
        return ["delete"] if current else []
    if current is None:
        return ["create"]
    if current.get("connections_from") != params["remote"]:
        if not params["recreate"]:
            raise PterodactylError(
                f"the database {current.get('name')} accepts connections from {current.get('connections_from')!r}, "
                f"not {params['remote']!r}, and the panel cannot change that",
                code="DatabaseRemoteMismatch",
                hint="set recreate: true to delete it and create it again (its data is lost), or give its remote",
            )
        return ["delete", "create"]
    return ["rotate_password"] if params["rotate_password"] else []


def limit_check(databases: list[dict], server: dict, deleting: bool) -> None:
    """FeatureLimitReached when the panel would refuse one more database (null: no limit)."""
    limit = (server.get("feature_limits") or {}).get("databases")
    if limit is not None and len(databases) - int(deleting) >= int(limit):
        raise PterodactylError(
            f"the server is at its limit of {limit} databases: the panel would refuse another one",
            code="FeatureLimitReached",
            hint="delete a database, or ask a panel administrator for a higher database limit",
        )


class DatabaseTask:
    """One run: list the databases, plan, check the limit for a new one, send the plan in order."""

    def __init__(self, base: PterodactylModule) -> None:
        self.base = base
        self.client = base.client
        self.params = base.params
        self.server = ""
        self.result: dict = {"changed": False, "database": None, "password": None, "actions": [], "recovery": []}

    def run(self) -> dict:
        name = _databases.check_name(self.params["name"])
        _databases.check_remote(self.params["remote"])
        self.server = self.base.server_id()
        databases = self.client.list_databases(self.server)
        current = _databases.find(databases, name)
        actions = plan(current, self.params)
        after = current if self.params["state"] == "present" else None
        if "create" in actions:
            after = self._predicted(databases, name, "delete" in actions)
        shown = current if self.params["state"] == "absent" else after
        self.result.update(changed=bool(actions), actions=actions, database=_databases.shaped(shown) if shown else None)
        if self.base.diff_mode:
            rotated = "rotate_password" in actions or "create" in actions
            self.result["diff"] = {"before": _databases.lines(current), "after": _databases.lines(after, rotated)}
        if not actions or self.base.check_mode:
            return self.result
        try:
            for action in actions:
                current = getattr(self, "_" + action)(name, current)
        except PterodactylError as exc:
            hint = HINTS.get(exc.code or "")
            raise (exc.retold(hint=hint) if hint else exc).with_result(self.result) from None
        return self.result

    def _predicted(self, databases: list[dict], name: str, deleting: bool) -> dict:
        """The new database as the panel will name it; refusals of its length and of the limit first."""
        server = self.client.get_server(self.server)[0]
        internal_id = server.get("internal_id")
        if internal_id is not None:
            _databases.check_fits(name, internal_id)
        limit_check(databases, server, deleting)
        stored = name if internal_id is None else _databases.prefix(internal_id) + name
        return {"name": stored, "connections_from": self.params["remote"]}

    def _look(self, name: str, wanted: bool) -> tuple:
        found = _databases.find(self.client.list_databases(self.server), name)
        listed = f"the databases list {'has' if found else 'has no'} {name}"
        return seen((found is not None) == wanted, listed, listed, found)

    def _delete(self, name: str, current: dict) -> None:
        def send():
            return self.client.delete_database(self.server, str(current["id"]))

        send_checked(send, lambda: self._look(name, False), f"delete the database {name}", self.result["recovery"])
        if self.params["state"] == "absent":
            self.result["database"] = _databases.shaped(current)

    def _create(self, name: str, current: None) -> dict:
        def send():
            try:
                return self.client.create_database(self.server, name, self.params["remote"])
            except PterodactylError as exc:  # a 500 that names a refusal: it did not run
                if exc.code == "DatabaseClientFeatureNotEnabledException":
                    raise exc.retold(uncertain=False) from None
                raise

        recovery = self.result["recovery"]
        created = send_checked(send, lambda: self._look(name, True), f"create the database {name}", recovery)
        self.result["database"] = _databases.shaped(created)
        if "relationships" not in created:  # it ran, but its answer (and the password) was lost
            recovery[-1]["action"] += "; its password rotated to return one"
            return self._rotate_password(name, created)
        self._keep_password(created)
        return created

    def _rotate_password(self, name: str, current: dict) -> dict:
        """A rotation whose answer is lost is sent once more: the new password was in that answer."""
        try:
            rotated = self.client.rotate_database_password(self.server, str(current["id"]))
        except PterodactylError as exc:
            if not exc.uncertain:
                raise
            lost = Finding(UNKNOWN, "the answer, which holds the new password, was lost")
            self.result["recovery"].append(recovery_entry(f"rotate the password of {name}", exc, lost, "sent again"))
            rotated = self.client.rotate_database_password(self.server, str(current["id"]))
        self.result["database"] = _databases.shaped(rotated)
        self._keep_password(rotated)
        return rotated

    def _keep_password(self, answer: dict) -> None:
        self.result["password"] = _databases.password_of(answer)
        if self.result["password"] is None:
            self.base.module.warn(
                "the panel did not return the password: the key's user lacks database.view_password "
                "(Pelican database.view-password)"
            )


def main() -> None:
    base = PterodactylModule(
        {
            "name": {"type": "str", "required": True},
            "remote": {"type": "str", "default": "%"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "rotate_password": {"type": "bool", "default": False, "no_log": False},
            "recreate": {"type": "bool", "default": False},
        }
    )
    base.run(lambda: DatabaseTask(base).run())


if __name__ == "__main__":
    main()
