"""Checks on the ground-truth side: what every dataset reader calls on what it read, before anything uses it.

Predictions are checked record by record before they are scored (``rris_bench.metrics.predictions``); the ground truth
gets the same treatment here, so that a wrong type, a mask of another size or runs that do not add up is one
``InputError`` naming the file, the record and the field, never a traceback, a hang inside pycocotools or a
negative IoU. Every problem of a file is collected (``Problems``) and reported together, the first ``limit``.

Public API, for every reader:

- ``check_instances(instances, path)``: a COCO instances dict (images, annotations, categories). Returns what
  was left out on purpose (``LeftOut``: degenerate polygon parts, which are skipped when rasterising).
- ``check_refs(refs, path, instances, instances_path)``: the model's refs (``datasets.model.Ref``) against
  checked instances (the readers check each record's types first: ``datasets.records``).
- ``segmentation_problem(segmentation, height, width)``: the one check of a single segmentation, shared with
  ``rris_bench.masks.from_segmentation`` (which refuses anything it reports) and, for compressed RLE counts,
  with the predictions (``rris_bench.rle.decode_counts``: one code path for both sides).
- ``Problems``: the collector, for readers of other formats.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import InputError
from .rle import decode_counts

LIMIT = 20                   # problems listed in one error; the rest are counted
MAX_PIXELS = 1 << 28         # an image of at most 268 M pixels (16384 x 16384): RLE numbers then fit pycocotools
MARGIN = 1.0                 # a polygon coordinate may lie up to one image side outside the image
MAX_POLYGON_SAMPLES = 1 << 24  # edge samples pycocotools' rleFrPoly allocates (two int arrays of this length)
POLYGON_SCALE = 5            # rleFrPoly upsamples coordinates by this factor (maskApi.c)
QUOTE = 80                   # characters of a user's value quoted in a message


def quote(value: Any, limit: int = QUOTE) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for messages (a huge value never floods a terminal)."""
    if isinstance(value, (list, tuple, dict)) and len(value) > 20:
        return f"{type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def is_int(value: Any) -> bool:
    """An integer that is not a bool (``True`` is an int to Python, never an id or a size to us)."""
    return type(value) is int


def is_number(value: Any) -> bool:
    return type(value) in (int, float)


MAX_NAME = 200  # characters of a dataset or model name


def name_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a dataset name (a folder name under the data root, never a path), or None."""
    if not isinstance(value, str) or not value.strip():
        return f"expected a dataset name, found {quote(value)}"
    if "/" in value or "\\" in value or value in (".", "..") or value.startswith(".") or not value.isprintable():
        return f"{quote(value)} is not a dataset name (a folder name: no '/', no leading '.')"
    if len(value) > MAX_NAME:
        return f"{quote(value)} is longer than {MAX_NAME} characters"
    return None


def line_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not one line of printable text (a model name, say), or None."""
    if not isinstance(value, str) or not value.strip():
        return f"expected a non-empty string, found {quote(value)}"
    if not value.isprintable():
        return f"{quote(value)} is not one line of printable text"
    if len(value) > MAX_NAME:
        return f"{quote(value)} is longer than {MAX_NAME} characters"
    return None


class Problems:
    """Problems found in one file, each ``record: field: message``; raised together as one InputError."""

    def __init__(self, path: Any, limit: int = LIMIT):
        self.path, self.limit = path, limit
        self.lines: List[str] = []
        self.count = 0

    def add(self, record: str, field: Optional[str], message: str) -> None:
        self.count += 1
        if len(self.lines) < self.limit:
            self.lines.append(": ".join(p for p in (record, field, message) if p))

    def __len__(self) -> int:
        return self.count

    def raise_if_any(self) -> None:
        """One InputError listing the first ``limit`` problems and counting the rest."""
        if not self.count:
            return
        if self.count == 1:
            raise InputError(self.lines[0], self.path)
        more = self.count - len(self.lines)
        tail = f"\n  ... and {more} more" if more else ""
        raise InputError(f"{self.count} problems found:\n  " + "\n  ".join(self.lines) + tail, self.path)


