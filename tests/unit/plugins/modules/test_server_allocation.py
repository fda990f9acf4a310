# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_allocation over a fake panel: found by notes or address, assigned then noted, made primary, the
panel's refusals before sending (limit, no limit set, the primary on Pterodactyl but not Pelican), a
lost assign answer found in the list, a notes failure after an assignment explained."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _allocations
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_allocation as sa

GAME = {"id": 1, "ip": "10.0.0.5", "ip_alias": None, "port": 25565, "notes": "game", "is_default": True}
QUERY = {"id": 2, "ip": "10.0.0.5", "ip_alias": None, "port": 25575, "notes": "query", "is_default": False}


class Panel:
    def __init__(self, allocations=(GAME, QUERY), limit=4, pelican=False, fail=None):
        self.allocations = [dict(a) for a in allocations]
        self.limit, self.pelican = limit, pelican
        self.fail = dict(fail or {})  # call -> (error, ran first)
        self.calls = []

    def _run(self, name, action):
        error, ran = self.fail.pop(name, (None, False))
        if error is not None and not ran:
            raise error
        answer = action()
        if error is not None:
            raise error
        return answer

    def list_allocations(self, server):
        self.calls.append(("list",))
        return [dict(a) for a in self.allocations]

    def get_server(self, server, include=None):
        self.calls.append(("get_server",))
        limits = {"memory": 1024, "oom_killer": True} if self.pelican else {"memory": 1024}
        return {"limits": limits, "feature_limits": {"allocations": self.limit}}, {}

    def assign_allocation(self, server):
        self.calls.append(("assign",))

        def assign():
            new = {"id": 10 + len(self.calls), "ip": "10.0.0.5", "ip_alias": None, "port": 26000, "notes": None}
            self.allocations.append({**new, "is_default": False})
            return {**new, "is_default": False}

        return self._run("assign", assign)

    def _row(self, allocation):
        return next(a for a in self.allocations if a["id"] == int(allocation))

    def set_allocation_notes(self, server, allocation, notes):
        self.calls.append(("notes", int(allocation), notes))

        def write():
            self._row(allocation)["notes"] = notes
            return dict(self._row(allocation))

        return self._run("notes", write)

    def set_primary_allocation(self, server, allocation):
        self.calls.append(("primary", int(allocation)))
        for row in self.allocations:
            row["is_default"] = row["id"] == int(allocation)
        return dict(self._row(allocation))

    def release_allocation(self, server, allocation):
        self.calls.append(("release", int(allocation)))
        self.allocations = [a for a in self.allocations if a["id"] != int(allocation)]

    def sent(self):
        return [call for call in self.calls if call[0] not in ("list", "get_server")]


def run(fakes, panel, check_mode=False, diff_mode=False, **params):
    params = {"server": "1a7ce997", "api_key": "ptlc_x", "notes": None, "port": None, "ip": None, **params}
    params = {"state": "present", "primary": None, **params}
    base = fakes.Base(params, client=panel, check_mode=check_mode, diff_mode=diff_mode)
    return sa.AllocationTask(base).run(), base


def test_found_by_notes_is_one_request(fakes):
    panel = Panel()
    result, _base = run(fakes, panel, notes="query")
    assert panel.calls == [("list",)] and result["changed"] is False
    assert (result["ip"], result["port"], result["notes"]) == ("10.0.0.5", 25575, "query")


def test_assign_then_notes_then_primary(fakes):
    panel = Panel()
    result, _base = run(fakes, panel, notes="dynmap", primary=True, diff_mode=True)
    assert [call[0] for call in panel.sent()] == ["assign", "notes", "primary"]
    assert result["actions"] == ["assign", "notes", "primary"]
    assert result["allocation"] == {**result["allocation"], "port": 26000, "notes": "dynmap", "is_default": True}
    assert result["diff"]["after"].startswith("a new allocation (primary) notes='dynmap'\n")


def test_check_mode_predicts_a_new_allocation_and_sends_nothing(fakes):
    panel = Panel()
    result, _base = run(fakes, panel, notes="dynmap", check_mode=True)
    assert panel.sent() == [] and result["changed"] and result["port"] is None and result["notes"] == "dynmap"


@pytest.mark.parametrize(
    "limit, count, refused",
    [(None, 2, True), (0, 2, True), (2, 2, True), (3, 2, False)],
)
def test_the_limit_before_assigning(fakes, limit, count, refused):
    panel = Panel(limit=limit)
    if refused:
        with pytest.raises(PterodactylError) as caught:
            run(fakes, panel, notes="dynmap")
        assert caught.value.code == "FeatureLimitReached" and panel.sent() == []
    else:
        run(fakes, panel, notes="dynmap")
        assert panel.sent()[0] == ("assign",)


def test_by_port_the_notes_are_written_and_an_unheld_port_is_refused(fakes):
    panel = Panel()
    result, _base = run(fakes, panel, port=25575, ip="10.0.0.5", notes="rcon")
    assert panel.sent() == [("notes", 2, "rcon")] and result["notes"] == "rcon"
    with pytest.raises(PterodactylError, match="cannot choose a port"):
        run(fakes, panel, port=30000, notes="x")


def test_release_refusals_before_sending(fakes):
    with pytest.raises(PterodactylError) as caught:
        run(fakes, Panel(), notes="game", state="absent")
    assert caught.value.code == "PrimaryAllocation" and "primary: true" in str(caught.value)
    with pytest.raises(PterodactylError) as caught:
        run(fakes, Panel(limit=None), notes="query", state="absent")
    assert caught.value.code == "AllocationLimitUnset"
    with pytest.raises(PterodactylError, match="a server always has one"):
        run(fakes, Panel(), notes="game", primary=False)


def test_pelican_releases_the_primary_with_a_warning(fakes):
    panel = Panel(pelican=True)
    result, base = run(fakes, panel, notes="game", state="absent")
    assert panel.sent() == [("release", 1)] and result["released"][0]["port"] == 25565
    assert "Pelican allows it" in base.warnings[0]
    assert _allocations.pelican("pacc_x", {}) and not _allocations.pelican("ptlc_x", {"limits": {}})


def test_a_lost_assign_answer_is_found_as_the_new_allocation(fakes):
    lost = PterodactylError("POST failed: HTTP 502", status=502, uncertain=True)
    panel = Panel(fail={"assign": (lost, True)})
    result, _base = run(fakes, panel, notes="dynmap")
    assert [call[0] for call in panel.sent()] == ["assign", "notes"] and result["notes"] == "dynmap"
    assert result["recovery"][0]["outcome"] == "ran"


def test_a_notes_failure_after_an_assignment_says_what_was_assigned(fakes):
    refused = PterodactylError("POST failed: HTTP 403", status=403, code="AccessDeniedHttpException")
    panel = Panel(fail={"notes": (refused, False)})
    with pytest.raises(PterodactylError) as caught:
        run(fakes, panel, notes="dynmap")
    assert str(caught.value).startswith("the panel assigned 10.0.0.5:26000, but then POST failed: HTTP 403")
    assert "port 26000" in str(caught.value) and caught.value.result["port"] == 26000


def test_matching_prefers_the_primary_then_the_lowest_id():
    rows = [dict(QUERY, id=7, notes="x"), dict(QUERY, id=3, notes="x"), dict(GAME, notes="x")]
    assert [a["id"] for a in _allocations.matching(rows, "x", None, None)] == [1, 3, 7]
    assert _allocations.matching(rows, None, "10.0.0.9", 25575) == []
