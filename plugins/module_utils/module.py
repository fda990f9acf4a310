# -*- coding: utf-8 -*-
# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base for the collection's modules.

It owns the shared connection options, builds the API client (and, for modules that need it,
the websocket console session), and is the only place where errors from module_utils become
``fail_json``. Modules subclass nothing: they build a :class:`PterodactylModule`, then call
:meth:`PterodactylModule.run` with a function that returns the result dict.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.gameops.pterodactyl.plugins.module_utils.api import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    PterodactylClient,
    PterodactylError,
)


def connection_argument_spec() -> dict:
    """Options every module takes (documented in the ``connection`` doc fragment)."""
    return {
        "url": {"type": "str", "required": True, "fallback": (env_fallback, ["PTERODACTYL_URL"])},
        "api_key": {
            "type": "str",
            "required": True,
            "no_log": True,
            "fallback": (env_fallback, ["PTERODACTYL_API_KEY"]),
        },
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "timeout": {"type": "float", "default": 30.0},
        "retries": {"type": "int", "default": 3},
        "rate_limit_wait": {"type": "float", "default": 120.0},
    }


def server_argument_spec() -> dict:
    """The ``server`` option of modules that act on one server (``connection.SERVER`` fragment)."""
    return {"server": {"type": "str", "required": True}}


def console_argument_spec() -> dict:
    """Options of modules that open the node's websocket (``connection.CONSOLE`` fragment)."""
    return {"websocket_origin": {"type": "str"}}


class PterodactylModule:
    """An AnsibleModule with the shared options, a lazily built client and one error exit."""

    def __init__(self, argument_spec: dict, *, server: bool = True, console: bool = False, **kwargs: t.Any) -> None:
        spec = connection_argument_spec()
        if server:
            spec.update(server_argument_spec())
        if console:
            spec.update(console_argument_spec())
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self._client: PterodactylClient | None = None
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        if console:
            self._require_websocket_client()

    def _require_websocket_client(self) -> None:
        # Imported here so modules without a console never need websocket-client.
        from ansible_collections.gameops.pterodactyl.plugins.module_utils.console import (  # pylint: disable=import-outside-toplevel
            HAS_WEBSOCKET,
            WEBSOCKET_IMPORT_ERROR,
        )

        if not HAS_WEBSOCKET:
            self.module.fail_json(msg=missing_required_lib("websocket-client"), exception=WEBSOCKET_IMPORT_ERROR)

    def server_id(self) -> str:
        """The ``server`` option as an identifier or UUID (a name costs one lookup request)."""
        return self.client.resolve_server_id(self.params["server"])

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def client(self) -> PterodactylClient:
        """The API client, built on first use from the connection options."""
        if self._client is None:
            try:
                self._client = PterodactylClient(
                    self.params["url"],
                    self.params["api_key"],
                    validate_certs=self.params["validate_certs"],
                    ca_path=self.params["ca_path"],
                    timeout=self.params["timeout"],
                    retries=self.params["retries"],
                    rate_limit_wait=self.params["rate_limit_wait"],
                )
            except PterodactylError as exc:
                # Bad connection options (scheme, empty key, negative timeout...): a task
                # may build the client before run() is called, so fail here the same way.
                self.module.fail_json(msg=str(exc), failure=exc.to_failure())
        return self._client

    def console(self, server_id: str):
        """A websocket console session for one server (a context manager)."""
        from ansible_collections.gameops.pterodactyl.plugins.module_utils.console import (  # pylint: disable=import-outside-toplevel
            ConsoleSession,
        )

        client = self.client
        return ConsoleSession(
            lambda: client.get_websocket_credentials(server_id),
            origin=self.params.get("websocket_origin") or client.base_url,
            validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"],
            timeout=self.params["timeout"],
        )

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def fail(self, msg: str, **result: t.Any) -> t.NoReturn:
        """Fail with a message that is not about the panel (bad option combinations...)."""
        self.module.fail_json(msg=msg, **result)

    def run(self, action: t.Callable[[], dict]) -> t.NoReturn:
        """Run the module's action; turn the collection's errors into ``fail_json``.

        This is the only place where a PterodactylError (or its websocket subclass) ends a task.
        The result of a failed task carries ``failure`` with ``status``, ``code`` and ``detail``.
        """
        try:
            result = action()
        except PterodactylError as exc:
            partial = getattr(exc, "result", None) or {}
            self.module.fail_json(msg=str(exc), failure=exc.to_failure(), **partial)
        self.module.exit_json(**result)
