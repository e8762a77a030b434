"""Nearest-neighbour resizing of many RLEs to side x side at once, straight from their runs (no dense mask).

This is what the official R-RIS evaluation does to the ground truth (``torchvision.transforms.functional.
resize(PIL mask, (480, 480), NEAREST)``, i.e. Pillow's nearest resize): target pixel (r, c) takes source pixel
(floor((r + 0.5) * H / side), floor((c + 0.5) * W / side)), summed as Pillow sums it. The same mapping is
applied to predictions, which the official code makes at 480 x 480 in the first place.

A nearest resize only picks source rows and columns, so a resized mask follows from the source runs: each
foreground run, split at column boundaries, covers a row range of one source column; that column feeds the
target columns that sample it, and the row range becomes the target rows that sample rows inside it. The
result is a set of vertical pieces, kept as column-major pixel intervals of the side x side mask
(``ResizedMasks``). Many masks are done together in numpy (the loops run over pieces, never over masks), and
areas and overlaps are sums over intervals: nothing side x side is ever allocated per mask.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import List, Sequence, Tuple

import numpy as np

from .. import masks
from ..rle import foreground_runs


def source_index(side: int, size: int) -> np.ndarray:
    """For each of ``side`` target positions, the source position Pillow's NEAREST resize samples."""
    scale = size / side
    steps = np.full(side, scale)
    steps[0] = scale * 0.5
    # Pillow walks the target row adding the scale each step; the same float sums give the same pixels
    return np.minimum(np.floor(np.cumsum(steps)).astype(np.int64), size - 1)


@lru_cache(maxsize=4096)
def _targets_before(side: int, size: int) -> np.ndarray:
    """(size + 1,): entry p counts the target positions whose source position is below p; so the target
    positions sampling source positions [a, b) are [entry a, entry b)."""
    return np.searchsorted(source_index(side, size), np.arange(size + 1), "left")


