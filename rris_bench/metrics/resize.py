"""Nearest-neighbour resizing of an RLE to side x side, straight from its runs (no dense original).

This is what the official R-RIS evaluation does to the ground truth (``torchvision.transforms.functional.
resize(PIL mask, (480, 480), NEAREST)``, i.e. Pillow's nearest resize): target pixel (r, c) takes source pixel
(floor((r + 0.5) * H / side), floor((c + 0.5) * W / side)), summed as Pillow sums it. The same mapping is
applied to predictions, which the official code makes at 480 x 480 in the first place.
"""
from __future__ import annotations

import numpy as np

from .. import masks
from .rle import runs_of


def source_index(side: int, size: int) -> np.ndarray:
    """For each of ``side`` target positions, the source position Pillow's NEAREST resize samples."""
    scale = size / side
    steps = np.full(side, scale)
    steps[0] = scale * 0.5
    # Pillow walks the target row adding the scale each step; the same float sums give the same pixels
    return np.minimum(np.floor(np.cumsum(steps)).astype(np.int64), size - 1)


def resized_pieces(rle: masks.RLE, side: int):
    """The resized mask as vertical pieces: target column, first row, end row (arrays, one per piece).

    Pieces never overlap (each target column samples one source column, whose runs are disjoint).
    """
    height, width = int(rle["size"][0]), int(rle["size"][1])
    runs = runs_of(rle["counts"] if isinstance(rle["counts"], str) else rle["counts"].decode("ascii"))
    bounds = np.cumsum(runs)
    fg_start, fg_end = (bounds - runs)[1::2], bounds[1::2]  # foreground runs in column-major pixel order
    keep = fg_end > fg_start
    fg_start, fg_end = fg_start[keep], fg_end[keep]
    # split runs at column boundaries: one piece per (run, source column)
    col_first, col_last = fg_start // height, (fg_end - 1) // height
    pieces = col_last - col_first + 1
    run = np.repeat(np.arange(len(fg_start)), pieces)
    col = np.repeat(col_first, pieces) + (np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces))
    row_lo = np.maximum(fg_start[run], col * height) - col * height
    row_hi = np.minimum(fg_end[run], (col + 1) * height) - col * height
    rows, cols = source_index(side, height), source_index(side, width)
    t_lo, t_hi = np.searchsorted(rows, row_lo, "left"), np.searchsorted(rows, row_hi, "left")
    c_lo, c_hi = np.searchsorted(cols, col, "left"), np.searchsorted(cols, col, "right")
    take = (t_hi > t_lo) & (c_hi > c_lo)
    t_lo, t_hi, c_lo, c_hi = t_lo[take], t_hi[take], c_lo[take], c_hi[take]
    reps = c_hi - c_lo  # a source column may feed several target columns (upsampling)
    tcol = np.repeat(c_lo, reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    return tcol, np.repeat(t_lo, reps), np.repeat(t_hi, reps)


def resize_nearest(rle: masks.RLE, side: int) -> np.ndarray:
    """Boolean (side, side) mask of ``rle`` resized with Pillow's NEAREST rule."""
    tcol, lo, hi = resized_pieces(rle, side)
    delta = np.bincount(tcol * side + lo, minlength=side * side + 1) - \
        np.bincount(tcol * side + hi, minlength=side * side + 1)
    return (np.cumsum(delta[:-1]) > 0).reshape(side, side).T  # column-major flat -> (row, col)


def column_prefix(mask: np.ndarray) -> np.ndarray:
    """(side cols, side + 1): entry [c, r] counts the foreground pixels of column c above row r."""
    out = np.zeros((mask.shape[1], mask.shape[0] + 1), dtype=np.int64)
    np.cumsum(mask.T, axis=1, out=out[:, 1:])
    return out


def resized_area_and_overlap(rle: masks.RLE, side: int, gt_prefix: np.ndarray):
    """Area of ``rle`` resized to side x side, and its overlap with the resized ground truth whose
    ``column_prefix`` is given, from the pieces alone (no side x side array per prediction)."""
    tcol, lo, hi = resized_pieces(rle, side)
    return int((hi - lo).sum()), int((gt_prefix[tcol, hi] - gt_prefix[tcol, lo]).sum())
