"""The sandbox's data model: users, API keys, nodes, eggs, servers, subusers, activity.

A fleet is either generated (``--servers N``, deterministic from a seed) or loaded from a
YAML file (``--fleet FILE``, format in ``sandbox/README.md``). API key secrets and node
daemon tokens are random per run; uuids, identifiers and names only depend on the seed.

Attributes the node side (``sandbox/power.py``, ``sandbox/wings.py``) relies on:

* ``Server.uuid``, ``Server.identifier``, ``Server.name``, ``Server.limits`` (memory MiB, disk MiB, ...),
  ``Server.egg.startup_done`` / ``Server.egg.stop_command``, ``Server.node``,
  ``Server.status`` / ``Server.is_suspended``, the game options ``Server.boot_seconds``,
  ``Server.crash_after``, ``Server.noisy``, ``Server.invalid_utf8`` (also as the dict ``Server.game``),
  ``Server.initial_state`` (``offline`` | ``running``) and ``Server.runtime`` (set by ``__main__``);
  ``Server.egg.file_denylist`` (the files API, sandbox/files_fs.py) and ``Server.egg.eula_required`` (the game).
* :class:`NodeContext` is what ``sandbox.wings.add_wings_routes`` receives.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import pathlib
import random
import secrets
import string
import time
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

import yaml

ALNUM = string.ascii_letters + string.digits
# How a server's game process behaves: an egg's defaults, overridden per server (Server.game is them as a dict).
GAME_OPTIONS = ("boot_seconds", "crash_after", "noisy", "invalid_utf8")

# Pterodactyl 1.11 permission keys, in the panel's order (group -> keys).
PERMISSION_GROUPS: dict[str, list[str]] = {
    "websocket": ["connect"],
    "control": ["console", "start", "stop", "restart"],
    "user": ["create", "read", "update", "delete"],
    "file": ["create", "read", "read-content", "update", "delete", "archive", "sftp"],
    "backup": ["create", "read", "delete", "download", "restore"],
    "allocation": ["read", "create", "update", "delete"],
    "startup": ["read", "update", "docker-image"],
    "database": ["create", "read", "update", "delete", "view_password"],
    "schedule": ["create", "read", "update", "delete"],
    "settings": ["rename", "reinstall"],
    "activity": ["read"],
}

# Pelican's flat list (hyphenated database key, mount and extra settings keys).
PELICAN_PERMISSIONS: list[str] = (
    ["websocket.connect", "control.console", "control.start", "control.stop", "control.restart"]
    + [f"user.{k}" for k in ("create", "read", "update", "delete")]
    + [f"file.{k}" for k in PERMISSION_GROUPS["file"]]
    + [f"backup.{k}" for k in PERMISSION_GROUPS["backup"]]
    + [f"allocation.{k}" for k in PERMISSION_GROUPS["allocation"]]
    + [f"startup.{k}" for k in PERMISSION_GROUPS["startup"]]
    + [f"database.{k}" for k in ("create", "read", "update", "delete", "view-password")]
    + [f"schedule.{k}" for k in PERMISSION_GROUPS["schedule"]]
    + ["settings.rename", "settings.description", "settings.reinstall", "settings.change-icon"]
    + ["activity.read", "mount.read", "mount.update"]
)

ADMIN_PERMISSIONS = ["*", "admin.websocket.errors", "admin.websocket.install", "admin.websocket.transfer"]

STATUSES = (None, "installing", "install_failed", "reinstall_failed", "suspended", "restoring_backup")

DEFAULT_HELPER_PERMISSIONS = ["websocket.connect", "control.console", "control.start", "activity.read"]

# Server identifiers: "short" = the first 8 characters of the uuid (Pterodactyl 1.11); "serv" = the
# opt-in prefixed form, "serv_" + those 8 characters (the sandbox's choice, see sandbox/README.md).
IDENTIFIER_STYLES = ("short", "serv")
SERV_PREFIX = "serv_"
DEFAULT_VERSION = "1.11"


class FleetError(ValueError):
    """A fleet file that cannot be loaded."""


def _rand_str(n: int, rng: random.Random | None = None) -> str:
    if rng is None:
        return "".join(secrets.choice(ALNUM) for _ in range(n))
    return "".join(rng.choice(ALNUM) for _ in range(n))


def _uuid(rng: random.Random) -> str:
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


def iso(ts: float) -> str:
    """ISO-8601 'atom' format in UTC with a numeric offset, like the panel."""
    return datetime.datetime.fromtimestamp(int(ts), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclasses.dataclass(eq=False)
class ApiKey:
    identifier: str  # first 16 characters of the token (prefix + 11)
    secret: str  # the other 32 characters
    key_type: str  # "client" | "application"
    user: User
    id: int = 0
    allowed_ips: list[str] = dataclasses.field(default_factory=list)  # CIDR ranges; empty = any

    @property
    def token(self) -> str:
        return self.identifier + self.secret


@dataclasses.dataclass(eq=False)
class User:
    id: int
    uuid: str
    username: str
    email: str
    root_admin: bool = False
    first_name: str = ""
    last_name: str = ""
    language: str = "en"
    use_totp: bool = False
    created_at: float = 0.0
    keys: list[ApiKey] = dataclasses.field(default_factory=list)

    @property
    def image(self) -> str:
        return "https://gravatar.com/avatar/" + hashlib.md5(self.email.lower().encode()).hexdigest()


@dataclasses.dataclass(eq=False)
class Node:
    id: int
    name: str
    fqdn: str
    maintenance_mode: bool = False
    daemon_sftp: int = 2022
    daemon_sftp_alias: str | None = None
    daemon_token_id: str = ""
    daemon_token: str = ""
    unreachable: bool = False  # the panel cannot reach this node's Wings (DaemonConnectionException)
    # the node's allocations no server holds (sandbox/allocations.py: the client's auto-assignment takes them)
    free_allocations: list[Allocation] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(eq=False)
class EggVariable:
    name: str
    description: str
    env_variable: str
    default_value: str
    user_viewable: bool = True
    user_editable: bool = True
    rules: str = "required|string|max:20"
    # the startup family (sandbox/startup.py): Pelican lists by ``sort``; ``rule_list`` keeps a fleet file's list
    # of rules (PL validates each element as one rule, PT explodes ``rules`` on "|")
    sort: int | None = None
    rule_list: list[str] | None = None


@dataclasses.dataclass(eq=False)
class Egg:
    id: int
    uuid: str
    name: str
    startup_done: str = ')! For help, type "help"'
    stop_command: str = "stop"
    startup: str = "java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}"
    docker_image: str = "ghcr.io/pterodactyl/yolks:java_17"
    features: list[str] | None = None
    variables: list[EggVariable] = dataclasses.field(default_factory=list)
    file_denylist: list[str] = dataclasses.field(default_factory=list)  # gitignore lines Wings refuses (files API)
    eula_required: bool = False  # the game refuses to boot until eula.txt says eula=true
    # the startup family: display name -> image (the panel's ``docker_images``), the variable the game prints as
    # its version (``latest`` or empty means ``latest_version``), versions that crash at boot / fail to install
    docker_images: dict[str, str] = dataclasses.field(default_factory=dict)
    version_variable: str | None = None
    latest_version: str = "1.20.4"
    crash_versions: list[str] = dataclasses.field(default_factory=list)
    install_fail_versions: list[str] = dataclasses.field(default_factory=list)
    install_seconds: float = 1.0  # how long the emulated install script runs
    # default game options for servers of this egg
    boot_seconds: float = 1.0
    crash_after: float | None = None
    noisy: bool = False
    invalid_utf8: bool = False


@dataclasses.dataclass(eq=False)
class Allocation:
    id: int
    ip: str
    port: int
    ip_alias: str | None = None
    notes: str | None = None


@dataclasses.dataclass(eq=False)
class DatabaseHost:
    """A fleet file's ``database_hosts`` entry (no database server behind it: sandbox/databases.py)."""

    id: int
    name: str
    host: str
    port: int = 3306
    node: Node | None = None  # the node it is linked to (None: any server may get it at random)
    max_databases: int | None = None  # kept and shown in the state; the client API does not check it


