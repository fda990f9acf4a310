# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the benchmarks: sandbox start/stop, Ansible runs, timing, the machine, docs/performance.md.

The sandbox is started by sandbox.launcher, the collection link and Ansible's environment come from
hack.devenv (the same as the tests'); run the benchmarks as modules from the repository root
(``python -m bench.run``, ``python -m bench.per_task``...), as ``make bench`` does.

Every benchmark module (bench/per_task.py, ...) has ``NAME`` and ``run(quick: bool) -> dict`` and writes
its own section of docs/performance.md between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; those
without options of their own (all but bench/inventory.py) print ``summary(figures)`` through :func:`command_line`.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import json
import os
import pathlib
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from hack import devenv
from hack.devenv import ensure_collection_link  # bench modules use it as common.ensure_collection_link
from sandbox import gameserver, launcher

ROOT = devenv.ROOT
PYTHON = devenv.PYTHON
BIN = devenv.BIN
PLAYBOOKS = ROOT / "bench" / "playbooks"
PERFORMANCE_MD = ROOT / "docs" / "performance.md"
DOC_TITLE = (
    "# Performance\n\n"
    "Figures measured by `make bench` (`bench/run.py`); each benchmark rewrites only its own section.\n"
)
HTTP_TIMEOUT = 60
UNLIMITED_RATE = 1000000
PLAYBOOK_TIMEOUT = 900

# A callback plugin written to a temporary folder: it appends the wall-clock time of each task result.
TIMES_CALLBACK = """
from __future__ import annotations
import json
import os
import time
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_times"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, event, result):
        now = time.time()
        record = {"event": event, "time": now, "host": result._host.get_name(), "task": result._task.get_name()}
        with open(os.environ["BENCH_TIMES_FILE"], "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\\n")

    def v2_runner_on_ok(self, result):
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write("failed", result)
"""


# --------------------------------------------------------------------------- #
# The sandbox
# --------------------------------------------------------------------------- #


def sandbox(workdir: pathlib.Path, **cli_args):
    """A sandbox (``python -m sandbox`` with ``--key value`` for each keyword), always stopped at the end."""
    return launcher.running(workdir / f"sandbox-{time.monotonic_ns()}", check=False, **cli_args)


def control(box: dict, method: str, path: str, body: dict | None = None) -> requests.Response:
    response = requests.request(method, box["control_url"] + path, json=body, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    return response


def reset(box: dict) -> None:
    """Clear the request log, faults, rate-limit windows and the resources cache."""
    control(box, "POST", "/reset")


def clear_log(box: dict) -> None:
    control(box, "DELETE", "/requests")


def request_log(box: dict) -> list[dict]:
    return control(box, "GET", "/requests").json()


def set_rate_limit(box: dict, limit: int) -> None:
    control(box, "PATCH", "/settings", {"rate_limit": limit})


def drive(box: dict, identifier: str, state: str) -> dict:
    """Bring one server to ``running`` or ``offline`` through the control endpoint (waits for it)."""
    return control(box, "PATCH", "/servers/" + identifier, {"state": state, "timeout": 60}).json()


def drive_all(box: dict, state: str, workers: int = 32) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda server: drive(box, server["identifier"], state), box["servers"]))
    wrong = [result["identifier"] for result in results if result["state"] != state]
    if wrong:
        raise RuntimeError(f"servers not {state}: {', '.join(wrong[:10])}")


def set_upload_limit(box: dict, megabytes: int) -> None:
    """Wings' ``api.upload_limit`` (MB per uploaded file; 100 by default, as the real node)."""
    control(box, "PATCH", "/settings", {"upload_limit": megabytes})


def default_properties(server: dict) -> pathlib.Path:
    """The server's ``server.properties`` as the game writes it at its first boot (its defaults), in its data
    folder (written directly: virtual servers never boot a game, so they have none)."""
    data_dir = pathlib.Path(server["data_dir"])
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "server.properties").unlink(missing_ok=True)
    gameserver.load_server_properties(str(data_dir), create=True)
    return data_dir / "server.properties"


# --------------------------------------------------------------------------- #
# Request counts (the sandbox's request log)
# --------------------------------------------------------------------------- #


def fleet(eggs: list[dict], servers: list[dict]) -> dict:
    """A sandbox fleet file's content: the usual users and roles (owner, admin, helper, other), one node
    ``node-eu1``, and these eggs and servers."""
    return {
        "roles": {"owner": "owner", "subuser": "helper", "admin": "admin", "application": "admin", "other": "other"},
        "users": [
            {"username": "owner"},
            {"username": "admin", "root_admin": True, "keys": ["client", "application"]},
            {"username": "helper"},
            {"username": "other"},
        ],
        "nodes": [{"name": "node-eu1"}],
        "eggs": eggs,
        "servers": servers,
    }


