"""``python -m sandbox``: a local Pterodactyl panel and Wings node on 127.0.0.1.

See ``sandbox/README.md``. Writes the ready file once both sites accept connections; stops
cleanly on SIGINT/SIGTERM (every game-server process ended) and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import pathlib
import shutil
import signal
import socket
import sys
import tempfile
import time

from aiohttp import web

from . import fleet as fleet_mod
from .control import PREFIX, Control, drive_state
from .errors import ApiError
from .panel import Panel
from .power import ServerRuntime
from .wings import add_wings_routes

log = logging.getLogger("sandbox")

DEFAULT_SEED = 20241024


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    p.add_argument("--servers", type=int, default=None, help="generate a fleet of N servers (default 4)")
    p.add_argument("--fleet", help="load users, nodes, eggs and servers from this YAML file instead")
    p.add_argument("--ready-file", required=True, help="where to write the ready JSON")
    p.add_argument("--port", type=int, default=0, help="panel port (0 = any free port)")
    p.add_argument("--wings-port", type=int, default=0, help="Wings port (0 = any free port)")
    p.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="client API requests per minute per user (default 720, Pelican 256)",
    )
    p.add_argument(
        "--rate-period",
        type=float,
        default=60.0,
        help="length of the rate-limit window in seconds "
        "(default 60, as the real panel; shorter windows keep rate-limit tests fast)",
    )
    p.add_argument("--token-ttl", type=int, default=600, help="websocket JWT lifetime in seconds (default 600)")
    p.add_argument("--virtual", action="store_true", help="simulate servers without processes")
    p.add_argument(
        "--flavor",
        choices=("pterodactyl", "pelican"),
        default=None,
        help="panel behaviour (default pterodactyl, or the fleet file's flavor)",
    )
    p.add_argument(
        "--version",
        "--wings-version",
        dest="wings_version",
        default=None,
        metavar="VERSION",
        help="Wings version of the node: 1.11 (default, or the fleet file's wings_version) or 1.12 "
        "(the 1.12 security release: websocket rate limits, 30-socket cap, 4096-byte frames, close "
        "4409; 1.12.2+ requires the JWT scope claim); a bare 1.12 means the newest 1.12 modelled",
    )
    p.add_argument(
        "--panel-version",
        default=None,
        metavar="VERSION",
        help="panel version (default: the same as --version); 1.12.3+ puts scope=websocket in the "
        "websocket JWT, so --version 1.12 --panel-version 1.11 is a panel older than its node",
    )
    p.add_argument(
        "--server-identifiers",
        choices=fleet_mod.IDENTIFIER_STYLES,
        default=None,
        help="short: 8-character identifiers (default); serv: opt-in serv_ identifiers",
    )
    p.add_argument("--data-dir", help="folder for server data (default: a temporary folder removed at exit)")
    p.add_argument(
        "--backup-dir",
        help="where the node keeps backup archives (default: <data-dir>/.backups, beside the servers' folders)",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for uuids and names")
    p.add_argument("--log-level", default=os.environ.get("SANDBOX_LOG_LEVEL", "WARNING"))
    args = p.parse_args(argv)
    if args.fleet and args.servers is not None:
        p.error("use either --servers or --fleet")
    if args.servers is None and not args.fleet:
        args.servers = 4
    if args.servers is not None and args.servers < 0:
        p.error("--servers must be >= 0")
    return args


def build_fleet(args) -> fleet_mod.Fleet:
    flavor = args.flavor or "pterodactyl"
    if args.fleet:
        f = fleet_mod.load(args.fleet, seed=args.seed, flavor=flavor)
        if args.flavor:
            f.flavor = args.flavor
    else:
        f = fleet_mod.generate(args.servers, seed=args.seed, flavor=flavor)
    # the command line wins over the fleet file's settings
    if getattr(args, "wings_version", None):
        f.wings_version = str(args.wings_version)
        if not getattr(args, "panel_version", None) and not f.panel_version_set:
            f.panel_version = f.wings_version
    if getattr(args, "panel_version", None):
        f.panel_version = str(args.panel_version)
    if getattr(args, "server_identifiers", None):
        fleet_mod.apply_identifier_style(f, args.server_identifiers)
    return f


def ready_document(fleet: fleet_mod.Fleet, panel: Panel, control_url: str) -> dict:
    keys = {}
    for role, username in fleet.roles.items():
        try:
            user = fleet.user(username)
        except KeyError:
            continue
        key = fleet.first_key(user, "application" if role == "application" else "client")
        if key:
            keys[role] = key.token
    return {
        "panel_url": panel.panel_url,
        "wings_url": panel.wings_url,
        "control_url": control_url,
        "flavor": fleet.flavor,
        "pid": os.getpid(),
        "keys": keys,
        "user_keys": {u.username: [k.token for k in u.keys if k.key_type == "client"] for u in fleet.users},
        "application_keys": {
            u.username: [k.token for k in u.keys if k.key_type == "application"]
            for u in fleet.users
            if any(k.key_type == "application" for k in u.keys)
        },
        "roles": dict(fleet.roles),
        "users": {u.username: u.uuid for u in fleet.users},
        "nodes": [{"name": n.name, "fqdn": n.fqdn, "maintenance_mode": n.maintenance_mode} for n in fleet.nodes],
        "servers": [
            {
                "identifier": s.identifier,
                "uuid": s.uuid,
                "name": s.name,
                "status": s.status,
                "state": s.runtime.state if s.runtime else "offline",
                "owner": s.owner.username,
                "node": s.node.name,
                "egg": s.egg.name,
                "is_transferring": s.is_transferring,
                "subusers": {k: list(v) for k, v in s.subusers.items()},
                "allocation": f"{s.allocation.ip}:{s.allocation.port}",
                "data_dir": str(s.runtime.data_dir) if s.runtime else None,
            }
            for s in fleet.servers
        ],
        "backup_dir": str(panel.node_context.backup_dir) if panel.node_context.backup_dir else None,
        "rate_limit": panel.rate_limit,
        "rate_period": panel.rate_period,
        "token_ttl": panel.token_ttl,
        "virtual": bool(getattr(panel, "virtual", False)),
        "wings_version": fleet.wings_version,
        "panel_version": fleet.panel_version,
        "server_identifiers": fleet.identifier_style,
    }


def write_atomic(path: pathlib.Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


def _bound_port(site: web.TCPSite) -> int:
    return site._server.sockets[0].getsockname()[1]


def _accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True


async def run(args) -> int:
    fleet = build_fleet(args)
    rate_limit = args.rate_limit if args.rate_limit is not None else (256 if fleet.flavor == "pelican" else 720)

    own_data = args.data_dir is None
    data_root = pathlib.Path(tempfile.mkdtemp(prefix="sandbox-data-")) if own_data else pathlib.Path(args.data_dir)
    data_root.mkdir(parents=True, exist_ok=True)

    node_context = fleet_mod.NodeContext(
        servers_by_uuid=fleet.servers_by_uuid,
        daemon_token=fleet.daemon_token,
        token_ttl=args.token_ttl,
        boot_time=time.time(),
        flavor=fleet.flavor,
        wings_version=fleet.wings_version,
        fleet=fleet,
        backup_dir=pathlib.Path(args.backup_dir) if args.backup_dir else data_root / ".backups",
    )
    panel = Panel(fleet, node_context, rate_limit=rate_limit, token_ttl=args.token_ttl, rate_period=args.rate_period)
    panel.virtual = args.virtual
    control = Control(panel)

    for server in fleet.servers:
        server.runtime = ServerRuntime(server, data_dir=data_root / server.uuid, virtual=args.virtual)

    async def dispatch(request: web.Request) -> web.StreamResponse:
        if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
            return await control.handle(request)
        try:
            return await panel.handle(request)
        except ApiError as exc:
            return exc.response()

    # 100 MiB: the body limit of the documented install (nginx client_max_body_size, PHP post_max_size)
    panel_app = web.Application(middlewares=[control.middleware], client_max_size=100 * 1024 * 1024)
    panel_app.router.add_route("*", "/{tail:.*}", dispatch)
    wings_app = web.Application()
    add_wings_routes(wings_app, node_context)

    panel_runner = web.AppRunner(panel_app, access_log=None, handle_signals=False)
    wings_runner = web.AppRunner(wings_app, access_log=None, handle_signals=False)
    await panel_runner.setup()
    await wings_runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        panel_site = web.TCPSite(panel_runner, "127.0.0.1", args.port)
        await panel_site.start()
        wings_site = web.TCPSite(wings_runner, "127.0.0.1", args.wings_port)
        await wings_site.start()
        panel_port, wings_port = _bound_port(panel_site), _bound_port(wings_site)
        panel.panel_url = f"http://127.0.0.1:{panel_port}"
        panel.wings_url = f"http://127.0.0.1:{wings_port}"
        node_context.panel_url = panel.panel_url
        node_context.wings_url = panel.wings_url
        if not node_context.allowed_origins:
            node_context.allowed_origins = []
        await loop.run_in_executor(None, _accepts, panel_port)
        await loop.run_in_executor(None, _accepts, wings_port)
        panel.start_services()  # the schedules' cron (sandbox/schedules_runner.py)

        boot = [s for s in fleet.servers if s.initial_state == "running"]
        if boot:
            results = await asyncio.gather(
                *(drive_state(s.runtime, "running", timeout=60) for s in boot), return_exceptions=True
            )
            for s, r in zip(boot, results, strict=False):
                if isinstance(r, BaseException):
                    log.warning("server %s did not start at boot: %s", s.name, r)

        control_url = panel.panel_url + PREFIX
        write_atomic(pathlib.Path(args.ready_file), ready_document(fleet, panel, control_url))
        log.info("sandbox ready: panel %s, wings %s", panel.panel_url, panel.wings_url)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for closer in list(node_context.closers):  # the families' background jobs (backups, restores)
            try:
                await asyncio.wait_for(closer(), 15)
            except Exception:
                log.debug("a family closer failed", exc_info=True)
        await asyncio.gather(*(s.runtime.close() for s in fleet.servers if s.runtime), return_exceptions=True)
        try:
            result = node_context.drop_connections(None)
            if asyncio.iscoroutine(result):
                await asyncio.wait_for(result, 5)
        except Exception:
            log.debug("drop_connections at shutdown failed", exc_info=True)
        await panel_runner.cleanup()
        await wings_runner.cleanup()
        if own_data:
            shutil.rmtree(data_root, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        fleet_mod_check = args.fleet and pathlib.Path(args.fleet)
        if fleet_mod_check and not fleet_mod_check.exists():
            print(f"sandbox: fleet file not found: {args.fleet}", file=sys.stderr)
            return 2
        return asyncio.run(run(args))
    except fleet_mod.FleetError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
