#!/usr/bin/python
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: server_info
short_description: Read game servers from a Pterodactyl or Pelican panel
version_added: 0.1.0
description:
  - Returns one server, found by identifier, UUID or exact name, or every server the API key
    can see, optionally filtered on the panel's side.
  - Every page of the panel's list is read, 100 servers a request.
  - Never changes anything.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.attributes.info_module
options:
  server:
    description:
      - One server, as its identifier (8 characters, or C(serv_...)), its UUID or its exact name.
      - When set, the filter options are not used and RV(user_permissions) is returned.
    type: str
  name:
    description: Only servers whose name contains this text (case-insensitive).
    type: str
  uuid:
    description: Only servers whose UUID contains this text.
    type: str
  description:
    description: Only servers whose description contains this text (case-insensitive).
    type: str
  external_id:
    description: Only servers whose external ID contains this text.
    type: str
  query:
    description:
      - The panel's free search (C(filter[*])) - an identifier, a UUID or its start, a
        name fragment, an external ID, or an allocation as V(IP), V(IP:port) or V(:port).
    type: str
  type:
    description:
      - Which servers to list.
      - V(accessible) lists the servers the user owns or is a subuser of.
      - V(owner) only the servers the user owns.
      - V(admin) every server the user does not own or sub-use (root admins only).
      - V(admin-all) every server of the panel (root admins only).
    type: str
    choices: [accessible, owner, admin, admin-all]
    default: accessible
  include:
    description: Related objects to add to each server.
    type: list
    elements: str
    choices: [egg, subusers]
    default: []
"""

EXAMPLES = r"""
- name: Read every server this key can see
  gameops.pterodactyl.server_info:
    url: https://panel.example.com
    api_key: "{{ vault_pterodactyl_client_key }}"
  register: fleet

- name: Read one server by name, with its egg
  gameops.pterodactyl.server_info:
    server: lobby
    include: [egg]
  register: lobby

- name: Show what this key may do on it
  ansible.builtin.debug:
    var: lobby.user_permissions

- name: Every server on the panel whose name contains "survival" (root admin key)
  gameops.pterodactyl.server_info:
    name: survival
    type: admin-all
  register: survival
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
servers:
  description: The servers found, in the panel's order. Empty when none match.
  returned: always
  type: list
  elements: dict
  contains:
    identifier:
      description: The identifier used in the panel's URLs (8 characters, or C(serv_...) on panels that use those).
      type: str
      sample: 1a7ce997
    uuid:
      description: The server's UUID.
      type: str
      sample: 1a7ce997-259b-452e-8b4e-cecc464142ca
    internal_id:
      description: The panel's numeric ID.
      type: int
    name:
      description: The server's name, as the panel's users wrote it.
      type: str
      sample: lobby
    description:
      description: The server's description (empty string when none).
      type: str
    node:
      description: Name of the node (Wings) the server runs on.
      type: str
    server_owner:
      description: Whether the API key's user owns the server.
      type: bool
    status:
      description:
        - The panel's status. V(null) for an installed server in a normal state, otherwise
          V(installing), V(install_failed), V(reinstall_failed), V(suspended) or V(restoring_backup).
      type: str
    is_suspended:
      description: Whether the server is suspended.
      type: bool
    is_installing:
      description: Whether the server is installing or its installation failed.
      type: bool
    is_transferring:
      description: Whether the server is being moved to another node.
      type: bool
    is_node_under_maintenance:
      description: Whether the server's node is in maintenance mode.
      type: bool
    condition:
      description:
        - Why the panel currently refuses power actions, commands and resources for this
          server (HTTP 409), or V(null) when it does not.
      type: str
      sample: suspended
    sftp:
      description: SFTP address of the node (C(ip), C(port), and C(alias) on Pelican).
      type: dict
    allocations:
      description: The server's allocations (C(id), C(ip), C(ip_alias), C(port), C(notes), C(is_default)).
      type: list
      elements: dict
    primary_allocation:
      description: The default allocation.
      type: dict
      sample: {"ip": "203.0.113.10", "port": 25565, "is_default": true}
    limits:
      description: Memory, swap and disk in MiB, CPU in percent of one core (0 = unlimited), io, threads, oom_disabled.
      type: dict
    feature_limits:
      description: How many databases, allocations and backups the server may have.
      type: dict
    docker_image:
      description: The container image the server runs in.
      type: str
    invocation:
      description: The startup command, with hidden values as C([hidden]).
      type: str
    egg_features:
      description: Features of the egg, such as C(eula) or C(java_version).
      type: list
      elements: str
    egg:
      description: The egg (C(uuid), C(name)).
      type: dict
      returned: when O(include) contains V(egg)
    subusers:
      description: Subusers (C(uuid), C(username), C(email), C(permissions)).
      type: list
      elements: dict
      returned: when O(include) contains V(subusers) and the key may read subusers
user_permissions:
  description:
    - What the key's user may do on the server. V(*) means everything (owner or admin).
  returned: when O(server) is set
  type: list
  elements: str
  sample: ["control.console", "control.start", "websocket.connect"]
is_server_owner:
  description: Whether the key's user owns the server.
  returned: when O(server) is set
  type: bool
"""

from typing import NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._normalize import normalize_server
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import SERVER_FILTERS, server_filters

LIST_TYPES = ["accessible", "owner", "admin", "admin-all"]


class ServersQuery(NamedTuple):
    """One server by reference, or a filtered list."""

    server: str | None  # read this one server; None: list
    type: str | None  # the panel's type parameter (None: the servers the user owns or sub-uses)
    filters: dict  # {filter key: value}
    include: list


def plan_query(params: dict) -> ServersQuery:
    list_type = params["type"]
    return ServersQuery(
        params["server"] or None,
        None if list_type == "accessible" else list_type,
        server_filters(params),
        list(params["include"]),
    )


def one_result(attributes: dict, meta: dict) -> dict:
    return {
        "changed": False,
        "servers": [normalize_server(attributes)],
        "user_permissions": list(meta.get("user_permissions") or []),
        "is_server_owner": bool(meta.get("is_server_owner")),
    }


def many_result(servers: list[dict]) -> dict:
    return {"changed": False, "servers": [normalize_server(server) for server in servers]}


def read_servers(base: PterodactylModule) -> dict:
    query = plan_query(base.params)
    client = base.client
    if query.server:
        attributes, meta = client.get_server(base.server_id(), include=query.include)
        return one_result(attributes, meta)
    return many_result(
        client.list_servers(type=query.type, filters=query.filters, include=query.include, concurrent=True)
    )


def main() -> None:
    spec = {"server": {"type": "str"}}
    spec.update({name: {"type": "str"} for name, _key in SERVER_FILTERS})
    spec.update(
        {
            "type": {"type": "str", "default": "accessible", "choices": LIST_TYPES},
            "include": {"type": "list", "elements": "str", "default": [], "choices": ["egg", "subusers"]},
        }
    )
    base = PterodactylModule(spec, server=False, mutually_exclusive=[("server", name) for name, _key in SERVER_FILTERS])
    base.run(lambda: read_servers(base))


if __name__ == "__main__":
    main()
