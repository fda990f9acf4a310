"""What the backups tests share: a fleet with the cases of reference panel-client-api-config.md §3, a client bound
to one server, the panel's texts and a websocket watcher. Imported by plain name (pytest puts this folder on
sys.path).
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import re
import tarfile

import aiohttp
import pytest
import requests
from sandbox_expect import ServerClient, launched, wait_for

from sandbox.launcher import Sandbox, launch

ALL = ["backup.create", "backup.read", "backup.delete", "backup.download", "backup.restore"]
FLEET = """
flavor: {flavor}
users:
  - {{username: owner}}
  - {{username: admin, root_admin: true, keys: [client, application]}}
  - {{username: reader}}
  - {{username: maker}}
  - {{username: keeper}}
  - {{username: watcher}}
  - {{username: probe}}
  - {{username: other}}
nodes:
  - {{name: node-1}}
  - {{name: node-down, unreachable: true}}
servers:
  - name: main
    node: node-1
    feature_limits: {{backups: 50}}
    subusers:
      reader: [websocket.connect, backup.read]
      maker: [backup.create, backup.read]
      keeper: [backup.create, backup.read, backup.delete]
      watcher: [websocket.connect]
      probe: []
  - {{name: spare, node: node-1, feature_limits: {{backups: 50}}}}
  - {{name: throttled, node: node-1, feature_limits: {{backups: 50}}}}
  - {{name: limited, node: node-1, feature_limits: {{backups: 1}}}}
  - {{name: none, node: node-1}}
  - {{name: far, node: node-down, feature_limits: {{backups: 5}}}}
  - {{name: tight, node: node-1, limits: {{disk: 1}}, feature_limits: {{backups: 5}}}}
  - {{name: running, node: node-1, feature_limits: {{backups: 5}}, subusers: {{watcher: [websocket.connect]}}}}
roles: {{owner: owner, admin: admin, application: admin, subuser: reader, other: other}}
"""

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ATOM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
SHA1 = re.compile(r"^sha1:[0-9a-f]{40}$")
UNAUTHORIZED = "This action is unauthorized."
NOT_FOUND_UNKNOWN = "The requested resource could not be found on the server."
NOT_FOR_SERVER = "The requested resource was not found for this server."
NOT_ON_NODE = "The requested resource was not found on this server."
BACKUP_NOT_ON_NODE = "The requested backup was not found on this server."
LOCKED = "Cannot delete a backup that is marked as locked."
NOT_RESTORABLE = "This server is not currently in a state that allows for a backup to be restored."
IN_PROGRESS = "This backup cannot be restored at this time: not completed or failed."
RESTORING = "This server is currently restoring from a backup, please try again later."
RESTORED = "Completed server restoration from local backup."
BACKUP_KEYS = ["uuid", "is_successful", "is_locked", "name", "ignored_files", "checksum", "bytes", "created_at"]
BACKUP_KEYS.append("completed_at")
DAEMON_500 = re.compile(
    r"^There was an error while communicating with the machine running this server\. This error has been logged, "
    rf"please try again\. \(code: 500\) \(request_id: {UUID}\)$"
)


def too_many(count: int = 2, period: int = 600) -> str:
    return f"Only {count} backups may be generated within a {period} second span of time."


def limit_text(limit: int) -> str:
    return f"Cannot create a new backup, this server has reached its limit of {limit} backups."


def launch_backups(tmp: pathlib.Path, flavor: str = "pterodactyl", **options) -> Sandbox:
    """A sandbox over the fleet above (real game processes when started)."""
    tmp.mkdir(parents=True, exist_ok=True)
    fleet = tmp / "fleet.yml"
    fleet.write_text(FLEET.format(flavor=flavor))
    return launch(tmp / "sb", fleet=str(fleet), **options)


def backups_fixtures(name: str, flavor: str = "pterodactyl", **options):
    """The fixtures ``sb, backups = backups_fixtures(name)``: the module's sandbox (:func:`launch_backups` in its
    own folder, stopped, exit 0, at the end) and, per test, a :class:`Backups` of ``main`` after :func:`fresh`."""

    @pytest.fixture
    def backups(sb):
        fresh(sb)
        return Backups(sb)

    return launched(name, launch_backups, flavor, **options), backups


def fresh(sb: Sandbox) -> None:
    """Reset the log, faults and windows; no creation throttle, quick backups, subusers as in the fleet."""
    sb.control("POST", "/reset")
    settings = {"backup_throttle": {"count": 2, "period": 0}, "backup_min_seconds": 0.1, "restore_stop_timeout": 30}
    settings["backup_restore_throttle"] = {"count": 3, "period": 900}
    assert sb.control("PATCH", "/settings", json=settings).status_code == 200
    sb.control("PUT", "/subusers", json={"server": "main", "username": "probe", "permissions": []})


class Backups(ServerClient):
    """The backups routes of one server, called as one user."""

    default_server = "main"

    @property
    def base(self) -> str:
        return f"/api/client/servers/{self.server['identifier']}/backups"

    def __call__(self, method: str, tail: str = "", user: str | None = None, **kwargs) -> requests.Response:
        return self.sb.api(method, self.base + tail, self.key(user), **kwargs)

    def create(self, user: str | None = None, **body) -> dict:
        response = self("POST", "", user, json=body)
        assert response.status_code == 200, response.text
        return response.json()["attributes"]

    def get(self, uuid: str) -> dict:
        response = self("GET", "/" + uuid)
        assert response.status_code == 200, response.text
        return response.json()["attributes"]

    def done(self, uuid: str, timeout: float = 20.0) -> dict:
        """The backup once the node has reported on it."""
        return wait_for(lambda: (item := self.get(uuid))["completed_at"] and item, timeout, 0.05)

    def made(self, user: str | None = None, **body) -> dict:
        return self.done(self.create(user, **body)["uuid"])

    def status(self) -> str | None:
        return self.sb.control("GET", f"/servers/{self.server['identifier']}").json()["status"]

    def restored(self, timeout: float = 20.0) -> None:
        wait_for(lambda: self.status() is None, timeout, 0.05)

    def archive(self, uuid: str) -> pathlib.Path:
        root = pathlib.Path(self.sb["backup_dir"])
        if self.sb["flavor"] == "pelican":
            return root / self.server["uuid"] / f"{uuid}.tar.gz"
        return root / f"{uuid}.tar.gz"

    def members(self, uuid: str) -> dict[str, bytes]:
        with tarfile.open(self.archive(uuid), "r:gz") as archive:
            return {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}

    def activity(self) -> list[dict]:
        path = f"/api/client/servers/{self.server['identifier']}/activity"
        response = self.sb.api("GET", path, self.key("owner"), params={"per_page": 100, "sort": "-timestamp"})
        return [item["attributes"] for item in response.json()["data"]]

    def events(self, *names: str) -> list[tuple[str, dict]]:
        """(event, properties) of the server's activity, newest first, only ``names`` when given."""
        return [(a["event"], a["properties"]) for a in self.activity() if not names or a["event"] in names]

    def permit(self, user: str, permissions: list[str]) -> None:
        body = {"server": self.server["identifier"], "username": user, "permissions": permissions}
        assert self.sb.control("PUT", "/subusers", json=body).status_code == 200


