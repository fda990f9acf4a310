"""The error type and the documented table of the collection's own failure codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import (
    CLIENT_CODES,
    ConsoleTimeout,
    PterodactylError,
    invalid_option,
    join_sentences,
    redact,
)

ROOT = Path(__file__).resolve().parents[4]
PANEL_EXCEPTION = re.compile(r"(Exception|HttpException)$")


def documented_codes() -> dict[str, str]:
    text = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    section = text.split("## Failure codes", 1)[1]
    return dict(re.findall(r"^\| `([A-Za-z]+)` \| (.+?) \|$", section, re.M))


def test_every_client_code_is_documented_once_and_nothing_else():
    documented = documented_codes()
    assert sorted(documented) == sorted(CLIENT_CODES)


@pytest.mark.parametrize("code", sorted(CLIENT_CODES))
def test_client_codes_share_one_style_and_never_borrow_a_panel_name(code):
    assert re.fullmatch(r"(?:[A-Z][a-z0-9]+|TLS)+", code), code
    assert not PANEL_EXCEPTION.search(code), code


def test_partial_result_is_a_declared_copied_field():
    result = {"sent": ["start"]}
    exc = PterodactylError("boom").with_result(result)
    result["sent"].append("later")  # the shallow copy keeps the keys the task had at failure time
    assert exc.result == {"sent": ["start", "later"]} and exc.result is not result
    assert PterodactylError("plain").result == {}


def test_message_joins_hint_and_failure_dict_names_every_field():
    exc = PterodactylError("GET /x failed", status=500, code="Boom", hint="check the panel log")
    assert str(exc) == "GET /x failed. check the panel log"
    assert set(exc.to_failure()) == {"status", "code", "detail", "method", "path", "errors", "hint"}
    assert join_sentences("ends with colon:", "more") == "ends with colon: more"


def test_invalid_option_and_timeout_use_table_codes():
    assert invalid_option("bad").code == "InvalidOption" and "InvalidOption" in CLIENT_CODES
    timeout = ConsoleTimeout("starting", ["offline", "starting"], wanted={"running"}, timeout=5)
    assert timeout.code == "WaitTimeout" and "after 5s waiting for running" in str(timeout)


def test_redact_walks_nested_values():
    assert redact({"a": ["x ptlc_k y", ("ptlc_k",)], "n": 1}, "ptlc_k") == {
        "a": ["x <redacted> y", ["<redacted>"]],
        "n": 1,
    }
