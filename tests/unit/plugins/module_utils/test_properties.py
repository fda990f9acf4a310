# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties files: Java's reading rules, edits that touch only what differs, secrets masked."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _properties as props
from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError

SERVER_PROPERTIES = """#Minecraft server properties
#Thu Nov 28 12:00:00 UTC 2026
enable-jmx-monitoring=false
rcon.port=25575
motd=A Minecraft Server

# spawn settings
spawn-protection=16
max-players=20
rcon.password=hunter2
"""


@pytest.mark.parametrize(
    "line, key, value",
    [
        ("motd=Hello", "motd", "Hello"),
        ("motd = Hello world ", "motd", "Hello world "),
        ("motd: Hello", "motd", "Hello"),
        ("motd Hello", "motd", "Hello"),
        ("motd", "motd", ""),
        (r"level\ name=My World", "level name", "My World"),
        (r"motd=\u00a7aGreen \: colon", "motd", "§aGreen : colon"),
        (r"path=C:\\games\\mc", "path", r"C:\games\mc"),
        (r"tab=a\tb", "tab", "a\tb"),
        ("key==value", "key", "=value"),
    ],
)
def test_java_reading_rules(line, key, value):
    assert props.values(props.parse(line)) == {key: value}


def test_comments_blanks_and_continuations():
    text = "# a comment\n! another\n\n   \nmotd=first \\\n    second\nlast=1\n"
    entries = props.parse(text)
    assert [entry.key for entry in entries] == [None, None, None, None, "motd", "last"]
    assert props.values(entries) == {"motd": "first second", "last": "1"}
    assert entries[4].lines == ["motd=first \\", "    second"]


def test_an_even_number_of_backslashes_does_not_continue():
    assert props.values(props.parse("a=b\\\\\nc=d")) == {"a": "b\\", "c": "d"}


def test_nothing_to_change_returns_the_text_untouched():
    edit = props.apply(
        SERVER_PROPERTIES, {"motd": "A Minecraft Server", "max-players": 20, "enable-jmx-monitoring": False}
    )
    assert edit.changed == [] and edit.text == SERVER_PROPERTIES


def test_an_edit_keeps_comments_order_and_other_keys_and_appends_new_ones():
    edit = props.apply(SERVER_PROPERTIES, {"max-players": 40, "motd": "Welcome: play fair", "pvp": True})
    assert edit.changed == ["max-players", "motd", "pvp"]
    lines = edit.text.splitlines()
    assert lines[:4] == SERVER_PROPERTIES.splitlines()[:4]
    assert lines[4] == r"motd=Welcome\: play fair"
    assert lines[5:8] == ["", "# spawn settings", "spawn-protection=16"]
    assert lines[8] == "max-players=40" and lines[-1] == "pvp=true"
    assert props.values(props.parse(edit.text))["motd"] == "Welcome: play fair"
    assert edit.before_lines == ["motd=A Minecraft Server", "max-players=20"]
    assert edit.after_lines == [r"motd=Welcome\: play fair", "max-players=40", "pvp=true"]


def test_null_removes_every_occurrence():
    edit = props.apply("a=1\nb=2\na=3\n", {"a": None})
    assert edit.text == "b=2\n" and edit.changed == ["a"]
    assert props.apply("b=2\n", {"a": None}).changed == []


def test_the_last_duplicate_counts_and_is_the_one_rewritten():
    edit = props.apply("a=1\na=2\n", {"a": "3"})
    assert edit.text == "a=1\na=3\n" and edit.before_lines == ["a=2"]
    assert props.apply("a=1\na=2\n", {"a": "2"}).changed == []


def test_windows_line_endings_are_kept_and_an_empty_file_is_created():
    assert props.apply("a=1\r\nb=2\r\n", {"b": 3}).text == "a=1\r\nb=3\r\n"
    assert props.apply("", {"eula": True}).text == "eula=true\n"


def test_values_written_as_java_writes_them():
    assert props.line_for("level name", " spaced = yes #1") == r"level\ name=\ spaced \= yes \#1"
    assert props.values(props.parse(props.line_for("k", "\\ \t:!"))) == {"k": "\\ \t:!"}


def test_secrets_are_masked_in_the_diff_and_the_values():
    edit = props.apply(SERVER_PROPERTIES, {"rcon.password": "s3cret!", "api-token": "abc"})
    assert edit.before_lines == ["rcon.password=********"]
    assert edit.after_lines == ["rcon.password=********", "api-token=********"]
    assert "s3cret" not in "".join(edit.before_lines + edit.after_lines)
    shown = props.shown_values(edit.text)
    assert shown["rcon.password"] == props.MASK and shown["api-token"] == props.MASK and shown["motd"] != props.MASK


def test_values_that_cannot_be_written():
    with pytest.raises(PterodactylError, match="properties.whitelist must be a string"):
        props.apply("", {"whitelist": ["a", "b"]})
