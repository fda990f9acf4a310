# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/fleet_report.yml against the sandbox: valid, self-contained HTML whose figures are the panel's.

The fleet has hostile names (HTML and Jinja2), a suspended server (no figures: HTTP 409), servers on
two nodes, running and offline ones.
"""

from __future__ import annotations

import collections
import html.parser
import pathlib
import re
import subprocess

import pytest
import yaml

from hack import devenv
from sandbox.launcher import launch

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"

SCRIPT_NAME = "<script>alert('x')</script>"
JINJA_NAME = "{{ 'templ' ~ 'ated' }}"
FLEET = {
    "users": [{"username": "owner"}, {"username": "other"}],
    "nodes": [{"name": "node-a"}, {"name": "node-b"}],
    "eggs": [{"name": "Paper", "done": ')! For help, type "help"', "stop": "stop", "boot_seconds": 0.3}],
    "servers": [
        {"name": "lobby", "node": "node-a", "state": "running", "limits": {"memory": 2048, "disk": 4096, "cpu": 200}},
        {"name": "survival", "node": "node-a", "state": "running", "limits": {"memory": 0, "disk": 0, "cpu": 0}},
        {"name": SCRIPT_NAME, "node": "node-b", "description": "<b>bold</b>"},
        {"name": JINJA_NAME, "node": "node-b"},
        {"name": "frozen", "node": "node-b", "status": "suspended"},
        {"name": "theirs", "node": "node-a", "owner": "other"},
    ],
}
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


def ansible_env(tmp_path, sandbox) -> dict:
    return devenv.ansible_env(
        tmp_path,
        strict_inventory=True,
        PTERODACTYL_URL=sandbox["panel_url"],
        PTERODACTYL_API_KEY=sandbox["keys"]["owner"],
    )


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("report")
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(yaml.safe_dump(FLEET))
    sandbox = launch(tmp_path / "sandbox", fleet=str(fleet))
    try:
        inventory = tmp_path / "report.pterodactyl.yml"
        inventory.write_text("plugin: gameops.pterodactyl.pterodactyl\n")
        path = tmp_path / "out" / "fleet.html"
        result = subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(inventory),
                str(ROOT / "playbooks" / "fleet_report.yml"),
                "-e",
                f"fleet_report_path={path}",
            ],
            cwd=tmp_path,
            env=ansible_env(tmp_path, sandbox),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        # What the panel says now: /resources is cached for 20 s, so these are the figures the play read.
        visible = [s["attributes"] for s in sandbox.api("GET", "/api/client").json()["data"]]
        resources = {}
        for server in visible:
            answer = sandbox.api("GET", f"/api/client/servers/{server['identifier']}/resources")
            resources[server["identifier"]] = (
                answer.json()["attributes"] if answer.status_code == 200 else answer.status_code
            )
        yield {"result": result, "path": path, "sandbox": sandbox, "visible": visible, "resources": resources}
    finally:
        assert sandbox.stop() == 0, sandbox.log()


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
    assert not re.search(r"<(script|link|iframe|img|object)\b", text, re.I), "external or active content"
    assert "@import" not in text and "url(" not in text
    # hostile names are shown as text, never as markup, and never templated
    page_text = "".join(report.text)
    assert SCRIPT_NAME in page_text
    assert "&lt;script&gt;" in text
    assert JINJA_NAME in page_text
    assert "templated" not in page_text


def test_every_server_with_the_panels_figures(report_run):
    _tree, report = parsed(report_run)
    visible = report_run["visible"]
    rows = {row["data-server"]: row for row in report.rows}
    assert set(rows) == {s["identifier"] for s in visible}
    assert "theirs" not in {s["name"] for s in visible}
    for server in visible:
        row = rows[server["identifier"]]
        assert row["data-node"] == server["node"]
        assert server["name"] in row["text"]
        figures = report_run["resources"][server["identifier"]]
        if isinstance(figures, int):  # the panel refuses (suspended): no figures, the reason instead
            assert figures == 409
            assert row["data-state"] == "suspended"
            assert "data-memory-bytes" not in row
            assert "suspended" in row["text"]
            continue
        usage = figures["resources"]
        assert row["data-state"] == figures["current_state"]
        assert int(row["data-memory-bytes"]) == usage["memory_bytes"]
        assert int(row["data-disk-bytes"]) == usage["disk_bytes"]
        assert float(row["data-cpu"]) == pytest.approx(usage["cpu_absolute"])
    lobby = next(s for s in visible if s["name"] == "lobby")
    assert "/ 2.00 GiB" in rows[lobby["identifier"]]["text"]  # memory against its limit
    survival = next(s for s in visible if s["name"] == "survival")
    assert "no limit" in rows[survival["identifier"]]["text"]


def test_counts_by_state_and_node(report_run):
    _tree, report = parsed(report_run)
    by_state = collections.Counter(row["data-state"] for row in report.rows)
    by_node = collections.Counter(row["data-node"] for row in report.rows)
    assert by_state == {"running": 2, "offline": 2, "suspended": 1}
    assert by_node == {"node-a": 2, "node-b": 3}
    charted = dict(zip(report.labels, (int(c) for c in report.counts), strict=False))
    assert charted == {**by_state, **by_node}
