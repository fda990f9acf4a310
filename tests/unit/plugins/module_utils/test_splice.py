# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_splice and _stream: a replay of Wings' history spliced with live lines, decided on plain lists.

The console is modelled as one sequence of lines ``T``; the session saw ``T[:s]``, the replay is a
window ``T[a:b]`` and the live stream ``T[c:]`` with ``a <= s <= c <= b``; Wings mixes the two.
"""

from __future__ import annotations

import itertools

from ansible_collections.gameops.pterodactyl.plugins.module_utils import _splice, _stream
from ansible_collections.gameops.pterodactyl.plugins.module_utils._splice import Item
from ansible_collections.gameops.pterodactyl.plugins.module_utils._wings import Collector

DAEMON = "[Pterodactyl Daemon]: Server is outputting console data too quickly -- throttling..."


def items(*texts: str) -> list[Item]:
    return [Item(text, text.startswith("[Pterodactyl Daemon]")) for text in texts]


def merges(first: list, second: list):
    """Every interleaving of two sequences that keeps the order of each."""
    size = len(first) + len(second)
    for slots in itertools.combinations(range(size), len(first)):
        others = [position for position in range(size) if position not in slots]
        merged = [None] * size
        for position, item in zip(slots, first, strict=True):
            merged[position] = item
        for position, item in zip(others, second, strict=True):
            merged[position] = item
        yield merged


def test_interleaved_live_lines_land_after_the_gap_in_order():
    seen = ["l1", "l2", "l3"]
    early = items("e1", "e2")  # live lines that came before the request: their copies end the replay
    # replay l2 l3 g1 g2 e1 e2 p1, with live p1 q1 and a Wings message mixed in
    received = items("l2", "p1", "l3", "g1", DAEMON, "g2", "e1", "e2", "q1", "p1")
    result = _splice.splice(seen, early, received)
    assert result.gap == ["g1", "g2"]
    assert result.live == ["e1", "e2", "p1", DAEMON, "q1"]
    assert result.lines == ["g1", "g2", "e1", "e2", "p1", DAEMON, "q1"]
    assert result.overlap == 2 and result.found_end
    assert result.replay == ["l2", "l3", "g1", "g2", "e1", "e2", "p1"]
    assert result.fresh == [DAEMON, "q1"]


def test_overlap_at_the_very_end_means_nothing_was_missed():
    seen = ["l1", "l2", "l3"]
    result = _splice.splice(seen, items("e1"), items("l1", "l2", "l3", "e1", "q1"))
    assert result.gap == [] and result.lines == ["e1", "q1"] and result.overlap == 3


def test_no_overlap_keeps_every_replayed_line_and_says_so():
    seen = ["old 1", "old 2"]
    result = _splice.splice(seen, items("e1"), items("n1", "n2", "e1", "q1"))
    assert result.overlap == 0 and result.lines == ["n1", "n2", "e1", "q1"]
    record = _stream.gap_record(result, None, known=True)
    assert record == {
        "closed": False,
        "missed_lines": None,
        "recovered_lines": 2,
        "reason": _stream.REASON_NO_OVERLAP,
    }


def test_repeated_identical_lines_are_aligned_not_deduplicated():
    seen = ["a", "tick", "tick", "b", "tick"]
    # the server printed "tick tick c" during the gap: genuine repeats of lines seen before
    replay = ["tick", "tick", "b", "tick", "tick", "tick", "c", "e1"]
    result = _splice.splice(seen, items("e1"), items(*replay))
    assert result.overlap == 4  # the longest tail of what was seen, not the last line alone
    assert result.gap == ["tick", "tick", "c"] and result.lines == ["tick", "tick", "c", "e1"]


def test_repeated_live_lines_are_kept():
    seen = ["x", "y"]
    result = _splice.splice(seen, items("tick", "tick"), items("x", "y", "g", "tick", "tick", "tick"))
    # the replay ends with the two early ticks; the third one is live
    assert result.gap == ["g"] and result.live == ["tick", "tick", "tick"]


def test_empty_replay_delivers_the_live_lines():
    result = _splice.splice(["a"], items("e1"), items("q1"))
    assert result.lines == ["e1", "q1"] and result.overlap == 0 and not result.found_end


def test_every_interleaving_delivers_each_line_once():
    """T = s0..s3 (seen) g1 g2 (the gap) e1 (early) p1 (printed before the snapshot) q1 q2 (after it).

    Every way Wings can mix the replay with the live lines, as long as a line's live copy comes
    before its copy in the replay (Wings forwards a line when it is printed; the replay is read
    later). Each line comes once, the gap's lines in order and before the live ones. The order is exact
    unless a live line came in the middle of the replay's gap lines: nothing tells it from a gap
    line then (the same frames could come from a server that printed it before the drop), and it is
    delivered with them."""
    seen, early = ["s0", "s1", "s2", "s3"], items("e1")
    replay = [("replay", text) for text in ["s2", "s3", "g1", "g2", "e1", "p1"]]
    live = [("live", text) for text in ["p1", "q1", "q2"]]
    exact = checked = 0
    for merged in merges(replay, live):
        if merged.index(("live", "p1")) > merged.index(("replay", "p1")):
            continue
        result = _splice.splice(seen, early, items(*[text for _source, text in merged]))
        assert sorted(result.lines) == ["e1", "g1", "g2", "p1", "q1", "q2"], merged
        assert result.overlap == 2 and result.found_end
        lines = result.lines
        assert lines.index("g1") < lines.index("g2") < lines.index("e1") < lines.index("p1"), merged
        inside_gap = merged[merged.index(("replay", "s3")) : merged.index(("replay", "e1"))]
        if not any(source == "live" for source, _text in inside_gap):
            assert lines == ["g1", "g2", "e1", "p1", "q1", "q2"], merged
            exact += 1
        checked += 1
    assert checked == 83 and exact == 19


def test_find_run_prefers_an_unbroken_run():
    assert _splice.find_run(["a", "b"], ["a", "x", "b", "a", "b"]) == [3, 4]
    assert _splice.find_run(["a", "b"], ["a", "x", "b"]) == [0, 2]
    assert _splice.find_run(["a"], ["b"]) is None and _splice.find_run([], ["a"]) is None


# ---- the stream: when a replay is over, what each reconnect records --------------------------


def run_replay(stream: _stream.ConsoleStream, early: list[str], replay: list[str], state="running") -> None:
    """One reconnect: early lines, the request, the replay; the clock is simulated."""
    stream.begin(0.0, reconnect=True)
    stream.receive(early, 0.1)
    assert stream.step(0.1, state) is (len(early) >= _stream.LEAD_LINES)
    if len(early) < _stream.LEAD_LINES:
        assert stream.step(_stream.LEAD_SECONDS, state) is (state != "offline")
    stream.receive(replay, 0.6)
    stream.step(0.6, state)
    stream.step(5.0, state)
    assert not stream.pending


def test_stream_closes_a_gap_and_feeds_the_collector_in_order():
    stream = _stream.ConsoleStream()
    stream.receive(["l1", "l2", "l3"], 0.0)
    stream.collector = Collector(None, None)
    run_replay(stream, ["e1", "e2", "e3"], ["l2", "l3", "g1", "e1", "e2", "e3"])
    assert stream.collector.lines == ["g1", "e1", "e2", "e3"]
    assert stream.gaps == [{"closed": True, "missed_lines": 0, "recovered_lines": 1, "reason": _stream.REASON_CLOSED}]
    summary = _stream.summary(stream.gaps, 1)
    assert summary["gap_closed"] and summary["missed_lines"] == 0 and _stream.warning(summary) is None


def test_stream_server_went_offline_history_empty_gap_unknown():
    stream = _stream.ConsoleStream()
    stream.receive(["l1"], 0.0)
    run_replay(stream, [], [], state="offline")
    assert stream.gaps[0]["closed"] is False and stream.gaps[0]["missed_lines"] is None
    assert stream.gaps[0]["reason"] == _stream.REASON_OFFLINE
    summary = _stream.summary(stream.gaps, 1)
    assert summary["missed_lines"] is None and not summary["gap_closed"]
    assert "could not be closed" in _stream.warning(summary) and "unknown number" in _stream.warning(summary)


def test_stream_without_a_known_tail_keeps_old_replay_lines_out_of_the_collector():
    stream = _stream.ConsoleStream()
    stream.collector = Collector(None, None)
    run_replay(stream, ["e1", "e2", "e3"], ["old", "e1", "e2", "e3"])
    assert stream.collector.lines == ["e1", "e2", "e3"] and stream.recent[0] == "old"
    assert stream.gaps[0]["reason"] == _stream.REASON_NOTHING_SEEN


def test_stream_a_replay_cut_short_is_not_proven():
    stream = _stream.ConsoleStream()
    stream.receive(["l1", "l2"], 0.0)
    stream.begin(0.0, reconnect=True)
    stream.receive(["e1", "e2", "e3"], 0.1)
    assert stream.step(0.1, "running")
    stream.receive(["l2", "g1"], 0.2)  # the early lines' copies have not come yet
    stream.finish(0.3)
    assert stream.gaps[0]["closed"] is False and stream.gaps[0]["reason"] == _stream.REASON_CUT


def test_recent_lines_are_kept_at_all_times_and_bounded():
    stream = _stream.ConsoleStream()
    stream.receive([f"line {i}" for i in range(40)] + [DAEMON], 0.0)
    assert list(stream.recent) == [f"line {i}" for i in range(11, 40)] + [DAEMON]
    assert len(stream.recent) == _stream.RECENT_LINES and DAEMON not in stream.seen


def test_recent_lines_include_what_a_replay_under_way_holds_back():
    stream = _stream.ConsoleStream()
    stream.receive(["l1", "l2"], 0.0)
    stream.begin(0.0, reconnect=True)
    stream.receive(["e1", "crash: exit code 1"], 0.1)  # the server crashed right after the reconnect
    assert stream.recent_lines() == ["l1", "l2", "e1", "crash: exit code 1"] and list(stream.recent) == ["l1", "l2"]
