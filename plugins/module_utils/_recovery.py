# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A request that changes a listed resource, found out from the panel's list when its answer is lost.

Subusers, databases and allocations are rows the panel lists in full, so whether a create, an update
or a delete whose answer was lost (a timeout, a dropped connection, a 5xx: ``PterodactylError.uncertain``)
ran is read from the list itself rather than from the activity log: the row is there, changed or gone.
The request is sent again only when the list shows that it did not run, at most once, and the task's
``recovery`` list says what was found and done (``_evidence.recovery_entry``). Private to the collection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._evidence import (
    NOT_RUN,
    RAN,
    UNKNOWN,
    Finding,
    gave_up,
    recovery_entry,
)

# Looks at the list: (the finding, the row that shows the request ran, or None).
Look = Callable[[], "tuple[Finding, Any]"]


def seen(ran: bool, evidence_ran: str, evidence_not: str, row: Any = None) -> tuple[Finding, Any]:
    """What a look returns: RAN with the row that proves it, or NOT_RUN."""
    return (Finding(RAN, evidence_ran), row) if ran else (Finding(NOT_RUN, evidence_not), None)


def _look_safely(look: Look) -> tuple[Finding, Any]:
    try:
        return look()
    except PterodactylError as exc:
        return Finding(UNKNOWN, f"the list could not be read ({exc.message})"), None


def send_checked(
    send: Callable[[], Any],
    look: Look,
    what: str,
    recovery: list,
    *,
    checks: int = 2,
    pause: float = 2.0,
    sleep: Callable[[float], None] | None = None,
) -> Any:
    """``send()``'s answer; after an uncertain failure, the row ``look()`` found (the request ran, it is
    not sent again) or the answer of the one more ``send()`` (the list shows it did not run).

    The list is read ``checks`` times ``pause`` seconds apart while it shows nothing: the panel may
    still be acting on a request our side gave up waiting for. An outcome that cannot be found out
    (the list cannot be read) is raised, unsent, as ``_evidence.gave_up`` says.
    """
    try:
        return send()
    except PterodactylError as exc:
        if not exc.uncertain:
            raise
        error = exc
    finding, row = _look_safely(look)
    for _check in range(checks - 1):
        if finding.outcome != NOT_RUN:
            break
        (sleep or time.sleep)(pause)
        finding, row = _look_safely(look)
    if finding.outcome == RAN:
        recovery.append(recovery_entry(what, error, finding, "not sent again"))
        return row
    if finding.outcome != NOT_RUN:
        raise gave_up(error, what, finding) from None
    recovery.append(recovery_entry(what, error, finding, "sent again"))
    try:
        return send()
    except PterodactylError as again:
        raise gave_up(again, what, finding) from None
