"""``rris-bench evaluate``: outputs, options, defaults from the predictions' info, determinism."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from metrics_cases import hand_case, write_predictions
from rris_bench.cli import main
from rris_bench.metrics import DEFINITIONS, METRIC_IDS


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", *args])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def case(tmp_path):
    ds, preds = hand_case(tmp_path)
    return tmp_path, write_predictions(tmp_path / "preds.jsonl", ds, preds)


def test_table_shows_every_id_with_its_definition_and_writes_the_record(case, capsys):
    root, path = case
    code, out, err = run_cli([str(path), "--data-root", str(root)], capsys)
    assert code == 0
    for metric in METRIC_IDS:
        line = next(x for x in out.splitlines() if x.startswith(metric + " "))
        assert DEFINITIONS[metric] in line
    record = json.loads((root / "preds.result.json").read_text())   # default: beside the predictions
    assert record["schema"] == "rris-result/1" and record["kind"] == "measured"
    assert record["model"] == "hand" and record["dataset"] == "rtoy" and record["split"] == "val"  # from info
    assert record["predictions_file"] == "preds.jsonl" and str(root) not in json.dumps(record)
    assert record["breakdowns"] == {} and record["intervals"] == {} and set(record["curves"]) == {"roc"}
    assert len(record["curves"]["roc"]["fpr"]) <= 200


def test_record_is_byte_identical_across_runs(case, capsys, tmp_path):
    root, path = case
    for name in ("a.json", "b.json"):
        assert run_cli([str(path), "--data-root", str(root), "--by", "strategy", "--ci", "0.9",
                        "--out", str(tmp_path / name)], capsys)[0] == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_formats(case, capsys):
    root, path = case
    _, md, _ = run_cli([str(path), "--data-root", str(root), "--format", "markdown", "--by", "length"], capsys)
    assert "| mIoU | 59.33 |" in md and "**by length**" in md
    _, text, _ = run_cli([str(path), "--data-root", str(root), "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["metric"] for r in rows} == set(METRIC_IDS) and rows[0]["definition"] == DEFINITIONS["mIoU"]
    _, text, _ = run_cli([str(path), "--data-root", str(root), "--format", "json"], capsys)
    assert json.loads(text)["metrics"]["N-acc"] == 60.0


def test_breakdowns_and_intervals_in_table_and_record(case, capsys, tmp_path):
    root, path = case
    code, out, _ = run_cli([str(path), "--data-root", str(root), "--by", "strategy,verified", "--by", "category",
                            "--ci", "0.95", "--bootstrap", "200", "--out", str(tmp_path / "r.json")], capsys)
    assert code == 0 and "by strategy:" in out and "by category:" in out and "95% CI" in out
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["options"]["by"] == ["strategy", "verified", "category"] and record["options"]["bootstrap"] == 200
    assert set(record["breakdowns"]["category"]) == {"person", "dog"}
    assert set(record["intervals"]) >= {"mIoU", "mRR", "rIoU"}


def test_per_sample_file(case, capsys, tmp_path):
    root, path = case
    assert run_cli([str(path), "--data-root", str(root), "--per-sample", str(tmp_path / "s.jsonl")], capsys)[0] == 0
    rows = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(rows) == 10
    assert rows[1] == {**rows[1], "sent_id": 12, "ref_id": 1, "exists": True, "I": 20, "U": 40, "pred_area": 40,
                       "gt_area": 20, "iou": 0.5}
    assert rows[4]["exists"] is False and rows[4]["U"] == 5 and rows[4]["strategy"] == "relation_swap"


def test_explain_and_help(capsys):
    code, out, _ = run_cli(["--explain"], capsys)
    assert code == 0 and all(f"{m}: {DEFINITIONS[m]}" in out for m in METRIC_IDS)
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0 and "rris-bench evaluate preds.jsonl" in out


@pytest.mark.parametrize("args, message", [
    (["--split", "nosuch"], "no split nosuch"),
    (["--by", "colour"], "unknown breakdown 'colour'"),
    (["--ci", "1.5"], "between 0 and 1"),
    (["--dataset", "missing"], "file not found"),
    (["--resolution", "0"], "--resolution: the resolution must be from 1 to 4096 pixels, not 0"),
    (["--resolution", "100000"], "--resolution: the resolution must be from 1 to 4096"),  # was 74.5 GiB
    (["--ci", "0.95", "--seed", "-1"], "--seed: the seed must be from 0"),
    (["--bootstrap", "0"], "--bootstrap"),
    (["--model", "a\nb"], "--model: 'a\\nb' is not one line of printable text"),
    (["--dataset", "../rtoy"], "dataset: '../rtoy' is not a dataset name"),
    (["--out", "/proc/version"], "/proc/version: --out: cannot write here"),
    (["--out", "/tmp"], "Invalid value for '--out': File '/tmp' is a directory"),
])
def test_bad_options_exit_2(case, capsys, args, message):
    root, path = case
    code, out, err = run_cli([str(path), "--data-root", str(root), *args], capsys)
    assert code == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_subprocess_exit_code_and_one_line_error(case, tmp_path):
    root, path = case
    bad = tmp_path / "bad.json"
    bad.write_text('[{"sent_id": 11, "image_id": 1, "segmentation": {"size": [10, 10], "counts": "0a"}}]')
    proc = subprocess.run([sys.executable, "-m", "rris_bench.cli", "evaluate", str(bad), "--data-root", str(root),
                           "--dataset", "rtoy", "--split", "val", "--missing", "empty"],
                          capture_output=True, text=True, env={**__import__("os").environ,
                                                               "RRIS_BENCH_CACHE": str(tmp_path / "c")})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "record #0 (sent_id 11): segmentation.counts: malformed RLE: counts ends inside a number" in proc.stderr


def test_ground_truth_cache_is_written_once_and_reused(case, capsys, tmp_path, monkeypatch):
    root, path = case
    assert run_cli([str(path), "--data-root", str(root)], capsys)[0] == 0
    files = list((tmp_path / "cache" / "gt").glob("*.json"))
    header, body = files[0].read_text().split("\n", 1)  # format and sha256 of the body, then the entries
    assert len(files) == 1 and set(json.loads(body)) == {"1001", "1002", "1003"}
    from rris_bench.datasets.model import Dataset
    monkeypatch.setattr(Dataset, "ann_rle", lambda self, a: pytest.fail("rasterised despite the cache"))
    assert run_cli([str(path), "--data-root", str(root)], capsys)[0] == 0


def test_breakdown_groups_come_in_natural_order():
    from rris_bench.metrics.breakdowns import natural_key

    groups = ["11+ words", "1-3 words", "7-10 words", "4-6 words", "0 words"]
    assert sorted(groups, key=natural_key) == ["0 words", "1-3 words", "4-6 words", "7-10 words", "11+ words"]
    assert sorted(["val", "testB", "testA"], key=natural_key) == ["testA", "testB", "val"]