@dataclass
class LeftOut:
    """What a reader skipped on purpose, to be counted in records and printed as one line."""

    degenerate_polygon_parts: int = 0

    def as_dict(self) -> Dict[str, int]:
        return {"degenerate_polygon_parts": self.degenerate_polygon_parts}


# --- segmentations ---------------------------------------------------------------------------------

Problem = Optional[Tuple[str, str]]  # (field, message) or None


def _part_problem(j: int, part: Any) -> Problem:
    """The per-part checks (the slow path, which also names a value that is not a number)."""
    where = f"segmentation[{j}]"
    if not isinstance(part, list):
        return where, f"expected a list of coordinates, found {type(part).__name__}"
    bad = [v for v in part if not is_number(v)]
    if bad:
        return where, f"expected numbers, found {quote(bad[0])}"
    if len(part) % 2:
        return where, f"an odd number of coordinates ({len(part)}): expected x, y pairs"
    return None


def _polygon_problems(items: Sequence[Tuple[int, List[Any], int, int]], out: List[Problem]) -> None:
    """Check the polygons of many annotations at once: ``items`` are (position in ``out``, parts, height,
    width). Coordinates must be finite and at most ``MARGIN`` image sides outside the image, and an
    annotation's parts may make pycocotools' rleFrPoly allocate at most ``MAX_POLYGON_SAMPLES`` edge samples."""
    parts, owner, part_index, sizes = [], [], [], []
    for pos, segmentation, height, width in items:
        for j, part in enumerate(segmentation):
            if not isinstance(part, list) or len(part) % 2:
                out[pos] = out[pos] or _part_problem(j, part)
            elif len(part) >= 6:  # shorter parts are degenerate: skipped, counted by degenerate_parts
                parts.append(part)
                owner.append(pos)
                part_index.append(j)
                sizes.append((width, height))
    if not parts:
        return
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) // 2
    try:
        flat = np.array([v for part in parts for v in part])
    except (ValueError, TypeError, OverflowError):
        flat = np.zeros(0)
    if flat.dtype.kind not in "fi" or flat.ndim != 1 or len(flat) != 2 * lengths.sum():
        for k, part in enumerate(parts):  # something is not a number: find it the slow way
            out[owner[k]] = out[owner[k]] or _part_problem(part_index[k], part)
        return
    xy = flat.astype(np.float64).reshape(-1, 2)
    part_of_point = np.repeat(np.arange(len(parts)), lengths)
    size = np.asarray(sizes, dtype=np.float64)[part_of_point]
    finite = np.isfinite(xy).all(axis=1)
    with np.errstate(invalid="ignore"):
        inside = finite & (xy >= -MARGIN * size).all(axis=1) & (xy <= (1 + MARGIN) * size).all(axis=1)
    for point in np.flatnonzero(~inside):
        k = int(part_of_point[point])
        pos, (width, height) = owner[k], sizes[k]
        if out[pos] is None:
            x, y = xy[point]
            out[pos] = (f"segmentation[{part_index[k]}]", "non-finite polygon coordinate (NaN or infinity)"
                        if not finite[point] else f"polygon coordinate {quote(float(x))}, {quote(float(y))} is "
                        f"more than {MARGIN:g} image side outside the {width}x{height} image")
    # rleFrPoly rounds scale * coordinate and walks every edge (the closing one too) in max(|dx|, |dy|) + 1
    scaled = np.floor(POLYGON_SCALE * np.where(inside[:, None], xy, 0) + 0.5).astype(np.int64)
    starts = np.cumsum(lengths) - lengths
    following = np.arange(len(xy)) + 1
    following[starts + lengths - 1] = starts
    per_part = np.add.reduceat(np.abs(scaled[following] - scaled).max(axis=1) + 1, starts)
    total: Dict[int, int] = {}
    for pos, n in zip(owner, per_part.tolist()):
        total[pos] = total.get(pos, 0) + n
    for pos, n in total.items():
        if n > MAX_POLYGON_SAMPLES and out[pos] is None:
            out[pos] = ("segmentation", f"polygons too long to rasterise ({n} edge samples, at most "
                                        f"{MAX_POLYGON_SAMPLES})")


