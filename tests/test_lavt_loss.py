"""LAVT's loss learns from positives only; LAVT+ trains with RefSegformer's negative-aware loss itself."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from rris_bench.baselines.lavt.loss import lavt_loss  # noqa: E402
from rris_bench.baselines.lavt.train import LAVTTask  # noqa: E402
from rris_bench.baselines.refsegformer.train import refsegformer_loss  # noqa: E402

F = torch.nn.functional


def _batch():
    torch.manual_seed(0)
    logits = torch.randn(4, 2, 5, 6, requires_grad=True)
    target = (torch.rand(4, 5, 6) > 0.6).long()
    exist = torch.tensor([1.0, 0.0, 1.0, 0.0])
    return logits, target, exist


def test_lavt_loss_is_weighted_ce_over_positives_only():
    logits, target, exist = _batch()
    weight = torch.tensor([0.9, 1.1])
    counts = {"positives": 2.0, "negatives": 2.0, "samples": 4.0}
    expected = (F.cross_entropy(logits[0:1], target[0:1], weight=weight)
                + F.cross_entropy(logits[2:3], target[2:3], weight=weight)) / 2
    loss, _ = lavt_loss(logits, target, exist, counts)
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert logits.grad[[1, 3]].abs().sum() == 0 and logits.grad[[0, 2]].abs().sum() > 0
    none, _ = lavt_loss(logits, target, torch.zeros(4), {"positives": 0.0, "negatives": 4.0, "samples": 4.0})
    assert none.item() == 0 and none.requires_grad


def test_global_counts_make_two_halves_equal_the_whole():
    """What DDP relies on: the loss of two half-batches, each divided by the global count, sums to the whole."""
    logits, target, exist = _batch()
    counts = {"positives": 2.0, "negatives": 2.0, "samples": 4.0}
    whole, _ = lavt_loss(logits, target, exist, counts)
    halves = lavt_loss(logits[:2], target[:2], exist[:2], counts)[0] + \
        lavt_loss(logits[2:], target[2:], exist[2:], counts)[0]
    torch.testing.assert_close(whole, halves)


class _Fixed(torch.nn.Module):
    def __init__(self, logits, exist_logit):
        super().__init__()
        self.out = (logits, exist_logit)

    def forward(self, *args):
        return self.out


def test_lavt_plus_trains_with_refsegformers_loss():
    logits, target, exist = _batch()
    exist_logit = torch.randn(4)
    counts = {"positives": 2.0, "negatives": 2.0, "samples": 4.0}
    batch = {"image": None, "ids": None, "mask": None, "target": target, "exist": exist}
    task = LAVTTask.tiny(plus=True, vocab=["a"])
    got, parts = task.loss(_Fixed(logits, exist_logit), batch, counts)
    expected, _ = refsegformer_loss(logits, exist_logit, target, exist, counts)
    torch.testing.assert_close(got, expected)
    assert parts["ce_neg"] > 0 and parts["bce_exist"] > 0
    plain, _ = LAVTTask.tiny(plus=False, vocab=["a"]).loss(_Fixed(logits, None), batch, counts)
    torch.testing.assert_close(plain, lavt_loss(logits, target, exist, counts)[0])
