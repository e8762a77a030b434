"""Vectorised reading of COCO compressed RLE counts: validity, areas and runs, without pycocotools.

pycocotools trusts its input: a counts string whose last character has the continuation bit makes its C
code read past the buffer, and runs that do not add up to h*w make ``iou``/``merge`` loop forever. The
predictions come from users, so every string is checked here first, many at once in numpy.

The format (pycocotools ``rleToString``): each run is a signed number written in 5-bit groups, least
significant first, as ``chr(48 + group)`` with 0x20 = "more groups follow" and 0x10 on the last group =
negative; from the fourth number on, a run is stored as the difference to the run two places before.
Only canonical strings pass (each number in as few groups as ``rleToString`` writes, at most 6): a padded
number or a seventh group is read differently by pycocotools' C reader (its shifts are 32-bit), which then
loops forever on runs that no longer add up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np

_MAX_GROUPS = 6         # 30 bits: pycocotools shifts each group in a 32-bit int, so a 7th group overflows
_CHUNK_BYTES = 1 << 18  # strings are decoded in chunks of about this many bytes (keeps arrays in cache)


@dataclass
class DecodedCounts:
    """Per string: whether it is a well-formed RLE of its size (else why not) and its foreground area."""

    valid: np.ndarray   # bool (n,)
    reason: List[str]   # "" where valid
    area: np.ndarray    # int64 (n,), 0 where invalid


def decode_counts(counts: Sequence[str], pixels: Sequence[int]) -> DecodedCounts:
    """Check and measure many counts strings; ``pixels[i]`` is h*w of string i (its runs must add up to it)."""
    n = len(counts)
    pixels = np.asarray(pixels, dtype=np.int64)
    out = DecodedCounts(np.ones(n, dtype=bool), [""] * n, np.zeros(n, dtype=np.int64))
    bounds = np.searchsorted(np.cumsum(np.fromiter(map(len, counts), dtype=np.int64, count=n)),
                             np.arange(_CHUNK_BYTES, _CHUNK_BYTES * (n + 1), _CHUNK_BYTES), side="right")
    edges = sorted({0, n, *(int(b) for b in bounds if 0 < b < n)})
    for start, stop in zip(edges[:-1], edges[1:]):
        _decode_chunk(counts[start:stop], pixels[start:stop], out, start)
    return out


def foreground_runs(counts: Sequence[str]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every foreground run of many well-formed counts strings at once: (owner, start, end), int64 arrays,
    one entry per non-empty run; ``owner`` indexes ``counts``, [start, end) are column-major pixel positions.

    The strings are read together (one pass of ``_numbers``); the difference coding is undone per string
    from prefix sums of each global-parity class (as ``_decode_chunk`` does), with no Python loop per string.
    Only for strings ``decode_counts`` accepted: anything else gives meaningless runs.
    """
    n = len(counts)
    lengths = np.fromiter(map(len, counts), dtype=np.int64, count=n)
    if not n or not lengths.all():
        return (np.zeros(0, np.int64),) * 3
    values, cont, _, _ = _numbers(np.frombuffer("".join(counts).encode("ascii"), dtype=np.uint8) - np.uint8(48))
    m = lengths - np.diff(np.searchsorted(cont, np.cumsum(lengths) - 1, side="right"), prepend=0)  # runs each
    first = np.cumsum(m) - m
    runs = np.empty_like(values)  # for now: the running sum of each global-parity class
    runs[0::2] = np.cumsum(values[0::2])
    runs[1::2] = np.cumsum(values[1::2])
    # from the fourth on, a run is its number plus the run two places before: runs 1, 3, 5.. and 2, 4, 6..
    # of a string are running sums of its numbers from number 1 or 2 on, i.e. the class sums minus a base
    base = np.zeros((n, 2), dtype=np.int64)  # per string and global parity
    for offset in (1, 2):
        at = np.minimum(first + offset, len(values) - 1)
        base[np.arange(n), (first + offset) % 2] = np.where(m > offset, runs[at] - values[at], 0)
    even = (first + m + 1) // 2 - (first + 1) // 2  # numbers of each string at even global positions
    runs[0::2] -= np.repeat(base[:, 0], even)
    runs[1::2] -= np.repeat(base[:, 1], m - even)
    runs[first] = values[first]  # the first run is its own number
    ends = np.cumsum(runs)  # pixel positions, plus what the strings before take
    fg = m // 2  # foreground runs are the odd ones
    fg_index = 2 * np.arange(int(fg.sum()), dtype=np.int64) + np.repeat(first + 1 - 2 * (np.cumsum(fg) - fg), fg)
    before = np.repeat(ends[first] - runs[first], fg)
    owner, start, end = np.repeat(np.arange(n, dtype=np.int64), fg), ends[fg_index - 1], ends[fg_index]
    start -= before
    end -= before
    if (end <= start).any():
        keep = end > start
        owner, start, end = owner[keep], start[keep], end[keep]
    return owner, start, end


