"""RefSegformer's configuration: one frozen dataclass and the named presets.

``swin-b`` is the paper's model (jianzongwu/robust-ref-seg README: Swin-B window 12 at 480, bert-base-uncased,
``--use_pixel_decoder --use_exist --num_mem 20 --num_neg_mem 10 --n_fuse 3``); ``swin-t`` swaps in Swin-T;
``tiny`` is a small model with a word-level tiny BERT for tests and the CPU demo on the toy world.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Optional, Tuple

from rris_bench.errors import InputError

from ..common.config import config_from_dict


@dataclass(frozen=True)
class RefSegformerConfig:
    embed_dim: int = 128
    depths: Tuple[int, ...] = (2, 2, 18, 2)
    num_heads: Tuple[int, ...] = (4, 8, 16, 32)
    window_size: int = 12
    mlp_ratio: float = 4.0
    drop_path_rate: float = 0.3
    img_size: int = 480
    max_tokens: int = 20
    num_mem: int = 20          # VLTF memory tokens
    num_neg_mem: int = 10      # VLTF negative ("blank") memory tokens
    n_fuse: int = 3            # stages 1..n_fuse get a VLTF
    decoder_dim: int = 256     # pixel decoder width; the existence head needs it equal to stage 1's width
    decoder_layers: int = 6
    decoder_heads: int = 8
    decoder_points: int = 4
    decoder_ffn: int = 1024
    gn_groups: int = 32
    text: Dict[str, Any] = field(default_factory=lambda: {"kind": "bert-base-uncased"})
    text_train_layers: Optional[int] = 10   # the official optimiser trains BERT layers 0-9 only; None = all
    # The official init starts the fusion degenerate: near-uniform attention over instance-normalised memory
    # (zero mean over tokens) gives constant outputs, the VLTF output BatchNorm scale is 0, so stages 2-4
    # hand the decoder zeros, and the existence head's attention is N(0, 0.001). It learns over 50 epochs of
    # RefCOCO; for a one-minute CPU run ``tiny`` uses fusion_init="fast": xavier attention, output scale 1.
    fusion_init: str = "official"
    # the official existence head reads DETACHED features; tiny lets its loss train the network too
    exist_detach: bool = True
    # pooling of the existence head over pixels: official "mean"; "max" (tiny) keeps a small object's evidence
    exist_pool: str = "mean"
    # where the existence logit comes from: official "memory" (the head above); "text" (tiny): "is every
    # word's thing somewhere in the image?": per word, the largest dot product over pixels of the mask
    # feature with the word's projection plus a learned per-word bias, soft minimum over the words, scaled
    exist_source: str = "memory"
    # the mask logits: official "conv" (``mask_conv`` on the mask feature); "text" (tiny): "does every word
    # hold HERE?": per pixel, the sum over the sentence's tokens of log sigmoid(the mask feature (its image
    # mean removed) . the token's projection + a learned per-token bias), plus a learned bias. The official
    # head trained for a minute segments every object whatever the sentence; this one follows the words
    mask_source: str = "conv"
    # the "text" heads' word projections also weigh the pixel's (row, column) in [-1, 1]: Swin has no absolute
    # position, and "the left star" needs it; official False (no text heads), tiny True
    text_coords: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.n_fuse <= len(self.depths) - 1:
            raise InputError(f"n_fuse must be in 1..{len(self.depths) - 1}, got {self.n_fuse}", field="n_fuse")
        if self.fusion_init not in ("official", "fast"):
            raise InputError(f"fusion_init must be 'official' or 'fast', got {self.fusion_init!r}",
                             field="fusion_init")
        if self.exist_pool not in ("mean", "max"):
            raise InputError(f"exist_pool must be 'mean' or 'max', got {self.exist_pool!r}", field="exist_pool")
        if self.exist_source not in ("memory", "text"):
            raise InputError(f"exist_source must be 'memory' or 'text', got {self.exist_source!r}",
                             field="exist_source")
        if self.mask_source not in ("conv", "text"):
            raise InputError(f"mask_source must be 'conv' or 'text', got {self.mask_source!r}", field="mask_source")
        if self.decoder_dim != 2 * self.embed_dim:
            raise InputError(f"decoder_dim ({self.decoder_dim}) must equal stage 1's width 2*embed_dim "
                             f"({2 * self.embed_dim}): the existence head attends from one to the other",
                             field="decoder_dim")

    @property
    def dims(self) -> Tuple[int, ...]:
        return tuple(self.embed_dim * 2 ** i for i in range(len(self.depths)))

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "RefSegformerConfig":
        return config_from_dict(cls, d, ("depths", "num_heads"), "RefSegformer")


PRESETS: Dict[str, RefSegformerConfig] = {
    "swin-b": RefSegformerConfig(),
    "swin-t": RefSegformerConfig(embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window_size=7,
                                 drop_path_rate=0.2, decoder_dim=192, decoder_ffn=768),
    "tiny": RefSegformerConfig(embed_dim=32, depths=(1, 1, 2, 1), num_heads=(1, 2, 2, 4), window_size=4,
                               drop_path_rate=0.0, img_size=64, max_tokens=16, num_mem=8, num_neg_mem=4,
                               decoder_dim=64, decoder_layers=2, decoder_heads=4, decoder_points=2,
                               decoder_ffn=128, gn_groups=8, text={"kind": "tiny", "vocab": []},
                               text_train_layers=None, fusion_init="fast",
                               exist_detach=False, exist_pool="max", exist_source="text",
                               mask_source="text", text_coords=True),
}


def preset(name: str, **overrides: Any) -> RefSegformerConfig:
    """The named preset with field overrides (e.g. ``text={"kind": "minilm"}``)."""
    if name not in PRESETS:
        raise InputError(f"unknown RefSegformer preset {name!r}; choose from {sorted(PRESETS)}", field="preset")
    return replace(PRESETS[name], **overrides)
