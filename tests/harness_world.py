"""Small worlds for the harness, adapter and visualize tests.

``hand_world``: two 10x10 images whose masks are unions of pixel-aligned rectangles, so every metric of the
trivial baselines can be worked out by hand (see test_harness.py). ``toy_world``: a small toy world with
its negatives (rtoy), the data the example adapter is made for.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import numpy as np
from PIL import Image

from rris_bench.datasets import toy
from rris_bench.build import build_robust_dataset
from rris_bench.datasets.refer import IMAGE_DIR, write_dataset
from rris_bench.datasets.model import Dataset
from rris_bench.datasets import load_dataset

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "colour_adapter.py"

# ref 1 on image 1: an L of 16 pixels (4x2 on top of 2x4) in the box [2, 2, 4, 6] of 24 pixels.
L_SHAPE = [[2, 2, 6, 2, 6, 4, 2, 4], [2, 4, 4, 4, 4, 8, 2, 8]]
# ref 2 on image 2: a 3x3 square, its own box.
SQUARE = [[5, 1, 8, 1, 8, 4, 5, 4]]


def _sentence(sent_id: int, text: str, exist: bool) -> Dict[str, Any]:
    sent: Dict[str, Any] = {"sent_id": sent_id, "raw": text, "sent": text, "tokens": text.split(), "exist": exist}
    if not exist:
        sent.update(strategy="random_category", verified="category_absent")
    return sent


def hand_world(root: Path) -> Dataset:
    """rhand: ref 1 (L shape) with positives 1, 2 and negatives 3, 4; ref 2 (square) with positive 5 and
    negative 6; both in split val."""
    images = [{"id": i, "file_name": f"COCO_train2014_hand_{i}.png", "height": 10, "width": 10} for i in (1, 2)]
    anns = [{"id": 11, "image_id": 1, "category_id": 1, "segmentation": L_SHAPE, "bbox": [2, 2, 4, 6],
             "area": 16, "iscrowd": 0},
            {"id": 12, "image_id": 2, "category_id": 2, "segmentation": SQUARE, "bbox": [5, 1, 3, 3],
             "area": 9, "iscrowd": 0}]
    sentences: List[List[Dict[str, Any]]] = [
        [_sentence(1, "the red block", True), _sentence(2, "left thing", True),
         _sentence(3, "bear", False), _sentence(4, "the dog", False)],
        [_sentence(5, "green square", True), _sentence(6, "zebra", False)]]
    refs = [{"ref_id": r, "ann_id": 10 + r, "image_id": r, "category_id": r, "split": "val",
             "file_name": images[r - 1]["file_name"], "sent_ids": [s["sent_id"] for s in sents],
             "sentences": sents} for r, sents in ((1, sentences[0]), (2, sentences[1]))]
    instances = {"images": images, "annotations": anns,
                 "categories": [{"id": 1, "name": "block", "supercategory": "thing"},
                                {"id": 2, "name": "square", "supercategory": "thing"}]}
    write_dataset(root, "rhand", "unc", refs, instances)
    rng = np.random.default_rng(0)
    for image in images:
        path = root / IMAGE_DIR / image["file_name"]
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)).save(path)
    return load_dataset(root, "rhand")


def toy_world(root: Path, val_images: int = 6) -> Dataset:
    """A toy world with ``val_images`` val images and its negatives, loaded as rtoy."""
    toy.generate(root, seed=0, n_images={"val": val_images})
    build_robust_dataset(root, "toy", seed=0, parser="lexicon", progress=False)
    return load_dataset(root, "rtoy")