# The panel's client_features (PT config/pterodactyl.php, PL config/panel.php), a fleet file's top-level
# ``client_features`` and ``PATCH <control_url>/settings`` change them.
CLIENT_FEATURES = {
    "databases": {"enabled": True, "allow_random": True},
    "schedules": {"per_schedule_task_limit": 10},
    "allocations": {"enabled": False, "range_start": None, "range_end": None, "create_new": True},
}


def client_features_defaults() -> dict:
    return {group: dict(values) for group, values in CLIENT_FEATURES.items()}


def merge_client_features(current: dict, doc: Any) -> None:
    """Apply ``{group: {option: value}}`` over ``current``; FleetError for an unknown group, option or type."""
    if not isinstance(doc, dict):
        raise FleetError("client_features is a mapping: {databases: {...}, schedules: {...}, allocations: {...}}")
    for group, values in doc.items():
        if group not in CLIENT_FEATURES or not isinstance(values, dict):
            raise FleetError(f"client_features: unknown group {group!r} (one of {', '.join(CLIENT_FEATURES)})")
        for option, value in values.items():
            if option not in CLIENT_FEATURES[group]:
                known = ", ".join(CLIENT_FEATURES[group])
                raise FleetError(f"client_features.{group}: unknown option {option!r} (one of {known})")
            default = CLIENT_FEATURES[group][option]
            if isinstance(default, bool) or option in ("enabled", "allow_random", "create_new"):
                if not isinstance(value, bool):
                    raise FleetError(f"client_features.{group}.{option} is true or false")
            elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise FleetError(f"client_features.{group}.{option} is a whole number >= 0 (or null)")
            current[group][option] = value


