# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_recovery.send_checked: a request whose answer was lost is found out from the list, sent again only
when the list shows it did not run, and never a third time."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._recovery import seen, send_checked

LOST = PterodactylError("POST /x failed: ReadTimeout", code="ReadTimeout", uncertain=True)


def sender(*answers):
    """A send() that raises or returns each of ``answers`` in turn, counting its calls."""
    queue = list(answers)
    sent = []

    def send():
        sent.append(1)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return send, sent


def test_a_certain_error_is_raised_as_it_is():
    refused = PterodactylError("refused", status=400)
    send, sent = sender(refused)
    with pytest.raises(PterodactylError) as caught:
        send_checked(send, lambda: seen(True, "", ""), "add", [])
    assert caught.value is refused and len(sent) == 1


def test_a_list_that_shows_nothing_twice_gets_one_resend():
    send, sent = sender(LOST, {"id": 1})
    looks, pauses, recovery = [], [], []

    def look():
        looks.append(1)
        return seen(False, "there", "not there")

    assert send_checked(send, look, "add", recovery, sleep=pauses.append) == {"id": 1}
    assert (len(sent), len(looks), pauses) == (2, 2, [2.0])
    assert recovery == [
        {"request": "add", "error": LOST.message, "outcome": "not run", "evidence": "not there", "action": "sent again"}
    ]


def test_a_second_failure_and_an_unreadable_list_give_up_unsent():
    send, sent = sender(LOST, LOST)
    with pytest.raises(PterodactylError, match="did not run: it was sent twice"):
        send_checked(send, lambda: seen(False, "", "not there"), "add", [], sleep=lambda s: None)
    assert len(sent) == 2

    def unreadable():
        raise PterodactylError("GET failed: HTTP 403", status=403)

    send, sent = sender(LOST)
    with pytest.raises(PterodactylError, match="may or may not have run") as caught:
        send_checked(send, unreadable, "add", [])
    assert len(sent) == 1 and caught.value.uncertain


def test_retold_keeps_the_fields():
    error = PterodactylError("HTTP 500", status=500, code="SomeException", detail="x", uncertain=True)
    again = error.retold(hint="look here", uncertain=False)
    assert (again.status, again.code, again.detail, again.uncertain) == (500, "SomeException", "x", False)
    assert str(again) == "HTTP 500. look here"
