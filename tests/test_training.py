"""The shared training loop with RefSegformer's tiny preset: overfitting, save/resume, torchrun (gloo) equals
one process, and the adapter on the trained checkpoint. Data: a small synthetic refer dataset (one coloured
square per image; a positive naming its colour and a negative naming another)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
from PIL import Image  # noqa: E402

from rris_bench.run.adapters import Sample  # noqa: E402
from rris_bench.datasets.refer import IMAGE_DIR, write_dataset
from rris_bench.datasets import load_dataset  # noqa: E402
from rris_bench.baselines.common.training import TrainConfig, load_training_checkpoint, train  # noqa: E402
from rris_bench.baselines.refsegformer.adapter import RefSegformerAdapter  # noqa: E402
from rris_bench.baselines.refsegformer.train import RefSegformerTask, tiny_config  # noqa: E402

COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220), "green": (30, 200, 30)}


def squares_dataset(root: Path, n_train: int = 8, n_val: int = 2) -> Path:
    """Images 48x64 with one square; ref sentences: '<its colour> square' (+) and another colour (-)."""
    rng = np.random.default_rng(0)
    images, anns, refs = [], [], []
    names = list(COLOURS)
    sent_id = 1
    for image_id in range(1, n_train + n_val + 1):
        colour = names[image_id % 2]
        other = names[(image_id + 1) % 2]
        pix = np.full((48, 64, 3), 235, np.uint8)
        x, y, s = int(rng.integers(2, 36)), int(rng.integers(2, 20)), 24
        pix[y:y + s, x:x + s] = COLOURS[colour]
        name = f"COCO_train2014_sq_{image_id:04d}.png"
        path = root / IMAGE_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pix).save(path)
        images.append({"id": image_id, "file_name": name, "height": 48, "width": 64})
        poly = [x, y, x + s, y, x + s, y + s, x, y + s]
        anns.append({"id": image_id, "image_id": image_id, "category_id": 1, "segmentation": [poly],
                     "bbox": [x, y, s, s], "area": s * s, "iscrowd": 0})
        split = "train" if image_id <= n_train else "val"
        sents = [{"sent_id": sent_id, "raw": f"the {colour} square", "sent": f"the {colour} square",
                  "tokens": ["the", colour, "square"], "exist": True},
                 {"sent_id": sent_id + 1, "raw": f"the {other} square", "sent": f"the {other} square",
                  "tokens": ["the", other, "square"], "exist": False}]
        sent_id += 2
        refs.append({"ref_id": image_id, "ann_id": image_id, "image_id": image_id, "category_id": 1,
                     "split": split, "file_name": name, "sent_ids": [s["sent_id"] for s in sents],
                     "sentences": sents})
    write_dataset(root, "squares", "unc", refs, {"images": images, "annotations": anns,
                                                 "categories": [{"id": 1, "name": "square",
                                                                 "supercategory": "shape"}]})
    return root


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_dataset(squares_dataset(tmp_path_factory.mktemp("squares")), "squares")


def _task(data):
    return RefSegformerTask(tiny_config(data))


def _losses(out: Path):
    return [h["loss"] for h in map(json.loads, (out / "history.jsonl").read_text().splitlines()) if "loss" in h]


@pytest.fixture(scope="module")
def overfit(data, tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("overfit")
    cfg = TrainConfig(epochs=100, batch_size=8, lr=1e-3, val_split=None, positive_fraction=0.5, progress=False,
                      checkpoint_every=1000)
    return train(_task(data), data, out, cfg), _losses(out)


def test_tiny_overfits_and_answers_a_positive_and_a_negative(data, overfit):
    ckpt, losses = overfit
    assert np.mean(losses[-5:]) < np.mean(losses[:5]) / 10, (losses[:5], losses[-5:])
    adapter = RefSegformerAdapter()
    adapter.setup(checkpoint=str(ckpt))
    ref = data.refs_in(["train"])[0]
    image = np.asarray(Image.open(data.image_path(ref["image_id"])).convert("RGB"))
    pos, neg = ref["sentences"]
    samples = [Sample(image, ref["image_id"], 48, 64, s["sent_id"], ref["ref_id"], s["raw"]) for s in (pos, neg)]
    answer_pos, answer_neg = adapter.predict(samples)
    assert answer_neg.mask is None and answer_neg.score < 0.5
    assert answer_pos.score > 0.5 and answer_pos.mask.shape == (48, 64)
    from rris_bench import masks
    truth = masks.decode(data.ref_rle(ref["ref_id"])).astype(bool)
    iou = (answer_pos.mask & truth).sum() / (answer_pos.mask | truth).sum()
    assert iou > 0.7
    # the existence threshold is an option: above every score, everything is "no target"
    strict = RefSegformerAdapter()
    strict.setup(checkpoint=str(ckpt), exist_threshold="1.01")
    assert all(p.mask is None for p in strict.predict(samples))
    # a batch answers as its samples one by one
    single = adapter.predict(samples[:1])[0]
    assert single.score == pytest.approx(answer_pos.score, abs=1e-6)


def test_save_and_resume_continue_step_and_optimiser_state(data, tmp_path):
    torch.set_num_threads(1)
    cfg = TrainConfig(epochs=10, batch_size=2, lr=1e-3, val_split=None, progress=False)   # 4 steps per epoch
    straight = train(_task(data), data, tmp_path / "straight", replace(cfg, max_steps=6))
    first = train(_task(data), data, tmp_path / "resumed", replace(cfg, max_steps=3))
    state = load_training_checkpoint(first)
    assert state["step"] == 3
    assert all(int(s["step"]) == 3 for s in state["optimizer"]["state"].values())
    resumed = train(_task(data), data, tmp_path / "resumed", replace(cfg, max_steps=6), resume=first)
    a, b = load_training_checkpoint(straight), load_training_checkpoint(resumed)
    assert b["step"] == 6 and b["lr_scheduler"]["last_epoch"] == 6
    assert _losses(tmp_path / "resumed") == pytest.approx(_losses(tmp_path / "straight"), rel=1e-5)
    for key, value in a["model"].items():
        torch.testing.assert_close(b["model"][key], value, atol=1e-6, rtol=1e-5)
    for sa, sb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        torch.testing.assert_close(sb["exp_avg_sq"], sa["exp_avg_sq"], atol=1e-9, rtol=1e-4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_processes_match_one_process_with_the_same_global_batch(data, tmp_path):
    common = ["train", "refsegformer", "--data-root", str(data.root), "--dataset", "squares", "--preset", "tiny",
              "--max-steps", "3", "--val-split", "none", "--lr", "1e-3"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                          "--master_port", str(_free_port()), "-m", "rris_bench.cli", *common,
                          "--batch-size", "2", "--out", str(tmp_path / "ddp")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("torch threads: 1 intra-op (OMP_NUM_THREADS)") == 1  # rank 0 alone says it
    torch.set_num_threads(1)
    train(_task(data), data, tmp_path / "one",
          TrainConfig(epochs=50, batch_size=4, lr=1e-3, max_steps=3, val_split=None, progress=False))
    ddp, one = _losses(tmp_path / "ddp"), _losses(tmp_path / "one")
    assert len(ddp) == len(one) == 3
    assert ddp[0] == pytest.approx(one[0], rel=1e-5)   # same samples, same weights: same loss
    assert ddp == pytest.approx(one, rel=1e-3)         # after updates, float summation order drifts slightly
