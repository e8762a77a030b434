"""The predictions schema ``rris-predictions/1``: writing records, reading files, strict validation.

One record per (image, sentence), keyed by ``sent_id``; ``segmentation`` is a COCO compressed RLE at the
image's original size or ``null`` (no target); ``score`` (optional) is the confidence that the target
exists. A file is either wrapped JSON ``{"info": ..., "predictions": [...]}``, a bare list of records, or
JSON Lines whose first line is ``{"info": ...}`` (what the harness writes incrementally).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from .errors import InputError
from .files import PathLike, sha256_bytes
from .metrics.halves import in_halves
from .metrics.rle import concat, decode_counts
from .refer import ReferDataset

SCHEMA = "rris-predictions/1"


def info_record(dataset: str, split_by: str, split: Union[str, Sequence[str]], model: str,
                dataset_sha256: str) -> Dict[str, Any]:
    """The ``info`` header of a predictions file (the first line of a JSON Lines file)."""
    split_value = split if isinstance(split, str) else ",".join(split)
    return {"schema": SCHEMA, "dataset": dataset, "split_by": split_by, "split": split_value,
            "model": model, "dataset_sha256": dataset_sha256}


def prediction_record(sent_id: int, image_id: int, segmentation: Optional[Dict[str, Any]],
                      score: Optional[float] = None) -> Dict[str, Any]:
    """One prediction; ``segmentation`` None means "no target". ``score`` is left out when None."""
    record: Dict[str, Any] = {"sent_id": int(sent_id), "image_id": int(image_id)}
    if segmentation is None:
        record["segmentation"] = None
    else:
        counts = segmentation["counts"]
        record["segmentation"] = {"size": [int(segmentation["size"][0]), int(segmentation["size"][1])],
                                  "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}
    if score is not None:
        record["score"] = float(score)
    return record


def jsonl_line(obj: Any) -> str:
    """Compact, deterministic JSON of ``obj`` followed by a newline (one JSON Lines record)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n"


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class PredictionFile:
    """A parsed predictions file: its ``info`` header (None if absent) and its raw records."""

    path: Path
    info: Optional[Dict[str, Any]]
    records: List[Any]
    sha256: str


