"""LAVT's language pathway inside the Swin encoder: pixel-word attention (PWAM) and the residual gate.

Module and parameter names follow yz93/LAVT-RIS (``fusion.vis_project``, ``fusion.image_lang_att.{f_query,
f_key, f_value, W}``, ``fusion.project_mm``, ``res_gate``) so the released checkpoints load with strict=True.
The 1x1 Conv1d layers are kept as Conv1d (not Linear) for the same reason: their weights are (out, in, 1).

Shapes: visual tokens ``x`` (B, HW, C); words ``words`` (B, L, D_text); ``word_mask`` (B, L) with 1 for real
tokens and 0 for padding.
"""
from __future__ import annotations

import torch
from torch import nn


class PixelWordAttention(nn.Module):
    """Each pixel attends over the sentence's words (LAVT's SpatialImageLanguageAttention).

    query = InstanceNorm(Conv1x1(x)); key, value = Conv1x1(words) zeroed at padding; scaled dot product with
    scale ``key_channels ** -0.5`` (the whole key width, also with several heads, as in LAVT); padding words get
    -1e4 before the softmax; out = InstanceNorm(Conv1x1(attended values)).
    """

    def __init__(self, v_in: int, l_in: int, key_channels: int, value_channels: int, num_heads: int = 1):
        super().__init__()
        if key_channels % num_heads or value_channels % num_heads:
            raise ValueError(f"key/value channels {key_channels}/{value_channels} not divisible by {num_heads} heads")
        self.key_channels = key_channels
        self.value_channels = value_channels
        self.num_heads = num_heads
        self.f_key = nn.Sequential(nn.Conv1d(l_in, key_channels, 1))
        self.f_query = nn.Sequential(nn.Conv1d(v_in, key_channels, 1), nn.InstanceNorm1d(key_channels))
        self.f_value = nn.Sequential(nn.Conv1d(l_in, value_channels, 1))
        self.W = nn.Sequential(nn.Conv1d(value_channels, value_channels, 1), nn.InstanceNorm1d(value_channels))

    def forward(self, x: torch.Tensor, words: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
        b, hw, _ = x.shape
        h = self.num_heads
        m = word_mask.to(x.dtype)[:, None, :]                               # (B, 1, L)
        query = self.f_query(x.transpose(1, 2))                             # (B, Ck, HW)
        key = self.f_key(words.transpose(1, 2)) * m                         # (B, Ck, L)
        value = self.f_value(words.transpose(1, 2)) * m                     # (B, Cv, L)
        query = query.reshape(b, h, -1, hw)
        key = key.reshape(b, h, -1, key.shape[-1])
        value = value.reshape(b, h, -1, value.shape[-1])
        sim = torch.einsum("bhcp,bhcl->bhpl", query, key) * self.key_channels ** -0.5
        sim = sim + (1e4 * m[:, None] - 1e4)
        out = torch.einsum("bhpl,bhcl->bhcp", sim.softmax(dim=-1), value)  # (B, h, Cv/h, HW)
        out = self.W(out.reshape(b, self.value_channels, hw))
        return out.transpose(1, 2)                                          # (B, HW, Cv)


class PWAM(nn.Module):
    """Pixel-word attention module: GELU(Conv1x1(x)) * attended language, then GELU(Conv1x1(.))."""

    def __init__(self, dim: int, l_in: int, num_heads: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vis_project = nn.Sequential(nn.Conv1d(dim, dim, 1), nn.GELU(), nn.Dropout(dropout))
        self.image_lang_att = PixelWordAttention(dim, l_in, dim, dim, num_heads=num_heads)
        self.project_mm = nn.Sequential(nn.Conv1d(dim, dim, 1), nn.GELU(), nn.Dropout(dropout))

    def forward(self, x: torch.Tensor, words: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
        vis = self.vis_project(x.transpose(1, 2))                           # (B, C, HW)
        lang = self.image_lang_att(x, words, word_mask).transpose(1, 2)     # (B, C, HW)
        return self.project_mm(vis * lang).transpose(1, 2)                  # (B, HW, C)


def language_gate(dim: int) -> nn.Sequential:
    """LAVT's language pathway gate ``res_gate``: tanh(W2 relu(W1 f)), both without bias, applied per pixel."""
    return nn.Sequential(nn.Linear(dim, dim, bias=False), nn.ReLU(), nn.Linear(dim, dim, bias=False), nn.Tanh())


def gated_fusion(x: torch.Tensor, fused: torch.Tensor, gate: nn.Module) -> torch.Tensor:
    """The language pathway: x + gate(fused) * fused (element-wise)."""
    return x + gate(fused) * fused
