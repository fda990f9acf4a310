"""Go's standard library where the node's answers depend on it: ``FileMode.String()``, RFC 3339 times,
``path.Clean`` / ``path.Join`` / ``filepath.Base`` / ``filepath.Ext``, and ``slices.SortStableFunc``.

Written from the documented behaviour of those functions (the sandbox's Wings is Go; its file listings,
paths and archive names come out as Go formats them).
"""

from __future__ import annotations

import posixpath
import stat
import time
from collections.abc import Callable

_TYPE_LETTERS = (  # FileMode type bits as String() names them, "dalTLDpSugct?"
    (stat.S_ISDIR, "d"),
    (stat.S_ISLNK, "L"),
    (stat.S_ISFIFO, "p"),
    (stat.S_ISSOCK, "S"),
    (stat.S_ISBLK, "D"),
    (stat.S_ISCHR, "Dc"),
)
_SPECIAL_LETTERS = ((stat.S_ISUID, "u"), (stat.S_ISGID, "g"), (stat.S_ISVTX, "t"))


def go_mode_string(mode: int) -> str:
    """Go's ``FileMode.String()`` for an ``st_mode`` (``-rw-r--r--``, ``drwxr-xr-x``, ``Lrwxrwxrwx``...)."""
    letters = set(next((chars for test, chars in _TYPE_LETTERS if test(mode)), ""))
    letters.update(char for bit, char in _SPECIAL_LETTERS if mode & bit)
    kind = "".join(c for c in "dalTLDpSugct?" if c in letters) or "-"
    return kind + "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))


def go_time(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def go_base(path: str) -> str:
    """Go's ``filepath.Base``."""
    if path == "":
        return "."
    path = path.rstrip("/")
    return "/" if path == "" else path.rsplit("/", 1)[-1]


def go_ext(name: str) -> str:
    """Go's ``filepath.Ext``: from the last dot of the last element (``.bashrc`` is all extension)."""
    i = name.rfind(".")
    return name[i:] if i >= 0 and "/" not in name[i:] else ""


def go_clean(path: str) -> str:
    """Go's ``path.Clean`` (``//a`` is ``/a``; a rooted path cannot climb above ``/``)."""
    cleaned = posixpath.normpath(path) if path else "."
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def go_join(*parts: str) -> str:
    """Go's ``path.Join`` / ``filepath.Join``: the non-empty parts joined by ``/`` and cleaned, ``""`` if none."""
    kept = [p for p in parts if p]
    return go_clean("/".join(kept)) if kept else ""


def go_stable_sort(items: list, cmp: Callable[[object, object], int]) -> None:
    """Go's ``slices.SortStableFunc`` step by step (insertion sort in blocks of 20, then SymMerge).

    Reproduced because W's "folders first" comparator is not a consistent order; the result depends on the
    algorithm (reference §2.2: short lists come out files first, names reversed).
    """

    def less(i: int, j: int) -> bool:
        return cmp(items[i], items[j]) < 0

    def swap_range(a: int, b: int, n: int) -> None:
        for i in range(n):
            items[a + i], items[b + i] = items[b + i], items[a + i]

    def rotate(a: int, m: int, b: int) -> None:
        i, j = m - a, b - m
        while i != j:
            if i > j:
                swap_range(m - i, m, j)
                i -= j
            else:
                swap_range(m - i, m + j - i, i)
                j -= i
        swap_range(m - i, m, i)

    def insertion(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and less(j, j - 1):
                items[j], items[j - 1] = items[j - 1], items[j]
                j -= 1

    def sym_merge(a: int, m: int, b: int) -> None:
        if m - a == 1:
            i, j = m, b
            while i < j:
                h = (i + j) >> 1
                if less(h, a):
                    i = h + 1
                else:
                    j = h
            for k in range(a, i - 1):
                items[k], items[k + 1] = items[k + 1], items[k]
            return
        if b - m == 1:
            i, j = a, m
            while i < j:
                h = (i + j) >> 1
                if not less(m, h):
                    i = h + 1
                else:
                    j = h
            for k in range(m, i, -1):
                items[k], items[k - 1] = items[k - 1], items[k]
            return
        mid = (a + b) >> 1
        n = mid + m
        if m > mid:
            start, r = n - b, mid
        else:
            start, r = a, m
        p = n - 1
        while start < r:
            c = (start + r) >> 1
            if not less(p - c, c):
                start = c + 1
            else:
                r = c
        end = n - start
        if start < m < end:
            rotate(start, m, end)
        if a < start < mid:
            sym_merge(a, start, mid)
        if mid < end < b:
            sym_merge(mid, end, b)

    n, block = len(items), 20
    a, b = 0, block
    while b <= n:
        insertion(a, b)
        a, b = b, b + block
    insertion(a, n)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            sym_merge(a, a + block, b)
            a, b = b, b + 2 * block
        if a + block < n:
            sym_merge(a, a + block, n)
        block *= 2
