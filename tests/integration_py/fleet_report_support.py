# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet of playbooks/fleet_report.yml's tests and how they run it; the fixtures over these
(``report_fleet``, ``live_report``, ``cached_report``) are in tests/integration_py/conftest.py.

Used by test_report.py (the HTML and its figures) and test_report_browser.py (the page in Chromium).

The fleet has hostile names (HTML and Jinja2), a suspended server (no figures: HTTP 409), servers on
two nodes, running and offline ones, ``latecomer``, offline until :func:`start_after_caching` starts it
with the panel's 20-second cache still saying offline, and ``survival``, whose websocket the live run
refuses (its figures fall back to the panel's cache).
"""

from __future__ import annotations

import pathlib
import time

from shared import run_inventory_playbook

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "fleet_report.yml"
CACHE_SECONDS = 20  # the panel's cache of /resources (sandbox/panel.py RESOURCE_CACHE_SECONDS, as the real panel)

SCRIPT_NAME = "<script>alert('x')</script>"
JINJA_NAME = "{{ 'templ' ~ 'ated' }}"
LATECOMER = "latecomer"
NO_WEBSOCKET = "survival"
FLEET = {
    "users": [{"username": "owner"}, {"username": "other"}],
    "nodes": [{"name": "node-a"}, {"name": "node-b"}],
    "eggs": [{"name": "Paper", "done": ')! For help, type "help"', "stop": "stop", "boot_seconds": 0.3}],
    "servers": [
        {"name": "lobby", "node": "node-a", "state": "running", "limits": {"memory": 2048, "disk": 4096, "cpu": 200}},
        {"name": NO_WEBSOCKET, "node": "node-a", "state": "running", "limits": {"memory": 0, "disk": 0, "cpu": 0}},
        {"name": LATECOMER, "node": "node-a"},
        {"name": SCRIPT_NAME, "node": "node-b", "description": "<b>bold</b>"},
        {"name": JINJA_NAME, "node": "node-b"},
        {"name": "frozen", "node": "node-b", "status": "suspended"},
        {"name": "theirs", "node": "node-a", "owner": "other"},
    ],
}


def run_report(folder: pathlib.Path, sandbox, *extra: str) -> dict:
    """Run fleet_report.yml through the inventory plugin; ``result`` (the process) and ``path`` (the HTML)."""
    path = folder / "out" / "fleet.html"
    result = run_inventory_playbook(folder, sandbox, PLAYBOOK, "-e", f"fleet_report_path={path}", *extra, timeout=180)
    return {"result": result, "path": path}


def panel_state(sandbox, identifier: str) -> str | int:
    """The state the panel's cached /resources gives (or its HTTP status when it refuses)."""
    answer = sandbox.api("GET", f"/api/client/servers/{identifier}/resources")
    return answer.json()["attributes"]["current_state"] if answer.status_code == 200 else answer.status_code


def start_after_caching(sandbox, name: str, timeout: float = 15) -> str:
    """Have the panel cache ``name`` offline, then start it and wait until its node says running.

    Returns its identifier. For the next :data:`CACHE_SECONDS` the panel's /resources still says offline,
    so a report that shows it running read live figures.
    """
    identifier = sandbox.server(name)["identifier"]
    assert panel_state(sandbox, identifier) == "offline"
    answer = sandbox.api("POST", f"/api/client/servers/{identifier}/power", json={"signal": "start"})
    assert answer.status_code == 204, answer.text
    deadline = time.monotonic() + timeout
    while sandbox.control("GET", f"/servers/{identifier}").json()["state"] != "running":
        assert time.monotonic() < deadline, f"{name} did not start within {timeout} s"
        time.sleep(0.1)
    assert panel_state(sandbox, identifier) == "offline", "the panel's cache should still say offline"
    return identifier


def refuse_websocket(sandbox, name: str) -> str:
    """The panel refuses ``name``'s websocket credentials (403) for the next few requests; its identifier."""
    identifier = sandbox.server(name)["identifier"]
    fault = {"route": f"GET /api/client/servers/{identifier}/websocket", "count": 5, "status": 403, "body": "json"}
    assert sandbox.control("POST", "/faults", json=fault).status_code == 201
    return identifier


def panel_figures(sandbox) -> tuple[list[dict], dict]:
    """The servers the owner sees and what the panel's /resources says of each now (or its HTTP status)."""
    visible = [s["attributes"] for s in sandbox.api("GET", "/api/client").json()["data"]]
    resources = {}
    for server in visible:
        answer = sandbox.api("GET", f"/api/client/servers/{server['identifier']}/resources")
        resources[server["identifier"]] = (
            answer.json()["attributes"] if answer.status_code == 200 else answer.status_code
        )
    return visible, resources
