"""Leaderboard: records on a board, dataset-version checks, the markdown tables, the CLI and determinism."""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from rris_bench import cli
from rris_bench.errors import InputError
from rris_bench.report.leaderboard import markdown_tables, write_board
from rris_bench.report.records import add_record, check_record, load_records, record_filename

REPO = Path(__file__).resolve().parents[1]
STRATEGIES = ("object_swap", "random_category", "attribute_swap")


def measured(model: str, split: str = "val", dataset_sha: str = "d" * 64, **metrics) -> dict:
    """A hand-made measured record in the shape the metrics engine writes (record.md)."""
    values = {"mIoU": None, "mRR": None, "rIoU": None, "AUROC": None}
    values.update({k.replace("P_", "P@0."): v for k, v in metrics.items() if k not in ("strategy", "roc")})
    return {
        "schema": "rris-result/1", "kind": "measured", "model": model, "dataset": "rtoy", "split_by": "unc",
        "split": split, "dataset_sha256": dataset_sha, "predictions_sha256": model[0] * 64,
        "predictions_file": f"{model}.jsonl", "toolkit_version": "0.1.0",
        "options": {"resolution": None, "missing": "error", "ci": None, "by": ["strategy"]},
        "counts": {"refs": 4, "sentences": 44, "positives": 4, "negatives": 40},
        "metrics": values,
        "definitions": {"mIoU": "mean over positive sentences of I/U"},
        "breakdowns": {"strategy": {s: {"counts": {"negatives": 10}, "metrics": {"mRR": v}}
                                    for s, v in zip(STRATEGIES, metrics.get("strategy", ()))}},
        "intervals": {},
        "curves": {"roc": metrics["roc"]} if "roc" in metrics else {},
    }


def reported(model: str, riou: float, dataset: str = "rrefcoco") -> dict:
    return {"schema": "rris-result/1", "kind": "reported", "model": model, "dataset": dataset, "split": "val",
            "metrics": {"rIoU": riou}, "source": "R-RIS paper, Fig. 1"}


def make_records() -> list:
    """A small board: three toy models on val (ties, nulls, one AUROC), one on testA, two published rows."""
    roc = {"fpr": [0.0, 0.1, 0.3, 1.0], "tpr": [0.0, 0.6, 0.9, 1.0]}
    return [
        measured("oracle", rIoU=100.0, mRR=100.0, mIoU=100.0, strategy=(100.0, 100.0, 100.0),
                 **{f"P_{i}": 100.0 for i in range(5, 10)}),
        measured("empty", rIoU=0.0, mRR=100.0, mIoU=0.0, strategy=(100.0, 100.0, 100.0),
                 **{f"P_{i}": 0.0 for i in range(5, 10)}),
        measured("tiny", rIoU=41.237, mRR=83.333, mIoU=55.556, AUROC=88.1, strategy=(95.0, 90.0, 65.0), roc=roc,
                 **{f"P_{i}": 90.0 - 15 * (i - 5) for i in range(5, 10)}),
        measured("tiny", split="testA", rIoU=38.5, mRR=80.0, mIoU=50.25),
        reported("RefSegformer", 46.8),
        reported("LAVT", 36.2),
    ]


EXPECTED = """\
## Measured results

Scored by `rris-bench evaluate`; each row names its predictions file and the first 12 hex digits of its sha256. \
Best value per column in **bold**; – means not applicable.

### rtoy · unc · val

Dataset version: sha256 `dddddddddddd`; 4 refs, 44 sentences, 4 positives, 40 negatives.

| model | rIoU | mRR | mIoU | AUROC | predictions (file, sha256) |
|---|---:|---:|---:|---:|---|
| oracle | **100.00** | **100.00** | **100.00** | – | `oracle.jsonl` `oooooooooooo` |
| tiny | 41.24 | 83.33 | 55.56 | 88.10 | `tiny.jsonl` `tttttttttttt` |
| empty | 0.00 | **100.00** | 0.00 | – | `empty.jsonl` `eeeeeeeeeeee` |

### rtoy · unc · testA

Dataset version: sha256 `dddddddddddd`; 4 refs, 44 sentences, 4 positives, 40 negatives.

| model | rIoU | mRR | mIoU | predictions (file, sha256) |
|---|---:|---:|---:|---|
| tiny | 38.50 | 80.00 | 50.25 | `tiny.jsonl` `tttttttttttt` |

## Reported results (published, not measured here)

Numbers copied from the source named in each row, as published (their own protocol and data version); \
they never share a table with measured numbers.

### rrefcoco · val

| model | rIoU | source |
|---|---:|---|
| RefSegformer | **46.8** | R-RIS paper, Fig. 1 |
| LAVT | 36.2 | R-RIS paper, Fig. 1 |

## Formula ids

- `mIoU`: mean over positive sentences of I/U (LAVT convention)
- `mRR`: mean over refs with negatives of the share of their negatives predicted empty
- `rIoU`: mean over refs of sum_pos I / (sum_pos U + predicted area of non-empty negatives) (official R-RIS code)
- `AUROC`: area under the ROC curve of the existence score, positives against negatives
"""


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(list(map(str, args)))
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_markdown_tables_match_the_hand_written_text():
    assert markdown_tables(make_records(), metrics=["rIoU", "mRR", "mIoU", "AUROC"]) == EXPECTED


