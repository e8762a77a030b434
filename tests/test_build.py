"""The builder on the real RefCOCOg fixture: counts, absence of the named categories, the refer format,
fresh sent_ids, byte-identical rebuilds, atomic output and bad input."""
from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest

from rris_bench.build import build_robust_dataset, parse_strategies
from rris_bench.build.mix import slot_plan
from rris_bench.cli import main
from rris_bench.errors import InputError
from rris_bench.files import WriteError
from rris_bench.generators.lexicon import Lexicon
from rris_bench.datasets.model import sentence_exists

SOURCE = "refcocog_umd_mini"


@pytest.fixture()
def root(tmp_path: Path, fixtures_dir: Path) -> Path:
    shutil.copytree(fixtures_dir / SOURCE, tmp_path / "refcocog")
    return tmp_path


@pytest.fixture(scope="module")
def built(tmp_path_factory, fixtures_dir: Path):
    """One default build of the fixture (spaCy parser if installed), shared by the read-only tests."""
    root = tmp_path_factory.mktemp("built")
    shutil.copytree(fixtures_dir / SOURCE, root / "refcocog")
    manifest = build_robust_dataset(root, "refcocog", progress=False)
    return root, manifest


def _load(root: Path, name: str = "rrefcocog"):
    with open(root / name / "refs(umd).p", "rb") as fh:
        return pickle.load(fh)  # the refer API's own loading: plain pickle


def test_ten_negatives_per_ref_none_naming_a_present_category(built, fixtures_dir):
    root, manifest = built
    refs = _load(root)
    instances = json.loads((root / "rrefcocog" / "instances.json").read_text())
    present = {}
    for ann in instances["annotations"]:
        present.setdefault(ann["image_id"], set()).add(ann["category_id"])
    lexicon = Lexicon.for_instances(instances)
    checked = 0
    for ref in refs:
        negs = [s for s in ref["sentences"] if not sentence_exists(s)]
        assert len(negs) == 10
        for s in negs:
            assert s["exist"] is False and s["verified"] in ("category_absent", "instances_checked")
            assert s["difficulty"] == ("category" if s["verified"] == "category_absent" else s["difficulty"])
            if s["verified"] != "category_absent":
                continue
            absent = set(s["absent_category_ids"])
            assert absent and not absent & present[ref["image_id"]], s
            if s["strategy"] in ("random_sentence", "random_category"):
                # every category phrase of the sentence names only categories absent from the image
                assert not lexicon.named_categories(s["sent"].split()) & present[ref["image_id"]], s
            else:  # the swapped-in noun is in the sentence and names an absent category
                noun = s.get("with", s.get("added"))
                assert noun in s["sent"] and not lexicon.named_categories(noun.split()) & present[ref["image_id"]]
            checked += 1
    assert checked > 100
    assert set(manifest["counts"]) == {"train", "val", "test"}
    assert all(c["negatives"] == 10 * c["refs"] for c in manifest["counts"].values())


def test_keeps_every_original_field_and_adds_fresh_sent_ids(built, fixtures_dir):
    root, manifest = built
    with open(fixtures_dir / SOURCE / "refs(umd).p", "rb") as fh:
        source = pickle.load(fh)
    out = _load(root)
    assert [r["ref_id"] for r in out] == [r["ref_id"] for r in source]
    old_ids = {s["sent_id"] for r in source for s in r["sentences"]}
    all_ids = [s["sent_id"] for r in out for s in r["sentences"]]
    assert len(all_ids) == len(set(all_ids))
    for src, ref in zip(source, out):
        for key, value in src.items():
            if key not in ("sentences", "sent_ids"):
                assert ref[key] == value
        n = len(src["sentences"])
        assert ref["sentences"][:n] == [{**s, "exist": True} for s in src["sentences"]]
        assert ref["sent_ids"] == [s["sent_id"] for s in ref["sentences"]]
        new = ref["sent_ids"][n:]
        assert not set(new) & old_ids and min(new) > max(old_ids)
        texts = [s["sent"] for s in ref["sentences"]]
        assert len(texts) == len(set(texts)), "a negative repeats a sentence of its ref"
    twin = json.loads((root / "rrefcocog" / "refs(umd).json").read_text())
    assert twin == json.loads(json.dumps(out))
    assert (root / "rrefcocog" / "instances.json").read_bytes() == (fixtures_dir / SOURCE / "instances.json").read_bytes()


