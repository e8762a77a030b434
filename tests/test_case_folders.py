"""Every dataset case folder of ``../shared/reliability-cases`` (D*) and ``../shared/field-cases``: exit 0 with
the right numbers or exit 2 with a message naming the file, record and field, under a memory cap and a
timeout (each REPRO.md / README says what happened before: tracebacks, hangs, segfaults, negative IoU)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from capped import SHARED, assert_clean_refusal, rris_bench

RELIABILITY = SHARED / "reliability-cases"
FIELD = SHARED / "field-cases"

# case folder -> (file, record, field) the refusal must name
DATASET_CASES = {
    "D01-d090-refs-field-type-traceback": ("refs(unc).p", "ref_id 35", "sentences"),
    "D01-d107-refs-field-type-traceback": ("refs(unc).p", "(ref_id 35): ann_id"),
    "D02-d185-instances-shape-traceback": ("instances.json", "annotation 35", "segmentation"),
    "D02-d198-instances-shape-traceback": ("instances.json", "annotation #34", "id"),
    "D02-d225-instances-shape-traceback": ("instances.json", "images", "expected a list"),
    "D03-d163-cycle-build-traceback": ("refs(unc).p", "#34", "holds itself"),
    "D05-d172-malformed-gt-rle-hang": ("instances.json", "annotation 35", "segmentation.counts"),
    "D06-d189-segfault-polygon-1e308": ("instances.json", "annotation 35", "segmentation[0]"),
    "D07-d110-negative-iou": ("refs(unc).p", "ref_id 35", "ann_id"),
    "D08-d177-gt-area-4e9": ("instances.json", "annotation 35", "segmentation.counts"),
}


def _folder(base: Path, name: str) -> Path:
    folder = base / name
    if not folder.is_dir():
        pytest.skip(f"case folder not found at {folder} (CI has ../shared beside the checkout)")
    return folder


@pytest.fixture
def env(tmp_path):
    return {"RRIS_BENCH_CACHE": str(tmp_path / "cache")}


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
def test_reliability_dataset_case_is_refused_by_name(case, tmp_path, env):
    root = _folder(RELIABILITY, case) / "root"
    empty = tmp_path / "empty_list.json"
    empty.write_text("[]")
    outcome = rris_bench(["evaluate", empty, "--data-root", root, "--dataset", "toy", "--missing", "empty",
                          "--out", tmp_path / "e.result.json"], env=env)
    assert_clean_refusal(outcome, *DATASET_CASES[case])
    assert not (tmp_path / "e.result.json").exists()


@pytest.mark.parametrize("case", ["D03-d163-cycle-build-traceback", "D06-d189-segfault-polygon-1e308"])
def test_reliability_dataset_case_is_refused_by_build_and_stats(case, tmp_path, env):
    """build-dataset writes beside the source: run it on a copy; nothing is written for a refused source."""
    shutil.copytree(_folder(RELIABILITY, case) / "root" / "toy", tmp_path / "toy")
    build = rris_bench(["build-dataset", "--data-root", tmp_path, "--dataset", "toy", "--negatives-per-ref", "2",
                        "--parser", "lexicon"], env=env)
    assert_clean_refusal(build, *DATASET_CASES[case])
    assert not (tmp_path / "rtoy").exists()
    assert_clean_refusal(rris_bench(["stats", "--data-root", tmp_path, "--dataset", "toy"], env=env),
                         DATASET_CASES[case][0])


@pytest.mark.parametrize("case", ["D05-d172-malformed-gt-rle-hang", "D07-d110-negative-iou", "D08-d177-gt-area-4e9"])
def test_reliability_predictions_on_bad_ground_truth_are_refused_not_scored(case, tmp_path, env):
    """The gt-box files these cases wrote were scored with negative IoU, an area of 4e9 or a hang."""
    root = _folder(RELIABILITY, case) / "root"
    outcome = rris_bench(["evaluate", root / "gtbox.jsonl", "--data-root", root, "--dataset", "toy", "--split",
                          "val", "--out", tmp_path / "g.result.json"], env=env)
    assert_clean_refusal(outcome, *DATASET_CASES[case])


def test_fc02_grefcoco_refs_in_a_refer_file_are_refused_naming_ann_id(tmp_path, env):
    """A list-valued ann_id in refs(unc).p: refused by the refer reader (gRefCOCO is read from grefs files)."""
    root = _folder(FIELD, "FC-02")
    for args in (["stats"], ["evaluate", root / "p.json", "--out", tmp_path / "r.json"]):
        outcome = rris_bench([*args, "--data-root", root, "--dataset", "gref"], env=env)
        assert_clean_refusal(outcome, "refs(unc).p", "(ref_id 1): ann_id: expected an integer, found [11, 12]")


@pytest.mark.parametrize("variant,message", [("nan", "non-finite polygon coordinate"),
                                             ("big", "outside the 60x40 image")])
def test_fc05_polygon_nan_or_huge_is_refused_under_a_memory_cap(variant, message, tmp_path, env):
    root = _folder(FIELD, "FC-05") / variant
    outcome = rris_bench(["evaluate", root / "p.json", "--data-root", root, "--dataset", "badpoly", "--no-cache",
                          "--out", tmp_path / "r.json"], env=env)
    assert_clean_refusal(outcome, "instances.json", "annotation 11", "segmentation[0]", message)


def test_fc06_uncompressed_rle_is_read_exactly_and_its_crowd_ref_scored(tmp_path, env):
    """The crowd annotation's RLE reads as the two blobs (200 + 75 pixels), and the refer API's getMask keeps a
    referred crowd annotation, so the README's hand count holds: I 200, U 475."""
    from rris_bench import masks
    from rris_bench.datasets import load_dataset

    root = _folder(FIELD, "FC-06") / "uncompressed_ok"
    assert masks.area(load_dataset(root, "crowd").ann_rle(11)) == 275
    outcome = rris_bench(["evaluate", root / "p.json", "--data-root", root, "--dataset", "crowd", "--split", "val",
                          "--no-cache", "--out", tmp_path / "r.json", "--per-sample", tmp_path / "ps.jsonl"], env=env)
    assert outcome.code == 0, outcome.err
    rows = {r["sent_id"]: r for r in map(json.loads, (tmp_path / "ps.jsonl").read_text().splitlines())}
    assert (rows[101]["ref_id"], rows[101]["I"], rows[101]["U"], rows[101]["gt_area"]) == (1, 200, 475, 275)
    assert json.loads((tmp_path / "r.json").read_text())["counts"].get("positives_with_empty_ground_truth", 0) == 0


