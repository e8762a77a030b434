"""RefSegformer (Wu et al., "Towards Robust Referring Image Segmentation"), key-for-key with the official model.

forward(img (B,3,H,W) normalised, token_ids (B,L), attention_mask (B,L)) ->
(masks: [(B, 2, H, W) logits], exist: (B, 1) sigmoid probability), as the official ``RefSegFormer``.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..common.text import build_text_encoder, text_dim
from .config import RefSegformerConfig, preset
from .encoder import ImageEncoder
from .pixel_decoder import MSDeformAttnPixelDecoder
from .vltf import ScaledDotProductAttention


class MultiScaleProj(nn.Module):
    """Unused by the released configuration (``--use_pixel_decoder``); kept for its state-dict entries."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.norm1 = nn.BatchNorm2d(cout)
        self.norm2 = nn.BatchNorm2d(cout)


class SegmentationHead(nn.Module):
    """Pixel decoder -> ``mask_conv`` (2 classes at stride 4), and the existence head: the (detached) mask
    feature attends to stage 1's VLTF memory, is averaged over pixels, and a linear layer gives the logit.
    The tiny preset replaces both by text heads on the mask feature (config ``mask_source``/``exist_source``
    "text", ``text_coords``): per word, a projection of the word's embedding scores every pixel.

    ``cross_attns``, ``norms``, ``projects`` and ``mask_convs`` belong to the official non-pixel-decoder path;
    they are created (checkpoints have them) but never run.
    """

    def __init__(self, cfg: RefSegformerConfig, text_dim: int):
        super().__init__()
        dims = cfg.dims
        self.cross_attns = nn.ModuleList([ScaledDotProductAttention(d, h) for d, h in zip(dims[1:], cfg.num_heads[1:])])
        self.norms = nn.ModuleList([nn.BatchNorm1d(d) for d in dims[1:]])
        for norm in self.norms:
            nn.init.zeros_(norm.weight)
        self.projects = nn.ModuleList([MultiScaleProj(dims[i] + dims[i + 1], dims[i]) for i in range(len(dims) - 1)])
        self.mask_convs = nn.ModuleList([nn.Conv2d(d, 2, 1) for d in dims])
        self.pixel_decoder = MSDeformAttnPixelDecoder(dims, cfg.decoder_dim, cfg.decoder_layers, cfg.decoder_heads,
                                                      cfg.decoder_points, cfg.decoder_ffn, cfg.gn_groups)
        self.mask_conv = nn.Conv2d(cfg.decoder_dim, 2, 1)
        self.src_cross_attn = ScaledDotProductAttention(dims[1], cfg.num_heads[1],
                                                        0.001 if cfg.fusion_init == "official" else None)
        self.exist_pred = nn.Linear(dims[1], 1)
        self.detach = cfg.exist_detach
        self.pool = cfg.exist_pool
        self.source = cfg.exist_source
        self.coords = cfg.text_coords
        extra = 3 if self.coords else 1   # the word's bias, and the two coordinate weights
        if self.source == "text":   # tiny only: not among the official keys
            self.exist_text_proj = nn.Linear(text_dim, cfg.decoder_dim + extra)
            self.exist_affine = nn.Parameter(torch.tensor([1.0, 0.0]))
        self.mask_source = cfg.mask_source
        if self.mask_source == "text":   # tiny only
            self.mask_text_proj = nn.Linear(text_dim, cfg.decoder_dim + extra)
            self.mask_bias = nn.Parameter(torch.tensor(1.0))

    def forward(self, feats: List[torch.Tensor], memories: List[Optional[torch.Tensor]], text: torch.Tensor,
                text_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """-> (mask logits at stride 4 (B, 2, H/4, W/4), existence logit (B,))."""
        mask_feature = self.pixel_decoder(feats)
        if self.mask_source == "text":
            # the mask feature's per-image mean removed: the words then weigh what differs between pixels
            centred = mask_feature - mask_feature.mean((2, 3), keepdim=True)
            vote = _every_word(_with_coords(centred) if self.coords else centred, self.mask_text_proj(text),
                               text_mask)                                # B, H, W
            mask = torch.stack([torch.zeros_like(vote), vote + self.mask_bias], 1)
        else:
            mask = self.mask_conv(mask_feature)
        if self.source == "text":
            query = self.exist_text_proj(text)          # B, L, C (+ 2 coordinates) + 1 (last: the word's bias)
            feature = _with_coords(mask_feature) if self.coords else mask_feature
            found = torch.einsum("bchw,blc->blhw", feature, query[..., :-1]).flatten(2).amax(2)
            found = found / mask_feature.shape[1] ** 0.5 + query[..., -1]
            found = found.masked_fill(text_mask == 0, float("inf"))     # soft minimum over the words
            every = -torch.logsumexp(-found, dim=1)
            return mask, self.exist_affine[0] * every + self.exist_affine[1]
        pixels = mask_feature.flatten(2).transpose(1, 2)
        mem = memories[1]
        if self.detach:
            pixels, mem = pixels.detach(), mem.detach()
        attended = self.src_cross_attn(pixels, mem, mem)
        exist = attended.mean(1) if self.pool == "mean" else attended.amax(1)
        return mask, self.exist_pred(exist).squeeze(1)


def _with_coords(feature: torch.Tensor) -> torch.Tensor:
    """``feature`` (B, C, H, W) with two more channels: the pixel's row and column in [-1, 1], scaled by
    sqrt(C) to a feature channel's size, so a word's projection can ask "left", "top", ... linearly."""
    b, c, h, w = feature.shape
    ys = torch.linspace(-1, 1, h, device=feature.device, dtype=feature.dtype)
    xs = torch.linspace(-1, 1, w, device=feature.device, dtype=feature.dtype)
    coords = torch.stack(torch.meshgrid(ys, xs, indexing="ij"))[None].expand(b, -1, -1, -1)
    return torch.cat([feature, coords * c ** 0.5], 1)


def _every_word(feature: torch.Tensor, query: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
    """Per pixel, the log-probability that every token of the sentence holds there: the sum over tokens of
    log sigmoid(feature . token projection / sqrt(C) + the token's bias). A soft AND whose gradient reaches
    every token that fails at a pixel (a soft minimum feeds only the weakest one, and [CLS] took that role).
    feature (B, C, H, W), query (B, L, C + 1) (the last entry: the bias), text_mask (B, L) -> (B, H, W)."""
    found = torch.einsum("bchw,blc->blhw", feature, query[..., :-1]) / feature.shape[1] ** 0.5
    found = F.logsigmoid(found + query[..., -1, None, None])
    return (found * text_mask[:, :, None, None].to(found.dtype)).sum(1)


class RefSegformer(nn.Module):
    """``text_encoder`` (BERT, no pooler) -> ``image_encoder`` (Swin + VLTF) -> ``segmentation``."""

    def __init__(self, cfg: RefSegformerConfig, pretrained_text: bool = False):
        super().__init__()
        self.config = cfg
        self.text_encoder = build_text_encoder(cfg.text, pretrained=pretrained_text)
        self.image_encoder = ImageEncoder(cfg, text_dim(cfg.text))
        self.segmentation = SegmentationHead(cfg, text_dim(cfg.text))

    def logits(self, img: torch.Tensor, token_ids: torch.Tensor, attention_mask: torch.Tensor
               ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(mask logits (B, 2, H, W) at the input size, existence logit (B,)): what training uses."""
        text = self.text_encoder(token_ids, attention_mask=attention_mask)[0]
        feats, memories = self.image_encoder(img, text, attention_mask)
        mask, exist = self.segmentation(feats, memories, text, attention_mask)
        mask = F.interpolate(mask, size=img.shape[-2:], mode="bilinear", align_corners=True)
        return mask, exist

    def forward(self, img: torch.Tensor, token_ids: torch.Tensor, attention_mask: torch.Tensor, raw: bool = False):
        """Official output ``([mask logits (B,2,H,W)], exist probability (B,1))``; ``raw=True`` gives
        ``(mask logits, existence logit (B,))`` for training (through DDP's forward)."""
        mask, exist = self.logits(img, token_ids, attention_mask)
        if raw:
            return mask, exist
        return [mask], torch.sigmoid(exist).unsqueeze(1)


def build(name: str = "swin-b", **overrides) -> RefSegformer:
    """A randomly initialised model of preset ``name`` (the parity harness's factory)."""
    return RefSegformer(preset(name, **overrides))