def _port_list(spec: Any, where: str) -> list[int]:
    """``[25600, "25610-25615"]`` or ``"25600-25605"`` -> ports."""
    items = spec if isinstance(spec, list) else [spec]
    ports: list[int] = []
    for item in items:
        text = str(item)
        low, dash, high = text.partition("-")
        try:
            first, last = int(low), int(high) if dash else int(low)
        except ValueError:
            raise FleetError(f"{where}: {text!r} is not a port or a range of ports") from None
        if not 1024 <= first <= last <= 65535 or last - first > 1000:
            raise FleetError(f"{where}: {text!r} is not a range within 1024-65535 (1000 ports at most)")
        ports.extend(range(first, last + 1))
    return ports


@dataclasses.dataclass(eq=False)
class Server:
    id: int
    uuid: str
    identifier: str
    name: str
    owner: User
    node: Node
    egg: Egg
    description: str = ""
    external_id: str | None = None
    status: str | None = None
    is_transferring: bool = False
    limits: dict = dataclasses.field(default_factory=dict)
    feature_limits: dict = dataclasses.field(default_factory=dict)
    allocations: list[Allocation] = dataclasses.field(default_factory=list)
    variable_values: dict[str, str] = dataclasses.field(default_factory=dict)
    subusers: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # username -> permissions
    initial_state: str = "offline"
    docker_image: str = ""  # the server's own image ("" = the egg's default); an admin may set one outside the map
    boot_seconds: float = 1.0
    crash_after: float | None = None
    noisy: bool = False
    invalid_utf8: bool = False
    runtime: Any = None  # sandbox.power.ServerRuntime, set at startup
    # the primary allocation (``allocation_id``) when it is not the first one (set-primary, sandbox/allocations.py)
    primary: Allocation | None = None

    @property
    def is_suspended(self) -> bool:
        return self.status == "suspended"

    @property
    def game(self) -> dict:
        return {option: getattr(self, option) for option in GAME_OPTIONS}

    @property
    def allocation(self) -> Allocation:
        return self.primary if self.primary is not None else self.allocations[0]


@dataclasses.dataclass(eq=False)
class ActivityEntry:
    id: int
    event: str
    actor: User | None
    subject: Any  # Server or User
    properties: dict
    ip: str
    is_api: bool
    timestamp: float
    api_key_id: int | None = None


@dataclasses.dataclass(eq=False)
class NodeContext:
    """What ``sandbox.wings.add_wings_routes`` gets (one Wings site serves every node)."""

    servers_by_uuid: dict[str, Server]
    daemon_token: str
    panel_url: str = ""
    allowed_origins: list[str] = dataclasses.field(default_factory=list)
    boot_time: float = dataclasses.field(default_factory=time.time)
    token_ttl: int = 600
    denied_jtis: dict[str, float] = dataclasses.field(default_factory=dict)  # jti -> deny time
    flavor: str = "pterodactyl"
    wings_url: str = ""
    wings_version: str = DEFAULT_VERSION  # "1.12" turns on the Wings 1.12 websocket limits (sandbox/wings.py)
    # the files API's node side (sandbox/files_wings.py, sandbox/signed_urls.py)
    fleet: Any = None  # for the activity Wings reports to the panel (server:file.uploaded)
    upload_limit: int = 100  # api.upload_limit: MB per uploaded file
    used_unique_ids: dict[str, float] = dataclasses.field(default_factory=dict)  # signed URL unique_id -> expiry
    transfer_faults: list[dict] = dataclasses.field(default_factory=list)  # armed upload/download faults
    # the backups' node side (sandbox/backups_wings.py)
    backup_dir: Any = None  # system.backup_directory: where the archives are kept (None: a temporary folder)
    backup_min_seconds: float = 0.5  # the least time a backup takes (so that "in progress" can be seen)
    restore_stop_timeout: float = 120.0  # how long a restore waits for the server to stop (no kill)
    backup_faults: list[dict] = dataclasses.field(default_factory=list)  # armed failures: {"server", "count"}
    closers: list[Callable[[], Any]] = dataclasses.field(default_factory=list)  # awaited at shutdown (families)
    # replaced by sandbox.wings.add_wings_routes
    drop_connections: Callable[..., Any] = lambda uuid=None: 0


