"""The harness: trivial baselines scored against hand-worked numbers, the example adapter end to end, the
predictions file's order and content, adapter misbehaviour, and resuming a partial file."""
from __future__ import annotations

import json
from typing import List

import numpy as np
import pytest
from PIL import Image

from harness_world import EXAMPLE, hand_world, toy_world
from rris_bench.run import harness
from rris_bench import masks
from rris_bench.run.adapters import Adapter, Prediction, Sample, create
from rris_bench.errors import InputError
from rris_bench.run.answers import AdapterError
from rris_bench.metrics import evaluate
from rris_bench.metrics.predictions import read_predictions
from rris_bench.datasets.model import sentence_exists


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    return hand_world(tmp_path_factory.mktemp("hand"))


@pytest.fixture(scope="module")
def rtoy(tmp_path_factory):
    return toy_world(tmp_path_factory.mktemp("toy"))


def scores(dataset, path) -> dict:
    return evaluate(dataset, path, ["val"], use_cache=False)["metrics"]


# --- the trivial baselines on the hand case ----------------------------------------------------------
# Ref 1: an L of 16 px in its box of 24 px; positives 1, 2, negatives 3, 4. Ref 2: a 3x3 square (its own
# box); positive 5, negative 6. Worked by hand for gt-box (the box for every sentence):
#   positives IoU 16/24, 16/24, 9/9 -> mIoU = 7/9; oIoU = (16+16+9)/(24+24+9) = 41/57
#   rIoU = mean(32/(48+24+24), 9/(9+9)) = mean(1/3, 1/2) = 5/12; gIoU = (2/3+2/3+1+0+0+0)/6 = 7/18
#   every negative non-empty: mRR = N-acc = 0; every positive non-empty: T-acc = 100.
HAND_EXPECTED = {
    "oracle": {"mIoU": 100, "oIoU": 100, "mRR": 100, "rIoU": 100, "gIoU": 100, "N-acc": 100, "T-acc": 100},
    "empty": {"mIoU": 0, "oIoU": 0, "mRR": 100, "rIoU": 0, "gIoU": 50, "N-acc": 100, "T-acc": 0},
    "gt-box": {"mIoU": 700 / 9, "oIoU": 4100 / 57, "mRR": 0, "rIoU": 500 / 12, "gIoU": 700 / 18, "N-acc": 0,
               "T-acc": 100},
}


@pytest.mark.parametrize("name", sorted(HAND_EXPECTED))
def test_trivial_baselines_score_the_hand_worked_numbers(hand, tmp_path, name):
    assert masks.area(hand.ref_rle(1)) == 16 and masks.area(hand.ref_rle(2)) == 9  # the premise of the sums
    out = tmp_path / f"{name}.jsonl"
    summary = harness.run(name, hand, "val", out, progress=False)
    assert summary["predicted"] == summary["samples"] == 6
    got = scores(hand, out)
    for metric, value in HAND_EXPECTED[name].items():
        assert got[metric] == pytest.approx(value, abs=1e-9), metric


def test_trivial_baselines_bound_a_real_toy_world(rtoy, tmp_path):
    got = {}
    for name in ("oracle", "empty", "gt-box"):
        harness.run(name, rtoy, "val", tmp_path / f"{name}.jsonl", progress=False)
        got[name] = scores(rtoy, tmp_path / f"{name}.jsonl")
    assert all(got["oracle"][m] == 100 for m in ("mIoU", "oIoU", "mRR", "rIoU"))
    assert (got["empty"]["mIoU"], got["empty"]["mRR"], got["empty"]["N-acc"], got["empty"]["T-acc"]) == (0, 100, 100, 0)
    for metric in ("mIoU", "oIoU"):  # the box covers the object and more
        assert got["empty"][metric] < got["gt-box"][metric] < got["oracle"][metric]


