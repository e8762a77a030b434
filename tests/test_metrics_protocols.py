"""Each protocol profile against values worked out by hand: multi-target refs, a no-target ref predicted
non-empty, a positive with an empty union, the three ways of saying "no target", the parts and split rules."""
from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from metrics_cases import box, pil_resize, sentence, write_predictions
from rris_bench import masks
from rris_bench.errors import InputError
from rris_bench.metrics import PROTOCOLS, evaluate, explain, format_record
from rris_bench.datasets.model import Dataset, Ref, Sentence
from rris_bench.datasets.refer import write_dataset


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))


def _ann(ann_id, image_id, mask=None, polygons=None, crowd=0):
    seg = polygons if polygons is not None else masks.encode(mask)
    return {"id": ann_id, "image_id": image_id, "category_id": 1, "segmentation": seg, "area": 1,
            "bbox": [0, 0, 1, 1], "iscrowd": crowd}


def _write(root, name, images, refs, anns):
    """The refs in the dataset model (several targets, no target and per-sentence negatives side by side,
    which no single file format holds), over instances and a refs file written in the refer format. The model
    takes gRefCOCO's crowd rule (its loader leaves crowd targets out), the format these refs are shaped like."""
    instances = {"images": [{"id": i, "height": h, "width": w, "file_name": f"img{i}.jpg"}
                            for i, (h, w) in images.items()],
                 "annotations": anns, "categories": [{"id": 1, "name": "person", "supercategory": "person"}]}
    for ref in refs:
        ref.setdefault("category_id", 1)
        ref.setdefault("file_name", f"img{ref['image_id']}.jpg")
        ref["sent_ids"] = [s["sent_id"] for s in ref["sentences"]]
    plain = [{k: v for k, v in r.items() if k != "targets"} for r in refs]
    write_dataset(root, name, "unc", [dict(r, ann_id=anns[0]["id"]) for r in plain], instances)
    model = [Ref.of(dict(r, sentences=[Sentence.of(s, s.get("exist", True)) for s in r["sentences"]]),
                    ref["targets"]) for r, ref in zip(plain, refs)]
    return Dataset(root, name, "unc", root / name / "refs(unc).p", root / name / "instances.json", model, instances,
                   format="grefcoco")


# The protocol case, one 10 x 10 image:
#   ref A (testA): two targets, rows 0-1 and rows 5-6 of cols 0-4 (union 20 px)
#       A1 positive, exact union (I 20, U 20), score .9 | A2 positive, first target only (I 10, U 20), score .4
#       A3 negative, null, score .2
#   ref B (testB): no target; B1 negative, 5 px, score .3 | B2 negative, an all-zero RLE (not null), score .6
#   ref C (testA): target rows 8-9 x cols 8-9 (4 px)
#       C1 positive, null (I 0, U 4), score .1 | C2 positive, 8 px over it (I 4, U 8), score .7
#       C3 negative, 3 px, score .8
#   ref D (val): its only target is a crowd annotation (rows 3-4 x cols 6-9, 8 px): an empty union unless the
#       protocol keeps crowds; D1 positive, null, score .5
def protocol_case(root):
    anns = [_ann(1, 1, box(0, 2, 0, 5)), _ann(2, 1, box(5, 7, 0, 5)), _ann(3, 1, box(8, 10, 8, 10)),
            _ann(4, 1, box(3, 5, 6, 10), crowd=1)]
    refs = [
        {"ref_id": 1, "image_id": 1, "split": "testA", "targets": [1, 2], "sentences": [
            sentence(11, "two people"), sentence(12, "the people"), sentence(13, "a bear", False)]},
        {"ref_id": 2, "image_id": 1, "split": "testB", "targets": [], "sentences": [
            sentence(21, "a zebra", False), sentence(22, "a giraffe", False)]},
        {"ref_id": 3, "image_id": 1, "split": "testA", "targets": [3], "sentences": [
            sentence(31, "corner man"), sentence(32, "man bottom right"), sentence(33, "a bus", False)]},
        {"ref_id": 4, "image_id": 1, "split": "val", "targets": [4], "sentences": [sentence(41, "the crowd")]},
    ]
    ds = _write(root, "ptoy", {1: (10, 10)}, refs, anns)
    zero = masks.encode(np.zeros((10, 10), dtype=bool))
    preds = {11: (box(0, 2, 0, 5) | box(5, 7, 0, 5), 0.9), 12: (box(0, 2, 0, 5), 0.4), 13: (None, 0.2),
             21: (box(0, 1, 5, 10), 0.3), 22: (zero, 0.6),
             31: (None, 0.1), 32: (box(8, 10, 6, 10), 0.7), 33: (box(0, 1, 7, 10), 0.8),
             41: (None, 0.5)}
    return ds, write_predictions(root / "p.jsonl", ds, preds)