class Fleet:
    def __init__(self, flavor: str = "pterodactyl"):
        self.flavor = flavor
        self.users: list[User] = []
        self.nodes: list[Node] = []
        self.eggs: list[Egg] = []
        self.servers: list[Server] = []
        self.activity: list[ActivityEntry] = []
        self.backups: list = []  # sandbox.backups.Backup rows, in insertion (id) order, soft-deleted ones too
        self.keys_by_identifier: dict[str, ApiKey] = {}
        self.roles: dict[str, str] = {}  # role -> username (owner/subuser/admin/application/other)
        self.two_factor_required = 0  # APP_2FA_REQUIRED: 0 nobody, 1 admins, 2 everyone
        self.daemon_token = _rand_str(64)
        self.daemon_token_id = _rand_str(16)
        self.wings_version = DEFAULT_VERSION  # the node's Wings (sandbox/wings.py)
        self.panel_version = DEFAULT_VERSION  # the panel's (1.12.3+ emits the JWT scope claim)
        self.panel_version_set = False  # given in the fleet file (then --version does not change it)
        self.identifier_style = "short"
        self.editable_descriptions = True  # Pelican's PANEL_EDITABLE_SERVER_DESCRIPTIONS (sandbox/settings.py)
        # the schedules, databases and allocations families (their modules keep the rows)
        self.client_features = client_features_defaults()
        self.schedules: list = []  # sandbox.schedules.Schedule rows, in id order
        self.databases: list = []  # sandbox.databases.Database rows, in id order
        self.database_hosts: list[DatabaseHost] = []
        self.hashids_salt = _rand_str(32)  # HASHIDS_SALT (Pterodactyl's database ids)
        self.next_ids: dict[str, int] = {}  # table -> the last id handed out (schedules, tasks, databases...)
        self._next_key_id = 1
        self._next_activity_id = 1

    def next_id(self, table: str) -> int:
        """An auto-increment id of ``table`` (allocations start after the fleet's own)."""
        if table not in self.next_ids and table == "allocations":
            held = [a.id for s in self.servers for a in s.allocations] + [
                a.id for n in self.nodes for a in n.free_allocations
            ]
            self.next_ids[table] = max(held, default=0)
        self.next_ids[table] = self.next_ids.get(table, 0) + 1
        return self.next_ids[table]

    # ----- prefixes
    @property
    def client_prefix(self) -> str:
        return "pacc_" if self.flavor == "pelican" else "ptlc_"

    @property
    def application_prefix(self) -> str:
        return "papp_" if self.flavor == "pelican" else "ptla_"

    # ----- lookups
    def user(self, username: str) -> User:
        for u in self.users:
            if u.username == username:
                return u
        raise KeyError(username)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def egg(self, name: str) -> Egg:
        for e in self.eggs:
            if e.name == name:
                return e
        raise KeyError(name)

    def find_server(self, ref: str) -> Server | None:
        for s in self.servers:
            if s.identifier == ref or s.uuid == ref:
                return s
        return None

    def index(self) -> None:
        self.servers_by_uuid = {s.uuid: s for s in self.servers}
        self.servers_by_identifier = {s.identifier: s for s in self.servers}

    def add_key(
        self, user: User, key_type: str = "client", token: str | None = None, allowed_ips: list[str] | None = None
    ) -> ApiKey:
        if token:
            if len(token) < 17:
                raise FleetError(f"API key for {user.username} is too short: {token!r}")
            ident, secret = token[:16], token[16:]
        else:
            prefix = self.application_prefix if key_type == "application" else self.client_prefix
            ident, secret = prefix + _rand_str(16 - len(prefix)), _rand_str(32)
        key = ApiKey(ident, secret, key_type, user, id=self._next_key_id, allowed_ips=list(allowed_ips or []))
        self._next_key_id += 1
        user.keys.append(key)
        self.keys_by_identifier[ident] = key
        return key

    def first_key(self, user: User, key_type: str = "client") -> ApiKey | None:
        for k in user.keys:
            if k.key_type == key_type:
                return k
        return None

    def record(
        self,
        event: str,
        actor: User | None,
        subject: Any,
        properties: dict | None = None,
        ip: str = "127.0.0.1",
        api_key: ApiKey | None = None,
    ) -> ActivityEntry:
        entry = ActivityEntry(
            self._next_activity_id,
            event,
            actor,
            subject,
            dict(properties or {}),
            ip,
            api_key is not None,
            time.time(),
            api_key.id if api_key else None,
        )
        self._next_activity_id += 1
        self.activity.append(entry)
        return entry

    def user_permissions(self, user: User, server: Server) -> list[str]:
        if user.root_admin:
            return list(ADMIN_PERMISSIONS)
        if server.owner is user:
            return ["*"]
        return list(server.subusers.get(user.username, []))

    def can_see(self, user: User, server: Server) -> bool:
        return user.root_admin or server.owner is user or user.username in server.subusers

    def can(self, user: User, server: Server, permission: str) -> bool:
        if not permission:
            return False
        if user.root_admin or server.owner is user:
            return True
        return permission in server.subusers.get(user.username, [])


