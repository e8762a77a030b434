"""Predictions files: the writer helpers, the three layouts, and strict validation that lists every
problem with its record and field, exit code 2 and no traceback."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from metrics_cases import box, hand_case, write_case, write_predictions
from rris_bench import masks
from rris_bench.cli import main
from rris_bench.errors import InputError
from rris_bench.metrics import evaluate
from rris_bench.metrics.prediction_checks import validate
from rris_bench.metrics.predictions import SCHEMA, info_record, jsonl_line, prediction_record, read_predictions
from rris_bench.datasets import load_dataset


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_writer_helpers_are_compact_and_deterministic():
    info = info_record("rtoy", "unc", ["val", "testA"], "m", "abc")
    assert info == {"schema": SCHEMA, "dataset": "rtoy", "split_by": "unc", "split": "val,testA", "model": "m",
                    "dataset_sha256": "abc"}
    rle = masks.encode(box(0, 2, 0, 2))
    rec = prediction_record(np.int64(5), 7, {"size": rle["size"], "counts": rle["counts"].encode()}, np.float32(0.5))
    line = jsonl_line(rec)
    assert line.endswith("\n") and " " not in line and json.loads(line)["segmentation"] == rle
    assert json.loads(line) == {"sent_id": 5, "image_id": 7, "segmentation": rle, "score": 0.5}
    assert "score" not in prediction_record(5, 7, None) and jsonl_line(rec) == line


@pytest.mark.parametrize("fmt", ["jsonl", "wrapped", "list"])
def test_three_layouts_read_the_same(tmp_path, fmt):
    ds, preds = hand_case(tmp_path)
    f = read_predictions(write_predictions(tmp_path / f"p.{fmt}", ds, preds, fmt=fmt))
    assert len(f.records) == 10 and [r["sent_id"] for r in f.records] == list(preds)
    assert (f.info is None) == (fmt == "list")
    valid = validate(f, ds, ["val"])
    assert valid.sent_ids == [11, 12, 13, 14, 15, 21, 31, 32, 33, 34]
    assert list(valid.areas) == [20, 40, 0, 0, 5, 30, 20, 0, 10, 0]


def test_jsonl_without_info_and_with_header_only(tmp_path):
    ds, preds = hand_case(tmp_path)
    assert read_predictions(write_predictions(tmp_path / "a.jsonl", ds, preds, info=False)).info is None
    head = tmp_path / "h.jsonl"
    head.write_text(jsonl_line({"info": info_record("rtoy", "unc", "val", "m", "x")}))
    assert read_predictions(head).records == []


def _broken(tmp_path):
    ds, preds = hand_case(tmp_path)
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    lines = path.read_text().splitlines()
    recs = [json.loads(x) for x in lines[1:]]
    recs[0]["sent_id"] = 999                                   # unknown
    recs[2]["sent_id"] = recs[1]["sent_id"]                    # duplicate
    recs[3]["image_id"] = 2                                    # wrong image
    recs[4]["segmentation"]["size"] = [5, 5]                   # wrong size
    recs[5]["segmentation"]["counts"] = recs[5]["segmentation"]["counts"][:-1] + "a"  # broken RLE
    recs[6]["score"] = 1.5                                     # score out of range
    path.write_text("\n".join([lines[0]] + [json.dumps(r) for r in recs]) + "\n")
    return ds, path


def test_every_problem_is_reported_with_record_and_field(tmp_path):
    ds, path = _broken(tmp_path)
    with pytest.raises(InputError) as info:
        validate(read_predictions(path), ds, ["val"])
    msg = str(info.value)
    for expected in ["record #0 (sent_id 999): sent_id: unknown", "record #2 (sent_id 12): sent_id: duplicate",
                     "record #3 (sent_id 14): image_id", "record #4 (sent_id 15): segmentation.size",
                     "record #5 (sent_id 21): segmentation.counts: malformed RLE",
                     "record #6 (sent_id 31): score", "sent_id 11 (ref 1, split val): prediction: missing",
                     "sent_id 13 (ref 1, split val): prediction: missing"]:
        assert expected in msg, expected
    assert msg.startswith(f"{path}: 8 problems")
    assert "line 2, record #0 (sent_id 999)" in msg and "line 7, record #5 (sent_id 21)" in msg  # JSON Lines


def test_cli_exits_2_with_the_list_and_no_traceback(tmp_path, capsys):
    ds, path = _broken(tmp_path)
    code, out, err = run_cli(["evaluate", str(path), "--data-root", str(tmp_path)], capsys)
    assert code == 2 and "Traceback" not in err and "line 7, record #5 (sent_id 21)" in err and out == ""
    assert not (tmp_path / "p.result.json").exists()


def test_problem_list_is_capped(tmp_path):
    ds, preds = hand_case(tmp_path)
    recs = [prediction_record(1000 + k, 1, None) for k in range(30)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps(recs))
    with pytest.raises(InputError) as info:
        validate(read_predictions(path), ds, ["val"], missing="empty", limit=20)
    assert "30 problems" in str(info.value) and "... and 10 more" in str(info.value)
    assert str(info.value).count("unknown sent_id") == 20


def test_missing_empty_fills_and_counts(tmp_path, capsys):
    ds, preds = hand_case(tmp_path)
    del preds[12], preds[33]
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    code, _, err = run_cli(["evaluate", str(path), "--data-root", str(tmp_path)], capsys)
    assert code == 2 and "sent_id 12" in err and "--missing empty" in err
    code, out, err = run_cli(["evaluate", str(path), "--data-root", str(tmp_path), "--missing", "empty"], capsys)
    assert code == 0 and "2 missing predictions were counted as empty" in err
    record = json.loads((tmp_path / "p.result.json").read_text())
    assert record["counts"]["missing_filled"] == 2
    assert record["metrics"]["N-acc"] == 80.0   # sentence 33 (a false positive before) is now empty


def test_missing_skip_scores_only_the_predicted_sentences(tmp_path, capsys):
    ds, preds = hand_case(tmp_path)
    full = evaluate(ds, write_predictions(tmp_path / "full.jsonl", ds, preds), ["val"],
                    per_sample=tmp_path / "per.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "per.jsonl").read_text().splitlines()]
    del preds[21], preds[33]                   # a --limit or unfinished run: ref 2 (only 21) and one negative
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    code, _, err = run_cli(["evaluate", str(path), "--data-root", str(tmp_path)], capsys)
    assert code == 2 and "--missing skip to score only the predicted sentences" in err
    code, out, err = run_cli(["evaluate", str(path), "--data-root", str(tmp_path), "--missing", "skip"], capsys)
    assert code == 0 and "2 sentences without a prediction were left out" in err
    record = json.loads((tmp_path / "p.result.json").read_text())
    assert record["counts"]["missing_skipped"] == 2 and record["counts"]["missing_filled"] == 0
    assert (record["counts"]["sentences"], record["counts"]["refs"]) == (8, 2)
    kept = [r["iou"] for r in rows if r["exists"] and r["sent_id"] != 21]  # the others' IoUs are unchanged
    assert record["metrics"]["mIoU"] == pytest.approx(100 * sum(kept) / len(kept))
    assert record["metrics"]["mIoU"] != full["metrics"]["mIoU"]


def test_scores_must_be_all_or_none(tmp_path):
    ds, preds = hand_case(tmp_path)
    preds[21] = (preds[21][0], None)
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    with pytest.raises(InputError, match=r"record #5 \(sent_id 21\): score: missing, while other records"):
        validate(read_predictions(path), ds, ["val"])


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"),
    ("{\"predictions\": 3}", "expected"),
    ("[1, 2", "not valid JSON"),
    ("{\"info\": {}}\n{\"sent_id\": 1,\n", "line 2"),
    ("{\"info\": {\"schema\": \"other/9\"}, \"predictions\": []}", "unknown schema"),
    ("[{\"sent_id\": true}]", "sent_id: expected an integer"),
    ("[{\"sent_id\": 11, \"image_id\": 1, \"segmentation\": {\"size\": [10, 10], \"counts\": [100]}}]",
     "uncompressed RLE"),
    ("[\"x\"]", "expected an object"),
])
def test_malformed_files_exit_2_with_a_message(tmp_path, capsys, text, message):
    hand_case(tmp_path)
    path = tmp_path / "bad.json"
    path.write_text(text)
    code, out, err = run_cli(["evaluate", str(path), "--data-root", str(tmp_path), "--dataset", "rtoy",
                              "--split", "val"], capsys)
    assert code == 2 and message in err and "Traceback" not in err


def test_json_lines_with_blank_lines_and_crlf(tmp_path):
    ds, preds = hand_case(tmp_path)
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    lines = path.read_text().splitlines()
    path.write_text("\r\n".join(lines[:3] + ["", "  "] + lines[3:]) + "\r\n\n")
    f = read_predictions(path)
    assert f.info is not None and len(f.records) == 10
    assert validate(f, ds, ["val"]).sent_ids[0] == 11


@pytest.mark.parametrize("body, message", [
    ('{"sent_id": 11}  {"sent_id": 12}\n', "line 2: not valid JSON (Extra data"),    # two values on one line
    ('{"sent_id": 11}\n' + "[" * 100000 + "\n", "line 3: not valid JSON (nested too deeply)"),
])
def test_json_lines_oddities_are_named_by_line(tmp_path, body, message):
    hand_case(tmp_path)
    path = tmp_path / "odd.jsonl"
    path.write_text('{"info": {"dataset": "rtoy"}}\n' + body)
    with pytest.raises(InputError, match=re.escape(message)):
        read_predictions(path).records


def test_deeply_nested_json_is_an_input_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(InputError, match="nested too deeply"):
        read_predictions(path)


def test_a_bad_missing_option_fails_before_the_file_is_read(tmp_path):
    ds, _ = hand_case(tmp_path)
    with pytest.raises(InputError, match="missing must be one of error, empty"):
        evaluate(ds, tmp_path / "not-there.jsonl", ["val"], missing="zero")


def test_errors_that_point_at_the_fix(tmp_path):
    """A polygon or dense list says how to encode RLE; an info line with another key is named as such;
    a file whose records all belong to another split says so in one line instead of one per sentence."""
    ds, preds = hand_case(tmp_path)
    path = write_predictions(tmp_path / "p.jsonl", ds, preds)
    lines = path.read_text().splitlines()
    polygon = json.loads(lines[1])
    polygon["segmentation"] = [[0.0, 0.0, 4.0, 0.0, 4.0, 5.0]]
    bad = tmp_path / "poly.jsonl"
    bad.write_text("\n".join([lines[0], json.dumps(polygon), *lines[2:]]) + "\n")
    with pytest.raises(InputError, match=r"record #0 \(sent_id 11\): segmentation: a list \(polygons or a dense "
                                         r"mask\) is not accepted: .*pycocotools\.mask\.encode"):
        validate(read_predictions(bad), ds, ["val"])
    head = json.loads(lines[0])
    head["model_version"] = 2
    extra = tmp_path / "extra.jsonl"
    extra.write_text("\n".join([json.dumps(head), *lines[1:]]) + "\n")
    with pytest.raises(InputError, match='line 1 holds model_version beside "info"'):
        read_predictions(extra)
    split = tmp_path / "split"
    refs = [{**r, "split": "testA" if r["ref_id"] == 3 else "val"} for r in ds.refs_list]
    write_case(split, "rtoy", {i: (im["height"], im["width"]) for i, im in ds.images.items()}, refs,
               {r["ref_id"]: masks.decode(ds.ref_rle(r["ref_id"])) for r in ds.refs_list})
    two = load_dataset(split, "rtoy")
    only_testa = write_predictions(tmp_path / "testA.jsonl", two, {k: v for k, v in preds.items() if k > 30})
    for missing in ("error", "empty"):
        with pytest.raises(InputError) as info:
            validate(read_predictions(only_testa), two, ["val"], missing=missing)
        assert "none of its records is a sentence of the selected split(s) (val): all 4 belong to other " \
               "splits; pass the split the file was made for (--split)" in str(info.value)
        assert "missing" not in str(info.value)
    assert validate(read_predictions(only_testa), two, ["testA"]).covered.all()
