# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_cron: a schedule's cron fields checked as dragonmantank/cron-expression's validate() checks them
(both panels), each refusal naming the field and the value."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._cron import check_cron, check_field
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

VALID = {
    "minute": ["*", "0", "59", "*/15", "1-30/5", "0,30", "0-10,20-30/5", "*/90"],
    "hour": ["0", "23", "*/6", "0-23", "4,16"],
    "day_of_month": ["1", "31", "L", "15W", "LW", "?", "1,15", "1-7"],
    "month": ["1", "12", "JAN", "jul", "jan-mar", "JUL,AUG", "*/3"],
    "day_of_week": ["0", "7", "MON-FRI", "sat,sun", "wed", "5#3", "fri#5", "5L", "?", "5-0", "7-2", "1-5/2"],
}
INVALID = {
    "minute": ["60", "-1", "5/10", "*/0", "*/x", "30-10", "1-2-3", "*-5", "1.5", "a", "?", "L", "1 2", "1/2/3"],
    "hour": ["24", "12-", "-12"],
    "day_of_month": ["0", "32", "1,L", "15W,1", "W", "31W,1"],
    "month": ["0", "13", "JANUARY", "jan-dec-1", "DEC-JAN"],
    "day_of_week": ["8", "5#6", "5#0", "L", "FRI-MON", "5W", "MON#2#3"],
}


@pytest.mark.parametrize("field, value", [(field, value) for field, values in VALID.items() for value in values])
def test_what_the_panels_cron_library_takes(field, value):
    check_field(field, value)


@pytest.mark.parametrize("field, value", [(field, value) for field, values in INVALID.items() for value in values])
def test_what_it_refuses_is_named_with_the_field_and_the_value(field, value):
    with pytest.raises(PterodactylError) as caught:
        check_field(field, value)
    assert caught.value.code == "InvalidOption"
    assert f"cron.{field} {value!r}" in str(caught.value) and field in caught.value.hint


def test_the_five_fields_are_sent_as_strings_a_missing_one_as_a_star():
    assert check_cron({"minute": 0, "hour": " 4 "}) == {
        "minute": "0",
        "hour": "4",
        "day_of_month": "*",
        "month": "*",
        "day_of_week": "*",
    }


@pytest.mark.parametrize(
    "cron, words",
    [
        ({"minute": True}, "cron.minute must be a string or a whole number"),
        ({"hour": 1.5}, "cron.hour must be a string or a whole number"),
        ({"day_of_month": ""}, "cron.day_of_month is empty"),
        ({"day_of_month": "?", "day_of_week": "?"}, "cannot both be '?'"),
        ({"minute": "61"}, "cron.minute '61' is not a valid cron field. minute takes 0-59"),
    ],
)
def test_other_refusals(cron, words):
    with pytest.raises(PterodactylError, match=words.replace("?", r"\?").replace("*", r"\*")):
        check_cron(cron)
