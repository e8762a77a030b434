"""The dataset model and its readers: each benchmark fixture (tests/data/benchmarks, written by hand in its
exact on-disk format) read with counts counted by hand, unions of targets, no-target refs scored as
negatives, strict checks (exit 2 naming file, record and field) and conversion between formats."""
from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from rris_bench import masks
from rris_bench.cli import main
from rris_bench.datasets import detect, fprefcoco, load_dataset
from rris_bench.datasets.convert import convert
from rris_bench.errors import InputError
from rris_bench.metrics.engine import evaluate
from rris_bench.metrics.groundtruth import ref_ground_truth

BENCHMARKS = Path(__file__).parent / "data" / "benchmarks"

# folder -> (format, refs, sentences, negatives, targets per ref_id), all counted by hand in make_fixtures.py
EXPECTED = {
    "rrefcoco": ("refer", 3, 7, 3, {1: (101,), 2: (102,), 3: (301,)}),
    "grefcoco": ("grefcoco", 4, 6, 2, {10: (101, 102, 103), 11: (), 12: (301,), 13: (101, 102)}),
    "ref-zom": ("refzom", 5, 7, 3, {20: (101,), 21: (201, 202), 22: (), 23: (), 24: (301,)}),
    "fprefcoco": ("fprefcoco", 2, 5, 2, {30: (101,), 31: (301,)}),
    "omniref": ("omniref", 4, 5, 3, {40: (101, 102), 41: (), 42: (301,), 43: ()}),
}
NEGATIVES = {"rrefcoco": {13, 14, 32}, "grefcoco": {110, 111}, "ref-zom": {220, 221, 230},
             "fprefcoco": {301, 311}, "omniref": {410, 411, 430}}


@pytest.fixture
def bench(tmp_path) -> Path:
    """A writable copy of the fixtures (the tests corrupt some files)."""
    shutil.copytree(BENCHMARKS, tmp_path / "b", ignore=shutil.ignore_patterns("*.py"))
    return tmp_path / "b"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_reader_counts_its_fixture(name):
    fmt, n_refs, n_sents, n_neg, targets = EXPECTED[name]
    ds = load_dataset(BENCHMARKS, name)
    assert ds.format == fmt and load_dataset(BENCHMARKS, name, fmt=fmt).format == fmt
    assert len(ds.refs) == n_refs and len(ds.sentences) == n_sents
    assert {sid for sid, s in ds.sentences.items() if not s.exists} == NEGATIVES[name]
    assert sum(not s.exists for s in ds.sentences.values()) == n_neg
    assert {rid: ref.targets for rid, ref in ds.refs.items()} == targets
    # a ref without target has only negatives
    assert all(not s.exists for ref in ds.refs_list if not ref.targets for s in ref["sentences"])


def test_markers_read_as_the_formats_define_them():
    rref = load_dataset(BENCHMARKS, "rrefcoco")
    assert rref.sentences[14]["exist"] == 0 and not rref.sentences[14].exists  # exist 0 is a negative
    assert rref.sentences[21]["exist"] == 1 and rref.sentences[21].exists
    fp = load_dataset(BENCHMARKS, "fprefcoco")
    assert fp.split_by == "berkeley_exclude_unified"
    assert fp.sentences[301].gt_sent == "man in a white shirt" and fp.sentences[300].gt_sent is None
    zom = load_dataset(BENCHMARKS, "ref-zom")
    assert zom.split_by == "final" and zom.splits == ["test", "train"]
    assert zom.image_path(2).parent.name == "train2014"  # neither folder exists: the first is named
    omni = load_dataset(BENCHMARKS, "omniref")
    assert omni.splits == ["test", "val"] and sorted(omni.images) == [1, 3]
    assert sorted(omni.anns) == [101, 102, 103, 301]


def test_ref_zom_finds_val2014_images(bench):
    folder = bench / "images" / "mscoco" / "val2014"
    folder.mkdir(parents=True)
    (folder / "COCO_val2014_000000000002.jpg").write_bytes(b"")
    assert load_dataset(bench, "ref-zom").image_path(2) == folder / "COCO_val2014_000000000002.jpg"


