"""Per-sentence statistics: intersection I, union U, predicted area A and ground-truth area G.

Computed in RLE space at the original resolution (pycocotools walks the runs of two masks; nothing is
decoded to dense), or, with ``resolution``, on side x side masks resized as the official R-RIS code does.
Each row also carries the labels the breakdowns group by.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import masks
from ..datasets.model import Dataset, Ref, Sentence
from .prediction_checks import CheckedRecords, Selection, ValidPredictions
from .resize import Coverage, resize_many, resized_areas

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
    none: Optional[np.ndarray] = None  # answered "no target" (``no_target.apply_rule``); None: area 0

    def __len__(self) -> int:
        return len(self.sent_id)

    @property
    def answered_none(self) -> np.ndarray:
        """Per row: did the prediction answer "no target"? (predicted empty, unless a rule decided.)"""
        return self.A == 0 if self.none is None else self.none

    def subset(self, rows: np.ndarray) -> "SentenceTable":
        """The rows selected by a boolean mask or an index array (refs keep their indices)."""
        return SentenceTable(self.sent_id[rows], self.ref[rows], self.exists[rows], self.I[rows], self.U[rows],
                             self.A[rows], self.G[rows], None if self.score is None else self.score[rows],
                             self.ref_ids, {k: v[rows] for k, v in self.labels.items()},
                             None if self.none is None else self.none[rows])


def length_label(sentence: Dict) -> str:
    tokens = sentence.get("tokens") or str(sentence.get("sent", "")).split()
    n = len(tokens)
    return next(name for lo, hi, name in LENGTH_BUCKETS if lo <= n <= hi) if n else "0 words"


def _label(name: str, dataset: Dataset, ref: Ref, sent: Sentence) -> str:
    """The group of one sentence in breakdown ``name`` (positives form the group "positive" of strategy
    and verified; a ref's category is its targets', "no target" without one, joined by "+" for several)."""
    if name == "split":
        return str(ref["split"])
    if name in ("strategy", "verified"):
        return "positive" if sent.exists else str(sent.get(name, "unknown"))
    if name == "length":
        return length_label(sent)
    categories = [dataset.categories.get(c, {}) for c in dataset.ref_categories(ref)]
    if not categories:
        return "no target"
    key = "name" if name == "category" else "supercategory"
    return "+".join(sorted({str(c.get(key, "unknown")) for c in categories}))


def measure(checked: "CheckedRecords", selection: "Selection", gt_rles: List[masks.RLE], gt_areas: np.ndarray,
            resolution: Optional[int] = None) -> None:
    """Add the columns of ``checked``'s accepted records that need their masks, then drop the masks: ``I``
    (pixels shared with the ground truth; 0 for negatives) and, with ``resolution``, ``A`` and ``G`` (the
    predicted and the ground-truth area on side x side). ``gt_rles`` / ``gt_areas``: per ref of the
    selection. Malformed RLEs (area 0 and a problem already recorded) are never given to pycocotools."""
    exists = selection.exists[checked.rows]
    segs = checked.segmentations
    checked.columns["null"] = np.array([seg is None for seg in segs], dtype=bool)
    if resolution is None:
        refs = selection.ref_of_row[checked.rows]
        need = np.flatnonzero(exists & (checked.areas > 0) & (gt_areas[refs] > 0))
        need = need[np.argsort(refs[need], kind="stable")]  # rows of one ref share one ground truth
        starts = np.r_[0, np.flatnonzero(np.diff(refs[need])) + 1, len(need)] if len(need) else np.zeros(1, int)
        inter = np.zeros(len(checked.rows), dtype=np.int64)
        for a, b in zip(starts[:-1].tolist(), starts[1:].tolist()):
            group = need[a:b]
            inter[group] = masks.intersections([segs[i] for i in group], gt_rles[refs[group[0]]],
                                               checked.areas[group])
        checked.columns["I"] = inter
    else:
        checked.columns.update(zip("IAG", _resized(checked, selection, gt_rles, exists, resolution)))
    checked.segmentations = None


_CHUNK_BYTES = 1 << 18  # predictions are resized in groups of about this many bytes of counts (in cache)


def _resized(checked: "CheckedRecords", selection: "Selection", gt_rles: List[masks.RLE], exists: np.ndarray,
             side: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per accepted record, on side x side: overlap with the resized ground truth, predicted area, and the
    resized ground truth's area. Every mask is resized from its runs, many at once (``resize``)."""
    refs = selection.ref_of_row[checked.rows]
    wanted = np.unique(refs)
    mask_of_ref = np.full(len(selection.refs), -1, dtype=np.int64)
    mask_of_ref[wanted] = np.arange(len(wanted))
    gt = resize_many([gt_rles[j] for j in wanted.tolist()], side)
    gt_area = gt.areas()[mask_of_ref[refs]]
    coverage = Coverage(gt)
    inter, area = np.zeros(len(refs), dtype=np.int64), np.zeros(len(refs), dtype=np.int64)
    segs = checked.segmentations
    todo = np.flatnonzero(checked.areas > 0)  # malformed RLEs have area 0: never decoded
    sizes = np.cumsum(np.fromiter((len(segs[i]["counts"]) for i in todo.tolist()), dtype=np.int64,
                                  count=len(todo)))
    edges = np.unique(np.r_[0, np.searchsorted(sizes, np.arange(_CHUNK_BYTES, sizes[-1], _CHUNK_BYTES)),
                            len(todo)]) if len(todo) else np.zeros(1, dtype=np.int64)
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist()):
        chunk = todo[lo:hi]
        positive, negative = chunk[exists[chunk]], chunk[~exists[chunk]]
        pieces = resize_many([segs[i] for i in positive.tolist()], side)  # overlaps need the pieces
        area[positive] = pieces.areas()
        inter[positive] = coverage.overlaps(pieces, mask_of_ref[refs[positive]])
        area[negative] = resized_areas([segs[i] for i in negative.tolist()], side)
    return inter, area, gt_area


