"""Progress (issue 16): a bar with rate and ETA on a terminal; whole lines now and then in a log; training shows
the step and loss, the harness samples/s."""
from __future__ import annotations

import io

import pytest
from harness_world import hand_world

from rris_bench.run import harness
from rris_bench import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_at_the_start_now_and_then_and_at_the_end(monkeypatch):
    monkeypatch.setattr(progress, "LOG_INTERVAL", 3600.0)
    log = io.StringIO()
    with progress.bar(500, "train x", "step", stream=log) as bar:
        for step in range(500):
            bar.update(1)
            bar.set_postfix(loss=f"{1 / (step + 1):.4f}", refresh=False)
    text = log.getvalue()
    lines = text.splitlines()
    assert "\r" not in text and len(lines) == 2, lines  # 500 updates within the interval: start and end only
    assert lines[0].startswith("train x: 0/500 (0%)")
    assert lines[1].startswith("train x: 500/500 (100%)") and "step/s" in lines[1] and "loss=0.0020" in lines[1]


def test_a_log_line_every_interval(monkeypatch):
    monkeypatch.setattr(progress, "LOG_INTERVAL", 0.0)
    log = io.StringIO()
    with progress.bar(5, "run", "sample", stream=log) as bar:
        for _ in range(5):
            bar.update(1)
    counts = [line.split(": ")[1].split(" ")[0] for line in log.getvalue().splitlines()]
    assert counts[:6] == ["0/5", "1/5", "2/5", "3/5", "4/5", "5/5"]


def test_a_terminal_gets_a_redrawn_bar_with_rate_and_eta():
    tty = Terminal()
    with progress.bar(4, "train x", "step", stream=tty) as bar:
        bar.update(2)
        bar.refresh()
    out = tty.getvalue()
    assert "\r" in out and "2/4" in out and "step/s" in out and "<" in out  # elapsed<remaining


def test_disabled_writes_nothing():
    log = io.StringIO()
    with progress.bar(4, "x", "step", enabled=False, stream=log) as bar:
        bar.update(4)
    assert log.getvalue() == ""


def test_the_harness_reports_samples_per_second_in_a_log(tmp_path, capsys):
    dataset = hand_world(tmp_path / "data")
    harness.run("oracle", dataset, "val", tmp_path / "oracle.jsonl", progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("oracle: 0/") and lines[-1].startswith("oracle: ")
    assert "sample/s" in lines[-1] or "s/sample" in lines[-1]


def test_training_reports_step_and_loss_in_a_log(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from test_training import squares_dataset

    from rris_bench.baselines.common.training import TrainConfig, train
    from rris_bench.baselines.refsegformer.train import RefSegformerTask, tiny_config
    from rris_bench.datasets import load_dataset

    data = load_dataset(squares_dataset(tmp_path / "data"), "squares")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(RefSegformerTask(tiny_config(data)), data, tmp_path / "run",
              TrainConfig(epochs=1, batch_size=2, lr=1e-3, max_steps=3, val_split=None))
    finally:
        torch.set_num_threads(before)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("train refsegformer: 0/3")
    assert lines[-1].startswith("train refsegformer: 3/3 (100%)") and "loss=" in lines[-1]
    assert "step/s" in lines[-1] or "s/step" in lines[-1]  # tqdm inverts a rate below 1


def test_the_builder_reports_refs_per_second_in_a_log(tmp_path, capsys):
    from rris_bench.datasets import toy
    from rris_bench.build import build_robust_dataset

    toy.generate(tmp_path, seed=0, n_images={"val": 3})
    capsys.readouterr()
    build_robust_dataset(tmp_path, "toy", seed=0, parser="lexicon", progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("negatives: ")]
    assert "\r" not in "".join(lines) and lines[0].startswith("negatives: 0/")
    total = lines[0].split("/")[1].split(" ")[0]
    assert int(total) > 0 and lines[-1].startswith(f"negatives: {total}/{total} (100%)")
    assert "ref/s" in lines[-1] or "s/ref" in lines[-1]
