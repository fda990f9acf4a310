"""What the schedules, subusers, databases and allocations tests share: a fleet with their cases (reference
panel-client-api-config.md §6-§9), the panel's texts, a client bound to one server and a few waits. Imported by
plain name (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import pathlib

import pytest
from sandbox_expect import launched, wait_for
from startup_expect import Client

from sandbox.launcher import Sandbox, launch

MANAGER = [
    "websocket.connect",
    "control.console",
    "schedule.read",
    "schedule.create",
    "schedule.update",
    "user.read",
    "user.create",
    "user.update",
    "user.delete",
    "database.read",
    "database.create",
    "database.update",
    "database.delete",
    "allocation.read",
    "allocation.create",
    "allocation.update",
    "allocation.delete",
]
READER = ["schedule.read", "user.read", "database.read", "allocation.read"]
FLEET = """
flavor: {flavor}
users: [owner, {{username: admin, root_admin: true}}, manager, reader, probe, other]
nodes:
  - {{name: node-1, ports: "26000-26001"}}
  - {{name: node-2}}
  - {{name: node-down, unreachable: true}}
database_hosts:
  - {{name: db-1, host: db1.sandbox.test, port: 3306, node: node-1, max_databases: 1}}
client_features:
  allocations: {{enabled: true, range_start: 27000, range_end: 27001}}
eggs:
  - {{name: Paper, boot_seconds: 0.2}}
servers:
  - name: main
    node: node-1
    feature_limits: {{databases: 2, allocations: 4, backups: 3}}
    subusers: {{manager: {manager}, reader: {reader}, probe: []}}
  - {{name: spare, node: node-1, feature_limits: {{databases: 5, allocations: 1, backups: 2}}}}
  - {{name: bare, node: node-1}}
  - {{name: faraway, node: node-2, feature_limits: {{databases: null, allocations: 2}}}}
  - {{name: down, node: node-down, feature_limits: {{backups: 2}}}}
  - {{name: extra, node: node-1, feature_limits: {{databases: 5, allocations: 5, backups: 2}}}}
roles: {{owner: owner, admin: admin, subuser: manager, other: other}}
"""

UNAUTHORIZED = "This action is unauthorized."
NOT_FOUND_UNKNOWN = "The requested resource could not be found on the server."
NOT_FOR_SERVER = "The requested resource was not found for this server."
GENERIC_500 = "An unexpected error was encountered while processing this request, please try again."
CRON_SPEC = {"minute": "*", "hour": "*", "day_of_month": "*", "month": "*", "day_of_week": "*"}


def launch_families(tmp: pathlib.Path, flavor: str = "pterodactyl", **options) -> Sandbox:
    """A sandbox over the fleet above (virtual game servers unless told)."""
    tmp.mkdir(parents=True, exist_ok=True)
    text = FLEET.format(flavor=flavor, manager=MANAGER, reader=READER)
    (tmp / "fleet.yml").write_text(text)
    options.setdefault("virtual", True)
    return launch(tmp / "sb", fleet=str(tmp / "fleet.yml"), **options)


WIDE = {"count": 1000, "period": 60}
THROTTLES = ("schedule_create_throttle", "subuser_create_throttle", "database_create_throttle")
THROTTLES += ("allocation_create_throttle",)


def launch_wide(tmp: pathlib.Path, flavor: str = "pterodactyl", **options) -> Sandbox:
    """:func:`launch_families` with Pelican's per-server creation limits widened (a test narrows one back)."""
    sb = launch_families(tmp, flavor, **options)
    settings(sb, **dict.fromkeys(THROTTLES, WIDE))
    return sb


def families_sandbox(name: str, flavor: str = "pterodactyl", **options):
    """A module-scoped fixture: :func:`launch_wide` in its own folder, stopped (exit 0) at the end."""
    return launched(name, launch_wide, flavor, **options)


class Server(Client):
    """The routes of one server (``op``: the path after the server's), called as one user."""

    default_server = "main"

    def ok(self, method: str, op: str = "", user: str | None = None, status: int = 200, **kwargs) -> dict:
        response = self(method, op, user, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else {}

    def schedule(self, name: str = "nightly", user: str | None = None, **fields) -> dict:
        body = {"name": name, **CRON_SPEC, "is_active": True, **fields}
        return self.ok("POST", "/schedules", user, json=body)["attributes"]

    def task(self, schedule: int, action: str = "command", payload: str | None = "say hi", offset=0, **extra):
        body = {"action": action, "payload": payload, "time_offset": offset, **extra}
        return self.ok("POST", f"/schedules/{schedule}/tasks", json=body)["attributes"]

    def settle(self, schedule: int, timeout: float = 20.0) -> dict:
        """The schedule once its run ended (not processing, a last run)."""

        def ended():
            attrs = self.ok("GET", f"/schedules/{schedule}")["attributes"]
            return attrs if not attrs["is_processing"] and attrs["last_run_at"] else None

        return wait_for(ended, timeout)

    def console(self) -> list[str]:
        return self.sb.control("GET", f"/servers/{self.server['uuid']}/console").json()["lines"]

    def tick(self, advance: float = 61) -> dict:
        response = self.sb.control("POST", "/schedules/tick", json={"advance": advance})
        assert response.status_code == 200, response.text
        return response.json()


def errors(response) -> list[tuple[str, str, str]]:
    """(code, status, detail) of every item of an error envelope."""
    return [(e["code"], e["status"], e["detail"]) for e in response.json()["errors"]]


def settings(sb: Sandbox, **body) -> dict:
    response = sb.control("PATCH", "/settings", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def flavored(name: str, **options):
    """(pt_sandbox, pl_sandbox, sb): a module's two sandboxes and a fixture running a test on each; assign them
    to those names."""

    @pytest.fixture(params=["pterodactyl", "pelican"])
    def sb(request):
        return request.getfixturevalue("pt_sandbox" if request.param == "pterodactyl" else "pl_sandbox")

    return families_sandbox(f"{name}-pt", **options), families_sandbox(f"{name}-pl", "pelican"), sb
