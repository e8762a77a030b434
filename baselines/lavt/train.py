"""Training LAVT and LAVT+ with the shared loop (``baselines/common/training.py``), and the toy demo.

LAVT is an RIS model: it trains on positive sentences only (``positive_fraction = 1``: the sentence sampled per
ref is always a positive), with LAVT-RIS's class-weighted CE. LAVT+ samples uniformly over all sentences, as
RefSegformer, and trains with RefSegformer's negative-aware loss. Optimiser groups are LAVT-RIS's.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

from rris_bench.errors import InputError
from rris_bench.datasets.model import Dataset
from rris_bench.datasets import load_dataset

from ..common.text import build_vocab
from ..common.training import Task, TrainConfig, swin_bert_groups, train
from .config import LAVTConfig, preset
from .loss import lavt_loss, lavt_plus_loss
from .model import LAVT

# LAVT-RIS's recipe (README): AdamW lr 5e-5, weight decay 0.01, 40 epochs, batch 8 per GPU, poly 0.9.
LAVT_TRAIN = TrainConfig(epochs=40, batch_size=8, lr=5e-5, weight_decay=0.01)
# The toy demo: the tiny preset for a fixed number of steps (~a minute on a CPU), no validation pass;
# LAVT+ then trains DEMO_PLUS_EPOCHS more from LAVT's weights (see train_demo).
DEMO_TRAIN = TrainConfig(epochs=4, batch_size=8, lr=1e-3, weight_decay=0.01, val_split=None)
DEMO_PLUS_EPOCHS = 2
DEMO_PLUS_POSITIVE_FRACTION = 0.8  # measured on R-toy val: uniform sampling answers no positive, 0.5 12%, 0.8 25%


class LAVTTask(Task):
    """LAVT (``config.existence`` False) or LAVT+ (True) for ``common.training.train``."""

    def __init__(self, config: LAVTConfig, pretrained_text: bool = False, swin: Optional[Path] = None):
        self.config = config
        self.pretrained_text = pretrained_text
        self.swin = swin
        self.name = config.name
        self.positive_fraction = None if config.existence else 1.0

    @classmethod
    def tiny(cls, plus: bool, vocab: Sequence[str]) -> "LAVTTask":
        return cls(preset("tiny", plus=plus, text={**preset("tiny").text, "vocab": list(vocab)}))

    def build_model(self) -> nn.Module:
        """The model, with BERT weights from the text spec's folder and Swin weights from ``swin`` if given."""
        model = LAVT(self.config, pretrained_text=self.pretrained_text)
        if self.swin is not None:
            from ..refsegformer.checkpoint import load_swin_pretrained
            # the shared loader fills ``.image_encoder``; LAVT's Swin is ``backbone`` (PWAMs, gates stay fresh)
            load_swin_pretrained(SimpleNamespace(image_encoder=model.backbone), self.swin)
        return model

    def param_groups(self, model: nn.Module, weight_decay: float) -> List[Dict[str, Any]]:
        """LAVT-RIS's groups (``swin_bert_groups``): the decoder and LAVT+'s existence head as the heads."""
        heads = list(model.classifier.parameters())
        if model.exist_head is not None:
            heads += list(model.exist_head.parameters())
        return swin_bert_groups(model.backbone, heads, model.text_encoder, self.config.text_train_layers)

    def loss(self, model: nn.Module, batch: Dict[str, torch.Tensor], counts: Dict[str, float]
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        logits, exist_logit = model(batch["image"], batch["ids"], batch["mask"])
        if exist_logit is None:
            return lavt_loss(logits, batch["target"], batch["exist"], counts)
        return lavt_plus_loss(logits, exist_logit, batch["target"], batch["exist"], counts)

    def predict(self, model: nn.Module, images, ids, mask):
        logits, exist_logit = model(images, ids, mask)
        exist = torch.sigmoid(exist_logit) if exist_logit is not None else logits.new_ones(len(logits))
        return logits.softmax(1)[:, 1], exist


def tiny_config(dataset: Dataset, plus: bool, text: str = "tiny") -> LAVTConfig:
    """The ``tiny`` preset, with a word vocabulary from ``dataset``'s sentences or the bundled MiniLM."""
    if text == "minilm":
        return preset("tiny", plus=plus, text={"kind": "minilm"})
    vocab = build_vocab(s.get("raw") or s.get("sent", "") for ref in dataset.refs_in() for s in ref["sentences"])
    return preset("tiny", plus=plus, text={**preset("tiny").text, "vocab": vocab})


DEMO_RECIPE = (f"the tiny preset at 64x64 (a word-level text encoder), {DEMO_TRAIN.epochs} epochs of batch "
               f"{DEMO_TRAIN.batch_size} on positive sentences, AdamW lr {DEMO_TRAIN.lr:g}, weight decay "
               f"{DEMO_TRAIN.weight_decay:g}, poly {DEMO_TRAIN.power:g}, no validation")
DEMO_PLUS_RECIPE = (f"LAVT's demo recipe: {DEMO_RECIPE}; then {DEMO_PLUS_EPOCHS} more epochs from its weights with a "
                    f"fresh existence head, sampling a positive sentence with probability "
                    f"{DEMO_PLUS_POSITIVE_FRACTION:g}")


def train_demo(data_root, dataset: str, out_dir, *, plus: bool = False, seed: int = 0, progress: bool = True,
               epochs: Optional[int] = None, text: str = "tiny", lavt_checkpoint: Optional[Path] = None,
               **overrides: Any) -> Path:
    """Train the ``tiny`` LAVT (``plus``: LAVT+) on a (toy) dataset on the CPU for a fixed number of epochs and
    return the checkpoint path (``<out_dir>/last.pth``), which the ``lavt`` / ``lavt-plus`` adapter loads.

    LAVT+ starts from LAVT: ``lavt_checkpoint`` (the ``last.pth`` of this function's LAVT run with the same
    dataset, seed and epochs, e.g. the one the demo has just written) or, without it, the same LAVT run
    trained first into ``<out_dir>/lavt``; then ``DEMO_PLUS_EPOCHS`` epochs of negative-aware training with a
    fresh existence head. From scratch, the tiny model on a CPU budget learns "everything is absent" long
    before it learns masks (measured: no positive answered after 8 epochs). ``overrides``: TrainConfig fields
    to change in both stages (max_steps, lr, val_split, ...). ``DEMO_RECIPE`` / ``DEMO_PLUS_RECIPE`` say it
    all; ``rris-bench train lavt|lavt-plus --recipe demo`` runs it.
    """
    data = load_dataset(data_root, dataset)
    cfg = replace(DEMO_TRAIN, seed=seed, progress=progress, epochs=epochs or DEMO_TRAIN.epochs, **overrides)
    out = Path(out_dir)
    lavt = LAVTTask(tiny_config(data, False, text=text), pretrained_text=text == "minilm")
    if not plus:
        return train(lavt, data, out, cfg)
    first = Path(lavt_checkpoint) if lavt_checkpoint is not None else train(lavt, data, out / "lavt", cfg)
    task = LAVTTask(tiny_config(data, True, text=text), pretrained_text=text == "minilm")
    torch.manual_seed(seed)
    head = {k: v for k, v in task.build_model().state_dict().items() if k.startswith("exist_head.")}
    saved = torch.load(first, map_location="cpu", weights_only=True)
    made = {k: saved.get("train_config", {}).get(k) for k in ("seed", "epochs")}
    if saved.get("model_name") != "lavt" or made != {"seed": cfg.seed, "epochs": cfg.epochs}:
        raise InputError(f"not the demo's LAVT run (model {saved.get('model_name')}, {made}; LAVT+ needs lavt "
                         f"with seed {cfg.seed}, {cfg.epochs} epochs)", first, field="lavt_checkpoint")
    weights = saved["model"]
    plus_cfg = replace(cfg, epochs=DEMO_PLUS_EPOCHS, positive_fraction=DEMO_PLUS_POSITIVE_FRACTION)
    plus_cfg = replace(plus_cfg, **{k: v for k, v in overrides.items() if k != "epochs"})
    return train(task, data, out, plus_cfg, init_weights={**weights, **head})


def train_demo_plus(data_root, dataset: str, out_dir, **options: Any) -> Path:
    """``train_demo(..., plus=True)``: LAVT+'s demo recipe (the ``lavt-plus`` entry of the recipe registry)."""
    return train_demo(data_root, dataset, out_dir, plus=True, **options)


def make_task(dataset: Dataset, preset_name: Optional[str] = None, text: Optional[str] = None,
              bert: Optional[str] = None, swin: Optional[str] = None, plus: bool = False) -> LAVTTask:
    """The trainable-model factory of ``rris-bench train lavt`` (see common.registry): ``preset_name`` defaults
    to swin-b; ``text``: tiny (vocabulary from ``dataset``), minilm or bert-base-uncased; ``bert``: a local
    bert-base-uncased folder (initialises BERT); ``swin``: an official Swin ImageNet ``.pth`` for the backbone."""
    name = preset_name or "swin-b"
    swin_path = Path(swin) if swin else None
    if text == "tiny" or (text is None and name == "tiny"):
        if bert:
            raise InputError("--bert does not apply to the word-level tiny text encoder", field="--bert")
        return LAVTTask(preset(name, plus=plus, text=tiny_config(dataset, plus).text), swin=swin_path)
    spec: Dict[str, Any] = {"kind": "bert-base-uncased", "path": str(bert)} if bert else \
        {"kind": text or "bert-base-uncased"}
    return LAVTTask(preset(name, plus=plus, text=spec), swin=swin_path,
                    pretrained_text=bool(bert) or spec["kind"] == "minilm")


def make_plus_task(dataset: Dataset, **options: Any) -> LAVTTask:
    """The factory of ``rris-bench train lavt-plus``."""
    return make_task(dataset, plus=True, **options)
