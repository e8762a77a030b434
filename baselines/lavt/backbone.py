"""LAVT's encoder: the shared Swin blocks with a language pathway after every stage.

Stage i: Swin blocks -> PWAM (pixel-word attention) -> x + gate(F) * F -> patch merging. The stage's output
for the decoder is ``norm{i}`` of the PWAM output F (not of x), as in yz93/LAVT-RIS, whose module names
(``patch_embed``, ``layers.N.{blocks, fusion, res_gate, downsample}``, ``norm0..3``) are kept.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
from torch import nn

from ..common.swin import HW, PatchEmbed, PatchMerging, drop_path_rates, init_swin_weights, merged_hw, swin_blocks
from .config import LAVTConfig
from .fusion import PWAM, gated_fusion, language_gate


class MultiModalLayer(nn.Module):
    """One Swin stage followed by PWAM and the gated language pathway."""

    def __init__(self, dim: int, depth: int, num_heads: int, window_size: int, drop_path: Sequence[float],
                 text_dim: int, fusion_heads: int, fusion_drop: float, downsample: bool):
        super().__init__()
        self.blocks = swin_blocks(dim, depth, num_heads, window_size, drop_path)
        self.fusion = PWAM(dim, text_dim, num_heads=fusion_heads, dropout=fusion_drop)
        self.res_gate = language_gate(dim)
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor, hw: HW, words: torch.Tensor,
                word_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, HW]:
        """-> (PWAM output at this stage, input of the next stage, its (H, W))."""
        for block in self.blocks:
            x = block(x, hw)
        fused = self.fusion(x, words, word_mask)
        x = gated_fusion(x, fused, self.res_gate)
        if self.downsample is None:
            return fused, x, hw
        return fused, self.downsample(x, hw), merged_hw(hw)


class MultiModalSwin(nn.Module):
    """forward(images, words (B, L, D), word_mask (B, L)) -> [Y1, Y2, Y3, Y4] as (B, C_i, H_i, W_i)."""

    def __init__(self, config: LAVTConfig, text_dim: int):
        super().__init__()
        c = config.embed_dim
        self.patch_embed = PatchEmbed(patch_size=4, in_chans=3, embed_dim=c)
        rates = drop_path_rates(config.depths, config.drop_path_rate)
        self.layers = nn.ModuleList()
        for i, depth in enumerate(config.depths):
            start = sum(config.depths[:i])
            self.layers.append(MultiModalLayer(
                c * 2 ** i, depth, config.num_heads[i], config.window_size, rates[start:start + depth],
                text_dim, config.fusion_heads[i], config.fusion_drop, downsample=i < len(config.depths) - 1))
        self.num_features = [c * 2 ** i for i in range(len(config.depths))]
        for i, dim in enumerate(self.num_features):
            self.add_module(f"norm{i}", nn.LayerNorm(dim))
        self.apply(init_swin_weights)  # LAVT's init_weights without a pretrained file

    def forward(self, images: torch.Tensor, words: torch.Tensor, word_mask: torch.Tensor) -> List[torch.Tensor]:
        x = self.patch_embed(images)                                   # (B, C, H, W)
        hw = (x.shape[2], x.shape[3])
        x = x.flatten(2).transpose(1, 2)
        outs = []
        for i, layer in enumerate(self.layers):
            fused, x, next_hw = layer(x, hw, words, word_mask)
            y = getattr(self, f"norm{i}")(fused)
            outs.append(y.transpose(1, 2).reshape(y.shape[0], -1, hw[0], hw[1]))
            hw = next_hw
        return outs
