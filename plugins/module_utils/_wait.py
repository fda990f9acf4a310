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

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, invalid_option


class WaitTimeout(PterodactylError):
    """``poll_until`` ran out of time; ``last`` is the last value read, ``polls`` how many reads were made."""

    def __init__(self, what: str, timeout: float, last: Any, polls: int, option: str) -> None:
        self.last = last
        self.polls = polls
        super().__init__(
            f"{what} did not happen within {timeout:g}s ({polls} checks)",
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
    Errors raised by ``read`` or ``done`` propagate unchanged.
    """
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise invalid_option(f"{option} must be a finite number greater than 0, not {timeout!r}")
    if not (math.isfinite(interval) and interval > 0):
        raise invalid_option(f"the poll interval must be a finite number greater than 0, not {interval!r}")
    deadline = clock() + timeout
    polls = 0
    pause = interval
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