def _check(record, want):
    for metric, value in want.items():
        got = record["metrics"][metric]
        assert (got is None) if value is None else got == pytest.approx(value, abs=1e-9), (metric, got, value)


DEFAULT = {"mIoU": 40.0, "mIoU_ref": 100 * (0.75 + 0.25 + 0) / 3, "oIoU": 100 * 34 / 52,
           "P@0.5": 60.0, "P@0.7": 20.0, "P@0.9": 20.0, "mRR": 100 * (1 + 0.5 + 0) / 3,
           "rIoU": 100 * (30 / 40 + 4 / 15 + 0) / 3, "gIoU": 100 * 4 / 9, "cIoU_all": 100 * 34 / 60,
           "N-acc": 50.0, "T-acc": 60.0}


def test_default_profile_numbers(tmp_path):
    ds, path = protocol_case(tmp_path)
    record = evaluate(ds, path)
    _check(record, DEFAULT)
    assert record["protocol"]["name"] == "default" and record["protocol"]["no_target_rule"] == "empty"


def test_gres_takes_no_target_from_null_and_keeps_the_union_of_a_positive_answered_no_target(tmp_path):
    ds, path = protocol_case(tmp_path)
    record = evaluate(ds, path, protocol="gres")
    assert list(record["metrics"]) == list(PROTOCOLS["gres"].metrics)
    # null answers no target (A3, C1, D1); B2's all-zero RLE is a target answered with an empty mask
    _check(record, {"gIoU": 100 * 3 / 9, "cIoU_all": 100 * 34 / 60, "N-acc": 25.0, "N_acc": 0.25,
                    "T-acc": 60.0, "T_acc": 0.6, "P@0.7": 20.0, "P@0.8": 20.0, "P@0.9": 20.0})
    # score rule: A2 (.4) loses its I but keeps U = 20; B1 (.3, 5 px) adds nothing to U; D1 (.5) is a target
    scored = evaluate(ds, path, protocol="gres", no_target_rule="score:0.5")
    _check(scored, {"gIoU": 100 * 3.5 / 9, "cIoU_all": 100 * 24 / 55, "N_acc": 0.5, "T_acc": 0.6})
    # empty rule: B2's all-zero RLE now answers no target too
    _check(evaluate(ds, path, protocol="gres", no_target_rule="empty"), {"N_acc": 0.5})
    assert scored["protocol"]["no_target_rule"] == "score:0.5"
    assert scored["protocol"]["no_target_rule_source"] == "--no-target-rule"


def test_gres_accuracies_are_zero_fractions_without_no_target_samples(tmp_path):
    ds, path = protocol_case(tmp_path)
    record = evaluate(ds, path, ["val"], protocol="gres", missing="empty")
    assert record["metrics"]["N_acc"] == 0 and record["metrics"]["T_acc"] == 0
    assert record["metrics"]["N-acc"] is None and record["metrics"]["T-acc"] == 0.0


