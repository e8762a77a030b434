"""The swin-b preset's state dict equals the official RefSegFormer's, key for key, shape for shape, in order."""
from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from rris_bench.baselines.refsegformer.model import build  # noqa: E402

KEYS = Path(__file__).parent / "data" / "refsegformer_swin_b_keys.tsv"


def _official():
    rows = [line.rstrip("\n").split("\t") for line in KEYS.read_text().splitlines()[1:]]
    return [(key, shape, dtype) for key, shape, dtype in rows]


def test_swin_b_state_dict_equals_official_keys_shapes_and_order():
    with torch.device("meta"):
        model = build("swin-b")
    ours = [(k, str(list(v.shape)), str(v.dtype).replace("torch.", "")) for k, v in model.state_dict().items()]
    official = _official()
    assert len(official) == 887
    for i, (mine, ref) in enumerate(zip(ours, official)):
        assert mine == ref, f"entry {i}: ours {mine} != official {ref}"
    assert len(ours) == len(official)

