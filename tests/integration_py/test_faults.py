# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults that need more than a playbook role: the inventory plugin under HTTP faults and node
maintenance, and the sandbox stopped (SIGTERM) in the middle of an operation.

The modules' fault cases are integration targets (tests/integration/targets/faults_*); each case
here must end in success after retries or in a clear failure with a non-zero exit code, never a
traceback, and must not show the API key.
"""

from __future__ import annotations

import json
import re

import pytest

pytest.register_assert_rewrite("fixtures_quality")
from fixtures_quality import add_faults, listed_hostvars, play_header, wait_for_request  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK_HEADER = play_header("Fault test", key_variable="owner_key")


def clean_output(text: str, sandbox: dict) -> None:
    """What every run must never print."""
    assert "Traceback" not in text, text[-6000:]
    assert "MODULE FAILURE" not in text, text[-6000:]
    for key in sandbox["keys"].values():
        assert key not in text


def playbook_vars(runner, sandbox) -> str:
    path = runner.write(
        "vars.json", json.dumps({"panel_url": sandbox["panel_url"], "owner_key": sandbox["keys"]["owner"]})
    )
    return f"@{path}"


def statuses(sandbox, path: str) -> list:
    return [entry["status"] for entry in sandbox.requests_log() if entry["path"] == path]


# --------------------------------------------------------------------------- #
# The inventory plugin under HTTP faults
# --------------------------------------------------------------------------- #


@pytest.fixture
def inventory_sandbox(quality_sandbox):
    return quality_sandbox(servers=4, virtual=True)


def test_inventory_retries_through_a_burst(inventory_sandbox, runner):  # pylint: disable=redefined-outer-name
    """429, a dropped connection, a proxy's 502 page and a slow answer: the list still comes."""
    sandbox = inventory_sandbox
    add_faults(
        sandbox,
        {"route": "GET /api/client", "count": 1, "status": 429, "body": "json", "headers": {"Retry-After": "1"}},
        {"route": "GET /api/client", "count": 1, "drop": True},
        {"route": "GET /api/client", "count": 1, "status": 502, "body": "html"},
        {"route": "GET /api/client", "count": 1, "delay": 1.5},
    )
    result = runner.inventory(runner.inventory_source(sandbox, timeout=1))
    clean_output(result.stdout + result.stderr, sandbox)
    assert result.returncode == 0, result.stderr
    hostvars = listed_hostvars(result)
    assert sorted(host["pterodactyl_identifier"] for host in hostvars.values()) == sorted(
        server["identifier"] for server in sandbox["servers"]
    )
    seen = statuses(sandbox, "/api/client")
    assert seen[:3] == [429, None, 502] and seen[-1] == 200 and len(seen) == 5, seen


