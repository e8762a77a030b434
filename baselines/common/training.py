"""THE training loop every baseline uses: data-parallel under torchrun, AdamW with polynomial decay per
iteration, a checkpoint every epoch with resume, a progress bar with the rate, ETA and running loss (plain
lines in a log, ``rris_bench.progress``), and validation by rIoU on a split after each epoch (scored by
``rris_bench.metrics``).

A model plugs in through a ``Task``: it builds the model, names its parameter groups, computes its loss
from a batch (normalising by GLOBAL counts, see ``Task.loss``) and predicts for validation.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.distributed as dist
from torch import nn

from rris_bench import masks, progress
from rris_bench.errors import InputError
from rris_bench.files import atomic_path, write_text
from rris_bench.datasets.model import Dataset

from . import dist as ddp
from .data import ReferTrainDataset, load_rgb
from .image import decide, image_tensor
from .text import build_tokenizer, encode


@dataclass
class TrainConfig:
    """Defaults are the official RefSegformer recipe (batch per process, as per GPU there)."""

    epochs: int = 50
    batch_size: int = 6
    lr: float = 3e-5
    weight_decay: float = 0.01
    power: float = 0.9
    seed: int = 0
    max_steps: Optional[int] = None       # stop after this many optimiser steps (tests, the demo)
    train_split: str = "train"
    val_split: Optional[str] = "val"      # None: no validation
    positive_fraction: Optional[float] = None  # None: one sentence uniformly per ref (official)
    val_batch_size: int = 16
    exist_threshold: float = 0.5
    checkpoint_every: int = 1             # epochs between checkpoints (the last step always saves)
    progress: bool = True


class Task:
    """What a model brings to the loop (subclass and fill in).

    ``config`` is the model's config dataclass: it has ``img_size``, ``max_tokens``, ``text`` (the text
    encoder's spec) and ``to_dict()``, from which the task answers the loop's questions below.
    """

    name = ""
    positive_fraction: Optional[float] = None  # the model's default for TrainConfig.positive_fraction
    config: Any = None
    _tok: Any = None

    def build_model(self) -> nn.Module:
        raise NotImplementedError

    def config_dict(self) -> Dict[str, Any]:
        """JSON-able description stored in checkpoints (rebuilds the model)."""
        return self.config.to_dict()

    @property
    def img_size(self) -> int:
        return self.config.img_size

    @property
    def max_tokens(self) -> int:
        return self.config.max_tokens

    def tokenizer(self):
        if self._tok is None:
            self._tok = build_tokenizer(self.config.text)
        return self._tok

    def param_groups(self, model: nn.Module, weight_decay: float) -> List[Dict[str, Any]]:
        return [{"params": [p for p in model.parameters() if p.requires_grad]}]

    def loss(self, model: nn.Module, batch: Dict[str, torch.Tensor], counts: Dict[str, float]
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        """(loss, parts). ``counts`` holds the GLOBAL batch counts (all processes) of ``positives``,
        ``negatives`` and ``samples``: normalise sums by them, so DDP's gradient averaging reproduces one
        process on the whole global batch (the loop multiplies by the world size)."""
        raise NotImplementedError

    def predict(self, model: nn.Module, images: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(foreground probability (B, S, S), existence probability (B,)) in eval mode."""
        raise NotImplementedError


def swin_bert_groups(image_encoder: nn.Module, heads: List[nn.Parameter], text_encoder: nn.Module,
                     text_train_layers: Optional[int]) -> List[Dict[str, Any]]:
    """The optimiser groups RefSegformer and LAVT-RIS share: Swin norms and position tables without weight
    decay, the rest of the Swin encoder, the heads, and BERT layers 0..text_train_layers-1 (the embeddings
    and later layers are not optimised), or the whole text encoder when ``text_train_layers`` is None."""
    no_decay, decay = [], []
    for name, p in image_encoder.named_parameters():
        skip = "norm" in name or "absolute_pos_embed" in name or "relative_position_bias_table" in name
        (no_decay if skip else decay).append(p)
    text = list(text_encoder.parameters()) if text_train_layers is None else \
        [p for layer in text_encoder.encoder.layer[:text_train_layers] for p in layer.parameters()]
    return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay},
            {"params": [p for p in heads if p.requires_grad]}, {"params": [p for p in text if p.requires_grad]}]


