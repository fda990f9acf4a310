# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fakes for the modules' tests: a base, a client and a console session, without AnsibleModule.

A module's task takes the base (``params``, ``check_mode``, ``client``, ``server_id()``,
``console()``, ``fail()``); the fakes record what the task asked of them.
"""

from __future__ import annotations

import contextlib
import types

import pytest

PANEL_NOW = 1_800_000_000.0  # 2027-01-15T08:00:00+00:00, the fake panel's "now"


class Failed(Exception):
    """What FakeBase.fail raises (the real one ends the task with fail_json)."""

    def __init__(self, msg: str, result: dict) -> None:
        super().__init__(msg)
        self.msg = msg
        self.result = result


class FakeClient:
    def __init__(self, server: dict | None = None, meta: dict | None = None, **answers) -> None:
        self.server = server or {"identifier": "1a7ce997", "name": "lobby", "limits": {}}
        self.meta = meta if meta is not None else {"user_permissions": ["*"]}
        self.answers = answers
        self.calls: list[tuple] = []

    def _answer(self, name: str, *args, **kwargs):
        self.calls.append((name, args, kwargs))
        answer = self.answers.get(name)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(*args, **kwargs)
        return answer

    def panel_time(self) -> float:
        """The panel's clock: fixed, so that tests can write activity timestamps around it."""
        return PANEL_NOW

    def get_server(self, server_id, include=None):
        self.calls.append(("get_server", (server_id,), {"include": include}))
        return dict(self.server), dict(self.meta)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._answer(name, *args, **kwargs)


NO_GAPS = {"reconnects": 0, "gap_closed": True, "missed_lines": 0, "console_gaps": []}


class FakeConsole:
    """A session whose state follows a script: each wait_for_state takes the next scripted answer.

    ``continuity`` and ``continuity_warning`` answer "no reconnect" unless told otherwise."""

    def __init__(self, state: str = "offline", waits: list | None = None, **answers) -> None:
        self._state = state
        self.waits = list(waits or [])
        answers.setdefault("continuity", dict(NO_GAPS))
        answers.setdefault("continuity_warning", None)
        self.answers = answers
        self.asked: list = []

    def state(self) -> str:
        return self._state

    @property
    def recent_lines(self) -> list[str]:
        """The console lines the session saw last (a scripted answer, none by default)."""
        return list(self.answers.get("recent_lines", []))

    def wait_for_state(self, states, timeout):
        self.asked.append((frozenset(states), timeout))
        answer = self.waits.pop(0)
        if isinstance(answer, Exception):
            raise answer
        state, seen = answer
        self._state = state
        return state, seen

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        answer = self.answers[name]
        return answer if callable(answer) else (lambda *args, **kwargs: answer)


class FakeBase:
    def __init__(
        self,
        params: dict,
        client: FakeClient | None = None,
        console: FakeConsole | None = None,
        check_mode: bool = False,
        diff_mode: bool = False,
    ) -> None:
        self.params = params
        self.client = client or FakeClient()
        self._console = console
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.opened: list[str] = []
        self.warnings: list[str] = []
        self.module = types.SimpleNamespace(warn=self.warnings.append)  # AnsibleModule.warn

    def server_id(self) -> str:
        return self.params.get("server") or "1a7ce997"

    @contextlib.contextmanager
    def console(self, server_id: str):
        self.opened.append(server_id)
        yield self._console

    def fail(self, msg: str, **result):
        raise Failed(msg, result)


@pytest.fixture
def fakes():
    """The fake classes, as one namespace."""

    class Fakes:
        Base = FakeBase
        Client = FakeClient
        Console = FakeConsole
        Failed = Failed
        NO_GAPS = NO_GAPS
        PANEL_NOW = PANEL_NOW

    return Fakes
