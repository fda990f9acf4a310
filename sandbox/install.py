"""The node's side of a reinstall (W ``router/router_server.go::postServerReinstall``, ``server/install.go``), for
``POST /api/client/servers/{server}/settings/reinstall`` (sandbox/settings.py).

Wings refuses while the power lock is held (409 ``Cannot execute server reinstall event while another power
action is running.``), else answers 202 and in the background: stops a running server (the stop command, 10 s,
then a kill), publishes ``install started``, runs the install container (``daemon message`` ``Starting
installation process, this could take a few minutes...``, its lines as ``install output``, which only tokens with
``admin.websocket.install`` receive, then ``Installation process completed.``), reports the result to the panel
(status null, or ``reinstall_failed``; a suspended server stays suspended), leaves the state offline and publishes
``install completed``.

The install script is emulated: a few lines naming the version it installs (the egg's ``version_variable``).
A version in the egg's ``install_fail_versions`` makes the script fail (``curl: (22) ... 404`` and an error
line). Released Wings (W 1.11, PW) ignore the script's exit code (pelican-dev/wings#88), so with
``exit_code_checked`` off (``PATCH <control>/settings {"install_exit_code_checked": false}``) such an install is
reported successful, as a real node would; by default the sandbox reports it failed, like a failure Wings itself
sees. An install fault (``POST <control>/installs/faults``) fails the next install(s) of a server either in
Wings before the container runs (``stage: pull``: no ``daemon message``, no output) or in the script.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from . import eggvars

log = logging.getLogger("sandbox.install")

CONFLICT = "Cannot execute server reinstall event while another power action is running."
STARTING = "Starting installation process, this could take a few minutes..."
COMPLETED = "Installation process completed."
STOP_SECONDS = 10.0  # Reinstall(): WaitForStop(ctx, time.Second*10, true)
INSTALLER_IMAGE = "ghcr.io/pterodactyl/installers:alpine"
FAULT_STAGES = ("pull", "script")


@dataclasses.dataclass
class InstallSettings:
    """Per run, on the node context (``settings(node_context)``); changed through the control endpoint."""

    faults: list[dict] = dataclasses.field(default_factory=list)  # {"server": uuid, "count": n, "stage": ...}
    stop_timeout: float = STOP_SECONDS
    exit_code_checked: bool = True  # a failing install script fails the install (released Wings: False)
    logs: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # uuid -> the last install's output


class ReinstallRefused(Exception):
    """Wings' 409 (the power lock is held); ``str()`` is its ``error`` text."""


def settings(node_context: Any) -> InstallSettings:
    found = getattr(node_context, "install_settings", None)
    if found is None:
        found = InstallSettings()
        node_context.install_settings = found
    return found


def add_fault(node_context: Any, server: Any, body: dict) -> dict:
    """``POST <control_url>/installs/faults`` ``{"count": 1, "stage": "pull"|"script"}``; ValueError for a bad one."""
    count, stage = body.get("count", 1), body.get("stage", "pull")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError("count must be a whole number >= 1")
    if stage not in FAULT_STAGES:
        raise ValueError(f"stage must be one of {', '.join(FAULT_STAGES)}")
    fault = {"server": server.uuid, "count": count, "stage": stage}
    settings(node_context).faults.append(fault)
    return fault


def take_fault(node_context: Any, server: Any) -> dict | None:
    for fault in settings(node_context).faults:
        if fault["server"] == server.uuid and fault["count"] > 0:
            fault["count"] -= 1
            if fault["count"] <= 0:
                settings(node_context).faults.remove(fault)
            return fault
    return None


def request_reinstall(node_context: Any, server: Any) -> None:
    """``POST /api/servers/{uuid}/reinstall``: ReinstallRefused, else the install runs in the background."""
    runtime = server.runtime
    if runtime.executing_power_action():
        raise ReinstallRefused(CONFLICT)
    runtime.run_in_background(reinstall(node_context, server))


async def reinstall(node_context: Any, server: Any) -> bool:
    """``Server.Reinstall``: stop, then ``install(true)``; -> whether the panel was told it succeeded."""
    runtime = server.runtime
    if runtime.state != "offline":
        await runtime.wait_for_stop(settings(node_context).stop_timeout, terminate=True)
    runtime.publish("install started", [""])
    try:
        successful = await run_installer(node_context, server)
    except asyncio.CancelledError:
        raise
    except Exception:  # pragma: no cover - reported as a failed install, as Wings does with its errors
        log.exception("install of %s failed", server.uuid)
        successful = False
    if server.status != "suspended":  # ServerInstallController: a suspended server stays suspended
        server.status = None if successful else "reinstall_failed"
    runtime.publish("install completed", [""])
    return successful


async def run_installer(node_context: Any, server: Any) -> bool:
    """InstallationProcess.Run: pull the installer image, run the script, stream its lines."""
    conf = settings(node_context)
    fault = take_fault(node_context, server)
    if fault is not None and fault.get("stage", "pull") == "pull":
        log.info("install of %s: failed to pull updated installation container image for server", server.uuid)
        return False
    runtime = server.runtime
    runtime.publish("daemon message", [STARTING])
    lines, script_ok = script_output(server, failing=fault is not None)
    conf.logs[server.uuid] = lines
    egg = getattr(server, "egg", None)
    pause = max(0.0, float(getattr(egg, "install_seconds", 1.0) or 0.0)) / max(1, len(lines))
    for line in lines:
        await asyncio.sleep(pause)
        runtime.publish("install output", [line])
    if not script_ok and conf.exit_code_checked:
        return False
    runtime.publish("daemon message", [COMPLETED])
    return True


def script_output(server: Any, *, failing: bool = False) -> tuple[list[str], bool]:
    """The emulated install script's lines and whether it exits 0 (``install_fail_versions``, a script fault)."""
    egg = getattr(server, "egg", None)
    env = eggvars.environment(server)
    version = eggvars.game_version(server, env)
    jar = env.get("SERVER_JARFILE", "server.jar")
    lines = [
        "+ cd /mnt/server",
        "fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz",
        "OK: 14 MiB in 27 packages",
    ]
    if version is None:
        return [*lines, f"Installing {getattr(egg, 'name', 'the server')}", "Install finished"], not failing
    project = str(getattr(egg, "name", "paper")).split()[0].lower()
    url = f"https://api.papermc.io/v2/projects/{project}/versions/{version}/builds/latest/downloads/{jar}"
    lines += [f"Version being installed: {version}", f"Downloading {url}"]
    raw = env.get(str(egg.version_variable).upper(), "")
    if failing or {version, raw} & set(getattr(egg, "install_fail_versions", None) or []):
        lines += [
            "curl: (22) The requested URL returned error: 404",
            f"ERROR: {project} {version} could not be downloaded, the install script exits with code 1",
        ]
        return lines, False
    return [*lines, f"Saved {jar} ({version})", f"Install finished: {project} {version}"], True