def poly_lambda(total_steps: int, power: float):
    return lambda step: max(0.0, 1 - step / total_steps) ** power


def _collate(items: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {k: torch.stack([it[k] for it in items]) if torch.is_tensor(items[0][k]) else [it[k] for it in items]
            for k in items[0]}


def save_checkpoint(path: Path, task: Task, model: nn.Module, optimizer, scheduler, epoch: int, step: int,
                    train_config: TrainConfig, history: List[Dict[str, Any]]) -> None:
    with atomic_path(path) as tmp:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "lr_scheduler": scheduler.state_dict(), "epoch": epoch, "step": step,
                    "model_name": task.name, "config": task.config_dict(), "train_config": asdict(train_config),
                    "history": history}, tmp)


def validate(task: Task, model: nn.Module, dataset: Dataset, split: str, out_file: Path,
             batch_size: int, threshold: float, show_progress: bool) -> Dict[str, Any]:
    """Predict every sentence of ``split``, write a predictions file, and score it with rris_bench.metrics."""
    from rris_bench import metrics
    from rris_bench.metrics.predictions import info_record, jsonl_line, prediction_record

    tok = task.tokenizer()
    samples = [(ref, sent) for ref in dataset.refs_in([split]) for sent in ref["sentences"]]
    lines = [jsonl_line({"info": info_record(dataset.name, dataset.split_by, split, task.name, dataset.sha256)})]
    model.eval()
    images: Dict[int, Tuple[torch.Tensor, int, int]] = {}
    bar = progress.bar(len(samples), f"validate {split}", "sample", enabled=show_progress, leave=False)
    with torch.inference_mode(), bar:
        for start in range(0, len(samples), batch_size):
            chunk = samples[start:start + batch_size]
            for ref, _ in chunk:
                if ref["image_id"] not in images:
                    rgb = load_rgb(dataset.image_path(ref["image_id"]))
                    images[ref["image_id"]] = (image_tensor(rgb, task.img_size), rgb.shape[0], rgb.shape[1])
            x = torch.stack([images[ref["image_id"]][0] for ref, _ in chunk])
            ids, mask = encode(tok, [s.get("raw") or s.get("sent", "") for _, s in chunk], task.max_tokens)
            prob, exist = task.predict(model, x, ids, mask)
            for (ref, sent), p, e in zip(chunk, prob, exist):
                _, h, w = images[ref["image_id"]]
                binary = decide(p, float(e), h, w, threshold)
                seg = None if binary is None else masks.encode(binary)
                lines.append(jsonl_line(prediction_record(sent["sent_id"], ref["image_id"], seg, float(e))))
            bar.update(len(chunk))
    write_text(out_file, "".join(lines))
    record = metrics.evaluate(dataset, out_file, [split], model=task.name)
    return record["metrics"]


