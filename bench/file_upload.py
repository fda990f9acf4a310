#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Upload of a 200 MiB ``src`` with ``server_file`` against ``curl`` to the same kind of signed URL.

One virtual sandbox server, its node's upload limit raised above the file's size. Baseline, as a shell script
would do it: ``curl`` GETs a signed upload URL from the panel with the owner's key, then ``curl -F
files=@file`` uploads the file to it. The module: ``server_file`` with ``src`` run as a process of its own the
way Ansible runs it (``python -m ansible_collections...server_file args.json``), which also hashes the local
file (while the upload reads it: the file is missing on the server), lists the folder before and after, and
renames its temporary upload into place. Runs alternate, each with
a fresh file name (so the module always uploads), median of 3.

Target: the upload at most 1.2x the time of curl uploading the same file to the same signed URL. Two ratios:
the upload (the module's, from its GET of the signed URL to its next panel request, against curl's upload to
the URL it was given) is the one the target is judged on; the whole module process (start-up, the listings, the
rename) against both curl commands is reported beside it, with the least any Python module can take: the
interpreter importing Ansible's ``basic`` and requests (measured: the floor), plus curl's own upload.

Peak memory: the module process's ``ru_maxrss`` (the kernel's high-water mark of its resident set, from
``wait4``), and, in ``ansible-playbook`` runs of the same task, the largest RSS of the ``AnsiballZ_server_file``
process seen by polling the process tree every 50 ms. Target: < 100 MiB.

