"""The ground-truth validation layer (``rris_bench.checks``) and the refer pickle loader: every kind
of bad refs / instances is one InputError naming file, record and field; Python 2 pickles come out as text."""
from __future__ import annotations

import copy
import pickle
import struct

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from rris_bench import masks
from rris_bench import checks
from rris_bench.errors import InputError
from rris_bench.rle import decode_counts
from rris_bench.datasets.refer import instances_json_bytes, safe_load_pickle
from rris_bench.datasets import load_dataset


def world():
    """One 40x60 image, two annotations (a polygon and an uncompressed RLE), two refs."""
    m = np.zeros((40, 60), np.uint8)
    m[5:25, 10:20] = 1
    runs = _runs(m)
    instances = {
        "images": [{"id": 1, "height": 40, "width": 60, "file_name": "a.jpg"}],
        "categories": [{"id": 1, "name": "person", "supercategory": "person"}],
        "annotations": [
            {"id": 11, "image_id": 1, "category_id": 1, "bbox": [2, 2, 20, 30],
             "segmentation": [[2, 2, 22, 2, 22, 32, 2, 32]]},
            {"id": 12, "image_id": 1, "category_id": 1, "bbox": [10, 5, 10, 20], "iscrowd": 1,
             "segmentation": {"size": [40, 60], "counts": runs}}],
    }
    refs = [{"ref_id": 1, "ann_id": 11, "image_id": 1, "split": "val", "category_id": 1,
             "sentences": [{"sent_id": 101, "sent": "left man", "raw": "left man", "tokens": ["left", "man"]}]},
            {"ref_id": 2, "ann_id": 12, "image_id": 1, "split": "val", "category_id": 1,
             "sentences": [{"sent_id": 102, "sent": "the crowd", "exist": 1}]}]
    return refs, instances


def _runs(m: np.ndarray):
    flat = m.flatten(order="F")
    change = np.flatnonzero(np.diff(flat)) + 1
    edges = np.r_[0, change, flat.size]
    runs = np.diff(edges).tolist()
    return ([0] + runs) if flat[0] else runs


def write(tmp_path, refs, instances, refs_bytes=None):
    folder = tmp_path / "d"
    folder.mkdir(exist_ok=True)
    (folder / "instances.json").write_bytes(instances_json_bytes(instances))
    (folder / "refs(unc).p").write_bytes(pickle.dumps(refs, protocol=2) if refs_bytes is None else refs_bytes)
    return tmp_path


def test_a_clean_world_loads_and_its_uncompressed_rle_is_exact(tmp_path):
    refs, instances = world()
    ds = load_dataset(write(tmp_path, refs, instances), "d")
    assert masks.area(ds.ann_rle(12)) == 200 and masks.area(ds.ref_rle(1)) == 600
    assert ds.left_out == {"degenerate_polygon_parts": 0}


def _ref_field(**change):
    def edit(refs, instances):
        refs[0].update(change)
    return edit


def _sentence_field(**change):
    def edit(refs, instances):
        refs[0]["sentences"][0].update(change)
    return edit


def _ann_field(index=0, **change):
    def edit(refs, instances):
        instances["annotations"][index].update(change)
    return edit


def _image_field(**change):
    def edit(refs, instances):
        instances["images"][0].update(change)
    return edit


def _del(kind, key):
    def edit(refs, instances):
        del (refs[0] if kind == "ref" else instances[kind][0])[key]
    return edit


