"""PWAM, the language gate and the decoder against straightforward reference computations."""
from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from rris_bench.baselines.lavt.decoder import LAVTDecoder  # noqa: E402
from rris_bench.baselines.lavt.fusion import PWAM, gated_fusion, language_gate  # noqa: E402


def _conv(seq_or_conv, x):
    """A 1x1 Conv1d as a plain matrix product on (N, C) rows."""
    conv = seq_or_conv[0]
    return x @ conv.weight[:, :, 0].T + conv.bias


def _instance_norm(x):
    """InstanceNorm1d (no affine) over the pixel axis of (HW, C): per channel, biased variance, eps 1e-5."""
    mean = x.mean(dim=0, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5)


def _gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


@torch.no_grad()
def reference_pwam(m: PWAM, x, words, mask):
    """PWAM of the LAVT paper for one sample, written per head and per pixel with explicit word loops."""
    att = m.image_lang_att
    hw, c = x.shape
    heads = att.num_heads
    d = c // heads
    query = _instance_norm(_conv(att.f_query, x))              # (HW, C)
    keys = _conv(att.f_key, words) * mask[:, None]             # (L, C), padding words zeroed
    values = _conv(att.f_value, words) * mask[:, None]
    out = torch.zeros(hw, c, dtype=x.dtype)
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        for p in range(hw):
            scores = []
            for w in range(words.shape[0]):
                s = float(query[p, sl] @ keys[w, sl]) / math.sqrt(c)
                scores.append(s if mask[w] > 0 else s - 1e4)
            weights = torch.softmax(torch.tensor(scores, dtype=x.dtype), dim=0)
            out[p, sl] = (weights[:, None] * values[:, sl]).sum(dim=0)
    lang = _instance_norm(_conv(att.W, out))
    vis = _gelu(_conv(m.vis_project, x))
    return _gelu(_conv(m.project_mm, vis * lang))


@pytest.mark.parametrize("heads", [1, 2])
def test_pwam_equals_reference(heads):
    torch.manual_seed(heads)
    b, hw, c, l_dim, n_words = 2, 12, 8, 6, 5
    m = PWAM(c, l_dim, num_heads=heads).double().eval()
    for p in m.parameters():
        torch.nn.init.normal_(p, std=0.5)
    x = torch.randn(b, hw, c, dtype=torch.float64)
    words = torch.randn(b, n_words, l_dim, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=torch.float64)
    got = m(x, words, mask)
    for i in range(b):
        torch.testing.assert_close(got[i], reference_pwam(m, x[i], words[i], mask[i]), rtol=1e-9, atol=1e-9)


def test_padding_words_do_not_matter():
    """Changing a padded word's features must not change PWAM's output (masking is real)."""
    torch.manual_seed(0)
    m = PWAM(8, 6).double().eval()
    x = torch.randn(1, 10, 8, dtype=torch.float64)
    words = torch.randn(1, 4, 6, dtype=torch.float64)
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0]], dtype=torch.float64)
    other = words.clone()
    other[0, 2:] = 100 * torch.randn(2, 6, dtype=torch.float64)
    torch.testing.assert_close(m(x, words, mask), m(x, other, mask))
    changed = words.clone()
    changed[0, 1] += 1.0
    assert not torch.allclose(m(x, words, mask), m(x, changed, mask))


def test_gate_equals_reference():
    torch.manual_seed(1)
    gate = language_gate(6).double()
    x = torch.randn(3, 7, 6, dtype=torch.float64)
    fused = torch.randn(3, 7, 6, dtype=torch.float64)
    w1, w2 = gate[0].weight, gate[2].weight
    expected = torch.empty_like(x)
    for i in range(3):
        for p in range(7):
            g = torch.tanh(w2 @ torch.clamp(w1 @ fused[i, p], min=0))
            expected[i, p] = x[i, p] + g * fused[i, p]
    torch.testing.assert_close(gated_fusion(x, fused, gate), expected, rtol=1e-12, atol=1e-12)
    assert gate[0].bias is None and gate[2].bias is None


def test_decoder_shapes_and_top_down_path():
    torch.manual_seed(2)
    c = 8
    dec = LAVTDecoder(8 * c).eval()
    feats = [torch.randn(2, c * 2 ** i, 16 // 2 ** i, 16 // 2 ** i) for i in range(4)]
    out = dec(feats)
    assert out.shape == (2, 2, 16, 16)
    # Y4 reaches the output: the decoder is top-down, not just a head on Y1
    feats2 = list(feats)
    feats2[3] = feats[3] + 1.0
    assert not torch.allclose(out, dec(feats2))