# --------------------------------------------------------------------------- building


# The default eggs' images, as the Minecraft eggs list them (display name -> image).
JAVA_IMAGES = {f"Java {v}": f"ghcr.io/pterodactyl/yolks:java_{v}" for v in (21, 17, 16, 11, 8)}


def _default_eggs(rng: random.Random) -> list[Egg]:
    paper = Egg(
        1,
        _uuid(rng),
        "Paper",
        startup_done=')! For help, type "help"',
        stop_command="stop",
        startup="java -Xms128M -Xmx{{SERVER_MEMORY}}M -Dterminal.jline=false -jar {{SERVER_JARFILE}}",
        docker_image="ghcr.io/pterodactyl/yolks:java_21",
        docker_images=dict(JAVA_IMAGES),
        version_variable="MINECRAFT_VERSION",
        features=["eula", "java_version", "pid_limit"],
        variables=[
            EggVariable("Minecraft Version", "Version of Minecraft to run.", "MINECRAFT_VERSION", "latest"),
            EggVariable(
                "Server Jar File",
                "Name of the server jar.",
                "SERVER_JARFILE",
                "server.jar",
                rules="required|regex:/^([\\w\\d._-]+)(\\.jar)$/",
            ),
            EggVariable("Build Number", "Paper build to use.", "BUILD_NUMBER", "latest"),
        ],
    )
    vanilla = Egg(
        2,
        _uuid(rng),
        "Vanilla Minecraft",
        startup_done=')! For help, type "help"',
        stop_command="stop",
        startup="java -Xms128M -Xmx{{SERVER_MEMORY}}M -jar {{SERVER_JARFILE}}",
        docker_image="ghcr.io/pterodactyl/yolks:java_17",
        docker_images=dict(JAVA_IMAGES),
        version_variable="VANILLA_VERSION",
        features=["eula", "java_version"],
        variables=[
            EggVariable("Server Jar File", "Name of the server jar.", "SERVER_JARFILE", "server.jar"),
            EggVariable("Server Version", "Minecraft version to install.", "VANILLA_VERSION", "latest"),
        ],
        boot_seconds=1.5,
    )
    return [paper, vanilla]


def _make_user(
    fleet: Fleet,
    rng: random.Random,
    username: str,
    email: str | None = None,
    root_admin: bool = False,
    first: str = "",
    last: str = "",
) -> User:
    u = User(
        id=len(fleet.users) + 1,
        uuid=_uuid(rng),
        username=username,
        email=email or f"{username}@example.com",
        root_admin=root_admin,
        first_name=first or username.capitalize(),
        last_name=last or "Sandbox",
        created_at=1704067200.0 + 86400 * len(fleet.users),
    )
    fleet.users.append(u)
    return u


def _new_server(
    fleet: Fleet,
    rng: random.Random,
    *,
    name: str,
    owner: User,
    node: Node,
    egg: Egg,
    port: int,
    uuid: str | None = None,
    identifier: str | None = None,
) -> Server:
    sid = len(fleet.servers) + 1
    suuid = uuid or _uuid(rng)
    s = Server(
        id=sid,
        uuid=suuid,
        identifier=identifier or suuid[:8],
        name=name,
        owner=owner,
        node=node,
        egg=egg,
        limits={"memory": 1024, "swap": 0, "disk": 5120, "io": 500, "cpu": 200, "threads": None, "oom_disabled": True},
        feature_limits={"databases": 0, "allocations": 0, "backups": 0},
        allocations=[Allocation(sid, "127.0.0.1", port)],
        docker_image=egg.docker_image,
        **{option: getattr(egg, option) for option in GAME_OPTIONS},
    )
    fleet.servers.append(s)
    return s


def _finish(fleet: Fleet) -> Fleet:
    for n in fleet.nodes:
        n.daemon_token = fleet.daemon_token
        n.daemon_token_id = fleet.daemon_token_id
    seen: set[str] = set()
    for s in fleet.servers:
        for ref in (s.uuid, s.identifier):
            if ref in seen:
                raise FleetError(f"duplicate server uuid/identifier {ref}")
        seen.update((s.uuid, s.identifier))
    fleet.index()
    return fleet