# --- the predictions file ------------------------------------------------------------------------------
def test_file_has_info_then_every_sentence_in_dataset_order(hand, tmp_path):
    out = tmp_path / "p.jsonl"
    harness.run("oracle", hand, "val", out, progress=False, batch_size=4)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["info"] == {"schema": "rris-predictions/1", "dataset": "rhand", "split_by": "unc",
                                "split": "val", "model": "oracle", "dataset_sha256": hand.sha256}
    assert [r["sent_id"] for r in lines[1:]] == [1, 2, 3, 4, 5, 6]
    assert [r["segmentation"] is None for r in lines[1:]] == [False, False, True, True, False, True]
    assert not list(tmp_path.glob("*.partial"))


def test_example_adapter_from_a_file_runs_end_to_end_and_scores_its_masks(rtoy, tmp_path):
    """The README's example, loaded from its path, gives the masks it computes itself, and the engine scores
    them as a dense recomputation does."""
    out = tmp_path / "colour.jsonl"
    summary = harness.run(f"{EXAMPLE}:ColourAdapter", rtoy, "val", out, options={"tolerance": 80}, progress=False)
    assert summary["adapter"] == "colour" and summary["predicted"] == len(rtoy.sentences_in(["val"]))
    _, direct = create(f"{EXAMPLE}:ColourAdapter")
    direct.setup("cpu", tolerance=80)
    ious, negatives_empty, n_negatives = [], 0, 0
    for ref in rtoy.refs_in(["val"]):
        image = np.asarray(Image.open(rtoy.image_path(ref["image_id"])).convert("RGB"))
        truth = masks.decode(rtoy.ref_rle(ref["ref_id"]))
        for sent in ref["sentences"]:
            h, w = image.shape[:2]
            pred = direct.predict([Sample(image, ref["image_id"], h, w, sent["sent_id"], ref["ref_id"],
                                          sent["sent"])])[0].mask
            pred = np.zeros_like(truth) if pred is None else pred
            if sentence_exists(sent):
                ious.append((truth & pred).sum() / (truth | pred).sum())
            else:
                n_negatives += 1
                negatives_empty += not pred.any()
    got = scores(rtoy, out)
    assert got["mIoU"] == pytest.approx(100 * np.mean(ious))
    assert got["N-acc"] == pytest.approx(100 * negatives_empty / n_negatives)
    assert 0 < got["mIoU"] < 100 and 0 < got["N-acc"] < 100  # a real heuristic, neither bound


def test_grouped_adapters_get_one_image_per_run_of_samples_and_limit(rtoy, tmp_path):
    seen: List[int] = []

    class Recorder(Adapter):
        name = "recorder"
        group_by_image = True
        batch_size = 5

        def predict(self, batch: List[Sample]) -> List[Prediction]:
            seen.extend(s.image_id for s in batch)
            assert all(not s.image.flags.writeable and s.image.dtype == np.uint8 for s in batch)
            return [Prediction(None) for _ in batch]

    harness.run(Recorder(), rtoy, "val", tmp_path / "r.jsonl", progress=False)
    changes = sum(a != b for a, b in zip(seen, seen[1:]))
    assert changes == len(set(seen)) - 1  # each image's sentences arrive together
    harness.run(Recorder(), rtoy, "val", tmp_path / "l.jsonl", progress=False, limit=7)
    assert len(read_predictions(tmp_path / "l.jsonl").records) == 7


def test_options_reach_setup_and_unknown_ones_are_refused(hand, tmp_path):
    with pytest.raises(InputError, match="does not take the option.*colour_x.*it takes: tolerance"):
        harness.run(f"{EXAMPLE}:ColourAdapter", hand, "val", tmp_path / "x.jsonl", options={"colour_x": 1},
                    progress=False)


