"""COCO RLE helpers: the one place that talks to pycocotools.

Every mask in rris-bench is a COCO compressed RLE ``{"size": [h, w], "counts": str}`` at the image's
original resolution; dense arrays are made only at the edges (rendering, model input and output).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from pycocotools import mask as mask_utils

from . import checks
from .errors import InputError

RLE = Dict[str, Any]


def _as_str(rle: RLE) -> RLE:
    counts = rle["counts"]
    return {"size": [int(rle["size"][0]), int(rle["size"][1])],
            "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}


def _as_bytes(rle: RLE) -> RLE:
    counts = rle["counts"]
    return {"size": rle["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def encode(mask: np.ndarray) -> RLE:
    """Boolean or 0/1 array (H, W) -> compressed RLE with str counts."""
    return _as_str(mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8)))


def decode(rle: RLE) -> np.ndarray:
    """Compressed RLE -> boolean array (H, W)."""
    return mask_utils.decode(_as_bytes(rle)).astype(bool)


def empty(height: int, width: int) -> RLE:
    return encode(np.zeros((height, width), dtype=np.uint8))


def from_segmentation(segmentation: Any, height: int, width: int) -> RLE:
    """A COCO annotation's segmentation (polygons, uncompressed or compressed RLE) -> one merged RLE.

    Checked first (``rris_bench.checks.segmentation_problem``: finite polygon coordinates near the image and a
    bounded rasterisation cost, RLEs of this size whose runs add up, canonical counts), so pycocotools never
    sees what it would crash, loop or read differently on; a problem raises InputError. Polygon parts of
    fewer than 3 points enclose nothing and are skipped.
    """
    problem = checks.segmentation_problem(segmentation, height, width)
    if problem:
        raise InputError(problem[1], field=problem[0])
    if isinstance(segmentation, list):
        polygons = [p for p in segmentation if len(p) >= 6]
        if not polygons:
            return empty(height, width)
        return _as_str(mask_utils.merge(mask_utils.frPyObjects(polygons, height, width)))
    if isinstance(segmentation["counts"], list):
        return _as_str(mask_utils.frPyObjects(segmentation, height, width))
    return _as_str(segmentation)


def union(rles: Sequence[RLE], height: int, width: int) -> RLE:
    """The union of same-size RLEs, merged run by run by pycocotools (never decoded to dense); an empty mask
    of height x width when there are none."""
    if not rles:
        return empty(height, width)
    if len(rles) == 1:
        return _as_str(rles[0])
    return _as_str(mask_utils.merge([_as_bytes(r) for r in rles], intersect=0))


def intersection(a: RLE, b: RLE) -> RLE:
    """The pixels two same-size RLEs share, merged run by run by pycocotools (never decoded to dense)."""
    return _as_str(mask_utils.merge([_as_bytes(a), _as_bytes(b)], intersect=1))


def from_runs(runs: Sequence[int], height: int, width: int) -> RLE:
    """Run lengths (background first, adding up to height * width, column-major) -> compressed RLE."""
    return _as_str(mask_utils.frPyObjects({"size": [height, width], "counts": [int(r) for r in runs]},
                                          height, width))


def from_box(box: Sequence[float], height: int, width: int) -> RLE:
    """A filled [x, y, w, h] box -> RLE, with the pixel coverage pycocotools gives boxes."""
    return _as_str(mask_utils.frPyObjects(np.array([box], dtype=np.float64), height, width)[0])


def area(rle: RLE) -> int:
    return int(mask_utils.area(_as_bytes(rle)))


def areas(rles: List[RLE], chunk: int = 200) -> np.ndarray:
    """Areas of many RLEs; chunked because pycocotools overflows on lists of more than 255 under NumPy 2."""
    out = np.zeros(len(rles), dtype=np.int64)
    for start in range(0, len(rles), chunk):
        part = [_as_bytes(r) for r in rles[start:start + chunk]]
        if part:
            out[start:start + len(part)] = mask_utils.area(part)
    return out



def intersections(rles: List[RLE], gt: RLE, rle_areas: Optional[np.ndarray] = None) -> np.ndarray:
    """Pixels each of ``rles`` shares with ``gt`` (all of gt's size), exact, without decoding to dense.

    pycocotools' crowd IoU is I / area(rle); times the area (``rle_areas`` when known) it gives back the
    integer I exactly. Only for well-formed RLEs: malformed counts make pycocotools loop forever.
    """
    if not rles:
        return np.zeros(0, dtype=np.int64)
    ratio = mask_utils.iou(rles, [gt], [1])[:, 0]  # pycocotools takes str counts as they are
    return np.rint(ratio * (areas(rles) if rle_areas is None else rle_areas)).astype(np.int64)
