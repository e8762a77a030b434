"""The toy world: loads as a refer dataset, masks match the pixels, expressions are unique, same seed same bytes."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from rris_bench import masks
from rris_bench.errors import InputError
from rris_bench.datasets.refer import IMAGE_DIR
from rris_bench.datasets import load_dataset
from rris_bench.datasets.toy import generate, make_image
from rris_bench.datasets.toy.expressions import normalise
from rris_bench.datasets.toy.world import CATEGORIES, COLOURS, TEST_GROUPS

SIZES = {"train": 14, "val": 4, "testA": 5, "testB": 5}
SEED = 7


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    assert generate(root, seed=SEED, n_images=SIZES) == root
    return load_dataset(root, "toy")


def _files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_splits_have_the_configured_image_counts(world):
    split_of_image = {}
    for ref in world.refs_list:
        assert split_of_image.setdefault(ref["image_id"], ref["split"]) == ref["split"]
    assert set(split_of_image) == set(world.images), "every image has at least one ref"
    counts = {s: sum(1 for v in split_of_image.values() if v == s) for s in SIZES}
    assert counts == SIZES
    assert len({(im["width"], im["height"]) for im in world.images.values()}) == 2


def test_images_and_refs_follow_refcoco_naming(world):
    for image in world.images.values():
        assert re.fullmatch(r"COCO_train2014_toy_\d{6}\.png", image["file_name"])
        assert world.image_path(image["id"]).is_file()
        assert world.image_path(image["id"]).parent == world.root / IMAGE_DIR
    for ref in world.refs_list:
        stem = world.images[ref["image_id"]]["file_name"][:-4]
        assert ref["file_name"] == f"{stem}_{ref['ann_id']}.png"
        assert ref["category_id"] == world.anns[ref["ann_id"]]["category_id"]
        assert ref["sent_ids"] == [s["sent_id"] for s in ref["sentences"]]


def test_categories_bring_their_own_lexicon(world):
    cats = list(world.categories.values())
    assert {c["name"] for c in cats} == {c.name for c in CATEGORIES}
    words = [w for c in cats for w in [c["name"], *c["synonyms"]]]
    assert len(words) == len(set(words)), "a word names one category only"
    assert all(c["synonyms"] and c["supercategory"] for c in cats)


def test_ref_masks_are_the_rendered_objects(world):
    """A ref's mask is the painted region of its object (exactly: objects are painted through their raster),
    it agrees with an independent raster of the outline (PIL's, which also covers boundary pixels), and the
    pixels under it have the object's colour."""
    palette = np.array(list(COLOURS.values()), dtype=float)
    by_image = {}
    for ann in world.anns.values():
        by_image.setdefault(ann["image_id"], []).append(ann["id"])
    for ref in world.refs_list:
        image = make_image(SEED, ref["image_id"], ref["split"])
        index = sorted(by_image[ref["image_id"]]).index(ref["ann_id"])
        obj = image.scene.objects[index]
        assert world.categories[ref["category_id"]]["name"] == obj.category
        gt = masks.decode(world.ref_rle(ref["ref_id"]))
        assert gt.sum() > 0
        assert np.array_equal(gt, image.object_masks[index])
        outline = Image.new("L", (image.scene.width, image.scene.height))
        ImageDraw.Draw(outline).polygon([tuple(p) for p in obj.points.tolist()], fill=1)
        pil = np.asarray(outline) > 0
        assert (gt & pil).sum() / (gt | pil).sum() > 0.8
        pixels = np.asarray(Image.open(world.image_path(ref["image_id"])))
        mean = pixels[gt].astype(float).mean(axis=0)
        assert list(COLOURS)[int(np.argmin(((palette - mean) ** 2).sum(axis=1)))] == obj.colour


def test_objects_do_not_overlap(world):
    for image_id in world.images:
        anns = [masks.decode(world.ann_rle(a["id"])) for a in world.anns.values() if a["image_id"] == image_id]
        assert sum(m.sum() for m in anns) == np.logical_or.reduce(anns).sum()


def test_annotations_are_coco_polygons(world):
    for ann in world.anns.values():
        image = world.images[ann["image_id"]]
        (poly,) = ann["segmentation"]
        xs, ys = poly[0::2], poly[1::2]
        assert 0 <= min(xs) and max(xs) <= image["width"] and 0 <= min(ys) and max(ys) <= image["height"]
        assert ann["bbox"] == pytest.approx([min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)], abs=0.02)
        assert ann["area"] == masks.area(world.ann_rle(ann["id"])) > 0
        assert ann["iscrowd"] == 0


def test_sentences_are_normalised_and_name_the_target(world):
    for ref in world.refs_list:
        assert 1 <= len(ref["sentences"]) <= 3
        cat = world.categories[ref["category_id"]]
        for sent in ref["sentences"]:
            assert sent["sent"] == normalise(sent["raw"]) == sent["sent"].lower()
            assert " ".join(sent["tokens"]) == sent["sent"]
            # the first word naming a category names the target (a landmark comes after it)
            lexicon = {w: c.name for c in CATEGORIES for w in (c.name, *c.synonyms)}
            first = next(t for t in sent["tokens"] if t in lexicon)
            assert lexicon[first] == cat["name"]


def test_test_splits_partition_by_supercategory(world):
    assert set(TEST_GROUPS.values()) == {c.supercategory for c in CATEGORIES}
    for ref in world.refs_list:
        group = TEST_GROUPS.get(ref["split"])
        if group:
            assert world.categories[ref["category_id"]]["supercategory"] == group


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    small = {"train": 4, "val": 1, "testA": 1, "testB": 1}
    a, b, c = (generate(tmp_path / n, seed=s, n_images=small) for n, s in (("a", 3), ("b", 3), ("c", 4)))
    fa, fb, fc = _files(a), _files(b), _files(c)
    assert fa == fb
    assert fa.keys() == fc.keys()
    assert fa["toy/refs(unc).p"] != fc["toy/refs(unc).p"]
    assert all(fa[k] != fc[k] for k in fa if k.endswith(".png"))


@pytest.mark.parametrize("bad", [{"train": -1}, {"dev": 3}, {"val": 2.5}])
def test_bad_split_sizes_are_refused(tmp_path, bad):
    with pytest.raises(InputError, match="n_images"):
        generate(tmp_path, n_images=bad)
    assert not (tmp_path / "toy").exists()