# --- adapters that misbehave ---------------------------------------------------------------------------
class Faulty(Adapter):
    """Correct on the first batch (sent_ids 1, 2), then does ``fault`` on the second (3, 4)."""

    name = "faulty"
    batch_size = 2

    def __init__(self, fault: str):
        self.fault = fault

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        good = [Prediction(np.ones((s.height, s.width), dtype=bool), score=0.5) for s in batch]
        if batch[0].sent_id == 1:
            return good
        if self.fault == "raises":
            raise ValueError("boom")
        if self.fault == "count":
            return good[:1]
        if self.fault == "size":
            return [Prediction(np.ones((4, 4), dtype=bool))] + good[1:]
        if self.fault == "float":
            return [Prediction(np.full((s.height, s.width), 0.7)) for s in batch]
        if self.fault == "score":
            return [Prediction(p.mask, score=1.5) for p in good]
        if self.fault == "rle":
            return [Prediction({"size": [10, 10], "counts": "0a"}) for _ in batch]
        return [Prediction(p.mask) for p in good]  # "no-score": scores on batch 1, none on batch 2


@pytest.mark.parametrize("fault, message", [
    ("raises", r"predict\(\) raised ValueError: boom \(test_harness.py:\d+\)"),
    ("count", r"returned 1 predictions for a batch of 2"),
    ("size", r"mask of shape \(4, 4\) for an image of 10x10"),
    ("float", r"mask of dtype float64"),
    ("score", r"score 1.5 is not a number in \[0, 1\]"),
    ("rle", r"malformed RLE"),
    ("no-score", r"score for some samples and not for others"),
])
def test_a_misbehaving_adapter_fails_naming_it_and_the_sample_and_keeps_what_was_written(hand, tmp_path, fault,
                                                                                          message):
    out = tmp_path / "p.jsonl"
    with pytest.raises(AdapterError, match=message) as caught:
        harness.run(Faulty(fault), hand, "val", out, progress=False)
    assert "adapter faulty" in str(caught.value) and "sent_id 3 (image 1, 'bear')" in str(caught.value)
    assert not out.exists()
    kept = (tmp_path / "p.jsonl.partial").read_text().splitlines()
    assert [json.loads(x).get("sent_id") for x in kept[1:]] == [1, 2]
    assert "2 predictions written before are kept in" in str(caught.value)


def test_all_empty_mask_and_rle_are_written_as_no_target(hand, tmp_path):
    class Blank(Adapter):
        name = "blank"

        def predict(self, batch):
            return [Prediction(np.zeros((s.height, s.width), dtype=np.uint8)) if s.sent_id % 2 else
                    Prediction(masks.empty(s.height, s.width)) for s in batch]

    harness.run(Blank(), hand, "val", tmp_path / "b.jsonl", progress=False)
    assert all(r["segmentation"] is None for r in read_predictions(tmp_path / "b.jsonl").records)


# --- resuming ------------------------------------------------------------------------------------------
def test_resume_continues_a_partial_file_cut_mid_line_and_ends_identical(rtoy, tmp_path):
    full, cut = tmp_path / "full.jsonl", tmp_path / "cut.jsonl"
    harness.run("gt-box", rtoy, "val", full, progress=False, batch_size=16)
    text = full.read_text()
    lines = text.splitlines(keepends=True)
    partial = tmp_path / "cut.jsonl.partial"  # as a crash leaves it: 40 records and half of the 41st
    partial.write_text("".join(lines[:41]) + lines[41][:25])
    summary = harness.run("gt-box", rtoy, "val", cut, progress=False, batch_size=16, resume=True)
    assert summary["resumed"] == 40 and summary["predicted"] == len(lines) - 41
    assert cut.read_bytes() == full.read_bytes() and not partial.exists()
    again = harness.run("gt-box", rtoy, "val", cut, progress=False, resume=True)  # finished: nothing to do
    assert again["predicted"] == 0 and cut.read_bytes() == full.read_bytes()


def test_resume_refuses_a_file_of_another_run(hand, tmp_path):
    out = tmp_path / "p.jsonl"
    harness.run("empty", hand, "val", out, progress=False)
    with pytest.raises(InputError, match="made by another run \\(its model differ"):
        harness.run("oracle", hand, "val", out, progress=False, resume=True)


