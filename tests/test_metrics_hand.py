"""Every metric id against values worked out by hand; not-applicable metrics; bootstrap; --resolution 480."""
from __future__ import annotations

import json

import numpy as np
import pytest

from metrics_cases import box, hand_case, pil_resize, sentence, write_case, write_predictions
from rris_bench.metrics import METRIC_IDS, evaluate, format_record
from rris_bench.metrics.ranking import average_precision, roc_auc
from rris_bench.datasets import load_dataset


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))


# The hand case (tests/metrics_cases.py: hand_case), 10 x 10 images:
#   ref 1: gt rows 0-3 x cols 0-4 (20 px); positives: exact (I 20, U 20), twice as wide (I 20, U 40),
#          empty (I 0, U 20); negatives: empty, a 5 px false positive
#   ref 2: gt rows 0-9 x cols 0-1 (20 px); one positive, 30 px covering it (I 20, U 30); no negatives
#   ref 3: gt rows 5-9 x cols 5-9 (25 px); positive 20 px inside (I 20, U 25); negatives: empty, a 10 px
#          false positive, empty
IOUS = [1.0, 0.5, 0.0, 2 / 3, 0.8]
HAND = {
    "mIoU": 100 * sum(IOUS) / 5,
    "mIoU_ref": 100 * ((1 + 0.5 + 0) / 3 + 2 / 3 + 0.8) / 3,
    "oIoU": 100 * 80 / 135,
    "P@0.5": 80.0, "P@0.6": 60.0, "P@0.7": 40.0, "P@0.8": 40.0, "P@0.9": 20.0,
    "mRR": 100 * (1 / 2 + 2 / 3) / 2,                      # ref 2 has no negatives: not averaged
    "rIoU": 100 * (40 / (80 + 5) + 20 / 30 + 20 / (25 + 10)) / 3,
    "gIoU": 100 * (sum(IOUS) + 3) / 10,
    "cIoU_all": 100 * 80 / (135 + 5 + 10),
    "N-acc": 60.0, "T-acc": 80.0,
    # scores: positives .9 .8 .3 .7 .6, negatives .1 .6 .2 .5 .05 -> 22.5 of 25 pairs ordered right
    "AUROC": 90.0,
    "AP": 100 * (0.2 + 0.2 + 0.2 + 0.2 * 0.8 + 0.2 * 5 / 7),
}


def test_every_metric_id_equals_the_hand_value(tmp_path):
    ds, preds = hand_case(tmp_path)
    record = evaluate(ds, write_predictions(tmp_path / "p.jsonl", ds, preds), ["val"])
    assert set(record["metrics"]) == set(METRIC_IDS) == set(HAND)
    for metric, value in HAND.items():
        assert record["metrics"][metric] == pytest.approx(value, abs=1e-9), metric
    assert record["counts"] == {"refs": 3, "refs_with_negatives": 2, "sentences": 10, "positives": 5,
                                "negatives": 5, "missing_filled": 0, "missing_skipped": 0, "positives_with_empty_ground_truth": 0,
                                "degenerate_polygon_parts": 0}


def test_without_scores_auroc_and_ap_are_not_applicable(tmp_path):
    ds, preds = hand_case(tmp_path)
    record = evaluate(ds, write_predictions(tmp_path / "p.json", ds, preds, fmt="list", scores=False), ["val"])
    assert record["metrics"]["AUROC"] is None and record["metrics"]["AP"] is None
    assert record["curves"] == {}
    assert record["metrics"]["mRR"] == pytest.approx(HAND["mRR"])


def test_plain_refcoco_without_negatives_reports_no_target_metrics_as_not_applicable(tmp_path):
    refs = [{"ref_id": 1, "image_id": 1, "split": "val", "category_id": 1,
             "sentences": [{"sent_id": 1, "raw": "man", "sent": "man", "tokens": ["man"]}]}]  # no exist key
    write_case(tmp_path, "plain", {1: (10, 10)}, refs, {1: box(0, 5, 0, 5)})
    ds = load_dataset(tmp_path, "plain")
    record = evaluate(ds, write_predictions(tmp_path / "p.json", ds, {1: (box(0, 5, 0, 10), 0.5)}), ["val"])
    m = record["metrics"]
    assert m["mRR"] is None and m["N-acc"] is None and m["AUROC"] is None and m["AP"] is None
    assert m["mIoU"] == pytest.approx(50.0) and m["gIoU"] == pytest.approx(50.0) and m["T-acc"] == 100.0
    text = format_record(record, "table")
    assert "n/a" in text and "nan" not in text.lower()
    json.dumps(record, allow_nan=False)


def test_strategy_breakdown_gives_mrr_per_strategy(tmp_path):
    ds, preds = hand_case(tmp_path)
    record = evaluate(ds, write_predictions(tmp_path / "p.jsonl", ds, preds), ["val"], by=["strategy,verified"])
    strategy = record["breakdowns"]["strategy"]
    assert set(strategy) == {"positive", "random_category", "relation_swap", "object_swap"}
    assert strategy["random_category"]["metrics"]["mRR"] == 100.0   # sentences 14, 32, 34 all empty
    assert strategy["relation_swap"]["metrics"]["mRR"] == 0.0      # sentence 15: 5 px false positive
    assert strategy["positive"]["metrics"]["mIoU"] == pytest.approx(HAND["mIoU"])
    assert strategy["object_swap"]["metrics"]["mIoU"] is None
    assert set(record["breakdowns"]["verified"]) == {"positive", "category_absent"}


