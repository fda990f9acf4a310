# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting over HTTP: poll a read until a condition holds or a deadline passes.

For waits that have no websocket event (an install, a backup when the key may not open the
console). The clock and the sleep are injectable, so tests run without waiting. Private to the
collection.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, excerpt
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import number_option


class WaitTimeout(PterodactylError):
    """``poll_until`` ran out of time; ``last`` is the last value read, ``polls`` how many reads were made."""

    def __init__(self, what: str, timeout: float, last: Any, polls: int, option: str) -> None:
        self.last = last
        self.polls = polls
        self.option = option
        super().__init__(
            f"{what} did not happen within {timeout:g}s ({polls} checks, the last read {excerpt(repr(last), 120)})",
            code="WaitTimeout",
            detail=what,
            hint=f"raise {option}, or look at the server's console or activity log for what holds it up",
        )


def poll_until(
    read: Callable[[], Any],
    done: Callable[[Any], bool],
    *,
    timeout: float,
    interval: float = 2.0,
    max_interval: float = 10.0,
    what: str = "the wait",
    option: str = "wait_timeout",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Any, int]:
    """Call ``read()`` until ``done(value)`` is true: ``(value, reads)``; ``WaitTimeout`` at the deadline.

    The first read is immediate; the interval grows by half each time up to ``max_interval``,
    and the last sleep is cut so that the final read happens at the deadline, not after it.
    Errors raised by ``read`` or ``done`` propagate unchanged. A ``timeout``, ``interval`` or
    ``max_interval`` that is not a finite number > 0 is an InvalidOption error (the timeout's
    names ``option``), raised before the first read.
    """
    _check_seconds(timeout, option)
    _check_seconds(interval, "the poll interval")
    _check_seconds(max_interval, "the longest poll interval")
    deadline = clock() + timeout
    polls = 0
    pause = min(interval, max_interval)
    while True:
        value = read()
        polls += 1
        if done(value):
            return value, polls
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(what, timeout, value, polls, option)
        sleep(min(pause, remaining))
        pause = min(max_interval, pause * 1.5)


def _check_seconds(value: Any, name: str) -> None:
    """InvalidOption unless ``value`` is a finite number of seconds > 0 (a bool or a string is not a number here)."""
    if isinstance(value, str):
        value = math.nan
    number_option(value, name, positive=True)
