"""The leaderboard's records as a pandas DataFrame: one row per record, one column per metric id, and the
tables built from it (the rendered tables themselves are pinned in test_leaderboard.py)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from rris_bench.errors import InputError
from rris_bench.report import records_frame
from rris_bench.report.frames import RECORD_COLUMNS, build_tables
from rris_bench.report.records import add_record, record_filename
from test_leaderboard import make_records, measured

REPO = Path(__file__).resolve().parents[1]


def test_one_row_per_record_one_column_per_metric(tmp_path):
    records = make_records()
    for record in records:
        add_record(record, tmp_path)
    frame = records_frame(tmp_path)
    assert list(frame.columns[:len(RECORD_COLUMNS)]) == RECORD_COLUMNS
    metric_ids = list(frame.columns[len(RECORD_COLUMNS):])
    assert metric_ids == ["mIoU", "P@0.5", "P@0.6", "P@0.7", "P@0.8", "P@0.9", "mRR", "rIoU", "AUROC"]  # engine order
    assert len(frame) == len(records) and list(frame.file) == sorted(record_filename(r) for r in records)
    by_file = frame.set_index("file")
    for record in records:
        row = by_file.loc[record_filename(record)]
        assert row.kind == record["kind"] and row.model == record["model"] and row.split == record["split"]
        for metric in metric_ids:
            value = record["metrics"].get(metric)
            assert math.isnan(row[metric]) if value is None else row[metric] == value
    assert frame.dtypes[metric_ids].eq("float64").all() and str(frame.dtypes["refs"]) == "Int64"
    measured_rows = frame[frame.kind == "measured"]
    assert set(measured_rows.note) == {"oracle.jsonl", "empty.jsonl", "tiny.jsonl"}
    assert measured_rows.refs.eq(4).all() and frame[frame.kind == "reported"].refs.isna().all()
    # what a notebook does with it: the best rIoU per dataset and split among measured rows
    best = measured_rows.loc[measured_rows.groupby("split").rIoU.idxmax(), ["split", "model", "rIoU"]]
    assert best.values.tolist() == [["testA", "tiny", 38.5], ["val", "oracle", 100.0]]


def test_a_folder_and_the_list_of_its_records_give_the_same_frame(tmp_path):
    records = make_records()
    for record in records:
        add_record(record, tmp_path)
    pd.testing.assert_frame_equal(records_frame(tmp_path), records_frame(list(reversed(records))))


def test_the_shipped_board_as_a_frame():
    frame = records_frame(REPO / "leaderboards")
    assert len(frame) == len(list((REPO / "leaderboards").glob("*.json"))) and set(frame.kind) == {"reported"}
    riou = frame[(frame.dataset == "rrefcoco") & (frame.protocol == "rris-official")].set_index("model").rIoU
    assert riou.idxmax() == "RefSegformer"  # the R-RIS paper's best model on R-RefCOCO


def test_tables_rank_as_displayed_and_mark_the_best_of_two_or_more():
    records = [measured("b", rIoU=50.004), measured("a", rIoU=50.001), measured("c", rIoU=None, mRR=70.0),
               measured("d", rIoU=10.0, mRR=20.0)]
    (table,) = build_tables(records_frame(records), ["rIoU", "mRR"])
    assert [r.model for r in table.rows] == ["a", "b", "d", "c"]  # 50.00 = 50.00: by name; no rIoU last
    assert [r.cells for r in table.rows] == [["50.00", "–"], ["50.00", "–"], ["10.00", "20.00"], ["–", "70.00"]]
    assert [r.best for r in table.rows] == [[True, False], [True, False], [False, False], [False, True]]


def test_a_bad_record_is_refused_by_name():
    bad = measured("x", rIoU=120.0)
    with pytest.raises(InputError, match="x/rtoy/val: metrics.rIoU: must be a percentage"):
        records_frame([bad])