def test_manifest_records_hashes_parser_and_mix(built):
    root, manifest = built
    on_disk = json.loads((root / "rrefcocog" / "manifest.json").read_text())
    assert on_disk == manifest
    from rris_bench.files import sha256_file
    for name, digest in manifest["files"].items():
        assert sha256_file(root / "rrefcocog" / name) == digest
    assert manifest["source"]["files"]["refs(umd).p"] == sha256_file(root / "refcocog" / "refs(umd).p")
    assert manifest["seed"] == 0 and manifest["parser"]
    assert set(manifest["strategies"]) == {"random_sentence", "random_category", "object_swap",
                                           "attribute_swap", "relation_swap"}
    assert manifest["mix"] == "paper" and manifest["allow_unverified"] is False
    for c in manifest["counts"].values():
        # equal weights, 10 per ref: each strategy is planned exactly twice per ref
        assert c["planned"] == {k: 2 * c["refs"] for k in manifest["strategies"]}
        made = dict(c["planned"])
        for edge, n in c["fallbacks"].items():
            a, b = edge.split("->")
            made[a] -= n
            made[b] = made.get(b, 0) + n
        for k, n in c["shortfall"].items():
            made[k] -= n
        assert {k: v for k, v in made.items() if v} == c["by_strategy"]
        assert sum(c["by_verified"].values()) == c["negatives"] == sum(c["by_difficulty"].values())
        assert "unverified" not in c["by_verified"]
        per = {}
        for key, n in c["by_strategy_difficulty"].items():
            name, difficulty = key.split("/")
            per[name] = per.get(name, 0) + n
            assert difficulty in ("category", "instance")
        assert per == c["by_strategy"]


def test_same_seed_same_bytes_other_seed_other_negatives(root, tmp_path, fixtures_dir):
    other = tmp_path / "again"
    shutil.copytree(fixtures_dir / SOURCE, other / "refcocog")
    build_robust_dataset(root, "refcocog", progress=False)
    build_robust_dataset(other, "refcocog", progress=False)
    for name in ("refs(umd).p", "refs(umd).json", "instances.json", "manifest.json"):
        assert (root / "rrefcocog" / name).read_bytes() == (other / "rrefcocog" / name).read_bytes(), name
    build_robust_dataset(other, "refcocog", seed=1, progress=False)
    a = [s["sent"] for r in _load(root) for s in r["sentences"]]
    b = [s["sent"] for r in _load(other) for s in r["sentences"]]
    assert a != b


def test_a_refs_negatives_do_not_depend_on_the_other_refs(root):
    full = build_robust_dataset(root, "refcocog", out_name="full", progress=False)
    val = build_robust_dataset(root, "refcocog", out_name="val_only", splits=["val"], progress=False)
    assert val["splits"] == ["val"] and full["splits"] == ["test", "train", "val"]
    negs = lambda name: {r["ref_id"]: [s["sent"] for s in r["sentences"] if not sentence_exists(s)]
                         for r in _load(root, name) if r["split"] == "val"}
    assert negs("full") == negs("val_only")
    others = [r for r in _load(root, "val_only") if r["split"] != "val"]
    assert others and all(all(s["exist"] for s in r["sentences"]) for r in others)


def test_single_strategy_and_allow_unverified(root):
    m = build_robust_dataset(root, "refcocog", strategies={"random_category": 1}, progress=False)
    assert all(c["by_strategy"] == {"random_category": 10 * c["refs"]} for c in m["counts"].values())
    assert m["mix"] == "custom"
    negs = [s for r in _load(root) for s in r["sentences"] if not sentence_exists(s)]
    assert {s["strategy"] for s in negs} == {"random_category"} and all(s["raw"] == s["sent"] for s in negs)
    # attribute_swap alone: only proven edits by default, the unproven ones (counted) with allow_unverified
    m = build_robust_dataset(root, "refcocog", strategies={"attribute_swap": 1}, progress=False)
    assert all("unverified" not in c["by_verified"] for c in m["counts"].values())
    m = build_robust_dataset(root, "refcocog", strategies={"attribute_swap": 1}, allow_unverified=True,
                             progress=False)
    assert m["allow_unverified"] is True and sum(c["by_verified"].get("unverified", 0)
                                                 for c in m["counts"].values()) > 0
    with pytest.raises(InputError, match="mix"):
        build_robust_dataset(root, "refcocog", mix="medium")


def test_slot_plan_follows_the_weights():
    import random
    rng = random.Random(0)
    assert sorted(slot_plan({"a": 1, "b": 1}, 10, rng)) == ["a"] * 5 + ["b"] * 5
    assert sorted(slot_plan({"a": 3, "b": 1}, 8, rng)) == ["a"] * 6 + ["b"] * 2
    plan = slot_plan({"a": 3, "b": 1}, 10, rng)
    assert len(plan) == 10 and plan.count("a") in (7, 8)
    assert parse_strategies("random_sentence=2,object_swap") == {"random_sentence": 2.0, "object_swap": 1.0}
    with pytest.raises(InputError, match="unknown strategy"):
        parse_strategies("nope=1")


