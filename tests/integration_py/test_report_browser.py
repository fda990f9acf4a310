# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report in a real browser: headless Chromium from Debian's package (``make browser``
installs it; the tests fail, saying so, when it is missing), driven over the DevTools protocol
(headless_chromium.py).

The page is the live report of ``live_report`` (conftest.py, shared with test_report.py): loaded from a
file:// URL with no console error or exception, one row per server, the table sorted by a click on a
header (numbers numerically, names alphabetically, ascending then descending, aria-sort set), and
``latecomer``, started just before the report while the panel's cache still said offline, shown running.
Chromium is stopped at the end, with no process left.
"""

from __future__ import annotations

import pytest
from fleet_report_support import LATECOMER
from headless_chromium import Chromium, missing_message

ROWS_JS = """Array.from(document.querySelectorAll('#servers tbody tr')).map(tr => ({
  server: tr.dataset.server,
  state: tr.dataset.state,
  memory: tr.dataset.memoryBytes === undefined ? null : Number(tr.dataset.memoryBytes),
  uptime: tr.dataset.uptimeMs === undefined ? null : Number(tr.dataset.uptimeMs),
  cpu: tr.dataset.cpu === undefined ? null : Number(tr.dataset.cpu),
  cells: Array.from(tr.cells).map(td => td.textContent.trim()),
}))"""
HEADERS_JS = """Array.from(document.querySelectorAll('#servers thead th')).map(th => ({
  title: th.textContent.trim(), sort: th.getAttribute('aria-sort'), type: th.dataset.type,
}))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    why = missing_message()
    if why:
        pytest.fail(why, pytrace=False)
    chromium = Chromium(tmp_path_factory.mktemp("chromium"))
    yield chromium
    left = chromium.close()
    assert not left, f"chromium left processes: {[(p.pid, p.name()) for p in left]}"
    assert not chromium.forced, f"chromium did not stop on Browser.close: {chromium.log()[-2000:]}"
    assert chromium.processes() == []


@pytest.fixture
def page(browser, live_report):  # pylint: disable=redefined-outer-name
    """The live report loaded afresh (no sort yet); checks after the test that nothing went wrong."""
    result = live_report["result"]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    url = live_report["path"].resolve().as_uri()
    assert url.startswith("file:///")
    browser.open(url)
    yield browser
    assert browser.problems() == []


def rows(page) -> list[dict]:  # pylint: disable=redefined-outer-name
    return page.evaluate(ROWS_JS)


def click_header(page, title: str) -> list[dict]:  # pylint: disable=redefined-outer-name
    """Click the column's header; the headers (title, aria-sort, type) afterwards."""
    column = [h["title"] for h in page.evaluate(HEADERS_JS)].index(title) + 1
    page.click(f"#servers thead th:nth-child({column}) button")
    return page.evaluate(HEADERS_JS)


def sort_state(headers: list[dict]) -> dict:
    return {h["title"]: h["sort"] for h in headers if h["sort"]}


def test_page_loads_without_errors(page, live_report):  # pylint: disable=redefined-outer-name
    assert page.problems() == []
    assert page.evaluate("document.title") == "Fleet report"
    assert page.evaluate("document.readyState") == "complete"
    shown = rows(page)
    assert sorted(r["server"] for r in shown) == sorted(s["identifier"] for s in live_report["visible"])
    assert len(shown) == len(live_report["visible"]) == 6
    headers = page.evaluate(HEADERS_JS)
    assert len(headers) == 11 and not any(h["sort"] for h in headers)
    assert all(len(r["cells"]) == len(headers) for r in shown)


def test_live_by_default(page, live_report):  # pylint: disable=redefined-outer-name
    """latecomer was started after the panel cached it offline: the page shows it running, live."""
    assert live_report["cache_after"] == "offline", "the play took longer than the panel's cache: not conclusive"
    row = next(r for r in rows(page) if r["server"] == live_report["started"])
    assert row["cells"][0].startswith(LATECOMER)
    assert row["cells"][2] == "running"
    assert row["cells"][3] != "—" and row["uptime"] > 0
    assert row["cells"][-1] == "live"
    # the one whose websocket was refused says where its figures come from
    refused = next(r for r in rows(page) if r["server"] == live_report["refused"])
    assert refused["cells"][-1].startswith("panel cache, up to 20 s old")


@pytest.mark.parametrize(("title", "field"), [("Memory", "memory"), ("Uptime", "uptime"), ("CPU", "cpu")])
def test_numeric_column_sorts_numerically(page, title, field):  # pylint: disable=redefined-outer-name
    before = rows(page)
    figures = [r[field] for r in before if r[field] is not None]
    assert len(figures) == 5 and len(before) == 6  # the suspended server has none

    headers = click_header(page, title)
    assert sort_state(headers) == {title: "ascending"}
    after = rows(page)
    assert [r[field] for r in after] == [*sorted(figures), None]  # rows without the figure last
    assert sorted(r["server"] for r in after) == sorted(r["server"] for r in before)

    headers = click_header(page, title)
    assert sort_state(headers) == {title: "descending"}
    assert [r[field] for r in rows(page)] == [*sorted(figures, reverse=True), None]


def test_text_column_sorts_by_name(page, live_report):  # pylint: disable=redefined-outer-name
    names = {s["identifier"]: s["name"] for s in live_report["visible"]}
    expected = sorted(names.values(), key=lambda name: (name.lower(), name))

    click_header(page, "Memory")  # away from the initial order first
    headers = click_header(page, "Server")
    assert sort_state(headers) == {"Server": "ascending"}
    assert [names[r["server"]] for r in rows(page)] == expected

    headers = click_header(page, "Server")
    assert sort_state(headers) == {"Server": "descending"}
    assert [names[r["server"]] for r in rows(page)] == expected[::-1]


def test_state_column_sorts_alphabetically(page):  # pylint: disable=redefined-outer-name
    headers = click_header(page, "State")
    assert sort_state(headers) == {"State": "ascending"}
    states = [r["state"] for r in rows(page)]
    assert states == sorted(states)
    assert set(states) == {"offline", "running", "suspended"}
