# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_file over an in-memory file tree: compare before write, check mode, diff, uploads that
never leave half a file, backups, modes, directories, and the refusals made before sending."""

from __future__ import annotations

import hashlib

import pytest
from files_fake import FakeFiles, FakeTransfer, error

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.modules import server_file as sf

PARAMS = {
    "server": "1a7ce997",
    "path": "server.properties",
    "state": "file",
    "content": None,
    "src": None,
    "mode": None,
    "force": True,
    "backup": False,
}
BIG = b"\x00\x01binary" * (600 * 1024)  # 4.8 MB, not text


def run(fakes, files, check_mode=False, diff_mode=False, transfer=None, **params):
    base = fakes.Base(dict(PARAMS, **params), client=files, check_mode=check_mode, diff_mode=diff_mode)
    transfer = transfer or FakeTransfer(files)
    base.transfer = lambda: transfer
    return sf.FileTask(base).run()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_an_unchanged_small_text_file_costs_one_read(fakes):
    files = FakeFiles({"/server.properties": b"motd=hi\n"})
    result = run(fakes, files, content="motd=hi\n")
    assert not result["changed"] and result["sha256"] == sha(b"motd=hi\n") and result["size"] == 8
    assert files.calls == [("file_contents", "/server.properties")]


def test_a_changed_small_text_file_costs_a_read_and_a_write(fakes):
    files = FakeFiles({"/server.properties": b"motd=hi\n"})
    result = run(fakes, files, content="motd=hello\n", diff_mode=True)
    assert result["changed"] and files.tree["/server.properties"] == b"motd=hello\n"
    assert [call[0] for call in files.calls] == ["file_contents", "write_file"]
    assert result["diff"]["before"] == "motd=hi\n" and result["diff"]["after"] == "motd=hello\n"


def test_a_file_too_large_for_the_panels_editor_is_compared_through_the_node(fakes):
    long_text = b"a line of a long log\n" * 60
    files = FakeFiles({"/logs/long.txt": long_text}, edit_limit=1000)  # above it: 400 "too large to view"
    result = run(fakes, files, path="logs/long.txt", content=long_text.decode())
    assert not result["changed"] and result["size"] == len(long_text) and result["sha256"] == sha(long_text)
    assert [call[0] for call in files.calls] == ["file_contents", "download_url"]


def test_a_refused_write_is_not_reported_as_a_change(fakes):
    files = FakeFiles({"/server.properties": b"motd=hi\n"})
    files.fail["write_file"] = error(403, "This action is unauthorized.")
    with pytest.raises(PterodactylError) as caught:
        run(fakes, files, content="motd=hello\n")
    assert caught.value.result["changed"] is False and caught.value.result["actions"] == []
    assert files.tree["/server.properties"] == b"motd=hi\n"


def test_check_mode_predicts_and_sends_nothing_that_changes(fakes):
    files = FakeFiles({"/server.properties": b"motd=hi\n"})
    result = run(fakes, files, check_mode=True, content="motd=hello\n", mode="0600", backup=True)
    assert result["changed"] and files.mutating() == []
    assert result["actions"][0].startswith("keep the old file as /server.properties.")
    assert result["actions"][1:] == [
        "write /server.properties (11 bytes, through the panel)",
        "chmod /server.properties 0600",
    ]
    assert result["sha256"] == sha(b"motd=hello\n") and result["mode"] == "0600"


def test_a_missing_file_is_created_with_its_parents(fakes):
    files = FakeFiles()
    result = run(fakes, files, path="plugins/Essentials/config.yml", content="a: 1\n")
    assert result["changed"] and files.tree["/plugins/Essentials/config.yml"] == b"a: 1\n"
    assert result["state"] == "file" and result["mode"] == "0644"


def test_force_false_leaves_an_existing_file_alone(fakes):
    files = FakeFiles({"/eula.txt": b"eula=false\n"})
    result = run(fakes, files, path="eula.txt", content="eula=true\n", force=False)
    assert not result["changed"] and files.tree["/eula.txt"] == b"eula=false\n"
    assert result["sha256"] == sha(b"eula=false\n")  # what the file holds


def test_mode_is_changed_only_when_it_differs(fakes):
    files = FakeFiles({"/ops.json": b"[]"})
    first = run(fakes, files, path="ops.json", content="[]", mode="0600")
    assert first["changed"] and first["actions"] == ["chmod /ops.json 0600"] and files.modes["/ops.json"] == "600"
    again = run(fakes, files, path="ops.json", content="[]", mode="600")
    assert not again["changed"] and again["mode"] == "0600"


def test_backup_keeps_the_old_file_beside_it(fakes):
    files = FakeFiles({"/server.properties": b"old\n"})
    result = run(fakes, files, content="new\n", backup=True)
    assert files.tree[result["backup_file"]] == b"old\n" and files.tree["/server.properties"] == b"new\n"
    assert result["backup_file"].startswith("/server.properties.") and result["backup_file"].endswith("~")


def test_a_large_binary_src_is_uploaded_under_a_temporary_name_then_moved(fakes, tmp_path):
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles({"/plugins/plugin.jar": b"older"})
    transfer = FakeTransfer(files)
    result = run(fakes, files, transfer=transfer, path="plugins/plugin.jar", src=str(local))
    assert result["changed"] and files.tree["/plugins/plugin.jar"] == BIG and result["sha256"] == sha(BIG)
    assert transfer.uploads[0].startswith("/plugins/.plugin.jar.gameops-") and transfer.uploads[0].endswith(".part")
    assert not [path for path in files.tree if path.endswith(".part")]


def test_an_unchanged_large_file_is_compared_by_a_streamed_digest(fakes, tmp_path):
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles({"/plugin.jar": BIG})
    result = run(fakes, files, path="plugin.jar", src=str(local))
    assert not result["changed"] and result["sha256"] == sha(BIG)
    assert [call[0] for call in files.calls] == ["list_files", "download_url"]


@pytest.fixture
def hashed_first(monkeypatch):
    """The paths of the local files the module hashed before (or instead of) uploading them."""
    paths: list[str] = []
    real = sf.sha256_of_file

    def recording(path):
        paths.append(path)
        return real(path)

    monkeypatch.setattr(sf, "sha256_of_file", recording)
    return paths


@pytest.mark.parametrize("remote", [None, b"older"], ids=["missing", "another size"])
def test_a_large_src_that_must_be_uploaded_is_hashed_while_it_is_read(fakes, tmp_path, hashed_first, remote):
    """Nothing to compare with (no file, or one of another size): one read of the local file, the upload's,
    and the digest returned is that of the bytes uploaded."""
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles({} if remote is None else {"/plugin.jar": remote})
    result = run(fakes, files, path="plugin.jar", src=str(local))
    assert result["changed"] and files.tree["/plugin.jar"] == BIG
    assert result["sha256"] == sha(BIG) and result["size"] == len(BIG) and hashed_first == []


def test_a_large_src_of_the_same_size_is_hashed_first_to_compare(fakes, tmp_path, hashed_first):
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles({"/plugin.jar": BIG[::-1]})
    result = run(fakes, files, path="plugin.jar", src=str(local))
    assert result["changed"] and files.tree["/plugin.jar"] == BIG and result["sha256"] == sha(BIG)
    assert hashed_first == [str(local)]


@pytest.mark.parametrize("check_mode, diff_mode", [(True, False), (True, True), (False, True)])
def test_check_and_diff_mode_still_show_the_digest_of_a_large_src(fakes, tmp_path, check_mode, diff_mode):
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles()
    result = run(fakes, files, check_mode=check_mode, diff_mode=diff_mode, path="plugin.jar", src=str(local))
    assert result["changed"] and result["sha256"] == sha(BIG) and result["size"] == len(BIG)
    assert (files.mutating() == []) is check_mode
    if diff_mode:
        assert result["diff"]["after"] == f"(large or binary file after, {len(BIG)} bytes, sha256 {sha(BIG)})\n"


def test_force_false_does_not_hash_a_large_src_it_leaves_alone(fakes, tmp_path, hashed_first):
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles({"/plugin.jar": b"older"})
    result = run(fakes, files, path="plugin.jar", src=str(local), force=False)
    assert not result["changed"] and files.tree["/plugin.jar"] == b"older" and hashed_first == []


def test_an_upload_cut_midway_leaves_the_file_as_it_was(fakes, tmp_path):
    local = tmp_path / "plugin.jar"
    local.write_bytes(BIG)
    files = FakeFiles({"/plugin.jar": b"older"})
    transfer = FakeTransfer(files)
    transfer.cut_after = 1024 * 1024
    with pytest.raises(PterodactylError) as caught:
        run(fakes, files, transfer=transfer, path="plugin.jar", src=str(local))
    assert files.tree["/plugin.jar"] == b"older"
    assert not [path for path in files.tree if path.endswith(".part")]
    assert caught.value.result["file_state"] == "/plugin.jar was not changed"


def test_a_lost_write_answer_is_checked_by_reading_back(fakes):
    files = FakeFiles({"/motd.txt": b"old"})
    lost = error(502, "Bad Gateway", uncertain=True)

    def write_then_lose(server, path, data):
        files.put(path, bytes(data))
        raise lost

    files.write_file = write_then_lose
    result = run(fakes, files, path="motd.txt", content="new")
    assert result["changed"] and "reading the file back shows the new content" in result["recovery"][0]


def test_directory_and_absent(fakes):
    files = FakeFiles({"/logs/old.log": b"x"})
    made = run(fakes, files, path="backups/worlds", state="directory")
    assert made["changed"] and files.tree["/backups/worlds"] is None
    assert not run(fakes, files, path="backups/worlds", state="directory")["changed"]
    gone = run(fakes, files, path="logs", state="absent")
    assert gone["changed"] and "/logs/old.log" not in files.tree and "/logs" not in files.tree
    assert not run(fakes, files, path="logs", state="absent")["changed"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"path": "../../etc/passwd"}, "leaves the server's root"),
        ({"path": "/home/container/server.properties"}, "use '/server.properties'"),
        ({"path": "/var/lib/pterodactyl/volumes/0e4f2a77/eula.txt"}, "use '/eula.txt'"),
        ({"path": "/"}, "can only be state=directory"),
        ({"mode": "rwxr-x---"}, "octal string"),
        ({"mode": "0999"}, "octal string"),
    ],
)
def test_refusals_before_anything_is_sent(fakes, params, message):
    files = FakeFiles()
    with pytest.raises(PterodactylError) as caught:
        run(fakes, files, content="x", **params)
    assert message in str(caught.value) and caught.value.code == "InvalidOption" and files.calls == []


def test_a_directory_in_the_way_of_a_file(fakes):
    files = FakeFiles({"/world": None})
    with pytest.raises(PterodactylError, match="is a directory"):
        run(fakes, files, path="world", content="x", mode="0644")
