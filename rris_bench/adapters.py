"""The model interface: ``Sample`` in, ``Prediction`` out, and the registry that finds adapters by name.

An adapter is any class with a ``name``, ``predict(batch)`` and optionally ``setup``/``teardown``. The
registry holds the built-ins, the ``rris_bench.adapters`` entry-point group, and ``path/file.py:Class`` or
``module:Class`` references, so adding a model takes one file and no change to rris-bench.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Dict, List, Optional, Union

import numpy as np

from .masks import RLE


@dataclass
class Target:
    """Ground truth, handed only to adapters that declare ``uses_ground_truth`` (the oracle baselines)."""

    exists: bool
    rle: RLE          # the referred object's mask (also for negatives: the ref's object, not the target)
    box: List[float]  # [x, y, w, h] of the referred object


@dataclass
class Sample:
    """One (image, sentence) pair. ``image`` is RGB uint8 of shape (height, width, 3)."""

    image: np.ndarray
    image_id: int
    height: int
    width: int
    sent_id: int
    ref_id: int
    sentence: str
    target: Optional[Target] = None


@dataclass
class Prediction:
    """The answer for one sample: a boolean (height, width) mask, a COCO RLE, or None for "no target".

    ``score`` is the model's confidence in [0, 1] that the target exists, when it has one.
    """

    mask: Union[np.ndarray, RLE, None]
    score: Optional[float] = None


class Adapter:
    """Base class (subclassing is optional; the harness only needs the attributes below).

    ``batch_size``: the preferred batch size. ``group_by_image``: the harness orders samples so that one
    image's sentences arrive together (an image is then encoded once). ``uses_ground_truth``: the harness
    fills ``Sample.target``; only bound-setting baselines should say so.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    batch_size: ClassVar[int] = 8
    group_by_image: ClassVar[bool] = False
    uses_ground_truth: ClassVar[bool] = False

    def setup(self, device: str = "cpu", **options: Any) -> None:
        """Load weights and move to ``device``; ``options`` come from ``--opt key=value``."""
        if options:
            raise TypeError(f"{self.name or type(self).__name__} takes no options, got {sorted(options)}")

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        raise NotImplementedError

    def teardown(self) -> None:
        """Free resources; called once after the last batch."""


# name -> "module:Class" of the built-in adapters; imported only when asked for, so the core needs no torch.
BUILTIN_ADAPTERS: Dict[str, str] = {
    "empty": "rris_bench.baselines.trivial:EmptyAdapter",
    "oracle": "rris_bench.baselines.trivial:OracleAdapter",
    "gt-box": "rris_bench.baselines.trivial:GtBoxAdapter",
}