def apply_identifier_style(fleet: Fleet, style: str) -> Fleet:
    """Give every server the identifier form of ``style`` (``short`` or ``serv``) and re-index."""
    if style not in IDENTIFIER_STYLES:
        raise FleetError(f"server_identifiers must be one of {IDENTIFIER_STYLES}, not {style!r}")
    for s in fleet.servers:
        base = s.identifier[len(SERV_PREFIX) :] if s.identifier.startswith(SERV_PREFIX) else s.identifier
        s.identifier = SERV_PREFIX + base if style == "serv" else base
    fleet.identifier_style = style
    return _finish(fleet)


def generate(count: int, *, seed: int = 20241024, flavor: str = "pterodactyl") -> Fleet:
    """The default fleet for ``--servers N``."""
    rng = random.Random(seed)
    fleet = Fleet(flavor)
    owner = _make_user(fleet, rng, "owner", first="Olive", last="Owner")
    admin = _make_user(fleet, rng, "admin", root_admin=True, first="Ada", last="Admin")
    helper = _make_user(fleet, rng, "helper", first="Hal", last="Helper")
    other = _make_user(fleet, rng, "other", first="Otto", last="Other")
    fleet.add_key(owner)
    fleet.add_key(admin)
    fleet.add_key(admin, "application")
    fleet.add_key(helper)
    fleet.add_key(other)
    fleet.roles = {"owner": "owner", "admin": "admin", "application": "admin", "subuser": "helper", "other": "other"}
    fleet.nodes = [Node(1, "node-eu1", "node-eu1.sandbox.test"), Node(2, "node-us1", "node-us1.sandbox.test")]
    fleet.eggs = _default_eggs(rng)
    width = max(2, len(str(count)))
    for i in range(count):
        egg = fleet.eggs[i % 3 == 2]
        s = _new_server(
            fleet, rng, name=f"mc-{i + 1:0{width}d}", owner=owner, node=fleet.nodes[i % 2], egg=egg, port=25565 + i
        )
        s.description = f"Sandbox server {i + 1} ({egg.name})"
        if i < 3:
            s.subusers["helper"] = list(DEFAULT_HELPER_PERMISSIONS)
    return _finish(fleet)


def _as_bool(v: Any) -> bool:
    return bool(v) and str(v).lower() not in ("0", "false", "no", "off")


