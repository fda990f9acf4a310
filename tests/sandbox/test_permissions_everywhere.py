"""Subuser permissions apply across every route (issue 16, "Subuser permissions apply across every route"), both
flavors: for each server route of the collection's route table (whose permissions test_routes.py holds against
both panels' sources), a subuser holding every other permission is refused with a 403, and one holding only
that permission gets past the check. The bound resources exist, so no 404 of a binding answers first."""

from __future__ import annotations

import re

from families_expect import CRON_SPEC, Server, flavored

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _routes

pt_sandbox, pl_sandbox, sb = flavored("permissions")

SERVER_PATH = re.compile(r"^/api/client/servers/\{server\}")


def guarded(flavor: str) -> list[tuple[str, str, str, str]]:
    """(name, method, path after the server's, permission) of each server route with one permission on this
    panel; the reinstall last (it makes the server installing, which answers every route with a 409)."""
    rows = []
    for row in [*_routes.ROUTES.values(), *_routes.NOT_YET_USED.values()]:
        if _routes.ONLY_ON.get(row.name, flavor) != flavor or not SERVER_PATH.match(row.path):
            continue
        permission = row.permission
        if isinstance(permission, dict):
            permission = permission[flavor]
        if isinstance(permission, str):
            rows.append((row.name, row.method, SERVER_PATH.sub("", row.path), permission))
    return sorted(rows, key=lambda r: r[0] == "settings_reinstall")


class Resources:
    """The bound resources of the server's routes, made again by the owner when a route deleted one."""

    def __init__(self, main: Server) -> None:
        self.main = main

    def schedule(self) -> dict:
        listed = self.main.ok("GET", "/schedules")["data"]
        if listed:
            return listed[0]["attributes"]
        body = {"name": "guarded", **CRON_SPEC, "is_active": False}
        return self.main.ok("POST", "/schedules", json=body)["attributes"]

    def values(self, path: str) -> dict:
        values = {}
        if "{schedule}" in path:
            schedule = self.schedule()
            values["schedule"] = schedule["id"]
            tasks = schedule.get("relationships", {}).get("tasks", {}).get("data", [])
            if not tasks and "{task}" in path:
                body = {"action": "command", "payload": "say hi", "time_offset": 0}
                tasks = [self.main.ok("POST", f"/schedules/{schedule['id']}/tasks", json=body)]
            if "{task}" in path:
                values["task"] = tasks[0]["attributes"]["id"]
        if "{backup}" in path:
            listed = self.main.ok("GET", "/backups")["data"] or [self.main.ok("POST", "/backups", json={})]
            values["backup"] = listed[0]["attributes"]["uuid"]
        if "{database}" in path:
            listed = self.main.ok("GET", "/databases")["data"]
            if not listed:
                listed = [self.main.ok("POST", "/databases", json={"database": "guarded", "remote": "%"})]
            values["database"] = listed[0]["attributes"]["id"]
        if "{allocation}" in path:
            listed = self.main.ok("GET", "/network/allocations")["data"]
            spare = [item for item in listed if not item["attributes"]["is_default"]]
            if not spare:
                spare = [self.main.ok("POST", "/network/allocations")]
            values["allocation"] = spare[0]["attributes"]["id"]
        if "{user}" in path:
            listed = self.main.ok("GET", "/users")["data"]
            other = [item for item in listed if item["attributes"]["username"] == "other"]
            if not other:
                body = {"email": "other@example.com", "permissions": ["control.console"]}
                other = [self.main.ok("POST", "/users", json=body)]
            values["user"] = other[0]["attributes"]["uuid"]
        return values


def hold(sb, main: Server, permissions: list[str]) -> None:
    body = {"server": main.server["identifier"], "username": "probe", "permissions": permissions}
    response = sb.control("PUT", "/subusers", json=body)
    assert response.status_code == 200, response.text


def test_every_server_route_checks_its_permission(sb):
    main = Server(sb, "main")
    routes = guarded(sb["flavor"])
    assert len(routes) >= 40  # files, backups, schedules, startup, settings, subusers, databases, allocations
    everything = sorted({route[-1] for route in routes} | {"control.start", "control.stop"})
    resources = Resources(main)
    lacking = []
    for name, method, op, permission in routes:
        hold(sb, main, [key for key in everything if key != permission])
        target = op.format(**resources.values(op))
        response = main(method, target, "probe", json=None if method == "GET" else {})
        if response.status_code != 403:
            lacking.append(f"{name}: {method} {target} without {permission}: {response.status_code}")
    assert not lacking, lacking
    passed = []
    for name, method, op, permission in routes:
        hold(sb, main, [permission])
        target = op.format(**resources.values(op))
        response = main(method, target, "probe", json=None if method == "GET" else {})
        if response.status_code == 403:
            passed.append(f"{name}: {method} {target} with {permission}: {response.text}")
    assert not passed, passed