def _refuse(out: DecodedCounts, i: int, why: str) -> None:
    """Mark string ``i`` invalid, keeping the first (most basic) reason found."""
    if out.valid[i]:
        out.valid[i], out.reason[i] = False, why


def _numbers(g: np.ndarray):
    """Group bytes (chars - 48, uint8, all <= 63, the last one < 32) -> (signed value per number, positions of
    the continuation bytes, number of groups of each multi-group number and its index).

    Most runs fit one 5-bit group, so the values are computed for all numbers from their last group in one
    pass, and the rare continuation bytes (>= 32) are added afterwards.
    """
    last_group = g < 32
    top = ((g[last_group] & np.uint8(31)) ^ np.uint8(16)).astype(np.int64) - 16  # the last group is signed
    cont = np.flatnonzero(~last_group)
    if not len(cont):
        return top, cont, np.zeros(0, np.int64), np.zeros(0, np.int64)
    index = np.arange(len(cont))
    number = cont - index                            # a continuation byte belongs to the number of this index
    starts = np.flatnonzero(np.r_[True, number[1:] != number[:-1]])  # first continuation byte of each number
    multi = number[starts]
    groups = np.diff(np.r_[starts, len(cont)]) + 1   # groups per multi-group number
    group = index - np.repeat(starts, groups - 1)    # 0 for the first (least significant) group
    value = top[multi] << (5 * np.minimum(groups - 1, _MAX_GROUPS))
    value += np.add.reduceat((g[cont] & np.uint8(31)).astype(np.int64) << (5 * np.minimum(group, _MAX_GROUPS)),
                             starts)
    top[multi] = value
    return top, cont, groups, multi


def _segments(first: np.ndarray, count: np.ndarray, parity: int):
    """Start and length, in the view ``x[parity::2]``, of each string's numbers of that global parity."""
    lo = (first - parity + 1) // 2
    hi = (first + count - parity + 1) // 2
    return lo, hi - lo


def _sum_min(view: np.ndarray, lo: np.ndarray, size: np.ndarray):
    """Per segment [lo, lo + size) of ``view``: sum and minimum (0 and the int64 maximum when empty)."""
    big = np.iinfo(np.int64).max
    total, low = np.zeros(len(lo), dtype=np.int64), np.full(len(lo), big)
    k = int(np.searchsorted(lo, len(view)))  # segments starting past the end are empty (and come last)
    if k:
        total[:k] = np.add.reduceat(view, lo[:k])
        low[:k] = np.minimum.reduceat(view, lo[:k])
    empty = size == 0
    total[empty], low[empty] = 0, big
    return total, low


