"""The trivial baselines that bound the metrics: always empty, the ground-truth oracle, the ground-truth box,
and the category oracle.

They read ``Sample.target`` (``uses_ground_truth``), never the image (``reads_images = False``: they run
without the image files): their numbers check the metrics
engine and frame every real model (oracle: the ceiling of every metric; empty: the floor of the
segmentation metrics and the ceiling of the rejection ones; gt-box: perfect localisation, coarse masks;
category-oracle: how much of a dataset's rejection task knowing the image's categories alone solves).
"""
from __future__ import annotations

from typing import Dict, List

from ..run.adapters import Adapter, Prediction, Sample
from ..generators.claims import category_rejects
from ..generators.lexicon import Lexicon
from ..masks import from_box


class EmptyAdapter(Adapter):
    """Always "no target" (score 0): mRR = N-acc = 100, every positive missed."""

    name = "empty"
    description = "always predicts no target (score 0)"
    batch_size = 256
    reads_images = False

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        return [Prediction(None, score=0.0) for _ in batch]


class OracleAdapter(Adapter):
    """The ground-truth mask for positives and no target for negatives: 100 on every metric."""

    name = "oracle"
    description = "ground-truth mask for positives, no target for negatives (upper bound)"
    batch_size = 256
    reads_images = False
    uses_ground_truth = True

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        return [Prediction(s.target.rle, score=1.0) if s.target.exists else Prediction(None, score=0.0)
                for s in batch]


class GtBoxAdapter(Adapter):
    """The filled ground-truth box of the referred object for every sentence, negatives included."""

    name = "gt-box"
    description = "filled ground-truth box for every sentence (score 1)"
    batch_size = 256
    reads_images = False
    uses_ground_truth = True

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        return [Prediction(from_box(s.target.box, s.height, s.width), score=1.0) for s in batch]


class CategoryOracleAdapter(Adapter):
    """A model that knows only which categories are in the image: "no target" exactly when a category phrase
    of the sentence names only categories absent from the image (``generators.claims.category_rejects``,
    the rule that sets a negative's ``difficulty``), otherwise the ground-truth mask of the ref.

    Its mRR per strategy is the share of negatives that category presence alone rejects: 100 on
    ``difficulty: category`` negatives, 0 on ``instance`` ones. It never looks at ``target.exists``.
    """

    name = "category-oracle"
    description = "no target iff the sentence names a category absent from the image, else the ground truth"
    batch_size = 256
    uses_ground_truth = True

    def __init__(self) -> None:
        self._lexicons: Dict[int, Lexicon] = {}

    def _lexicon(self, sample: Sample) -> Lexicon:
        key = id(sample.target.categories)
        if key not in self._lexicons:
            self._lexicons[key] = Lexicon(list(sample.target.categories))
        return self._lexicons[key]

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        out = []
        for s in batch:
            if category_rejects(s.sentence.split(), self._lexicon(s), s.target.image_category_ids):
                out.append(Prediction(None, score=0.0))
            else:
                out.append(Prediction(s.target.rle, score=1.0))
        return out
