"""LAVT's loss learns from positives only; LAVT+'s is CE(pos) + 0.4 CE(neg vs empty) + 1.0 BCE(existence)."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rris_bench.baselines.lavt.loss import lavt_loss, lavt_plus_loss  # noqa: E402

F = torch.nn.functional


def _batch():
    torch.manual_seed(0)
    logits = torch.randn(4, 2, 5, 6, requires_grad=True)
    masks = (torch.rand(4, 5, 6) > 0.6).long()
    exists = torch.tensor([True, False, True, False])
    exist_logit = torch.randn(4, requires_grad=True)
    return logits, masks, exists, exist_logit


def test_lavt_loss_ignores_negatives():
    logits, masks, exists, _ = _batch()
    expected = F.cross_entropy(logits[[0, 2]], masks[[0, 2]], weight=torch.tensor([0.9, 1.1]))
    torch.testing.assert_close(lavt_loss(logits, masks, exists)["loss"], expected)
    lavt_loss(logits, masks, exists)["loss"].backward()
    assert logits.grad[[1, 3]].abs().sum() == 0 and logits.grad[[0, 2]].abs().sum() > 0
    none = lavt_loss(logits, masks, torch.zeros(4, dtype=torch.bool))["loss"]
    assert none.item() == 0 and none.requires_grad


def test_lavt_plus_loss_terms():
    logits, masks, exists, exist_logit = _batch()
    got = lavt_plus_loss(logits, exist_logit, masks, exists)
    pos = (F.cross_entropy(logits[0:1], masks[0:1]) + F.cross_entropy(logits[2:3], masks[2:3])) / 2
    empty = torch.zeros(1, 5, 6, dtype=torch.long)
    neg = (F.cross_entropy(logits[1:2], empty) + F.cross_entropy(logits[3:4], empty)) / 2
    bce = F.binary_cross_entropy_with_logits(exist_logit, exists.float())
    torch.testing.assert_close(got["loss"], pos + 0.4 * neg + 1.0 * bce)
    torch.testing.assert_close(got["negative"], neg)
