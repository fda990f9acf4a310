# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one base of the collection's modules.

It builds the argument spec from the option tables of ``_options`` (with the environment
variable of each connection option as its fallback), builds the API client with
``client_kwargs`` and, for the modules that need it, the websocket console session; and it is
the only place where a :class:`PterodactylError` becomes ``fail_json``, with the partial result
the error declares. Modules subclass nothing: they build a :class:`PterodactylModule`, then call
:meth:`PterodactylModule.run` with a function that returns the result dict. Private to the collection.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.gameops.pterodactyl.plugins.module_utils._client import PterodactylClient
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._http import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import (
    CONNECTION_NUMBERS,
    CONNECTION_OPTIONS,
    CONSOLE_OPTIONS,
    NumberRule,
    Option,
    check_numbers,
    client_kwargs,
)

# A task that waited out 429s longer than this says so in a warning (it always returns the figure).
RATE_LIMIT_WARNING_SECONDS = 10.0

# The ``server`` option of modules that act on one server (the ``connection.SERVER`` fragment).
SERVER_SPEC = {"server": {"type": "str", "required": True}}


def option_spec(option: Option) -> dict:
    """The argument spec entry of one table option; its environment variable is the fallback."""
    spec: dict[str, t.Any] = {"type": option.type}
    if option.required:
        spec["required"] = True
    if option.default is not None:
        spec["default"] = option.default
    if option.no_log:
        spec["no_log"] = True
    if option.env:
        spec["fallback"] = (env_fallback, [option.env])
    return spec


def argument_spec(extra: dict, *, server: bool = True, console: bool = False) -> dict:
    """The connection options, ``server`` and the console options as asked, then the module's own."""
    spec = {option.name: option_spec(option) for option in CONNECTION_OPTIONS}
    if server:
        spec.update(SERVER_SPEC)
    if console:
        spec.update({option.name: option_spec(option) for option in CONSOLE_OPTIONS})
    spec.update(extra)
    return spec


def console_utils():
    """``module_utils._console``, imported on first use: only a task that opens a websocket needs websocket-client."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.gameops.pterodactyl.plugins.module_utils import _console

    return _console


class PterodactylModule:
    """An AnsibleModule with the shared options, a lazily built client and one error exit.

    ``websocket`` tells whether the task needs websocket-client: by default every module with
    ``console=True`` does; a callable of the module's parameters narrows it to the option values
    that open the websocket. ``numbers`` gives the rules of the module's numeric options
    (durations, counts); they and the connection options' are checked before anything is sent.
    """

    def __init__(
        self,
        extra_spec: dict,
        *,
        server: bool = True,
        console: bool = False,
        websocket: bool | t.Callable[[dict], bool] | None = None,
        numbers: dict[str, NumberRule] | None = None,
        **kwargs: t.Any,
    ) -> None:
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=argument_spec(extra_spec, server=server, console=console), **kwargs)
        self.params = self.module.params
        self._client: PterodactylClient | None = None
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        try:
            check_numbers(self.params, {**CONNECTION_NUMBERS, **(numbers or {})})
        except PterodactylError as exc:
            self.module.fail_json(msg=str(exc), failure=exc.to_failure())
        needs_websocket = console if websocket is None else websocket
        if callable(needs_websocket):
            needs_websocket = needs_websocket(self.params)
        if needs_websocket:
            self._require_websocket_client()

    def _require_websocket_client(self) -> None:
        console = console_utils()
        if not console.HAS_WEBSOCKET:
            self.module.fail_json(
                msg=missing_required_lib("websocket-client"), exception=console.WEBSOCKET_IMPORT_ERROR
            )

    def server_id(self) -> str:
        """The ``server`` option as an identifier or UUID (a name costs one lookup request)."""
        return self.client.resolve_server_id(self.params["server"])

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def diff_mode(self) -> bool:
        """Whether the task runs with ``--diff`` (then a changing module returns ``diff``)."""
        return bool(self.module._diff)

    @property
    def client(self) -> PterodactylClient:
        """The API client, built on first use from the connection options."""
        if self._client is None:
            try:
                self._client = PterodactylClient(**client_kwargs(self.params))
            except PterodactylError as exc:
                # Bad connection options (scheme, empty key, negative timeout...): a task
                # may build the client before run() is called, so fail here the same way.
                self.module.fail_json(msg=str(exc), failure=exc.to_failure())
        return self._client

    def transfer(self):
        """A Transfer for Wings' signed URLs, with the connection's TLS options and timeout."""
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.gameops.pterodactyl.plugins.module_utils._transfer import Transfer

        params = self.params
        return Transfer(validate_certs=params["validate_certs"], ca_path=params["ca_path"], timeout=params["timeout"])

    def show_in_diff(self, option: str) -> None:
        """Let a ``no_log`` option's value appear in ``--diff`` output (only there: a diff was asked for)."""
        value = self.params.get(option)
        if self.diff_mode and value:
            self.module.no_log_values.discard(value)

    def console(self, server_id: str):
        """A websocket console session for one server (a context manager)."""
        client = self.client
        return console_utils().ConsoleSession(
            lambda: client.get_websocket_credentials(server_id),
            origin=self.params.get("websocket_origin") or client.base_url,
            validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"],
            timeout=self.params["timeout"],
        )

    def fail(self, msg: str, **result: t.Any) -> t.NoReturn:
        """Fail with a message that is not about the panel (bad option combinations...)."""
        self.module.fail_json(msg=msg, **result)

    def run(self, action: t.Callable[[], dict]) -> t.NoReturn:
        """Run the module's action; turn the collection's errors into ``fail_json``.

        This is the only place where a PterodactylError (or its websocket subclass) ends a task.
        The result of a failed task carries ``failure`` with ``status``, ``code`` and ``detail``,
        and the partial result the error declares.
        """
        try:
            result = action()
        except PterodactylError as exc:
            self.module.fail_json(msg=str(exc), failure=exc.to_failure(), **self._with_waits(self._settled(exc)))
        self.module.exit_json(**self._with_waits(result))

    def _settled(self, exc: PterodactylError) -> dict:
        """A failed task's partial result, ``changed`` only when something did change: a module may have
        recorded a change it was about to make; when the panel acknowledged no request that changes
        anything and no answer was lost, nothing did."""
        result = dict(exc.result)
        if self._client is None or not result.get("changed") or self.check_mode or exc.uncertain:
            return result
        if not getattr(self._client, "changes_answered", 1):
            result["changed"] = False
        return result

    def _with_waits(self, result: dict) -> dict:
        """The result with ``rate_limited_seconds`` (when a client was built), warning about long waits."""
        if self._client is None:
            return result
        waited = round(float(getattr(self._client, "rate_limited_seconds", 0.0)), 1)
        if waited > RATE_LIMIT_WARNING_SECONDS:
            self.module.warn(
                f"the panel rate-limited this task: {waited:g}s were spent waiting out HTTP 429 answers; "
                "spread the play (serial, fewer forks, throttle) or raise the panel's rate limit"
            )
        return {**result, "rate_limited_seconds": waited}
