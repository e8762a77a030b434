"""Training RefSegformer with the shared loop: the official loss and optimiser groups, and the toy demo.

Loss (official ``loss_with_exist``): CE over positives' pixels + 0.4 x CE of negatives against an empty
target + 1.0 x BCE of the existence probability. Each term is normalised by the global (all-process) count
of its samples, so N processes equal one process with the same global batch.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from rris_bench.errors import InputError
from rris_bench.datasets.model import Dataset
from rris_bench.datasets import load_dataset

from ..common.text import build_vocab
from ..common.training import Task, TrainConfig, swin_bert_groups, train
from .checkpoint import load_swin_pretrained
from .config import RefSegformerConfig, preset
from .model import RefSegformer

NEG_WEIGHT = 0.4
EXIST_WEIGHT = 1.0


class RefSegformerTask(Task):
    name = "refsegformer"

    def __init__(self, config: RefSegformerConfig, pretrained_text: bool = False, swin: Optional[Path] = None,
                 fg_weight: float = 1.0):
        self.config = config
        self.fg_weight = fg_weight
        self.pretrained_text = pretrained_text
        self.swin = swin

    def build_model(self) -> nn.Module:
        """The model, with BERT weights from the text spec's folder and Swin weights from ``swin`` if given."""
        model = RefSegformer(self.config, pretrained_text=self.pretrained_text)
        if self.swin is not None:
            load_swin_pretrained(model, self.swin)
        return model

    def param_groups(self, model: nn.Module, weight_decay: float) -> List[Dict[str, Any]]:
        """The official groups (``swin_bert_groups``) with the segmentation head as the heads."""
        return swin_bert_groups(model.image_encoder, list(model.segmentation.parameters()), model.text_encoder,
                                self.config.text_train_layers)

    def loss(self, model: nn.Module, batch: Dict[str, torch.Tensor], counts: Dict[str, float]
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        logits, exist_logit = model(batch["image"], batch["ids"], batch["mask"], raw=True)
        return refsegformer_loss(logits, exist_logit, batch["target"], batch["exist"], counts, self.fg_weight)

    def predict(self, model: nn.Module, images, ids, mask):
        logits, exist_logit = model.logits(images, ids, mask)
        return logits.softmax(1)[:, 1], torch.sigmoid(exist_logit)


def refsegformer_loss(logits: torch.Tensor, exist_logit: torch.Tensor, target: torch.Tensor, exist: torch.Tensor,
                      counts: Dict[str, float], fg_weight: float = 1.0) -> Tuple[torch.Tensor, Dict[str, float]]:
    """Sum of per-sample pixel-mean CE over positives / global positives + 0.4 x the same over negatives +
    per-sample BCE (of the sigmoid probability, as the official code) / global samples. ``fg_weight`` scales
    the CE of object pixels (official: 1; the toy demo's objects cover ~2% of an image)."""
    weight = None if fg_weight == 1.0 else logits.new_tensor([1.0, fg_weight])
    ce = F.cross_entropy(logits, target, weight=weight, reduction="none").flatten(1).mean(1)
    pos = exist > 0.5
    loss_pos = ce[pos].sum() / counts["positives"] if counts["positives"] else ce.sum() * 0
    loss_neg = ce[~pos].sum() / counts["negatives"] if counts["negatives"] else ce.sum() * 0
    prob = torch.sigmoid(exist_logit)
    bce = F.binary_cross_entropy(prob, exist.to(prob.dtype), reduction="sum") / counts["samples"]
    loss = loss_pos + NEG_WEIGHT * loss_neg + EXIST_WEIGHT * bce
    parts = {"ce_pos": float(loss_pos.detach()), "ce_neg": float(loss_neg.detach()), "bce_exist": float(bce.detach())}
    return loss, parts


def tiny_config(dataset: Dataset, text: str = "tiny", **overrides: Any) -> RefSegformerConfig:
    """The ``tiny`` preset with a word vocabulary built from ``dataset``'s sentences (``text="tiny"``), or
    the bundled MiniLM (``text="minilm"``)."""
    if text == "minilm":
        spec: Dict[str, Any] = {"kind": "minilm"}
    else:
        sentences = (s.get("raw") or s.get("sent", "") for ref in dataset.refs_in() for s in ref["sentences"])
        spec = {**preset("tiny").text, "vocab": build_vocab(sentences)}
    return preset("tiny", text=spec, **overrides)


def make_task(dataset: Dataset, preset_name: Optional[str] = None, text: Optional[str] = None,
              bert: Optional[str] = None, swin: Optional[str] = None) -> RefSegformerTask:
    """The trainable-model factory of ``rris-bench train refsegformer`` (see common.registry).

    ``preset_name`` defaults to swin-b; ``text``: tiny (vocabulary from ``dataset``), minilm or
    bert-base-uncased; ``bert``: a local bert-base-uncased folder (its weights initialise the text encoder);
    ``swin``: an official Swin ImageNet ``.pth`` for the image encoder.
    """
    name = preset_name or "swin-b"
    if text == "tiny" or (text is None and name == "tiny"):
        if bert:
            raise InputError("--bert does not apply to the word-level tiny text encoder", field="--bert")
        cfg = tiny_config(dataset) if name == "tiny" else preset(name, text=tiny_config(dataset).text)
        return RefSegformerTask(cfg, swin=Path(swin) if swin else None)
    spec = {"kind": text or "bert-base-uncased"}
    if bert:
        spec = {"kind": "bert-base-uncased", "path": str(bert)}
    cfg = preset(name, text=spec)
    return RefSegformerTask(cfg, pretrained_text=bool(bert) or spec["kind"] == "minilm",
                            swin=Path(swin) if swin else None)


# 10 epochs of 16 at 64 px (570 steps, ~75 s on 2 threads): at 64 px a step of 16 costs about what a step of 8
# does (~140 ms, overhead-bound), so the minute buys twice the sentences; 96 px measured no better
DEMO_TRAIN = TrainConfig(epochs=10, batch_size=16, lr=1e-3, weight_decay=0.01, val_split=None, positive_fraction=0.5,
                         checkpoint_every=1000)
DEMO_FG_WEIGHT = 5.0   # toy objects cover ~2 % of an image: without it the mask head settles on all-background
DEMO_IMG_SIZE = 64


DEMO_RECIPE = (f"the tiny preset at {DEMO_IMG_SIZE}x{DEMO_IMG_SIZE} (text mask and existence heads, a word-level "
               f"text encoder), {DEMO_TRAIN.epochs} epochs of batch {DEMO_TRAIN.batch_size}, AdamW lr "
               f"{DEMO_TRAIN.lr:g}, weight decay {DEMO_TRAIN.weight_decay:g}, poly {DEMO_TRAIN.power:g}, a positive "
               f"sentence sampled half the time, object pixels weighing {DEMO_FG_WEIGHT:g}x in the CE, no validation")


def train_demo(data_root, dataset: str, out_dir, *, seed: int = 0, progress: bool = True,
               epochs: Optional[int] = None, text: str = "tiny", **overrides: Any) -> Path:
    """Train the ``tiny`` preset at 64x64 on a (toy) dataset on the CPU for a fixed number of epochs (10 by
    default: 570 steps of 16 on the toy world) and return the checkpoint path (``<out_dir>/last.pth``, loadable
    by the ``refsegformer`` adapter). Half the sampled sentences are positives; object pixels weigh 5x in
    the CE (``DEMO_RECIPE`` says it all; ``rris-bench train refsegformer --recipe demo`` runs it).
    ``overrides``: TrainConfig fields to change (max_steps, lr, val_split, ...)."""
    data = load_dataset(data_root, dataset)
    cfg = replace(DEMO_TRAIN, seed=seed, progress=progress, epochs=epochs or DEMO_TRAIN.epochs, **overrides)
    task = RefSegformerTask(tiny_config(data, text=text, img_size=DEMO_IMG_SIZE), pretrained_text=text == "minilm",
                            fg_weight=DEMO_FG_WEIGHT)
    return train(task, data, Path(out_dir), cfg)
