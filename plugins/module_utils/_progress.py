# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress of a long read (pages of servers, their resources), told every few seconds.

A read of thousands of servers, or one that waits out rate limits, can take minutes; a user
should not stare at a silent terminal. :class:`Progress` counts what is done (from several
threads) and hands a line to ``report`` at most every ``every`` seconds, and once at the end if
it reported anything. The clock is injectable. Private to the collection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

REPORT_EVERY_SECONDS = 3.0


class Progress:
    """``done`` of ``total`` units of ``what``, reported through ``report(line)`` every ``every`` seconds."""

    def __init__(
        self,
        what: str,
        report: Callable[[str], None],
        *,
        total: int | None = None,
        waited: Callable[[], float] = lambda: 0.0,
        every: float = REPORT_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.total = total
        self.done = 0
        self.reports = 0
        self._report = report
        self._waited = waited  # seconds spent waiting out rate limits so far
        self._every = every
        self._clock = clock
        self._started = clock()
        self._last = self._started
        self._lock = threading.Lock()

    def add(self, count: int = 1, total: int | None = None) -> None:
        """``count`` more units are done (``total``, when now known); report if it is time."""
        with self._lock:
            self.done += count
            if total is not None:
                self.total = total
            now = self._clock()
            if now - self._last < self._every:
                return
            self._last = now
            line = self._line(now)
            self.reports += 1
        self._report(line)

    def page(self, items: int, total: int | None) -> None:
        """A page of a list arrived with ``items`` items; ``total`` is the list's size when known."""
        self.add(items, total)

    def finish(self) -> None:
        """The final line, when a progress line was reported before (a short read stays silent)."""
        if self.reports:
            self._report(self._line(self._clock()) + ", done")

    def _line(self, now: float) -> str:
        of_total = f" of {self.total}" if self.total is not None else ""
        line = f"{self.done}{of_total} {self.what} after {now - self._started:.0f} s"
        waited = self._waited()
        if waited >= 1:
            line += f" ({waited:.0f} s of it waiting out the panel's rate limit)"
        return line
