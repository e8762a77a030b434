"""Checking a predictions file against a dataset, strictly: every record's sent_id, image_id, RLE and score,
then the whole file's coverage and its all-or-none scores (``validate``; ``evaluate`` runs the same steps on each
half of a large file: ``check_records``, ``merge_checked``, ``finish``). Problems are listed by line and field,
up to a limit, in one InputError."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..checks import quote
from ..datasets.model import Dataset
from ..errors import InputError
from ..rle import decode_counts
from .predictions import PredictionFile


class Selection:
    """The sentences a predictions file is checked against: those of the chosen splits, in dataset order
    (row i is ``sent_ids[i]``; its ref is ``refs[ref_of_row[i]]``)."""

    def __init__(self, dataset: Dataset, splits: Optional[Sequence[str]] = None):
        self.dataset = dataset
        self.refs = dataset.refs_in(splits)
        self.sent_ids = [s["sent_id"] for ref in self.refs for s in ref["sentences"]]
        self.exists = np.array([s.exists for ref in self.refs for s in ref["sentences"]], dtype=bool)
        self.ref_of_row = np.repeat(np.arange(len(self.refs)), [len(r["sentences"]) for r in self.refs])
        self.row_of = {sid: i for i, sid in enumerate(self.sent_ids)}
        self.row_image = [ref["image_id"] for ref in self.refs for _ in ref["sentences"]]
        sizes = {i: [im["height"], im["width"]] for i, im in dataset.images.items()}
        self.row_size = [sizes[i] for i in self.row_image]

    def __len__(self) -> int:
        return len(self.sent_ids)


# A problem: (phase, position, order, sent_id, field, message). Phase 0 is a record's own checks and phase 2
# its RLE counts (position: the record's index), phase 1 a missing prediction (position: the row); sorting
# the tuples gives the order of a single pass over the file.
Problem = Tuple[int, int, int, Optional[int], str, str]


@dataclass
class CheckedRecords:
    """Consecutive records of a file checked against a ``Selection``.

    Each accepted record (the first for a selected sentence) has one entry in the arrays: ``rows`` its
    sentence's row, ``index`` its position among the ``count`` records, ``areas`` its pixel count (0 when
    empty or malformed), ``scores`` its score (NaN when absent). ``segmentations`` are the records' RLEs
    (None once measured); ``columns`` per-entry arrays computed from them (``metrics.stats.measure``).
    """

    count: int
    rows: np.ndarray
    index: np.ndarray
    areas: np.ndarray
    scores: np.ndarray
    segmentations: Optional[List[Optional[Dict[str, Any]]]]
    problems: List[Problem]
    ignored: int
    any_scores: bool
    columns: Dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class ValidPredictions:
    """Validated predictions, one row per selected sentence (``sent_ids``, dataset order).

    ``areas`` pixel counts; ``scores`` existence scores (None when the file has none); ``segmentations``
    the RLE of each row (None when empty; the whole list is None when the records were measured in place,
    see ``columns``); ``covered`` which rows had a record (the others were counted as empty); ``ignored``
    records naming sentences outside the selected splits (not scored).
    """

    sent_ids: List[int]
    segmentations: Optional[List[Optional[Dict[str, Any]]]]
    areas: np.ndarray
    scores: Optional[np.ndarray]
    covered: np.ndarray
    ignored: int
    columns: Dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def missing_filled(self) -> int:
        """How many sentences had no prediction and were counted as empty."""
        return int((~self.covered).sum())


MISSING_CHOICES = ("error", "empty", "skip")  # skip: score only the predicted sentences
_ABSENT = object()
_BAD_SCORE = -1.0  # stands for a score that is present but invalid (already reported)


def check_records(records: Sequence[Any], selection: Selection) -> CheckedRecords:
    """Check each record's fields against the selection (everything but coverage and the all-or-none rule
    for scores, which need the whole file: ``finish``), and measure the areas of well-formed RLEs."""
    dataset, row_of, row_image, row_size = selection.dataset, selection.row_of, selection.row_image, \
        selection.row_size
    problems: List[Problem] = []
    seen: Dict[int, int] = {}
    rows, index, segs, scores, to_decode = [], [], [], [], []
    ignored, any_scores = 0, False
    for k, rec in enumerate(records):
        if type(rec) is not dict:
            problems.append((0, k, 0, None, "record", f"expected an object, found {type(rec).__name__}"))
            continue
        score = rec.get("score")
        any_scores = any_scores or score is not None
        sid = rec.get("sent_id")
        row = row_of.get(sid) if type(sid) is int else None
        if row is None or row in seen:
            ignored += _sent_id_problem(k, sid, row, seen, dataset, problems)
            continue
        seen[row] = k
        image_id = rec.get("image_id")
        if image_id != row_image[row] or type(image_id) is not int:
            problems.append((0, k, 1, sid, "image_id", "missing" if image_id is None else
                             f"{quote(image_id)} does not match the sentence's image {row_image[row]}"))
        seg = rec.get("segmentation", _ABSENT)
        size = seg.get("size") if type(seg) is dict else None
        if size == row_size[row] and type(seg.get("counts")) is str and type(size[0]) is int \
                and type(size[1]) is int:  # the common case, checked without building messages
            to_decode.append(len(rows))
        elif seg is not None:
            _segmentation_problem(seg, dataset.images[row_image[row]], k, sid, problems)
        if score is None:
            scores.append(np.nan)
        elif type(score) is float and 0.0 <= score <= 1.0:
            scores.append(score)
        elif isinstance(score, int) and not isinstance(score, bool) and 0 <= score <= 1:
            scores.append(float(score))
        else:
            problems.append((0, k, 2, sid, "score", f"{quote(score)} is not a number in [0, 1]"))
            scores.append(_BAD_SCORE)
        rows.append(row)
        index.append(k)
        segs.append(seg if seg is not _ABSENT else None)
    counts = [segs[i]["counts"] for i in to_decode]
    pixels = [segs[i]["size"][0] * segs[i]["size"][1] for i in to_decode]
    decoded = decode_counts(counts, pixels)
    areas = np.zeros(len(rows), dtype=np.int64)
    areas[to_decode] = decoded.area
    for j in np.flatnonzero(~decoded.valid):
        i = to_decode[j]
        problems.append((2, index[i], 0, selection.sent_ids[rows[i]], "segmentation.counts",
                         f"malformed RLE: {decoded.reason[j]}"))
    return CheckedRecords(len(records), np.array(rows, dtype=np.int64), np.array(index, dtype=np.int64), areas,
                          np.array(scores, dtype=np.float64), segs, problems, ignored, any_scores)


def merge_checked(first: CheckedRecords, second: CheckedRecords, selection: Selection) -> CheckedRecords:
    """Two consecutive checked runs of one file as one: the second's records are renumbered after the
    first's, and a sentence accepted in both keeps the first record (the second is a duplicate)."""
    offset = first.count
    first_record = dict(zip(first.rows.tolist(), first.index.tolist()))
    dup = np.isin(second.rows, first.rows)
    dropped = set(second.index[dup].tolist())
    problems = list(first.problems)
    problems += [(p[0], p[1] + offset, *p[2:]) for p in second.problems if p[1] not in dropped]
    problems += [(0, int(k) + offset, 0, selection.sent_ids[row], "sent_id",
                  f"duplicate (first seen in record #{first_record[row]})")
                 for k, row in zip(second.index[dup].tolist(), second.rows[dup].tolist())]
    keep = ~dup
    segmentations = None
    if first.segmentations is not None and second.segmentations is not None:
        segmentations = first.segmentations + [s for s, kept in zip(second.segmentations, keep) if kept]
    return CheckedRecords(
        first.count + second.count, np.concatenate([first.rows, second.rows[keep]]),
        np.concatenate([first.index, second.index[keep] + offset]),
        np.concatenate([first.areas, second.areas[keep]]), np.concatenate([first.scores, second.scores[keep]]),
        segmentations, problems, first.ignored + second.ignored, first.any_scores or second.any_scores,
        {name: np.concatenate([column, second.columns[name][keep]]) for name, column in first.columns.items()})


