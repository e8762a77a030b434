"""A refer-format dataset made from the RefCOCO fixture expressions (../shared/fixtures/refcoco_expressions).

    python tests/refcoco_fixture.py OUT_ROOT      # writes OUT_ROOT/refcoco/refs(unc).p and instances.json

The fixture has, per ref, the ann_id, image_id, box and sentences of the full RefCOCO (unc) val / testA /
testB, but no category, no image size and no other annotation. So:

* a ref's category is the one its sentences' targets name most often (lexicon parser); refs whose sentences
  name none (about 10%) are left out;
* "every annotation of the image" is every *referred* object of the image: RefCOCO splits by image, so all
  refs of an image are in one file, but COCO's other objects on it are not in the fixture. A category
  "absent" here is only absent from the referred objects (it may be in the photo), which makes
  ``category_absent`` weaker on this data than on a full COCO ``instances.json``; instance checks (counts,
  relations) compare against the referred objects of the image, which in RefCOCO are the same-category
  objects that matter most;
* images carry no width/height, so position and size claims (which need the image) are never made.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from rris_bench.generators.coverage import coco_categories
from rris_bench.generators.lexicon import Lexicon, coco_lexicon
from rris_bench.generators.parse import LexiconParser
from rris_bench.datasets.refer import write_dataset

SPLITS = ("val", "testA", "testB")


def build(fixtures: Path, root: Path, name: str = "refcoco") -> Path:
    categories = [{**c, "supercategory": coco_lexicon()["categories"][c["name"]]["supercategory"]}
                  for c in coco_categories()]
    parser = LexiconParser(Lexicon(categories))
    images, annotations, refs, sent_id = {}, [], [], 1
    for split in SPLITS:
        data = json.loads((fixtures / "refcoco_expressions" / f"refcoco_unc_{split}.json").read_text())
        for r in data["refs"]:
            found = Counter(c for p in parser.parse_many([s.split() for s in r["sentences"]])
                            for c in sorted(p.target_categories))
            if not found:
                continue
            category = min(found, key=lambda c: (-found[c], c))
            x, y, w, h = r["bbox"]
            images.setdefault(r["image_id"], {"id": r["image_id"], "file_name": r["file_name"]})
            annotations.append({"id": r["ann_id"], "image_id": r["image_id"], "category_id": category,
                                "bbox": r["bbox"], "area": w * h, "iscrowd": 0,
                                "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]})
            sentences = [{"sent_id": sent_id + k, "sent": s, "raw": s, "tokens": s.split()}
                         for k, s in enumerate(r["sentences"])]
            sent_id += len(sentences)
            refs.append({"ref_id": len(refs) + 1, "ann_id": r["ann_id"], "image_id": r["image_id"], "split": split,
                         "category_id": category, "file_name": r["file_name"], "sentences": sentences,
                         "sent_ids": [s["sent_id"] for s in sentences]})
    write_dataset(root, name, "unc", refs, {"images": sorted(images.values(), key=lambda i: i["id"]),
                                            "annotations": annotations, "categories": categories})
    return root / name


if __name__ == "__main__":
    out = build(Path(__file__).resolve().parents[2] / "shared" / "fixtures", Path(sys.argv[1]))
    print(f"wrote {out}")
