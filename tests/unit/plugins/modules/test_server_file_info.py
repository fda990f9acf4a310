# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_file_info and server_properties over an in-memory file tree."""

from __future__ import annotations

import hashlib

import pytest
from files_fake import FakeFiles, FakeTransfer

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_file_info as sfi
from ansible_collections.gameops.pterodactyl.plugins.modules import server_properties as spr

TREE = {
    "/server.properties": b"motd=hi\nrcon.password=hunter2\n",
    "/world/level.dat": b"\x00\x01\x02",
    "/plugins": None,
    "/big.log": b"line\n" * 1_000_000,
}


def base_for(fakes, module_params, files, **modes):
    base = fakes.Base(module_params, client=files, **modes)
    base.transfer = lambda: FakeTransfer(files)
    base.module.no_log_values = set()
    return base


def info(fakes, files, **params):
    return sfi.read_path(base_for(fakes, {"server": "x", "path": "/", "content": False, **params}, files))


def test_a_directory_lists_directories_first_then_by_name(fakes):
    result = info(fakes, FakeFiles(TREE))
    assert result["exists"] and result["is_directory"] and "modified" not in result
    assert [item["name"] for item in result["files"]] == ["plugins", "world", "big.log", "server.properties"]


def test_a_text_file_with_its_content_and_digest(fakes):
    files = FakeFiles(TREE)
    result = info(fakes, files, path="server.properties", content=True)
    data = TREE["/server.properties"]
    assert result["content"] == data.decode() and result["sha256"] == hashlib.sha256(data).hexdigest()
    assert result["is_file"] and result["size"] == len(data) and result["mode"] == "0644" and not result["binary"]


def test_binary_and_large_files(fakes):
    binary = info(fakes, FakeFiles(TREE), path="world/level.dat", content=True)
    assert binary["binary"] and "content" not in binary
    large = info(fakes, FakeFiles(TREE), path="big.log", content=True)
    assert large["sha256"] == hashlib.sha256(TREE["/big.log"]).hexdigest() and large["binary"] is None


def test_a_missing_path_even_below_a_missing_directory(fakes):
    files = FakeFiles(TREE)
    assert info(fakes, files, path="nope.txt") == {"changed": False, "path": "/nope.txt", "exists": False}
    assert info(fakes, files, path="no/such/dir/file")["exists"] is False


# -- server_properties --


def props(fakes, files, check_mode=False, diff_mode=False, **params):
    module_params = {"server": "x", "path": "server.properties", "properties": {}, "create": True, **params}
    return spr.edit_properties(base_for(fakes, module_params, files, check_mode=check_mode, diff_mode=diff_mode))


def test_properties_unchanged_is_one_read(fakes):
    files = FakeFiles(TREE)
    result = props(fakes, files, properties={"motd": "hi"})
    assert (
        not result["changed"]
        and result["changed_keys"] == []
        and files.calls == [("file_contents", "/server.properties")]
    )
    assert result["properties"]["rcon.password"] == "********"


def test_properties_changed_is_a_read_and_a_write_with_a_masked_diff(fakes):
    files = FakeFiles(TREE)
    result = props(fakes, files, diff_mode=True, properties={"max-players": 40, "rcon.password": "n3w"})
    assert result["changed_keys"] == ["max-players", "rcon.password"]
    assert [call[0] for call in files.calls] == ["file_contents", "write_file"]
    assert files.tree["/server.properties"] == b"motd=hi\nrcon.password=n3w\nmax-players=40\n"
    assert "n3w" not in str(result) and "hunter2" not in str(result)
    assert result["diff"]["after"] == "rcon.password=********\nmax-players=40\n"


def test_properties_check_mode_and_create(fakes):
    files = FakeFiles()
    result = props(fakes, files, check_mode=True, path="eula.txt", properties={"eula": True})
    assert result["changed"] and result["created"] and files.mutating() == []
    assert result["properties"] == {"eula": "true"}
    with pytest.raises(PterodactylError, match="does not exist"):
        props(fakes, files, path="eula.txt", properties={"eula": True}, create=False)
