# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy: capped exponential backoff with jitter, and how long a panel asks to wait.

Used for HTTP retries, rate-limit fallbacks and websocket reconnects alike. Private to the
collection.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable
from datetime import timezone

DEFAULT_BASE = 0.5
DEFAULT_MAXIMUM = 8.0


class Backoff:
    """Delays for attempt 1, 2, 3...: a random time in [ceiling / 2, ceiling], where the ceiling
    doubles from ``base`` and is capped at ``maximum`` (raised to ``base`` when below it).
    ``uniform`` is injectable for tests."""

    def __init__(
        self,
        base: float = DEFAULT_BASE,
        maximum: float = DEFAULT_MAXIMUM,
        *,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        if not (math.isfinite(base) and base > 0):
            raise ValueError(f"backoff base must be a finite number > 0, not {base!r}")
        if not math.isfinite(maximum):
            raise ValueError(f"backoff maximum must be a finite number, not {maximum!r}")
        self.base = float(base)
        self.maximum = max(self.base, float(maximum))
        self._uniform = uniform

    def ceiling(self, attempt: int) -> float:
        """The longest delay before attempt ``attempt`` (counting from 1)."""
        exponent = min(max(attempt, 1) - 1, 60)
        return min(self.maximum, self.base * (2**exponent))

    def delay(self, attempt: int) -> float:
        """The delay before attempt ``attempt`` (counting from 1)."""
        ceiling = self.ceiling(attempt)
        return self._uniform(ceiling / 2, ceiling)

    def __repr__(self) -> str:
        return f"Backoff(base={self.base:g}, maximum={self.maximum:g})"


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date), None when there is none.

    ``nan`` / ``inf`` are not a delay; a date without a zone (``-0000``) is GMT, as HTTP dates are.
    """
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)  # noqa: UP017 (3.10 controllers)
    return max(0.0, when.timestamp() - now)


def reset_seconds(value: str | None, now: float) -> float | None:
    """Seconds until the epoch timestamp of an ``X-RateLimit-Reset`` header, None when it is not one."""
    try:
        reset = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return max(0.0, reset - now)
