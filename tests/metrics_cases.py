"""Small refer-format datasets written into tmp_path for the metrics, predictions and evaluate tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from rris_bench import masks
from rris_bench.predictions import info_record, jsonl_line, prediction_record
from rris_bench.refer import load_dataset, write_dataset

H = W = 10


def box(r0: int, r1: int, c0: int, c1: int, h: int = H, w: int = W) -> np.ndarray:
    """Boolean mask with rows r0..r1-1 and columns c0..c1-1 on."""
    m = np.zeros((h, w), dtype=bool)
    m[r0:r1, c0:c1] = True
    return m


def sentence(sent_id: int, text: str, exist: bool = True, strategy: Optional[str] = None) -> Dict:
    s = {"sent_id": sent_id, "raw": text, "sent": text, "tokens": text.split()}
    if not exist:
        s.update(exist=False, strategy=strategy or "random_category", verified="category_absent")
    else:
        s["exist"] = True
    return s


def write_case(root: Path, name: str, images: Dict[int, Sequence[int]], refs: List[Dict],
               gts: Dict[int, np.ndarray], categories: Optional[List[Dict]] = None) -> None:
    """images: image_id -> (h, w); refs need ref_id, image_id, split, category_id, sentences; gts: ref_id ->
    mask (written as an RLE annotation with ann_id = ref_id + 1000)."""
    anns, out_refs = [], []
    for ref in refs:
        ann_id = ref["ref_id"] + 1000
        rle = masks.encode(gts[ref["ref_id"]])
        anns.append({"id": ann_id, "image_id": ref["image_id"], "category_id": ref["category_id"],
                     "segmentation": rle, "area": masks.area(rle), "bbox": [0, 0, 1, 1], "iscrowd": 0})
        out_refs.append({**ref, "ann_id": ann_id, "file_name": f"img{ref['image_id']}.jpg",
                         "sent_ids": [s["sent_id"] for s in ref["sentences"]]})
    instances = {"images": [{"id": i, "height": hw[0], "width": hw[1], "file_name": f"img{i}.jpg"}
                            for i, hw in images.items()],
                 "annotations": anns,
                 "categories": categories or [{"id": 1, "name": "person", "supercategory": "person"},
                                              {"id": 2, "name": "dog", "supercategory": "animal"}]}
    write_dataset(root, name, "unc", out_refs, instances)


def hand_case(root: Path):
    """The hand-computed case of test_metrics_hand: returns (dataset, {sent_id: (mask or None, score)})."""
    refs = [
        {"ref_id": 1, "image_id": 1, "split": "val", "category_id": 1, "sentences": [
            sentence(11, "man on the left"), sentence(12, "left man"), sentence(13, "the man in red shirt"),
            sentence(14, "bear", False, "random_category"), sentence(15, "man by the bus", False, "relation_swap")]},
        {"ref_id": 2, "image_id": 2, "split": "val", "category_id": 2, "sentences": [sentence(21, "dog")]},
        {"ref_id": 3, "image_id": 2, "split": "val", "category_id": 1, "sentences": [
            sentence(31, "woman"), sentence(32, "zebra", False, "random_category"),
            sentence(33, "cat on the right", False, "object_swap"), sentence(34, "giraffe", False)]},
    ]
    gts = {1: box(0, 4, 0, 5), 2: box(0, 10, 0, 2), 3: box(5, 10, 5, 10)}
    write_case(root, "rtoy", {1: (H, W), 2: (H, W)}, refs, gts)
    preds = {11: (box(0, 4, 0, 5), 0.9), 12: (box(0, 4, 0, 10), 0.8), 13: (None, 0.3),
             14: (None, 0.1), 15: (box(9, 10, 5, 10), 0.6),
             21: (box(0, 10, 0, 3), 0.7),
             31: (box(5, 10, 5, 9), 0.6), 32: (None, 0.2), 33: (box(0, 2, 5, 10), 0.5), 34: (None, 0.05)}
    return load_dataset(root, "rtoy"), preds


def write_predictions(path: Path, dataset, preds: Dict[int, tuple], fmt: str = "jsonl", scores: bool = True,
                      info: bool = True) -> Path:
    """Write predictions {sent_id: (mask or RLE or None, score)} for ``dataset`` in one of the 3 layouts."""
    records = []
    for sid, (mask, score) in preds.items():
        ref = dataset.refs[dataset.sent_to_ref[sid]]
        rle = None if mask is None else (mask if isinstance(mask, dict) else masks.encode(mask))
        records.append(prediction_record(sid, ref["image_id"], rle, score if scores else None))
    head = info_record(dataset.name, dataset.split_by, "val", "hand", dataset.sha256)
    if fmt == "jsonl":
        text = (jsonl_line({"info": head}) if info else "") + "".join(jsonl_line(r) for r in records)
    elif fmt == "wrapped":
        text = json.dumps({"info": head, "predictions": records})
    else:
        text = json.dumps(records)
    path.write_text(text)
    return path
