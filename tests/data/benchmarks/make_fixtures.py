"""Writes the benchmark fixtures beside this file, each in its format's exact on-disk layout.

One small COCO world (3 images, 6 annotations: a two-part polygon whose parts overlap, a crowd RLE, an image
from val2014) is shared by five benchmarks; the refs are written by hand below, and the tests count them by
hand. Run it again only to change the fixtures: ``python tests/data/benchmarks/make_fixtures.py``.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

HERE = Path(__file__).resolve().parent

IMAGES = [
    {"id": 1, "file_name": "COCO_train2014_000000000001.jpg", "height": 48, "width": 64,
     "coco_url": "", "date_captured": "2013-11-14 16:28:13", "flickr_url": "", "license": 1},
    {"id": 2, "file_name": "COCO_val2014_000000000002.jpg", "height": 30, "width": 40,
     "coco_url": "", "date_captured": "2013-11-14 16:28:13", "flickr_url": "", "license": 1},
    {"id": 3, "file_name": "COCO_train2014_000000000003.jpg", "height": 50, "width": 50,
     "coco_url": "", "date_captured": "2013-11-14 16:28:13", "flickr_url": "", "license": 1},
]
CATEGORIES = [{"id": 1, "name": "person", "supercategory": "person"},
              {"id": 3, "name": "car", "supercategory": "vehicle"},
              {"id": 18, "name": "dog", "supercategory": "animal"}]


def polygon_ann(ann_id, image_id, category_id, polygons, bbox, area):
    return {"id": ann_id, "image_id": image_id, "category_id": category_id, "segmentation": polygons,
            "area": area, "bbox": bbox, "iscrowd": 0}


ANNOTATIONS = [
    polygon_ann(101, 1, 1, [[4.0, 4.0, 20.5, 4.0, 20.5, 30.0, 4.0, 30.0]], [4.0, 4.0, 16.5, 26.0], 429.0),
    # two parts that overlap on [30, 40] x [10, 20]: the union counts those pixels once
    polygon_ann(102, 1, 1, [[24.0, 6.0, 40.0, 6.0, 40.0, 20.0, 24.0, 20.0],
                            [30.0, 10.0, 44.0, 10.0, 44.0, 26.0, 30.0, 26.0]], [24.0, 6.0, 20.0, 20.0], 364.0),
    # a crowd: uncompressed RLE, column-major runs over 48 x 64 (rows 40-47 of columns 50-57)
    {"id": 103, "image_id": 1, "category_id": 3, "iscrowd": 1, "area": 64.0, "bbox": [50.0, 40.0, 8.0, 8.0],
     "segmentation": {"size": [48, 64], "counts": [50 * 48 + 40] + [8, 40] * 7 + [8, 48 * 64 - 58 * 48]}},
    polygon_ann(201, 2, 18, [[2.0, 2.0, 15.0, 2.0, 15.0, 20.0, 2.0, 20.0]], [2.0, 2.0, 13.0, 18.0], 234.0),
    polygon_ann(202, 2, 18, [[20.0, 5.0, 36.0, 5.0, 28.0, 25.0]], [20.0, 5.0, 16.0, 20.0], 160.0),
    polygon_ann(301, 3, 3, [[10.0, 10.0, 40.0, 10.0, 40.0, 35.0, 10.0, 35.0]], [10.0, 10.0, 30.0, 25.0], 750.0),
]
INSTANCES = {"info": {"description": "rris-bench benchmark fixture"}, "licenses": [],
             "images": IMAGES, "annotations": ANNOTATIONS, "categories": CATEGORIES}


def sent(sent_id, text, **extra):
    return {"tokens": text.split(), "raw": text, "sent_id": sent_id, "sent": text, **extra}


def ref(ref_id, image_id, ann_id, category_id, split, sentences, **extra):
    image = next(im for im in IMAGES if im["id"] == image_id)
    return {"sent_ids": [s["sent_id"] for s in sentences], "file_name": image["file_name"][:-4] + f"_{ref_id}.jpg",
            "ann_id": ann_id, "ref_id": ref_id, "image_id": image_id, "split": split, "sentences": sentences,
            "category_id": category_id, **extra}


# R-RefCOCO (jianzongwu/robust-ref-seg): exist on every sentence, False or 0 for a negative
RREFCOCO = [
    ref(1, 1, 101, 1, "val", [sent(11, "man on the left", exist=True), sent(12, "left person", exist=True),
                              sent(13, "horse on the left", exist=False), sent(14, "the red bus", exist=0)]),
    ref(2, 1, 102, 1, "val", [sent(21, "person on the right", exist=1)]),
    ref(3, 3, 301, 3, "testA", [sent(31, "the car", exist=True), sent(32, "the blue boat", exist=False)]),
]

# gRefCOCO (henghuiding/ReLA grefer.py): ann_id a list, [-1] and no_target true without target; train2014 only
GREFCOCO = [
    ref(10, 1, [101, 102, 103], [1, 1, 3], "val", [sent(100, "everyone"), sent(101, "the two people")],
        no_target=False),
    ref(11, 1, [-1], [-1], "val", [sent(110, "the cat on the sofa"), sent(111, "a kite")], no_target=True),
    ref(12, 3, [301], [3], "testA", [sent(120, "car in the middle")], no_target=False),
    ref(13, 1, [101, 102], [1, 1], "testB", [sent(130, "both people")], no_target=False),
]

# Ref-ZOM (toggle1995/RIS-DMMI): source zero / one / many; images from train2014 and val2014
REFZOM = [
    ref(20, 1, 101, 1, "test", [sent(200, "the man"), sent(201, "person left")], source="one"),
    ref(21, 2, [201, 202], 18, "test", [sent(210, "two dogs")], source="many"),
    ref(22, 2, [], 18, "test", [sent(220, "a cat"), sent(221, "the zebra")], source="zero"),
    ref(23, 3, 301, 3, "train", [sent(230, "a bicycle on the road")], source="zero"),
    ref(24, 3, 301, 3, "train", [sent(240, "the car")], source="one"),
]

# FP-RefCOCO (see-say-segment/sesame): is_false_premise per sentence, gt_sent the corrected expression
FPREFCOCO = [
    ref(30, 1, 101, 1, "val", [sent(300, "man in a white shirt", is_false_premise=False),
                               sent(301, "woman in a white shirt", is_false_premise=True,
                                    gt_sent="man in a white shirt"),
                               sent(302, "left person", is_false_premise=False)]),
    ref(31, 3, 301, 3, "train", [sent(310, "red car", is_false_premise=False),
                                 sent(311, "red truck", is_false_premise=True, gt_sent="red car")]),
]

# OmniRef text refs (As-Time-Goes-By/OmniSegNet): refs and instances keyed by split, ann_id [-1] without target
OMNIREF = {
    "val": [ref(40, 1, [101, 102], [1], "val", [sent(400, "the people")]),
            ref(41, 1, [-1], [-1], "val", [sent(410, "the giraffe"), sent(411, "a boat")])],
    "test": [ref(42, 3, [301], [3], "test", [sent(420, "the car")]),
             ref(43, 3, [-1], [-1], "test", [sent(430, "a dog")])],
}


def coco_of(image_ids):
    return {"images": [im for im in IMAGES if im["id"] in image_ids],
            "annotations": [a for a in ANNOTATIONS if a["image_id"] in image_ids], "categories": CATEGORIES}


def main() -> None:
    files = {
        "rrefcoco/refs(unc).p": pickle.dumps(RREFCOCO, protocol=2),
        "grefcoco/grefs(unc).json": json.dumps(GREFCOCO).encode(),
        "ref-zom/refs(final).p": pickle.dumps(REFZOM, protocol=2),
        "fprefcoco/refs(berkeley_exclude_unified).p": pickle.dumps(FPREFCOCO, protocol=2),
        "omniref/OmniRef.json": json.dumps(OMNIREF).encode(),
        "omniref/instances.json": json.dumps({"val": coco_of({1}), "test": coco_of({3})}).encode(),
    }
    for name in ("rrefcoco", "grefcoco", "ref-zom", "fprefcoco"):
        files[f"{name}/instances.json"] = json.dumps(INSTANCES).encode()
    for rel, data in files.items():
        (HERE / rel).parent.mkdir(exist_ok=True)
        (HERE / rel).write_bytes(data)


if __name__ == "__main__":
    main()