def test_rris_official_empties_low_scores_accumulates_p_at_x_and_prints_nan(tmp_path):
    ds, path = protocol_case(tmp_path)
    # 'testA' selects refs A and C; --use_exist empties A2 (.4), A3, C1; C3 (.8) stays a false positive
    record = evaluate(ds, path, ["testA"], protocol="rris-official", missing="empty")
    _check(record, {"mIoU_ref": 100 * (0.5 + 0.25) / 2, "oIoU": 100 * 24 / 52, "mRR": 50.0,
                    "rIoU": 100 * (20 / 40 + 4 / 15) / 2, "P@0.5": 50.0, "P@0.6": 25.0, "P@0.9": 25.0,
                    # running sums per ref: A 1, 1; C 0, .5
                    "P@0.5_cumsum": 75.0, "P@0.6_cumsum": 50.0, "P@0.9_cumsum": 50.0})
    assert record["protocol"]["side"] == 480 and record["protocol"]["splits_selected"] == ["testA"]
    # B1 (.3) is emptied by its score, B2 (.6) is an all-zero mask: both empty, r = 1; no positives: nan
    _check(evaluate(ds, path, ["testB"], protocol="rris-official", missing="empty"), {"mRR": 100.0, "mIoU_ref": None})
    # the no-target ref B has no positives and D's positive has an empty union: the official code prints nan
    every = evaluate(ds, path, ["testA", "testB", "val"], protocol="rris-official")
    _check(every, {"mIoU_ref": None, "mRR": None, "rIoU": None, "oIoU": 100 * 24 / 52})


def test_refer_api_split_rule_selects_every_split_containing_test(tmp_path):
    ds, path = protocol_case(tmp_path)
    record = evaluate(ds, path, ["test"], protocol="lavt", missing="empty")
    assert record["protocol"]["splits_selected"] == ["testA", "testB"]
    assert record["counts"]["positives"] == 4
    with pytest.raises(InputError, match="no split test"):
        evaluate(ds, path, ["test"], missing="empty")


def test_lavt_refzom_and_sesame(tmp_path):
    ds, path = protocol_case(tmp_path)
    lavt = evaluate(ds, path, protocol="lavt")
    _check(lavt, {"mIoU": 40.0, "oIoU": 100 * 34 / 52, "P@0.5": 60.0, "P@0.6": 20.0})
    assert lavt["counts"]["negatives"] == 0
    # Ref-ZOM keeps the crowd annotation: D1's union is 8 px
    _check(evaluate(ds, path, protocol="refzom"), {"mIoU": 40.0, "oIoU": 100 * 34 / 60, "N-acc": 50.0})
    # SESAME: A1 A2 C2 A3 B2 answered right of 9; cIoU over every query
    _check(evaluate(ds, path, protocol="sesame"), {"exist_acc": 100 * 5 / 9, "cIoU_all": 100 * 34 / 60})


def test_sum_is_one_parts_rule_drops_overlapping_polygon_parts(tmp_path):
    parts = [[2, 2, 12, 2, 12, 12, 2, 12], [8, 8, 18, 8, 18, 18, 8, 18]]
    ds = _write(tmp_path, "parts", {1: (20, 20)}, [
        {"ref_id": 1, "image_id": 1, "split": "val", "targets": [1], "sentences": [sentence(1, "thing")]}],
        [_ann(1, 1, polygons=parts)])
    decoded = mask_utils.decode(mask_utils.frPyObjects(parts, 20, 20)).astype(int)
    union, once = decoded.sum(axis=2) > 0, decoded.sum(axis=2) == 1
    assert union.sum() > once.sum()  # the parts overlap
    path = write_predictions(tmp_path / "p.jsonl", ds, {1: (union, 0.9)})
    assert evaluate(ds, path, protocol="default")["metrics"]["mIoU"] == pytest.approx(100.0)
    sesame = evaluate(ds, path, protocol="sesame")["metrics"]["cIoU_all"]
    assert sesame == pytest.approx(100 * once.sum() / union.sum())
    lavt = evaluate(ds, path, protocol="lavt")["metrics"]["mIoU"]
    gt480, pred480 = pil_resize(once, 480), pil_resize(union, 480)
    assert lavt == pytest.approx(100 * (gt480 & pred480).sum() / (gt480 | pred480).sum())


