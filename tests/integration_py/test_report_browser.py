# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report in a real browser: headless Chromium from Debian's package (``make browser``
installs it; the tests fail, saying so, when it is missing), driven over the DevTools protocol
(headless_chromium.py).

The page is the live report of ``live_report`` (conftest.py, shared with test_report.py): loaded from a
file:// URL with no console error or exception, one row per server, the table sorted by a click on a
header (numbers numerically, names alphabetically, ascending then descending, aria-sort set), and
``latecomer``, started just before the report while the panel's cache still said offline, shown running.

The same browser opens the collection's documentation site (``make docs``, which ``make test`` runs
first): the collection's index links to a page for every module, the inventory plugin and each role,
and server_power's page, reached by a click on its link, shows the module's own DOCUMENTATION and
EXAMPLES, offline, styled, with no error. It needs no sandbox and no play, and writes nothing: it runs
the same whether the tests run serially or spread over pytest-xdist workers.
Chromium is stopped at the end, with no process left.
"""

from __future__ import annotations

import importlib
import pathlib

import pytest
import yaml
from fleet_report_support import LATECOMER
from headless_chromium import Chromium, missing_message

from hack.devenv import ROOT

ROWS_JS = """Array.from(document.querySelectorAll('#servers tbody tr')).map(tr => ({
  server: tr.dataset.server,
  state: tr.dataset.state,
  memory: tr.dataset.memoryBytes === undefined ? null : Number(tr.dataset.memoryBytes),
  uptime: tr.dataset.uptimeMs === undefined ? null : Number(tr.dataset.uptimeMs),
  cpu: tr.dataset.cpu === undefined ? null : Number(tr.dataset.cpu),
  cells: Array.from(tr.cells).map(td => td.textContent.trim()),
}))"""
DOCS_HTML = ROOT / ".build" / "docs" / "build" / "html"
DOCS_COLLECTION = DOCS_HTML / "collections" / "gameops" / "pterodactyl"
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


# --- the documentation site ------------------------------------------------------------------------
DOCS_LINKS_JS = """Array.from(document.querySelectorAll('a.reference.internal'))
  .map(a => ({text: a.textContent.trim(), href: a.getAttribute('href')}))"""
DOCS_PAGE_JS = """(() => {
  const text = sel => Array.from(document.querySelectorAll(sel)).map(el => {
    const copy = el.cloneNode(true);  // without the permalink icons
    copy.querySelectorAll('.headerlink').forEach(link => link.remove());
    return copy.textContent.trim();
  });
  const section = id => (document.getElementById(id) || {textContent: ''}).textContent;
  return {
    title: document.title,
    h1: text('h1'),
    options: text('#parameters .ansible-option-title'),
    choices: Object.fromEntries(Array.from(document.querySelectorAll('#parameters tr')).map(tr => [
      (tr.querySelector('.ansible-option-title') || {textContent: ''}).textContent.trim(),
      Array.from(tr.querySelectorAll('.ansible-option-choices-entry')).map(c => c.textContent.trim()),
    ])),
    returns: text('#return-values .ansible-option-title'),
    examples: section('examples'),
    synopsis: section('synopsis'),
    stylesheets: Array.from(document.querySelectorAll('link[rel=stylesheet]')).map(l => ({
      href: l.getAttribute('href'), loaded: l.sheet !== null,
    })),
    sidebar: getComputedStyle(document.querySelector('nav.wy-nav-side')).position,
  };
})()"""


def docs_page(path: pathlib.Path) -> str:
    """The file:// URL of a page of the built site; fails saying to run `make docs` when it is missing."""
    if not path.is_file():
        pytest.fail(
            f"the documentation site is not built ({path.relative_to(ROOT)} is missing): run `make docs` "
            "(`make test` builds it before the integration tests)",
            pytrace=False,
        )
    return path.resolve().as_uri()


def module_docs(name: str) -> tuple[dict, list, dict]:
    """DOCUMENTATION, EXAMPLES and RETURN of one of the collection's modules, as the page should show them."""
    module = importlib.import_module(f"ansible_collections.gameops.pterodactyl.plugins.modules.{name}")
    return tuple(yaml.safe_load(getattr(module, block)) for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"))


def test_docs_index_has_a_page_per_module_plugin_and_role(browser):  # pylint: disable=redefined-outer-name
    browser.open(docs_page(DOCS_COLLECTION / "index.html"))
    assert browser.problems() == []
    pages = {link["href"].split("#")[0] for link in browser.evaluate(DOCS_LINKS_JS)}
    expected = {f"{p.stem}_module.html" for p in (ROOT / "plugins" / "modules").glob("*.py")}
    expected |= {f"{p.stem}_inventory.html" for p in (ROOT / "plugins" / "inventory").glob("*.py")}
    expected |= {
        f"{p.name}_role.html" for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file()
    }
    assert len(expected) > 15
    missing = sorted(expected - pages)
    assert not missing, f"the docsite's collection index has no page for {missing}: rebuild it with `make docs`"
    assert all((DOCS_COLLECTION / page).is_file() for page in expected)


def test_docs_module_page(browser):  # pylint: disable=redefined-outer-name
    """server_power's page, opened from the collection's index, shows its own DOCUMENTATION and EXAMPLES."""
    documentation, examples, returns = module_docs("server_power")
    browser.open(docs_page(DOCS_COLLECTION / "index.html"))
    browser.follow('a[href^="server_power_module.html"]')
    assert browser.evaluate("location.href.split('#')[0]") == docs_page(DOCS_COLLECTION / "server_power_module.html")
    assert browser.evaluate("document.readyState") == "complete"
    page = browser.evaluate(DOCS_PAGE_JS)

    heading = f"gameops.pterodactyl.server_power module – {documentation['short_description']}"
    assert page["h1"] == [heading]
    assert page["title"] == f"{heading} — gameops.pterodactyl documentation"
    assert documentation["description"][0] in " ".join(page["synopsis"].split())
    # every option of the module's own, and the shared connection options from the doc fragment
    assert set(documentation["options"]) <= set(page["options"]), "rebuild the site with `make docs`"
    assert {"url", "api_key", "server", "validate_certs", "timeout"} <= set(page["options"])
    assert page["choices"]["state"] == [f'"{c}"' for c in documentation["options"]["state"]["choices"]]
    assert page["choices"]["state"] == ['"started"', '"stopped"', '"restarted"', '"killed"']
    assert set(returns) <= set(page["returns"])
    # the examples, as written (a task's name and its module call)
    assert len(examples) >= 2
    for example in examples:
        assert example["name"] in page["examples"]
    assert "gameops.pterodactyl.server_power:" in page["examples"]
    assert "wait_timeout: 120" in page["examples"]
    # self-contained: the theme's stylesheets were loaded from the site's own files, offline
    assert page["stylesheets"] and all(s["loaded"] for s in page["stylesheets"]), page["stylesheets"]
    assert not [s for s in page["stylesheets"] if "://" in s["href"]]
    assert page["sidebar"] == "fixed"  # the Ansible theme's layout applies
    assert browser.problems() == []