def _uncompressed_problem(counts: List[Any], pixels: int) -> Problem:
    bad = [v for v in counts if not (is_int(v) and 0 <= v <= pixels)]
    if bad:
        return "segmentation.counts", f"expected run lengths (integers from 0 to h*w), found {quote(bad[0])}"
    if sum(counts) != pixels:
        return "segmentation.counts", f"runs add up to {sum(counts)} pixels, size says {pixels}"
    return None


def segmentation_problems(items: Sequence[Tuple[Any, int, int]]) -> List[Problem]:
    """(field, message) for the first thing wrong with each (segmentation, height, width), or None.

    Polygons: lists of x, y numbers, finite and near the image, at a bounded rasterisation cost; parts of
    fewer than 3 points are not problems but degenerate (``degenerate_parts``). RLE: ``size`` equal to the
    image's; uncompressed ``counts`` integers adding up to h*w; compressed ``counts`` checked by
    ``rris_bench.rle.decode_counts``, the very check of the predictions (canonical, runs adding up to h*w).
    Batched: one numpy pass for all polygons and one ``decode_counts`` call for all compressed strings.
    """
    out: List[Problem] = [None] * len(items)
    polygons, compressed = [], []
    for pos, (segmentation, height, width) in enumerate(items):
        if isinstance(segmentation, list):
            polygons.append((pos, segmentation, height, width))
        elif not isinstance(segmentation, dict):
            out[pos] = "segmentation", ("missing" if segmentation is None else
                                        f"expected polygons or an RLE object, found {type(segmentation).__name__}")
        else:
            size, counts = segmentation.get("size"), segmentation.get("counts")
            if not (isinstance(size, list) and len(size) == 2 and all(is_int(v) and v > 0 for v in size)):
                out[pos] = "segmentation.size", f"expected [height, width], found {quote(size)}"
            elif size != [height, width]:
                out[pos] = "segmentation.size", f"{size} differs from the image's size [{height}, {width}]"
            elif isinstance(counts, str):
                compressed.append(pos)
            elif isinstance(counts, list):
                out[pos] = _uncompressed_problem(counts, height * width)
            else:
                out[pos] = "segmentation.counts", ("missing" if counts is None else "expected a string or a list "
                                                   f"of run lengths, found {type(counts).__name__}")
    _polygon_problems(polygons, out)
    if compressed:
        decoded = decode_counts([items[p][0]["counts"] for p in compressed],
                                [items[p][1] * items[p][2] for p in compressed])
        for p, valid, reason in zip(compressed, decoded.valid, decoded.reason):
            if not valid:
                out[p] = "segmentation.counts", f"malformed RLE: {reason}"
    return out


def segmentation_problem(segmentation: Any, height: int, width: int) -> Problem:
    """``segmentation_problems`` of one segmentation."""
    return segmentation_problems([(segmentation, height, width)])[0]


def degenerate_parts(segmentation: Any) -> int:
    """Polygon parts with fewer than 3 points (they enclose nothing and are skipped)."""
    if not isinstance(segmentation, list):
        return 0
    return sum(1 for part in segmentation if isinstance(part, list) and len(part) < 6)


# --- instances.json ---------------------------------------------------------------------------------


def _image_size_problem(image: Mapping[str, Any]) -> Optional[Tuple[str, str]]:
    """Why an image's size is wrong, or None. An image with neither ``height`` nor ``width`` has no known size:
    allowed (text-only uses such as building negatives), its masks are refused when asked for
    (``model.Dataset.ann_rle``)."""
    if "height" not in image and "width" not in image:
        return None
    for key in ("height", "width"):
        value = image.get(key)
        if not (is_int(value) and value > 0):
            return key, "missing" if value is None else f"expected a positive integer, found {quote(value)}"
    if image["height"] * image["width"] > MAX_PIXELS:
        return "height", f"{image['height']}x{image['width']} is more than {MAX_PIXELS} pixels"
    return None


