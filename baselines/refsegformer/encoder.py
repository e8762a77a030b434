"""RefSegformer's image encoder: Swin stages, a VLTF after stages 2..(1+n_fuse) (official names kept:
``patch_embed``, ``layers.N.{memory | VLTF, blocks, downsample}``, ``norm``)."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
from torch import nn

from ..common.swin import PatchEmbed, PatchMerging, drop_path_rates, init_swin_weights, merged_hw, swin_blocks
from .config import RefSegformerConfig
from .vltf import VLTF


class FusionStage(nn.Module):
    """Swin blocks, then ``x = x + VLTF(x)``; hands ``VLTF(x)`` (stage 0: the block output) to the decoder."""

    def __init__(self, dim: int, depth: int, heads: int, window: int, drop_path: Sequence[float], mlp_ratio: float,
                 vltf: Optional[VLTF], downsample: bool):
        super().__init__()
        if vltf is None:
            self.memory = nn.Embedding(1, dim)   # unused, but part of the official state dict
        self.VLTF = vltf
        self.blocks = swin_blocks(dim, depth, heads, window, drop_path, mlp_ratio)
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor, hw: Tuple[int, int], text: torch.Tensor, text_mask: torch.Tensor):
        """-> (feature for the decoder, next stage input, memory or None)."""
        for block in self.blocks:
            x = block(x, hw)
        memory = None
        fuse = x
        if self.VLTF is not None:
            fuse, memory = self.VLTF(x, text, text_mask)
            x = x + fuse
        if self.downsample is not None:
            x = self.downsample(x, hw)
        return fuse, x, memory


class ImageEncoder(nn.Module):
    """forward(img, text (B, L, D), text_mask) -> (features [(B, C_i, H_i, W_i)], memories [None | (B, M, C_i)])."""

    def __init__(self, cfg: RefSegformerConfig, text_dim: int):
        super().__init__()
        self.patch_embed = PatchEmbed(patch_size=4, in_chans=3, embed_dim=cfg.embed_dim)
        rates = drop_path_rates(cfg.depths, cfg.drop_path_rate)
        self.layers = nn.ModuleList()
        for i, (dim, depth) in enumerate(zip(cfg.dims, cfg.depths)):
            start = sum(cfg.depths[:i])
            vltf = (VLTF(dim, text_dim, cfg.num_heads[i], cfg.num_mem, cfg.num_neg_mem)
                    if 0 < i <= cfg.n_fuse else None)
            self.layers.append(FusionStage(dim, depth, cfg.num_heads[i], cfg.window_size,
                                           rates[start:start + depth], cfg.mlp_ratio, vltf,
                                           downsample=i < len(cfg.depths) - 1))
        self.norm = nn.LayerNorm(cfg.dims[-1])   # unused, but part of the official state dict
        if cfg.fusion_init == "official":
            self.apply(init_swin_weights)   # as the official encoder: this also re-inits the VLTF linears
        else:
            for module in self.children():
                if isinstance(module, nn.ModuleList):
                    for layer in module:
                        for name, child in layer.named_children():
                            if name != "VLTF":
                                child.apply(init_swin_weights)
                else:
                    module.apply(init_swin_weights)
            for layer in self.layers:
                if layer.VLTF is not None:
                    nn.init.ones_(layer.VLTF.output_proj[1].weight)

    def forward(self, img: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor
                ) -> Tuple[List[torch.Tensor], List[Optional[torch.Tensor]]]:
        x = self.patch_embed(img)
        b, c, h, w = x.shape
        hw = (h, w)
        x = x.flatten(2).transpose(1, 2)
        feats, memories = [], []
        for layer in self.layers:
            fuse, x, memory = layer(x, hw, text, text_mask)
            feats.append(fuse.transpose(1, 2).reshape(b, -1, hw[0], hw[1]))
            memories.append(memory)
            hw = merged_hw(hw)
        return feats, memories