def test_auto_detection_by_files_and_fields():
    assert detect(BENCHMARKS, "grefcoco") == "grefcoco" and detect(BENCHMARKS, "omniref") == "omniref"
    # three formats share refs(*).p: detect names the family, the reader is chosen by the refs' fields
    assert {detect(BENCHMARKS, n) for n in ("rrefcoco", "ref-zom", "fprefcoco")} == {"refer"}
    assert [load_dataset(BENCHMARKS, n).format for n in ("rrefcoco", "ref-zom", "fprefcoco")] == \
        ["refer", "refzom", "fprefcoco"]


def test_multi_target_ground_truth_is_the_union_without_crowds():
    ds = load_dataset(BENCHMARKS, "grefcoco")
    union = masks.decode(ds.ref_rle(10))
    parts = [masks.decode(ds.ann_rle(a)) for a in (101, 102)]
    assert np.array_equal(union, parts[0] | parts[1])
    crowd = masks.decode(ds.ann_rle(103))
    assert crowd.sum() == 64 and not (union & crowd).any()  # the crowd annotation is left out
    rles, areas = ref_ground_truth(ds, [ds.refs[r] for r in (10, 11, 12, 13)], use_cache=False)
    assert list(areas) == [int(union.sum()), 0, masks.area(ds.ann_rle(301)), int(union.sum())]
    assert masks.decode(rles[3]).tolist() == union.tolist()  # ref 13 names 101 and 102 without the crowd
    assert masks.decode(rles[1]).shape == (48, 64) and not masks.decode(rles[1]).any()
    # ann 102's two parts overlap: its own mask counts those pixels once too
    assert masks.area(ds.ann_rle(102)) < sum(masks.area(masks.encode(m)) for m in (
        masks.decode(masks.from_segmentation([p], 48, 64)) for p in ds.anns[102]["segmentation"]))


def _predictions(tmp_path: Path, ds, segmentation_of) -> Path:
    preds = []
    for ref in ds.refs_list:
        for s in ref["sentences"]:
            seg = segmentation_of(ref, s)
            preds.append({"sent_id": s["sent_id"], "image_id": ref["image_id"], "segmentation": seg})
    path = tmp_path / "preds.json"
    path.write_text(json.dumps({"info": {"dataset": ds.name}, "predictions": preds}))
    return path


@pytest.mark.parametrize("resolution", [None, 480])
def test_a_no_target_ref_scores_as_a_negative(tmp_path, resolution):
    """Positives predicted exactly; the no-target ref (sentences 110, 111) predicted empty, then one of its
    sentences predicted non-empty: only the negative-side metrics move, by hand-computed amounts."""
    ds = load_dataset(BENCHMARKS, "grefcoco")
    blob = masks.encode(np.pad(np.ones((10, 10), dtype=bool), ((0, 38), (0, 54))))  # 100 px on image 1

    def exact(ref, s):
        return ds.ref_rle(ref["ref_id"]) if s.exists else None

    def one_wrong(ref, s):
        return blob if s["sent_id"] == 110 else exact(ref, s)

    good = evaluate(ds, _predictions(tmp_path, ds, exact), resolution=resolution, use_cache=False)["metrics"]
    bad = evaluate(ds, _predictions(tmp_path, ds, one_wrong), resolution=resolution, use_cache=False)["metrics"]
    for m in (good, bad):
        assert m["mIoU"] == pytest.approx(100) and m["oIoU"] == pytest.approx(100) and m["T-acc"] == 100
    assert good["N-acc"] == 100 and good["gIoU"] == pytest.approx(100) and good["mRR"] == 100
    assert good["cIoU_all"] == pytest.approx(100)
    assert bad["N-acc"] == 50 and bad["mRR"] == 50  # one of the no-target ref's two sentences
    assert bad["gIoU"] == pytest.approx(100 * 5 / 6)  # 4 positives at 1, negatives 1 and 0
    counts = evaluate(ds, _predictions(tmp_path, ds, exact), resolution=resolution, use_cache=False)["counts"]
    assert counts["negatives"] == 2 and counts["refs_with_negatives"] == 1
    if resolution is None:
        positives_area = 2 * masks.area(ds.ref_rle(10)) + masks.area(ds.ref_rle(12)) + masks.area(ds.ref_rle(13))
        assert bad["cIoU_all"] == pytest.approx(100 * positives_area / (positives_area + 100))
    else:
        assert bad["cIoU_all"] < 100


