"""The multi-scale deformable-attention pixel decoder (Mask2Former's, as mmcv 1.x builds it in the official
code): the 3 coarsest levels go through a deformable-attention encoder (coarsest first), then one FPN step
onto the finest level gives the mask feature. Module names follow mmcv (``input_convs.N.{conv,gn}``,
``encoder.layers.N.{attentions.0, ffns.0.layers.{0.0,1}, norms.{0,1}}``, ``level_encoding``,
``lateral_convs``, ``output_convs``, ``mask_feature``)."""
from __future__ import annotations

import math
from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..common.deform_attn import MultiScaleDeformableAttention


class ConvGN(nn.Module):
    """mmcv ConvModule: conv -> GroupNorm -> optional ReLU."""

    def __init__(self, cin: int, cout: int, kernel: int, groups: int, bias: bool, relu: bool):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=kernel // 2, bias=bias)
        self.gn = nn.GroupNorm(groups, cout)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.gn(self.conv(x))
        return F.relu(x) if self.relu else x


class FFN(nn.Module):
    """mmcv FFN: ``layers = [[Linear, ReLU, Dropout], Linear, Dropout]`` with the identity added."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.layers = nn.Sequential(nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True), nn.Dropout(0.0)),
                                    nn.Linear(hidden, dim), nn.Dropout(0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class EncoderLayer(nn.Module):
    """Post-norm: deformable self-attention (+identity) -> LN -> FFN (+identity) -> LN."""

    def __init__(self, dim: int, heads: int, levels: int, points: int, ffn: int):
        super().__init__()
        self.attentions = nn.ModuleList([MultiScaleDeformableAttention(dim, heads, levels, points)])
        self.ffns = nn.ModuleList([FFN(dim, ffn)])
        self.norms = nn.ModuleList([nn.LayerNorm(dim), nn.LayerNorm(dim)])

    def forward(self, x, pos, ref, shapes):
        x = self.norms[0](self.attentions[0](x, x, pos, ref, shapes))
        return self.norms[1](self.ffns[0](x))


class DeformEncoder(nn.Module):
    def __init__(self, num_layers: int, **layer_kwargs):
        super().__init__()
        self.layers = nn.ModuleList([EncoderLayer(**layer_kwargs) for _ in range(num_layers)])

    def forward(self, x, pos, ref, shapes):
        for layer in self.layers:
            x = layer(x, pos, ref, shapes)
        return x


def sine_position(h: int, w: int, num_feats: int, device, dtype=torch.float32) -> torch.Tensor:
    """mmcv SinePositionalEncoding(normalize=True, scale 2pi, eps 1e-6) of an unpadded map: (2*num_feats, h, w)."""
    y = torch.arange(1, h + 1, dtype=torch.float32, device=device).view(h, 1).expand(h, w)
    x = torch.arange(1, w + 1, dtype=torch.float32, device=device).view(1, w).expand(h, w)
    y = y / (h + 1e-6) * 2 * math.pi
    x = x / (w + 1e-6) * 2 * math.pi
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
    dim_t = 10000 ** (2 * (dim_t // 2) / num_feats)
    px, py = x[..., None] / dim_t, y[..., None] / dim_t
    px = torch.stack((px[..., 0::2].sin(), px[..., 1::2].cos()), dim=3).view(h, w, -1)
    py = torch.stack((py[..., 0::2].sin(), py[..., 1::2].cos()), dim=3).view(h, w, -1)
    return torch.cat((py, px), dim=2).permute(2, 0, 1).to(dtype)


def reference_points(h: int, w: int, device, dtype=torch.float32) -> torch.Tensor:
    """Cell centres ((j + 0.5) / w, (i + 0.5) / h), row-major: (h*w, 2)."""
    ys = (torch.arange(h, device=device, dtype=dtype) + 0.5) / h
    xs = (torch.arange(w, device=device, dtype=dtype) + 0.5) / w
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], -1)


class MSDeformAttnPixelDecoder(nn.Module):
    """forward([(B, C_i, H_i, W_i)] finest first) -> mask feature (B, dim, H_0, W_0)."""

    def __init__(self, in_channels: Sequence[int], dim: int = 256, num_layers: int = 6, heads: int = 8,
                 points: int = 4, ffn: int = 1024, groups: int = 32, encoder_levels: int = 3):
        super().__init__()
        n = len(in_channels)
        self.encoder_levels = encoder_levels
        self.input_convs = nn.ModuleList([ConvGN(in_channels[i], dim, 1, groups, bias=True, relu=False)
                                          for i in range(n - 1, n - encoder_levels - 1, -1)])
        self.encoder = DeformEncoder(num_layers, dim=dim, heads=heads, levels=encoder_levels, points=points,
                                     ffn=ffn)
        self.level_encoding = nn.Embedding(encoder_levels, dim)
        self.lateral_convs = nn.ModuleList()
        self.output_convs = nn.ModuleList()
        for i in range(n - encoder_levels - 1, -1, -1):
            self.lateral_convs.append(ConvGN(in_channels[i], dim, 1, groups, bias=False, relu=False))
            self.output_convs.append(ConvGN(dim, dim, 3, groups, bias=False, relu=True))
        self.mask_feature = nn.Conv2d(dim, dim, 1)
        self._init_weights()

    def _init_weights(self) -> None:
        for conv in self.input_convs:
            nn.init.xavier_uniform_(conv.conv.weight)
            nn.init.zeros_(conv.conv.bias)
        for conv in [*self.lateral_convs, *self.output_convs]:
            nn.init.kaiming_uniform_(conv.conv.weight, a=1)       # caffe2 xavier
        nn.init.kaiming_uniform_(self.mask_feature.weight, a=1)
        nn.init.zeros_(self.mask_feature.bias)
        nn.init.normal_(self.level_encoding.weight)
        for p in self.encoder.parameters():
            if p.dim() > 1:
                nn.init.xavier_normal_(p)
        for layer in self.encoder.layers:
            layer.attentions[0].reset_parameters()

    def forward(self, feats: List[torch.Tensor]) -> torch.Tensor:
        b = feats[0].shape[0]
        n = len(feats)
        tokens, pos, refs, shapes = [], [], [], []
        for i in range(self.encoder_levels):
            feat = feats[n - 1 - i]
            h, w = feat.shape[-2:]
            tokens.append(self.input_convs[i](feat).flatten(2).transpose(1, 2))
            p = sine_position(h, w, self.level_encoding.weight.shape[1] // 2, feat.device, feat.dtype)
            pos.append((p + self.level_encoding.weight[i].view(-1, 1, 1)).flatten(1).transpose(0, 1))
            refs.append(reference_points(h, w, feat.device, feat.dtype))
            shapes.append((int(h), int(w)))
        x = torch.cat(tokens, 1)
        pos_all = torch.cat(pos, 0).unsqueeze(0).expand(b, -1, -1)
        ref = torch.cat(refs, 0)[None, :, None].expand(b, -1, self.encoder_levels, -1)
        memory = self.encoder(x, pos_all, ref, shapes).transpose(1, 2)
        outs = [m.reshape(b, -1, h, w) for m, (h, w) in zip(memory.split([h * w for h, w in shapes], -1), shapes)]
        for j, i in enumerate(range(n - self.encoder_levels - 1, -1, -1)):
            lateral = self.lateral_convs[j](feats[i])
            y = lateral + F.interpolate(outs[-1], size=lateral.shape[-2:], mode="bilinear", align_corners=False)
            outs.append(self.output_convs[j](y))
        return self.mask_feature(outs[-1])
