"""Loading the public LAVT checkpoints of yz93/LAVT-RIS into :class:`LAVT`.

A released checkpoint (e.g. ``refcoco.pth``) is a dict with ``model`` (``backbone.*``, ``classifier.*``) and
``bert_model`` (BERT without its pooler); the repository's ``lavt_one`` variant keeps BERT inside ``model`` as
``text_encoder.*``. Both are mapped onto our names, the ``embeddings.position_ids`` buffer that checkpoints
saved with older transformers carry (and 5.x no longer has) is dropped, as the RefSegformer loader does, and any
missing, unexpected or mis-shaped key is reported by name before anything is loaded.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Iterable, List, Optional

import torch
from torch import nn

from rris_bench.errors import InputError
from rris_bench.files import PathLike

from ..common.text import LEGACY_TEXT_KEYS

TEXT_PREFIX = "text_encoder."


def official_state_dict(checkpoint: Dict[str, object]) -> Dict[str, torch.Tensor]:
    """Our state dict from a LAVT-RIS checkpoint dict (``model`` + optional ``bert_model``), without the legacy
    buffers of older transformers (``LEGACY_TEXT_KEYS``)."""
    if "model" not in checkpoint:
        raise InputError("not a LAVT checkpoint: no 'model' entry", field="model")
    state = {_strip_module(k): v for k, v in checkpoint["model"].items()}
    for key, value in (checkpoint.get("bert_model") or {}).items():
        state[TEXT_PREFIX + _strip_module(key)] = value
    return _without_legacy(state)


def _without_legacy(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if k not in LEGACY_TEXT_KEYS}


def _strip_module(key: str) -> str:
    """DDP-saved weights carry a ``module.`` prefix."""
    return key[len("module."):] if key.startswith("module.") else key


def key_problems(model: nn.Module, state: Dict[str, torch.Tensor],
                 optional_prefixes: Iterable[str] = ()) -> List[str]:
    """Missing, unexpected and mis-shaped keys of ``state`` against ``model``, one message each."""
    ours = model.state_dict()
    optional = tuple(optional_prefixes)
    problems = [f"missing key {k} {list(v.shape)}" for k, v in ours.items()
                if k not in state and not k.startswith(optional)]
    problems += [f"unexpected key {k} {list(v.shape)}" for k, v in state.items() if k not in ours]
    problems += [f"shape mismatch {k}: checkpoint {list(v.shape)} vs model {list(ours[k].shape)}"
                 for k, v in state.items() if k in ours and v.shape != ours[k].shape]
    return problems


def read(path: PathLike) -> Dict[str, object]:
    """A checkpoint file as a dict, read without executing code (argparse.Namespace ``args`` admitted)."""
    if not Path(path).is_file():
        raise InputError("checkpoint not found", path)
    with torch.serialization.safe_globals([argparse.Namespace]):
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # unreadable or not a torch file
            raise InputError(f"cannot read checkpoint ({type(exc).__name__}: {exc})", path) from None
    if not isinstance(checkpoint, dict) or "model" not in checkpoint:
        raise InputError("not a checkpoint: expected a dict with a 'model' entry", path)
    return checkpoint


def is_official(checkpoint: Dict[str, object]) -> bool:
    """LAVT-RIS files carry ``args`` (argparse) and no rris-bench ``config``."""
    return "config" not in checkpoint


def load_official(model: nn.Module, path: PathLike) -> None:
    """Load a LAVT-RIS checkpoint file with strict key checking.

    LAVT+ has no public checkpoint: loading a LAVT checkpoint into it leaves ``exist_head`` at its
    initialisation (the only keys allowed to be absent).
    """
    state = official_state_dict(read(path))
    problems = key_problems(model, state, optional_prefixes=("exist_head.",))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError("checkpoint does not fit the model: " + "; ".join(problems[:5]) + more, path)
    model.load_state_dict(state, strict=False)


def load_for_inference(path: PathLike, plus: bool, preset_name: Optional[str] = None,
                       bert: Optional[str] = None) -> nn.Module:
    """The model a checkpoint holds: an ``rris-bench train`` file (config inside) or a LAVT-RIS release
    (built from ``preset_name``, default swin-b; ``bert`` is a bert-base-uncased folder for the vocabulary)."""
    from .config import LAVTConfig, preset
    from .model import LAVT

    checkpoint = read(path)
    trained = checkpoint.get("model_name")  # written by rris-bench train
    if trained is not None and trained not in ("lavt", "lavt-plus"):
        raise InputError(f"this is a {trained} checkpoint (its model_name): run it with the {trained} adapter",
                         path, field="model_name")
    if is_official(checkpoint):
        overrides = {"text": {"kind": "bert-base-uncased", "path": bert}} if bert else {}
        model = LAVT(preset(preset_name or "swin-b", plus=plus, **overrides))
        load_official(model, path)
        return model
    config = LAVTConfig.from_dict(checkpoint["config"])
    if config.existence != plus:
        raise InputError(f"this is a {config.name} checkpoint: use the {config.name} adapter", path)
    model = LAVT(config)
    state = _without_legacy({_strip_module(k): v for k, v in checkpoint["model"].items()})
    problems = key_problems(model, state)
    if problems:
        raise InputError("checkpoint does not fit the model: " + "; ".join(problems[:5]), path)
    model.load_state_dict(state)
    return model


def save(model: nn.Module, path: PathLike, **extra: object) -> Path:
    """Write ``{"config", "model", **extra}`` atomically: what ``load_for_inference`` reads back."""
    from rris_bench.files import atomic_path

    with atomic_path(path) as tmp:
        torch.save({"config": model.config.to_dict(), "model": model.state_dict(), **extra}, tmp)
    return Path(path)
