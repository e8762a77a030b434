"""The per-sentence table with pandas: ``per_sample_frame`` equals the ``--per-sample`` JSON Lines row for row,
the CSV and Parquet files read back to the same DataFrame, the format follows the extension, a missing pyarrow
is one line with exit 2, and pandas is imported only when a table is made."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from harness_world import EXAMPLE, toy_world
from metrics_cases import hand_case, write_predictions
from rris_bench.run import harness
from rris_bench.metrics import evaluate, per_sample_frame
from rris_bench.metrics.stats import BREAKDOWNS

COLUMNS = ["sent_id", "ref_id", "exists", "I", "U", "pred_area", "gt_area", "iou", "no_target", "score",
           *BREAKDOWNS]


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """The toy world and the colour adapter's predictions on it (scores, every breakdown has several groups)."""
    root = tmp_path_factory.mktemp("toy")
    dataset = toy_world(root)
    out = root / "colour.jsonl"
    harness.run(f"{EXAMPLE}:ColourAdapter", dataset, "val", out, progress=False)
    return root, dataset, out


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rris_bench.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def jsonl_rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("options", [{}, {"no_target_rule": "score:0.5", "resolution": 64}])
def test_the_frame_equals_the_per_sample_json_lines_row_for_row(toy, tmp_path, options):
    root, dataset, predictions = toy
    args = [f"--{k.replace('_', '-')}={v}" for k, v in options.items()]
    done = cli("evaluate", predictions, "--data-root", root, "--out", tmp_path / "r.json",
               "--per-sample", tmp_path / "s.jsonl", *args)
    assert done.returncode == 0, done.stderr
    rows = jsonl_rows(tmp_path / "s.jsonl")
    frame = per_sample_frame(dataset, predictions, ["val"], **options)
    assert list(frame.columns) == COLUMNS and len(frame) == len(rows) == 237
    assert frame.to_dict("records") == rows  # same values, same order, column for key
    assert [list(r) for r in rows] == [COLUMNS] * len(rows)
    assert frame["sent_id"].is_unique and frame["exists"].sum() == 37
    assert frame.dtypes[["sent_id", "ref_id", "I", "U", "pred_area", "gt_area"]].eq("int64").all()
    assert frame.dtypes[["exists", "no_target"]].eq(bool).all() and frame.dtypes["iou"] == "float64"
    positives = frame[frame.exists]  # the record's mIoU is the mean IoU of the positives
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["metrics"]["mIoU"] == pytest.approx(100 * positives.iou.mean(), abs=1e-6)
    assert record["metrics"]["N-acc"] == pytest.approx(100 * frame[~frame.exists].no_target.mean(), abs=1e-6)


def test_hand_worked_rows_and_missing_skip(tmp_path):
    ds, preds = hand_case(tmp_path)
    del preds[21]
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    evaluate(ds, path, ["val"], missing="skip", per_sample=tmp_path / "s.jsonl")
    frame = per_sample_frame(ds, path, ["val"], missing="skip")
    assert frame.to_dict("records") == jsonl_rows(tmp_path / "s.jsonl")
    assert 21 not in set(frame.sent_id) and len(frame) == 9
    row = frame.set_index("sent_id").loc[12]
    assert (row.ref_id, row.exists, row.I, row.U, row.pred_area, row.gt_area, row.iou) == (1, True, 20, 40, 40, 20,
                                                                                          0.5)


def test_csv_and_parquet_read_back_to_the_same_frame(toy, tmp_path):
    pytest.importorskip("pyarrow")
    root, dataset, predictions = toy
    frame = per_sample_frame(dataset, predictions, ["val"])
    for name in ("s.csv", "s.parquet"):
        done = cli("evaluate", predictions, "--data-root", root, "--out", tmp_path / "r.json",
                   "--per-sample", tmp_path / name)
        assert done.returncode == 0, done.stderr
    assert_frame_equal(pd.read_csv(tmp_path / "s.csv", keep_default_na=False), frame)
    assert_frame_equal(pd.read_parquet(tmp_path / "s.parquet"), frame)
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    again = tmp_path / "again.csv"
    assert cli("evaluate", predictions, "--data-root", root, "--out", tmp_path / "r.json",
               "--per-sample", again).returncode == 0
    assert again.read_bytes() == (tmp_path / "s.csv").read_bytes()  # deterministic bytes


def test_without_pyarrow_parquet_is_refused_in_one_line(toy, tmp_path):
    root, _, predictions = toy
    code = ("import sys; sys.modules['pyarrow'] = None; from rris_bench.cli import main; "  # import fails
            f"main({['evaluate', str(predictions), '--data-root', str(root), '--out', str(tmp_path / 'r.json'), '--per-sample', str(tmp_path / 's.parquet')]!r})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"rris-bench: error: {tmp_path / 's.parquet'}: --per-sample: writing Parquet "
                                   "needs pyarrow, which is not installed: pip install pyarrow (or "
                                   "rris-bench[parquet]), or write .csv or .jsonl")
    assert list(tmp_path.iterdir()) == []  # refused at the door: nothing scored, nothing written


def test_an_unknown_extension_is_refused_at_the_door(toy, tmp_path):
    root, _, predictions = toy
    done = cli("evaluate", predictions, "--data-root", root, "--out", tmp_path / "r.json",
               "--per-sample", tmp_path / "s.txt")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "--per-sample: cannot tell the format from '.txt': end the file name in .jsonl, .csv, .parquet" \
        in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_pandas_is_imported_only_when_a_table_is_made(toy, tmp_path):
    root, _, predictions = toy
    code = ("import sys; import rris_bench, rris_bench.metrics, rris_bench.cli, rris_bench.commands.evaluate, "
            "rris_bench.report.leaderboard; "
            "print(sorted(m for m in ('pandas', 'torch') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
