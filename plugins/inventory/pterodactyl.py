# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dynamic inventory: every game server of a Pterodactyl or Pelican panel becomes a host."""

from __future__ import annotations

DOCUMENTATION = r"""
name: pterodactyl
short_description: Game servers of a Pterodactyl or Pelican panel as inventory hosts
version_added: 0.1.0
author:
  - gameops.pterodactyl maintainers (@gameops)
description:
  - Lists the servers visible to a client API key through the panel's client API and adds each
    one as a host, with its details as host variables and groups per node, egg and status.
  - Pages of 100 servers are read; after the first page the remaining pages are fetched
    concurrently (O(page_workers) threads). HTTP 429 answers are waited out.
  - Reads configuration files whose names end in C(.pterodactyl.yml) or C(.pterodactyl.yaml).
  - Every string that comes from the panel (names, descriptions, node and egg names, ...) is
    marked unsafe, so a server name that contains Jinja2 syntax such as C({{ ... }}) is never templated.
  - Because game servers are operated through the panel and not over SSH, each host gets
    C(ansible_connection=local) and C(ansible_python_interpreter) set to the controller's
    Python by default (see O(set_local_connection)); both can be overridden with O(compose).
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description:
      - The name of this plugin; it must be V(gameops.pterodactyl.pterodactyl).
    type: str
    required: true
    choices:
      - gameops.pterodactyl.pterodactyl
  url:
    description:
      - Root URL of the panel, for example V(https://panel.example.com).
      - A trailing V(/api/client) or V(/api) is removed.
      - May be a Jinja2 template (a lookup, or a variable given with C(-e)).
      - Needed, here or in E(PTERODACTYL_URL).
    type: str
    env:
      - name: PTERODACTYL_URL
  api_key:
    description:
      - A client API key (V(ptlc_...), on Pelican V(pacc_...)) of the panel user whose servers
        become hosts.
      - May be a Jinja2 template, for example a lookup or a vaulted variable given with C(-e @vault.yml),
        or an inline C(!vault) value.
      - The key is never written to the inventory cache and never shown in messages.
      - Needed, here or in E(PTERODACTYL_API_KEY).
    type: str
    env:
      - name: PTERODACTYL_API_KEY
  validate_certs:
    description:
      - Whether to verify the panel's TLS certificate. Prefer O(ca_path) for a private CA.
    type: bool
    default: true
    env:
      - name: PTERODACTYL_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of CA certificates used to verify the panel.
    type: path
    env:
      - name: PTERODACTYL_CA_PATH
  timeout:
    description:
      - Seconds to wait for the panel to answer one HTTP request.
    type: float
    default: 30
    env:
      - name: PTERODACTYL_TIMEOUT
  retries:
    description:
      - How many times a request is retried after a connection error, a timeout or a 502/503/504 answer.
    type: int
    default: 3
    env:
      - name: PTERODACTYL_RETRIES
  rate_limit_wait:
    description:
      - Longest total time, in seconds, one request waits out the panel's rate limit (HTTP 429)
        before the inventory fails.
    type: float
    default: 120
    env:
      - name: PTERODACTYL_RATE_LIMIT_WAIT
  type:
    description:
      - Which servers the panel lists (the client API's C(type) parameter).
      - Without it, the servers the key's user owns or is a subuser of.
      - V(owner) lists only the servers the user owns.
      - V(admin) (root admins only) lists the servers the admin neither owns nor is a subuser of;
        V(admin-all) lists every server of the panel.
    type: str
    choices:
      - owner
      - admin
      - admin-all
  name:
    description:
      - Only servers whose name contains this text (server-side C(filter[name])).
    type: str
  uuid:
    description:
      - Only servers whose UUID contains this text (server-side C(filter[uuid])).
    type: str
  external_id:
    description:
      - Only servers whose external ID contains this text (server-side C(filter[external_id])).
    type: str
  description:
    description:
      - Only servers whose description contains this text (server-side C(filter[description])).
    type: str
  query:
    description:
      - The panel's free search (server-side C(filter[*])) - matches the identifier, UUID,
        external ID or name, or an allocation given as C(ip), C(ip:port) or C(:port).
    type: str
  include_egg:
    description:
      - Ask the panel for each server's egg (C(include=egg)), adding the host variable
        C(<prefix>egg) and the groups C(<prefix>egg_<egg name>).
    type: bool
    default: false
  statuses:
    description:
      - Only add servers with one of these statuses. V(installed) is a server with no special status.
      - By default every server is added.
    type: list
    elements: str
    choices:
      - installed
      - installing
      - install_failed
      - reinstall_failed
      - suspended
      - restoring_backup
  exclude_suspended:
    description:
      - Leave suspended servers out. By default they are added, with C(<prefix>is_suspended=true)
        and in the group C(<prefix>status_suspended).
    type: bool
    default: false
  hostname:
    description:
      - How to name each host - a Jinja2 template (V({{ pterodactyl_identifier }})) or a bare
        expression (V(pterodactyl_identifier)) over the host variables of the server.
      - By default, the server name made safe - lowercased, every character other than a-z, 0-9,
        V(_) and V(-) replaced by V(_).
      - When two servers would get the same host name, both get C(_<identifier>) appended.
      - If the template gives an empty name, the default is used.
    type: str
  hostvar_prefix:
    description:
      - Prefix of the host variables and of the default group names.
    type: str
    default: pterodactyl_
  resources:
    description:
      - Also read each server's current state and resource usage (one C(/resources) request per
        server, O(resources_workers) at a time), adding C(<prefix>state) and C(<prefix>resources),
        so that O(keyed_groups) can group by running state.
      - Servers the panel refuses to report on (suspended, installing, on a node under maintenance,
        being transferred) are not asked; they get C(<prefix>state=null) and C(<prefix>resources_error).
      - A failure for one server is recorded in C(<prefix>resources_error) with a warning; an API
        key that is not accepted fails the whole inventory.
    type: bool
    default: false
  resources_workers:
    description:
      - How many C(/resources) requests run at the same time.
      - Mind the panel's rate limit (720 requests a minute per user by default, 256 on Pelican).
    type: int
    default: 4
  page_workers:
    description:
      - How many pages of the server list are fetched at the same time after the first one.
    type: int
    default: 4
  set_local_connection:
    description:
      - Give each host C(ansible_connection=local) and C(ansible_python_interpreter) set to the
        controller's Python, since a game server is operated through the panel.
      - O(compose) is applied afterwards, so it can override both.
    type: bool
    default: true
notes:
  - Host variables (with the default prefix) are C(pterodactyl_identifier), C(pterodactyl_uuid),
    C(pterodactyl_name), C(pterodactyl_description), C(pterodactyl_node), C(pterodactyl_sftp)
    (C(ip), C(port), C(alias)), C(pterodactyl_primary_allocation) (C(ip), C(port), ...),
    C(pterodactyl_allocations), C(pterodactyl_limits), C(pterodactyl_feature_limits),
    C(pterodactyl_docker_image), C(pterodactyl_egg) (with O(include_egg)), C(pterodactyl_status),
    C(pterodactyl_is_suspended), C(pterodactyl_is_installing), C(pterodactyl_is_transferring),
    C(pterodactyl_is_node_under_maintenance), C(pterodactyl_condition), C(pterodactyl_server_owner),
    and with O(resources) C(pterodactyl_state), C(pterodactyl_resources), C(pterodactyl_resources_error).
  - Groups are C(pterodactyl_node_<node>), C(pterodactyl_egg_<egg>) (with O(include_egg)) and
    C(pterodactyl_status_<status>), where status is V(installed), V(suspended), V(installing), ...;
    group names are made safe by Ansible's rules (for example C(-) becomes C(_)).
  - >-
    So that plays need no per-task C(server), set it once for every module of the collection with
    C(module_defaults) - C(module_defaults: {group/gameops.pterodactyl.all: {server: "{{ pterodactyl_identifier }}"}}).
  - By default C(ansible-inventory) only warns when an inventory source fails; set
    C(ANSIBLE_INVENTORY_UNPARSED_FAILED=true) (or C(unparsed_is_failed) in C(ansible.cfg)) to make
    a panel error fail the run.
  - >-
    The cache stores the servers as read from the panel (and their resources); the API key is never
    part of it. A cache hit sends no request to the panel. C(--flush-cache) or
    C(meta: refresh_inventory) reads the panel again.
requirements:
  - requests
"""

