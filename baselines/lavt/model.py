"""LAVT and LAVT+ as one module: ``backbone`` (Swin with PWAM and gates), ``classifier`` (the LAVT decoder),
``text_encoder`` (BERT), and for LAVT+ ``exist_head``.

Names match yz93/LAVT-RIS: its checkpoint's ``model`` entry holds ``backbone.*`` and ``classifier.*`` and its
``bert_model`` entry the BERT weights, which live here under ``text_encoder.*`` (as in the repository's
``lavt_one`` variant); see :mod:`.checkpoint`.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

from ..common.text import build_text_encoder, text_dim
from .backbone import MultiModalSwin
from .config import LAVTConfig, preset
from .decoder import LAVTDecoder


class ExistenceHead(nn.Module):
    """LAVT+'s existence head: [mean-pool, max-pool] of the last stage's fused features -> linear -> logit.

    The R-RIS paper does not describe LAVT+'s head; these choices are documented in docs/running.md.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.fc = nn.Linear(2 * dim, 1)

    def forward(self, y4: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([y4.mean(dim=(2, 3)), y4.amax(dim=(2, 3))], dim=1)
        return self.fc(pooled).squeeze(1)


class LAVT(nn.Module):
    """``text_encoder`` (BERT, no pooler) -> ``backbone`` (Swin + PWAM + gates) -> ``classifier`` (+ ``exist_head``)."""

    def __init__(self, config: LAVTConfig, pretrained_text: bool = False):
        super().__init__()
        self.config = config
        self.text_encoder = build_text_encoder(config.text, pretrained=pretrained_text)
        self.backbone = MultiModalSwin(config, text_dim(config.text))
        self.classifier = LAVTDecoder(8 * config.embed_dim)
        self.exist_head = ExistenceHead(8 * config.embed_dim) if config.existence else None

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """(mask logits (B, 2, H, W) at the input size, existence logit (B,) for LAVT+ else None)."""
        words = self.text_encoder(input_ids, attention_mask=attention_mask)[0]  # (B, L, D)
        features = self.backbone(images, words, attention_mask)
        logits = self.classifier(features)
        logits = F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=True)
        exist = self.exist_head(features[3]) if self.exist_head is not None else None
        return logits, exist


def build(name: str = "swin-b", plus: bool = False, **overrides: Any) -> LAVT:
    """A randomly initialised LAVT (``plus``: LAVT+) of preset ``name``."""
    return LAVT(preset(name, plus=plus, **overrides))
