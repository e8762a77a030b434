"""The two-process split gives exactly the one-process results, and a failure in the child surfaces."""
from __future__ import annotations

import json

import numpy as np
import pytest

from metrics_cases import dense_metrics, random_predictions, with_negatives, write_predictions
from rris_bench.errors import InputError
from rris_bench.metrics import evaluate, halves
from rris_bench.datasets import load_dataset


def test_in_halves_merges_in_order_and_reraises(monkeypatch):
    monkeypatch.setattr(halves, "MIN_ROWS", 1)
    data = np.arange(101)
    out = halves.in_halves(lambda a, b: data[a:b] * 2, 101, lambda x, y: np.concatenate([x, y]))
    assert (out == data * 2).all()

    def failing(a, b):
        if a > 0:
            raise InputError("bad line in the second half", "p.jsonl", "line 9")
        return []
    with pytest.raises(InputError, match="p.jsonl: line 9: bad line in the second half"):
        halves.in_halves(failing, 10, lambda x, y: x + y)

    class Unpicklable(Exception):  # a local class: pickling it fails, its traceback comes back as text
        pass

    def failing_oddly(a, b):
        if a > 0:
            raise Unpicklable("odd failure")
        return []
    with pytest.raises(RuntimeError, match="odd failure"):
        halves.in_halves(failing_oddly, 10, lambda x, y: x + y)

    def both_failing(a, b):
        raise InputError(f"failed at {a}")
    with pytest.raises(InputError, match="failed at 0"):  # the first half's error wins
        halves.in_halves(both_failing, 10, lambda x, y: x + y)


def test_forked_engine_agrees_with_dense(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(halves, "MIN_ROWS", 1)
    with_negatives(load_dataset(fixtures_dir, "refcocog_umd_mini", "umd"), tmp_path, "rmini", per_ref=3)
    ds = load_dataset(tmp_path, "rmini")
    preds = random_predictions(ds, np.random.default_rng(11))
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    record = evaluate(ds, path, None)
    for metric, value in dense_metrics(ds, preds).items():
        assert abs(record["metrics"][metric] - value) < 1e-9, metric


def _rmini(fixtures_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    with_negatives(load_dataset(fixtures_dir, "refcocog_umd_mini", "umd"), tmp_path, "rmini", per_ref=3)
    return load_dataset(tmp_path, "rmini")


def _both_ways(monkeypatch, run):
    """``run()`` on one process, then with every job split in two processes."""
    monkeypatch.setattr(halves, "MIN_ROWS", 1 << 62)
    alone = run()
    monkeypatch.setattr(halves, "MIN_ROWS", 1)
    return alone, run()


@pytest.mark.parametrize("fmt", ["jsonl", "wrapped"])
@pytest.mark.parametrize("resolution", [None, 64])
def test_two_processes_give_the_one_process_record(fixtures_dir, tmp_path, monkeypatch, fmt, resolution):
    ds = _rmini(fixtures_dir, tmp_path, monkeypatch)
    preds = random_predictions(ds, np.random.default_rng(5))
    path = write_predictions(tmp_path / f"p.{fmt}", ds, preds, fmt=fmt)
    alone, split = _both_ways(monkeypatch, lambda: evaluate(ds, path, None, resolution=resolution, by=["strategy"]))
    assert alone == split


def _error(run):
    with pytest.raises(InputError) as info:
        run()
    return str(info.value)


def test_two_processes_report_the_same_problems(fixtures_dir, tmp_path, monkeypatch):
    """Problems in both halves, and a duplicate whose first record is in the other half."""
    ds = _rmini(fixtures_dir, tmp_path, monkeypatch)
    path = write_predictions(tmp_path / "p.jsonl", ds, random_predictions(ds, np.random.default_rng(6)))
    lines = path.read_text().splitlines()
    records = [json.loads(x) for x in lines[1:]]
    n = len(records)
    first_sid = records[1]["sent_id"]
    records[0]["sent_id"] = 10 ** 9                                       # unknown, first half
    records[n - 1]["sent_id"] = first_sid                                  # duplicate of a first-half record
    records[n - 1]["image_id"] = -5                                        # ... with a problem of its own
    records[n - 2]["score"] = None                                         # missing score, second half
    nonempty = [k for k in range(n // 2 + 1, n - 2) if records[k]["segmentation"]]
    records[nonempty[0]]["segmentation"]["counts"] += "a"                  # broken RLE, second half
    records[3]["image_id"] = 0                                             # wrong image, first half
    path.write_text("\n".join([lines[0]] + [json.dumps(r) for r in records]) + "\n")
    alone, split = _both_ways(monkeypatch, lambda: _error(lambda: evaluate(ds, path, None)))
    assert alone == split
    assert f"record #{n - 1} (sent_id {first_sid}): sent_id: duplicate (first seen in record #1)" in split
    assert f"record #{n - 1} (sent_id {first_sid}): image_id" not in split  # a duplicate is not checked further
    assert "record #0 (sent_id 1000000000): sent_id: unknown" in split and "malformed RLE" in split
    assert f"record #{n - 2} (sent_id {records[n - 2]['sent_id']}): score: missing" in split


def test_a_bad_line_in_the_second_half_is_named(fixtures_dir, tmp_path, monkeypatch):
    ds = _rmini(fixtures_dir, tmp_path, monkeypatch)
    path = write_predictions(tmp_path / "p.jsonl", ds, random_predictions(ds, np.random.default_rng(7)))
    lines = path.read_text().splitlines()
    lines[-2] = lines[-2][:-1]
    path.write_text("\n".join(lines) + "\n")
    alone, split = _both_ways(monkeypatch, lambda: _error(lambda: evaluate(ds, path, None)))
    assert alone == split and f"line {len(lines) - 1}: not valid JSON" in split


@pytest.mark.parametrize("resolution", [None, 64])
def test_missing_predictions_count_as_written_empty_ones(fixtures_dir, tmp_path, monkeypatch, resolution):
    """Rows without a record (--missing empty) score as records with a null mask, resized ground truth
    included, on one process and on two."""
    ds = _rmini(fixtures_dir, tmp_path, monkeypatch)
    preds = random_predictions(ds, np.random.default_rng(8))
    dropped = [sid for sid in list(preds)[::4] if ds.sentences[sid].get("exist", True)]
    written = write_predictions(tmp_path / "nulls.jsonl", ds, {**preds, **{s: (None, preds[s][1]) for s in dropped}})
    absent = write_predictions(tmp_path / "absent.jsonl", ds, {s: v for s, v in preds.items() if s not in dropped})
    want = evaluate(ds, written, None, resolution=resolution)["metrics"]
    alone, split = _both_ways(monkeypatch, lambda: evaluate(ds, absent, None, resolution=resolution,
                                                          missing="empty"))
    assert alone == split and alone["counts"]["missing_filled"] == len(dropped) > 0
    for name, value in want.items():
        if name not in ("AUROC", "AP"):  # a missing record has no score: these differ by design
            assert alone["metrics"][name] == value, name