def finish(checked: CheckedRecords, selection: Selection, path: Path, *, missing: str = "error",
           limit: int = 20, line_of: Optional[Callable[[int], Optional[int]]] = None) -> ValidPredictions:
    """The whole-file checks (every selected sentence predicted, scores given for all records or none);
    raise one InputError listing every problem (the first ``limit``; ``line_of`` gives a record's line in a
    JSON Lines file), else the predictions by row."""
    check_missing_option(missing)
    n = len(selection)
    problems = list(checked.problems)
    if checked.any_scores:
        problems += [(0, int(checked.index[i]), 2, selection.sent_ids[checked.rows[i]], "score",
                      "missing, while other records have one (give all or none)")
                     for i in np.flatnonzero(np.isnan(checked.scores))]
    if n and not len(checked.rows) and checked.ignored:
        raise InputError(f"none of its records is a sentence of the selected split(s) "
                         f"({', '.join(sorted({r['split'] for r in selection.refs}))}): all {checked.ignored} belong to "
                         "other splits; "
                         "pass the split the file was made for (--split)", path)
    covered = np.zeros(n, dtype=bool)
    covered[checked.rows] = True
    missing_rows = np.flatnonzero(~covered)
    if len(missing_rows) and missing == "error":
        problems += [(1, int(i), 0, selection.sent_ids[i], "prediction",
                      "missing (pass --missing empty to count missing predictions as empty, or --missing skip to "
                      "score only the predicted sentences, e.g. of a run --limit)") for i in missing_rows]
    if problems:
        _raise(sorted(problems, key=lambda p: p[:3]), selection, path, limit, line_of)
    areas = np.zeros(n, dtype=np.int64)
    areas[checked.rows] = checked.areas
    scores = None
    if checked.any_scores:
        scores = np.zeros(n, dtype=np.float64)
        scores[checked.rows] = checked.scores
    segmentations = None
    if checked.segmentations is not None:
        segmentations = [None] * n
        for row, seg, area in zip(checked.rows.tolist(), checked.segmentations, checked.areas.tolist()):
            segmentations[row] = seg if area else None
    columns = {}
    for name, values in checked.columns.items():
        columns[name] = np.zeros(n, dtype=values.dtype)
        columns[name][checked.rows] = values
    return ValidPredictions(selection.sent_ids, segmentations, areas, scores, covered, checked.ignored, columns)


