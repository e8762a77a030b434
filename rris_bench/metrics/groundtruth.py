"""Ground-truth masks of refs as RLEs, built once per instances file and cached on disk.

A ref's ground truth is the union of its targets' masks, crowd annotations left out where the format's loader
leaves them out (the model's rule, ``rris_bench.datasets.model.Dataset.mask_anns``): per-annotation RLEs are cached, unions are merged run by run from them
(pycocotools ``merge``, no dense decoding), and a ref without target gets an empty mask.

Rasterising every referred annotation's polygons takes time on a full dataset, so the RLEs and their areas
are kept in ``<cache>/gt/<instances sha256>.json`` (a line with the format and the sha256 of the rest, then
JSON, not pickle; ``rris_bench.cache`` says where). A cache file that cannot be read or does not match its
checksum is rebuilt.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .. import masks
from ..cache import cache_dir
from ..datasets.model import Dataset, Ref
from ..errors import InputError
from ..files import sha256_bytes, write_text


def _cache_file(dataset: Dataset, variant: str = "") -> Path:
    return cache_dir() / "gt" / f"{dataset.instances_sha256}{'-' + variant if variant else ''}.json"


_FORMAT = "rris-gt-cache/2"


def _load(path: Path) -> Dict[int, Tuple[masks.RLE, int]]:
    """The entries of a cache file, or {} when it is absent, unreadable, or its content does not match the
    sha256 on its first line (a flipped bit or an edited entry means "rebuild", never "trust")."""
    try:
        head, _, body = path.read_bytes().partition(b"\n")
        if head.decode("ascii") != f"{_FORMAT} {sha256_bytes(body)}":
            return {}
        data = json.loads(body)
        return {int(k): ({"size": v["size"], "counts": v["counts"]}, int(v["area"])) for k, v in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _dump(known: Dict[int, Tuple[masks.RLE, int]]) -> str:
    body = json.dumps({str(a): {"size": r["size"], "counts": r["counts"], "area": n}
                       for a, (r, n) in sorted(known.items())}, separators=(",", ":"))
    return f"{_FORMAT} {sha256_bytes(body.encode())}\n{body}"


def ground_truth(dataset: Dataset, ann_ids: Iterable[int], use_cache: bool = True,
                 rasterise: Optional[Callable[[int], masks.RLE]] = None, variant: str = ""
                 ) -> Dict[int, Tuple[masks.RLE, int]]:
    """ann_id -> (RLE at original size, area) for the given annotations, from the cache when possible.

    ``rasterise``/``variant``: another way to make an annotation's mask (a protocol's parts or resolution
    rule, ``metrics.references``) and the name its cache file is kept under."""
    wanted = sorted(set(ann_ids))
    rasterise = rasterise or dataset.ann_rle
    path = _cache_file(dataset, variant)
    known = _load(path) if use_cache else {}
    todo = [a for a in wanted if a not in known]
    if todo:
        rles = [rasterise(a) for a in todo]
        for a, rle, area in zip(todo, rles, masks.areas(rles)):
            known[a] = (rle, int(area))
        if use_cache:
            try:
                write_text(path, _dump(known))
            except (OSError, InputError):
                pass  # an unwritable cache only costs time
    return {a: known[a] for a in wanted}


def ref_ground_truth(dataset: Dataset, refs: Sequence[Ref], use_cache: bool = True
                     ) -> Tuple[List[masks.RLE], np.ndarray]:
    """Per ref: (RLE at original size, area) of the union of its ``Dataset.mask_anns``; empty without one.

    Areas of unions of several annotations are measured on the merged RLE (overlapping parts count once)."""
    per_ref = [dataset.mask_anns(ref) for ref in refs]
    gt = ground_truth(dataset, [a for anns in per_ref for a in anns], use_cache=use_cache)
    rles: List[masks.RLE] = []
    areas = np.zeros(len(refs), dtype=np.int64)
    merged: List[int] = []
    for k, (ref, anns) in enumerate(zip(refs, per_ref)):
        if len(anns) == 1:
            rles.append(gt[anns[0]][0])
            areas[k] = gt[anns[0]][1]
            continue
        image = dataset.images[ref["image_id"]]
        rles.append(masks.union([gt[a][0] for a in anns], image["height"], image["width"]))
        merged.append(k)
    if merged:
        areas[merged] = masks.areas([rles[k] for k in merged])
    return rles, areas
