"""Writing the toy world: images as PNG, annotations as COCO polygons, refs in the refer format.

Each image is made from its own seeded generators (derived from the world seed and the image id), so the
whole world is a pure function of the seed and the split sizes: same seed, same bytes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import numpy as np
from PIL import Image

from ... import __version__, masks, progress
from ...errors import InputError
from ...files import PathLike, write_bytes
from ..refer import IMAGE_DIR, write_dataset
from .expressions import expressions_for, normalise
from .render import render
from .scene import Scene, sample_scene
from .world import CATEGORY_BY_NAME, DEFAULT_SPLITS, SPLITS, TEST_GROUPS, categories_json

SCENE_TRIES = 50


@dataclass
class ToyImage:
    """One generated image: its scene, pixels, PIL masks per object, and the expressions per object index."""
    image_id: int
    split: str
    scene: Scene
    pixels: np.ndarray
    object_masks: List[np.ndarray]
    expressions: Dict[int, List[str]]

    @property
    def file_name(self) -> str:
        return f"COCO_train2014_toy_{self.image_id:06d}.png"


def make_image(seed: int, image_id: int, split: str) -> ToyImage:
    """Image ``image_id`` of the world ``seed``. In testA (testB) only round (angular) objects are referred to."""
    scene_rng, text_rng, paint_rng = (np.random.default_rng(s)
                                      for s in np.random.SeedSequence([seed, image_id]).spawn(3))
    group = TEST_GROUPS.get(split)
    for _ in range(SCENE_TRIES):
        scene = sample_scene(scene_rng, group)
        if len(scene.objects) < 2:
            continue
        targets = [i for i, o in enumerate(scene.objects)
                   if group is None or CATEGORY_BY_NAME[o.category].supercategory == group]
        expressions = {i: e for i in targets if (e := expressions_for(text_rng, scene, i))}
        if expressions:
            pixels, object_masks = render(scene, paint_rng)
            return ToyImage(image_id, split, scene, pixels, object_masks, expressions)
    raise RuntimeError(f"toy world: no describable scene for image {image_id} in {SCENE_TRIES} tries")


def _check_sizes(n_images: Mapping[str, int]) -> Dict[str, int]:
    unknown = set(n_images) - set(SPLITS)
    if unknown:
        raise InputError(f"unknown split {', '.join(sorted(unknown))} (toy splits: {', '.join(SPLITS)})",
                         field="n_images")
    for split, n in n_images.items():
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise InputError(f"expected a non-negative integer, got {n!r}", record=split, field="n_images")
    return {s: n_images[s] for s in SPLITS if n_images.get(s)}


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def _annotation(ann_id: int, image: ToyImage, index: int) -> Dict[str, Any]:
    obj = image.scene.objects[index]
    polygon = [round(float(v), 2) for v in obj.points.reshape(-1)]
    xs, ys = polygon[0::2], polygon[1::2]
    rle = masks.from_segmentation([polygon], image.scene.height, image.scene.width)
    return {"id": ann_id, "image_id": image.image_id, "category_id": CATEGORY_BY_NAME[obj.category].id,
            "segmentation": [polygon], "area": float(masks.area(rle)),
            "bbox": [min(xs), min(ys), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)],
            "iscrowd": 0}


def generate(root: PathLike, *, seed: int = 0, n_images: Optional[Mapping[str, int]] = None,
             dataset: str = "toy") -> Path:
    """Write the toy world under ``root`` and return ``root``.

    ``n_images`` maps split -> number of images (default DEFAULT_SPLITS: train 300, val 40, testA 40,
    testB 40). Writes ``<root>/images/mscoco/train2014/COCO_train2014_toy_<id>.png`` and, last,
    ``<root>/<dataset>/instances.json`` and ``refs(unc).p``; load with
    ``rris_bench.datasets.load_dataset(root, dataset)``.
    """
    sizes = _check_sizes(DEFAULT_SPLITS if n_images is None else n_images)
    root = Path(root)
    images: List[Dict[str, Any]] = []
    annotations: List[Dict[str, Any]] = []
    refs: List[Dict[str, Any]] = []
    next_sent = 1
    plan = [split for split, n in sizes.items() for _ in range(n)]
    for image_id, split in enumerate(progress.bar(len(plan), "toy world", "img", iterable=plan), start=1):
        image = make_image(seed, image_id, split)
        write_bytes(root / IMAGE_DIR / image.file_name, _png(image.pixels))
        images.append({"id": image_id, "file_name": image.file_name,
                       "height": image.scene.height, "width": image.scene.width})
        stem = image.file_name.rsplit(".", 1)[0]
        for index in range(len(image.scene.objects)):
            ann = _annotation(len(annotations) + 1, image, index)
            annotations.append(ann)
            if index not in image.expressions:
                continue
            sentences = [{"sent_id": next_sent + k, "raw": raw, "sent": normalise(raw),
                          "tokens": normalise(raw).split()}
                         for k, raw in enumerate(image.expressions[index])]
            next_sent += len(sentences)
            refs.append({"ref_id": len(refs) + 1, "ann_id": ann["id"], "image_id": image_id,
                         "category_id": ann["category_id"], "split": split,
                         "file_name": f"{stem}_{ann['id']}.png",
                         "sent_ids": [s["sent_id"] for s in sentences], "sentences": sentences})
    instances = {"info": {"description": "rris-bench toy world", "version": __version__, "seed": seed,
                          "splits": sizes},
                 "images": images, "annotations": annotations, "categories": categories_json()}
    write_dataset(root, dataset, "unc", refs, instances)
    return root
