"""LAVT and LAVT+ as one module: ``backbone`` (Swin with PWAM and gates), ``classifier`` (the LAVT decoder),
``text_encoder`` (BERT), and for LAVT+ ``exist_head``.

Names match yz93/LAVT-RIS: its checkpoint's ``model`` entry holds ``backbone.*`` and ``classifier.*`` and its
``bert_model`` entry the BERT weights, which live here under ``text_encoder.*`` (as in the repository's
``lavt_one`` variant); see :mod:`.checkpoint`.
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch import nn
from torch.nn import functional as F

from .backbone import MultiModalSwin
from .config import LAVTConfig
from .decoder import LAVTDecoder


class ExistenceHead(nn.Module):
    """LAVT+'s existence head: [mean-pool, max-pool] of the last stage's fused features -> linear -> logit.

    The R-RIS paper does not describe LAVT+'s head; these choices are documented in the README.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.fc = nn.Linear(2 * dim, 1)

    def forward(self, y4: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([y4.mean(dim=(2, 3)), y4.amax(dim=(2, 3))], dim=1)
        return self.fc(pooled).squeeze(1)


class LAVT(nn.Module):
    """forward(images, input_ids, attention_mask) -> {"mask_logits": (B, 2, H, W), "exist_logit": (B,) or None}."""

    def __init__(self, config: LAVTConfig, text_encoder: nn.Module):
        """``text_encoder``: a BERT-like module (``config.hidden_size``; ``(input_ids, attention_mask)[0]``
        gives (B, L, hidden) word features), e.g. a transformers ``BertModel`` without its pooler."""
        super().__init__()
        self.config = config
        self.text_encoder = text_encoder
        text_dim = self.text_encoder.config.hidden_size
        self.backbone = MultiModalSwin(config, text_dim)
        self.classifier = LAVTDecoder(8 * config.embed_dim)
        self.exist_head = ExistenceHead(8 * config.embed_dim) if config.existence else None

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> Dict[str, Optional[torch.Tensor]]:
        words = self.text_encoder(input_ids=input_ids, attention_mask=attention_mask)[0]  # (B, L, D)
        features = self.backbone(images, words, attention_mask)
        logits = self.classifier(features)
        logits = F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=True)
        exist = self.exist_head(features[3]) if self.exist_head is not None else None
        return {"mask_logits": logits, "exist_logit": exist}