def test_sum_is_one_rule_on_several_targets_is_the_dense_or_of_part_counts(tmp_path):
    """Several targets under ``sum==1``: SESAME ORs the targets' uint8 part counts and keeps the value 1 (1|1
    stays, 2|1 = 3 drops); the ground truth, merged in RLE space, is that mask, pixel for pixel."""
    from rris_bench.metrics.references import reference_masks
    a_parts = [[2, 2, 12, 2, 12, 12, 2, 12], [8, 8, 18, 8, 18, 18, 8, 18]]
    b_parts = [[10, 0, 20, 0, 20, 10, 10, 10], [0, 14, 5, 14, 5, 20, 0, 20]]
    ds = _write(tmp_path, "multi", {1: (20, 20)}, [
        {"ref_id": 1, "image_id": 1, "split": "val", "targets": [1, 2], "sentences": [sentence(1, "things")]}],
        [_ann(1, 1, polygons=a_parts), _ann(2, 1, polygons=b_parts)])
    counts = [mask_utils.decode(mask_utils.frPyObjects(p, 20, 20)).astype(np.uint8).sum(axis=2)
              for p in (a_parts, b_parts)]
    want = (counts[0] | counts[1]) == 1
    total = counts[0] + counts[1]
    assert (total == 1).sum() < want.sum() < (total > 0).sum()  # 1|1 stays (a sum would drop it), 2|1 drops
    for name in ("sesame", "rris-official", "lavt"):
        rles, areas = reference_masks(ds, ds.refs_in(), PROTOCOLS[name])
        assert (masks.decode(rles[0]) == want).all() and areas[0] == want.sum()


def test_gres_rasterises_scaled_polygons_so_an_exact_mask_scores_below_100(tmp_path):
    polygon = [[1.5, 1.2, 8.3, 2.1, 6.7, 8.8, 2.2, 7.4]]
    ds = _write(tmp_path, "poly", {1: (10, 13)}, [
        {"ref_id": 1, "image_id": 1, "split": "val", "targets": [1], "sentences": [sentence(1, "thing")]}],
        [_ann(1, 1, polygons=polygon)])
    exact = mask_utils.decode(mask_utils.frPyObjects(polygon, 10, 13))[:, :, 0] > 0
    path = write_predictions(tmp_path / "p.jsonl", ds, {1: (exact, 0.9)})
    assert evaluate(ds, path)["metrics"]["gIoU"] == pytest.approx(100.0)
    scaled = [(np.array(polygon[0]).reshape(-1, 2) * [480 / 13, 480 / 10]).reshape(-1).tolist()]
    gt = mask_utils.decode(mask_utils.frPyObjects(scaled, 480, 480))[:, :, 0] > 0
    pred = pil_resize(exact, 480)
    want = 100 * (gt & pred).sum() / (gt | pred).sum()
    got = evaluate(ds, path, protocol="gres")["metrics"]
    assert got["gIoU"] == pytest.approx(want) and got["cIoU_all"] == pytest.approx(want) and want < 99


def test_profile_rules_are_in_the_record_and_the_table(tmp_path):
    ds, path = protocol_case(tmp_path)
    record = evaluate(ds, path, protocol="rris-official")
    rules = record["protocol"]
    for key in ("resolution", "side", "parts", "crowd", "splits", "averaging", "empty_union", "no_target_rule",
                "no_target_scoring", "printed_as", "metrics", "source"):
        assert key in rules, key
    assert rules["no_target_rule"] == "score:0.5" and rules["no_target_rule_source"] == "the profile's default"
    assert set(record["definitions"]) == set(record["metrics"])
    text = format_record(record)
    assert "protocol rris-official, no target = score:0.5" in text and "printed as 'r'" in text
    json.dumps(record, allow_nan=False)


def test_bad_protocol_options(tmp_path):
    ds, path = protocol_case(tmp_path)
    with pytest.raises(InputError, match="unknown protocol"):
        evaluate(ds, path, protocol="nosuch")
    with pytest.raises(InputError, match="score:T"):
        evaluate(ds, path, no_target_rule="score:2")
    with pytest.raises(InputError, match="scores at 480"):
        evaluate(ds, path, protocol="gres", resolution=320)
    no_scores = write_predictions(tmp_path / "n.json", ds, {s: (None, None) for s in ds.sentences},
                                  fmt="list", scores=False)
    with pytest.raises(InputError, match="needs existence scores"):
        evaluate(ds, no_scores, protocol="rris-official")