def _decode_chunk(counts: Sequence[str], pixels: np.ndarray, out: DecodedCounts, offset: int) -> None:
    n = len(counts)
    try:
        raw = "".join(counts).encode("ascii")
    except UnicodeEncodeError:
        raw = "".join(c if c.isascii() else "\x00" * len(c) for c in counts).encode("ascii")
    lengths = np.fromiter(map(len, counts), dtype=np.int64, count=n)
    last_byte = np.cumsum(lengths) - 1
    g = np.frombuffer(raw, dtype=np.uint8) - np.uint8(48)
    for i in np.flatnonzero(lengths == 0):
        _refuse(out, offset + i, "counts is empty")
    bad = g > 63
    if bad.any():
        for i in np.unique(np.searchsorted(last_byte, np.flatnonzero(bad))):
            _refuse(out, offset + int(i), "counts has a character outside '0'..'o'")
        g = np.where(bad, np.uint8(0), g)
    nonempty = lengths > 0
    open_tail = nonempty & (g[np.maximum(last_byte, 0)] >= 32) if len(g) else nonempty & False
    for i in np.flatnonzero(open_tail):
        _refuse(out, offset + i, "counts ends inside a number")
    if open_tail.any():
        g = g.copy()
        g[last_byte[open_tail]] &= np.uint8(31)  # close the number so none straddles two strings
    values, cont, groups, multi = _numbers(g)
    if len(groups):
        number_through = np.cumsum(lengths - np.diff(np.searchsorted(cont, last_byte, side="right"), prepend=0))
        for i in np.unique(np.searchsorted(number_through - 1, multi[groups > _MAX_GROUPS])):
            _refuse(out, offset + int(i), "counts has a number too large for a run length")
        last_cont = cont[np.cumsum(groups - 1) - 1]  # the last continuation byte of each multi-group number
        top, sign = g[last_cont + 1], g[last_cont] & np.uint8(16)
        padded = ((top == 0) & (sign == 0)) | ((top == 31) & (sign != 0))
        for i in np.unique(np.searchsorted(number_through - 1, multi[padded])):
            _refuse(out, offset + int(i), "counts writes a number with more groups than it needs (not canonical: "
                                          "pycocotools may read another value)")
    m = lengths - np.diff(np.searchsorted(cont, last_byte, side="right"), prepend=0)  # numbers per string
    f = np.cumsum(m) - m
    # Prefix sums of each global-parity class: a string's even runs (from position 2) and odd runs are
    # contiguous stretches of one class each, so every run is a prefix sum minus a per-string base.
    cs = np.empty_like(values)
    cs[0::2] = np.cumsum(values[0::2])
    cs[1::2] = np.cumsum(values[1::2])
    has_odd = m >= 2
    x0 = values[np.minimum(f, len(values) - 1)] if len(values) else np.zeros(n, np.int64)
    cs_f = cs[np.minimum(f, len(values) - 1)] if len(values) else np.zeros(n, np.int64)
    f1 = np.minimum(f + 1, max(len(values) - 1, 0))
    base_odd = np.where(has_odd, cs[f1] - values[f1], 0) if len(values) else np.zeros(n, np.int64)
    sums, lows = {}, {}
    for parity in (0, 1):
        lo, size = _segments(f, m, parity)
        sums[parity], lows[parity] = _sum_min(cs[parity::2], lo, size)
    pe = f % 2
    even_sum, even_low = np.where(pe == 0, sums[0], sums[1]), np.where(pe == 0, lows[0], lows[1])
    odd_sum, odd_low = np.where(pe == 0, sums[1], sums[0]), np.where(pe == 0, lows[1], lows[0])
    count_even, count_odd = (m + 1) // 2, m // 2
    area = odd_sum - count_odd * base_odd
    total = x0 + even_sum - count_even * cs_f + area
    negative = (m > 0) & ((x0 < 0) | (even_low < cs_f) | (has_odd & (odd_low < base_odd)))
    for i in np.flatnonzero(negative):
        _refuse(out, offset + int(i), "counts decodes to a negative run length")
    for i in np.flatnonzero(nonempty & (total != pixels)):
        _refuse(out, offset + int(i), f"runs add up to {int(total[i])} pixels, size says {int(pixels[i])}")
    valid = out.valid[offset:offset + n]
    out.area[offset:offset + n] = np.where(valid, area, 0)
