"""LAVT's configuration: a small dataclass and the named presets.

``swin-b`` is the released LAVT (yz93/LAVT-RIS: Swin-B, window 12, 480x480, bert-base-uncased, one head per
PWAM); ``tiny`` (under a million parameters, a word-level tiny BERT) is for tests and the CPU demo.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Dict, Optional, Tuple

from rris_bench.errors import InputError

from ..common.config import config_from_dict


@dataclass(frozen=True)
class LAVTConfig:
    embed_dim: int = 128
    depths: Tuple[int, ...] = (2, 2, 18, 2)
    num_heads: Tuple[int, ...] = (4, 8, 16, 32)
    window_size: int = 12
    fusion_heads: Tuple[int, ...] = (1, 1, 1, 1)  # LAVT's --mha, default 1-1-1-1
    drop_path_rate: float = 0.3
    fusion_drop: float = 0.0
    img_size: int = 480
    max_tokens: int = 20
    text: Dict[str, Any] = field(default_factory=lambda: {"kind": "bert-base-uncased"})
    text_train_layers: Optional[int] = 10  # LAVT-RIS's optimiser trains BERT layers 0-9 only; None = all
    existence: bool = False  # LAVT+ (the existence head) when True

    @property
    def name(self) -> str:
        return "lavt-plus" if self.existence else "lavt"

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "LAVTConfig":
        return config_from_dict(cls, d, ("depths", "num_heads", "fusion_heads"), "LAVT")


PRESETS: Dict[str, LAVTConfig] = {
    "swin-b": LAVTConfig(),
    "tiny": LAVTConfig(embed_dim=16, depths=(1, 1, 2, 1), num_heads=(1, 2, 2, 4), window_size=4,
                       drop_path_rate=0.0, img_size=64, max_tokens=16, text={"kind": "tiny", "vocab": []},
                       text_train_layers=None),
}


def preset(name: str, plus: bool = False, **overrides: Any) -> LAVTConfig:
    """The named preset (``plus`` adds LAVT+'s existence head), with field overrides."""
    if name not in PRESETS:
        raise InputError(f"unknown LAVT preset {name!r}; choose from {sorted(PRESETS)}", field="preset")
    return replace(PRESETS[name], existence=plus, **overrides)
