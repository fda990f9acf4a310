# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules' base: the argument spec from the option tables (environment fallbacks), the client
from client_kwargs, the one error exit with the error's declared partial result, and when
websocket-client is required."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import basic

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _base, _console
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import CONNECTION_OPTIONS, Option

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    import contextlib

    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


ENVIRONMENT = {
    "PTERODACTYL_URL": "https://panel.test",
    "PTERODACTYL_API_KEY": "ptlc_envkey",
    "PTERODACTYL_VALIDATE_CERTS": "false",
    "PTERODACTYL_CA_PATH": "/etc/ssl/panel.pem",
    "PTERODACTYL_TIMEOUT": "12.5",
    "PTERODACTYL_RETRIES": "5",
    "PTERODACTYL_RATE_LIMIT_WAIT": "7",
    "PTERODACTYL_WEBSOCKET_ORIGIN": "https://origin.test",
}


class Exited(Exception):
    def __init__(self, failed: bool, result: dict) -> None:
        super().__init__(result.get("msg"))
        self.failed = failed
        self.result = result


class RecordingClient:
    built: list = []

    def __init__(self, **kwargs) -> None:
        RecordingClient.built.append(kwargs)
        self.base_url = kwargs["url"]


@pytest.fixture(autouse=True)
def exits(monkeypatch):
    def exit_json(self, **result):
        raise Exited(False, result)

    def fail_json(self, msg, **result):
        raise Exited(True, dict(result, msg=msg))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    RecordingClient.built = []
    monkeypatch.setattr(_base, "PterodactylClient", RecordingClient)


def build(args: dict, extra: dict | None = None, **kwargs) -> _base.PterodactylModule:
    with patch_module_args(args):
        return _base.PterodactylModule(extra or {}, **kwargs)


def test_option_spec():
    assert _base.option_spec(Option("url", "str", env="X", required=True)) == {
        "type": "str",
        "required": True,
        "fallback": (basic.env_fallback, ["X"]),
    }
    assert _base.option_spec(Option("api_key", "str", no_log=True)) == {"type": "str", "no_log": True}
    assert _base.option_spec(Option("timeout", "float", 30.0)) == {"type": "float", "default": 30.0}


def test_argument_spec_parts():
    assert "server" in _base.argument_spec({}) and "websocket_origin" not in _base.argument_spec({})
    spec = _base.argument_spec({"state": {"type": "str"}}, server=False, console=True)
    assert "server" not in spec and "websocket_origin" in spec and "state" in spec
    assert list(spec)[: len(CONNECTION_OPTIONS)] == [option.name for option in CONNECTION_OPTIONS]


def test_every_connection_option_falls_back_to_its_environment_variable(monkeypatch):
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    base = build({"server": "1a7ce997"}, console=True, websocket=False)
    assert base.params["url"] == "https://panel.test" and base.params["api_key"] == "ptlc_envkey"
    assert base.params["validate_certs"] is False and base.params["ca_path"] == "/etc/ssl/panel.pem"
    assert base.params["timeout"] == 12.5 and base.params["retries"] == 5 and base.params["rate_limit_wait"] == 7.0
    assert base.params["websocket_origin"] == "https://origin.test"


def test_task_options_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("PTERODACTYL_TIMEOUT", "99")
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x", "timeout": 3})
    assert base.params["timeout"] == 3.0 and base.params["retries"] == 3


def test_the_client_is_built_with_client_kwargs():
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x", "retries": 1})
    assert base.client is base.client
    assert RecordingClient.built == [
        {
            "url": "https://a.test",
            "api_key": "ptlc_a",
            "validate_certs": True,
            "ca_path": None,
            "timeout": 30.0,
            "retries": 1,
            "rate_limit_wait": 120.0,
        }
    ]