def read_predictions(path: PathLike) -> PredictionFile:
    """Parse wrapped JSON, a bare list, or JSON Lines; structure only (``validate`` checks the content)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path) from None
    stripped = text.lstrip()
    if not stripped:
        raise InputError("the file is empty", path)
    try:
        top = json.loads(text)
    except json.JSONDecodeError as exc:
        if stripped[0] != "{" or not exc.msg.startswith("Extra data"):
            raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", path) from None
        return _read_json_lines(path, text, sha256_bytes(data))
    if isinstance(top, list):
        return PredictionFile(path, None, top, sha256_bytes(data))
    if isinstance(top, dict) and set(top) == {"info"}:  # a JSON Lines file with its header only
        return PredictionFile(path, _info(top["info"], path), [], sha256_bytes(data))
    if not isinstance(top, dict) or not isinstance(top.get("predictions"), list):
        raise InputError('expected {"info": ..., "predictions": [...]}, a list of records, or JSON Lines',
                         path)
    return PredictionFile(path, _info(top.get("info"), path), top["predictions"], sha256_bytes(data))


def _info(info: Any, path: Path) -> Optional[Dict[str, Any]]:
    if info is None:
        return None
    if not isinstance(info, dict):
        raise InputError(f"expected an object, found {type(info).__name__}", path, field="info")
    if info.get("schema", SCHEMA) != SCHEMA:
        raise InputError(f"unknown schema {info.get('schema')!r} (this toolkit reads {SCHEMA})", path,
                         field="info.schema")
    return info


def _read_json_lines(path: Path, text: str, digest: str) -> PredictionFile:
    try:  # one parse of the whole file as a list is the fast way; blank lines or a bad line fall through
        items = json.loads("[" + text.strip().replace("\n", ",") + "]")
    except json.JSONDecodeError:
        items = _json_lines_slowly(path, text)
    info = None
    if items and isinstance(items[0], dict) and set(items[0]) == {"info"}:
        info = _info(items.pop(0)["info"], path)
    return PredictionFile(path, info, items, digest)


def _json_lines_slowly(path: Path, text: str) -> List[Any]:
    """Line by line, skipping blank lines, naming the first line that is not JSON."""
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})", path, f"line {n}") from None
    return items


# --- validation ------------------------------------------------------------------------------------


@dataclass
class ValidPredictions:
    """Validated predictions aligned with ``sent_ids`` (the selected sentences, in dataset order).

    ``segmentations[i]`` is the RLE of sentence i (None when predicted empty); ``areas`` its pixel count;
    ``scores`` the existence scores (None when the file has none); ``missing_filled`` how many sentences
    had no prediction and were counted as empty; ``ignored`` how many records name sentences outside the
    selected splits (they are not scored).
    """

    sent_ids: List[int]
    segmentations: List[Optional[Dict[str, Any]]]
    areas: np.ndarray
    scores: Optional[np.ndarray]
    missing_filled: int
    ignored: int


MISSING_CHOICES = ("error", "empty")


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


class _Problems:
    """Collects every problem of a file; raises once, listing the first ``limit`` and counting the rest."""

    def __init__(self, path: Path, limit: int):
        self.path, self.limit, self.items = path, limit, []  # type: ignore[var-annotated]

    def add(self, where: str, field: str, message: str) -> None:
        self.items.append(f"{where}: {field}: {message}")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:self.limit]
        more = len(self.items) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        noun = "problem" if len(self.items) == 1 else "problems"
        raise InputError(f"{len(self.items)} {noun} found, nothing was scored:\n  " + "\n  ".join(shown) + tail,
                         self.path)


def validate(preds: PredictionFile, dataset: ReferDataset, splits: Optional[Sequence[str]] = None, *,
             missing: str = "error", limit: int = 20) -> ValidPredictions:
    """Check every record against the dataset and the selected splits; raise one InputError listing all
    problems (the first ``limit``) before anything is scored."""
    if missing not in MISSING_CHOICES:
        raise InputError(f"missing must be one of {', '.join(MISSING_CHOICES)}, not {missing!r}",
                         field="missing")
    problems = _Problems(preds.path, limit)
    refs = dataset.refs_in(splits)
    selected = [s["sent_id"] for ref in refs for s in ref["sentences"]]
    row_ref = [ref for ref in refs for _ in ref["sentences"]]
    sizes = {i: [im["height"], im["width"]] for i, im in dataset.images.items()}
    row_of = {sid: i for i, sid in enumerate(selected)}
    found: List[Optional[int]] = [None] * len(selected)  # record index per selected sentence
    any_scores = any(type(r) is dict and r.get("score") is not None for r in preds.records)
    ignored = 0
    to_decode: List[int] = []  # rows whose segmentation is an RLE of the right size: counts checked in bulk
    for k, rec in enumerate(preds.records):
        if type(rec) is not dict:
            problems.add(f"record #{k}", "record", f"expected an object, found {type(rec).__name__}")
            continue
        sid = rec.get("sent_id")
        row = row_of.get(sid) if type(sid) is int else None
        if row is None or found[row] is not None:
            ignored += _sent_id_problem(k, sid, row, found, dataset, problems)
            continue
        found[row] = k
        ref = row_ref[row]
        if rec.get("image_id") != ref["image_id"] or type(rec.get("image_id")) is not int:
            image_id = rec.get("image_id")
            problems.add(f"record #{k} (sent_id {sid})", "image_id", "missing" if image_id is None else
                         f"{image_id!r} does not match the sentence's image {ref['image_id']}")
        seg = rec.get("segmentation", _ABSENT)
        if type(seg) is dict and seg.get("size") == sizes[ref["image_id"]] and type(seg.get("counts")) is str \
                and all(type(v) is int for v in seg["size"]):
            to_decode.append(row)  # the common case, checked without building messages
        elif seg is not None:
            _segmentation_problem(seg, dataset.images[ref["image_id"]], f"record #{k} (sent_id {sid})", problems)
        score = rec.get("score")
        if type(score) is not float or not 0.0 <= score <= 1.0:
            _score_problem(score, any_scores, f"record #{k} (sent_id {sid})", problems)
    missing_rows = [i for i, k in enumerate(found) if k is None]
    if missing_rows and missing == "error":
        for i in missing_rows:
            problems.add(f"sent_id {selected[i]} (ref {row_ref[i]['ref_id']}, split {row_ref[i]['split']})",
                         "prediction", "missing (pass --missing empty to count missing predictions as empty)")
    records = preds.records
    segmentations = [None if k is None else records[k].get("segmentation") for k in found]
    counts = [segmentations[i]["counts"] for i in to_decode]
    pixels = [segmentations[i]["size"][0] * segmentations[i]["size"][1] for i in to_decode]
    decoded = in_halves(lambda a, b: decode_counts(counts[a:b], pixels[a:b]), len(counts), concat)
    areas = np.zeros(len(selected), dtype=np.int64)
    areas[to_decode] = decoded.area
    for j in np.flatnonzero(~decoded.valid):
        i = to_decode[j]
        problems.add(f"record #{found[i]} (sent_id {selected[i]})", "segmentation.counts",
                     f"malformed RLE: {decoded.reason[j]}")
    problems.raise_if_any()
    scores = None
    if any_scores:
        scores = np.array([0.0 if k is None else float(records[k]["score"]) for k in found])
    return ValidPredictions(selected, [s if a else None for s, a in zip(segmentations, areas.tolist())], areas,
                            scores, len(missing_rows), ignored)


def _sent_id_problem(k: int, sid: Any, row: Optional[int], found: List[Optional[int]], dataset: ReferDataset,
                     problems: "_Problems") -> int:
    """Report a sent_id that is not a fresh selected sentence; returns 1 if the record is merely ignored
    (a known sentence outside the selected splits)."""
    if not _is_int(sid):
        problems.add(f"record #{k}", "sent_id", "missing" if sid is None else f"expected an integer, found {sid!r}")
    elif sid not in dataset.sentences:
        problems.add(f"record #{k} (sent_id {sid})", "sent_id", f"unknown sent_id (not in {dataset.name})")
    elif row is None:
        return 1
    else:
        problems.add(f"record #{k} (sent_id {sid})", "sent_id", f"duplicate (first seen in record #{found[row]})")
    return 0


def _score_problem(score: Any, any_scores: bool, where: str, problems: "_Problems") -> None:
    if score is None:
        if any_scores:
            problems.add(where, "score", "missing, while other records have one (give all or none)")
    elif not isinstance(score, (int, float)) or isinstance(score, bool) or not 0.0 <= score <= 1.0:
        problems.add(where, "score", f"{score!r} is not a number in [0, 1]")


_ABSENT = object()


def _size_ok(seg: Dict[str, Any]) -> bool:
    size = seg.get("size")
    return isinstance(size, list) and len(size) == 2 and all(_is_int(v) and v > 0 for v in size)


def _segmentation_problem(seg: Any, image: Dict[str, Any], where: str, problems: _Problems) -> None:
    """Say what is wrong with a segmentation that is neither null nor an RLE of the image's size."""
    if seg is _ABSENT:
        problems.add(where, "segmentation", "missing (use null for no target)")
        return
    if not isinstance(seg, dict):
        problems.add(where, "segmentation", f"expected a COCO RLE object or null, found {type(seg).__name__}")
        return
    if not _size_ok(seg):
        problems.add(where, "segmentation.size", f"expected [height, width], found {seg.get('size')!r}")
    elif seg["size"] != [image["height"], image["width"]]:
        problems.add(where, "segmentation.size", f"{seg['size']} does not match image {image['id']} "
                     f"([{image['height']}, {image['width']}]); masks must be at the original size")
    counts = seg.get("counts")
    if isinstance(counts, list):
        problems.add(where, "segmentation.counts", "uncompressed RLE (a list) is not accepted: "
                     "use compressed RLE (pycocotools.mask.encode)")
    elif not isinstance(counts, str):
        problems.add(where, "segmentation.counts", "missing" if counts is None else
                     f"expected a string, found {type(counts).__name__}")