BAD = {
    "sentences None": (_ref_field(sentences=None), "refs(unc).p", "(ref_id 1): sentences: expected a list"),
    "ann_id a list": (_ref_field(ann_id=[11, 12]), "refs(unc).p", "(ref_id 1): ann_id: expected an integer"),
    "ann_id a bool": (_ref_field(ann_id=True), "refs(unc).p", "(ref_id 1): ann_id: expected an integer, found True"),
    "ann_id unknown": (_ref_field(ann_id=99), "refs(unc).p", "ref_id 1: ann_id: ann_id 99 is not in instances.json"),
    "split None": (_ref_field(split=None), "refs(unc).p", "(ref_id 1): split"),
    "ref_id a string": (_ref_field(ref_id="1"), "refs(unc).p", "ref #0 (ref_id 1): ref_id: expected an integer"),
    "image not in instances": (_ref_field(image_id=2), "refs(unc).p", "ref_id 1: image_id: image_id 2 is not in"),
    "annotation on another image": (
        lambda r, i: (r[0].update(image_id=2), i["images"].append(dict(i["images"][0], id=2))), "refs(unc).p",
        "ref_id 1: ann_id: ann_id 11 is on image 1, not on the ref's image 2"),
    "duplicate sent_id": (lambda r, i: r[1]["sentences"][0].update(sent_id=101), "refs(unc).p",
                          "ref_id 2: sentences[0].sent_id: 101 is a duplicate"),
    "sent_id a string": (_sentence_field(sent_id="101"), "refs(unc).p", "sentences[0].sent_id"),
    "empty sentence text": (_sentence_field(sent="  "), "refs(unc).p", "sentences[0].sent: expected non-empty text"),
    "exist a string": (_sentence_field(exist="false"), "refs(unc).p", "sentences[0].exist", "'false'"),
    "exist 2": (_sentence_field(exist=2), "refs(unc).p", "sentences[0].exist"),
    "tokens not strings": (_sentence_field(tokens=["a", ["b"]]), "refs(unc).p", "sentences[0].tokens"),
    "annotation without id": (_del("annotations", "id"), "instances.json", "annotation #0: id: missing"),
    "annotation without segmentation": (_del("annotations", "segmentation"), "instances.json",
                                        "annotation 11: segmentation: missing"),
    "image without height": (_del("images", "height"), "instances.json", "image 1: height: missing"),
    "image of size 0": (_image_field(width=0), "instances.json", "image 1: width: expected a positive integer"),
    "image of 2^40 pixels": (_image_field(width=1 << 20, height=1 << 20), "instances.json", "pixels"),
    "file_name leading out": (_image_field(file_name="../../etc/passwd"), "instances.json",
                              "image 1: file_name", "outside the image folder"),
    "absolute file_name": (_image_field(file_name="/etc/passwd"), "instances.json", "outside the image folder"),
    "duplicate annotation id": (_ann_field(1, id=11), "instances.json", "annotation 11: id: duplicate"),
    "bbox with NaN": (_ann_field(bbox=[0, 0, float("nan"), 1]), "instances.json", "annotation 11: bbox"),
    "polygon NaN": (_ann_field(segmentation=[[1, 1, float("nan"), 2, 3, 3]]), "instances.json",
                    "annotation 11: segmentation[0]: non-finite"),
    "polygon 1e308": (_ann_field(segmentation=[[1e308, 1e308, 1, 2, 3, 3]]), "instances.json",
                      "segmentation[0]: polygon coordinate"),
    "polygon odd length": (_ann_field(segmentation=[[1, 1, 2, 2, 3, 3, 4]]), "instances.json", "odd number"),
    "polygon of strings": (_ann_field(segmentation=[["1", 1, 2, 2, 3, 3]]), "instances.json", "expected numbers"),
    "RLE of another size": (_ann_field(1, segmentation={"size": [20, 30], "counts": [600]}), "instances.json",
                            "annotation 12: segmentation.size: [20, 30] differs"),
    "RLE runs short": (_ann_field(1, segmentation={"size": [40, 60], "counts": [100, 200]}), "instances.json",
                       "runs add up to 300 pixels, size says 2400"),
    "RLE negative run": (_ann_field(1, segmentation={"size": [40, 60], "counts": [2500, -100]}), "instances.json",
                         "segmentation.counts"),
    "compressed RLE with a bad character": (_ann_field(1, segmentation={"size": [40, 60], "counts": "b'\\x00'"}),
                                            "instances.json", "malformed RLE"),
    "compressed RLE padded (non-canonical)": (
        _ann_field(1, segmentation={"size": [40, 60], "counts": "P[R0"}), "instances.json", "not canonical"),
    "images a dict": (lambda r, i: i.update(images={"1": i["images"][0]}), "instances.json",
                      "images: expected a list, found dict"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_each_kind_of_bad_ground_truth_is_one_input_error_naming_file_record_and_field(kind, tmp_path):
    edit, *needles = BAD[kind]
    refs, instances = world()
    edit(refs, instances)
    with pytest.raises(InputError) as info:
        load_dataset(write(tmp_path, refs, instances), "d")
    message = str(info.value)
    for needle in needles:
        assert needle in message, (needle, message)
    assert len(message.splitlines()) == 1  # one problem: one line


def test_all_problems_are_listed_up_to_the_limit(tmp_path):
    refs, instances = world()
    refs += [dict(copy.deepcopy(refs[0]), ref_id=10 + i, sentences=[{"sent_id": 200 + i, "sent": " "}])
             for i in range(30)]
    with pytest.raises(InputError) as info:
        load_dataset(write(tmp_path, refs, instances), "d")
    lines = str(info.value).splitlines()
    assert "30 problems found" in lines[0] and lines[-1].strip() == "... and 10 more" and len(lines) == 22


def test_degenerate_polygon_parts_are_skipped_and_counted(tmp_path):
    refs, instances = world()
    instances["annotations"][0]["segmentation"].append([5, 5, 6, 6])  # two points: encloses nothing
    ds = load_dataset(write(tmp_path, refs, instances), "d")
    assert ds.left_out == {"degenerate_polygon_parts": 1}
    assert masks.area(ds.ref_rle(1)) == 600


def test_from_segmentation_refuses_what_pycocotools_would_crash_or_loop_on():
    for bad in ([[0, 0, float("inf"), 0, 5, 5]], {"size": [4, 4], "counts": "0000"}, {"size": [4, 4], "counts": [3]},
                [[0, 0, 1e6, 0, 1e6, 1e6]], {"size": [2, 2]}):
        with pytest.raises(InputError):
            masks.from_segmentation(bad, 4, 4)


def test_polygon_rasterisation_cost_is_capped():
    zigzag = [float(v) for k in range(100000) for v in ((k % 2) * 40.0, (k % 2) * 60.0)]  # 100k edges of 300 samples each
    assert checks.segmentation_problem([zigzag], 40, 60)[1].startswith("polygons too long to rasterise")


def _groups(value: int, n: int) -> str:
    """``value`` (>= 0) written in ``n`` 5-bit groups of the COCO counts format (canonical when n is minimal)."""
    return "".join(chr(48 + ((value >> 5 * k) & 31) + (32 if k < n - 1 else 0)) for k in range(n))


def test_canonical_counts_pass_and_padded_or_seven_group_numbers_do_not():
    rng = np.random.default_rng(0)
    rles = [mask_utils.encode(np.asfortranarray((rng.random((37, 53)) < p).astype(np.uint8))) for p in (0.1, .5, .9)]
    counts = [r["counts"].decode() for r in rles]
    assert decode_counts(counts, [37 * 53] * 3).valid.all()
    # the P01 reproduction: one delta written in 7 groups; and 2400 padded with an empty 3rd group
    seven = chr(48 + 32 + 22) + chr(48 + 32 + 31) * 5 + chr(48 + 31)
    canonical, padded = _groups(2400, 3), _groups(2400, 4)
    assert mask_utils.area({"size": [40, 60], "counts": canonical.encode()}) == 0  # one run: all background
    decoded = decode_counts([seven, padded, canonical], [2400, 2400, 2400])
    assert decoded.valid.tolist() == [False, False, True] and "not canonical" in decoded.reason[1]


# --- the refer pickle loader ----------------------------------------------------------------------


def _py2_pickle(refs) -> bytes:
    """A protocol-2 pickle as Python 2's cPickle writes it: str values as byte strings (SHORT_BINSTRING)."""
    out = bytearray(b"\x80\x02")

    def emit(o):
        if isinstance(o, bool):
            out.extend(b"\x88" if o else b"\x89")
        elif isinstance(o, int):
            out.extend(b"J" + struct.pack("<i", o))
        elif isinstance(o, str):
            data = o.encode("utf-8")
            out.extend(b"U" + bytes([len(data)]) + data)
        elif isinstance(o, bytes):
            out.extend(b"U" + bytes([len(o)]) + o)
        elif isinstance(o, list):
            out.extend(b"](")
            for x in o:
                emit(x)
            out.extend(b"e")
        elif isinstance(o, dict):
            out.extend(b"}(")
            for k, v in o.items():
                emit(k)
                emit(v)
            out.extend(b"u")
    emit(refs)
    out.extend(b".")
    return bytes(out)


def test_python2_pickle_byte_strings_come_out_as_utf8_text_then_latin1(tmp_path):
    refs, instances = world()
    refs[0]["sentences"][0].update(sent="the café chair", raw="the café chair")
    refs[1]["sentences"][0]["raw"] = b"caf\xe9"  # not UTF-8: latin-1
    ds = load_dataset(write(tmp_path, refs, instances, _py2_pickle(refs)), "d")
    assert ds.sentences[101]["sent"] == "the café chair" and ds.sentences[102]["raw"] == "café"
    assert ds.refs[1]["split"] == "val" and isinstance(next(iter(ds.refs[1])), str)


def test_a_pickle_whose_shared_references_expand_beyond_a_sane_size_is_refused(tmp_path):
    laugh = ["ha"] * 10
    for _ in range(25):
        laugh = [laugh] * 10  # 10**26 items once expanded, a few hundred bytes pickled
    path = tmp_path / "laughs.p"
    path.write_bytes(pickle.dumps(laugh, protocol=2))
    with pytest.raises(InputError, match="shared references would expand"):
        safe_load_pickle(path)


def test_cycles_and_deep_nesting_in_a_pickle_are_refused(tmp_path):
    cyclic = [{"tokens": []}]
    cyclic[0]["tokens"].append(cyclic[0]["tokens"])
    deep = []
    for _ in range(200):
        deep = [deep]
    for obj, message in ((cyclic, "#0: a list holds itself"), (deep, "nested more than")):
        path = tmp_path / "x.p"
        path.write_bytes(pickle.dumps(obj, protocol=2))
        with pytest.raises(InputError, match=message):
            safe_load_pickle(path)


def test_shared_scalars_and_small_shared_lists_still_load(tmp_path):
    shared = ["left", "man"]
    refs = [{"tokens": shared, "split": "val"}, {"tokens": shared, "split": "val"}]
    path = tmp_path / "ok.p"
    path.write_bytes(pickle.dumps(refs, protocol=2))
    loaded = safe_load_pickle(path)
    assert loaded == refs and loaded[0]["tokens"] is loaded[1]["tokens"]


# --- what was left out is said ---------------------------------------------------------------------


def test_evaluate_counts_positives_with_empty_ground_truth_and_degenerate_parts(tmp_path, capsys, monkeypatch):
    from rris_bench.cli import main

    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    refs, instances = world()
    instances["annotations"][0]["segmentation"] = [[1, 1, 2, 2], [3, 3]]  # only degenerate parts: empty mask
    instances["annotations"][1]["iscrowd"] = 0
    write(tmp_path, refs, instances)
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(tmp_path / "empty.json"), "--data-root", str(tmp_path), "--dataset", "d",
              "--missing", "empty", "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert info.value.code == 0
    counts = __import__("json").loads((tmp_path / "r.json").read_text())["counts"]
    assert counts["positives_with_empty_ground_truth"] == 1 and counts["degenerate_polygon_parts"] == 2
    assert "rris-bench: note: 1 positives with empty ground truth; 2 degenerate polygon parts" in err


def test_build_skips_and_counts_refs_without_sentences(tmp_path):
    from rris_bench.build import build_robust_dataset

    refs, instances = world()
    refs[1]["sentences"] = []
    write(tmp_path, refs, instances)
    manifest = build_robust_dataset(tmp_path, "d", out_name="rd", negatives_per_ref=1, parser="lexicon",
                                    progress=False)
    assert manifest["left_out"] == {"degenerate_polygon_parts": 0, "refs_without_sentences": 1}
    built = load_dataset(tmp_path, "rd")
    assert sorted(built.refs) == [1] and built.left_out == {"degenerate_polygon_parts": 0}


def test_a_file_of_garbage_is_refused_from_its_start_before_it_is_read_whole(tmp_path, monkeypatch):
    from pathlib import Path

    from rris_bench.metrics.predictions import read_predictions

    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xff" * 2_000_000)
    refs, instances = world()
    write(tmp_path, refs, instances)
    (tmp_path / "d" / "instances.json").write_bytes(b"GARBAGE" * 1_000_000)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read whole"))
    with pytest.raises(InputError, match=r"garbage.json: not a predictions file: JSON starts with \{ or \["):
        read_predictions(garbage)
    with pytest.raises(InputError, match=r"instances.json: not a COCO instances file: it starts with b'GARBAGE"):
        load_dataset(tmp_path, "d")
