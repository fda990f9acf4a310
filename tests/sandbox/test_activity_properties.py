"""sandbox/activity.py: an activity entry's properties as the panel's transformers show them (PT
``ActivityLogTransformer::properties``, PL ``ActivityLog::wrapProperties``), in process."""

from __future__ import annotations

import pytest

from sandbox.activity import activity_properties

CASES = [  # (properties, Pterodactyl, Pelican)
    ({}, {}, []),
    ({"command": "say hi"}, {"command": "say hi"}, {"command": "say hi"}),
    ({"directory": None, "name": "x"}, {"directory": "/", "name": "x"}, {"directory": "/", "name": "x"}),
    ({"directory": "plugins/"}, {"directory": "/plugins/"}, {"directory": "/plugins/"}),
    (
        {"directory": "/", "files": ["a", "b"]},
        {"directory": "/", "files": ["a", "b"], "count": 2},
        {"directory": "/", "files": "a", "count": 2},
    ),
    (
        {"directory": "/", "files": [{"from": "a", "to": "b"}], "to": "b", "from": "a"},
        {"directory": "/", "files": [{"from": "a", "to": "b"}], "to": "b", "from": "a", "count": 1},
        {"directory": "/", "to": "b", "from": "a", "count": 1},
    ),
    (
        {"old": ["x"], "new": ["x", "y"]},
        {"old": ["x"], "old_count": 1, "new": ["x", "y"], "new_count": 2},
        {"old": "x", "old_count": 1, "new": "x", "new_count": 2},
    ),
    ({"locked": True, "name": "<b>n</b>"}, {"locked": True, "name": "<b>n</b>"}, {"locked": "1", "name": "n"}),
]


@pytest.mark.parametrize(("properties", "pterodactyl", "pelican"), CASES)
def test_properties_as_each_transformer_shows_them(properties, pterodactyl, pelican):
    assert activity_properties(properties, False, hide_ip=False) == pterodactyl
    assert activity_properties(properties, True, hide_ip=False) == pelican
    if pterodactyl:
        assert list(activity_properties(properties, False, hide_ip=False)) == list(pterodactyl)


def test_the_ip_is_hidden_from_others_on_pterodactyl_only():
    assert activity_properties({"ip": "10.0.0.1"}, False, hide_ip=True) == {"ip": "[hidden]"}
    assert activity_properties({"ip": "10.0.0.1"}, False, hide_ip=False) == {"ip": "10.0.0.1"}
    assert activity_properties({"ip": "10.0.0.1"}, True, hide_ip=True) == {"ip": "10.0.0.1"}
