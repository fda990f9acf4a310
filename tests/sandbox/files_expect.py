"""What the files tests share: a fleet holding the cases of reference panel-client-api-config.md §2, a client
bound to one server, and the panel's texts. Imported by plain name (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import pathlib
import re

import requests
from sandbox_expect import ServerClient, launched

from sandbox.launcher import Sandbox, launch

FLEET = """
users:
  - {username: owner}
  - {username: admin, root_admin: true, keys: [client, application]}
  - {username: reader}
  - {username: editor}
  - {username: helper}
  - {username: other}
nodes:
  - {name: node-1}
  - {name: node-down, unreachable: true}
eggs:
  - name: Paper
    file_denylist: ["server.jar", "/secrets/", "*.lock", "!keep.lock"]
  - name: Strict
    eula_required: true
    boot_seconds: 0.2
servers:
  - name: files
    egg: Paper
    node: node-1
    subusers:
      reader: [file.read]
      editor: [file.read, file.read-content, file.create, file.update, file.delete, file.archive]
      helper: [websocket.connect]
  - {name: small, egg: Paper, node: node-1, limits: {disk: 1}}
  - {name: frozen, egg: Paper, node: node-1, status: suspended}
  - {name: far, egg: Paper, node: node-down}
  - {name: strict, egg: Strict, node: node-1}
roles: {owner: owner, admin: admin, application: admin, subuser: editor, other: other}
"""

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DAEMON_500 = re.compile(
    r"^There was an error while communicating with the machine running this server\. This error has been logged, "
    rf"please try again\. \(code: 500\) \(request_id: {UUID}\)$"
)
UNAUTHORIZED = "This action is unauthorized."
GENERIC_500 = "An unexpected error was encountered while processing this request, please try again."
DENYLISTED = "This file cannot be modified: present in egg denylist."
NO_DISK = "There is not enough disk space available to perform that action."
WINGS_GENERIC = "An unexpected error was encountered while processing this request"
NOT_ON_SERVER = "The requested resource was not found on this server."
ATOM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
FILE_OBJECT_KEYS = [
    "name",
    "mode",
    "mode_bits",
    "size",
    "is_file",
    "is_symlink",
    "mimetype",
    "created_at",
    "modified_at",
]


def remote(text: str) -> re.Pattern:
    """A Wings 4xx as the Pterodactyl panel words it."""
    return re.compile(rf"^An error occurred on the remote host: {re.escape(text)}\. \(request id: {UUID}\)$")


def launch_files(tmp: pathlib.Path, **options) -> Sandbox:
    """A sandbox over the fleet above (virtual game servers unless told; the data folders are real)."""
    tmp.mkdir(parents=True, exist_ok=True)
    fleet = tmp / "fleet.yml"
    fleet.write_text(FLEET)
    options.setdefault("virtual", True)
    return launch(tmp / "sb", fleet=str(fleet), **options)


def files_sandbox(name: str, **options):
    """A module-scoped fixture: :func:`launch_files` in its own folder, stopped (exit 0) at the end."""
    return launched(name, launch_files, **options)


class Files(ServerClient):
    """The files routes of one server, called as one user."""

    default_server = "files"

    def __call__(self, method: str, op: str, user: str | None = None, **kwargs) -> requests.Response:
        path = f"/api/client/servers/{self.server['identifier']}/files/{op}"
        return self.sb.api(method, path, self.key(user), **kwargs)

    def write(self, name: str, data: bytes | str, user: str | None = None) -> requests.Response:
        headers = {"Content-Type": "text/plain"}
        return self("POST", "write", user, params={"file": name}, data=data, headers=headers)

    def names(self, directory: str = "/", user: str | None = None) -> list[str]:
        response = self("GET", "list", user, params={"directory": directory})
        assert response.status_code == 200, response.text
        return [item["attributes"]["name"] for item in response.json()["data"]]

    def activity(self) -> list[dict]:
        path = f"/api/client/servers/{self.server['identifier']}/activity"
        response = self.sb.api("GET", path, self.key("owner"), params={"per_page": 100})
        return [item["attributes"] for item in response.json()["data"]]

    def signed_url(self, op: str, user: str | None = None, **params) -> str:
        response = self("GET", op, user, params=params)
        assert response.status_code == 200, response.text
        return response.json()["attributes"]["url"]
