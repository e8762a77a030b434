"""Loading RefSegformer weights: the official ``ckpt.pth`` (``model`` entry), our training checkpoints (which
also carry the config), the official Swin ImageNet ``.pth`` (encoder initialisation), and a local
bert-base-uncased folder (through the text spec). Every key or shape mismatch is reported by name."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F

from rris_bench.errors import InputError

from ..common.text import LEGACY_TEXT_KEYS
from .config import RefSegformerConfig, preset
from .model import RefSegformer


def read_state(path) -> Dict[str, Any]:
    """torch.load a checkpoint safely (tensors and plain containers; argparse.Namespace allowed)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("checkpoint not found", path=str(path))
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many exception types for bad files
        raise InputError(f"not a readable PyTorch checkpoint: {exc}".splitlines()[0], path=str(path)) from exc
    if not isinstance(state, dict):
        raise InputError("checkpoint is not a dict", path=str(path))
    return state


def model_entry(state: Mapping[str, Any], path) -> Dict[str, torch.Tensor]:
    """The state dict inside a checkpoint (``model`` / ``state_dict`` entry, or the dict itself), with a
    DDP ``module.`` prefix and legacy buffers removed."""
    sd = state.get("model", state.get("state_dict", state))
    if not isinstance(sd, Mapping) or not all(torch.is_tensor(v) for v in sd.values()):
        raise InputError("no state dict found (expected a 'model' entry of tensors)", path=str(path), field="model")
    out = {}
    for k, v in sd.items():
        k = k[len("module."):] if k.startswith("module.") else k
        if k not in LEGACY_TEXT_KEYS:
            out[k] = v
    return out


def mismatches(expected: Mapping[str, torch.Tensor], found: Mapping[str, torch.Tensor]
               ) -> Tuple[List[str], List[str], List[str]]:
    """(missing keys, unexpected keys, 'key: ours [..] vs file [..]' shape mismatches)."""
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    shapes = [f"{k}: model {list(expected[k].shape)} vs file {list(found[k].shape)}"
              for k in expected if k in found and expected[k].shape != found[k].shape]
    return missing, unexpected, shapes


def _report(path, missing: List[str], unexpected: List[str], shapes: List[str], limit: int = 8) -> str:
    parts = []
    for label, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shapes)):
        if items:
            more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
            parts.append(f"{len(items)} {label}: {', '.join(items[:limit])}{more}")
    return f"{path}: " + "; ".join(parts)


def load_strict(model: RefSegformer, sd: Mapping[str, torch.Tensor], path) -> None:
    missing, unexpected, shapes = mismatches(model.state_dict(), sd)
    if missing or unexpected or shapes:
        raise InputError(_report(path, missing, unexpected, shapes), path=str(path), field="model")
    model.load_state_dict(sd, strict=True)


def load_model(path, preset_name: Optional[str] = None, **overrides: Any) -> RefSegformer:
    """A model with the weights of ``path``: our checkpoints rebuild their own config; an official
    ``ckpt.pth`` uses ``preset_name`` (default ``swin-b``). Loading is strict."""
    state = read_state(path)
    trained = state.get("model_name") if isinstance(state, dict) else None  # written by rris-bench train
    if trained is not None and trained != "refsegformer":
        raise InputError(f"this is a {trained} checkpoint (its model_name): run it with the {trained} adapter",
                         path, field="model_name")
    if "config" in state and preset_name is None:
        cfg = RefSegformerConfig.from_dict({**state["config"], **overrides})
    else:
        cfg = preset(preset_name or "swin-b", **overrides)
    model = RefSegformer(cfg)
    load_strict(model, model_entry(state, path), path)
    return model.eval()


def load_swin_pretrained(model: RefSegformer, path) -> Dict[str, List[str]]:
    """Initialise ``model.image_encoder`` from an official Swin ``.pth`` (e.g. swin_base_patch4_window12_384_22k):
    ``relative_position_index``/``attn_mask`` are rebuilt, bias tables of another window are resized bicubically
    (as the official code), the classifier is ignored. Shape mismatches raise; returns the keys left missing
    (the VLTFs) and ignored."""
    sd = model_entry(read_state(path), path)
    own = model.image_encoder.state_dict()
    ignored = [k for k in sd if k not in own or k.endswith(("relative_position_index", "attn_mask"))]
    sd = {k: v for k, v in sd.items() if k not in ignored}
    for k, v in list(sd.items()):
        if k.endswith("relative_position_bias_table") and v.shape != own[k].shape and v.shape[1] == own[k].shape[1]:
            s1, s2, heads = int(v.shape[0] ** 0.5), int(own[k].shape[0] ** 0.5), v.shape[1]
            grid = F.interpolate(v.T.reshape(1, heads, s1, s1), size=(s2, s2), mode="bicubic")
            sd[k] = grid.reshape(heads, s2 * s2).T
    _, _, shapes = mismatches(own, sd)
    if shapes:
        raise InputError(_report(path, [], [], shapes), path=str(path), field="model")
    missing = [k for k in own if k not in sd and not k.endswith("relative_position_index")]
    model.image_encoder.load_state_dict(sd, strict=False)
    return {"missing": missing, "ignored": ignored}