def test_default_columns_leave_out_metrics_no_row_has():
    text = markdown_tables(make_records())
    assert "| model | rIoU | mRR | mIoU | AUROC | predictions (file, sha256) |" in text
    assert "gIoU" not in text  # no record carries it


def test_two_runs_render_byte_identical_boards(tmp_path):
    """Records of two runs (same results, other key and file order) give the same README, page and plots."""
    first = make_records()
    second = copy.deepcopy(first)
    random.Random(0).shuffle(second)
    second = [json.loads(json.dumps(dict(reversed(list(r.items()))))) for r in second]
    a = write_board(first, tmp_path / "a")
    write_board(second, tmp_path / "b")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    assert {Path(a["html"]).name, Path(a["readme"]).name} <= {p.name for p in files_a}
    assert len(a["plots"]) == 10  # PNG+SVG of val's tradeoff, strategy, precision and ROC, and testA's tradeoff
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    # re-rendering the board folder itself changes nothing
    before = {rel: (tmp_path / "a" / rel).read_bytes() for rel in files_a}
    write_board(tmp_path / "a", tmp_path / "a")
    assert before == {rel: (tmp_path / "a" / rel).read_bytes() for rel in files_a}


def test_readme_links_plots_and_measured_rows_name_predictions(tmp_path):
    written = write_board(make_records(), tmp_path, html=False)
    readme = Path(written["readme"]).read_text(encoding="utf-8")
    assert "html" not in written and not (tmp_path / "index.html").exists()
    for name in ("tradeoff", "strategy-mrr", "precision", "roc"):
        assert f"](plots/rtoy-unc-val--{name}.svg)" in readme
    assert "](plots/rtoy-unc-testA--tradeoff.svg)" in readme  # testA has no P@t, strategies or ROC
    assert "plots/rtoy-unc-testA--roc.svg" not in readme
    assert readme.index("## Measured results") < readme.index("## Reported results")


def test_add_files_a_record_under_a_deterministic_name(tmp_path):
    record = make_records()[2]
    path = add_record(record, tmp_path)
    assert path.name == "measured--tiny--rtoy--unc--val.json" == record_filename(record)
    assert load_records(tmp_path) == [record]
    record["metrics"]["rIoU"] = 42.0  # a re-evaluation replaces the old record
    assert add_record(record, tmp_path) == path and load_records(tmp_path)[0]["metrics"]["rIoU"] == 42.0


