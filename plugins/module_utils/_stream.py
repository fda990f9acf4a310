# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The console lines of one session, in order and once, across reconnects.

Every ``console output`` line goes through :class:`ConsoleStream`: it keeps the last lines seen
(``recent``, for failure reports; ``seen``, the tail a replay is spliced on) and hands lines to the
active collector. While a replay of Wings' history is under way (after a reconnect, or for
``history``), lines are held back and released by :func:`_splice.splice`. The session drives it
with :meth:`ConsoleStream.step` and sends ``send logs`` when told. No socket; the clock is passed in.
Private to the collection.
"""

from __future__ import annotations

import collections

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _splice
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wings import Collector, is_daemon_line

RECENT_LINES = 30  # kept at all times, for "the last console lines seen" in a failure
HISTORY_LINES = 150  # what Wings replays (system.websocket_log_count): the tail a replay can overlap
LEAD_LINES = 3  # live lines to wait for before asking for the replay: their copies end it
LEAD_SECONDS = 0.5  # ... or this long (a quiet server)
RUN_GRACE_SECONDS = 0.2  # after the early lines' copies: the replay's last lines follow at once
QUIET_SECONDS = 0.5  # without early lines: the replay is over when no line came for this long
FIRST_LINE_SECONDS = 2.0  # without early lines: no line at all this long, the replay is empty
REPLAY_SECONDS = 5.0  # the longest a replay is waited for after the request

REASON_CLOSED = "the replay of Wings' history overlapped the last lines seen"
REASON_NO_OVERLAP = (
    "the last lines seen are not in Wings' history: more lines were printed than it keeps (150), "
    "or the server restarted"
)
REASON_OFFLINE = "the server is not running: Wings replays no history for it"
REASON_NOTHING_SEEN = "no console line had been seen before the drop, so nothing proves where the gap starts"
REASON_CUT = "the replay of Wings' history did not arrive in time"


class _Replay:
    """One replay under way: the lines that came before the request (early) and after it."""

    def __init__(self, now: float, *, record_gap: bool, for_history: bool) -> None:
        self.record_gap = record_gap
        self.for_history = for_history
        self.lead_until = now + LEAD_SECONDS
        self.requested_at: float | None = None
        self.early: list[_splice.Item] = []
        self.items: list[_splice.Item] = []
        self.last_line_at = now
        self.end_found_at: float | None = None
        self.maybe_end = False

    def add(self, lines: list[str], now: float) -> None:
        target = self.items if self.requested_at is not None else self.early
        target.extend(_splice.Item(line, is_daemon_line(line)) for line in lines)
        self.last_line_at = now
        if target is self.items and self.early_texts and self.early_texts[-1] in lines:
            self.maybe_end = True  # the run of early lines can only end with its last line

    @property
    def early_texts(self) -> list[str]:
        return [item.text for item in self.early if not item.daemon]

    def wants_request(self, now: float) -> bool:
        """Time to ask for the replay: enough early lines, or the lead time is over."""
        return self.requested_at is None and (len(self.early_texts) >= LEAD_LINES or now >= self.lead_until)

    def complete(self, now: float) -> bool:
        """Whether the whole replay has come (see the module docstring)."""
        if self.requested_at is None:
            return False
        if now - self.requested_at >= REPLAY_SECONDS:
            return True
        if self.early_texts:
            return self._end_seen(now) and now - self.end_found_at >= RUN_GRACE_SECONDS
        if not self.items:
            return now - self.requested_at >= FIRST_LINE_SECONDS
        return now - self.last_line_at >= QUIET_SECONDS

    def _end_seen(self, now: float) -> bool:
        if self.end_found_at is None and self.maybe_end:
            self.maybe_end = False
            texts = [item.text for item in self.items if not item.daemon]
            if _splice.find_run(self.early_texts, texts) is not None:
                self.end_found_at = now
        return self.end_found_at is not None


class ConsoleStream:
    """Console lines in, each delivered once and in order to ``recent``, ``seen`` and the collector."""

    def __init__(self) -> None:
        self.recent: collections.deque[str] = collections.deque(maxlen=RECENT_LINES)
        self.seen: collections.deque[str] = collections.deque(maxlen=HISTORY_LINES)
        self.collector: Collector | None = None
        self.gaps: list[dict] = []
        self.history: list[str] = []  # the last replay (for ``history``) with the live lines after it
        self._replay: _Replay | None = None

    @property
    def pending(self) -> bool:
        return self._replay is not None

    def recent_lines(self) -> list[str]:
        """``recent``, with the lines a replay under way still holds back (spliced as far as they came)."""
        if self._replay is None:
            return list(self.recent)
        result = _splice.splice(list(self.seen), self._replay.early, self._replay.items)
        return (list(self.recent) + result.lines)[-RECENT_LINES:]

    def receive(self, lines: list[str], now: float) -> None:
        """Lines of one ``console output`` event."""
        if self._replay is not None:
            self._replay.add(lines, now)
        else:
            self._deliver(lines)

    def begin(self, now: float, *, reconnect: bool) -> None:
        """Hold lines back from now on: a new socket (``reconnect``) or a ``history`` read.

        A replay still under way is dropped: its lines come again in the next one."""
        previous = self._replay
        for_history = (previous is not None and previous.for_history) or not reconnect
        record_gap = reconnect or (previous is not None and previous.record_gap)
        self._replay = _Replay(now, record_gap=record_gap, for_history=for_history)

    def step(self, now: float, state: str | None) -> bool:
        """Advance the replay: True when the session must send ``send logs`` now (done once)."""
        replay = self._replay
        if replay is None:
            return False
        if replay.wants_request(now):
            if state == "offline":
                self.finish(now, reason=REASON_OFFLINE)
                return False
            replay.requested_at = now
            return True
        if replay.complete(now):
            self.finish(now)
        return False

    def finish(self, now: float, reason: str | None = None) -> None:
        """Splice what came and deliver it; ``reason`` says why no replay can close the gap."""
        replay, self._replay = self._replay, None
        if replay is None:
            return
        result = _splice.splice(list(self.seen), replay.early, replay.items)
        if reason is None and replay.requested_at is not None and not replay.complete(now):
            reason = REASON_CUT
        known = bool(self.seen)
        if replay.record_gap:
            self.gaps.append(gap_record(result, reason, known))
        if replay.for_history:
            self.history = result.replay + result.fresh
        self._deliver(result.gap, collect=known)  # without a known tail, the replay may be old lines
        self._deliver(result.live)

    def _deliver(self, lines: list[str], collect: bool = True) -> None:
        for line in lines:
            self.recent.append(line)
            if not is_daemon_line(line):
                self.seen.append(line)
        if collect and self.collector is not None:
            self.collector.add(lines)


def gap_record(result: _splice.Splice, reason: str | None, known: bool) -> dict:
    """What one reconnect did to the console: ``closed`` (proven: nothing missed), ``missed_lines``
    (0 when closed, None when unknown), ``recovered_lines`` (from the replay), ``reason``."""
    if reason is None and not known:
        reason = REASON_NOTHING_SEEN
    if reason is None and not result.overlap:
        reason = REASON_NO_OVERLAP
    closed = reason is None
    return {
        "closed": closed,
        "missed_lines": 0 if closed else None,
        "recovered_lines": len(result.gap) if known else 0,
        "reason": reason or REASON_CLOSED,
    }


def summary(gaps: list[dict], reconnects: int) -> dict:
    """The session's continuity for a module's result: ``reconnects``, ``gap_closed`` (every line
    printed while the websocket was down was recovered), ``missed_lines`` (0, or None: unknown),
    ``console_gaps`` (one record per reconnect)."""
    closed = all(gap["closed"] for gap in gaps)
    return {
        "reconnects": reconnects,
        "gap_closed": closed,
        "missed_lines": 0 if closed else None,
        "console_gaps": [dict(gap) for gap in gaps],
    }


def warning(summary_: dict) -> str | None:
    """The module warning for gaps that could not be closed, else None."""
    open_gaps = [gap for gap in summary_["console_gaps"] if not gap["closed"]]
    if not open_gaps:
        return None
    reasons = "; ".join(sorted({gap["reason"] for gap in open_gaps}))
    return (
        f"the Wings websocket was lost {summary_['reconnects']} time(s) and {len(open_gaps)} gap(s) could not "
        f"be closed from Wings' history ({reasons}): an unknown number of console lines may be missing"
    )
