"""Ground-truth masks of refs as RLEs, built once per instances file and cached on disk.

Rasterising every referred annotation's polygons takes time on a full dataset, so the RLEs and their areas
are kept in ``<cache>/gt/<instances sha256>.json`` (JSON, not pickle; ``rris_bench.cache`` says where).
A cache file that cannot be read is rebuilt.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterable, Tuple

from .. import masks
from ..cache import cache_dir
from ..files import write_text
from ..refer import ReferDataset

def _cache_file(dataset: ReferDataset) -> Path:
    return cache_dir() / "gt" / f"{dataset.instances_sha256}.json"


def _load(path: Path) -> Dict[int, Tuple[masks.RLE, int]]:
    try:
        data = json.loads(path.read_text())
        return {int(k): ({"size": v["size"], "counts": v["counts"]}, int(v["area"])) for k, v in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def ground_truth(dataset: ReferDataset, ann_ids: Iterable[int], use_cache: bool = True
                 ) -> Dict[int, Tuple[masks.RLE, int]]:
    """ann_id -> (RLE at original size, area) for the given annotations, from the cache when possible."""
    wanted = sorted(set(ann_ids))
    path = _cache_file(dataset)
    known = _load(path) if use_cache else {}
    todo = [a for a in wanted if a not in known]
    if todo:
        rles = [dataset.ann_rle(a) for a in todo]
        for a, rle, area in zip(todo, rles, masks.areas(rles)):
            known[a] = (rle, int(area))
        if use_cache:
            payload = {str(a): {"size": r["size"], "counts": r["counts"], "area": n}
                       for a, (r, n) in sorted(known.items())}
            try:
                write_text(path, json.dumps(payload, separators=(",", ":")))
            except OSError:
                pass  # an unwritable cache only costs time
    return {a: known[a] for a in wanted}