EXAMPLES = r"""
# panel.pterodactyl.yml - every server of the key's user, named after the server
plugin: gameops.pterodactyl.pterodactyl
url: https://panel.example.com
api_key: "{{ lookup('ansible.builtin.env', 'PTERODACTYL_API_KEY') }}"
---
# admin.pterodactyl.yml - all servers of the panel (root admin key), eggs, live state and groups by it
plugin: gameops.pterodactyl.pterodactyl
url: https://panel.example.com
api_key: "{{ vault_pterodactyl_admin_key }}"   # ansible-inventory -e @vault.yml --ask-vault-pass
type: admin-all
include_egg: true
resources: true
exclude_suspended: true
hostname: "{{ pterodactyl_name | lower | regex_replace('[^a-z0-9]+', '-') }}-{{ pterodactyl_identifier }}"
keyed_groups:
  - key: pterodactyl_state
    prefix: state
  - key: pterodactyl_limits.memory
    prefix: memory
groups:
  big: pterodactyl_limits.memory >= 8192
compose:
  game_port: pterodactyl_primary_allocation.port
---
# cached.pterodactyl.yml - cached for 5 minutes in JSON files
plugin: gameops.pterodactyl.pterodactyl
url: https://panel.example.com
query: lobby
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/pterodactyl-inventory
cache_timeout: 300

# A play that needs no per-task server:
# - hosts: pterodactyl_node_node_eu1
#   gather_facts: false
#   module_defaults:
#     group/gameops.pterodactyl.all:
#       server: "{{ pterodactyl_identifier }}"
#   tasks:
#     - gameops.pterodactyl.server_power:
#         state: restarted
"""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

