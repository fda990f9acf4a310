# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress of long reads: a line every few seconds (fake clock), rate-limit waits named, silence when short."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._progress import Progress

pytestmark = pytest.mark.usefixtures("no_proxies")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reports_every_few_seconds_with_the_total_and_the_rate_limit_waits():
    clock, lines, waited = Clock(), [], [0.0]
    progress = Progress("servers listed", lines.append, waited=lambda: waited[0], every=3.0, clock=clock)
    progress.page(100, 2000)
    assert lines == []  # less than 3 s in: nothing yet
    clock.now += 3.5
    waited[0] = 2.4
    progress.page(100, 2000)
    clock.now += 1.0
    progress.page(100, 2000)  # 1 s after the last line: silent
    clock.now += 4.0
    progress.page(100, 2000)
    progress.finish()
    assert lines == [
        "200 of 2000 servers listed after 4 s (2 s of it waiting out the panel's rate limit)",
        "400 of 2000 servers listed after 8 s (2 s of it waiting out the panel's rate limit)",
        "400 of 2000 servers listed after 8 s (2 s of it waiting out the panel's rate limit), done",
    ]


def test_a_short_read_stays_silent():
    lines = []
    progress = Progress("servers' resources read", lines.append, total=3, clock=Clock())
    progress.add()
    progress.add()
    progress.add()
    progress.finish()
    assert lines == [] and progress.done == 3


def test_pagination_tells_each_page(panel, many_servers):
    panel.expect_request("/api/client").respond_with_handler(panel.paged(many_servers))
    seen = []
    panel.client("ptlc_" + "k" * 43).list_servers(
        concurrent=True, on_page=lambda items, total: seen.append((items, total))
    )
    assert sorted(seen) == [(50, 250), (100, 250), (100, 250)]
