"""The training losses: LAVT's (positives only) and LAVT+'s negative-aware one (RefSegformer's, shared).

LAVT is an RIS model: it learns from positive sentences only, with LAVT-RIS's class-weighted cross entropy
(weights 0.9 background, 1.1 object). LAVT+ is trained with RefSegformer's loss, imported rather than
copied: CE on positives + 0.4 x CE on negatives against an empty target + 1.0 x BCE on existence.

Both take the loop's GLOBAL batch ``counts`` (see ``rris_bench.baselines.common.training.Task.loss``): sums
over this process's samples are divided by all processes' counts, so N processes equal one.
"""
from __future__ import annotations

from typing import Dict, Tuple

import torch
from torch.nn import functional as F

from ..refsegformer.train import refsegformer_loss as lavt_plus_loss  # noqa: F401  (the same loss)

LAVT_CLASS_WEIGHTS = (0.9, 1.1)


def lavt_loss(logits: torch.Tensor, target: torch.Tensor, exist: torch.Tensor,
              counts: Dict[str, float]) -> Tuple[torch.Tensor, Dict[str, float]]:
    """Class-weighted pixel CE (each sample's weighted mean, as ``F.cross_entropy(weight=...)`` of one sample),
    summed over positives and divided by the global number of positives; negatives contribute nothing."""
    weight = logits.new_tensor(LAVT_CLASS_WEIGHTS)
    ce = F.cross_entropy(logits, target, weight=weight, reduction="none").flatten(1).sum(1)
    per_sample = ce / weight[target].flatten(1).sum(1)
    pos = exist > 0.5
    loss = per_sample[pos].sum() / counts["positives"] if counts["positives"] else per_sample.sum() * 0
    return loss, {"ce_pos": float(loss.detach())}
