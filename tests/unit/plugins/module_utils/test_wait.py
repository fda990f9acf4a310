# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""poll_until (_wait): read until done or the deadline, with a fake clock and a sleep that records."""

from __future__ import annotations

import pytest

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import CLIENT_CODES, PterodactylError
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wait import WaitTimeout, poll_until


class FakeTime:
    """A clock that only moves when slept on; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def reader(values):
    """A read() that returns the values in turn (the last one for ever), counting its calls."""
    values = list(values)
    calls = []

    def read():
        calls.append(len(calls))
        return values[min(len(calls) - 1, len(values) - 1)]

    read.calls = calls
    return read


def wait(read, done, fake, **options):
    return poll_until(read, done, clock=fake.clock, sleep=fake.sleep, **options)


def test_done_on_the_first_read_never_sleeps():
    fake = FakeTime()
    assert wait(reader(["installed"]), lambda state: state == "installed", fake, timeout=30) == ("installed", 1)
    assert fake.sleeps == []


def test_done_after_n_polls_sleeps_a_growing_interval():
    fake = FakeTime()
    read = reader(["installing"] * 4 + ["installed"])
    value, polls = wait(read, lambda state: state == "installed", fake, timeout=100, interval=2.0, max_interval=10.0)
    assert (value, polls) == ("installed", 5)
    assert len(read.calls) == 5
    assert fake.sleeps == pytest.approx([2.0, 3.0, 4.5, 6.75])


def test_interval_growth_is_capped_at_max_interval():
    fake = FakeTime()
    read = reader([False] * 8 + [True])
    wait(read, bool, fake, timeout=1000, interval=1.0, max_interval=3.0)
    assert fake.sleeps == pytest.approx([1.0, 1.5, 2.25, 3.0, 3.0, 3.0, 3.0, 3.0])


def test_an_interval_above_max_interval_starts_at_max_interval():
    fake = FakeTime()
    wait(reader([False, False, True]), bool, fake, timeout=100, interval=30.0, max_interval=5.0)
    assert fake.sleeps == [5.0, 5.0]


def test_the_last_sleep_is_cut_so_the_final_read_is_at_the_deadline():
    fake = FakeTime(start=0.0)
    read = reader(["pending"])
    with pytest.raises(WaitTimeout):
        wait(read, lambda value: False, fake, timeout=5.0, interval=2.0, max_interval=10.0)
    assert fake.sleeps == pytest.approx([2.0, 3.0])  # 2 + 3 = the 5 s deadline, not 2 + 3 + 4.5
    assert fake.now == pytest.approx(5.0) and len(read.calls) == 3


def test_timeout_raises_wait_timeout_naming_the_option_the_last_value_and_the_polls():
    fake = FakeTime()
    states = ["queued", "installing", "installing"]
    with pytest.raises(WaitTimeout) as info:
        wait(
            reader(states),
            lambda state: state == "installed",
            fake,
            timeout=7,
            interval=2.0,
            what="the install",
            option="install_timeout",
        )
    error = info.value
    assert isinstance(error, PterodactylError)
    assert error.code == "WaitTimeout" and error.code in CLIENT_CODES
    assert error.last == "installing" and error.polls == 4 and error.option == "install_timeout"
    assert error.detail == "the install" and error.status is None
    text = str(error)
    assert "the install did not happen within 7s" in text
    assert "4 checks" in text and "'installing'" in text
    assert "raise install_timeout" in error.hint and "install_timeout" in text


def test_a_long_last_value_is_shortened_in_the_message():
    fake = FakeTime()
    with pytest.raises(WaitTimeout) as info:
        wait(reader(["x" * 5000]), lambda value: False, fake, timeout=1)
    assert len(str(info.value)) < 400 and info.value.last == "x" * 5000


def test_errors_of_read_and_done_propagate_unchanged():
    fake = FakeTime()

    def broken():
        raise PterodactylError("GET /x failed: HTTP 500", status=500)

    with pytest.raises(PterodactylError) as info:
        wait(broken, bool, fake, timeout=10)
    assert info.value.status == 500 and not isinstance(info.value, WaitTimeout)
    with pytest.raises(ZeroDivisionError):
        wait(reader([0]), lambda value: 1 / value, fake, timeout=10)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "30", None, True])
def test_an_invalid_timeout_is_an_invalid_option_naming_it(timeout):
    read = reader([True])
    with pytest.raises(PterodactylError) as info:
        wait(read, bool, FakeTime(), timeout=timeout, option="wait_timeout")
    assert info.value.code == "InvalidOption" and "wait_timeout" in str(info.value)
    assert read.calls == []  # refused before the first read


@pytest.mark.parametrize(
    "options",
    [
        {"interval": 0},
        {"interval": -2},
        {"interval": float("nan")},
        {"interval": "2"},
        {"max_interval": 0},
        {"max_interval": float("inf")},
        {"max_interval": None},
    ],
)
def test_an_invalid_interval_is_an_invalid_option(options):
    read = reader([True])
    with pytest.raises(PterodactylError) as info:
        wait(read, bool, FakeTime(), timeout=10, **options)
    assert info.value.code == "InvalidOption" and "interval" in str(info.value)
    assert read.calls == []


def test_real_clock_and_sleep_by_default():
    reads = iter([False, True])
    value, polls = poll_until(lambda: next(reads), bool, timeout=5, interval=0.01)
    assert (value, polls) == (True, 2)