FAILURES = {
    "500 page": (
        [{"status": 500, "body": "html", "count": 1}],
        {},
        ["HTTP 500", "Internal Server Error", "internal error"],
        1,
    ),
    "503 past the retries": ([{"status": 503, "body": "html", "count": 4}], {}, ["HTTP 503", "try again later"], 4),
    "slow past the retries": (
        [{"delay": 1.5, "count": 3}],
        {"timeout": 1, "retries": 2},
        ["timed out after 1 s", "raise timeout"],
        3,
    ),
    "dropped past the retries": ([{"drop": True, "count": 2}], {"retries": 1}, ["closed by the other side"], 2),
    "429 beyond rate_limit_wait": (
        [{"status": 429, "body": "json", "count": 1, "headers": {"Retry-After": "60"}}],
        {"rate_limit_wait": 2},
        ["Rate limit reached", "rate_limit_wait=2"],
        1,
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_inventory_fails_clearly(case, inventory_sandbox, runner):  # pylint: disable=redefined-outer-name
    faults, options, expected, requests_made = FAILURES[case]
    sandbox = inventory_sandbox
    add_faults(sandbox, *[dict(fault, route="GET /api/client") for fault in faults])
    result = runner.inventory(runner.inventory_source(sandbox, **options))
    clean_output(result.stdout + result.stderr, sandbox)
    assert result.returncode != 0
    assert "Pterodactyl inventory: GET /api/client failed" in result.stderr, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert "<html" not in result.stderr and "<center>" not in result.stderr
    assert len(statuses(sandbox, "/api/client")) == requests_made


def test_inventory_under_node_maintenance(quality_sandbox, runner):
    """resources: true skips the servers the panel would refuse (409) and says why."""
    sandbox = quality_sandbox()
    maintained = sandbox.server("delta")
    response = sandbox.control("PATCH", f"/servers/{maintained['identifier']}", json={"node_maintenance": True})
    assert response.status_code == 200, response.text
    sandbox.control("POST", "/reset")
    result = runner.inventory(runner.inventory_source(sandbox, resources=True, hostname="pterodactyl_identifier"))
    clean_output(result.stdout + result.stderr, sandbox)
    assert result.returncode == 0, result.stderr
    hostvars = listed_hostvars(result)
    delta = hostvars[maintained["identifier"]]
    assert delta["pterodactyl_is_node_under_maintenance"] is True
    assert delta["pterodactyl_state"] is None
    assert "maintenance" in delta["pterodactyl_resources_error"]
    alpha = hostvars[sandbox.server("alpha")["identifier"]]
    assert alpha["pterodactyl_state"] == "running"
    asked = [entry["path"] for entry in sandbox.requests_log() if entry["path"].endswith("/resources")]
    assert f"/api/client/servers/{maintained['identifier']}/resources" not in asked
    assert all(entry["status"] == 200 for entry in sandbox.requests_log())


# --------------------------------------------------------------------------- #
# The sandbox stopped in the middle of an operation
# --------------------------------------------------------------------------- #


def run_until_stopped(runner, sandbox, argv: list, env: dict, predicate) -> tuple[int, str]:
    """Start an Ansible command, wait for the request ``predicate`` matches, SIGTERM the sandbox."""
    proc = runner.start(*argv, env=env)
    try:
        wait_for_request(sandbox, predicate)
    except AssertionError:
        proc.kill()
        runner.finish(proc)
        raise
    code = sandbox.stop()
    assert code == 0, sandbox.log()
    return runner.finish(proc, timeout=120)


def play_until_stopped(runner, sandbox, name: str, tasks: str, predicate) -> tuple[int, str]:
    """Write ``tasks`` under PLAYBOOK_HEADER as the playbook ``name`` and run it until the sandbox is stopped.

    The sandbox is stopped at the request ``predicate`` matches; the output is checked for tracebacks and keys.
    """
    playbook = runner.write(name, PLAYBOOK_HEADER + tasks)
    argv = ["ansible-playbook", playbook, "-e", playbook_vars(runner, sandbox)]
    code, output = run_until_stopped(runner, sandbox, argv, {}, predicate)
    clean_output(output, sandbox)
    return code, output


def accepted_post(path: str):
    """A request-log predicate: the panel accepted (204) a POST to ``path``, i.e. the action was sent."""
    return lambda entry: entry["method"] == "POST" and entry["path"] == path and entry["status"] == 204


def test_stopped_while_server_power_waits(quality_sandbox, runner):
    sandbox = quality_sandbox()
    slowpoke = sandbox.server("slowpoke")["identifier"]
    tasks = """
    - name: Start slowpoke and wait for it
      gameops.pterodactyl.server_power:
        server: slowpoke
        state: started
"""
    code, output = play_until_stopped(
        runner, sandbox, "power.yml", tasks, accepted_post(f"/api/client/servers/{slowpoke}/power")
    )
    assert code == 2, output
    assert "fatal: [localhost]: FAILED!" in output
    # the websocket went away, then every attempt to get new credentials was refused
    assert "connection refused" in output, output[-4000:]
    assert '"previous_state": "offline"' in output and '"action": "start"' in output, output[-4000:]


def test_stopped_while_server_command_collects_output(quality_sandbox, runner):
    sandbox = quality_sandbox()
    alpha = sandbox.server("alpha")["identifier"]
    tasks = """
    - name: Ask alpha who is online and wait for a line that never comes
      gameops.pterodactyl.server_command:
        server: alpha
        command: list
        wait_for: never printed
        output_timeout: 60
"""
    code, output = play_until_stopped(
        runner, sandbox, "command.yml", tasks, accepted_post(f"/api/client/servers/{alpha}/command")
    )
    assert code == 2, output
    assert "1 of 1 command(s) were sent before this failure (list)" in output, output[-4000:]
    assert '"sent": [' in output and "connection refused" in output, output[-4000:]


def test_stopped_during_a_slow_read(quality_sandbox, runner):
    """SIGTERM while the panel is slow to answer: the sandbox finishes that answer (or not), then refuses."""
    sandbox = quality_sandbox()
    alpha = sandbox.server("alpha")["identifier"]
    add_faults(sandbox, {"route": f"GET /api/client/servers/{alpha}", "count": 1, "delay": 4})
    tasks = f"""
    - name: Read alpha's resources
      gameops.pterodactyl.resource_facts:
        server: {alpha}
"""
    code, output = play_until_stopped(
        runner, sandbox, "facts.yml", tasks, lambda entry: entry["path"] == f"/api/client/servers/{alpha}"
    )
    assert code == 2, output
    expected = (
        r"GET /api/client/servers/"
        + alpha
        + r"(/resources)? failed: connection refused \(127\.0\.0\.1:\d+\)\. Check that the panel runs"
    )
    assert re.search(expected, output), output[-4000:]


def test_stopped_while_the_inventory_reads(quality_sandbox, runner):
    """SIGTERM while the first of two pages is slow: the inventory fails, naming the refused request."""
    sandbox = quality_sandbox(servers=150, virtual=True)
    add_faults(sandbox, {"route": "GET /api/client", "count": 1, "delay": 4})
    source = runner.inventory_source(sandbox)
    code, output = run_until_stopped(
        runner,
        sandbox,
        ["ansible-inventory", "-i", source, "--list"],
        {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"},
        lambda entry: entry["path"] == "/api/client",
    )
    clean_output(output, sandbox)
    assert code != 0, output
    assert re.search(
        r"Pterodactyl inventory: GET /api/client failed: (connection refused|the connection was closed)", output
    ), output[-4000:]
