#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""State detection: how long after a server really becomes ``running`` does ``server_power`` (wait) return?

A real-process sandbox server (a Python game server that prints its Done line after its boot time) is
offline; ``ansible-playbook`` runs ``server_power state=started`` (wait) on it. Meanwhile:

* a thread polls the sandbox's control endpoint (``GET <control_url>/servers/{identifier}``) every few
  milliseconds: the change to ``running`` happened after the last poll that read another state was sent
  and before the first poll that read ``running`` came back;
* a thread polls the panel's ``/resources`` once a second, as a script would: it sees ``running`` when the
  panel's 20-s cache of the Wings figures expires.

The module's return is the wall-clock time of its ``ok`` result in Ansible's main process (a callback).
Target: the module returns at most 0.5 s after the change.
"""

from __future__ import annotations

import pathlib
import sys
import threading
import time

import requests

from bench import common

NAME = "state_detection"
TARGET = 0.5
CONTROL_POLL = 0.005
RESOURCES_POLL = 1.0
RESOURCES_DEADLINE = 45.0
STATE_DEADLINE = 120.0


class ControlPoller(threading.Thread):
    """Polls the sandbox's own view of the server until it is running: brackets the moment of the change."""

    def __init__(self, box: dict, identifier: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{box['control_url']}/servers/{identifier}"
        self.last_other_sent: float | None = None
        self.first_running_received: float | None = None
        self.polls = 0
        self.started_at = time.time()

    def run(self) -> None:
        session = requests.Session()
        deadline = time.monotonic() + STATE_DEADLINE
        while time.monotonic() < deadline:
            sent = time.time()
            state = session.get(self.url, timeout=common.HTTP_TIMEOUT).json()["state"]
            received = time.time()
            self.polls += 1
            if state == "running":
                self.first_running_received = received
                break
            self.last_other_sent = sent
            time.sleep(CONTROL_POLL)
        session.close()

    def change(self) -> tuple[float, float]:
        """(earliest, latest) wall-clock time of the change to running."""
        if self.first_running_received is None or self.last_other_sent is None:
            raise RuntimeError("the sandbox never reported the server going from another state to running")
        return self.last_other_sent, self.first_running_received


class ResourcesPoller(threading.Thread):
    """A /resources poll loop (1 s interval): the time its answer first says running."""

    def __init__(self, box: dict, identifier: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{box['panel_url']}/api/client/servers/{identifier}/resources"
        self.headers = {"Authorization": "Bearer " + box["keys"]["owner"], "Accept": "application/json"}
        self.first_running: float | None = None
        self.first_poll = threading.Event()
        self.polls = 0

    def run(self) -> None:
        session = requests.Session()
        deadline = time.monotonic() + RESOURCES_DEADLINE
        while time.monotonic() < deadline:
            started = time.monotonic()
            body = session.get(self.url, headers=self.headers, timeout=common.HTTP_TIMEOUT).json()
            self.polls += 1
            self.first_poll.set()
            if body["attributes"]["current_state"] == "running":
                self.first_running = time.time()
                break
            time.sleep(max(0.0, RESOURCES_POLL - (time.monotonic() - started)))
        session.close()


def start_pollers(box: dict, identifier: str, lead: float) -> tuple[ResourcesPoller, ControlPoller]:
    """The /resources loop (its first answer cached by the panel), ``lead`` seconds, then the control poller."""
    resources = ResourcesPoller(box, identifier)
    resources.start()
    resources.first_poll.wait(common.HTTP_TIMEOUT)
    time.sleep(lead)
    poller = ControlPoller(box, identifier)
    poller.start()
    return resources, poller


def one_transition(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, lead: float, index: int) -> dict:
    """Offline -> server_power started (wait), with both pollers watching; the times of one run."""
    identifier = box["servers"][0]["identifier"]
    common.drive(box, identifier, "offline")
    common.reset(box)
    times_file = workdir / f"times-{index}.jsonl"
    resources, poller = start_pollers(box, identifier, lead)
    launched = time.time()
    proc = common.run_playbook(
        "power.yml", inventory, common.timing_env(workdir, times_file), "-e", "power_state=started", forks=1
    )[1]
    ended = time.time()
    poller.join(STATE_DEADLINE)
    resources.join(RESOURCES_DEADLINE + common.HTTP_TIMEOUT)
    returned = [record["time"] for record in common.read_times(times_file) if record["event"] == "ok"]
    if not returned or "changed=1" not in proc.stdout:
        raise common.PlaybookFailed(f"server_power did not report a change: {proc.stdout[-2000:]}")
    earliest, latest = poller.change()
    return {
        "launched": launched,
        "earliest": earliest,
        "latest": latest,
        "returned": returned[0],
        "ended": ended,
        "resources_running": resources.first_running,
        "lead": lead,
        "polls": poller.polls,
        "poll_span": latest - poller.started_at,
    }


def summarize(times: dict) -> dict:
    """Delays of one transition: the module's (upper bound: from the earliest possible change), the bracket, ..."""
    middle = (times["earliest"] + times["latest"]) / 2
    resources = times["resources_running"] - middle if times["resources_running"] else None
    return {
        "module": times["returned"] - times["earliest"],
        "module_low": times["returned"] - times["latest"],
        "bracket": times["latest"] - times["earliest"],
        "teardown": times["ended"] - times["returned"],
        "boot": times["earliest"] - times["launched"],
        "resources": resources,
        "lead": times["lead"],
        "poll_interval": times["poll_span"] / max(1, times["polls"]),
    }


def run(quick: bool = False) -> dict:
    leads = [0.0, 10.0] if quick else [0.0, 7.0, 14.0]
    common.ensure_collection_link()
    with common.workspace(NAME) as workdir, common.sandbox(workdir, servers=1) as box:
        inventory = common.write_inventory(workdir / "hosts.yml", box, box["servers"][:1])
        common.run_playbook("power.yml", inventory, common.ansible_env(workdir), "-e", "power_state=stopped")
        runs = [summarize(one_transition(workdir, box, inventory, lead, index)) for index, lead in enumerate(leads)]
    figures = {
        "runs": runs,
        "module": common.median([item["module"] for item in runs]),
        "module_low": common.median([r["module_low"] for r in runs]),
        "resources": common.median([r["resources"] for r in runs if r["resources"] is not None]),
        "resources_missing": sum(1 for r in runs if r["resources"] is None),
    }
    figures["met"] = figures["module"] <= TARGET
    figures["ratio"] = figures["resources"] / figures["module"] if figures["module"] > 0 else float("nan")
    common.write_section(NAME, render(figures))
    return figures


def render(figures: dict) -> str:
    rows = [
        [
            f"{index + 1}",
            f"{r['lead']:.0f}",
            f"{r['boot']:.2f}",
            f"{r['module']:.3f}",
            f"{r['module_low']:.3f}",
            f"{r['bracket'] * 1000:.0f}",
            f"{r['teardown']:.2f}",
            f"{r['resources']:.1f}" if r["resources"] is not None else f"not seen in {RESOURCES_DEADLINE:.0f} s",
        ]
        for index, r in enumerate(figures["runs"])
    ]
    lines = [
        "## State detection",
        "",
        f"`bench/state_detection.py`. Machine: {common.machine()}.",
        "",
        "A real-process sandbox server goes from offline to running through `server_power state=started` (wait), "
        "run by `ansible-playbook` (one host, `ansible_connection=local`). The moment of the change is bracketed by "
        "polling the sandbox's control endpoint (`GET <control_url>/servers/{identifier}`, "
        f"every {CONTROL_POLL * 1000:.0f} ms; it does "
        "not record state-change times itself): after the last poll that read another state was sent, before the "
        "first poll that read `running` came back. The module's return is the wall-clock time of its `ok` result "
        "in Ansible's main process (a callback plugin). The delay counts from the earliest possible change, so it "
        "is an upper bound; the lower bound counts from the latest.",
        "",
        "Baseline: a `/resources` poll loop (one GET a second, started `lead` seconds before the playbook, so that "
        "the panel's 20-s cache of the Wings figures is at a different phase in each run). Its delay counts from "
        f"the middle of the bracket. Medians over {len(figures['runs'])} transitions.",
        "",
        common.table(
            [
                "run",
                "lead (s)",
                "launch to running (s)",
                "module delay (s, upper)",
                "module delay (s, lower)",
                "bracket (ms)",
                "Ansible teardown after return (s)",
                "/resources delay (s)",
            ],
            rows,
            ["---:"] * 8,
        ),
        "",
        f"**server_power (wait) returns {figures['module']:.3f} s after the change** (median upper bound; lower bound "
        f"{figures['module_low']:.3f} s; target <= {TARGET:.1f} s): {common.verdict(figures['met'])}.",
        "",
        f"A `/resources` poll loop sees the same change after {figures['resources']:.1f} s (median), "
        f"{figures['ratio']:.0f}x later: its answer is the "
        "panel's cached copy, up to 20 s old, plus up to one poll interval. The module does not poll: it waits on "
        "the `status` events that Wings pushes over the websocket.",
    ]
    if figures["resources_missing"]:
        lines.append(
            f"In {figures['resources_missing']} run(s) the /resources loop did not see `running` within "
            f"{RESOURCES_DEADLINE:.0f} s."
        )
    return "\n".join(lines)


def summary(figures: dict) -> list[str]:
    return [
        f"state_detection: module {figures['module']:.3f} s (lower {figures['module_low']:.3f} s; "
        f"target <= {TARGET:.1f}) {common.outcome(figures['met'])}; /resources loop {figures['resources']:.1f} s"
    ]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
