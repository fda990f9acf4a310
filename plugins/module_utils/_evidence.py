# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding out whether a request that failed uncertainly was acted on. Private to the collection.

A power signal or a console command whose request timed out, lost its connection after it was
sent, or got a 5xx may or may not have run. The panel writes an activity entry
(``server:power.<signal>``, ``server:console.command`` with the command) only after Wings accepted
the action, so the activity log is the panel's own record of it; the websocket's live state is
the other witness (``server_power`` reads it itself). The decision and what it rests on go into
the task's result as a ``recovery`` entry, so nothing is guessed silently.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import NamedTuple

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

# Activity timestamps and the Date header both have whole seconds: an entry up to this long before
# the send, on the panel's clock, may still be the request's own.
CLOCK_TOLERANCE_SECONDS = 2.0
ENTRIES_READ = 25  # newest entries of the event looked at
RAN, NOT_RUN, UNKNOWN = "ran", "not run", "unknown"


class Finding(NamedTuple):
    outcome: str  # RAN, NOT_RUN or UNKNOWN
    evidence: str  # what the decision rests on, in words


def entry_time(entry: dict) -> float | None:
    """An activity entry's timestamp as epoch seconds, None when it has none that parses."""
    try:
        when = datetime.datetime.fromisoformat(str(entry.get("timestamp")).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017 (3.10 controllers)
    return when.timestamp()


def matching_entries(entries: list[dict], since: float, matches: Callable[[dict], bool]) -> list[dict]:
    """The entries at or after ``since`` (panel clock, with the tolerance) that ``matches`` accepts."""
    found = []
    for entry in entries:
        stamp = entry_time(entry)
        if stamp is not None and stamp >= since - CLOCK_TOLERANCE_SECONDS and matches(entry):
            found.append(entry)
    return found


def from_activity(
    client,
    server: str,
    event: str,
    since: float,
    *,
    matches: Callable[[dict], bool] = lambda entry: True,
    known: int = 0,
) -> Finding:
    """Whether the activity log shows one more ``event`` since ``since`` than the ``known`` ones already explained.

    ``known`` counts the task's own earlier successful requests that the same entries may record
    (the same command sent twice in a row). A key that may not read the activity log gives UNKNOWN.
    """
    try:
        entries = client.list_activity(server, event=event, sort="-timestamp", limit=ENTRIES_READ)
    except PterodactylError as exc:
        reason = "the key's user lacks activity.read" if exc.status == 403 else f"reading it failed: {exc.message}"
        return Finding(UNKNOWN, f"the activity log could not be read ({reason})")
    exact = [entry for entry in entries if entry.get("event") == event]
    found = matching_entries(exact, since, matches)
    if len(found) > known:
        newest = found[0].get("timestamp")
        return Finding(RAN, f"the panel's activity log has the {event} entry of {newest}")
    return Finding(NOT_RUN, f"the panel's activity log has no {event} entry since the request was sent")


def wait_for_activity(
    client, server: str, event: str, since: float, *, checks: int = 2, pause: float = 2.0, sleep=time.sleep, **kwargs
) -> Finding:
    """``from_activity``, read again after ``pause`` while it finds nothing: the panel writes the entry
    only once Wings has answered, which can be after our request gave up waiting."""
    finding = from_activity(client, server, event, since, **kwargs)
    for _check in range(checks - 1):
        if finding.outcome != NOT_RUN:
            break
        sleep(pause)
        finding = from_activity(client, server, event, since, **kwargs)
    return finding


def gave_up(error: PterodactylError, what: str, finding: Finding) -> PterodactylError:
    """The failure when the one resend failed too (or the outcome could not be found out)."""
    if finding.outcome == NOT_RUN:
        message = f"{what} did not run: it was sent twice and failed both times ({error.message}); {finding.evidence}"
        hint = "it was not sent a third time; check the panel and the node, then run the task again"
    else:
        message = f"{what} may or may not have run: {error.message}; {finding.evidence}"
        hint = "it was not sent again, so that it cannot run twice; check the server's console or activity log"
    return error.retold(message, hint=hint, uncertain=finding.outcome != NOT_RUN)


def recovery_entry(request: str, error: PterodactylError, finding: Finding, action: str) -> dict:
    """One ``recovery`` item of a result: the request, how it failed, what was found and done."""
    return {
        "request": request,
        "error": error.message,
        "outcome": finding.outcome,
        "evidence": finding.evidence,
        "action": action,
    }
