# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Closing a console gap after a reconnect: the replay of Wings' history spliced with the live lines.

After a drop, the new socket receives two streams mixed line by line (Wings answers ``send logs`` in
its own goroutine): the *replay* (the last container lines, oldest first, a snapshot taken when Wings
handled the request) and the *live* lines published since the new socket authenticated. The session
first lets a few live lines arrive (the *early* lines), then asks for the replay, so that:

* the replay's start overlaps the tail of what was seen before the drop (``seen``): the longest such
  overlap (a sequence, not a set: identical lines may repeat) proves that nothing was missed;
* the replay's end holds copies of the early lines (they were printed before the snapshot): where
  that run is found, the replay ends, and what comes after it is live.

The lines printed during the gap are the replay's lines between the overlap and the early lines'
copies. Wings' own ``[... Daemon]:`` messages are never in the replay: they are always live. Pure:
no socket, no clock. Private to the collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Item(NamedTuple):
    """One console line received on the new socket."""

    text: str
    daemon: bool = False  # a Wings message: never in the replay


class Splice(NamedTuple):
    """What a replay adds after a reconnect.

    ``gap``: the replay's lines printed while the socket was down (after ``seen``, before the early
    lines); ``live``: the live lines in order (the early ones first, Wings' own messages included);
    ``replay``: the replay as Wings sent it; ``fresh``: the live lines printed after the replay's
    snapshot (not in it); ``overlap``: how many of the replay's first lines were seen before the drop
    (0: the gap is not proven closed); ``found_end``: whether the early lines' copies were found."""

    gap: list[str]
    live: list[str]
    replay: list[str]
    fresh: list[str]
    overlap: int
    found_end: bool

    @property
    def lines(self) -> list[str]:
        """What to deliver after a reconnect, in order: the gap, then the live lines."""
        return self.gap + self.live


def subsequence(wanted: Sequence[str], items: Sequence[str], start: int = 0) -> list[int] | None:
    """The positions (leftmost, greedy) where ``wanted`` occurs in order in ``items[start:]``, else None.

    Other lines may stand between them: live lines arrive in the middle of the replay."""
    found, position = [], start
    for text in wanted:
        while position < len(items) and items[position] != text:
            position += 1
        if position >= len(items):
            return None
        found.append(position)
        position += 1
    return found


def find_overlap(seen: Sequence[str], items: Sequence[str]) -> list[int]:
    """The positions in ``items`` of the longest tail of ``seen`` found there in order, else [].

    The longest one wins: with lines that repeat, a shorter tail also matches, but would take the
    replay's repeats of it for new lines."""
    for size in range(min(len(seen), len(items)), 0, -1):
        found = subsequence(seen[len(seen) - size :], items)
        if found is not None:
            return found
    return []


def find_run(run: Sequence[str], items: Sequence[str]) -> list[int] | None:
    """The positions of ``run`` in ``items``: first where it stands unbroken, else first in order."""
    if not run:
        return None
    size = len(run)
    for start in range(len(items) - size + 1):
        if list(items[start : start + size]) == list(run):
            return list(range(start, start + size))
    for start, text in enumerate(items):
        if text == run[0]:
            found = subsequence(run, items, start)
            if found is not None:
                return found
    return None


def _pair_copies(texts: list[str], first: int, candidates: list[int]) -> tuple[set[int], list[int]]:
    """The replay's copies of live lines printed after the early ones (they follow the early lines'
    copies): ``(copies, originals)``. A line from ``first`` on that repeats an earlier unpaired line
    (one of ``candidates``, or an earlier one after ``first``) is such a copy; pairs keep their order.
    Only the replay's last moments are spliced (``_stream.RUN_GRACE_SECONDS``), so only its copies
    are expected here, not a live line that happens to repeat one."""
    copies: set[int] = set()
    originals: list[int] = []
    pool = list(candidates)
    floor = -1
    for position in range(first, len(texts)):
        match = next((c for c in pool if c > floor and texts[c] == texts[position]), None)
        if match is None:
            pool.append(position)  # a live line: its copy may come later
            continue
        pool.remove(match)
        copies.add(position)
        originals.append(match)
        floor = match
    return copies, originals


def splice(seen: Sequence[str], early: Sequence[Item], items: Sequence[Item]) -> Splice:
    """Split what the new socket received after the ``send logs`` request (``items``) into the
    replay and the live lines: drop what was already ``seen`` and the replay's copies of live lines.

    Positions ``k`` below index the replayable lines (``texts``, Wings' messages left out)."""
    positions = [i for i, item in enumerate(items) if not item.daemon]
    texts = [items[i].text for i in positions]
    early_texts = [item.text for item in early if not item.daemon]
    run = find_run(early_texts, texts) or []
    end = run[0] if run else len(texts)
    overlap = find_overlap(seen, texts[:end])
    if early_texts and not run and not overlap:
        end = 0  # no replay came (the server stopped, or it is all newer than the early lines)
    first, last = (overlap[0], overlap[-1]) if overlap else (-1, -1)
    taken = set(overlap) | set(run)
    before = [k for k in range(first) if k not in taken]  # older replay lines, or live lines
    inside = [k for k in range(first + 1, last) if k not in taken]  # live lines amid the overlap
    gap = [k for k in range(last + 1, end) if k not in taken]
    copies, originals = _pair_copies(texts, run[-1] + 1 if run else len(texts), before + inside + gap)
    older = []  # the replay reaches back past everything seen: its first lines were never ours
    if len(overlap) == len(seen):
        older, before = [k for k in before if k not in originals], [k for k in before if k in originals]
    gap = [k for k in gap if k not in originals]
    after = [k for k in range(max(end, last + 1), len(texts)) if k not in taken and k not in copies]
    unpaired = (set(before) | set(inside) | set(after)) - set(originals)  # printed after the snapshot
    daemon = [i for i, item in enumerate(items) if item.daemon]
    live = sorted([positions[k] for k in unpaired | set(originals)] + daemon)
    fresh = sorted([positions[k] for k in unpaired] + daemon)
    return Splice(
        gap=[texts[k] for k in gap],
        live=[item.text for item in early] + [items[i].text for i in live],
        replay=[texts[k] for k in sorted(set(older) | set(overlap) | set(gap) | set(run) | copies)],
        fresh=[items[i].text for i in fresh],
        overlap=len(overlap),
        found_end=bool(run),
    )