def test_bad_connection_options_fail_the_same_way(monkeypatch):
    def refuse(**kwargs):
        raise PterodactylError("url must start with https://", code="InvalidOption")

    monkeypatch.setattr(_base, "PterodactylClient", refuse)
    base = build({"url": "ftp://a.test", "api_key": "ptlc_a", "server": "x"})
    with pytest.raises(Exited) as caught:
        base.client  # noqa: B018
    assert caught.value.failed and caught.value.result["failure"]["code"] == "InvalidOption"


def test_run_returns_the_result():
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x"})
    with pytest.raises(Exited) as caught:
        base.run(lambda: {"changed": True, "x": 1})
    assert not caught.value.failed and caught.value.result == {"changed": True, "x": 1}


def test_run_fails_with_the_declared_partial_result():
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x"})

    def action():
        raise PterodactylError("went offline", code="ServerCrashed").with_result({"state": "offline", "changed": True})

    with pytest.raises(Exited) as caught:
        base.run(action)
    result = caught.value.result
    assert caught.value.failed and result["msg"] == "went offline"
    assert result["failure"]["code"] == "ServerCrashed"
    assert result["state"] == "offline" and result["changed"] is True


@pytest.mark.parametrize(
    "answered, uncertain, check_mode, changed",
    [
        (0, False, False, False),  # every change was refused or never sent: nothing changed
        (1, False, False, True),  # one change was acknowledged before the failure
        (0, True, False, True),  # an answer was lost: it may have changed
        (0, False, True, True),  # check mode: the prediction stands
    ],
)
def test_a_failed_task_is_changed_only_when_something_changed(answered, uncertain, check_mode, changed):
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x", "_ansible_check_mode": check_mode})
    client = base.client
    client.changes_answered = answered

    def action():
        error = PterodactylError("refused", status=403, code="AccessDeniedHttpException", uncertain=uncertain)
        raise error.with_result({"changed": True, "actions": ["write /a"]})

    with pytest.raises(Exited) as caught:
        base.run(action)
    assert caught.value.failed and caught.value.result["changed"] is changed
    assert caught.value.result["actions"] == ["write /a"]


def test_run_without_partial_result():
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x"})

    def action():
        raise PterodactylError("nope", status=404, code="NotFoundHttpException")

    with pytest.raises(Exited) as caught:
        base.run(action)
    assert set(caught.value.result) == {"msg", "failure"}


@pytest.mark.parametrize(
    "console, websocket, params, required",
    [
        (True, None, {}, True),
        (False, None, {}, False),
        (True, False, {}, False),
        (True, lambda params: params["fresh"], {"fresh": True}, True),
        (True, lambda params: params["fresh"], {"fresh": False}, False),
    ],
)
def test_websocket_client_required_only_when_needed(monkeypatch, console, websocket, params, required):
    monkeypatch.setattr(_console, "HAS_WEBSOCKET", False)
    monkeypatch.setattr(_console, "WEBSOCKET_IMPORT_ERROR", "ImportError: No module named 'websocket'")
    args = dict({"url": "https://a.test", "api_key": "ptlc_a", "server": "x"}, **params)
    extra = {"fresh": {"type": "bool", "default": False}}
    if required:
        with pytest.raises(Exited) as caught:
            build(args, extra, console=console, websocket=websocket)
        assert caught.value.failed and "websocket-client" in caught.value.result["msg"]
    else:
        assert build(args, extra, console=console, websocket=websocket).params["server"] == "x"


def test_console_session_uses_the_origin_option(monkeypatch):
    made = {}

    class Session:
        def __init__(self, credentials, **kwargs):
            made.update(kwargs)

    monkeypatch.setattr(_console, "ConsoleSession", Session)
    base = build({"url": "https://a.test", "api_key": "ptlc_a", "server": "x"}, console=True, websocket=False)
    base.console("x")
    assert made == {"origin": "https://a.test", "validate_certs": True, "ca_path": None, "timeout": 30.0}
    base = build(
        {"url": "https://a.test", "api_key": "ptlc_a", "server": "x", "websocket_origin": "https://o.test"},
        console=True,
        websocket=False,
    )
    base.console("x")
    assert made["origin"] == "https://o.test"