def file_name_problem(name: Any) -> Optional[str]:
    """Why an image ``file_name`` could lead outside the image folder (or is no name), or None."""
    if not isinstance(name, str) or not name:
        return "missing" if name is None else f"expected a file name, found {quote(name)}"
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or "\x00" in name or (len(name) > 1 and name[1] == ":"):
        return f"{quote(name)} leads outside the image folder"
    return None


def _records(instances: Mapping[str, Any], key: str, problems: Problems) -> List[Dict[str, Any]]:
    """The list ``instances[key]``, keeping only dict entries (the others are reported)."""
    items = instances.get(key)
    if not isinstance(items, list):
        problems.add(key, None, "missing" if items is None else f"expected a list, found {type(items).__name__}")
        return []
    kept = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            kept.append(item)
        else:
            problems.add(f"{key}[{i}]", None, f"expected an object, found {type(item).__name__}")
    return kept


def _ids(records: Sequence[Dict[str, Any]], noun: str, problems: Problems) -> Dict[int, Dict[str, Any]]:
    """id -> record of records whose ``id`` is a fresh integer (the others are reported)."""
    by_id: Dict[int, Dict[str, Any]] = {}
    for i, rec in enumerate(records):
        value = rec.get("id")
        if not is_int(value):
            problems.add(f"{noun} #{i}", "id", "missing" if value is None else
                         f"expected an integer, found {quote(value)}")
        elif value in by_id:
            problems.add(f"{noun} {value}", "id", "duplicate")
        else:
            by_id[value] = rec
    return by_id


def check_instances(instances: Any, path: Any, *, limit: int = LIMIT) -> LeftOut:
    """Check a COCO instances dict; raise one InputError listing every problem (the first ``limit``).

    Images: integer ``id``, positive integer ``height``/``width`` (at most ``MAX_PIXELS``), a ``file_name``
    inside the image folder. Categories: integer ``id``, string ``name``. Annotations: integer ``id``,
    ``image_id`` and ``category_id`` that exist, a ``bbox`` of 4 finite numbers, and a ``segmentation`` that
    ``segmentation_problem`` accepts at its image's size. Ids are unique per kind. Returns what is left out.
    """
    problems = Problems(path, limit)
    if not isinstance(instances, dict):
        problems.add("", None, f"expected a COCO object with images, annotations and categories, found "
                               f"{type(instances).__name__}")
        problems.raise_if_any()
    images = _ids(_records(instances, "images", problems), "image", problems)
    categories = _ids(_records(instances, "categories", problems), "category", problems)
    annotations = _ids(_records(instances, "annotations", problems), "annotation", problems)
    problems.raise_if_any()  # a broken list or id makes every cross-reference fail: report the cause alone
    sized = {}
    for image_id, image in images.items():
        bad = _image_size_problem(image)
        if bad:
            problems.add(f"image {image_id}", *bad)
        elif "height" in image:
            sized[image_id] = (image["height"], image["width"])
        why = file_name_problem(image.get("file_name"))
        if why:
            problems.add(f"image {image_id}", "file_name", why)
    for cat_id, cat in categories.items():
        if not isinstance(cat.get("name"), str):
            problems.add(f"category {cat_id}", "name", f"expected a string, found {quote(cat.get('name'))}")
    left_out = LeftOut()
    to_check = []
    for ann_id, ann in annotations.items():
        record = f"annotation {ann_id}"
        image_id, cat_id, bbox = ann.get("image_id"), ann.get("category_id"), ann.get("bbox")
        if not is_int(image_id) or image_id not in images:
            problems.add(record, "image_id", "missing" if image_id is None else
                         f"{quote(image_id)} is not an image of this file")
        if not is_int(cat_id) or cat_id not in categories:
            problems.add(record, "category_id", "missing" if cat_id is None else
                         f"{quote(cat_id)} is not a category of this file")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(is_number(v) and math.isfinite(v) for v in bbox)):
            problems.add(record, "bbox", f"expected [x, y, width, height] of finite numbers, found {quote(bbox)}")
        if is_int(image_id) and image_id in sized:
            to_check.append(ann_id)
    found = segmentation_problems([(annotations[a].get("segmentation"), *sized[annotations[a]["image_id"]])
                                   for a in to_check])
    for ann_id, bad in zip(to_check, found):
        if bad:
            problems.add(f"annotation {ann_id}", *bad)
        else:
            left_out.degenerate_polygon_parts += degenerate_parts(annotations[ann_id]["segmentation"])
    problems.raise_if_any()
    return left_out