def _many_refs(tmp_path, n_refs, rng):
    """n_refs refs, one image each, 2 positives + 2 negatives with random quality predictions."""
    refs, gts, preds, sid = [], {}, {}, 1
    for r in range(1, n_refs + 1):
        gts[r] = box(2, 8, 2, 8, 10, 14)
        sents = [sentence(sid, "a"), sentence(sid + 1, "b"),
                 sentence(sid + 2, "c", False), sentence(sid + 3, "d", False)]
        for k, s in enumerate(sents):
            if k < 2:
                e = int(rng.integers(0, 5))
                preds[s["sent_id"]] = (box(2, 8, 2 + e, 8 + e, 10, 14), float(rng.random()))
            else:
                preds[s["sent_id"]] = (None if rng.random() < 0.6 else box(0, 2, 0, 2, 10, 14), float(rng.random()))
        refs.append({"ref_id": r, "image_id": r, "split": "val", "category_id": 1, "sentences": sents})
        sid += 4
    write_case(tmp_path, "many", {r: (10, 14) for r in range(1, n_refs + 1)}, refs, gts)
    ds = load_dataset(tmp_path, "many")
    return ds, write_predictions(tmp_path / f"p{n_refs}.jsonl", ds, preds)


def test_bootstrap_interval_contains_the_estimate_and_shrinks_with_more_refs(tmp_path):
    rng = np.random.default_rng(0)
    small_ds, small = _many_refs(tmp_path / "s", 20, rng)
    big_ds, big = _many_refs(tmp_path / "b", 400, rng)
    r_small = evaluate(small_ds, small, ["val"], ci=0.95, seed=1)
    r_big = evaluate(big_ds, big, ["val"], ci=0.95, seed=1)
    for record in (r_small, r_big):
        for metric in ("mIoU", "mIoU_ref", "oIoU", "mRR", "rIoU", "gIoU", "cIoU_all", "N-acc"):
            lo, hi = record["intervals"][metric]
            assert lo <= record["metrics"][metric] <= hi, metric
    for metric in ("mIoU", "mRR", "rIoU", "gIoU"):
        width = lambda r: r["intervals"][metric][1] - r["intervals"][metric][0]  # noqa: E731
        assert width(r_big) < width(r_small) / 2, metric
    assert evaluate(small_ds, small, ["val"], ci=0.95, seed=1)["intervals"] == r_small["intervals"]


def test_resolution_480_resizes_like_the_official_code(tmp_path):
    # 960 x 960 images: Pillow's nearest resize to 480 keeps odd rows and columns only
    gt = box(0, 480, 0, 960, 960, 960)
    line = gt.copy()
    line[600, :] = True                      # an even row: 960 extra pixels, gone at 480
    dot = np.zeros((960, 960), dtype=bool)
    dot[600, 600] = True                     # a one-pixel false positive on an even row: gone at 480
    dot_odd = np.zeros((960, 960), dtype=bool)
    dot_odd[601, 601] = True                 # kept: 1 pixel at 480 (stands for 4 px of the original)
    refs = [{"ref_id": 1, "image_id": 1, "split": "val", "category_id": 1, "sentences": [
        sentence(1, "top half"), sentence(2, "bear", False), sentence(3, "cat", False)]}]
    write_case(tmp_path, "big", {1: (960, 960)}, refs, {1: gt})
    ds = load_dataset(tmp_path, "big")
    path = write_predictions(tmp_path / "p.jsonl", ds, {1: (line, None), 2: (dot, None), 3: (dot_odd, None)},
                             scores=False)
    native = evaluate(ds, path, ["val"])["metrics"]
    at480 = evaluate(ds, path, ["val"], resolution=480)["metrics"]
    assert native["mIoU"] == pytest.approx(100 * 480 * 960 / (481 * 960))
    assert native["mRR"] == 0.0 and native["rIoU"] == pytest.approx(100 * 480 * 960 / (481 * 960 + 2))
    assert at480["mIoU"] == 100.0
    assert at480["mRR"] == 50.0 and at480["N-acc"] == 50.0
    assert at480["rIoU"] == pytest.approx(100 * 240 * 480 / (240 * 480 + 1))
    # and the same numbers as Pillow's resize of the dense masks, which the official code uses
    g, p, d = pil_resize(gt, 480), pil_resize(line, 480), pil_resize(dot_odd, 480)
    assert at480["rIoU"] == pytest.approx(100 * (g & p).sum() / ((g | p).sum() + d.sum()))


def test_ranking_metrics_handle_ties():
    labels = np.array([1, 0, 1, 0], dtype=bool)
    assert roc_auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(labels, np.array([0.9, 0.1, 0.8, 0.2])) == 1.0
    assert average_precision(labels, np.array([0.9, 0.1, 0.8, 0.2])) == 1.0
    assert average_precision(labels, np.array([0.1, 0.9, 0.2, 0.8])) == pytest.approx((1 / 3 + 2 / 4) / 2)
