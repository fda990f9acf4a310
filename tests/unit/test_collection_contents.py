# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection holds is listed where users and Ansible look for it: every module, plugin and
role in the README's "Everything in the collection" (one line each, by family), and every module in
meta/runtime.yml's action group ``all`` (what ``module_defaults: group/gameops.pterodactyl.all`` covers).
A module added without them fails here, naming it."""

from __future__ import annotations

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
SECTION = "## Everything in the collection"


def public(folder: str) -> set[str]:
    return {p.stem for p in (ROOT / "plugins" / folder).glob("*.py") if not p.name.startswith("_")}


def readme_listing() -> list[str]:
    """The names the README's listing gives, in order: its lines "- `name` - what it does"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `([a-z0-9_]+)` - \S", section, flags=re.MULTILINE)


def test_every_module_plugin_and_role_is_in_the_readme():
    listed = readme_listing()
    duplicates = sorted({name for name in listed if listed.count(name) > 1})
    assert not duplicates, f"listed more than once in the README: {duplicates}"
    roles = {p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir()}
    expected = public("modules") | public("inventory") | roles
    assert len(public("modules")) >= 14 and "pterodactyl" in expected and "update" in expected
    missing = sorted(expected - set(listed))
    assert not missing, f"not in the README's {SECTION!r} (one line each, by family): {missing}"


def test_every_module_is_in_the_action_group():
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    group = runtime["action_groups"]["all"]
    assert len(group) == len(set(group)), f"listed twice in the action group: {group}"
    modules = public("modules")
    missing = sorted(modules - set(group))
    assert not missing, f"not in meta/runtime.yml's action_groups.all: {missing}"
    stale = sorted(set(group) - modules)
    assert not stale, f"meta/runtime.yml's action_groups.all names modules that do not exist: {stale}"
