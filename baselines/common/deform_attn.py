"""Multi-scale deformable attention (Deformable DETR / mmcv's MultiScaleDeformableAttention) with ``grid_sample``.

Parameter names (``sampling_offsets``, ``attention_weights``, ``value_proj``, ``output_proj``) and the
computation follow mmcv 1.x so Mask2Former-style pixel decoders load unchanged: bilinear sampling,
zero padding, ``align_corners=False``, locations ``ref + offset / (W_l, H_l)``, softmax over levels x points.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn


def ms_deform_attn(value: torch.Tensor, shapes: Sequence[Tuple[int, int]], locations: torch.Tensor,
                   weights: torch.Tensor) -> torch.Tensor:
    """Sample and mix.

    value: (B, sum H_l*W_l, heads, d); locations: (B, Q, heads, levels, points, 2) as (x, y) in [0, 1];
    weights: (B, Q, heads, levels, points). Returns (B, Q, heads*d).
    """
    b, _, heads, d = value.shape
    _, q, _, levels, points, _ = locations.shape
    per_level = value.split([h * w for h, w in shapes], dim=1)
    grids = 2 * locations - 1
    sampled = []
    for lvl, (h, w) in enumerate(shapes):
        v = per_level[lvl].flatten(2).transpose(1, 2).reshape(b * heads, d, h, w)
        g = grids[:, :, :, lvl].transpose(1, 2).flatten(0, 1)           # B*heads, Q, points, 2
        sampled.append(F.grid_sample(v, g, mode="bilinear", padding_mode="zeros", align_corners=False))
    stacked = torch.stack(sampled, dim=-2).flatten(-2)                   # B*heads, d, Q, levels*points
    w = weights.transpose(1, 2).reshape(b * heads, 1, q, levels * points)
    return (stacked * w).sum(-1).view(b, heads * d, q).transpose(1, 2)


class MultiScaleDeformableAttention(nn.Module):
    """forward(query (B, Q, C), value (B, N, C), query_pos, reference_points (B, Q, levels, 2), shapes)
    -> output_proj(sampled) + query (the residual is inside, as in mmcv)."""

    def __init__(self, dim: int = 256, num_heads: int = 8, num_levels: int = 4, num_points: int = 4):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim {dim} must be divisible by num_heads {num_heads}")
        self.dim, self.num_heads, self.num_levels, self.num_points = dim, num_heads, num_levels, num_points
        self.sampling_offsets = nn.Linear(dim, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(dim, num_heads * num_levels * num_points)
        self.value_proj = nn.Linear(dim, dim)
        self.output_proj = nn.Linear(dim, dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """mmcv's init: offsets start on rays in 8 directions growing with the point index; uniform weights."""
        nn.init.zeros_(self.sampling_offsets.weight)
        theta = torch.arange(self.num_heads, dtype=torch.float32) * (2.0 * math.pi / self.num_heads)
        grid = torch.stack([theta.cos(), theta.sin()], -1)
        grid = grid / grid.abs().max(-1, keepdim=True)[0]
        grid = grid.view(self.num_heads, 1, 1, 2).repeat(1, self.num_levels, self.num_points, 1)
        grid = grid * torch.arange(1, self.num_points + 1, dtype=torch.float32).view(1, 1, -1, 1)
        with torch.no_grad():
            self.sampling_offsets.bias.copy_(grid.reshape(-1))
        nn.init.zeros_(self.attention_weights.weight)
        nn.init.zeros_(self.attention_weights.bias)
        nn.init.xavier_uniform_(self.value_proj.weight)
        nn.init.zeros_(self.value_proj.bias)
        nn.init.xavier_uniform_(self.output_proj.weight)
        nn.init.zeros_(self.output_proj.bias)

    def forward(self, query: torch.Tensor, value: torch.Tensor, query_pos: Optional[torch.Tensor],
                reference_points: torch.Tensor, shapes: List[Tuple[int, int]]) -> torch.Tensor:
        b, q, _ = query.shape
        identity = query
        if query_pos is not None:
            query = query + query_pos
        v = self.value_proj(value).view(b, value.shape[1], self.num_heads, -1)
        h, lv, p = self.num_heads, self.num_levels, self.num_points
        offsets = self.sampling_offsets(query).view(b, q, h, lv, p, 2)
        weights = self.attention_weights(query).view(b, q, h, lv * p).softmax(-1).view(b, q, h, lv, p)
        normalizer = torch.tensor([[w, hh] for hh, w in shapes], dtype=query.dtype, device=query.device)
        locations = reference_points[:, :, None, :, None, :] + offsets / normalizer[None, None, None, :, None, :]
        return self.output_proj(ms_deform_attn(v, shapes, locations, weights)) + identity