def test_summary_splits_the_time(hand, tmp_path):
    summary = harness.run("oracle", hand, "val", tmp_path / "p.jsonl", progress=False)
    parts = summary["model_seconds"] + summary["data_seconds"] + summary["overhead_seconds"]
    assert parts == pytest.approx(summary["wall_seconds"])
    assert "overhead" in harness.format_summary(summary)


# --- never losing an unfinished run ------------------------------------------------------------------
def test_a_rerun_without_resume_refuses_to_delete_a_partial_file_and_overwrite_discards_it(hand, tmp_path):
    out = tmp_path / "p.jsonl"
    with pytest.raises(AdapterError):
        harness.run(Faulty("raises"), hand, "val", out, progress=False)
    partial = tmp_path / "p.jsonl.partial"
    kept = partial.read_bytes()
    with pytest.raises(InputError, match="holds 2 predictions of an unfinished run: rerun with --resume .* "
                                         "or with --overwrite"):
        harness.run("oracle", hand, "val", out, progress=False)
    assert partial.read_bytes() == kept and not out.exists()
    with pytest.raises(InputError, match="not both"):
        harness.run("oracle", hand, "val", out, progress=False, resume=True, overwrite=True)
    harness.run("oracle", hand, "val", out, progress=False, overwrite=True)
    assert not partial.exists() and out.is_file()


def test_a_failed_setup_leaves_no_partial_file_and_keeps_an_existing_one(hand, tmp_path):
    class Broken(Adapter):
        name = "broken"

        def setup(self, device: str = "cpu") -> None:
            raise RuntimeError("no weights")

        def predict(self, batch):  # pragma: no cover - never reached
            return []

    out = tmp_path / "p.jsonl"
    with pytest.raises(InputError, match="no weights"):
        harness.run(Broken(), hand, "val", out, progress=False)
    assert not (tmp_path / "p.jsonl.partial").exists() and not out.exists()
    with pytest.raises(AdapterError):
        harness.run(Faulty("raises"), hand, "val", out, progress=False)
    kept = (tmp_path / "p.jsonl.partial").read_bytes()
    with pytest.raises(InputError, match="no weights"):
        harness.run(Broken(), hand, "val", out, progress=False, overwrite=True)
    assert (tmp_path / "p.jsonl.partial").read_bytes() == kept  # discarded only once a run really starts


def test_trivial_baselines_run_without_the_image_files(tmp_path):
    from harness_world import IMAGE_DIR

    dataset = hand_world(tmp_path)
    reference = {}
    for name in ("empty", "oracle", "gt-box"):
        harness.run(name, dataset, "val", tmp_path / f"{name}.jsonl", progress=False)
        reference[name] = (tmp_path / f"{name}.jsonl").read_bytes()
    for image in (tmp_path / IMAGE_DIR).iterdir():
        image.unlink()
    for name in ("empty", "oracle", "gt-box"):
        harness.run(name, dataset, "val", tmp_path / f"again-{name}.jsonl", progress=False)
        assert (tmp_path / f"again-{name}.jsonl").read_bytes() == reference[name]
    with pytest.raises(InputError):  # a model that reads images still needs them
        harness.run(f"{EXAMPLE}:ColourAdapter", dataset, "val", tmp_path / "colour.jsonl", progress=False)


def test_summary_gives_a_share_of_the_model_time_only_when_the_model_takes_time(hand, tmp_path):
    summary = harness.run("oracle", hand, "val", tmp_path / "p.jsonl", progress=False)
    quick = harness.format_summary({**summary, "model_seconds": 0.001, "overhead_seconds": 0.5})
    assert "%" not in quick and "83.33 ms per sample" in quick  # 0.5 s over 6 samples
    slow = harness.format_summary({**summary, "model_seconds": 10.0, "overhead_seconds": 0.5})
    assert "5.0% of the model's time" in slow
