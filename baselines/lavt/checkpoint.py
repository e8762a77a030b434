"""Loading the public LAVT checkpoints of yz93/LAVT-RIS into :class:`LAVT`.

A released checkpoint (e.g. ``refcoco.pth``) is a dict with ``model`` (``backbone.*``, ``classifier.*``) and
``bert_model`` (BERT without its pooler); the repository's ``lavt_one`` variant keeps BERT inside ``model`` as
``text_encoder.*``. Both are mapped onto our names, and any missing, unexpected or mis-shaped key is reported
by name before anything is loaded.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, Iterable, List

import torch
from torch import nn

from rris_bench.errors import InputError

TEXT_PREFIX = "text_encoder."


def official_state_dict(checkpoint: Dict[str, object]) -> Dict[str, torch.Tensor]:
    """Our state dict from a LAVT-RIS checkpoint dict (``model`` + optional ``bert_model``)."""
    if "model" not in checkpoint:
        raise InputError("not a LAVT checkpoint: no 'model' entry", field="model")
    state = {_strip_module(k): v for k, v in checkpoint["model"].items()}
    for key, value in (checkpoint.get("bert_model") or {}).items():
        state[TEXT_PREFIX + _strip_module(key)] = value
    return state


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


def load_official(model: nn.Module, path: Path) -> None:
    """Load a LAVT-RIS checkpoint file with strict key checking.

    LAVT+ has no public checkpoint: loading a LAVT checkpoint into it leaves ``exist_head`` at its
    initialisation (the only keys allowed to be absent).
    """
    with torch.serialization.safe_globals([argparse.Namespace]):
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # unreadable or not a torch file
            raise InputError(f"cannot read checkpoint ({type(exc).__name__}: {exc})", path) from None
    if not isinstance(checkpoint, dict):
        raise InputError("not a LAVT checkpoint: expected a dict with 'model'", path)
    state = official_state_dict(checkpoint)
    problems = key_problems(model, state, optional_prefixes=("exist_head.",))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError("checkpoint does not fit the model: " + "; ".join(problems[:5]) + more, path)
    model.load_state_dict(state, strict=False)
