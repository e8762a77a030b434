"""Reader and writer of OmniRef's text refs (As-Time-Goes-By/OmniSegNet, ``datasets/omniref_refer.py``).

Files: ``<root>/<dataset>/OmniRef.json``, a dict split -> list of refs, and ``instances.json``, a dict
split -> COCO dict (images, annotations, categories); the official ``G_REFER`` loads one split of each.
Images from COCO ``train2014`` (searched under ``<root>/images/mscoco/train2014/`` and
``<root>/images/train2014/``). Refs are gRefCOCO refs (``ann_id`` a list, ``[-1]`` for no target) whose
``split`` must be the key they are filed under. The splits' COCO dicts are merged into one: an id that two
splits share must name the same record. Model: as gRefCOCO.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..errors import InputError
from ..files import PathLike, sha256_bytes, write_bytes
from . import grefcoco, records
from .model import Ref

NAME = "omniref"
REFS_FILE = "OmniRef.json"
COCO_KEYS = ("images", "annotations", "categories")

image_dirs = grefcoco.image_dirs


def refs_file(root: Path, dataset: str, split_by: Optional[str]) -> Tuple[Path, str]:
    """OmniRef has no split_by: its one refs file holds every split."""
    return root / dataset / REFS_FILE, ""


def parse_refs(path: Path, data: bytes) -> Any:
    return grefcoco.parse_refs(path, data)


def _split_keyed(obj: Any, path: Path, what: str) -> Dict[str, Any]:
    if not isinstance(obj, dict) or not obj:
        raise InputError(f"expected a non-empty dict split -> {what}, found {type(obj).__name__}", path)
    return obj


def to_model(raw: Any, path: Path) -> List[Ref]:
    out: List[Ref] = []
    for split, refs in _split_keyed(raw, path, "list of refs").items():
        if not isinstance(refs, list):
            raise InputError(f"expected a list of refs, found {type(refs).__name__}", path, f"split {split!r}")
        model = grefcoco.to_model(refs, path)
        for i, ref in enumerate(model):
            if ref["split"] != split:
                raise InputError(f"filed under split {split!r}", path, records.ref_where(ref, i), "split")
        out.extend(model)
    return out


def instances_of(raw: Any, path: Path) -> Dict[str, Any]:
    """The splits' COCO dicts merged into one (an id shared by two splits must name the same record)."""
    merged: Dict[str, Dict[Any, Any]] = {key: {} for key in COCO_KEYS}
    for split, coco in _split_keyed(raw, path, "COCO dict").items():
        records.coco_instances(coco, path, f"split {split!r}")
        for key in COCO_KEYS:
            for k, item in enumerate(coco[key]):
                if not isinstance(item, dict) or "id" not in item:
                    raise InputError("expected a dict with an id", path, f"split {split!r}", f"{key}[{k}]")
                seen = merged[key].setdefault(item["id"], item)
                if seen != item:
                    raise InputError(f"id {item['id']} names another record in an earlier split", path,
                                     f"split {split!r}", f"{key}[{k}]")
    return {key: list(merged[key].values()) for key in COCO_KEYS}


def write(root: PathLike, dataset: str, split_by: str, refs: Sequence[Ref], instances: Dict[str, Any]
          ) -> Dict[str, str]:
    """Write ``OmniRef.json`` and ``instances.json`` keyed by split (gRefCOCO records; each split's COCO dict
    holds the images of its refs, their annotations and every category). ``split_by`` is not used."""
    out = Path(root) / dataset
    by_split: Dict[str, List[Dict[str, Any]]] = {}
    for record in grefcoco.records_of(refs, instances, out / REFS_FILE):
        by_split.setdefault(record["split"], []).append(record)
    coco: Dict[str, Dict[str, Any]] = {}
    for split, recs in by_split.items():
        image_ids = {r["image_id"] for r in recs}
        coco[split] = {"images": [im for im in instances["images"] if im["id"] in image_ids],
                       "annotations": [a for a in instances["annotations"] if a["image_id"] in image_ids],
                       "categories": instances["categories"]}
    refs_bytes = json.dumps(by_split, ensure_ascii=False).encode("utf-8")
    inst_bytes = json.dumps(coco, separators=(",", ":")).encode("utf-8")
    write_bytes(out / "instances.json", inst_bytes)
    write_bytes(out / REFS_FILE, refs_bytes)
    return {"instances.json": sha256_bytes(inst_bytes), REFS_FILE: sha256_bytes(refs_bytes)}
