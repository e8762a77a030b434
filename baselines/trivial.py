"""The trivial baselines that bound the metrics: always empty, the ground-truth oracle, the ground-truth box.

They read ``Sample.target`` (``uses_ground_truth``), never the image: their numbers check the metrics
engine and frame every real model (oracle: the ceiling of every metric; empty: the floor of the
segmentation metrics and the ceiling of the rejection ones; gt-box: perfect localisation, coarse masks).
"""
from __future__ import annotations

from typing import List

from ..adapters import Adapter, Prediction, Sample
from ..masks import from_box


class EmptyAdapter(Adapter):
    """Always "no target" (score 0): mRR = N-acc = 100, every positive missed."""

    name = "empty"
    description = "always predicts no target (score 0)"
    batch_size = 256

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        return [Prediction(None, score=0.0) for _ in batch]


class OracleAdapter(Adapter):
    """The ground-truth mask for positives and no target for negatives: 100 on every metric."""

    name = "oracle"
    description = "ground-truth mask for positives, no target for negatives (upper bound)"
    batch_size = 256
    uses_ground_truth = True

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        return [Prediction(s.target.rle, score=1.0) if s.target.exists else Prediction(None, score=0.0)
                for s in batch]


class GtBoxAdapter(Adapter):
    """The filled ground-truth box of the referred object for every sentence, negatives included."""

    name = "gt-box"
    description = "filled ground-truth box for every sentence (score 1)"
    batch_size = 256
    uses_ground_truth = True

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        return [Prediction(from_box(s.target.box, s.height, s.width), score=1.0) for s in batch]