def test_lexicon_parser_fallback_runs_and_says_so(root, monkeypatch, capsys):
    monkeypatch.setenv("RRIS_BENCH_PARSER", "lexicon")  # as if no spaCy model were installed
    m = build_robust_dataset(root, "refcocog", progress=False)
    assert m["parser"] == "lexicon"
    assert all(c["negatives"] == 10 * c["refs"] for c in m["counts"].values())
    with pytest.raises(SystemExit) as exit_:
        main(["build-dataset", "--data-root", str(root), "--dataset", "refcocog", "--out-name", "again"])
    assert exit_.value.code == 0 and "(parser: lexicon)" in capsys.readouterr().out


def test_grefcoco_format(root):
    build_robust_dataset(root, "refcocog", fmt="grefcoco", progress=False)
    grefs = json.loads((root / "rrefcocog" / "grefs(umd).json").read_text())
    refs = _load(root)
    no_target = [g for g in grefs if g["no_target"]]
    assert len(no_target) == len(refs) and all(g["ann_id"] == [-1] and g["category_id"] == [-1]
                                               for g in no_target)
    assert all(not g["no_target"] and len(g["ann_id"]) == 1 and all(s["exist"] for s in g["sentences"])
               for g in grefs if not g["no_target"])
    assert len({g["ref_id"] for g in grefs}) == len(grefs)
    assert sum(len(g["sentences"]) for g in grefs) == sum(len(r["sentences"]) for r in refs)


def test_cli_build_report_and_bad_input(root, capsys):
    report = root / "review.md"
    with pytest.raises(SystemExit) as exit_:
        main(["build-dataset", "--data-root", str(root), "--dataset", "refcocog", "--report", str(report)])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "| train | 5 |" in out and "parser:" in out
    text = report.read_text()
    for name in ("random_sentence", "random_category", "object_swap", "attribute_swap", "relation_swap"):
        assert f"## {name}" in text
    with pytest.raises(SystemExit) as exit_:
        main(["stats", "--data-root", str(root), "--dataset", "rrefcocog"])
    assert exit_.value.code == 0 and "| val | 5 |" in capsys.readouterr().out
    for args, needle in ((["--strategies", "bogus=1"], "unknown strategy"),
                         (["--splits", "nope"], "no split nope"),
                         (["--dataset", "missing"], "refs")):
        argv = ["build-dataset", "--data-root", str(root), "--dataset", "refcocog", *args]
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert needle in capsys.readouterr().err


def test_refuses_robust_input_and_foreign_output_folder(root):
    build_robust_dataset(root, "refcocog", progress=False)
    with pytest.raises(InputError, match="already has negative"):
        build_robust_dataset(root, "rrefcocog", out_name="rrrefcocog")
    (root / "mine").mkdir()
    (root / "mine" / "keep.txt").write_text("not ours")
    with pytest.raises(InputError, match="not a folder build-dataset wrote"):
        build_robust_dataset(root, "refcocog", out_name="mine")
    assert (root / "mine" / "keep.txt").read_text() == "not ours"
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []  # no temp left behind


def test_a_failed_build_leaves_the_previous_output_whole(root, monkeypatch):
    build_robust_dataset(root, "refcocog", progress=False)
    before = {p.name: p.read_bytes() for p in (root / "rrefcocog").iterdir()}
    real = Path.write_bytes

    def failing(self, data):
        if self.name == "manifest.json":
            raise OSError("disk full")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(WriteError, match="rrefcocog: cannot write here"):  # names the output, not the temporary
        build_robust_dataset(root, "refcocog", seed=5, progress=False)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in (root / "rrefcocog").iterdir()} == before
    assert not [p for p in root.iterdir() if p.name.startswith(".")]


def test_the_command_refuses_to_replace_a_build_made_with_other_options(root, capsys):
    def cli(*args):
        with pytest.raises(SystemExit) as exit_:
            main(["build-dataset", "--data-root", str(root), "--dataset", "refcocog", "--parser", "lexicon", *args])
        return exit_.value.code

    assert cli() == 0
    before = (root / "rrefcocog" / "manifest.json").read_bytes()
    assert cli() == 0  # the same recipe again: allowed, same bytes
    assert (root / "rrefcocog" / "manifest.json").read_bytes() == before
    capsys.readouterr()
    assert cli("--seed", "3") == 2
    err = capsys.readouterr().err
    assert "holds an earlier build with other inputs or options (seed 0 -> 3)" in err and "--overwrite" in err
    assert (root / "rrefcocog" / "manifest.json").read_bytes() == before
    assert cli("--seed", "3", "--overwrite") == 0
    assert json.loads((root / "rrefcocog" / "manifest.json").read_text())["seed"] == 3