@pytest.mark.parametrize("name, corrupt, message", [
    ("rrefcoco", lambda refs: refs[0]["sentences"][1].update(exist="no"), "sentences[1].exist"),
    ("rrefcoco", lambda refs: refs[1].update(ann_id=[102]), "ann_id: expected an integer"),
    ("fprefcoco", lambda refs: refs[0]["sentences"][1].update(is_false_premise="yes"), "is_false_premise"),
    ("fprefcoco", lambda refs: refs[1]["sentences"][1].update(gt_sent=5), "gt_sent: expected a string"),
    ("ref-zom", lambda refs: refs[0].update(source="many", ann_id=-1), "ann_id -1"),
    ("ref-zom", lambda refs: refs[2].update(ann_id="none"), "ann_id: expected an integer or a list"),
    ("ref-zom", lambda refs: refs[3].update(ann_id=None, source="one"), "ann_id: expected an integer"),
])
def test_pickled_formats_refuse_bad_fields(bench, name, corrupt, message):
    path = next((bench / name).glob("refs(*).p"))
    refs = pickle.loads(path.read_bytes())
    corrupt(refs)
    path.write_bytes(pickle.dumps(refs, protocol=2))
    with pytest.raises(InputError, match=re.escape(message)) as err:
        load_dataset(bench, name)
    assert str(path) in str(err.value) and "ref #" in str(err.value)


@pytest.mark.parametrize("name, corrupt, message", [
    ("grefcoco", lambda refs: refs[1].update(ann_id=[-1, 101]), "-1 (no target) mixed"),
    ("grefcoco", lambda refs: refs[0].update(no_target=True), "no_target is True but ann_id"),
    ("grefcoco", lambda refs: refs[2].update(ann_id=[999]), "ann_id 999 is not in instances.json"),
    ("grefcoco", lambda refs: refs[2].update(ann_id=[201]), "ann_id 201 is on image 2, not on the ref's image 3"),
    ("grefcoco", lambda refs: refs[1]["sentences"][0].update(exist=True), "sentences[0].exist"),
    ("grefcoco", lambda refs: refs[0]["sentences"][0].update(sent_id="100"), "sent_id: expected an integer"),
])
def test_grefcoco_refuses_bad_fields(bench, name, corrupt, message):
    path = bench / name / "grefs(unc).json"
    refs = json.loads(path.read_text())
    corrupt(refs)
    path.write_text(json.dumps(refs))
    with pytest.raises(InputError, match=re.escape(message)) as err:
        load_dataset(bench, name)
    assert str(path) in str(err.value) and "ref" in str(err.value)


def test_omniref_refuses_a_ref_filed_under_another_split_and_clashing_ids(bench):
    path = bench / "omniref" / "OmniRef.json"
    data = json.loads(path.read_text())
    data["val"][0]["split"] = "test"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="filed under split 'val'"):
        load_dataset(bench, "omniref")
    data["val"][0]["split"] = "val"
    path.write_text(json.dumps(data))
    inst = bench / "omniref" / "instances.json"
    coco = json.loads(inst.read_text())
    coco["test"]["images"][0]["id"] = 1  # image 1 of val, with image 3's size
    inst.write_text(json.dumps(coco))
    with pytest.raises(InputError, match="id 1 names another record in an earlier split"):
        load_dataset(bench, "omniref")


