# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_startup's check before sending (module_utils/_rules.py) against the sandbox's Laravel validator
(sandbox/rules.py, the panel's texts): for each rule the issue names, the module refuses exactly what
the panel refuses, with the panel's first message, and accepts what the panel accepts."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._rules import check_value
from sandbox.panel import clean_input
from sandbox.rules import failures

# (rules, values as the module sends them: strings)
CASES = [
    ("required|string", ["", "   ", "x", "1.20.4"]),
    ("nullable|string|max:5", ["", "abc", "abcdef"]),
    ("required|string|max:20", ["1.21.1", "x" * 20, "x" * 21, " padded "]),
    ("required|integer", ["12", "-3", "+4", "abc", "1.5", "012", " 12 ", "0"]),
    ("required|numeric", ["1e3", "0.5", ".5", "-2", "abc", "1.", " 7 "]),
    ("required|numeric|min:1", ["1", "0.5", "2"]),
    ("required|integer|max:10", ["10", "11"]),
    ("required|boolean", ["1", "0", "true", "false", "yes", "2"]),
    ("required|string|in:survival,creative", ["survival", "adventure", "Survival"]),
    ("required|in:1.20.4,1.21.1", ["1.21.1", "1.19"]),
    ("required|string|min:3", ["ab", "abc"]),
    ("required|integer|between:1,65535", ["0", "1", "65535", "70000"]),
    ("nullable|string|between:3,8", ["", "ab", "abcd", "abcdefghi"]),
    (r"required|regex:/^([\w\d._-]+)(\.jar)$/", ["paper.jar", "paper.zip", "my paper.jar"]),
    ("required|regex:/^[a-z]+$/i", ["ABC", "ab1"]),
    ("required|alpha_dash", ["my_world-2", "my world", "café-1"]),
    ("required|alpha_num", ["abc1", "abc-1"]),
]


@pytest.mark.parametrize(("rules", "value"), [(rules, value) for rules, values in CASES for value in values], ids=repr)
def test_the_module_says_what_the_panel_says(rules, value):
    panel = failures("value", True, clean_input(value), rules)
    assert check_value(value, rules) == (panel[0][1] if panel else None)
