"""What the startup, settings and reinstall tests share: a fleet holding the cases of reference
panel-client-api-config.md §4 and §5, the panel's texts, a client bound to one server, and a websocket recorder.
Imported by plain name (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import asyncio
import json
import pathlib

import aiohttp
import requests
from sandbox_expect import ServerClient, launched

from sandbox.launcher import Sandbox, launch

JAVA_21 = "ghcr.io/pterodactyl/yolks:java_21"
JAVA_17 = "ghcr.io/pterodactyl/yolks:java_17"
CUSTOM_IMAGE = "registry.example.com/custom:latest"
STARTUP = "java -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}} --port {{SERVER_PORT}} --token {{SECRET_TOKEN}}"

FLEET = f"""
users:
  - {{username: owner}}
  - {{username: admin, root_admin: true}}
  - {{username: reader}}
  - {{username: editor}}
  - {{username: helper}}
  - {{username: other}}
eggs:
  - name: Paper
    startup: "{STARTUP}"
    docker_images: {{"Java 21": "{JAVA_21}", "Java 17": "{JAVA_17}"}}
    boot_seconds: 0.2
    install_seconds: 0.3
    version_variable: MINECRAFT_VERSION
    latest_version: "1.21.1"
    crash_versions: ["1.99"]
    install_fail_versions: ["0.0.1"]
    variables:
      - {{name: Minecraft Version, env_variable: MINECRAFT_VERSION, default_value: latest, sort: 3,
          rules: "required|string|max:20"}}
      - {{name: Server Jar File, env_variable: SERVER_JARFILE, default_value: server.jar, sort: 1,
          rules: "required|regex:/^([\\\\w\\\\d._-]+)(\\\\.jar)$/"}}
      - {{name: Secret Token, env_variable: SECRET_TOKEN, default_value: s3cret, user_viewable: false}}
      - {{name: Build, env_variable: BUILD_NUMBER, default_value: "42", user_editable: false,
          rules: "required|integer"}}
      - {{name: Motd Colour, env_variable: MOTD_COLOUR, default_value: "", rules: "nullable|alpha_num|between:3,8"}}
      - {{name: Mode, env_variable: MODE, default_value: a, sort: 2, rules: ["required", "regex:/^(a|b)$/"]}}
  - name: Stubborn
    stop: halt
    boot_seconds: 0.2
    install_seconds: 0.2
servers:
  - name: alpha
    subusers:
      reader: [startup.read]
      editor: [startup.read, startup.update, startup.docker-image, settings.rename, settings.description,
               settings.reinstall, websocket.connect]
      helper: [websocket.connect]
  - {{name: custom, docker_image: "{CUSTOM_IMAGE}"}}
  - {{name: frozen, status: suspended}}
  - {{name: spare}}
  - {{name: stubborn, egg: Stubborn}}
roles: {{owner: owner, admin: admin, subuser: editor, other: other}}
"""

UNAUTHORIZED = "This action is unauthorized."
GENERIC_500 = "An unexpected error was encountered while processing this request, please try again."
DOES_NOT_EXIST = "The environment variable you are trying to edit does not exist."
READ_ONLY = "The environment variable you are trying to edit is read-only."
MANUAL_IMAGE = "This server's Docker image has been manually set by an administrator and cannot be updated."
NOT_INSTALLED = "This server has not yet completed its installation process, please try again later."
REINSTALL_LOCKED = "Cannot execute server reinstall event while another power action is running."
STARTING = "Starting installation process, this could take a few minutes..."
COMPLETED = "Installation process completed."


def launch_startup(tmp: pathlib.Path, **options) -> Sandbox:
    """A sandbox over the fleet above (virtual game servers unless told)."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "fleet.yml").write_text(FLEET)
    options.setdefault("virtual", True)
    return launch(tmp / "sb", fleet=str(tmp / "fleet.yml"), **options)


def startup_sandbox(name: str, **options):
    """A module-scoped fixture: :func:`launch_startup` in its own folder, stopped (exit 0) at the end."""
    return launched(name, launch_startup, **options)


def details(response: requests.Response) -> list[tuple[str, str]]:
    """(rule, detail) of each item of a 422."""
    return [(item["meta"]["rule"], item["detail"]) for item in response.json()["errors"]]


class Client(ServerClient):
    """The routes of one server (``op``: the path after the server's), called as one user."""

    default_server = "alpha"

    def __call__(self, method: str, op: str = "", user: str | None = None, **kwargs) -> requests.Response:
        target = f"/api/client/servers/{self.server['identifier']}{op}"
        return self.sb.api(method, target, self.key(user), **kwargs)

    def put_variable(self, key, value, user: str | None = None, **extra) -> requests.Response:
        return self("PUT", "/startup/variable", user, json={"key": key, "value": value, **extra})

    def state(self) -> dict:
        return self.sb.control("GET", f"/servers/{self.server['uuid']}").json()

    def patch(self, **body) -> dict:
        response = self.sb.control("PATCH", f"/servers/{self.server['uuid']}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def activity(self) -> list[dict]:
        response = self("GET", "/activity", "owner", params={"per_page": 100})
        return [item["attributes"] for item in response.json()["data"]]

    def events(self, name: str) -> list[dict]:
        return [entry["properties"] for entry in self.activity() if entry["event"] == name]


def record(sb: Sandbox, server: dict, users: list[str], action, until="install completed", timeout=30.0):
    """The events each user's websocket of ``server`` receives after ``action()`` ran (sockets authenticated
    first), up to the event named ``until`` or for which ``until(event, args)`` is true (each socket), as
    {user: [(event, args), ...]}."""
    done = until if callable(until) else (lambda name, _args: name == until)

    async def one(session: aiohttp.ClientSession, user: str, ready: asyncio.Event, go: asyncio.Event) -> list:
        key = sb["user_keys"][user][0]
        target = f"/api/client/servers/{server['identifier']}/websocket"
        data = sb.api("GET", target, key).json()["data"]
        ws = await session.ws_connect(data["socket"], headers={"Origin": sb["panel_url"]})
        await ws.send_str(json.dumps({"event": "auth", "args": [data["token"]]}))
        while json.loads((await ws.receive()).data)["event"] != "auth success":
            pass
        while True:  # the answers to auth (status, stats) are not part of what the action causes
            try:
                await ws.receive(timeout=0.3)
            except TimeoutError:
                break
        ready.set()
        await go.wait()
        seen = []
        async for msg in ws:
            event = json.loads(msg.data)
            seen.append((event["event"], event.get("args")))
            if done(event["event"], event.get("args")):
                break
        await ws.close()
        return seen

    async def main() -> dict:
        async with aiohttp.ClientSession() as session, asyncio.timeout(timeout):
            go = asyncio.Event()
            readies = [asyncio.Event() for _unused in users]
            tasks = [asyncio.create_task(one(session, u, r, go)) for u, r in zip(users, readies, strict=True)]
            await asyncio.gather(*(r.wait() for r in readies))
            go.set()
            await asyncio.get_running_loop().run_in_executor(None, action)
            return dict(zip(users, await asyncio.gather(*tasks), strict=True))

    return asyncio.run(main())


def without_stats(events: list) -> list:
    return [(name, args) for name, args in events if name != "stats"]