def row_gt_areas(selection: "Selection", preds: "ValidPredictions", gt_rles: List[masks.RLE],
                 gt_areas: np.ndarray, resolution: Optional[int] = None) -> np.ndarray:
    """The ground-truth area of every row at the scoring resolution: from ``gt_areas`` (per ref) at the
    original size; resized, from the ``G`` column ``measure`` made, resizing here only the refs of rows
    that had no record."""
    if resolution is None:
        return gt_areas[selection.ref_of_row]
    lacking = np.unique(selection.ref_of_row[~preds.covered])
    resized = np.zeros(len(selection.refs), dtype=np.int64)
    resized[lacking] = resized_areas([gt_rles[j] for j in lacking.tolist()], resolution)
    return np.where(preds.covered, preds.columns["G"], resized[selection.ref_of_row])


def sentence_table(selection: "Selection", preds: "ValidPredictions", gt_area: np.ndarray,
                   labels: Sequence[str] = ()) -> SentenceTable:
    """The table of every selected sentence from predictions measured by ``measure`` (``gt_area`` per row, at
    the resolution they were measured at: ``row_gt_areas``), with the group labels of the breakdowns named in
    ``labels``."""
    dataset, refs, exists = selection.dataset, selection.refs, selection.exists
    area = preds.columns.get("A", preds.areas)
    inter = np.where(exists, preds.columns["I"], 0)
    union = np.where(exists, area + gt_area - inter, area)
    groups = {name: np.array([_label(name, dataset, r, s) for r in refs for s in r["sentences"]], dtype=object)
              for name in labels}
    return SentenceTable(np.asarray(preds.sent_ids, dtype=np.int64), selection.ref_of_row, exists, inter, union,
                         area, np.where(exists, gt_area, 0), preds.scores, [r["ref_id"] for r in refs], groups)