Where the time goes, measured in the same sandbox: the module's start-up (a run refused on its first check,
before any request), the floor (an interpreter that only imports Ansible's ``basic`` and requests), the local
SHA-256 on its own, the upload alone in this process through the collection's Transfer, from a plain file and
through ``_files.HashingReader`` as the module does, and a profile of that upload.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import os
import pathlib
import pstats
import subprocess
import sys
import threading
import time

import psutil
import requests

from bench import common

NAME = "file_upload"
MIB = 1024 * 1024
SIZE = 200 * MIB
RATIO_TARGET = 1.2
RSS_TARGET = 100  # MiB
POLL = 0.05
UPLOAD_LIMIT_MB = 1024  # Wings' api.upload_limit (100 MB by default would refuse the file)
MODULE = "ansible_collections.gameops.pterodactyl.plugins.modules.server_file"
ANSIBALLZ = "AnsiballZ_server_file"  # the module process Ansible starts


class Run:
    """The benchmark's state: the sandbox, its server, the local file, the folder for the module's arguments."""

    def __init__(self, workdir: pathlib.Path, box: dict, src: pathlib.Path) -> None:
        self.workdir, self.box, self.src = workdir, box, src
        self.server = box["servers"][0]
        self.identifier = self.server["identifier"]
        self.data_dir = pathlib.Path(self.server["data_dir"])
        self.counter = 0

    def fresh_name(self, kind: str) -> str:
        self.counter += 1
        return f"upload-{kind}-{self.counter}.bin"

    def check_and_remove(self, name: str) -> None:
        """The uploaded file is there, whole; removed (outside the timing) so that disk use does not grow."""
        target = self.data_dir / name
        size = target.stat().st_size if target.exists() else None
        if size != SIZE:
            raise RuntimeError(f"{name} on the server: {size} bytes, expected {SIZE}")
        target.unlink()
        leftovers = [path.name for path in self.data_dir.iterdir() if path.name.endswith(".part")]
        if leftovers:
            raise RuntimeError(f"temporary uploads left on the server: {leftovers}")

    # -- curl --

    def curl(self) -> dict:
        """GET a signed upload URL, then upload the file to it, both with curl; their times."""
        name = self.fresh_name("curl")
        settle()
        started = time.perf_counter()
        get_url = ["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {self.box['keys']['owner']}"]
        get_url += ["-H", "Accept: application/json", f"{self.box['panel_url']}{upload_route(self.identifier)}"]
        answer = subprocess.run(get_url, capture_output=True, text=True, timeout=60, check=True)
        url = json.loads(answer.stdout)["attributes"]["url"]
        between = time.perf_counter()
        upload = ["curl", "-sS", "--fail", "-o", "/dev/null", "-F", f"files=@{self.src};filename={name}"]
        subprocess.run([*upload, f"{url}&directory=/"], capture_output=True, timeout=300, check=True)
        finished = time.perf_counter()
        self.check_and_remove(name)
        return {"total": finished - started, "url": between - started, "upload": finished - between}

    # -- the module --

    def module_args(self, path: str) -> dict:
        return {
            "url": self.box["panel_url"],
            "api_key": self.box["keys"]["owner"],
            "server": self.identifier,
            "path": path,
            "src": str(self.src),
        }

    def invoke(self, args: dict) -> tuple[float, float, dict, float]:
        """Run the module as a process with ``args`` (as Ansible does, without Ansible around it):
        (seconds, peak RSS in MiB from wait4, its JSON result, its start as epoch seconds)."""
        args_file = self.workdir / "module-args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
        out_file = self.workdir / "module-out.json"
        env = dict(os.environ, PYTHONPATH=str(common.ensure_collection_link()))
        with open(out_file, "wb") as out:
            epoch, started = time.time(), time.perf_counter()
            proc = subprocess.Popen(
                [common.PYTHON, "-m", MODULE, str(args_file)], stdout=out, stderr=subprocess.STDOUT, env=env
            )
            _pid, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        text = out_file.read_text(encoding="utf-8", errors="replace")
        try:
            result = json.loads(text[text.index("{") :])
        except ValueError:
            raise RuntimeError(f"the module printed no result (exit {proc.returncode}): {text[-2000:]}") from None
        return elapsed, usage.ru_maxrss / 1024, result, epoch

    def module(self) -> dict:
        name = self.fresh_name("module")
        common.clear_log(self.box)
        settle()
        elapsed, rss, result, epoch = self.invoke(self.module_args(name))
        if result.get("failed") or not result.get("changed") or result.get("size") != SIZE:
            raise RuntimeError(f"server_file did not upload {name}: {json.dumps(result)[:2000]}")
        log = common.request_log(self.box)
        self.check_and_remove(name)
        return {
            "total": elapsed,
            "rss": rss,
            "kinds": common.count_requests(log, self.identifier)["kinds"],
            "phases": phases(log, epoch, epoch + elapsed),
        }

    def startup(self) -> float:
        """The module's fixed cost: a run refused on its first check (a path out of the root), before any request."""
        elapsed, _rss, result, _epoch = self.invoke(self.module_args("../outside-the-root.bin"))
        if "leaves the server's root" not in str(result.get("msg")):
            raise RuntimeError(f"unexpected answer to a path out of the root: {json.dumps(result)[:2000]}")
        return elapsed

    # -- ansible-playbook --

    def playbook(self, inventory: pathlib.Path) -> dict:
        """The same task through ansible-playbook: the whole run's time and the module process's peak RSS."""
        name = self.fresh_name("playbook")
        settle()
        poller = PeakRss(ANSIBALLZ)
        poller.start()
        try:
            elapsed, proc = common.run_playbook(
                "server_file.yml",
                inventory,
                common.ansible_env(self.workdir),
                "-e",
                json.dumps({"file_path": name, "file_src": str(self.src)}),
                forks=1,
            )
        finally:
            poller.stop()
        if common.recap(proc.stdout).get("changed") != 1:
            raise RuntimeError(f"the playbook did not upload {name}: {proc.stdout[-2000:]}")
        self.check_and_remove(name)
        return {"total": elapsed, "rss": poller.peak_mib, "samples": poller.samples}


def phases(log: list[dict], started: float, ended: float) -> dict:
    """A module run cut at its panel requests (their arrival times in the request log): before the first one
    (start-up), from the GET of the upload URL to the next request (the upload, the file hashed as it is read),
    and the rest."""
    times = sorted(entry["time"] for entry in log)
    url_at = next(entry["time"] for entry in log if entry["path"].endswith("/files/upload"))
    after_upload = min(when for when in times if when > url_at)
    return {"before": times[0] - started, "upload": after_upload - url_at, "after": ended - after_upload}


def upload_route(identifier: str) -> str:
    return f"/api/client/servers/{identifier}/files/upload"


def settle() -> None:
    """Write out dirty pages before a timed run (outside its time), so that no run pays for another's writes."""
    os.sync()


class PeakRss(threading.Thread):
    """Polls this process's descendants every POLL s: the largest RSS of the processes whose command line
    names ``marker`` (the module: Ansible runs ``python .../AnsiballZ_server_file.py``) and of their children."""

    def __init__(self, marker: str) -> None:
        super().__init__(daemon=True)
        self.marker = marker
        self.peak = 0
        self.samples = 0
        self._done = threading.Event()

    @property
    def peak_mib(self) -> float:
        return self.peak / MIB

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.wait(POLL):
            rss = 0
            for proc in me.children(recursive=True):
                try:
                    if any(self.marker in part for part in proc.cmdline()):
                        rss = max(
                            [rss, proc.memory_info().rss] + [kid.memory_info().rss for kid in proc.children(True)]
                        )
                except psutil.Error:
                    continue  # ended meanwhile
            if rss:
                self.samples += 1
                self.peak = max(self.peak, rss)

    def stop(self) -> None:
        self._done.set()
        self.join()


# --------------------------------------------------------------------------- #
# Where the time goes (in this process, the collection's own code)
# --------------------------------------------------------------------------- #


def collection_utils():
    """The collection's _files and _transfer (the benchmark imports them as Ansible's modules do)."""
    collections_path = str(common.ensure_collection_link())
    if collections_path not in sys.path:
        sys.path.insert(0, collections_path)
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.gameops.pterodactyl.plugins.module_utils import _files, _transfer

    return _files, _transfer


def signed_url(run: Run) -> str:
    response = requests.get(
        run.box["panel_url"] + upload_route(run.identifier),
        headers={"Authorization": "Bearer " + run.box["keys"]["owner"], "Accept": "application/json"},
        timeout=common.HTTP_TIMEOUT,
    )
    response.raise_for_status()
    return response.json()["attributes"]["url"]


def upload_in_process(run: Run, profiler: cProfile.Profile | None = None, hashing: bool = False) -> float:
    """Seconds of one upload through the collection's Transfer; with ``hashing``, the file read through
    ``_files.HashingReader`` (hashed as it is read, as the module does). A ``profiler`` runs during the upload
    only."""
    _files, _transfer = collection_utils()
    url, name = signed_url(run), run.fresh_name("in-process")
    transfer = _transfer.Transfer()
    settle()
    try:
        opened = _files.HashingReader(str(run.src)) if hashing else open(run.src, "rb")  # noqa: SIM115
        with opened as stream, profiling(profiler):
            started = time.perf_counter()
            transfer.upload(url, "/", name, stream, SIZE)
            elapsed = time.perf_counter() - started
    finally:
        transfer.close()
    run.check_and_remove(name)
    return elapsed


@contextlib.contextmanager
def profiling(profiler: cProfile.Profile | None):
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def floor_seconds() -> float:
    """The least a Python module that talks HTTP with requests takes before it can send its first request: from
    starting an interpreter to the end of its imports of Ansible's ``basic`` (every module's AnsibleModule) and
    requests, measured as the module's start-up phase is (to the moment it could send, not to its exit)."""
    code = "import time, ansible.module_utils.basic, requests; print(time.time())"
    started = time.time()
    answer = subprocess.run([common.PYTHON, "-c", code], check=True, timeout=60, capture_output=True, text=True)
    return float(answer.stdout.strip()) - started


def hash_seconds(run: Run) -> float:
    _files, _transfer = collection_utils()
    started = time.perf_counter()
    _files.sha256_of_file(str(run.src))
    return time.perf_counter() - started


def profile_upload(run: Run, rows: int = 6) -> dict:
    """The upload through Transfer under cProfile: the functions with the most own time (name, calls, s), the
    profile's total and the time in the socket calls (sending the body, waiting for the node's answer)."""
    profiler = cProfile.Profile()
    upload_in_process(run, profiler=profiler, hashing=True)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = []
    for (filename, line, function), (_cc, calls, own, _cumulative, _callers) in stats.stats.items():
        where = f"{pathlib.Path(filename).name}:{line}" if line else "built-in"
        entries.append((f"{function} ({where})", calls, own))
    return {
        "rows": sorted(entries, key=lambda entry: -entry[2])[:rows],
        "total": sum(entry[2] for entry in entries),
        "socket": sum(entry[2] for entry in entries if "'sendall'" in entry[0] or "'recv_into'" in entry[0]),
    }


def breakdown(run: Run, runs: int) -> dict:
    samples: dict = {"startup": [], "floor": [], "hash": [], "transfer": [], "hashing": []}
    for index in range(runs):
        samples["startup"].append(run.startup())
        samples["floor"].extend(floor_seconds() for _ in range(3))  # short and noisy: three a round
        samples["hash"].append(hash_seconds(run))
        order = ["transfer", "hashing"]
        for key in order if index % 2 == 0 else reversed(order):
            samples[key].append(upload_in_process(run, hashing=key == "hashing"))
    figures = {key: common.median(values) for key, values in samples.items()}
    figures["samples"] = samples
    figures["profile"] = profile_upload(run)
    return figures


# --------------------------------------------------------------------------- #
# The benchmark
# --------------------------------------------------------------------------- #


def make_source(path: pathlib.Path) -> pathlib.Path:
    """SIZE bytes that do not compress (so nothing on the way can shrink them)."""
    with open(path, "wb") as handle:
        for _ in range(SIZE // MIB):
            handle.write(os.urandom(MIB))
        handle.flush()
        os.fsync(handle.fileno())
    return path


def compare(run: Run, runs: int) -> dict:
    """curl and the module alternated (curl first in even rounds), after one warm-up upload each."""
    run.curl()
    run.module()
    samples: dict = {"curl": [], "module": []}
    for index in range(runs):
        order = ["curl", "module"] if index % 2 == 0 else ["module", "curl"]
        for key in order:
            samples[key].append(run.curl() if key == "curl" else run.module())
    return samples


def run(quick: bool = False) -> dict:
    runs = 1 if quick else 5
    with common.sandboxed(NAME, servers=1, virtual=True) as (workdir, box):
        common.set_upload_limit(box, UPLOAD_LIMIT_MB)
        bench_run = Run(workdir, box, make_source(workdir / "source.bin"))
        samples = compare(bench_run, runs)
        inventory = common.write_inventory(workdir / "hosts.yml", box, box["servers"][:1])
        playbooks = [bench_run.playbook(inventory) for _ in range(runs)]
        parts = breakdown(bench_run, 1 if quick else 5)
    figures = finish(samples, playbooks, parts)
    common.write_section(NAME, render(figures))
    return figures


def finish(samples: dict, playbooks: list[dict], parts: dict) -> dict:
    curl = common.median([sample["total"] for sample in samples["curl"]])
    module = common.median([sample["total"] for sample in samples["module"]])
    figures = {
        "samples": samples,
        "playbooks": playbooks,
        "parts": parts,
        "curl": curl,
        "curl_upload": common.median([sample["upload"] for sample in samples["curl"]]),
        "module": module,
        "ratio": module / curl,
        "pair_ratios": [m["total"] / c["total"] for m, c in zip(samples["module"], samples["curl"], strict=False)],
        "rss": max(sample["rss"] for sample in samples["module"]),
        "playbook_rss": max(sample["rss"] for sample in playbooks),
        "playbook": common.median([sample["total"] for sample in playbooks]),
        "kinds": samples["module"][-1]["kinds"],
        "phases": {
            key: common.median([sample["phases"][key] for sample in samples["module"]])
            for key in ("before", "upload", "after")
        },
    }
    figures["upload_ratio"] = figures["phases"]["upload"] / figures["curl_upload"]
    figures["upload_pair_ratios"] = [
        m["phases"]["upload"] / c["upload"] for m, c in zip(samples["module"], samples["curl"], strict=False)
    ]
    # the least a Python module could take: its floor start-up, then an upload as fast as curl's
    figures["best_ratio"] = (parts["floor"] + figures["curl_upload"]) / curl
    figures["ratio_met"] = figures["upload_ratio"] <= RATIO_TARGET
    figures["rss_met"] = max(figures["rss"], figures["playbook_rss"]) < RSS_TARGET
    figures["met"] = figures["ratio_met"] and figures["rss_met"]
    return figures


def render(figures: dict) -> str:
    samples, parts = figures["samples"], figures["parts"]
    rows = [
        [
            "`curl` (GET the signed URL, then `curl -F files=@file`)",
            f"{figures['curl']:.2f}",
            common.fmt_runs([s["total"] for s in samples["curl"]]),
            f"upload alone {figures['curl_upload']:.2f} s",
        ],
        [
            "`server_file` `src` (the module as a process)",
            f"{figures['module']:.2f}",
            common.fmt_runs([s["total"] for s in samples["module"]]),
            f"peak RSS {figures['rss']:.0f} MiB (`ru_maxrss`)",
        ],
        [
            "`server_file` through `ansible-playbook` (side measurement)",
            f"{figures['playbook']:.2f}",
            common.fmt_runs([s["total"] for s in figures["playbooks"]]),
            f"peak RSS {figures['playbook_rss']:.0f} MiB (polled, "
            f"{min(s['samples'] for s in figures['playbooks'])}+ samples a run)",
        ],
    ]
    lines = [
        "## File upload",
        "",
        f"`bench/file_upload.py`. Machine: {common.machine()}.",
        "",
        f"A {SIZE // MIB} MiB file of random bytes uploaded to the root of one `--virtual` sandbox server (the node's "
        f"upload limit raised to {UPLOAD_LIMIT_MB} MB through `PATCH <control_url>/settings`: Wings' default 100 MB "
        "would refuse it). Baseline: what a shell script does - `curl` GETs a signed URL "
        "(`/api/client/servers/<id>/files/upload`, owner's key), then `curl -sS -o /dev/null -F files=@file "
        '"<url>&directory=/"`; the two are timed together. The module: `server_file` with `src`, run as its own '
        f"process (`python -m {MODULE} args.json`, how Ansible runs a module, without Ansible around it). Every run "
        "uploads under a fresh name (so the module always uploads), is checked on the server (whole file, no "
        "temporary upload left) and then removed; curl and the module alternate after one warm-up each, "
        f"median of {len(samples['curl'])}, wall-clock seconds.",
        "",
        common.table(["upload", "median (s)", "runs (s)", "notes"], rows, ["---", "---:", "---", "---"]),
        "",
        f"**The upload: module / curl = {figures['upload_ratio']:.2f}x** (target <= {RATIO_TARGET}x: "
        f"{common.verdict(figures['ratio_met'])}): the module's upload, from its GET of the signed URL to its next "
        "panel request (the panel's answer, the connection to the node, the file hashed as it is read and sent, "
        f"the node's answer), {figures['phases']['upload']:.2f} s, against curl's upload to the URL it was given, "
        f"{figures['curl_upload']:.2f} s; ratios of the alternated pairs: "
        f"{common.fmt_runs(figures['upload_pair_ratios'])}. "
        f"**The whole task: module process / both curl commands = {figures['ratio']:.2f}x** (pairs: "
        f"{common.fmt_runs(figures['pair_ratios'])}), reported beside it and not what the target is judged on: "
        "over this loopback no Python module can come near 1.2x of curl's time - an interpreter takes "
        f"{figures['parts']['floor']:.2f} s from its start to the end of importing Ansible's `basic` and requests, "
        f"so that floor plus an upload as fast as curl's is already {figures['best_ratio']:.2f}x. "
        f"**Peak memory of the module: {figures['rss']:.0f} MiB** "
        f"(`ru_maxrss` of the module process, from `wait4`: the kernel's high-water mark, no sampling); "
        f"{figures['playbook_rss']:.0f} MiB for the `AnsiballZ_server_file` process of the `ansible-playbook` runs "
        f"(its RSS and its children's, polled every {POLL * 1000:.0f} ms) (target < {RSS_TARGET} MiB): "
        f"{common.verdict(figures['rss_met'])}.",
        "",
    ]
    return "\n".join(lines + render_parts(figures, parts))


def render_parts(figures: dict, parts: dict) -> list[str]:
    phase = figures["phases"]
    phase_rows = [
        ["before its first request: start-up (the local file is not read before the upload)", phase["before"]],
        [
            "the upload, the file hashed as it is read: from the GET of the signed URL to the next request "
            "(the listing that checks it)",
            phase["upload"],
        ],
        ["the rest: that listing, the rename, the result, the process's exit", phase["after"]],
    ]
    part_rows = [
        ["start-up: a run refused on its first check (interpreter, imports, arguments)", parts["startup"]],
        ["the floor: an interpreter started and done importing only Ansible's `basic` and requests", parts["floor"]],
        ["SHA-256 of the local file on its own (`_files.sha256_of_file`, 1 MiB reads)", parts["hash"]],
        ["upload alone through `_transfer.Transfer` in this process, from a plain file", parts["transfer"]],
        ["the same through `_files.HashingReader` (hashed as it is read, as the module does)", parts["hashing"]],
    ]
    profile_rows = [[name, calls, f"{own:.3f}"] for name, calls, own in parts["profile"]["rows"]]
    return [
        "Where the module's time goes. The module runs above, cut at their panel requests (arrival times in the "
        f"sandbox's request log; medians of {len(figures['samples']['module'])}); requests of one run: "
        f"{common.kinds_text(figures['kinds'])} (curl makes the GET of the URL only):",
        "",
        common.table(["phase of the module run", "median (s)"], seconds_rows(phase_rows), ["---", "---:"]),
        "",
        f"Measured apart, same sandbox, after those runs (medians of {len(parts['samples']['startup'])}; of "
        f"{len(parts['samples']['floor'])} for the floor):",
        "",
        common.table(["part", "median (s)"], seconds_rows(part_rows), ["---", "---:"]),
        "",
        explain(figures, parts),
        "",
        "Profile of one upload through `Transfer` (cProfile around the upload only; it slows Python code down, so "
        "only the proportions count), the functions with the most own time:",
        "",
        common.table(["function", "calls", "own time (s)"], profile_rows, ["---", "---:", "---:"]),
    ]


def upload_runs(figures: dict, key: str) -> str:
    """The upload's seconds in each run: the module's upload phase, or curl's upload alone."""
    return common.fmt_runs([s["phases"]["upload"] if key == "module" else s["upload"] for s in figures["samples"][key]])


def seconds_rows(rows: list[list]) -> list[list]:
    return [[label, f"{seconds:.2f}"] for label, seconds in rows]


def explain(figures: dict, parts: dict) -> str:
    """What the phases and parts say about the two ratios (and the memory, if its target is missed)."""
    phase, extra = figures["phases"], figures["module"] - figures["curl"]
    text = (
        f"The upload alone through `Transfer` in this process takes {parts['transfer']:.2f} s from a plain file and "
        f"{parts['hashing']:.2f} s through `HashingReader` (the SHA-256 the module returns, {parts['hash']:.2f} s on "
        "its own, computed while the upload reads the file: the file is missing on the server, so nothing is "
        f"compared first). The whole module run takes {extra:.2f} s more than curl's two commands: "
        f"{phase['before']:.2f} s before its first request (its start-up, measured apart {parts['startup']:.2f} s, of "
        f"which the floor of Ansible's `basic` and requests is {parts['floor']:.2f} s; curl starts in milliseconds), "
        f"the upload {phase['upload']:.2f} s against curl's {figures['curl_upload']:.2f} s (runs: module "
        f"{upload_runs(figures, 'module')}, curl {upload_runs(figures, 'curl')}), and {phase['after']:.2f} s for the "
        "listing that checks the upload, the rename, the result and the process's exit. "
    )
    text += upload_verdict(figures["upload_ratio"], parts["profile"])
    if extra > 0:
        seconds = extra / (RATIO_TARGET - 1)
        text += (
            "That extra is fixed work on this machine (start-up, requests, exit). An estimate, not measured here: if "
            "the module's upload kept curl's pace on a slower link, the whole run would be within "
            f"{RATIO_TARGET}x of curl's once curl's upload lasts {seconds:.1f} s or more - this file at "
            f"{SIZE / MIB / seconds:.0f} MiB/s or slower (a 1 Gbit/s link carries at most 119 MiB/s); over this "
            f"loopback curl uploads it at {SIZE / MIB / figures['curl_upload']:.0f} MiB/s."
        )
    if not figures["rss_met"]:
        text += f" Memory: {max(figures['rss'], figures['playbook_rss']):.0f} MiB at the peak, above the target."
    return text


def upload_verdict(upload_ratio: float, profile: dict) -> str:
    if upload_ratio <= RATIO_TARGET:
        return f"The upload is within {RATIO_TARGET}x of curl's. "
    return (
        f"The upload itself is slower than curl's by more than the target allows; in its profile "
        f"{profile['socket'] / profile['total']:.0%} of the time is in the socket calls (sending the body, waiting "
        f"for the node's answer) and {profile['total'] - profile['socket']:.2f} s in the Python code around them "
        "(reading and copying the blocks). "
    )


def summary(figures: dict) -> list[str]:
    """Two lines: the upload's time against curl's (and the whole run's), and the peak memory."""
    upload_line = (
        f"{SIZE // MIB} MiB, upload: module {figures['phases']['upload']:.2f} s, curl {figures['curl_upload']:.2f} s, "
        f"ratio {figures['upload_ratio']:.2f} (target <= {RATIO_TARGET}) {common.outcome(figures['ratio_met'])}"
    )
    whole_line = (
        f"whole run {figures['module']:.2f} s vs curl's two commands {figures['curl']:.2f} s, ratio "
        f"{figures['ratio']:.2f} (reported beside it; the least a Python module could reach here: "
        f"{figures['best_ratio']:.2f})"
    )
    rss = max(figures["rss"], figures["playbook_rss"])
    return [
        f"file_upload: {upload_line}; {whole_line}",
        f"file_upload: peak RSS {rss:.0f} MiB (target < {RSS_TARGET}) {common.outcome(figures['rss_met'])}",
    ]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
