"""Per-sentence statistics: intersection I, union U, predicted area A and ground-truth area G.

Computed in RLE space at the original resolution (pycocotools walks the runs of two masks; nothing is
decoded to dense), or, with ``resolution``, on side x side masks resized as the official R-RIS code does.
Each row also carries the labels the breakdowns group by.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

import numpy as np

from .. import masks
from ..refer import ReferDataset, sentence_exists
from .groundtruth import ground_truth
from .halves import in_halves
from .resize import column_prefix, resize_nearest, resized_area_and_overlap

if TYPE_CHECKING:  # predictions imports metrics.rle; a runtime import here would be circular
    from ..predictions import ValidPredictions

LENGTH_BUCKETS = ((1, 3, "1-3 words"), (4, 6, "4-6 words"), (7, 10, "7-10 words"), (11, 10 ** 9, "11+ words"))
BREAKDOWNS = ("split", "strategy", "verified", "category", "supercategory", "length")


@dataclass
class SentenceTable:
    """One row per scored sentence (dataset order); ``ref`` indexes ``ref_ids``."""

    sent_id: np.ndarray
    ref: np.ndarray
    exists: np.ndarray
    I: np.ndarray
    U: np.ndarray
    A: np.ndarray
    G: np.ndarray
    score: Optional[np.ndarray]
    ref_ids: List[int]
    labels: Dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sent_id)

    def subset(self, rows: np.ndarray) -> "SentenceTable":
        """The rows selected by a boolean mask or an index array (refs keep their indices)."""
        return SentenceTable(self.sent_id[rows], self.ref[rows], self.exists[rows], self.I[rows], self.U[rows],
                             self.A[rows], self.G[rows], None if self.score is None else self.score[rows],
                             self.ref_ids, {k: v[rows] for k, v in self.labels.items()})


def length_label(sentence: Dict) -> str:
    tokens = sentence.get("tokens") or str(sentence.get("sent", "")).split()
    n = len(tokens)
    return next(name for lo, hi, name in LENGTH_BUCKETS if lo <= n <= hi) if n else "0 words"


def _label(name: str, dataset: ReferDataset, ref: Dict, sent: Dict) -> str:
    """The group of one sentence in breakdown ``name`` (positives form the group "positive" of strategy
    and verified)."""
    if name == "split":
        return str(ref["split"])
    if name in ("strategy", "verified"):
        return "positive" if sentence_exists(sent) else str(sent.get(name, "unknown"))
    if name == "length":
        return length_label(sent)
    category = dataset.categories.get(ref.get("category_id"), {})
    if name == "category":
        return str(category.get("name", ref.get("category_id")))
    return str(category.get("supercategory", "unknown"))


def sentence_table(dataset: ReferDataset, preds: "ValidPredictions", splits: Optional[Sequence[str]] = None,
                   resolution: Optional[int] = None, use_cache: bool = True, labels: Sequence[str] = ()
                   ) -> SentenceTable:
    """I, U, A, G of every selected sentence, and the group labels of the breakdowns named in ``labels``;
    ``preds`` must come from ``predictions.validate`` on the same dataset and splits (same row order)."""
    refs = dataset.refs_in(splits)
    ref_of_row = np.repeat(np.arange(len(refs)), [len(r["sentences"]) for r in refs])
    exists = np.array([sentence_exists(s) for r in refs for s in r["sentences"]], dtype=bool)
    if len(exists) != len(preds.sent_ids):
        raise ValueError("predictions were validated against another selection of sentences")
    gt = ground_truth(dataset, [r["ann_id"] for r in refs], use_cache=use_cache)
    gt_rles = [gt[r["ann_id"]][0] for r in refs]
    if resolution is None:
        inter, area, gt_area = _original(preds, gt_rles, [gt[r["ann_id"]][1] for r in refs], ref_of_row, exists)
    else:
        inter, area, gt_area = _resized(preds, gt_rles, ref_of_row, exists, resolution)
    inter = np.where(exists, inter, 0)
    union = np.where(exists, area + gt_area - inter, area)
    groups = {name: np.array([_label(name, dataset, r, s) for r in refs for s in r["sentences"]], dtype=object)
              for name in labels}
    return SentenceTable(np.asarray(preds.sent_ids, dtype=np.int64), ref_of_row, exists, inter, union, area,
                         np.where(exists, gt_area, 0), preds.scores, [r["ref_id"] for r in refs], groups)


def _original(preds: "ValidPredictions", gt_rles: List[masks.RLE], gt_areas: List[int], ref_of_row: np.ndarray,
              exists: np.ndarray):
    area = preds.areas.astype(np.int64)
    gt_area = np.asarray(gt_areas, dtype=np.int64)[ref_of_row] if len(ref_of_row) else np.zeros(0, np.int64)
    inter = np.zeros(len(area), dtype=np.int64)
    need = np.flatnonzero(exists & (area > 0) & (gt_area > 0))
    # rows of one ref share one ground truth: one pycocotools call per ref
    starts = np.r_[0, np.flatnonzero(np.diff(ref_of_row[need])) + 1, len(need)].tolist() if len(need) else [0]
    segs = preds.segmentations

    def job(first_group: int, stop_group: int) -> np.ndarray:
        out = [masks.intersections([segs[i] for i in need[a:b]], gt_rles[ref_of_row[need[a]]], area[need[a:b]])
               for a, b in zip(starts[first_group:stop_group], starts[first_group + 1:stop_group + 1])]
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    n_groups = len(starts) - 1
    middle = int(np.searchsorted(starts, len(need) // 2))  # the group boundary nearest half the rows
    inter[need] = in_halves(job, n_groups, lambda x, y: np.concatenate([x, y]), split_at=min(middle, n_groups),
                            work=len(need))
    return inter, area, gt_area


def _resized(preds: "ValidPredictions", gt_rles: List[masks.RLE], ref_of_row: np.ndarray, exists: np.ndarray,
             side: int):
    n = len(ref_of_row)
    inter, area, gt_area = (np.zeros(n, dtype=np.int64) for _ in range(3))
    current, prefix = -1, np.zeros((side, side + 1), dtype=np.int64)
    for i in range(n):
        j = int(ref_of_row[i])
        if j != current:  # rows of a ref are adjacent: one resized ground truth at a time
            current, prefix = j, column_prefix(resize_nearest(gt_rles[j], side))
        gt_area[i] = int(prefix[:, -1].sum())
        seg = preds.segmentations[i]
        if seg is not None:
            area[i], overlap = resized_area_and_overlap(seg, side, prefix)
            inter[i] = overlap if exists[i] else 0
    return inter, area, gt_area
