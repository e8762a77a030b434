"""LAVT's segmentation decoder (``classifier`` in yz93/LAVT-RIS, class SimpleDecoding).

Top-down: concat(upsampled Y4, Y3) -> [conv3x3-BN-ReLU] x 2, then the same with Y2 and Y1, then a 1x1 conv to
two classes (background, object) at 1/4 of the input resolution. Upsampling is bilinear with
align_corners=True, as in LAVT. Hidden width = c4 / 2; stage widths c4, c4/2, c4/4, c4/8 (Swin's 8C..C).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F


class LAVTDecoder(nn.Module):
    """Parameter names: conv{1,2}_{4,3,2}, bn{1,2}_{4,3,2}, conv1_1 (the LAVT checkpoint's)."""

    def __init__(self, c4_dims: int, factor: int = 2):
        super().__init__()
        hidden = c4_dims // factor
        skip = {4: c4_dims // factor, 3: c4_dims // factor ** 2, 2: c4_dims // factor ** 3}
        top = {4: c4_dims, 3: hidden, 2: hidden}
        for s in (4, 3, 2):
            self.add_module(f"conv1_{s}", nn.Conv2d(top[s] + skip[s], hidden, 3, padding=1, bias=False))
            self.add_module(f"bn1_{s}", nn.BatchNorm2d(hidden))
            self.add_module(f"relu1_{s}", nn.ReLU())
            self.add_module(f"conv2_{s}", nn.Conv2d(hidden, hidden, 3, padding=1, bias=False))
            self.add_module(f"bn2_{s}", nn.BatchNorm2d(hidden))
            self.add_module(f"relu2_{s}", nn.ReLU())
        self.conv1_1 = nn.Conv2d(hidden, 2, 1)

    def _stage(self, s: int, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        if x.shape[-2] < skip.shape[-2] or x.shape[-1] < skip.shape[-1]:
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=True)
        x = torch.cat([x, skip], dim=1)
        for i in (1, 2):
            x = getattr(self, f"relu{i}_{s}")(getattr(self, f"bn{i}_{s}")(getattr(self, f"conv{i}_{s}")(x)))
        return x

    def forward(self, features: Sequence[torch.Tensor]) -> torch.Tensor:
        """``features`` = (Y1, Y2, Y3, Y4), finest first; returns (B, 2, H1, W1) logits."""
        y1, y2, y3, y4 = features
        x = self._stage(4, y4, y3)
        x = self._stage(3, x, y2)
        x = self._stage(2, x, y1)
        return self.conv1_1(x)