def check_missing_option(missing: str) -> None:
    if missing not in MISSING_CHOICES:
        raise InputError(f"missing must be one of {', '.join(MISSING_CHOICES)}, not {quote(missing)}",
                         field="missing")


def validate(preds: PredictionFile, dataset: Dataset, splits: Optional[Sequence[str]] = None, *,
             missing: str = "error", limit: int = 20) -> ValidPredictions:
    """Check every record against the dataset and the selected splits; raise one InputError listing all
    problems (the first ``limit``) before anything is scored."""
    selection = Selection(dataset, splits)
    return finish(check_records(preds.records, selection), selection, preds.path, missing=missing, limit=limit,
                  line_of=preds.line_of)


def _raise(problems: List[Problem], selection: Selection, path: Path, limit: int,
           line_of: Optional[Callable[[int], Optional[int]]] = None) -> None:
    """One InputError listing the first ``limit`` problems (a record's line first, where known) and counting
    the rest."""
    lines = []
    for phase, position, _, sid, field_name, message in problems[:limit]:
        if phase == 1:
            ref = selection.refs[selection.ref_of_row[position]]
            where = f"sent_id {sid} (ref {ref['ref_id']}, split {ref['split']})"
        else:
            line = line_of(position) if line_of is not None else None
            where = ("" if line is None else f"line {line}, ") + f"record #{position}" + \
                ("" if sid is None else f" (sent_id {sid})")
        lines.append(f"{where}: {field_name}: {message}")
    more = len(problems) - len(lines)
    tail = f"\n  ... and {more} more" if more else ""
    noun = "problem" if len(problems) == 1 else "problems"
    raise InputError(f"{len(problems)} {noun} found, nothing was scored:\n  " + "\n  ".join(lines) + tail, path)


def _sent_id_problem(k: int, sid: Any, row: Optional[int], seen: Dict[int, int], dataset: Dataset,
                     problems: List[Problem]) -> int:
    """Report a sent_id that is not a fresh selected sentence; returns 1 if the record is merely ignored
    (a known sentence outside the selected splits)."""
    if type(sid) is not int:
        problems.append((0, k, 0, None, "sent_id",
                         "missing" if sid is None else f"expected an integer, found {quote(sid)}"))
    elif sid not in dataset.sentences:
        problems.append((0, k, 0, sid, "sent_id", f"unknown sent_id (not in {dataset.name})"))
    elif row is None:
        return 1
    else:
        problems.append((0, k, 0, sid, "sent_id", f"duplicate (first seen in record #{seen[row]})"))
    return 0


def _segmentation_problem(seg: Any, image: Dict[str, Any], k: int, sid: int, problems: List[Problem]) -> None:
    """Say what is wrong with a segmentation that is neither null nor an RLE of the image's size."""
    def add(field_name: str, message: str) -> None:
        problems.append((0, k, 1, sid, field_name, message))

    if seg is _ABSENT:
        add("segmentation", "missing (use null for no target)")
        return
    if isinstance(seg, list):
        add("segmentation", "a list (polygons or a dense mask) is not accepted: give compressed RLE, e.g. "
            "rle = pycocotools.mask.encode(np.asfortranarray(mask.astype(np.uint8))); "
            "rle['counts'] = rle['counts'].decode('ascii')")
        return
    if not isinstance(seg, dict):
        add("segmentation", f"expected a COCO RLE object or null, found {type(seg).__name__}")
        return
    size = seg.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int and v > 0 for v in size)):
        add("segmentation.size", f"expected [height, width], found {quote(size)}")
    elif size != [image["height"], image["width"]]:
        add("segmentation.size", f"{size} does not match image {image['id']} ([{image['height']}, "
            f"{image['width']}]); masks must be at the original size")
    counts = seg.get("counts")
    if isinstance(counts, list):
        add("segmentation.counts", "uncompressed RLE (a list) is not accepted: use compressed RLE "
            "(pycocotools.mask.encode)")
    elif not isinstance(counts, str):
        add("segmentation.counts", "missing" if counts is None else f"expected a string, found {type(counts).__name__}")