# --- refs (the model) ---------------------------------------------------------------------------------


def _sentence_problems(sent: Any, record: str, j: int, problems: Problems) -> None:
    where = f"sentences[{j}]"
    text = sent.get("sent")
    if not isinstance(text, str) or not text.strip():
        problems.add(record, f"{where}.sent", "missing" if text is None else
                     f"expected non-empty text, found {quote(text)}")
    if "raw" in sent and not isinstance(sent["raw"], str):
        problems.add(record, f"{where}.raw", f"expected text, found {quote(sent['raw'])}")
    tokens = sent.get("tokens")
    if tokens is not None and not (isinstance(tokens, list) and all(isinstance(t, str) for t in tokens)):
        problems.add(record, f"{where}.tokens", "expected a list of strings, found " +
                     (type(tokens).__name__ if not isinstance(tokens, list) else
                      "an item of type " + next(type(t).__name__ for t in tokens if not isinstance(t, str))))


def check_refs(refs: Sequence[Any], path: Any, instances: Mapping[str, Any], instances_path: Any, *,
               limit: int = LIMIT) -> None:
    """Check the model's refs (``datasets.model.Ref``, as a reader made them from records whose types it
    checked) against checked instances; raise one InputError listing every problem (the first ``limit``).

    Each ref: a unique ``ref_id``; an ``image_id`` of the instances; every target an annotation of the
    instances on the ref's own image; an integer ``category_id`` (or, gRefCOCO, a list of them) if present;
    sentences (none is allowed: such refs are skipped and counted where sentences are needed) with a
    ``sent_id`` unique in the file, non-empty ``sent`` text, ``raw`` text and ``tokens`` a list of strings
    where present, and no positive sentence on a ref without target.
    """
    problems = Problems(path, limit)
    anns = {a["id"]: a for a in instances["annotations"]}
    images = {im["id"]: im for im in instances["images"]}
    name = Path(str(instances_path)).name
    ref_ids, sent_ids = set(), set()
    for i, ref in enumerate(refs):
        rid, image_id = ref.get("ref_id"), ref.get("image_id")
        record = f"ref_id {rid}" if is_int(rid) else f"ref #{i}"
        if rid in ref_ids:
            problems.add(record, "ref_id", "duplicate")
        ref_ids.add(rid)
        image_ok = is_int(image_id) and image_id in images
        if not image_ok:
            problems.add(record, "image_id", f"image_id {quote(image_id)} is not in {name}")
        for ann_id in ref.targets:
            if ann_id not in anns:
                problems.add(record, "ann_id", f"ann_id {ann_id} is not in {name}")
            elif image_ok and anns[ann_id]["image_id"] != image_id:
                problems.add(record, "ann_id", f"ann_id {ann_id} is on image {anns[ann_id]['image_id']}, not on the "
                                               f"ref's image {image_id}")
        category = ref.get("category_id")
        if category is not None and not (is_int(category) or (isinstance(category, list) and
                                                               all(is_int(c) for c in category))):
            problems.add(record, "category_id", f"expected an integer, found {quote(category)}")
        for j, sent in enumerate(ref["sentences"]):
            _sentence_problems(sent, record, j, problems)
            sid = sent.get("sent_id")
            if sid in sent_ids:
                problems.add(record, f"sentences[{j}].sent_id", f"{quote(sid)} is a duplicate")
            sent_ids.add(sid)
            if getattr(sent, "exists", False) and not ref.targets:
                problems.add(record, f"sentences[{j}]", "a positive sentence on a ref without target")
    problems.raise_if_any()
