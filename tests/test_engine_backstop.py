"""The engine's backstop: impossible per-sentence statistics stop the run with an internal error naming the
sentence, never a printed score."""
from __future__ import annotations

import numpy as np
import pytest

from metrics_cases import hand_case, write_predictions
from rris_bench import masks
from rris_bench.cli import main
from rris_bench.errors import InternalError
from rris_bench.metrics.engine import check_table
from rris_bench.metrics.stats import SentenceTable


def table(I, U, A, G):
    n = len(I)
    return SentenceTable(np.arange(100, 100 + n), np.arange(n), np.ones(n, bool), *(np.asarray(v) for v in (I, U, A, G)),
                         None, list(range(1, n + 1)))


def test_consistent_statistics_pass():
    check_table(table([0, 5, 3], [10, 5, 9], [4, 5, 7], [6, 5, 5]))


@pytest.mark.parametrize("I,U,A,G", [([-2562], [6425], [2562], [1301]),   # D07: pycocotools on masks of two sizes
                                     ([8], [8], [10], [6]),                # I above the ground truth's area
                                     ([3], [9], [5], [8])])                # U != A + G - I
def test_impossible_statistics_raise_an_internal_error_naming_the_sentence(I, U, A, G):
    with pytest.raises(InternalError, match=r"sent_id 100 \(ref_id 1\)"):
        check_table(table(I, U, A, G))


def test_evaluate_prints_no_score_when_the_intersection_is_impossible(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    ds, preds = hand_case(tmp_path)
    path = write_predictions(tmp_path / "preds.jsonl", ds, preds)
    monkeypatch.setattr(masks, "intersections", lambda rles, gt, areas=None: -np.ones(len(rles), np.int64))
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(path), "--data-root", str(tmp_path), "--out", str(tmp_path / "r.json")])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1 and "mIoU" not in out and not (tmp_path / "r.json").exists()
    assert err.startswith("rris-bench: internal error") and "impossible statistics for sent_id" in err
    assert len(err.strip().splitlines()) == 1
