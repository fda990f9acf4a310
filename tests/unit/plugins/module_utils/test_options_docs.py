# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option tables of _options against what the plugins document.

Every CONNECTION_OPTIONS entry must have the same type and default in the modules' ``connection``
doc fragment and in the inventory's DOCUMENTATION; the fragment names its environment variable,
the inventory declares it under ``env``. The server filters of server_info and the inventory are
SERVER_FILTERS.
"""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.gameops.pterodactyl.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.gameops.pterodactyl.plugins.inventory import pterodactyl as inventory
from ansible_collections.gameops.pterodactyl.plugins.module_utils._base import argument_spec
from ansible_collections.gameops.pterodactyl.plugins.module_utils._options import (
    CONNECTION_OPTIONS,
    CONSOLE_OPTIONS,
    SERVER_FILTERS,
)
from ansible_collections.gameops.pterodactyl.plugins.modules import server_info

FRAGMENT = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
CONSOLE_FRAGMENT = yaml.safe_load(ModuleDocFragment.CONSOLE)["options"]
INVENTORY = yaml.safe_load(inventory.DOCUMENTATION)["options"]
SERVER_INFO = yaml.safe_load(server_info.DOCUMENTATION)["options"]
IDS = [option.name for option in CONNECTION_OPTIONS]


def description(doc: dict) -> str:
    text = doc.get("description")
    return " ".join(text) if isinstance(text, list) else str(text)


def same_default(documented, option) -> bool:
    if option.default is None:
        return documented is None
    return documented == option.default and type(documented) in (type(option.default), int)


def assert_documented_as_in_the_table(doc: dict, option) -> None:
    """A connection option's documented type, default and required flag are the table's.

    The modules' fragment and the inventory document the same options separately: both must agree with the table.
    """
    assert doc["type"] == option.type
    assert same_default(doc.get("default"), option), doc.get("default")
    assert bool(doc.get("required")) is option.required


@pytest.mark.parametrize("option", CONNECTION_OPTIONS, ids=IDS)
def test_fragment_matches_the_table(option):
    doc = FRAGMENT[option.name]
    assert_documented_as_in_the_table(doc, option)
    assert f"E({option.env})" in description(doc)


@pytest.mark.parametrize("option", CONNECTION_OPTIONS, ids=IDS)
def test_inventory_matches_the_table(option):
    doc = INVENTORY[option.name]
    assert_documented_as_in_the_table(doc, option)
    assert doc.get("env") == [{"name": option.env}]


@pytest.mark.parametrize("option", CONSOLE_OPTIONS, ids=[option.name for option in CONSOLE_OPTIONS])
def test_console_fragment_matches_the_table(option):
    doc = CONSOLE_FRAGMENT[option.name]
    assert doc["type"] == option.type
    assert same_default(doc.get("default"), option)
    assert f"E({option.env})" in description(doc)


def test_the_fragments_document_no_other_client_option():
    assert set(FRAGMENT) == set(IDS)
    assert set(CONSOLE_FRAGMENT) == {option.name for option in CONSOLE_OPTIONS}


def test_module_spec_is_the_table():
    spec = argument_spec({}, server=False, console=True)
    for option in CONNECTION_OPTIONS + CONSOLE_OPTIONS:
        entry = spec[option.name]
        assert entry["type"] == option.type and entry.get("default") == option.default
        assert entry["fallback"][1] == [option.env]
        assert bool(entry.get("no_log")) is option.no_log


@pytest.mark.parametrize("name, key", SERVER_FILTERS)
def test_server_filters_are_documented_by_both(name, key):
    assert SERVER_INFO[name]["type"] == "str"
    assert INVENTORY[name]["type"] == "str"
    assert f"filter[{key}]" in description(INVENTORY[name])


def test_no_other_filter_options():
    filters = {name for name, _key in SERVER_FILTERS}
    assert set(SERVER_INFO) - filters == {"server", "type", "include"}
    filter_like = {name for name, doc in INVENTORY.items() if "filter[" in description(doc)}
    assert filter_like == filters