def watch(sb: Sandbox, server: dict, users: list[str], action, until, timeout: float = 20.0, settle: float = 0.4):
    """Open a websocket of ``server`` for each user, run ``action()``, and collect every event but ``stats`` until
    ``until(events of the first user)`` holds, then ``settle`` s more: -> {user: [(event, args)]}."""
    tokens = {}
    for user in users:
        key = sb["user_keys"][user][0]
        response = sb.api("GET", f"/api/client/servers/{server['identifier']}/websocket", key)
        assert response.status_code == 200, response.text
        tokens[user] = response.json()["data"]

    async def main() -> dict:
        seen: dict[str, list] = {user: [] for user in users}
        async with aiohttp.ClientSession() as session:
            sockets = {}
            for user, data in tokens.items():
                ws = await session.ws_connect(data["socket"], headers={"Origin": sb["panel_url"]})
                await ws.send_str(json.dumps({"event": "auth", "args": [data["token"]]}))
                while json.loads((await ws.receive(timeout=10)).data)["event"] != "auth success":
                    pass
                sockets[user] = ws

            async def read(user: str, ws) -> None:
                async for msg in ws:
                    event = json.loads(msg.data)
                    if event["event"] != "stats":
                        seen[user].append((event["event"], event.get("args")))

            readers = [asyncio.ensure_future(read(user, ws)) for user, ws in sockets.items()]
            await asyncio.sleep(0.2)  # the first status/stats after auth
            for user in users:
                seen[user].clear()
            await asyncio.get_running_loop().run_in_executor(None, action)
            async with asyncio.timeout(timeout):
                while not until(seen[users[0]]):
                    await asyncio.sleep(0.05)
            await asyncio.sleep(settle)
            for ws in sockets.values():
                await ws.close()
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        return seen

    return asyncio.run(main())


def has(event: str):
    """A ``watch`` condition: ``event`` was seen."""
    return lambda seen: any(name == event for name, _args in seen)
