"""The demo end to end on a small toy world with the trivial baselines (the trained models have their own tests)."""
import json

import pytest

from rris_bench.cli import main
from rris_bench.demo import run_demo

SMALL = {"train": 6, "val": 12, "testA": 3, "testB": 3}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    runs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        runs.append((out, run_demo(out, models=["empty", "oracle", "gt-box"], n_images=SMALL, progress=False,
                                   log=lambda _: None)))
    return runs


def test_demo_writes_every_stage(two_runs):
    out, result = two_runs[0]
    assert (out / "data" / "rtoy" / "manifest.json").is_file()
    for model in ("empty", "oracle", "gt-box"):
        assert (out / "predictions" / f"{model}.jsonl").is_file()
        record = json.loads((out / "results" / f"{model}.json").read_text())
        assert record["model"] == model and record["dataset"] == "rtoy" and record["split"] == "val"
        assert set(record["breakdowns"]["strategy"]) > {"positive", "random_sentence"}
    board = result["board"]
    assert "oracle" in (out / "leaderboard" / "README.md").read_text()
    assert board["html"] and (out / "leaderboard" / "index.html").is_file()


def test_demo_bounds(two_runs):
    metrics = {r["model"]: r["metrics"] for r in two_runs[0][1]["records"]}
    assert metrics["oracle"]["mIoU"] == metrics["oracle"]["rIoU"] == metrics["oracle"]["mRR"] == 100.0
    assert metrics["empty"]["mIoU"] == 0.0 and metrics["empty"]["mRR"] == 100.0
    assert 0.0 < metrics["gt-box"]["mIoU"] < 100.0 and metrics["gt-box"]["mRR"] == 0.0


def test_two_runs_give_identical_data_records_and_tables(two_runs):
    (a, ra), (b, rb) = two_runs
    for rel in ("data/rtoy/refs(unc).p", "data/rtoy/instances.json", "data/rtoy/manifest.json",
                "predictions/gt-box.jsonl", "results/gt-box.json", "leaderboard/README.md",
                "leaderboard/index.html"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert ra["records"] == rb["records"]


def test_unknown_demo_model_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--out", str(tmp_path), "--models", "empty,nope"])
    assert exc.value.code == 2
    assert "unknown demo model(s) nope" in capsys.readouterr().err