try:
    from ansible.template import trust_as_template  # noqa: F401  pylint: disable=unused-import
except ImportError:
    # ansible-core < 2.19 templates every string unless it is marked unsafe
    CORE_UNTRUSTS_BY_DEFAULT = False
else:
    # ansible-core >= 2.19 templates only strings explicitly trusted; inventory data never is
    CORE_UNTRUSTS_BY_DEFAULT = True

from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.gameops.pterodactyl.plugins.module_utils._normalize import (
    add_resources,
    add_resources_error,
    cache_entry,
    cached_servers,
    dedupe_hostnames,
    default_group_names,
    fingerprint,
    host_vars,
    normalize_server,
    resources_skip_reason,
    safe_hostname,
    slim_server,
    status_included,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import (
    CONNECTION_OPTIONS,
    client_kwargs,
    server_filters,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._progress import Progress

TEMPLATED_OPTIONS = ("url", "api_key")  # may be Jinja2 templates over the extra vars
_TEMPLATE_MARKERS = ("{{", "{%", "{#")


# --------------------------------------------------------------------------- #
# Pure helpers (unit-tested); the shaping of a server is _normalize's
# --------------------------------------------------------------------------- #


def is_template(value):
    """Whether a string contains Jinja2 syntax."""
    return isinstance(value, str) and any(marker in value for marker in _TEMPLATE_MARKERS)


def connection_vars(python=None):
    """``ansible_connection=local`` with the controller's interpreter."""
    return {"ansible_connection": "local", "ansible_python_interpreter": python or sys.executable}


def mark_unsafe(value):
    """Mark every string in ``value`` as unsafe, so Ansible never templates it.

    On ansible-core >= 2.19 data from an inventory plugin is untrusted by default and
    ``wrap_var`` only copies it; the copy of 2000 hosts is skipped there.
    """
    if CORE_UNTRUSTS_BY_DEFAULT:
        return value
    return wrap_var(value)


def is_auth_error(exc):
    return exc.status == 401


# --------------------------------------------------------------------------- #
# The plugin
# --------------------------------------------------------------------------- #


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Every game server visible to a client API key as a host."""

    NAME = "gameops.pterodactyl.pterodactyl"

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        return path.endswith((".pterodactyl.yml", ".pterodactyl.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        servers = self._servers(path, cache)
        self._populate(servers)

    # -- where the servers come from ------------------------------------------ #

    def _servers(self, path, cache):
        """Normalized servers from the cache or the panel, honouring the cache options."""
        use_cache = bool(self.get_option("cache"))
        key = self.get_cache_key(path)
        expected = fingerprint(self._request_parts())
        if use_cache and cache:
            servers = cached_servers(self._cache_get(key), expected)
            if servers is not None:
                self.display.vvv(f"pterodactyl inventory: {len(servers)} servers from the cache")
                return servers
        servers = self._fetch()
        if use_cache:
            self._cache[key] = cache_entry(servers, expected)
        return servers

    def _cache_get(self, key):
        try:
            return self._cache[key]
        except KeyError:
            return None

    def _request_parts(self):
        """What determines the panel's answer, without the API key."""
        return {
            "url": self.get_option("url"),
            "type": self.get_option("type"),
            "filters": server_filters(self._options),
            "include_egg": self.get_option("include_egg"),
            "resources": self.get_option("resources"),
        }

    def _fetch(self):
        client = self._client()
        try:
            servers = self._list_servers(client)
            if self.get_option("resources"):
                self._fetch_resources(client, servers)
        except PterodactylError as exc:
            raise AnsibleParserError(f"Pterodactyl inventory: {to_native(exc)}") from None
        finally:
            client.close()
        self.display.vvv(f"pterodactyl inventory: {len(servers)} servers, {client.request_count} HTTP requests")
        return servers

    def _client(self):
        if not HAS_REQUESTS:
            raise AnsibleError(
                "The gameops.pterodactyl.pterodactyl inventory plugin needs the Python library "
                f"'requests' on the controller (pip install requests): {REQUESTS_IMPORT_ERROR}"
            )
        values = {option.name: self.get_option(option.name) for option in CONNECTION_OPTIONS}
        values.update({name: self._templated(name) for name in TEMPLATED_OPTIONS})
        try:
            return PterodactylClient(**client_kwargs(values))
        except PterodactylError as exc:
            raise AnsibleParserError(f"Pterodactyl inventory: {to_native(exc)}") from None

    def _templated(self, option):
        """An option's value, templated with the extra vars when it contains Jinja2."""
        value = self.get_option(option)
        if not is_template(value):
            return value
        self.templar.available_variables = self._vars or {}
        try:
            return self.templar.template(value)
        except AnsibleError as exc:
            raise AnsibleParserError(f"Pterodactyl inventory: could not template {option}: {to_native(exc)}") from None

    def _progress(self, what, client, total=None):
        """A progress counter that tells the user, at -v and on stderr, how a long read goes."""
        return Progress(what, self._say_progress, total=total, waited=lambda: client.rate_limited_seconds)

    def _say_progress(self, line):
        if self.display.verbosity >= 1:
            self.display.display(f"pterodactyl inventory: {line}", stderr=True)

    def _list_servers(self, client):
        include = ["egg"] if self.get_option("include_egg") else None
        progress = self._progress("servers listed", client)
        attributes = client.list_servers(
            type=self.get_option("type"),
            filters=server_filters(self._options),
            include=include,
            concurrent=True,
            workers=self.get_option("page_workers"),
            on_page=progress.page,
        )
        progress.finish()
        return [slim_server(normalize_server(item)) for item in attributes]

    # -- /resources, concurrently ---------------------------------------------- #

    def _fetch_resources(self, client, servers):
        todo = []
        for server in servers:
            reason = resources_skip_reason(server)
            if reason:
                add_resources_error(server, reason)
            else:
                todo.append(server)
        if not todo:
            return
        failures = self._resources_concurrently(client, todo)
        self._report_resource_failures(failures)

    def _resources_concurrently(self, client, servers):
        """Fetch /resources for each server with bounded workers; [(server, error)] for the failures."""
        stop = threading.Event()
        workers = max(1, min(int(self.get_option("resources_workers")), len(servers)))
        progress = self._progress("servers' resources read", client, total=len(servers))
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pterodactyl-resources")
        try:
            results = list(executor.map(lambda server: self._one_resources(client, server, stop, progress), servers))
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
        progress.finish()
        return [(server, error) for server, error in zip(servers, results, strict=True) if error is not None]

    @staticmethod
    def _one_resources(client, server, stop, progress):
        """Fetch one server's resources into it; the error, or None."""
        if stop.is_set():
            return None
        try:
            add_resources(server, client.get_resources(server["identifier"]))
        except PterodactylError as exc:
            if is_auth_error(exc):
                stop.set()
            add_resources_error(server, to_native(exc))
            return exc
        finally:
            progress.add()
        return None

    def _report_resource_failures(self, failures):
        for _server, error in failures:
            if is_auth_error(error):
                raise error
        for server, error in failures:
            self.display.warning(
                f"Pterodactyl inventory: could not read the resources of server "
                f"{server.get('identifier')} ({server.get('name')}): {to_native(error)}"
            )

    # -- hosts and groups ---------------------------------------------------- #

    def _populate(self, servers):
        prefix = self.get_option("hostvar_prefix")
        statuses = self.get_option("statuses")
        exclude_suspended = self.get_option("exclude_suspended")
        selected = [s for s in servers if status_included(s, statuses, exclude_suspended)]
        variables = [self._host_variables(server, prefix) for server in selected]
        names = dedupe_hostnames(
            [
                (self._hostname(server, hv), server.get("identifier") or "")
                for server, hv in zip(selected, variables, strict=True)
            ]
        )
        for server, hv, name in zip(selected, variables, names, strict=True):
            self._add_host(name, server, hv, prefix)

    def _host_variables(self, server, prefix):
        hv = mark_unsafe(host_vars(server, prefix))
        if self.get_option("set_local_connection"):
            hv.update(connection_vars())
        return hv

    def _hostname(self, server, variables):
        """The host name before de-duplication."""
        template = self.get_option("hostname")
        default = safe_hostname(server.get("name"), server.get("identifier"))
        if not template:
            return default
        try:
            name = self._render_hostname(template, variables)
        except AnsibleError as exc:
            raise AnsibleParserError(
                f"Pterodactyl inventory: hostname {template!r} failed for server "
                f"{server.get('identifier')}: {to_native(exc)}"
            ) from None
        name = to_native(name).strip() if name is not None else ""
        return name or default

    def _render_hostname(self, template, variables):
        if is_template(template):
            self.templar.available_variables = variables
            return self.templar.template(template)
        return self._compose(template, variables)

    def _add_host(self, name, server, variables, prefix):
        strict = self.get_option("strict")
        host = self.inventory.add_host(mark_unsafe(name))
        for key, value in variables.items():
            self.inventory.set_variable(host, key, value)
        for group in default_group_names(server, prefix, self.get_option("include_egg")):
            self.inventory.add_child(self.inventory.add_group(self._sanitize_group_name(group)), host)
        self._construct(host, strict)

    def _construct(self, host, strict):
        """compose, then groups and keyed_groups (skipped entirely when none is set)."""
        compose, groups, keyed_groups = (self.get_option(name) for name in ("compose", "groups", "keyed_groups"))
        if compose:
            self._set_composite_vars(compose, self.inventory.get_host(host).get_vars(), host, strict=strict)
        if groups or keyed_groups:
            hostvars = self.inventory.get_host(host).get_vars()
            self._add_host_to_composed_groups(groups, hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(keyed_groups, hostvars, host, strict=strict)
