"""Swin parts: windowed attention (padding, cyclic shift, mask) against per-token references without windows."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from rris_bench.baselines.common.swin import PatchMerging, SwinBlock, WindowAttention  # noqa: E402


def _regions(size: int, ws: int, shift: int) -> torch.Tensor:
    """Region label (0..2) along one axis of the shifted padded grid, as the shift mask defines them."""
    lab = torch.zeros(size, dtype=torch.long)
    lab[size - ws:size - shift] = 1
    lab[size - shift:] = 2
    return lab


def naive_attention(block: SwinBlock, x: torch.Tensor, hw) -> torch.Tensor:
    """The attention branch of a block, token by token: each query attends to the tokens of its window on the
    padded, cyclically shifted grid (padded tokens are zero after norm1, so their k/v are the qkv bias), only
    within its shift region, with the relative-position bias looked up from coordinates."""
    h, w = hw
    ws, shift = block.window_size, block.shift_size
    attn: WindowAttention = block.attn
    heads, c = attn.num_heads, x.shape[-1]
    hp, wp = -(-h // ws) * ws, -(-w // ws) * ws
    grid = torch.zeros(hp, wp, c)
    grid[:h, :w] = block.norm1(x[0]).view(h, w, c)
    q, k, v = attn.qkv(grid).view(hp, wp, 3, heads, c // heads).unbind(2)
    table = attn.relative_position_bias_table
    ry, rx = _regions(hp, ws, shift), _regions(wp, ws, shift)
    out = torch.zeros(h * w, c)
    for i in range(h):
        for j in range(w):
            si, sj = (i - shift) % hp, (j - shift) % wp           # coordinates on the shifted grid
            keys, bias = [], []
            for a in range(hp):
                for b in range(wp):
                    sa, sb = (a - shift) % hp, (b - shift) % wp
                    if sa // ws != si // ws or sb // ws != sj // ws:
                        continue
                    if shift and (ry[sa] != ry[si] or rx[sb] != rx[sj]):
                        continue
                    keys.append((a, b))
                    dy, dx = si % ws - sa % ws, sj % ws - sb % ws
                    bias.append(table[(dy + ws - 1) * (2 * ws - 1) + dx + ws - 1])
            kk = torch.stack([k[a, b] for a, b in keys])           # n, heads, d
            vv = torch.stack([v[a, b] for a, b in keys])
            logits = torch.einsum("hd,nhd->hn", q[i, j] * attn.scale, kk) + torch.stack(bias).T
            o = torch.einsum("hn,nhd->hd", logits.softmax(-1), vv).reshape(c)
            out[i * w + j] = o
    return attn.proj(out)


def _attention_branch(block: SwinBlock, x: torch.Tensor, hw) -> torch.Tensor:
    """Block output minus its residual path, with an identity-free MLP: run with the MLP zeroed."""
    with torch.no_grad():
        block.mlp.fc2.weight.zero_()
        block.mlp.fc2.bias.zero_()
        return (block(x, hw) - x)[0]


@pytest.mark.parametrize("hw,ws,shift", [((5, 5), 5, 0), ((7, 9), 4, 0), ((7, 9), 4, 2), ((10, 6), 4, 2),
                                         ((3, 3), 4, 0)])
def test_windowed_attention_with_padding_equals_per_token_reference(hw, ws, shift):
    torch.manual_seed(0)
    block = SwinBlock(8, 2, window_size=ws, shift_size=shift).eval()
    with torch.no_grad():
        block.attn.qkv.bias.normal_()                 # padded tokens then carry non-zero keys and values
        block.attn.relative_position_bias_table.normal_()
        block.norm1.bias.normal_()
    x = torch.randn(1, hw[0] * hw[1], 8)
    with torch.no_grad():
        ref = naive_attention(block, x, hw)
    torch.testing.assert_close(_attention_branch(block, x, hw), ref, atol=1e-5, rtol=1e-5)


def test_single_window_equals_global_attention():
    """A grid exactly one window large, no shift: plain multi-head attention over all tokens plus the bias."""
    torch.manual_seed(1)
    block = SwinBlock(8, 2, window_size=4, shift_size=0).eval()
    x = torch.randn(1, 16, 8)
    with torch.no_grad():
        y = block.norm1(x[0])
        q, k, v = block.attn.qkv(y).view(16, 3, 2, 4).unbind(1)
        bias = block.attn.bias()
        logits = torch.einsum("ihd,jhd->hij", q, k) / 2.0 + bias
        ref = block.attn.proj(torch.einsum("hij,jhd->ihd", logits.softmax(-1), v).reshape(16, 8))
        torch.testing.assert_close(_attention_branch(block, x, (4, 4)), ref, atol=1e-5, rtol=1e-5)


def test_patch_merging_order_and_odd_sides():
    merge = PatchMerging(1)
    with torch.no_grad():
        merge.norm.weight.fill_(1.0)
        merge.norm.bias.zero_()
        merge.reduction.weight.copy_(torch.eye(2, 4))   # keeps x00 and x10 (normalised)
    x = torch.arange(9.0).view(1, 9, 1)                 # 3x3 grid -> padded to 4x4 -> 2x2
    out = merge(x, (3, 3))
    assert out.shape == (1, 4, 2)
    raw = torch.tensor([0.0, 3.0, 1.0, 4.0])            # x00, x10, x01, x11 of the first 2x2 cell
    expected = F.layer_norm(raw, (4,))[:2]
    torch.testing.assert_close(out[0, 0], expected)
