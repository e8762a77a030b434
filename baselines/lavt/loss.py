"""The training losses: LAVT's (positives only) and LAVT+'s negative-aware one.

LAVT is an RIS model: it learns from positive sentences only, with LAVT-RIS's class-weighted cross entropy
(weights 0.9 background, 1.1 object). LAVT+ uses RefSegformer's recipe: CE on positives + 0.4 x CE on
negatives against an empty target + 1.0 x BCE on existence.
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch.nn import functional as F

LAVT_CLASS_WEIGHTS = (0.9, 1.1)
NEGATIVE_WEIGHT = 0.4
EXISTENCE_WEIGHT = 1.0


def lavt_loss(mask_logits: torch.Tensor, masks: torch.Tensor, exists: torch.Tensor) -> Dict[str, torch.Tensor]:
    """Class-weighted CE over the positive samples of the batch; 0 (with a graph) when there are none."""
    pos = exists.bool()
    weight = mask_logits.new_tensor(LAVT_CLASS_WEIGHTS)
    if not pos.any():
        zero = mask_logits.sum() * 0
        return {"loss": zero, "mask": zero}
    ce = F.cross_entropy(mask_logits[pos], masks[pos].long(), weight=weight)
    return {"loss": ce, "mask": ce}


def lavt_plus_loss(mask_logits: torch.Tensor, exist_logit: torch.Tensor, masks: torch.Tensor,
                   exists: torch.Tensor) -> Dict[str, torch.Tensor]:
    """CE(positives) + 0.4 CE(negatives vs empty) + 1.0 BCE(existence); each CE is a per-pixel mean."""
    pos = exists.bool()
    target = torch.where(pos[:, None, None], masks.long(), torch.zeros_like(masks, dtype=torch.long))
    ce = F.cross_entropy(mask_logits, target, reduction="none").flatten(1).mean(dim=1)  # (B,)
    pos_ce = _mean_or_zero(ce, pos)
    neg_ce = _mean_or_zero(ce, ~pos)
    bce = F.binary_cross_entropy_with_logits(exist_logit, pos.to(exist_logit.dtype))
    total = pos_ce + NEGATIVE_WEIGHT * neg_ce + EXISTENCE_WEIGHT * bce
    return {"loss": total, "mask": pos_ce, "negative": neg_ce, "exist": bce}


def _mean_or_zero(values: torch.Tensor, select: torch.Tensor) -> torch.Tensor:
    return values[select].mean() if select.any() else values.sum() * 0


def model_loss(mask_logits: torch.Tensor, exist_logit: Optional[torch.Tensor], masks: torch.Tensor,
               exists: torch.Tensor) -> Dict[str, torch.Tensor]:
    """The loss of whichever model produced the outputs: LAVT+ when it has an existence logit, else LAVT."""
    if exist_logit is None:
        return lavt_loss(mask_logits, masks, exists)
    return lavt_plus_loss(mask_logits, exist_logit, masks, exists)