@pytest.mark.parametrize("variant,dataset,message", [
    ("uncompressed_size", "crowd", "segmentation.size: [20, 30] differs from the image's size [40, 60]"),
    ("compressed_size", "badrle", "segmentation.size: [20, 30] differs from the image's size [40, 60]"),
    ("uncompressed_short", "crowd", "segmentation.counts: runs add up to"),
    ("compressed_runs", "badrle", "segmentation.counts: malformed RLE: runs add up to")])
def test_fc06_ground_truth_rle_of_another_size_or_short_runs_is_refused(variant, dataset, message, tmp_path, env):
    root = _folder(FIELD, "FC-06") / variant
    outcome = rris_bench(["evaluate", root / "p.json", "--data-root", root, "--dataset", dataset, "--split", "val",
                          "--no-cache", "--out", tmp_path / "r.json"], env=env, timeout=30)
    assert_clean_refusal(outcome, "instances.json", "annotation 11", message)


@pytest.mark.parametrize("variant,needles", [
    ("a", ("refs(unc).p", "ref_id 1", "image_id 7 is not in instances.json")),
    ("b", ("refs(unc).p", "ref_id 1: ann_id: ann_id 12 is on image 2, not on the ref's image 1")),
    ("c", ("instances.json", "image 1", "height: missing"))])
def test_fc15_image_cross_references_that_disagree_are_refused(variant, needles, tmp_path, env):
    root = _folder(FIELD, "FC-15") / variant
    outcome = rris_bench(["evaluate", root / "p.json", "--data-root", root, "--dataset", "xref",
                          "--out", tmp_path / "r.json"], env=env)
    assert_clean_refusal(outcome, *needles)


