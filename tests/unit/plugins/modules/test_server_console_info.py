# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_console_info: option checks, the history part of the result, the read over fakes."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import check_numbers
from ansible_collections.gameops.pterodactyl.plugins.modules import server_console_info as sci

PARAMS = {"server": "1a7ce997", "lines": 150, "follow": 0.0, "until": None, "max_lines": None}


@pytest.mark.parametrize(
    "values, problem",
    [
        ({}, None),
        ({"until": "Done"}, "until needs follow"),
        ({"until": "Done", "follow": 5.0}, None),
    ],
)
def test_options_problem(values, problem):
    found = sci.options_problem(dict(PARAMS, **values))
    assert found == problem if problem is None else found.startswith(problem)


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, None),
        ({"lines": 151}, "lines must be a whole number from 0 to 150, not 151"),
        ({"lines": -1}, "lines must be a whole number from 0 to 150, not -1"),
        ({"follow": -1.0}, "follow must be a finite number of 0 or more, not -1"),
        ({"follow": float("nan")}, "follow must be a finite number of 0 or more, not nan"),
        ({"max_lines": 0}, "max_lines must be a whole number greater than 0, not 0"),
    ],
)
def test_number_rules(values, message):
    if message is None:
        assert check_numbers(dict(PARAMS, **values), sci.NUMBERS) is None
    else:
        with pytest.raises(PterodactylError) as info:
            check_numbers(dict(PARAMS, **values), sci.NUMBERS)
        assert str(info.value) == message and info.value.code == "InvalidOption"


def test_history_part():
    assert sci.history_part(["a", "b", "c"], 2, "running") == {"history": ["b", "c"]}
    assert sci.history_part([], 5, "offline") == {"history": [], "msg": sci.OFFLINE_MESSAGE}
    assert sci.history_part([], 5, "running") == {"history": []}


def test_read_console_history_and_follow(fakes):
    console = fakes.Console(
        "running",
        history=["a", "b"],
        follow=lambda seconds, until, max_lines: {"output": ["c"], "matched": True, "timed_out": False},
    )
    base = fakes.Base(dict(PARAMS, lines=1, follow=2.0, until="c"), console=console)
    result = sci.read_console(base)
    assert result == {
        "changed": False,
        "state": "running",
        "history": ["b"],
        "output": ["c"],
        "matched": True,
        "timed_out": False,
        **fakes.NO_GAPS,
    }
    assert base.warnings == []


def test_read_console_returns_the_gaps_and_warns_when_one_stays_open(fakes):
    gaps = {"reconnects": 1, "gap_closed": False, "missed_lines": None, "console_gaps": [{"closed": False}]}
    console = fakes.Console(
        "running",
        follow=lambda seconds, until, max_lines: {"output": ["c"], "matched": False, "timed_out": False},
        continuity=gaps,
        continuity_warning="an unknown number of console lines may be missing",
    )
    base = fakes.Base(dict(PARAMS, lines=0, follow=2.0), console=console)
    result = sci.read_console(base)
    assert result["gap_closed"] is False and result["missed_lines"] is None and result["reconnects"] == 1
    assert base.warnings == ["an unknown number of console lines may be missing"]


def test_read_console_no_history_asked(fakes):
    base = fakes.Base(dict(PARAMS, lines=0), console=fakes.Console("offline"))
    result = sci.read_console(base)
    assert result["history"] == [] and "msg" not in result and result["state"] == "offline"
