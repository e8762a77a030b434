"""Small refer-format datasets written into tmp_path for the metrics, predictions and evaluate tests."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from rris_bench import masks
from rris_bench.metrics.predictions import info_record, jsonl_line, prediction_record
from rris_bench.datasets import load_dataset
from rris_bench.datasets.refer import write_dataset

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


# --- an independent dense evaluator (decode everything, numpy, loops written from the definitions) ----------


def dense_gt(dataset, ref) -> np.ndarray:
    """The ref's mask straight from pycocotools (polygons merged, or RLE), decoded."""
    from pycocotools import mask as mu
    ann = dataset.anns[ref["ann_id"]]
    image = dataset.images[ref["image_id"]]
    seg = ann["segmentation"]
    if isinstance(seg, list):
        rle = mu.merge(mu.frPyObjects(seg, image["height"], image["width"]))
    else:
        counts = seg["counts"]
        rle = {"size": seg["size"], "counts": counts.encode() if isinstance(counts, str) else counts}
    return mu.decode(rle).astype(bool)


def pil_resize(mask: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image
    return np.array(Image.fromarray(mask.astype(np.uint8) * 255).resize((side, side), Image.NEAREST)) > 0


def dense_metrics(dataset, preds: Dict[int, tuple], splits=None, resolution: Optional[int] = None) -> Dict:
    """Every ratio metric id from dense masks; preds: sent_id -> (bool mask or None, score)."""
    pos_iou, pos_I, pos_U, giou, all_I, all_U = [], 0, 0, [], 0, 0
    ref_miou, ref_rr, ref_riou, neg_empty, pos_nonempty, n_neg = [], [], [], 0, 0, 0
    for ref in dataset.refs_in(splits):
        gt = dense_gt(dataset, ref)
        if resolution:
            gt = pil_resize(gt, resolution)
        ious, rI, rU, rneg, rneg_empty = [], 0, 0, 0, 0
        for s in ref["sentences"]:
            mask = preds[s["sent_id"]][0]
            if mask is None:
                image = dataset.images[ref["image_id"]]
                mask = np.zeros((image["height"], image["width"]), dtype=bool)
            if resolution:
                mask = pil_resize(mask, resolution)
            area = int(mask.sum())
            if s.get("exist", True):
                inter, union = int((mask & gt).sum()), int((mask | gt).sum())
                iou = inter / union if union else 0.0
                ious.append(iou); giou.append(iou)
                pos_I += inter; pos_U += union; all_I += inter; all_U += union; rI += inter; rU += union
                pos_nonempty += area > 0
            else:
                n_neg += 1; rneg += 1
                giou.append(1.0 if area == 0 else 0.0)
                all_U += area; rU += area
                neg_empty += area == 0; rneg_empty += area == 0
        pos_iou += ious
        if ious:
            ref_miou.append(sum(ious) / len(ious))
            ref_riou.append(rI / rU if rU else 0.0)
        if rneg:
            ref_rr.append(rneg_empty / rneg)
    mean = lambda v: 100.0 * sum(v) / len(v) if v else None  # noqa: E731
    out = {"mIoU": mean(pos_iou), "mIoU_ref": mean(ref_miou), "oIoU": 100.0 * pos_I / pos_U if pos_U else None}
    for t in (0.5, 0.6, 0.7, 0.8, 0.9):
        out[f"P@{t:.1f}"] = mean([float(v >= t) for v in pos_iou])
    out.update({"mRR": mean(ref_rr), "rIoU": mean(ref_riou), "gIoU": mean(giou),
                "cIoU_all": 100.0 * all_I / all_U if all_U else None,
                "N-acc": 100.0 * neg_empty / n_neg if n_neg else None,
                "T-acc": 100.0 * pos_nonempty / len(pos_iou) if pos_iou else None})
    return out


def random_predictions(dataset, rng: np.random.Generator, splits=None, scores: bool = True) -> Dict[int, tuple]:
    """Predictions of every kind: exact, shifted and grown ground truth, random boxes and blobs, empty."""
    preds = {}
    for ref in dataset.refs_in(splits):
        gt = dense_gt(dataset, ref)
        h, w = gt.shape
        for s in ref["sentences"]:
            kind = rng.integers(0, 6)
            if kind == 0:
                mask = None
            elif kind == 1:
                mask = gt.copy()
            elif kind == 2:
                mask = np.roll(gt, (int(rng.integers(-20, 21)), int(rng.integers(-20, 21))), axis=(0, 1))
            elif kind == 3:
                r0, c0 = int(rng.integers(0, h)), int(rng.integers(0, w))
                mask = box(r0, r0 + int(rng.integers(1, h)), c0, c0 + int(rng.integers(1, w)), h, w)
            elif kind == 4:
                mask = rng.random((h, w)) < rng.random() * 0.3
            else:
                mask = gt | np.roll(gt, 3, axis=1)
            if mask is not None and not mask.any():
                mask = None
            preds[s["sent_id"]] = (mask, float(rng.random()) if scores else None)
    return preds


def with_negatives(dataset, root: Path, name: str, per_ref: int = 2) -> None:
    """Write ``dataset`` again as ``name`` with ``per_ref`` synthetic negatives appended to every ref."""
    refs, next_id = [], max(dataset.sentences) + 1
    strategies = ("random_category", "object_swap", "attribute_swap")
    for ref in dataset.refs_list:
        ref = dict(ref, sentences=list(ref["sentences"]), sent_ids=list(ref["sent_ids"]))
        for k in range(per_ref):
            strategy = strategies[(ref["ref_id"] + k) % len(strategies)]
            neg = sentence(next_id, f"negative {k}", False, strategy)
            if strategy == "attribute_swap":
                neg["verified"] = "unverified"
            ref["sentences"].append(neg)
            ref["sent_ids"].append(next_id)
            next_id += 1
        refs.append(ref)
    write_dataset(root, name, dataset.split_by, refs, dataset.instances)
