"""`rris-bench train MODEL --recipe demo`: the demo's training from the command line, saying what it sets."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rris_bench.datasets import toy  # noqa: E402
from rris_bench.build import build_robust_dataset  # noqa: E402
from rris_bench.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    toy.generate(root, n_images={"train": 10, "val": 2, "testA": 1, "testB": 1})
    build_robust_dataset(root, "toy", parser="lexicon", progress=False)
    return root


def train(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(["train", *args])
    return done.value.code


@pytest.mark.slow
def test_recipe_demo_trains_what_the_demo_trains_and_says_so(root, tmp_path, capsys):
    out = tmp_path / "rsf"
    assert train("refsegformer", "--recipe", "demo", "--data-root", str(root), "--dataset", "rtoy", "--out",
                 str(out), "--max-steps", "2", "--val-split", "none") == 0
    printed = capsys.readouterr().out
    assert "recipe demo for refsegformer: the tiny preset at 64x64" in printed
    assert "10 epochs of batch 16, AdamW lr 0.001" in printed and "object pixels weighing 5x" in printed
    assert "changed here: --max-steps 2, --val-split none" in printed
    saved = torch.load(out / "last.pth", weights_only=True)
    assert saved["model_name"] == "refsegformer" and saved["step"] == 2
    assert (saved["train_config"]["batch_size"], saved["train_config"]["lr"]) == (16, 1e-3)
    assert saved["train_config"]["positive_fraction"] == 0.5 and saved["config"]["img_size"] == 64


@pytest.mark.slow
def test_recipe_demo_of_lavt_plus_starts_from_lavt(root, tmp_path, capsys):
    out = tmp_path / "plus"
    assert train("lavt-plus", "--recipe", "demo", "--data-root", str(root), "--dataset", "rtoy", "--out", str(out),
                 "--max-steps", "1") == 0
    assert "LAVT's demo recipe" in capsys.readouterr().out
    assert (out / "lavt" / "last.pth").is_file() and (out / "last.pth").is_file()
    assert torch.load(out / "last.pth", weights_only=True)["model_name"] == "lavt-plus"


def test_recipe_refuses_options_it_sets(root, tmp_path, capsys):
    assert train("refsegformer", "--recipe", "demo", "--preset", "swin-t", "--data-root", str(root), "--dataset",
                 "rtoy", "--out", str(tmp_path / "x")) == 2
    assert "--preset does not go with --recipe demo" in capsys.readouterr().err


@pytest.mark.slow
def test_the_demo_trains_lavt_once_and_takes_a_step_limit(tmp_path):
    from rris_bench.demo import run_demo

    result = run_demo(tmp_path, models=["lavt", "lavt-plus"], n_images={"train": 10, "val": 2, "testA": 1,
                                                                         "testB": 1},
                      progress=False, max_steps=1, log=lambda _: None)
    assert [r["model"] for r in result["records"]] == ["lavt", "lavt-plus"]
    assert not (tmp_path / "checkpoints" / "lavt-plus" / "lavt").exists()  # LAVT+ started from LAVT's checkpoint
    for model in ("lavt", "lavt-plus"):
        assert torch.load(tmp_path / "checkpoints" / model / "last.pth", weights_only=True)["step"] == 1