def test_cli_exit_2_on_a_bad_record(bench, capsys):
    path = bench / "grefcoco" / "grefs(unc).json"
    refs = json.loads(path.read_text())
    refs[3]["ann_id"] = "201"
    path.write_text(json.dumps(refs))
    with pytest.raises(SystemExit) as exit_:
        main(["stats", "--data-root", str(bench), "--dataset", "grefcoco"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert "grefs(unc).json: ref #3 (ref_id 13): ann_id: expected an integer or a non-empty list" in err


def _model(ds):
    """Everything the model says, keyed by sentence: (exists, targets of its ref, image, split, text)."""
    return {sid: (s.exists, ds.refs[ds.sent_to_ref[sid]].targets if s.exists else (), ds.refs[ds.sent_to_ref[sid]]
                  ["image_id"], ds.refs[ds.sent_to_ref[sid]]["split"], s["sent"]) for sid, s in ds.sentences.items()}


def test_convert_round_trip_rrefcoco_grefcoco_rrefcoco(tmp_path):
    """Every sentence, marker and target survives R-RefCOCO -> gRefCOCO -> R-RefCOCO, and the refs come back
    as they were (ids, targets, sentences in order)."""
    convert(BENCHMARKS, "rrefcoco", "grefcoco", "g", out_root=tmp_path)
    g = load_dataset(tmp_path, "g")
    assert g.format == "grefcoco" and len(g.refs) == 3 + 2  # refs 1 and 3 gave their negatives a no-target ref
    assert _model(g) == _model(load_dataset(BENCHMARKS, "rrefcoco"))
    convert(tmp_path, "g", "refer", "r")
    back, original = load_dataset(tmp_path, "r"), load_dataset(BENCHMARKS, "rrefcoco")
    assert back.format == "refer" and _model(back) == _model(original)
    assert [(r["ref_id"], r.targets, r["sent_ids"]) for r in back.refs_list] == \
        [(r["ref_id"], r.targets, r["sent_ids"]) for r in original.refs_list]
    assert all(bool(back.sentences[sid]["exist"]) == original.sentences[sid].exists for sid in original.sentences)


@pytest.mark.parametrize("source", list(EXPECTED))
@pytest.mark.parametrize("target", ["grefcoco", "refzom", "omniref"])
def test_convert_to_formats_with_no_target_refs_keeps_the_model(tmp_path, source, target):
    convert(BENCHMARKS, source, target, "out", out_root=tmp_path)
    out = load_dataset(tmp_path, "out")
    assert out.format == target and _model(out) == _model(load_dataset(BENCHMARKS, source))


def test_convert_refuses_what_the_target_cannot_hold(tmp_path):
    with pytest.raises(InputError, match="ref_id 10: targets: the refer format holds one target per ref"):
        convert(BENCHMARKS, "grefcoco", "refer", "r", out_root=tmp_path)
    with pytest.raises(InputError, match="ref_id 21: targets: the fprefcoco format holds one target per ref"):
        convert(BENCHMARKS, "ref-zom", "fprefcoco", "f", out_root=tmp_path)
    assert not (tmp_path / "r").exists() and not (tmp_path / "f").exists()
    zom = load_dataset(BENCHMARKS, "ref-zom")
    with pytest.raises(InputError, match="ref_id 22: targets: the fprefcoco format cannot hold a ref without"):
        fprefcoco.records_of([zom.refs[22], zom.refs[24]], zom.instances, tmp_path)
    convert(BENCHMARKS, "fprefcoco", "refer", "r", out_root=tmp_path)
    with pytest.raises(InputError, match="not an empty folder"):
        convert(BENCHMARKS, "fprefcoco", "refer", "r", out_root=tmp_path)


def test_fprefcoco_round_trip_keeps_gt_sent(tmp_path):
    convert(BENCHMARKS, "fprefcoco", "refer", "r", out_root=tmp_path)
    convert(tmp_path, "r", "fprefcoco", "fp")
    fp = load_dataset(tmp_path, "fp")
    assert fp.format == "fprefcoco" and fp.sentences[311].gt_sent == "red car"
    assert _model(fp) == _model(load_dataset(BENCHMARKS, "fprefcoco"))


def test_cli_convert_and_dataset_format_option(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["convert", "--data-root", str(BENCHMARKS), "--dataset", "ref-zom", "--to", "grefcoco",
              "--out-name", "zg", "--out-root", str(tmp_path)])
    assert exit_.value.code == 0 and (tmp_path / "zg" / "grefs(final).json").is_file()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(["stats", "--data-root", str(tmp_path), "--dataset", "zg", "--dataset-format", "grefcoco"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "| split | refs | positives | negatives | refs with several targets | " \
        "refs without target |" in out
    assert "| test | 3 | 3 | 2 | 1 | 1 |" in out and "| train | 2 | 1 | 1 | 0 | 1 |" in out
    assert out.startswith("zg: grefcoco format, read from grefs(final).json and instances.json\n")
    with pytest.raises(SystemExit) as exit_:
        main(["stats", "--data-root", str(BENCHMARKS), "--dataset", "rrefcoco", "--dataset-format", "grefcoco"])
    assert exit_.value.code == 2 and "no grefs(<split_by>).p|.json file here" in capsys.readouterr().err


def test_build_dataset_grefcoco_and_convert_write_the_same_file(tmp_path, fixtures_dir):
    """One writer path: the gRefCOCO file build-dataset writes beside its R-RefCOCO refs is byte for byte what
    convert writes from those refs."""
    from rris_bench.build import build_robust_dataset

    shutil.copytree(fixtures_dir / "refcocog_umd_mini", tmp_path / "refcocog")
    build_robust_dataset(tmp_path, "refcocog", fmt="grefcoco", negatives_per_ref=2, parser="lexicon",
                         progress=False)
    (tmp_path / "rrefcocog" / "grefs(umd).json").rename(tmp_path / "built-grefs.json")
    convert(tmp_path, "rrefcocog", "grefcoco", "g")
    assert (tmp_path / "g" / "grefs(umd).json").read_bytes() == (tmp_path / "built-grefs.json").read_bytes()
    g, r = load_dataset(tmp_path, "g"), load_dataset(tmp_path, "rrefcocog")
    assert _model(g) == _model(r) and sum(not s.exists for s in g.sentences.values()) > 0


def test_the_dataset_cache_keeps_the_model_and_admits_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    for name in EXPECTED:
        plain = load_dataset(BENCHMARKS, name)
        load_dataset(BENCHMARKS, name, use_cache=True)
        cached = load_dataset(BENCHMARKS, name, use_cache=True)
        assert cached.format == plain.format and _model(cached) == _model(plain)
        assert [s.gt_sent for s in cached.sentences.values()] == [s.gt_sent for s in plain.sentences.values()]
    ds = load_dataset(BENCHMARKS, "rrefcoco")
    entry = tmp_path / "cache" / "datasets" / f"{ds.refs_sha256}-{ds.instances_sha256}.pickle"
    refs, instances, meta = _cache_entry(entry.read_bytes())
    assert meta["format"] == "refer" and type(refs[0]).__name__ == "Ref"
    entry.write_bytes(_with_checksum(([dict(r) for r in refs], instances, meta)))  # no model fields: read again
    assert _model(load_dataset(BENCHMARKS, "rrefcoco", use_cache=True)) == _model(ds)
    entry.write_bytes(_with_checksum((refs, instances, {**meta, "schema": "rris-dataset-cache/0"})))
    assert _model(load_dataset(BENCHMARKS, "rrefcoco", use_cache=True)) == _model(ds)
    assert _cache_entry(entry.read_bytes())[2]["schema"] == meta["schema"]  # rewritten by this version


def _cache_entry(data: bytes):
    """A dataset cache entry: the sha256 of the pickle on the first line, then the pickle."""
    return pickle.loads(data.partition(b"\n")[2])


def _with_checksum(obj) -> bytes:
    payload = pickle.dumps(obj)
    return hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


@pytest.mark.parametrize("name, split", [("grefcoco", "val,testA,testB"), ("ref-zom", "test"), ("omniref", "val"),
                                         ("fprefcoco", "val")])
def test_oracle_run_and_evaluate_on_each_benchmark(bench, capsys, name, split):
    """run -> evaluate through the command line on the model: the oracle (the union for a positive, empty for
    a negative) scores 100 everywhere; images come from train2014 and, for Ref-ZOM, val2014."""
    from PIL import Image

    for folder, image in (("train2014", 1), ("val2014", 2), ("train2014", 3)):
        meta = load_dataset(BENCHMARKS, "grefcoco").images[image]
        (bench / "images" / "mscoco" / folder).mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (meta["width"], meta["height"])).save(bench / "images" / "mscoco" / folder / meta["file_name"])
    out = bench / f"{name}.jsonl"
    for argv in (["run", "oracle", "--data-root", str(bench), "--dataset", name, "--split", split, "--out", str(out),
                  "--quiet"],
                 ["evaluate", str(out), "--data-root", str(bench), "--format", "json"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0, capsys.readouterr().err
    record = json.loads((bench / f"{name}.result.json").read_text())
    ds = load_dataset(bench, name)
    wanted = [s for r in ds.refs_in(split.split(",")) for s in r["sentences"]]
    assert record["counts"]["sentences"] == len(wanted)
    assert record["counts"]["negatives"] == sum(not s.exists for s in wanted) > 0
    for metric in ("mIoU", "oIoU", "gIoU", "cIoU_all", "N-acc", "T-acc", "rIoU"):
        assert record["metrics"][metric] == pytest.approx(100), metric