def test_add_refuses_another_dataset_version(tmp_path, capsys):
    board = tmp_path / "board"
    for record in make_records()[:2]:
        add_record(record, board)
    other = measured("tiny", dataset_sha="e" * 64, rIoU=40.0)
    result = tmp_path / "result.json"
    result.write_text(json.dumps(other), encoding="utf-8")
    code, _, err = run_cli(["leaderboard", "add", result, "--board", board], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "result.json" in err and "dataset_sha256" in err and "eeeeeeeeeeee" in err and "dddddddddddd" in err
    assert sorted(p.name for p in board.glob("*.json")) == ["measured--empty--rtoy--unc--val.json",
                                                             "measured--oracle--rtoy--unc--val.json"]
    # the same version of another split, or the board's own version, is accepted
    result.write_text(json.dumps(measured("tiny", rIoU=40.0)), encoding="utf-8")
    code, out, _ = run_cli(["leaderboard", "add", result, "--board", board], capsys)
    assert code == 0 and "measured--tiny--rtoy--unc--val.json" in out


def test_rescaled_results_are_their_own_rows_and_several_files_can_be_added(tmp_path, capsys):
    full, rescaled = measured("tiny", rIoU=41.0), measured("tiny", rIoU=44.5)
    rescaled["options"]["resolution"] = 480
    paths = []
    for i, record in enumerate((full, rescaled)):
        paths.append(tmp_path / f"r{i}.json")
        paths[-1].write_text(json.dumps(record), encoding="utf-8")
    code, out, _ = run_cli(["leaderboard", "add", *paths, "--board", tmp_path / "board"], capsys)
    assert code == 0 and "measured--tiny@480--rtoy--unc--val.json" in out
    text = markdown_tables(tmp_path / "board", "rIoU")
    assert "| tiny @480x480 | **44.50** |" in text and "| tiny | 41.00 |" in text


def test_a_board_mixing_dataset_versions_is_refused(tmp_path, capsys):
    records = make_records()
    records[1]["dataset_sha256"] = "f" * 64
    for record in records:
        (tmp_path / record_filename(record)).write_text(json.dumps(record), encoding="utf-8")
    code, _, err = run_cli(["leaderboard", tmp_path], capsys)
    assert code == 2 and "dataset_sha256" in err and "ffffffffffff" in err


def test_render_command_prints_tables_and_writes_the_board(tmp_path, capsys):
    for record in make_records():
        add_record(record, tmp_path / "board")
    code, out, err = run_cli(["leaderboard", tmp_path / "board", "--html", "--metrics", "rIoU,mRR,mIoU,AUROC",
                              "--out", tmp_path / "site"], capsys)
    assert code == 0
    assert out == EXPECTED
    assert (tmp_path / "site" / "README.md").is_file() and (tmp_path / "site" / "index.html").is_file()
    assert "wrote" in err and not (tmp_path / "board" / "README.md").exists()
    code, out, _ = run_cli(["leaderboard", "render", tmp_path / "board"], capsys)  # explicit subcommand
    assert code == 0 and (tmp_path / "board" / "README.md").is_file() and "## Measured results" in out


@pytest.mark.parametrize("mutate, field", [
    (lambda r: r.update(schema="rris-result/0"), "schema"),
    (lambda r: r.update(kind="guessed"), "kind"),
    (lambda r: r.pop("dataset_sha256"), "dataset_sha256"),
    (lambda r: r["metrics"].update(mIoU=float("nan")), "metrics.mIoU"),
    (lambda r: r["metrics"].update(rIoU=140.0), "metrics.rIoU"),
    (lambda r: r["curves"].update(roc={"fpr": [0, 1], "tpr": [0]}), "curves.roc"),
])
def test_bad_records_name_file_record_and_field(tmp_path, capsys, mutate, field):
    record = make_records()[2]
    mutate(record)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    code, _, err = run_cli(["leaderboard", "add", path, "--board", tmp_path / "board"], capsys)
    assert code == 2 and "bad.json" in err and "tiny/rtoy/val" in err and field in err and "Traceback" not in err


def test_reported_records_need_a_source_and_bad_input_is_refused(tmp_path, capsys):
    with pytest.raises(InputError, match="source"):
        check_record({k: v for k, v in reported("LAVT", 36.2).items() if k != "source"})
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    code, _, err = run_cli(["leaderboard", tmp_path], capsys)
    assert code == 2 and "broken.json" in err
    code, _, err = run_cli(["leaderboard", tmp_path / "missing"], capsys)
    assert code == 2 and "missing" in err
    code, _, err = run_cli(["leaderboard", "add", tmp_path / "nope.json"], capsys)
    assert code == 2 and "nope.json" in err


def test_unknown_metric_ids_are_refused(tmp_path, capsys):
    add_record(make_records()[0], tmp_path)
    code, _, err = run_cli(["leaderboard", tmp_path, "--metrics", "rIoU,mIOU"], capsys)
    assert code == 2 and "mIOU" in err and "--metrics" in err


def test_help_shows_examples(capsys):
    for args in (["leaderboard", "--help"], ["leaderboard", "add", "--help"], ["leaderboard", "render", "--help"]):
        code, out, _ = run_cli(args, capsys)
        assert code == 0 and "Examples:" in out and "rris-bench leaderboard" in out


def test_the_shipped_board_holds_the_papers_numbers_and_its_readme_is_current(tmp_path):
    records = load_records(REPO / "leaderboards")
    riou = {(r["model"], r["dataset"]): r["metrics"]["rIoU"] for r in records
            if r["kind"] == "reported" and "rIoU" in r["metrics"]}
    assert riou[("RefSegformer", "rrefcoco")] == 46.8 and riou[("LAVT+", "rrefcocog")] == 35.5
    assert all(r["source"] for r in records if r["kind"] == "reported")
    write_board(REPO / "leaderboards", tmp_path, html=False)
    assert (tmp_path / "README.md").read_bytes() == (REPO / "leaderboards" / "README.md").read_bytes()


def test_records_of_different_protocols_never_share_a_table():
    from rris_bench.report.frames import build_tables, records_frame
    plain, official = measured("tiny", rIoU=41.0), measured("other", rIoU=52.0)
    official["protocol"] = {"name": "rris-official", "side": 480, "no_target_rule": "score:0.5"}
    gres_paper = dict(reported("ReLA", 60.0), protocol={"name": "gres", "side": 480, "decision_rule": "nt head"})
    deris_512 = dict(reported("PropVG", 61.0), protocol={"name": "gres", "side": 512, "decision_rule": "score 0.7"})
    tables = build_tables(records_frame([plain, official, gres_paper, deris_512, reported("LAVT", 36.2)]), ["rIoU"])
    titles = {t.title: [r.model for r in t.rows] for t in tables}
    assert titles["rtoy · unc · val"] == ["tiny"]
    assert titles["rtoy · unc · val · protocol rris-official"] == ["other"]
    assert titles["rrefcoco · val · protocol gres"] == ["ReLA"]
    assert titles["rrefcoco · val · protocol gres @512x512"] == ["PropVG"]
    assert titles["rrefcoco · val"] == ["LAVT"]
    assert all(len({r.model for r in t.rows}) == len(t.rows) for t in tables)
    gres_row = next(t for t in tables if t.title == "rrefcoco · val · protocol gres").rows[0]
    assert gres_row.note.endswith("no target: nt head")


def test_the_filed_reported_records_name_their_protocol():
    records = [r for r in load_records(REPO / "leaderboards") if r["kind"] == "reported"]
    assert records and all(isinstance(r.get("protocol"), dict) and r["protocol"].get("decision_rule")
                           for r in records)
    grefcoco = {(r["model"], r["split"]) for r in records if r["dataset"] == "grefcoco"}
    assert {("DeRIS-B", "val"), ("DeRIS-L", "testB"), ("GSVA-7B", "testA")} <= grefcoco


def test_a_record_scored_with_missing_empty_is_marked_in_every_table(tmp_path, capsys):
    records = make_records()
    partial = measured("colour", rIoU=99.0, mRR=100.0, mIoU=1.0)  # ranks first: its missing negatives count
    partial["options"]["missing"] = "empty"
    partial["counts"]["missing_filled"] = 40
    records.append(partial)
    skipped = measured("limited", rIoU=20.0, mRR=50.0, mIoU=30.0)
    skipped["options"]["missing"] = "skip"
    skipped["counts"]["missing_skipped"] = 30
    records.append(skipped)
    assert "| limited [30 missing, not scored] |" in markdown_tables(records)
    mark = "colour [40 missing, scored as empty]"
    text = markdown_tables(records)
    assert f"| {mark} |" in text and "evaluated with `--missing empty`" in text
    assert text.count("missing, scored as empty") == 2  # the row and the note; complete rows are unmarked
    written = write_board(records, tmp_path / "board")
    assert f"| {mark} |" in Path(written["readme"]).read_text(encoding="utf-8")
    page = Path(written["html"]).read_text(encoding="utf-8")
    assert f"<td>{mark}</td>" in page and "<code>--missing empty</code>" in page
    for record in records:
        if record["kind"] == "measured":
            add_record(record, tmp_path / "cli")
    code, out, _ = run_cli(["leaderboard", tmp_path / "cli"], capsys)
    assert code == 0 and f"| {mark} |" in out


def test_add_says_once_why_it_refuses_and_whether_it_replaced(tmp_path, capsys):
    board = tmp_path / "board"
    add_record(make_records()[0], board)
    result = tmp_path / "result.json"
    result.write_text(json.dumps(measured("tiny", dataset_sha="e" * 64, rIoU=40.0)), encoding="utf-8")
    code, _, err = run_cli(["leaderboard", "add", result, "--board", board], capsys)
    assert code == 2 and err.count("tiny/rtoy/val") == 1 and err.count("differs") == 1
    result.write_text(json.dumps(measured("tiny", rIoU=40.0)), encoding="utf-8")
    code, out, _ = run_cli(["leaderboard", "add", result, "--board", board], capsys)
    assert code == 0 and out.startswith("filed ")
    code, out, _ = run_cli(["leaderboard", "add", result, "--board", board], capsys)
    assert code == 0 and out.startswith("replaced ") and "measured--tiny--rtoy--unc--val.json" in out