def describe(entry: dict, identifier: str) -> str:
    """``GET /servers/{id}/websocket`` style key of one logged request."""
    path = entry["path"].replace(identifier, "{id}")
    return f"{entry['method']} {path.replace('/api/client', '', 1) or '/'}"


def count_requests(log: list[dict], identifier: str) -> dict:
    """Totals of a request log: all requests, those naming the server, each kind, the errors."""
    named = [entry for entry in log if identifier in entry["path"]]
    kinds = collections.Counter(describe(entry, identifier) for entry in log)
    return {
        "total": len(log),
        "named": len(named),
        "kinds": dict(kinds),
        "errors": sum(1 for entry in log if entry["status"] is None or entry["status"] >= 400),
    }


def kinds_text(kinds: dict) -> str:
    """``GET /servers/{id}/files/contents, POST /servers/{id}/files/write x2``: the kinds of requests made."""
    return ", ".join(f"{kind} x{times}" if times > 1 else kind for kind, times in sorted(kinds.items()))


def requests_of_play(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, playbook: str, extra: dict) -> dict:
    """Run ``playbook`` on the first server's host (one fork), the log cleared first: its request counts, and
    ``changed``, the hosts the recap says changed."""
    identifier = box["servers"][0]["identifier"]
    clear_log(box)
    _elapsed, proc = run_playbook(playbook, inventory, ansible_env(workdir), "-e", json.dumps(extra), forks=1)
    counts = count_requests(request_log(box), identifier)
    counts["changed"] = recap(proc.stdout).get("changed", 0)
    return counts


# --------------------------------------------------------------------------- #
# Ansible
# --------------------------------------------------------------------------- #


def ansible_env(workdir: pathlib.Path, **extra: str) -> dict:
    """hack.devenv's clean environment (home and temporary folders under ``workdir``), quiet and strict."""
    return devenv.ansible_env(
        workdir, strict_inventory=True, ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_DEPRECATION_WARNINGS="0", **extra
    )


def timing_env(workdir: pathlib.Path, times_file: pathlib.Path, **extra: str) -> dict:
    """ansible_env plus the bench_times callback, which appends task-result times to ``times_file``."""
    plugins = workdir / "callback_plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "bench_times.py").write_text(TIMES_CALLBACK, encoding="utf-8")
    return ansible_env(
        workdir,
        ANSIBLE_CALLBACK_PLUGINS=str(plugins),
        ANSIBLE_CALLBACKS_ENABLED="bench_times",
        BENCH_TIMES_FILE=str(times_file),
        **extra,
    )


