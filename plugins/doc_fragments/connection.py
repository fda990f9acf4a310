# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every module of the collection.

A module lists ``connection`` and, as it acts on one server, ``connection.server`` or, when it also
opens that server's console, ``connection.server_console``.
"""

from __future__ import annotations


class ModuleDocFragment:
    """The panel URL, the client API key and how to reach the panel."""

    DOCUMENTATION = r"""
options:
  url:
    description:
      - Root URL of the Pterodactyl or Pelican panel, for example V(https://panel.example.com).
      - A trailing V(/api/client) or V(/api) is removed, so a URL copied from the API
        documentation works too.
      - If not set, the value of the E(PTERODACTYL_URL) environment variable is used; one of
        the two must give it.
    type: str
  api_key:
    description:
      - A client API key of the panel user the modules act as (it starts with V(ptlc_),
        or V(pacc_) on Pelican), created under Account, API Credentials.
      - Application keys (V(ptla_)) are refused by the client API.
      - If not set, the value of the E(PTERODACTYL_API_KEY) environment variable is used.
      - The key is never shown in output, results or logs.
      - One of O(api_key) and E(PTERODACTYL_API_KEY) must give it.
    type: str
  validate_certs:
    description:
      - Whether to verify the panel's and the node's TLS certificates.
      - Only set this to V(false) for a panel with a self-signed certificate that you trust;
        prefer O(ca_path).
      - If not set, the value of the E(PTERODACTYL_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM file of CA certificates used to verify the panel and the node
        (HTTPS and C(wss://)).
      - If not set, the value of the E(PTERODACTYL_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for the panel to answer one HTTP request.
      - If not set, the value of the E(PTERODACTYL_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a read request is retried after a connection error, a timeout or a
        502/503/504 answer, with capped exponential backoff.
      - Requests that change something (power actions, console commands) are only re-sent
        when the panel cannot have received them, so a command never runs twice.
      - If not set, the value of the E(PTERODACTYL_RETRIES) environment variable is used.
    type: int
    default: 3
  rate_limit_wait:
    description:
      - Longest total time, in seconds, to wait out the panel's rate limit (HTTP 429) before
        failing.
      - The panel allows 720 requests a minute per user by default (256 on Pelican), shared
        by every key and every process of that user.
      - If not set, the value of the E(PTERODACTYL_RATE_LIMIT_WAIT) environment variable is used.
    type: float
    default: 120
notes:
  - The modules talk to the panel's client API (C(/api/client)) and, for live state, to the
    node's websocket. They run on the controller; use C(delegate_to=localhost) or the
    inventory plugin's default C(ansible_connection=local).
requirements:
  - requests
"""

    SERVER = r"""
options:
  server:
    description:
      - The server, as its identifier (the 8 characters of the panel's URLs, or a C(serv_...) identifier
        of a Pterodactyl 1.12 panel that uses them), its UUID or its exact name.
      - An identifier or a UUID costs no request; a name costs one filtered list request.
      - An identifier or UUID costs no extra request; a name is looked up with one filtered
        request, and a name two servers share is refused with both identifiers listed.
      - With the inventory plugin, use C(module_defaults) to set it to
        C({{ pterodactyl_identifier }}) once for every task.
      - In a static INI inventory, quote identifiers - INI reads a value such as V(13843e08) as
        a number.
    type: str
    required: true
"""

    CONSOLE = r"""
options:
  websocket_origin:
    description:
      - The C(Origin) header sent to the node's websocket.
      - Wings accepts the websocket only when this equals the panel URL set in its
        configuration (C(remote)) or one of its C(allowed_origins).
      - Defaults to O(url). Set it when the panel is reached through a different address than
        the one Wings knows, for example behind a reverse proxy.
      - If not set, the value of the E(PTERODACTYL_WEBSOCKET_ORIGIN) environment variable is used,
        then O(url).
    type: str
requirements:
  - websocket-client
"""


# Every console module acts on one server: both fragments in one (the second's ``options:`` key dropped).
ModuleDocFragment.SERVER_CONSOLE = ModuleDocFragment.SERVER + ModuleDocFragment.CONSOLE.removeprefix("\noptions:")