# --- predictions cases (P*): the small toy world they were made on, rebuilt as make_small_world.sh does ----

P_CASES = {  # file -> (extra options, what the one-line refusal names)
    "P01-hang-rle-7group-small/b0003.jsonl": (["--dataset", "rtoy", "--split", "val"],
                                              "record #6 (sent_id 73): segmentation.counts: malformed RLE"),
    "P06-traceback-int-over-4300-digits/0162.json": (["--dataset", "rtoy", "--split", "val"], "not valid JSON"),
    "P06-traceback-int-over-4300-digits/0163.jsonl": (["--dataset", "rtoy", "--split", "val"], "not valid JSON"),
    "P06-traceback-int-over-4300-digits/0164.json": (["--dataset", "rtoy", "--split", "val"], "not valid JSON"),
    "P06-traceback-int-over-4300-digits/0165.json": (["--dataset", "rtoy", "--split", "val"], "not valid JSON"),
    "P07-traceback-info-field-types/0533.jsonl": ([], "info.dataset: expected a string, found 5"),
    "P07-traceback-info-field-types/0534.jsonl": ([], "info.dataset: expected a string"),
    "P07-traceback-info-field-types/0539.jsonl": ([], "info.split: expected a string, found 5"),
    "P07-traceback-info-field-types/0540.jsonl": ([], "info.split: expected a string"),
    "P07-traceback-info-field-types/0728.json": ([], "info.split: expected a string"),
    "P07-traceback-info-field-types/0790.json": (["--dataset", "rtoy", "--split", "val"], "info.model"),
    "P09-record-breaks-own-schema/0546.jsonl": ([], "info.model: expected a string, found 5"),
    "P09-record-breaks-own-schema/0547.jsonl": ([], "info.model: expected a string, found ['a']"),
    "P10-model-newline-breaks-markdown/0549.jsonl": ([], "info.model: 'a\\nb' is not one line of printable text"),
}


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    from rris_bench.datasets import toy
    from rris_bench.build import build_robust_dataset

    root = tmp_path_factory.mktemp("small")
    toy.generate(root, n_images={"train": 12, "val": 6, "testA": 4, "testB": 4})
    build_robust_dataset(root, "toy", negatives_per_ref=3, progress=False)
    return root


@pytest.mark.parametrize("case", sorted(P_CASES))
def test_reliability_predictions_case_is_refused_by_name(case, small_world, tmp_path, env):
    path = _folder(RELIABILITY, case.split("/")[0]) / case.split("/")[1]
    extra, needle = P_CASES[case]
    outcome = rris_bench(["evaluate", path, "--data-root", small_world, *extra, "--out", tmp_path / "o.json"],
                         env=env, timeout=30)
    assert_clean_refusal(outcome, path.name, needle)
    errors = [line for line in outcome.err.strip().splitlines() if not line.startswith("rris-bench: warning: ")]
    assert len(errors) <= 2 and not (tmp_path / "o.json").exists()


@pytest.mark.parametrize("args,needle", [(["--ci", "0.95", "--seed", "-1"], "--seed: the seed must be from 0"),
                                         (["--resolution", "100000"], "--resolution"),
                                         (["--out", "/proc/version"], "/proc/version: --out: cannot write here")])
def test_p08_options_are_refused_at_the_door(args, needle, small_world, tmp_path, env):
    path = _folder(RELIABILITY, "P08-traceback-options") / "good_colour.jsonl"
    outcome = rris_bench(["evaluate", path, "--data-root", small_world, "--dataset", "rtoy", "--split", "val",
                          "--out", tmp_path / "o.json", *args], env=env, timeout=30)
    assert_clean_refusal(outcome, needle)


def test_p05_visualize_of_a_seven_group_rle_is_refused(small_world, tmp_path, env):
    path = _folder(RELIABILITY, "P05-visualize-traceback-7group") / "b0003.jsonl"
    outcome = rris_bench(["visualize", path, "--data-root", small_world, "--sent-id", "73",
                          "--out", tmp_path / "grid.png"], env=env, timeout=30)
    assert_clean_refusal(outcome, "record #6 (sent_id 73): segmentation.counts: malformed RLE")
    assert not (tmp_path / "grid.png").exists()
