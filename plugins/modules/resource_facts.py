#!/usr/bin/python
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_facts
short_description: Set a game server's state and resource usage as facts
version_added: 0.1.0
description:
  - Sets C(ansible_facts.pterodactyl_resources) for the host the task runs for - the server's
    power state, memory, CPU, disk and network use, uptime, its limits, and its use of each
    limit as a percentage.
  - By default the figures come from the panel's C(/resources) endpoint, which the panel caches
    for 20 seconds. With O(fresh=true) they are live figures from the node's websocket.
author:
  - gameops.pterodactyl maintainers (@gameops)
extends_documentation_fragment:
  - gameops.pterodactyl.connection
  - gameops.pterodactyl.connection.server_console
  - gameops.pterodactyl.attributes.facts
options:
  fresh:
    description:
      - Read live figures from the node's websocket instead of the panel's cached endpoint.
      - Needs the V(websocket.connect) permission, and the Python library C(websocket-client) on the
        controller (only this option does).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the resources of every server of the inventory
  gameops.pterodactyl.resource_facts:
    server: "{{ pterodactyl_identifier }}"

- name: Warn about servers close to their memory limit
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} uses {{ pterodactyl_resources.percent.memory }}% of its memory"
  when: (pterodactyl_resources.percent.memory | default(0, true)) > 90

- name: Live state, not the panel's 20-second cache
  gameops.pterodactyl.resource_facts:
    server: lobby
    fresh: true
"""

RETURN = r"""
rate_limited_seconds:
  description:
    - Seconds this task spent waiting out the panel's rate limit (HTTP 429 answers), within
      O(rate_limit_wait). Above 10 seconds the task also warns.
  returned: always
  type: float
  sample: 0.0
ansible_facts:
  description: Facts set for the host.
  returned: always
  type: dict
  contains:
    pterodactyl_resources:
      description: The server's state and resource usage.
      type: dict
      contains:
        server:
          description: The server's identifier.
          type: str
        name:
          description: The server's name.
          type: str
        source:
          description: Where the figures come from - V(panel) (cached up to 20 s) or V(websocket) (live).
          type: str
        state:
          description: Power state - V(offline), V(starting), V(running) or V(stopping).
          type: str
        is_suspended:
          description: Whether the server is suspended.
          type: bool
        memory_bytes:
          description: Memory used, in bytes.
          type: int
        cpu_absolute:
          description: CPU used, in percent of one core (200 = two full cores).
          type: float
        disk_bytes:
          description: Disk used by the server's files, in bytes.
          type: int
        network_rx_bytes:
          description: Bytes received since the server started.
          type: int
        network_tx_bytes:
          description: Bytes sent since the server started.
          type: int
        uptime_ms:
          description: Milliseconds since the server started; 0 when offline.
          type: int
        limits:
          description: The server's limits - C(memory_bytes), C(disk_bytes), C(cpu_percent); V(null) when unlimited.
          type: dict
        percent:
          description: Use of each limit in percent - C(memory), C(disk), C(cpu); V(null) when unlimited.
          type: dict
          sample: {"memory": 41.5, "disk": 3.2, "cpu": 12.0}
"""

from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import PterodactylModule
from ansible_collections.gameops.pterodactyl.plugins.module_utils._normalize import normalize_resources


def resources_source(params: dict) -> str:
    """Where the figures come from: the node's websocket (live) with fresh=true, else the panel (cached)."""
    return "websocket" if params["fresh"] else "panel"


def needs_websocket(params: dict) -> bool:
    """Only fresh=true opens the websocket, so only it needs websocket-client."""
    return resources_source(params) == "websocket"


def resources_result(stats: dict, attributes: dict, server_id: str, source: str) -> dict:
    """The module's result from the stats (either shape) and the server's attributes."""
    facts = normalize_resources(stats, attributes.get("limits"))
    facts.update(server=attributes.get("identifier") or server_id, name=attributes.get("name"), source=source)
    return {"changed": False, "ansible_facts": {"pterodactyl_resources": facts}}


def read_resources(base: PterodactylModule) -> dict:
    client = base.client
    server_id = base.server_id()
    attributes, _meta = client.get_server(server_id)
    source = resources_source(base.params)
    if source == "websocket":
        with base.console(server_id) as console:
            stats = console.stats()
    else:
        stats = client.get_resources(server_id)
    return resources_result(stats, attributes, server_id, source)


def main() -> None:
    base = PterodactylModule({"fresh": {"type": "bool", "default": False}}, console=True, websocket=needs_websocket)
    base.run(lambda: read_resources(base))


if __name__ == "__main__":
    main()
