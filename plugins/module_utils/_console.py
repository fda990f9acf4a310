# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A console session on a server's Wings websocket: the real power state, console lines, live stats.

``ConsoleSession`` sends the ``Origin`` header and ``auth`` before anything else, refreshes the
token on the same socket (``_token.WebsocketToken``), and after a drop reconnects in a bounded loop with the
backoff of ``_retry``, then resynchronises with ``send stats`` and closes the console gap from Wings'
history (``_stream``, ``_splice``). The protocol itself (frames, close codes, Wings 1.12's send limits)
is ``_wings``, its failures ``_wings_errors``. Single-threaded: the socket is read only while a method
runs, and what Wings sends in between waits in the socket buffer for the next call. Every wait has a
deadline. The token never appears in an error, a result or ``repr``. Private to the collection.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _stream, _wings, _wings_errors
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import ConsoleError, ConsoleTimeout
from ansible_collections.gameops.pterodactyl.plugins.module_utils._link import (
    HAS_WEBSOCKET,
    POLL_SECONDS,
    WEBSOCKET_IMPORT_ERROR,
    WingsLink,
    websocket,
)

RESYNC_SECONDS = 5.0  # wait_for_state: ask for stats when nothing changed for this long
REPLAY_POLL_SECONDS = 0.1  # longest single read while a replay is under way (its end is timed)
SETTLE_SECONDS = _stream.LEAD_SECONDS + _stream.REPLAY_SECONDS + 1.0  # the longest wait for a replay
STATS_WAIT_SECONDS = 10.0
DRAIN_SECONDS = 1.0  # most time spent reading what is already buffered
# websocket, HAS_WEBSOCKET and the errors are re-exported: callers and tests import them from here.
__all__ = ["HAS_WEBSOCKET", "WEBSOCKET_IMPORT_ERROR", "ConsoleError", "ConsoleSession", "ConsoleTimeout", "websocket"]
EVENTS_KEPT = 500  # other events (backups, installs, daemon messages) kept for waits


class ConsoleSession(WingsLink):
    """A console session on one server: its state, console lines, stats and other events. Use as a
    context manager. The link (connection, token, reconnects, send limits) is ``WingsLink``."""

    def __init__(self, credentials: Callable[[], dict], **link: Any) -> None:
        """``link``: ``WingsLink``'s options (origin, validate_certs, ca_path, timeout, max_reconnects)."""
        if not HAS_WEBSOCKET:
            raise _wings_errors.missing_library(WEBSOCKET_IMPORT_ERROR)
        super().__init__(credentials, **link)
        self._view = _wings.ServerView()
        self._stream = _stream.ConsoleStream()
        self._view.on_lines = lambda lines: self._stream.receive(lines, time.monotonic())
        self._events: collections.deque[tuple[int, str, list[str]]] = collections.deque(maxlen=EVENTS_KEPT)
        self._event_serial = 0

    @property
    def recent_lines(self) -> list[str]:
        """The last console lines seen (up to 30, oldest first, Wings' own messages included), kept at
        all times, also while only a power state is awaited: for "the last lines seen" in a failure."""
        return self._stream.recent_lines()

    def continuity(self) -> dict:
        """``reconnects``, ``gap_closed`` (every line printed while the websocket was down was
        recovered from Wings' history), ``missed_lines`` (0, or None: unknown) and ``console_gaps``
        (one record per reconnect: ``closed``, ``missed_lines``, ``recovered_lines``, ``reason``)."""
        return _stream.summary(self._stream.gaps, self.reconnects)

    def continuity_warning(self) -> str | None:
        """A warning for the task when some gap could not be closed, else None."""
        return _stream.warning(self.continuity())

    def __enter__(self) -> ConsoleSession:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"<ConsoleSession socket={self.socket_url} origin={self.origin} state={self._view.state} "
            f"open={self._ws is not None}>"
        )

    def open(self) -> None:
        """Connect, authenticate and learn the current state (bounded by ``timeout``)."""
        if self._ws is None:
            self._closed = False
            self._connect_and_auth()
            deadline = time.monotonic() + self.timeout
            while self._view.state is None and time.monotonic() < deadline:  # Wings sends "status" after auth
                self._next_event(min(deadline, time.monotonic() + POLL_SECONDS))
            if self._view.state is None:
                self.stats()

    def state(self) -> str:
        """The server's current power state, as Wings reports it right now."""
        self.open()
        self._drain()
        if self._view.state is None:
            self.stats()
        return self._view.state

    def wait_for_state(self, states, timeout: float) -> tuple[str, list[str]]:
        """Wait until the state is one of ``states``: ``(state, states seen)``, else ConsoleTimeout.

        ``seen`` starts with the state at the call and lists each change (repeats folded). When nothing
        changes for a while, ``send stats`` resynchronises (Wings drops ``status`` events for slow readers)."""
        wanted = {states} if isinstance(states, str) else set(states)
        self.open()
        seen = self._view.seen = [self._view.state] if self._view.state else []
        try:
            self._drain()
            last_change = time.monotonic()
            deadline, serial = last_change + timeout, self._view.state_serial
            while self._view.state not in wanted:
                now = time.monotonic()
                if now >= deadline:
                    raise ConsoleTimeout(self._view.state, seen, wanted=wanted, timeout=timeout, path=self.socket_url)
                if now - last_change >= RESYNC_SECONDS:
                    self._send(_wings.EVENT_SEND_STATS)
                    last_change = now
                self._next_event(min(deadline, now + POLL_SECONDS))
                if self._view.state_serial != serial:
                    serial, last_change = self._view.state_serial, time.monotonic()
        finally:
            self._view.seen = None
        return self._view.state, seen

    def run_command(
        self, send: Callable[[], None], *, wait_for=None, max_lines: int | None = None, timeout: float = 10.0
    ) -> dict:
        """Call ``send()`` (the panel's POST /command) and collect the console lines that follow (not those
        already waiting): until ``wait_for`` (a regex) matches a line, ``max_lines``, or ``timeout`` seconds."""
        collector, timed_out = self._lines(send, wait_for, max_lines, timeout)
        return {"output": collector.lines, "matched": collector.matched, "timed_out": timed_out}

    def follow(self, seconds: float, until=None, max_lines: int | None = None) -> dict:
        """Console lines for ``seconds``, or until ``until`` matches a line, or ``max_lines``.
        ``timed_out`` is true when ``until`` was given and did not match in time."""
        collector, ran_out = self._lines(None, until, max_lines, seconds)
        timed_out = ran_out and collector.pattern is not None
        return {"output": collector.lines, "matched": collector.matched, "timed_out": timed_out}

    def history(self) -> list[str]:
        """The recent console lines Wings keeps (``send logs``, up to 150), then the live lines that came
        while they were read, each once and in order. ``[]`` for a server that is not running: Wings
        replays nothing for it."""
        self.open()
        self._drain()
        self._settle()
        if self._view.state == "offline":
            return []
        self._stream.begin(time.monotonic(), reconnect=False)
        self._settle()
        return list(self._stream.history)

    def stats(self) -> dict:
        """Live resource stats (``send stats``); also refreshes the known state."""
        self.open()
        self._drain()
        serial = self._view.stats_serial
        self._send(_wings.EVENT_SEND_STATS)
        waited = min(self.timeout, STATS_WAIT_SECONDS)
        deadline = time.monotonic() + waited
        while self._view.stats_serial == serial:
            if time.monotonic() >= deadline:
                raise _wings_errors.no_answer("answer 'send stats'", waited, _wings_errors.HEALTHY, self.socket_url)
            self._next_event(deadline)
        return dict(self._view.stats)

    def _lines(self, send, pattern, max_lines: int | None, seconds: float) -> tuple[_wings.Collector, bool]:
        """Collect lines after ``send()`` (when given) until done; True when the deadline ended it.

        At the deadline a replay under way is let finish: its lines were printed before it."""
        collector = _wings.Collector(_wings.compile_pattern(pattern), max_lines)
        self.open()
        self._drain()
        self._settle()
        self._stream.collector = collector
        try:
            if send is not None:
                send()
            deadline = time.monotonic() + seconds
            while not collector.done and time.monotonic() < deadline:
                self._next_event(deadline)
            if not collector.done:
                self._settle()
            return collector, not collector.done
        finally:
            self._stream.collector = None

    def _settle(self) -> None:
        """Let a replay under way finish (bounded); its lines are held back until it does."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while self._stream.pending and time.monotonic() < deadline:
            self._next_event(deadline)
        self._stream.finish(time.monotonic())

    def _drain(self) -> None:
        """Handle what is already buffered (state changes, refreshes), briefly and bounded."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            if not self._next_event(deadline, wait=0.01):
                return

    def _next_event(self, deadline: float, wait: float | None = None) -> bool:
        """Read and handle one frame; False when none came before ``deadline`` (or ``wait``)."""
        if self._ws is not None and self._authenticated and self._token.due():
            self._refresh_token()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        wait = min(remaining, POLL_SECONDS if wait is None else wait)
        frame = self._recv(min(wait, REPLAY_POLL_SECONDS) if self._stream.pending else wait)
        if frame is not None:
            self._dispatch(frame)
        if self._stream.step(time.monotonic(), self._view.state):
            self._send(_wings.EVENT_SEND_LOGS)  # once per replay, after the early lines came
        return frame is not None

    # -- the link's hooks --

    def _on_server_event(self, event: str, args: list[str]) -> bool:
        """States, stats and console lines go to the view; other server news is kept for ``wait_for_event``."""
        if self._view.apply(event, args):
            return True
        if event in _wings.KEPT_EVENTS:
            self._event_serial += 1
            self._events.append((self._event_serial, event, list(args)))
            return True
        return False

    def _after_reconnect(self) -> None:
        self._stream.begin(time.monotonic(), reconnect=True)

    # -- other events (backups, installs) --

    def event_mark(self) -> int:
        """A mark to call before an action: ``wait_for_event(since=mark)`` sees only what follows it."""
        self.open()
        self._drain()
        return self._event_serial

    def events(self, name: str, since: int) -> list[list[str]]:
        """The arguments of every ``name`` event received after ``since`` (kept: the last 500 events)."""
        return [args for serial, event, args in self._events if serial > since and event == name]

    def wait_for_event(
        self, name: str, *, since: int, timeout: float, match: Callable[[list[str]], bool] | None = None
    ) -> list[str]:
        """The arguments of the first ``name`` event after ``since`` that ``match`` accepts (any when
        None), waiting up to ``timeout`` seconds; ConsoleTimeout (code WaitTimeout) after that."""
        self.open()
        deadline = time.monotonic() + timeout
        while True:
            for args in self.events(name, since):
                if match is None or match(args):
                    return args
            if time.monotonic() >= deadline:
                raise ConsoleTimeout(self._view.state, [], wanted=[f"the '{name}' event"], timeout=timeout)
            self._next_event(deadline)
