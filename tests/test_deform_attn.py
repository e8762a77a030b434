"""Multi-scale deformable attention (grid_sample) against a naive per-point bilinear-sampling loop."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from rris_bench.baselines.common.deform_attn import MultiScaleDeformableAttention, ms_deform_attn  # noqa: E402


def bilinear(v: torch.Tensor, x: float, y: float) -> torch.Tensor:
    """v (d, H, W) sampled at normalised (x, y) in [0, 1], pixel centres at (i + 0.5) / size, zeros outside."""
    d, h, w = v.shape
    px, py = x * w - 0.5, y * h - 0.5
    x0, y0 = math.floor(px), math.floor(py)
    out = torch.zeros(d, dtype=v.dtype)
    for yy in (y0, y0 + 1):
        for xx in (x0, x0 + 1):
            if 0 <= yy < h and 0 <= xx < w:
                out += v[:, yy, xx] * (1 - abs(px - xx)) * (1 - abs(py - yy))
    return out


def naive(value, shapes, locations, weights):
    b, _, heads, d = value.shape
    _, q, _, levels, points, _ = locations.shape
    starts = [0]
    for h, w in shapes:
        starts.append(starts[-1] + h * w)
    out = torch.zeros(b, q, heads * d, dtype=value.dtype)
    for bi in range(b):
        for qi in range(q):
            for hi in range(heads):
                acc = torch.zeros(d, dtype=value.dtype)
                for li, (h, w) in enumerate(shapes):
                    v = value[bi, starts[li]:starts[li + 1], hi].T.reshape(d, h, w)
                    for pi in range(points):
                        x, y = locations[bi, qi, hi, li, pi].tolist()
                        acc += weights[bi, qi, hi, li, pi] * bilinear(v, x, y)
                out[bi, qi, hi * d:(hi + 1) * d] = acc
    return out


def test_ms_deform_attn_equals_naive_loop():
    g = torch.Generator().manual_seed(0)
    shapes = [(3, 4), (5, 2), (1, 1)]
    b, heads, d, q, points = 2, 2, 3, 5, 3
    n = sum(h * w for h, w in shapes)
    value = torch.randn(b, n, heads, d, generator=g, dtype=torch.float64)
    # locations also outside [0, 1] so zero padding is exercised
    locations = torch.rand(b, q, heads, len(shapes), points, 2, generator=g, dtype=torch.float64) * 1.4 - 0.2
    weights = torch.rand(b, q, heads, len(shapes), points, generator=g, dtype=torch.float64)
    torch.testing.assert_close(ms_deform_attn(value, shapes, locations, weights),
                               naive(value, shapes, locations, weights), atol=1e-10, rtol=1e-10)


def test_module_softmax_offsets_and_residual():
    """The module: locations = ref + offset / (W, H), softmax over levels x points, output_proj + identity."""
    torch.manual_seed(1)
    shapes = [(4, 4), (2, 3)]
    attn = MultiScaleDeformableAttention(8, num_heads=2, num_levels=2, num_points=2).double()
    with torch.no_grad():
        for p in attn.parameters():
            p.normal_(0, 0.3)
    n = sum(h * w for h, w in shapes)
    x = torch.randn(1, n, 8, dtype=torch.float64)
    pos = torch.randn(1, n, 8, dtype=torch.float64)
    ref = torch.rand(1, n, 2, 2, dtype=torch.float64)
    out = attn(x, x, pos, ref, shapes)
    qry = x + pos
    off = attn.sampling_offsets(qry).view(1, n, 2, 2, 2, 2)
    wts = attn.attention_weights(qry).view(1, n, 2, 4).softmax(-1).view(1, n, 2, 2, 2)
    norm = torch.tensor([[4.0, 4.0], [3.0, 2.0]], dtype=torch.float64)
    loc = ref[:, :, None, :, None, :] + off / norm[None, None, None, :, None, :]
    v = attn.value_proj(x).view(1, n, 2, 4)
    expected = attn.output_proj(naive(v, shapes, loc, wts)) + x
    torch.testing.assert_close(out, expected, atol=1e-9, rtol=1e-9)