def _lookup(side: int, sizes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``_targets_before`` of every distinct size, end to end (and a 0 after the last one, so that entry
    size + 1 can be read), and per entry of ``sizes`` its table's offset."""
    distinct, which = np.unique(sizes, return_inverse=True)
    tables = [_targets_before(side, int(s)) for s in distinct] + [np.zeros(1, dtype=np.int64)]
    starts = np.cumsum([0] + [len(t) for t in tables[:-1]])
    return np.concatenate(tables), np.asarray(starts, dtype=np.int64)[which.reshape(-1)]


def _columns(rles: Sequence[masks.RLE]) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """The counts strings, heights and widths of ``rles``."""
    counts = [r["counts"] if isinstance(r["counts"], str) else r["counts"].decode("ascii") for r in rles]
    heights = np.array([int(r["size"][0]) for r in rles], dtype=np.int64)
    widths = np.array([int(r["size"][1]) for r in rles], dtype=np.int64)
    return counts, heights, widths


def resized_areas(rles: Sequence[masks.RLE], side: int) -> np.ndarray:
    """(len(rles),) int64: the area of each RLE resized to side x side with Pillow's NEAREST rule, from its runs
    alone (no pieces: cheaper than ``resize_many`` when no overlap is needed).

    A run inside source column c, rows [a, b), gives (target columns sampling c) x (target rows sampling
    rows a to b - 1). A run crossing columns is measured at its ends instead: the target pixels sampling
    source pixels before column-major position p = c * H + r are those of the target columns sampling
    columns before c (``side`` each), plus, in the target columns sampling column c, the target rows
    sampling rows before r.
    """
    counts, heights, widths = _columns(rles)
    owner, start, end = foreground_runs(counts)
    (rows, row_at), (cols, col_at) = _lookup(side, heights), _lookup(side, widths)
    height, r0 = heights[owner], row_at[owner]
    col, row = np.divmod(start, height)
    col += col_at[owner]
    row += r0
    row_end = row + (end - start)
    area = (cols[col + 1] - cols[col]) * (rows[np.minimum(row_end, r0 + height)] - rows[row])
    across = np.flatnonzero(row_end > r0 + height)
    if len(across):  # add what the further columns give: the targets below the end minus those below
        o, h = owner[across], height[across]  # the start of the next column
        last, row = np.divmod(end[across], h)
        first = start[across] // h + 1
        c0 = col_at[o]
        area[across] += (cols[c0 + last] - cols[c0 + first]) * side + \
            (cols[c0 + last + 1] - cols[c0 + last]) * rows[r0[across] + row]
    return np.bincount(owner, weights=area, minlength=len(rles)).astype(np.int64)


def _spread(first: np.ndarray, count: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Entry i repeated count[i] times, with first[i], first[i] + 1, ...: (index of the entry, value)."""
    index = np.repeat(np.arange(len(count)), count)
    return index, first[index] + (np.arange(len(index)) - (np.cumsum(count) - count)[index])


@dataclass
class ResizedMasks:
    """``count`` masks resized to side x side, as pieces: mask ``owner``'s column-major pixels [start, end).

    The pieces of one mask never overlap (each target column samples one source column, whose runs are
    disjoint); they are not sorted.
    """

    side: int
    count: int
    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def areas(self) -> np.ndarray:
        """(count,) int64: the foreground pixels of each resized mask."""
        return np.bincount(self.owner, weights=self.end - self.start, minlength=self.count).astype(np.int64)

    def dense(self, k: int) -> np.ndarray:
        """Boolean (side, side) array of mask ``k`` (for tests and the rare dense consumer)."""
        mine = self.owner == k
        flat = np.zeros(self.side * self.side + 1, dtype=np.int64)
        np.add.at(flat, self.start[mine], 1)
        np.add.at(flat, self.end[mine], -1)
        return (np.cumsum(flat[:-1]) > 0).reshape(self.side, self.side).T  # column-major flat -> (row, col)


def resize_many(rles: Sequence[masks.RLE], side: int) -> ResizedMasks:
    """Every RLE of ``rles`` (well-formed, any sizes) resized to side x side with Pillow's NEAREST rule."""
    counts, heights, widths = _columns(rles)
    owner, start, end = foreground_runs(counts)
    height = heights[owner]
    col, row = np.divmod(start, height)
    tables = _lookup(side, heights), _lookup(side, widths)
    parts = [_target_pieces(side, tables, owner, col, row, np.minimum(end - start + row, height))]
    last_col = (end - 1) // height
    across = np.flatnonzero(last_col > col)
    if len(across):  # a run crossing column boundaries: its first column above, one piece per further column
        run, further = _spread(col[across] + 1, last_col[across] - col[across])
        run = across[run]
        ends = np.minimum(end[run] - further * height[run], height[run])
        parts.append(_target_pieces(side, tables, owner[run], further, np.zeros_like(ends), ends))
    owner, lo, hi = (np.concatenate(v) for v in zip(*parts))
    return ResizedMasks(side, len(rles), owner, lo, hi)


def _target_pieces(side: int, tables, owner: np.ndarray, col: np.ndarray, row_lo: np.ndarray,
                   row_hi: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows [row_lo, row_hi) of source column ``col`` of mask ``owner``, resized: (owner, start, end) of their
    pieces in the side x side mask (none when no target row or column samples them)."""
    (rows, row_at), (cols, col_at) = tables
    r0, c = row_at[owner], col_at[owner] + col
    t_lo, t_hi = rows[r0 + row_lo], rows[r0 + row_hi]
    c_lo = cols[c]
    copies = cols[1:][c] - c_lo  # target columns sampling this source column
    copies[t_hi <= t_lo] = 0
    if copies.max(initial=0) > 1:  # upsampling: a source column feeds several target columns
        piece, c_lo = _spread(c_lo, copies)
    else:
        piece = np.flatnonzero(copies)
        c_lo = c_lo[piece]
    c_lo *= side
    return owner[piece], c_lo + t_lo[piece], c_lo + t_hi[piece]


def resize_nearest(rle: masks.RLE, side: int) -> np.ndarray:
    """Boolean (side, side) mask of ``rle`` resized with Pillow's NEAREST rule."""
    return resize_many([rle], side).dense(0)


class Coverage:
    """Resized masks laid end to end (mask k at pixel k * side * side on), to count how many of their pixels
    any interval covers: two binary searches per interval, whatever the number of masks."""

    def __init__(self, resized: ResizedMasks):
        self.plane = resized.side * resized.side
        start = resized.owner * self.plane + resized.start
        order = np.argsort(start, kind="stable")
        self.start, self.end = start[order], (resized.owner * self.plane + resized.end)[order]
        self.before = np.cumsum(self.end - self.start) - (self.end - self.start)

    def _below(self, x: np.ndarray) -> np.ndarray:
        """Covered pixels at positions below each x (this coverage has at least one piece)."""
        j = np.maximum(np.searchsorted(self.start, x, "right") - 1, 0)
        return self.before[j] + np.clip(x - self.start[j], 0, self.end[j] - self.start[j])

    def overlaps(self, pieces: ResizedMasks, mask_of_owner: np.ndarray) -> np.ndarray:
        """(pieces.count,) int64: pixels each mask of ``pieces`` shares with mask ``mask_of_owner[its index]``
        of this coverage (-1: with none, 0 overlap)."""
        mask = mask_of_owner[pieces.owner]
        use = mask >= 0
        if not len(self.start) or not use.any():
            return np.zeros(pieces.count, dtype=np.int64)
        offset = mask[use] * self.plane
        shared = self._below(offset + pieces.end[use]) - self._below(offset + pieces.start[use])
        return np.bincount(pieces.owner[use], weights=shared, minlength=pieces.count).astype(np.int64)
