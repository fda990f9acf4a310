#!/usr/bin/env python
# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests per operation of the file modules, counted from the sandbox's request log (cleared before each).

Each operation is one ``ansible-playbook`` task on one host of a virtual sandbox, the server given by
identifier (a name would cost a lookup): ``server_properties`` on the game's default server.properties, and
``server_file`` with the ``content`` of a small text file (a plugin's configuration). The state before each
operation is made in the server's data folder directly. Targets: unchanged -> 1 panel request, changed -> 2;
a missing file (created) is measured without a target. Full mode repeats the operations on a Pelican-flavor
sandbox (its node answers a missing file 404 instead of Pterodactyl's 500).
"""

from __future__ import annotations

import pathlib
import sys

from bench import common

NAME = "files_requests"
PROPERTIES = {"motd": "Files benchmark", "max-players": 40, "pvp": False, "view-distance": 12}
CONFIG_PATH = "plugins/Essentials/config.yml"
CONFIG_OLD = "# Essentials\nops-name-color: '4'\nnickname-prefix: '~'\nmax-nick-length: 15\n"
CONFIG_NEW = (
    "# Essentials, configured by Ansible\n"
    "ops-name-color: 'c'\nnickname-prefix: '~'\nmax-nick-length: 16\n"
    + "".join(f"kit-{index}:\n  delay: {index * 60}\n  items: [bread {index}]\n" for index in range(40))
)
MISSING_NOTE = (
    "A missing file: the fewest is 2 (GET contents, POST write), but the answer to reading a missing file is an "
    "error that does not say the file is missing - Pterodactyl's generic 500 (Wings 1.11), Pelican's 404 (which an "
    "unknown server gives too) - so the module lists the folder to tell a missing file from a failure before it "
    "creates one: 3 requests, the third only when the read failed."
)


def properties_file(server: dict) -> pathlib.Path:
    return pathlib.Path(server["data_dir"]) / "server.properties"


def config_file(server: dict) -> pathlib.Path:
    return pathlib.Path(server["data_dir"]) / CONFIG_PATH


def write_config(server: dict, text: str | None) -> None:
    """The plugin configuration as the operation finds it (None: missing, its folder there)."""
    path = config_file(server)
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(text, encoding="utf-8")


def remove_properties(server: dict) -> None:
    properties_file(server).unlink(missing_ok=True)


# (label, short label, prepare(server) or None to keep the previous state, playbook, extra vars, changed,
#  baseline, target)
OPERATIONS = [
    (
        "`server_properties`, values differ (changed)",
        "properties changed",
        common.default_properties,
        "server_properties.yml",
        {"properties": PROPERTIES},
        True,
        (2, "GET contents + POST write"),
        2,
    ),
    (
        "`server_properties`, values already set (unchanged)",
        "properties unchanged",
        None,
        "server_properties.yml",
        {"properties": PROPERTIES},
        False,
        (1, "GET contents"),
        1,
    ),
    (
        "`server_properties`, file missing (created)",
        "properties created",
        remove_properties,
        "server_properties.yml",
        {"properties": PROPERTIES},
        True,
        (2, "GET contents + POST write; see below"),
        None,
    ),
    (
        "`server_file` content, file differs (changed)",
        "file changed",
        lambda server: write_config(server, CONFIG_OLD),
        "server_file.yml",
        {"file_path": CONFIG_PATH, "file_content": CONFIG_NEW},
        True,
        (2, "GET contents + POST write"),
        2,
    ),
    (
        "`server_file` content, file already right (unchanged)",
        "file unchanged",
        None,
        "server_file.yml",
        {"file_path": CONFIG_PATH, "file_content": CONFIG_NEW},
        False,
        (1, "GET contents"),
        1,
    ),
    (
        "`server_file` content, file missing (created)",
        "file created",
        lambda server: write_config(server, None),
        "server_file.yml",
        {"file_path": CONFIG_PATH, "file_content": CONFIG_NEW},
        True,
        (2, "GET contents + POST write; see below"),
        None,
    ),
]


def measure(workdir: pathlib.Path, box: dict, inventory: pathlib.Path, flavor: str, operation: tuple) -> dict:
    label, short, prepare, playbook, extra, changed, baseline, target = operation
    server = box["servers"][0]
    if prepare is not None:
        prepare(server)
    counts = common.requests_of_play(workdir, box, inventory, playbook, extra)
    if counts["changed"] != int(changed):
        raise RuntimeError(f"{label} ({flavor}): the task reported changed={counts['changed']}, expected {changed}")
    counts.update(
        label=label,
        short=short,
        flavor=flavor,
        baseline=baseline,
        target=target,
        met=None if target is None else counts["total"] <= target,
    )
    return counts


def run(quick: bool = False) -> dict:
    flavors = ["pterodactyl"] if quick else ["pterodactyl", "pelican"]
    common.ensure_collection_link()
    rows = []
    with common.workspace(NAME) as workdir:
        for flavor in flavors:
            with common.sandbox(
                workdir, servers=3, virtual=True, flavor=flavor, rate_limit=common.UNLIMITED_RATE
            ) as box:
                inventory = common.write_inventory(workdir / f"hosts-{flavor}.yml", box, box["servers"][:1])
                rows += [measure(workdir, box, inventory, flavor, operation) for operation in OPERATIONS]
    figures = {"rows": rows, "met": all(row["met"] is not False for row in rows)}
    common.write_section(NAME, render(figures))
    return figures


def render(figures: dict) -> str:
    rows = [
        [
            row["flavor"],
            row["label"],
            row["total"],
            row["named"],
            f"{row['baseline'][0]} ({row['baseline'][1]})",
            common.kinds_text(row["kinds"]) or "-",
            f"{row['target']}: {common.verdict(row['met'])}" if row["target"] is not None else "-",
        ]
        for row in figures["rows"]
    ]
    return "\n".join(
        [
            "## Requests per operation: the file modules",
            "",
            f"`bench/files_requests.py`. Machine: {common.machine()}.",
            "",
            "Panel requests counted from the sandbox's request log (`GET <control_url>/requests`, cleared before "
            "each operation); each operation is one `ansible-playbook` task on one host of a `--virtual` sandbox, the "
            "server given by its identifier (a name would cost one lookup request). The state the operation finds is "
            "made in the server's data folder directly: `server_properties` starts from the game's default "
            "`server.properties` (the 19 keys the sandbox's game writes at its first boot) and sets "
            f"{', '.join(f'`{key}`' for key in PROPERTIES)}; `server_file` writes `{CONFIG_PATH}` "
            f"({len(CONFIG_NEW.encode())} bytes of text, `content`), first over an older version of it. Each row "
            "also checks that the task reported the change it should (`changed` in the recap). Baseline: the fewest "
            "panel requests the operation can be done with. Small text files never go through Wings' signed URLs, "
            "so the panel's requests are all the requests.",
            "",
            common.table(
                [
                    "flavor",
                    "operation",
                    "requests",
                    "naming the server",
                    "baseline (fewest possible)",
                    "requests made",
                    "target (requests)",
                ],
                rows,
                ["---", "---", "---:", "---:", "---", "---", "---"],
            ),
            "",
            MISSING_NOTE,
            "",
            f"Targets (unchanged: 1 request, changed: 2): {common.verdict(figures['met'])}.",
        ]
    )


def summary(figures: dict) -> list[str]:
    """One line per flavor: each operation's requests."""
    lines = []
    for flavor in dict.fromkeys(row["flavor"] for row in figures["rows"]):
        counts = ", ".join(f"{row['short']} {row['total']}" for row in figures["rows"] if row["flavor"] == flavor)
        lines.append(f"files_requests: {flavor} requests: {counts}")
    return lines + [f"files_requests: targets (unchanged 1, changed 2) {common.outcome(figures['met'])}"]


if __name__ == "__main__":
    sys.exit(common.command_line(run, summary))
