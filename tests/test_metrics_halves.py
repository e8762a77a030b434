"""The two-process split gives exactly the one-process results, and a failure in the child surfaces."""
from __future__ import annotations

import numpy as np
import pytest

from metrics_cases import dense_metrics, random_predictions, with_negatives, write_predictions
from rris_bench.metrics import evaluate, halves
from rris_bench.refer import load_dataset


def test_in_halves_merges_in_order_and_reraises(monkeypatch):
    monkeypatch.setattr(halves, "MIN_ROWS", 1)
    data = np.arange(101)
    out = halves.in_halves(lambda a, b: data[a:b] * 2, 101, lambda x, y: np.concatenate([x, y]))
    assert (out == data * 2).all()

    def failing(a, b):
        if a > 0:
            raise ValueError("boom in the second half")
        return []
    with pytest.raises(RuntimeError, match="boom in the second half"):
        halves.in_halves(failing, 10, lambda x, y: x + y)


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