def test_explain_names_every_profile_and_its_differences():
    text = explain()
    for name in PROTOCOLS:
        assert f"\n{name}: " in text
    assert "differs from default in no target when (default rule): score:0.5" in text
    one = explain("gres")
    assert "gres: " in one and "\nlavt: " not in one


def test_threshold_sweep_rows_operating_points_and_threshold_from(tmp_path):
    ds, path = protocol_case(tmp_path)
    record = evaluate(ds, path, threshold_sweep=True)
    sweep = record["threshold_sweep"]
    row = {r["threshold"]: r for r in sweep["rows"]}
    # T = 0.5 empties A2 (.4), B1 (.3), A3, C1 (scores below) and the empty masks: negatives A3 B1 B2 empty,
    # C3 (.8) not -> N-acc 75; positives with a target: A1, C2 (D1 is empty) -> T-acc 40
    assert row[0.5]["N-acc"] == pytest.approx(75.0) and row[0.5]["T-acc"] == pytest.approx(40.0)
    assert row[0.5]["rule"] == "score:0.5"
    # T = 0: only empty masks answer no target, the default rule's numbers
    assert row[0.0]["N-acc"] == pytest.approx(DEFAULT["N-acc"]) and row[0.0]["gIoU"] == pytest.approx(DEFAULT["gIoU"])
    # T-acc >= 95% is out of reach (two positives are empty); the best gIoU is the chosen threshold
    assert sweep["at_T-acc"]["95"] is None
    best = max(r["gIoU"] for r in sweep["rows"])
    assert sweep["chosen"]["gIoU"] == best and row[sweep["chosen"]["threshold"]]["gIoU"] == best
    val = tmp_path / "val.result.json"
    val.write_text(json.dumps(record))
    from rris_bench.metrics.sweep import threshold_from
    rule, source = threshold_from(val)
    assert rule == f"score:{sweep['chosen']['threshold']:g}" and "val.result.json" in source
    applied = evaluate(ds, path, no_target_rule=rule, rule_source=source)
    assert applied["metrics"]["gIoU"] == pytest.approx(best)
    assert applied["protocol"]["no_target_rule_source"] == source
    assert applied["decision_rules"]["gIoU"] == rule and applied["decision_rules"]["AUROC"].startswith("score")


def test_fixed_t_acc_operating_point_is_the_highest_threshold_reaching_it(tmp_path):
    ds, path = protocol_case(tmp_path)
    sweep = evaluate(ds, path, protocol="gres", threshold_sweep=True)["threshold_sweep"]
    # GRES answers by score alone: positive scores .9 .4 .1 .7 .5; 95% of 5 needs all five: T = .1
    point = sweep["at_T-acc"]["95"]
    assert point["threshold"] == pytest.approx(0.1) and point["T-acc"] == pytest.approx(100.0)


def test_cli_threshold_sweep_writes_the_plot_and_threshold_from_reads_it(tmp_path, capsys):
    from rris_bench.cli import main
    ds, path = protocol_case(tmp_path)
    out = tmp_path / "val.result.json"
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(path), "--data-root", str(tmp_path), "--dataset", "ptoy", "--threshold-sweep",
              "--out", str(out)])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "against the existence-score threshold" in text and "max gIoU" in text
    assert (tmp_path / "val.result.sweep.png").stat().st_size > 0
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(path), "--data-root", str(tmp_path), "--dataset", "ptoy", "--threshold-from",
              str(out), "--out", str(tmp_path / "test.json")])
    assert exit_info.value.code == 0
    assert "max gIoU" in json.loads((tmp_path / "test.json").read_text())["protocol"]["no_target_rule_source"]
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(path), "--data-root", str(tmp_path), "--dataset", "ptoy", "--threshold-from",
              str(tmp_path / "test.json")])
    assert exit_info.value.code == 2 and "threshold_sweep.chosen" in capsys.readouterr().err
