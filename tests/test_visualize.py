"""The visualize grid: what each row says (kind, IoU), the overlays, the choice of sentences, the PNG file."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from harness_world import hand_world
from rris_bench.run import harness
from rris_bench.report import visualize as viz
from rris_bench.cli import main
from rris_bench.errors import InputError
from rris_bench.metrics.predictions import read_predictions


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("hand")
    dataset = hand_world(root)
    preds = root / "gt-box.jsonl"
    harness.run("gt-box", dataset, "val", preds, progress=False)
    return root, dataset, preds


def test_rows_give_the_kind_and_the_per_sentence_iou(world):
    _, dataset, preds = world
    rows = {r.sent_id: r for r in viz.rows(dataset, read_predictions(preds), ["val"], [1, 3, 5])}
    assert (rows[1].kind, rows[1].iou) == ("positive", pytest.approx(16 / 24))  # the L in its box
    assert (rows[5].kind, rows[5].iou) == ("positive", 1.0)                     # the square is its box
    assert rows[3].kind == "negative: random_category (category_absent)" and rows[3].iou == 0.0
    assert rows[3].truth is None and rows[3].prediction.sum() == 24 and rows[1].sentence == "the red block"


def test_overlay_dims_outside_the_mask_and_draws_its_border():
    image = np.full((6, 6, 3), 200, dtype=np.uint8)
    mask = np.zeros((6, 6), dtype=bool)
    mask[1:5, 1:5] = True
    out = viz.overlay(image, mask, (0, 255, 0))
    assert (out[0, 0] == 60).all()                   # outside: dimmed to DIM
    assert tuple(out[1, 1]) == (0, 255, 0)           # border: the colour
    assert (out[2:4, 2:4] == 200).all()              # inside: the image itself
    assert (viz.overlay(image, None, (0, 255, 0)) == 60).all()


def test_choice_is_seeded_and_filtered_by_kind(world):
    _, dataset, _ = world
    assert viz.choose(dataset, ["val"], random=3, seed=4) == viz.choose(dataset, ["val"], random=3, seed=4)
    assert viz.choose(dataset, ["val"], random=10, kind="negative") == [3, 4, 6]
    assert viz.choose(dataset, ["val"], sent_ids=[5, 1]) == [5, 1]
    with pytest.raises(InputError, match="sent_id 3 is not a positive sentence of split val"):
        viz.choose(dataset, ["val"], sent_ids=[3], kind="positive")


def test_grid_png_has_a_row_per_sentence_and_the_same_bytes_each_time(world, tmp_path):
    _, dataset, preds = world
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert viz.write_grid(dataset, preds, first, splits=["val"], sent_ids=[1, 3, 5]) == [1, 3, 5]
    viz.write_grid(dataset, preds, second, splits=["val"], sent_ids=[1, 3, 5])
    assert first.read_bytes() == second.read_bytes()
    width, height = Image.open(first).size
    assert width == 900 and height == round(100 * (2.9 * 3 + 0.3))


def cli(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(["visualize", *args])
    return done.value.code


def test_command_writes_the_grid_and_refuses_unknown_sentences(world, tmp_path, capsys):
    root, _, preds = world
    out = tmp_path / "grid.png"
    assert cli(str(preds), "--data-root", str(root), "--random", "2", "--out", str(out)) == 0
    assert out.is_file() and "2 sentences" in capsys.readouterr().out
    assert cli(str(preds), "--data-root", str(root), "--sent-id", "99", "--out", str(out)) == 2
    assert "sent_id 99 is not a sentence of split val" in capsys.readouterr().err


def test_a_partial_file_draws_only_its_predicted_sentences(world, tmp_path, capsys):
    root, dataset, _ = world
    preds = tmp_path / "limited.jsonl"
    harness.run("gt-box", dataset, "val", preds, progress=False, limit=3)  # predicts sent_ids 1, 2, 3 only
    assert viz.write_grid(dataset, preds, tmp_path / "g.png", splits=["val"], random=8) == [1, 2, 3]
    assert viz.write_grid(dataset, preds, tmp_path / "g.png", splits=["val"], random=8, kind="negative") == [3]
    with pytest.raises(InputError, match="sent_id 4 has no prediction in this file \\(it predicts 3 of the 6"):
        viz.write_grid(dataset, preds, tmp_path / "g.png", splits=["val"], sent_ids=[1, 4])
    with pytest.raises(InputError, match="sent_id 4 has no prediction"):
        viz.rows(dataset, read_predictions(preds), ["val"], [4])
    assert cli(str(preds), "--data-root", str(root), "--sent-id", "5", "--out", str(tmp_path / "g.png")) == 2
    assert "limited.jsonl" in capsys.readouterr().err