def read_times(times_file: pathlib.Path) -> list[dict]:
    if not times_file.exists():
        return []
    return [json.loads(line) for line in times_file.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_inventory(path: pathlib.Path, box: dict, servers: list[dict], group: str = "game") -> pathlib.Path:
    """A static inventory (JSON, read by the yaml plugin): one host per server, operated through the panel.

    Not INI: INI values are evaluated as Python literals, so identifiers such as ``1384e300`` or ``00e00000``
    would become floats.
    """
    hosts = {
        server["name"]: {"pterodactyl_identifier": server["identifier"], "ansible_connection": "local"}
        for server in servers
    }
    group_vars = {"panel_url": box["panel_url"], "api_key": box["keys"]["owner"], "ansible_python_interpreter": PYTHON}
    path = path.with_suffix(".yml")
    path.write_text(
        json.dumps({"all": {"children": {group: {"hosts": hosts, "vars": group_vars}}}}, indent=1), encoding="utf-8"
    )
    return path


class PlaybookFailed(RuntimeError):
    """An ansible-playbook run that was expected to succeed did not."""


def run_playbook(
    playbook: str, inventory: pathlib.Path, env: dict, *args: str, forks: int = 5, check: bool = True
) -> tuple[float, subprocess.CompletedProcess]:
    """Run bench/playbooks/<playbook>; return (wall-clock seconds, the finished process)."""
    argv = [str(BIN / "ansible-playbook"), str(PLAYBOOKS / playbook), "-i", str(inventory), "-f", str(forks), *args]
    cpu_before = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
    elapsed = time.perf_counter() - started
    proc.cpu_seconds = children_cpu() - cpu_before
    if check and proc.returncode != 0:
        raise PlaybookFailed(f"{playbook} failed (rc {proc.returncode}):\n{(proc.stdout + proc.stderr)[-4000:]}")
    return elapsed, proc


def time_process(argv: list[str]) -> float:
    """Seconds one ``python ARGV`` process takes; it must succeed (a module result must not be failed)."""
    started = time.perf_counter()
    proc = subprocess.run([PYTHON, *argv], capture_output=True, text=True, timeout=120, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or '"failed": true' in proc.stdout:
        raise RuntimeError(f"{' '.join(argv)} failed: {(proc.stdout + proc.stderr)[-2000:]}")
    return elapsed


def alternate(commands: dict, runs: int) -> dict:
    """Run each command ``runs`` times, alternating between them (the machine's noise hits all alike)."""
    samples: dict = {key: [] for key in commands}
    for index in range(runs):
        keys = list(commands) if index % 2 == 0 else list(reversed(list(commands)))
        for key in keys:
            samples[key].append(time_process(commands[key]))
    return samples


def keep_payload(
    workdir: pathlib.Path, inventory: pathlib.Path, playbook: str, module_file: str, host: str, *args: str
) -> pathlib.Path:
    """Run ``playbook`` on ``host`` with ANSIBLE_KEEP_REMOTE_FILES; the AnsiballZ file (``module_file``, e.g.
    ``AnsiballZ_uri.py``) Ansible executed, its arguments inside it: run on its own, it is the module's process."""
    remote = workdir / ("keep-" + module_file.removesuffix(".py"))
    env = ansible_env(workdir, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=str(remote))
    run_playbook(playbook, inventory, env, "--limit", host, *args, forks=1)
    found = sorted(remote.rglob(module_file))
    if not found:
        raise FileNotFoundError(f"no {module_file} kept under {remote}")
    return found[0]


def children_cpu() -> float:
    """User + system CPU seconds of every finished (waited-for) descendant of this process."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def recap(output: str) -> dict:
    """Totals of the PLAY RECAP: ok, changed, unreachable, failed, ... summed over hosts, plus ``hosts``."""
    totals: dict = {"hosts": 0}
    for line in output.splitlines():
        counts = re.findall(r"(\w+)=(\d+)", line) if " : ok=" in line else []
        if counts:
            totals["hosts"] += 1
            for key, value in counts:
                totals[key] = totals.get(key, 0) + int(value)
    return totals


# --------------------------------------------------------------------------- #
# Timing
# --------------------------------------------------------------------------- #


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def fmt_runs(samples: list[float], digits: int = 2) -> str:
    return ", ".join(f"{sample:.{digits}f}" for sample in samples)


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def outcome(ok: bool) -> str:
    """``met`` or ``MISSED`` in a summary line: bench/run.py marks a benchmark's row missed by that word."""
    return "met" if ok else "MISSED"


def command_line(run, summary) -> int:
    """``python -m bench.NAME [--quick]``: ``run(quick)``, then print the lines ``summary(figures)`` makes of it.

    bench/run.py keeps the printed lines that start with the benchmark's name for its summary table.
    """
    figures = run("--quick" in sys.argv[1:])
    for line in summary(figures):
        print(line)
    return 0


@contextlib.contextmanager
def workspace(prefix: str):
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as tmp:
        yield pathlib.Path(tmp)


@contextlib.contextmanager
def sandboxed(name: str, **cli_args):
    """(workdir, box): a benchmark's workspace and one sandbox in it, its rate limit lifted unless ``rate_limit``
    is given; the collection link is made first. The sandbox is stopped on the way out."""
    ensure_collection_link()
    cli_args.setdefault("rate_limit", UNLIMITED_RATE)
    with workspace(name) as workdir, sandbox(workdir, **cli_args) as box:
        yield workdir, box


# --------------------------------------------------------------------------- #
# The machine
# --------------------------------------------------------------------------- #


def cpu_model() -> str:
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def memory_total() -> str:
    try:
        text = pathlib.Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else "unknown"


def nproc() -> str:
    proc = subprocess.run(["nproc"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or str(os.cpu_count())


def ansible_version() -> str:
    proc = subprocess.run(
        [PYTHON, "-c", "import ansible.release as r; print(r.__version__)"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or "unknown"


def machine() -> str:
    """One line describing where the figures come from (with the load average: the machine is shared)."""
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")
    return (
        f"nproc {nproc()}, {cpu_model()}, {memory_total()} RAM; Python {platform.python_version()}; "
        f"ansible-core {ansible_version()}; {now} UTC; load average {load_average()}"
    )


def load_average() -> str:
    try:
        return "/".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


# --------------------------------------------------------------------------- #
# docs/performance.md
# --------------------------------------------------------------------------- #


def write_section(name: str, body: str, path: pathlib.Path = PERFORMANCE_MD) -> None:
    """Replace the text between the ``name`` markers of docs/performance.md, keeping every other section."""
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stripped = body.strip("\n")
    section = f"{start_mark}\n{stripped}\n{end_mark}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else DOC_TITLE
    start, end = text.find(start_mark), text.find(end_mark)
    if start != -1 and end > start:
        text = text[:start] + section + text[end + len(end_mark) :].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def table(header: list[str], rows: list[list], align: list[str] | None = None) -> str:
    align = align or ["---"] * len(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
