"""The engine (RLE space) agrees with an independent dense numpy evaluator to 1e-9, on real polygons and
on the toy world, at the original resolution and at 480 x 480."""
from __future__ import annotations

import numpy as np
import pytest

from metrics_cases import dense_metrics, random_predictions, with_negatives, write_predictions
from rris_bench.metrics import evaluate
from rris_bench.datasets import load_dataset


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))


def _agree(record, expected):
    for metric, value in expected.items():
        got = record["metrics"][metric]
        assert (got is None) == (value is None), metric
        if value is not None:
            assert abs(got - value) < 1e-9, (metric, got, value)


@pytest.fixture(scope="module")
def real(fixtures_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    source = load_dataset(fixtures_dir, "refcocog_umd_mini", "umd")
    with_negatives(source, root, "rmini")
    return root, load_dataset(root, "rmini")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_polygons_agree_with_dense(real, seed, tmp_path):
    root, ds = real
    preds = random_predictions(ds, np.random.default_rng(seed))
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    record = evaluate(ds, path, None)
    _agree(record, dense_metrics(ds, preds))
    assert record["counts"]["negatives"] == 2 * len(ds.refs)


def test_real_polygons_agree_with_dense_at_480(real, tmp_path):
    root, ds = real
    preds = random_predictions(ds, np.random.default_rng(7))
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    _agree(evaluate(ds, path, ["val", "test"], resolution=480), dense_metrics(ds, preds, ["val", "test"], 480))


def test_per_split_selection_agrees(real, tmp_path):
    root, ds = real
    preds = random_predictions(ds, np.random.default_rng(3))
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    for split in ("train", "val", "test"):
        _agree(evaluate(ds, path, [split]), dense_metrics(ds, preds, [split]))


def test_toy_world_agrees_with_dense(tmp_path):
    toy = pytest.importorskip("rris_bench.datasets.toy")
    toy.generate(tmp_path / "toy", seed=3, n_images={"train": 1, "val": 6, "testA": 1, "testB": 1})
    source = load_dataset(tmp_path / "toy", "toy")
    with_negatives(source, tmp_path / "toy", "rtoy", per_ref=3)
    ds = load_dataset(tmp_path / "toy", "rtoy")
    preds = {sid: p for sid, p in random_predictions(ds, np.random.default_rng(5), ["val"]).items()}
    path = write_predictions(tmp_path / "p.json", ds, preds, fmt="wrapped")
    _agree(evaluate(ds, path, ["val"]), dense_metrics(ds, preds, ["val"]))