def _noisy(v: Any) -> bool | float:
    """``noisy``: true (the runtime's default rate) or a number of console lines per second."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) if v > 0 else False
    return _as_bool(v)


def load(path: str | pathlib.Path, *, seed: int = 20241024, flavor: str = "pterodactyl") -> Fleet:
    """Load a YAML fleet file (format: sandbox/README.md)."""
    try:
        doc = yaml.safe_load(pathlib.Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FleetError(f"cannot read fleet file {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise FleetError("a fleet file is a mapping with users, nodes, eggs, servers")
    rng = random.Random(doc.get("seed", seed))
    fleet = Fleet(doc.get("flavor", flavor) if flavor == "pterodactyl" else flavor)
    fleet.two_factor_required = int(doc.get("two_factor_required", 0) or 0)
    fleet.editable_descriptions = _as_bool(doc.get("editable_descriptions", True))
    if doc.get("wings_version") is not None:
        fleet.wings_version = str(doc["wings_version"])
        fleet.panel_version = fleet.wings_version
    if doc.get("panel_version") is not None:
        fleet.panel_version = str(doc["panel_version"])
        fleet.panel_version_set = True

    for spec in doc.get("users") or []:
        if isinstance(spec, str):
            spec = {"username": spec}
        u = _make_user(
            fleet,
            rng,
            spec["username"],
            spec.get("email"),
            _as_bool(spec.get("root_admin")),
            spec.get("first_name", ""),
            spec.get("last_name", ""),
        )
        if spec.get("uuid"):
            u.uuid = str(spec["uuid"])
        u.use_totp = _as_bool(spec.get("use_totp"))
        keys = spec.get("keys", ["client"])
        for k in keys if isinstance(keys, list) else [keys]:
            if isinstance(k, dict):
                fleet.add_key(u, k.get("type", "client"), k.get("token"), k.get("allowed_ips"))
            elif k in ("client", "application"):
                fleet.add_key(u, k)
            else:
                k = str(k)
                app = k.startswith(("ptla_", "papp_"))
                fleet.add_key(u, "application" if app else "client", k)
    if not fleet.users:
        raise FleetError("a fleet needs at least one user")

    for i, spec in enumerate(doc.get("nodes") or [{"name": "node-1"}]):
        if isinstance(spec, str):
            spec = {"name": spec}
        fleet.nodes.append(
            Node(
                i + 1,
                spec["name"],
                spec.get("fqdn", f"{spec['name']}.sandbox.test"),
                _as_bool(spec.get("maintenance_mode")),
                int(spec.get("sftp_port", 2022)),
                spec.get("sftp_alias"),
                unreachable=_as_bool(spec.get("unreachable")),
            )
        )

    eggs_doc = doc.get("eggs")
    if not eggs_doc:
        fleet.eggs = _default_eggs(rng)
    else:
        for i, spec in enumerate(eggs_doc):
            if isinstance(spec, str):
                spec = {"name": spec}
            egg = Egg(i + 1, str(spec.get("uuid") or _uuid(rng)), spec["name"])
            egg.startup_done = str(spec.get("done", spec.get("startup_done", egg.startup_done)))
            egg.stop_command = str(spec.get("stop", spec.get("stop_command", egg.stop_command)))
            egg.startup = spec.get("startup", egg.startup)
            egg.docker_image = spec.get("docker_image", egg.docker_image)
            egg.features = spec.get("features", ["eula"])
            egg.boot_seconds = float(spec.get("boot_seconds", egg.boot_seconds))
            egg.crash_after = spec.get("crash_after")
            egg.noisy = _noisy(spec.get("noisy"))
            egg.invalid_utf8 = _as_bool(spec.get("invalid_utf8"))
            denylist = spec.get("file_denylist") or []
            if not isinstance(denylist, list):
                raise FleetError(f"egg {egg.name}: file_denylist is a list of gitignore lines")
            egg.file_denylist = [str(line) for line in denylist]
            egg.eula_required = _as_bool(spec.get("eula_required"))
            for v in spec.get("variables") or [
                {"env_variable": "SERVER_JARFILE", "name": "Server Jar File", "default_value": "server.jar"}
            ]:
                egg.variables.append(
                    EggVariable(
                        v.get("name", v["env_variable"]),
                        v.get("description", ""),
                        v["env_variable"],
                        str(v.get("default_value", "")),
                        _as_bool(v.get("user_viewable", True)),
                        _as_bool(v.get("user_editable", True)),
                        v.get("rules", "required|string|max:20"),
                    )
                )
            _startup_options(egg, spec)
            fleet.eggs.append(egg)

    for i, spec in enumerate(doc.get("servers") or []):
        try:
            owner = fleet.user(spec.get("owner", fleet.users[0].username))
            node = fleet.node(spec["node"]) if spec.get("node") else fleet.nodes[i % len(fleet.nodes)]
            egg = fleet.egg(spec["egg"]) if spec.get("egg") else fleet.eggs[0]
        except KeyError as exc:
            raise FleetError(f"server {spec.get('name')!r}: unknown {exc}") from exc
        s = _new_server(
            fleet,
            rng,
            name=str(spec.get("name", f"server-{i + 1}")),
            owner=owner,
            node=node,
            egg=egg,
            port=25565 + i,
            uuid=spec.get("uuid"),
            identifier=spec.get("identifier"),
        )
        if spec.get("uuid") and not spec.get("identifier"):
            s.identifier = s.uuid[:8]
        s.description = str(spec.get("description") or "")
        s.external_id = spec.get("external_id")
        status = spec.get("status")
        if status not in STATUSES:
            raise FleetError(f"server {s.name}: unknown status {status!r} (one of {STATUSES})")
        s.status = status
        s.is_transferring = _as_bool(spec.get("is_transferring"))
        s.limits.update(spec.get("limits") or {})
        s.feature_limits.update(spec.get("feature_limits") or {})
        if spec.get("allocations"):
            s.allocations = [
                Allocation(
                    s.id * 100 + j, str(a.get("ip", "127.0.0.1")), int(a["port"]), a.get("ip_alias"), a.get("notes")
                )
                for j, a in enumerate(spec["allocations"])
            ]
        s.variable_values.update({k: str(v) for k, v in (spec.get("variables") or {}).items()})
        s.docker_image = str(spec.get("docker_image") or egg.docker_image)
        for uname, perms in (spec.get("subusers") or {}).items():
            fleet.user(uname)
            s.subusers[uname] = list(perms or [])
        state = spec.get("state", "offline")
        if state not in ("offline", "running"):
            raise FleetError(f"server {s.name}: state must be offline or running")
        s.initial_state = state
        game = spec.get("game") or {}
        for opt in GAME_OPTIONS:
            if opt in spec or opt in game:
                setattr(s, opt, spec.get(opt, game.get(opt)))
        s.boot_seconds = float(s.boot_seconds)
        s.crash_after = None if s.crash_after is None else float(s.crash_after)
        s.noisy = _noisy(s.noisy)
        s.invalid_utf8 = _as_bool(s.invalid_utf8)

    _family_options(fleet, doc)
    roles = dict(doc.get("roles") or {})
    fleet.roles = _guess_roles(fleet, roles)
    style = doc.get("server_identifiers")
    if style is not None:
        return apply_identifier_style(fleet, str(style))
    return _finish(fleet)


def _family_options(fleet: Fleet, doc: dict) -> None:
    """``client_features``, ``database_hosts`` and each node's pool of free ``ports`` (after the servers: the
    pool skips the ports servers hold, and its ids follow theirs)."""
    if doc.get("client_features") is not None:
        merge_client_features(fleet.client_features, doc["client_features"])
    for i, spec in enumerate(doc.get("database_hosts") or []):
        if not isinstance(spec, dict) or not spec.get("host"):
            raise FleetError(f"database_hosts[{i}]: a mapping with at least host (and name, port, node, max_databases)")
        try:
            node = fleet.node(str(spec["node"])) if spec.get("node") else None
        except KeyError:
            raise FleetError(f"database_hosts[{i}]: unknown node {spec['node']!r}") from None
        limit = spec.get("max_databases")
        fleet.database_hosts.append(
            DatabaseHost(
                i + 1,
                str(spec.get("name") or spec["host"]),
                str(spec["host"]),
                int(spec.get("port", 3306)),
                node,
                None if limit is None else int(limit),
            )
        )
    node_docs = [spec for spec in doc.get("nodes") or [] if isinstance(spec, dict)]
    for spec in node_docs:
        if spec.get("ports") is None:
            continue
        node = fleet.node(spec["name"])
        ip = str(spec.get("ip", "127.0.0.1"))
        held = {(a.ip, a.port) for s in fleet.servers if s.node is node for a in s.allocations}
        for port in _port_list(spec["ports"], f"node {node.name}: ports"):
            if (ip, port) not in held:
                node.free_allocations.append(Allocation(fleet.next_id("allocations"), ip, port))
                held.add((ip, port))


def _startup_options(egg: Egg, spec: dict) -> None:
    """An egg's startup options of a fleet file: ``docker_images`` (a mapping, or a list of images), the
    version options and the variables' ``sort`` / list ``rules`` (checked against the emulated Laravel rules)."""
    from .rules import RuleError, check_rule_names  # here: rules imports the panel side, which imports this module

    images = spec.get("docker_images")
    if isinstance(images, list):
        images = {str(image): str(image) for image in images}
    if images is not None and (not isinstance(images, dict) or not images):
        raise FleetError(f"egg {egg.name}: docker_images is a mapping of display names to images (or a list)")
    egg.docker_images = {str(k): str(v) for k, v in (images or {egg.docker_image: egg.docker_image}).items()}
    if "docker_image" not in spec:
        egg.docker_image = next(iter(egg.docker_images.values()))
    version = spec.get("version_variable")
    egg.version_variable = str(version) if version else None
    egg.latest_version = str(spec.get("latest_version", egg.latest_version))
    for option in ("crash_versions", "install_fail_versions"):
        values = spec.get(option) or []
        if not isinstance(values, list):
            raise FleetError(f"egg {egg.name}: {option} is a list of values of its version_variable")
        setattr(egg, option, [str(value) for value in values])
    egg.install_seconds = float(spec.get("install_seconds", egg.install_seconds))
    for i, (var, doc) in enumerate(zip(egg.variables, spec.get("variables") or [], strict=False)):
        var.sort = int(doc["sort"]) if doc.get("sort") is not None else None
        if isinstance(var.rules, list):
            var.rule_list = [str(rule) for rule in var.rules]
            var.rules = "|".join(var.rule_list)
        try:
            check_rule_names(var.rule_list if var.rule_list is not None else str(var.rules))
        except RuleError as exc:
            raise FleetError(f"egg {egg.name}, variable {i + 1} ({var.env_variable}): {exc}") from None


def _guess_roles(fleet: Fleet, roles: dict) -> dict:
    """Map the ready file's key roles to usernames (explicit ``roles:`` in the file wins)."""
    out = {}
    owners = [s.owner for s in fleet.servers]
    owner = roles.get("owner") or (owners[0].username if owners else fleet.users[0].username)
    out["owner"] = owner
    admins = [u for u in fleet.users if u.root_admin]
    if roles.get("admin") or admins:
        out["admin"] = roles.get("admin") or admins[0].username
    apps = [u for u in fleet.users if any(k.key_type == "application" for k in u.keys)]
    if roles.get("application") or apps:
        out["application"] = roles.get("application") or apps[0].username
    subs = [n for s in fleet.servers for n in s.subusers]
    if roles.get("subuser") or subs:
        out["subuser"] = roles.get("subuser") or subs[0]
    owner_servers = [s for s in fleet.servers if s.owner.username == owner]
    for u in fleet.users:
        if roles.get("other"):
            out["other"] = roles["other"]
            break
        if not u.root_admin and u.username != owner and not any(u.username in s.subusers for s in owner_servers):
            out["other"] = u.username
            break
    for k, v in roles.items():
        out.setdefault(k, v)
    return out
