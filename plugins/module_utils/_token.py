# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bookkeeping of one console session's websocket token. Private to the collection.

The token comes from the panel (``GET …/websocket``), lives a few minutes, and is renewed on the
same socket when Wings sends ``token expiring`` / ``token expired`` or, as a backstop, shortly
before it expires by the local clock (injectable). The token never appears in a repr or an error.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _wings, _wings_errors

STALE_EXPIRY_SECONDS = 1.0  # expiry signals this soon after a refresh refer to the old token
MAX_REFRESHES_WITHOUT_SUCCESS = 2


class WebsocketToken:
    """The websocket token: fetched from the panel, refreshed before expiry or when Wings says so (local clock)."""

    def __init__(self, credentials: Callable[[], dict], clock: Callable[[], float] = time.monotonic) -> None:
        self._credentials = credentials
        self._clock = clock
        self.value: str | None = None
        self.obtained = 0.0
        self.lifetime: float | None = None
        self.fetches = 0  # credentials() calls (first + refreshes + reconnects)
        self.pending = False  # an auth with the newest token awaits "auth success"
        self._unconfirmed = 0  # refreshes since the last "auth success"

    def fetch(self) -> str:
        """New credentials from the panel; returns the socket URL. A PterodactylError propagates."""
        self.fetches += 1
        self.value, socket_url = _wings.credentials_pair(self._credentials())
        self.obtained = self._clock()
        self.lifetime = _wings.token_lifetime(self.value)
        return socket_url

    def due(self) -> bool:
        """Whether to refresh on our own, ahead of expiry (a backstop for a lost ``token expiring``)."""
        return not self.pending and _wings.refresh_due(self.obtained, self.lifetime, self._clock())

    def signal_is_stale(self) -> bool:
        """Whether an expiry signal is about the token just replaced (or being replaced): ignored."""
        return self.pending or self._clock() - self.obtained < STALE_EXPIRY_SECONDS

    def refresh(self, path: str | None = None) -> str:
        """A fresh token for a new ``auth`` on the same socket; refused after repeated rejections."""
        if self._unconfirmed >= MAX_REFRESHES_WITHOUT_SUCCESS:
            raise _wings_errors.token_refused(path)
        self._unconfirmed += 1
        self.fetch()
        self.pending = True
        return self.value

    def confirm(self) -> bool:
        """``auth success`` arrived; True when an auth was pending."""
        was_pending, self.pending, self._unconfirmed = self.pending, False, 0
        return was_pending
