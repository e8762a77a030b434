"""VLTF, RefSegformer's vision-language fusion after Swin stages 2-4, and its multiplicative-mask attention."""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import nn


class ScaledDotProductAttention(nn.Module):
    """Multi-head attention with ``fc_q/k/v/o``; masks MULTIPLY q (query_mask) or k and v (key_mask), so a
    masked key keeps logit 0 and value 0 inside the softmax, as the official code does (no -inf masking)."""

    def __init__(self, dim: int, heads: int, init_std: Optional[float] = 0.001):
        super().__init__()
        self.heads, self.d_k = heads, dim // heads
        self.fc_q, self.fc_k = nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.fc_v, self.fc_o = nn.Linear(dim, dim), nn.Linear(dim, dim)
        for fc in (self.fc_q, self.fc_k, self.fc_v, self.fc_o):
            if init_std is None:
                nn.init.xavier_uniform_(fc.weight)
            else:
                nn.init.normal_(fc.weight, std=init_std)   # the official init
            nn.init.zeros_(fc.bias)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, values: torch.Tensor,
                query_mask: Optional[torch.Tensor] = None, key_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """queries (B, Nq, C), keys/values (B, Nk, C), masks (B, N) of 0/1 -> (B, Nq, C)."""
        b, nq, _ = queries.shape
        nk = keys.shape[1]
        q = self.fc_q(queries).view(b, nq, self.heads, self.d_k).transpose(1, 2)
        k = self.fc_k(keys).view(b, nk, self.heads, self.d_k).transpose(1, 2)
        v = self.fc_v(values).view(b, nk, self.heads, self.d_k).transpose(1, 2)
        if query_mask is not None:
            q = q * query_mask.to(q.dtype).view(b, 1, nq, 1)
        if key_mask is not None:
            km = key_mask.to(k.dtype).view(b, 1, nk, 1)
            k, v = k * km, v * km
        att = (q @ k.transpose(-2, -1) / math.sqrt(self.d_k)).softmax(-1)
        return self.fc_o((att @ v).transpose(1, 2).reshape(b, nq, self.heads * self.d_k))


def _token_instance_norm(x: torch.Tensor) -> torch.Tensor:
    """InstanceNorm1d over the token axis per channel (no affine, eps 1e-5): x (B, N, C)."""
    return nn.functional.instance_norm(x.transpose(1, 2), eps=1e-5).transpose(1, 2)


class VLTF(nn.Module):
    """Memory tokens read the sentence, blank (negative) memory tokens are prepended, and the visual tokens
    read that memory: returns (fused features (B, HW, C), memory (B, num_neg_mem + num_mem, C))."""

    def __init__(self, dim: int, text_dim: int, heads: int, num_mem: int, num_neg_mem: int):
        super().__init__()
        self.memory_token = nn.Embedding(num_mem, dim)
        self.neg_memory_token = nn.Embedding(num_neg_mem, dim)
        self.input_proj = nn.Sequential(nn.Conv1d(dim, dim, 1), nn.BatchNorm1d(dim))
        self.lan_proj = nn.Sequential(nn.Conv1d(text_dim, dim, 1))
        # present in the official model and its checkpoints, but its output is never used
        self.vision_lan_fuse = ScaledDotProductAttention(dim, heads)
        self.memory_fuse = ScaledDotProductAttention(dim, heads)
        self.feature_fuse = ScaledDotProductAttention(dim, heads)
        self.output_proj = nn.Sequential(nn.Conv1d(dim, dim, 1), nn.BatchNorm1d(dim))
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        nn.init.zeros_(self.output_proj[1].weight)

    def forward(self, src: torch.Tensor, text: torch.Tensor, text_mask: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        b = src.shape[0]
        src = self.input_proj(src.transpose(1, 2)).transpose(1, 2)       # B, HW, C
        lan = self.lan_proj(text.transpose(1, 2)).transpose(1, 2)        # B, L, C
        mem = self.memory_token.weight.unsqueeze(0).expand(b, -1, -1)
        mem = self.memory_fuse(mem, lan, lan, key_mask=text_mask)
        neg = self.neg_memory_token.weight.unsqueeze(0).expand(b, -1, -1)
        mem = torch.cat([neg, mem], dim=1)
        if mem.shape[1] > 1:
            mem = _token_instance_norm(mem)
        out = _token_instance_norm(self.feature_fuse(src, mem, mem))
        return self.output_proj(out.transpose(1, 2)).transpose(1, 2), mem
