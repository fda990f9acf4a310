# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/fleet_report.yml against the sandbox: valid, self-contained HTML whose figures are the
node's live ones by default, and the panel's cached ones, marked as such, with fleet_report_fresh=false
or where a server's websocket cannot be opened.

The fleet (fleet_report_support.FLEET) has hostile names (HTML and Jinja2), a suspended server (no
figures: HTTP 409), servers on two nodes, running and offline ones, one started just before the report
(the panel's cache still says offline) and one whose websocket is refused. The sandbox and the runs are
the session fixtures ``live_report`` and ``cached_report`` (conftest.py), shared with
test_report_browser.py.
"""

from __future__ import annotations

import collections
import datetime
import html.parser
import re

import jinja2
import pytest
from fleet_report_support import JINJA_NAME, LATECOMER, NO_WEBSOCKET, ROOT, SCRIPT_NAME

TEMPLATE = ROOT / "playbooks" / "templates" / "fleet_report.html.j2"
CACHE_MARK = "panel cache, up to 20 s old"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Report(html.parser.HTMLParser):
    """Checks that every element is closed in order, and collects the table rows and chart bars."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.rows: list[dict] = []
        self.row_text: list[str] | None = None
        self.labels: list[str] = []
        self.counts: list[str] = []
        self._text_class: str | None = None
        self.text: list[str] = []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-server" in attrs:
            self.rows.append(attrs)
            self.row_text = []
        if tag == "text":
            self._text_class = attrs.get("class")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <rect .../> in SVG: self-closing, nothing to balance

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
            return
        self.stack.pop()
        if tag == "tr" and self.row_text is not None:
            self.rows[-1]["text"] = " ".join(self.row_text)
            self.row_text = None
        if tag == "text":
            self._text_class = None

    def handle_data(self, data):
        self.text.append(data)
        if self.row_text is not None:
            self.row_text.append(data.strip())
        if self._text_class == "label":
            self.labels.append(data)
        elif self._text_class == "count":
            self.counts.append(data)


@pytest.fixture(params=["live_report", "cached_report"])
def report_run(request):
    """Each test over both reports: live (the defaults) and cached (fleet_report_fresh=false)."""
    return request.getfixturevalue(request.param)


def parsed(report_run) -> tuple[str, Report]:
    result = report_run["result"]
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert report_run["sandbox"]["keys"]["owner"] not in result.stdout + result.stderr
    text = report_run["path"].read_text(encoding="utf-8")
    report = Report()
    report.feed(text)
    report.close()
    return text, report


def test_valid_html(report_run):
    text, report = parsed(report_run)
    assert report.doctype
    assert not report.errors, report.errors
    assert report.stack == [], f"unclosed elements: {report.stack}"
    assert text.lstrip().startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in text


def test_self_contained_and_escaped(report_run):
    text, report = parsed(report_run)
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", text, re.I)
    assert not re.search(r"<(link|iframe|img|object|embed)\b", text, re.I), "external or active content"
    assert "@import" not in text and "url(" not in text
    # one script, the template's own, inline; the page's policy refuses anything else
    assert re.findall(r"<script\b[^>]*>", text, re.I) == ["<script>"]
    assert "Content-Security-Policy\" content=\"default-src 'none';" in text
    # hostile names are shown as text, never as markup, and never templated
    page_text = "".join(report.text)
    assert SCRIPT_NAME in page_text
    assert "&lt;script&gt;" in text
    assert JINJA_NAME in page_text
    assert "templated" not in page_text


def rows_by_id(report: Report) -> dict:
    return {row["data-server"]: row for row in report.rows}


def assert_panel_figures(row: dict, figures: dict | int) -> None:
    """A row shows what the panel's /resources says (or, refused, no figures and the reason)."""
    if isinstance(figures, int):  # the panel refuses (suspended): no figures, the reason instead
        assert figures == 409
        assert row["data-state"] == "suspended"
        assert "data-memory-bytes" not in row and "data-source" not in row
        assert "suspended" in row["text"]
        return
    usage = figures["resources"]
    assert row["data-state"] == figures["current_state"]
    assert int(row["data-memory-bytes"]) == usage["memory_bytes"]
    assert int(row["data-disk-bytes"]) == usage["disk_bytes"]
    assert int(row["data-uptime-ms"]) == usage["uptime"]
    assert float(row["data-cpu"]) == pytest.approx(usage["cpu_absolute"])
    # never silently: the row says where its figures come from and how old they may be
    assert row["data-source"] == "panel"
    assert row.get("class") == "cached"
    assert CACHE_MARK in row["text"]


def test_cached_figures_are_the_panels_and_marked(cached_report):
    text, report = parsed(cached_report)
    visible = cached_report["visible"]
    rows = rows_by_id(report)
    assert set(rows) == {s["identifier"] for s in visible}
    assert "theirs" not in {s["name"] for s in visible}
    for server in visible:
        row = rows[server["identifier"]]
        assert row["data-node"] == server["node"]
        assert server["name"] in row["text"]
        assert_panel_figures(row, cached_report["resources"][server["identifier"]])
    assert f"5 from the {CACHE_MARK}" in " ".join(report.text)
    assert "live figures" not in text
    lobby = next(s for s in visible if s["name"] == "lobby")
    assert "/ 2.00 GiB" in rows[lobby["identifier"]]["text"]  # memory against its limit
    survival = next(s for s in visible if s["name"] == NO_WEBSOCKET)
    assert "no limit" in rows[survival["identifier"]]["text"]


def test_live_by_default(live_report):
    """A server started just before shows running although the panel's cache still says offline."""
    _text, report = parsed(live_report)
    rows = rows_by_id(report)
    assert live_report["cache_after"] == "offline", "the play took longer than the panel's cache: not conclusive"
    latecomer = rows[live_report["started"]]
    assert latecomer["data-state"] == "running"
    assert latecomer["data-source"] == "websocket"
    assert int(latecomer["data-uptime-ms"]) > 0
    assert "live" in latecomer["text"] and CACHE_MARK not in latecomer["text"]
    assert "class" not in latecomer
    assert "5 with live figures" not in " ".join(report.text)  # survival fell back: 4 live, 1 cached
    assert "4 with live figures" in " ".join(report.text)
    assert f"1 from the {CACHE_MARK}" in " ".join(report.text)
    for server in live_report["visible"]:
        row = rows[server["identifier"]]
        assert row["data-node"] == server["node"]
        figures = live_report["resources"][server["identifier"]]
        if isinstance(figures, int) or server["identifier"] == live_report["refused"]:
            continue
        assert row["data-source"] == "websocket", row
        assert row["data-state"] == live_report["states"][server["identifier"]]["state"]
        if row["data-state"] == "running":
            assert int(row["data-memory-bytes"]) > 0 and int(row["data-uptime-ms"]) > 0
        else:
            assert int(row["data-memory-bytes"]) == 0 and int(row["data-uptime-ms"]) == 0


def test_live_fallback_to_the_cache_is_marked(live_report):
    """survival's websocket was refused: its figures are the panel's, marked, with the reason."""
    _text, report = parsed(live_report)
    refused = live_report["refused"]
    row = rows_by_id(report)[refused]
    assert_panel_figures(row, live_report["resources"][refused])
    assert "live read failed:" in row["text"]
    # the suspended server: no figures, one reason, no fallback attempted (the panel refuses it too)
    frozen = next(s["identifier"] for s in live_report["visible"] if s["name"] == "frozen")
    assert_panel_figures(rows_by_id(report)[frozen], live_report["resources"][frozen])
    assert "live read failed" not in rows_by_id(report)[frozen]["text"]
    assert LATECOMER in {s["name"] for s in live_report["visible"]}


def test_uptime_shown_human_readable(live_report):
    _text, report = parsed(live_report)
    for row in report.rows:
        if row["data-state"] == "running":
            assert re.search(r"\b\d+ (s|min \d\d s|h \d\d min|d \d\d h)\b", row["text"]), row["text"]
        elif row["data-state"] == "offline":
            assert " — " in f" {row['text']} ", row["text"]


@pytest.mark.parametrize(
    ("ms", "state", "shown"),
    [
        (0, "offline", "—"),
        (5000, "offline", "—"),
        (0, "starting", "—"),
        (42_900, "running", "42 s"),
        (307_000, "running", "5 min 07 s"),
        (7_380_000, "running", "2 h 03 min"),
        (273_600_000, "running", "3 d 04 h"),
    ],
)
def test_uptime_format(ms, state, shown):
    """The template's uptime macro on its own (plain Jinja2 with stand-ins for Ansible's globals)."""
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    env.filters["combine"] = lambda a, b: {**a, **b}
    macros = env.from_string(TEMPLATE.read_text(encoding="utf-8")).make_module(
        {"fleet_report_servers": [], "hostvars": {}, "now": lambda utc: datetime.datetime.now(datetime.UTC)}
    )
    assert str(macros.uptime(ms, state)) == shown


def test_counts_by_state_and_node(live_report):
    _tree, report = parsed(live_report)
    by_state = collections.Counter(row["data-state"] for row in report.rows)
    by_node = collections.Counter(row["data-node"] for row in report.rows)
    assert by_state == {"running": 3, "offline": 2, "suspended": 1}
    assert by_node == {"node-a": 3, "node-b": 3}
    charted = dict(zip(report.labels, (int(c) for c in report.counts), strict=False))
    assert charted == {**by_state, **by_node}