def train(task: Task, dataset: Dataset, out_dir: Path, config: TrainConfig,
          resume: Optional[Path] = None, init_weights: Optional[Dict[str, torch.Tensor]] = None) -> Path:
    """Train ``task`` on ``dataset`` into ``out_dir`` (``last.pth`` each epoch, ``history.jsonl``);
    ``resume``: a checkpoint of this loop to continue from. Returns the last checkpoint's path."""
    rank, world = ddp.init_from_env()
    out_dir = Path(out_dir)
    torch.manual_seed(config.seed)
    model = task.build_model()
    if init_weights is not None:
        model.load_state_dict(init_weights, strict=True)
    if world > 1:
        ddp.convert_batchnorm(model)
    train_set = ReferTrainDataset(dataset, [config.train_split], task.img_size, task.tokenizer(),
                                  task.max_tokens, seed=config.seed,
                                  positive_fraction=config.positive_fraction if config.positive_fraction is not None
                                  else task.positive_fraction)
    sampler = torch.utils.data.DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True,
                                                  seed=config.seed, drop_last=True)
    loader = torch.utils.data.DataLoader(train_set, batch_size=config.batch_size, sampler=sampler,
                                         collate_fn=_collate, drop_last=True)
    steps_per_epoch = len(loader)
    if steps_per_epoch == 0:
        raise InputError(f"{len(train_set)} training refs give no full batch of {config.batch_size} per process "
                         f"({world} processes)", field="--batch-size")
    total = steps_per_epoch * config.epochs
    optimizer = torch.optim.AdamW(task.param_groups(model, config.weight_decay), lr=config.lr,
                                  weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, poly_lambda(total, config.power))
    step, history = 0, []
    if resume is not None:
        state = load_training_checkpoint(resume)
        model.load_state_dict(state["model"], strict=True)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["lr_scheduler"])
        step, history = int(state["step"]), list(state.get("history", []))
    net = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True) if world > 1 else model
    last = out_dir / "last.pth"
    stop = min(total, config.max_steps) if config.max_steps is not None else total
    bar = progress.bar(stop, f"train {task.name}", "step", enabled=config.progress and rank == 0, initial=step)
    running: Optional[float] = None
    while step < stop:
        epoch, skip = divmod(step, steps_per_epoch)
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        net.train()
        for i, batch in enumerate(loader):
            if i < skip:
                continue
            local = torch.tensor([float(batch["exist"].sum()), float((1 - batch["exist"]).sum()),
                                  float(len(batch["exist"]))])
            glob = ddp.all_sum_detached(local)
            counts = {"positives": float(glob[0]), "negatives": float(glob[1]), "samples": float(glob[2])}
            loss, parts = task.loss(net, batch, counts)
            optimizer.zero_grad(set_to_none=True)
            (loss * world).backward()
            optimizer.step()
            scheduler.step()
            step += 1
            value = float(ddp.all_sum_detached(loss.detach()))
            running = value if running is None else 0.9 * running + 0.1 * value
            history.append({"step": step, "epoch": epoch, "loss": value, "lr": scheduler.get_last_lr()[0], **parts})
            bar.update(1)
            bar.set_postfix(loss=f"{running:.4f}", epoch=epoch, refresh=False)
            if step >= stop or (step % steps_per_epoch == 0):
                break
        epoch_done = step % steps_per_epoch == 0
        if rank == 0:
            if epoch_done and config.val_split:
                scores = validate(task, model, dataset, config.val_split, out_dir / f"val_epoch{epoch}.jsonl",
                                  config.val_batch_size, config.exist_threshold, config.progress)
                history.append({"step": step, "epoch": epoch, "val_split": config.val_split,
                                "val_rIoU": scores.get("rIoU"), "val_mIoU": scores.get("mIoU")})
                bar.write(f"epoch {epoch}: {config.val_split} " + "  ".join(
                    f"{k} {'n/a' if scores.get(k) is None else format(scores[k], '.2f')}" for k in ("rIoU", "mIoU")))
            if step >= stop or not epoch_done or (epoch + 1) % config.checkpoint_every == 0:
                save_checkpoint(last, task, model, optimizer, scheduler, epoch + (1 if epoch_done else 0), step,
                                config, history)
                write_text(out_dir / "history.jsonl", "".join(json.dumps(h) + "\n" for h in history))
        if world > 1:
            dist.barrier()
    bar.close()
    return last


def load_training_checkpoint(path: Path) -> Dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise InputError("checkpoint not found", path=str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file
        raise InputError(f"not a readable checkpoint: {exc}", path=str(path)) from exc
    for key in ("model", "optimizer", "lr_scheduler", "step"):
        if key not in state:
            raise InputError(f"not a training checkpoint of rris-bench (no {key!r})", path=str(path), field=key)
    return state
