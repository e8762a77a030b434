"""Checking what an adapter returns, batch by batch: one Prediction per sample, a mask at the image's size (a
boolean array, a COCO RLE or None), a score in [0, 1] for every sample or for none. A wrong answer raises
``AdapterError`` naming the adapter and the sample; the records written before it are kept."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, List, Optional, Union

import numpy as np

from .. import masks
from ..errors import InputError
from ..metrics.predictions import jsonl_line, prediction_record
from ..rle import decode_counts
from . import adapters
from .adapters import Sample
from .plan import Item


class AdapterError(InputError):
    """The adapter misbehaved: raised, or returned a wrong number of predictions, a mask of the wrong size,
    a score outside [0, 1]. The message names the adapter and the sample; what was written is kept."""


class AnswerChecker:
    """Checks one run's answers; remembers whether they carry scores (all or none)."""

    def __init__(self, name: str):
        self.name = name
        self.scored: Optional[bool] = None  # whether the answers carry scores: unknown until the first one

    def fail(self, problem: str, it: Item, part: Path, written: int) -> AdapterError:
        """The error for a wrong answer at ``it``: ``written`` predictions are kept in ``part``."""
        return AdapterError(f"adapter {self.name}: {problem}, at sample sent_id {it.sent_id} (image {it.image_id}, "
                            f"{it.sentence!r}); the {written} predictions written before are kept in {part}: "
                            f"fix the adapter and rerun with --resume")

    def call(self, adapter: Any, batch: List[Item], samples: List[Sample], part: Path, written: int) -> List[Any]:
        """``adapter.predict(samples)`` as a list of one answer per sample, or AdapterError."""
        try:
            predictions = adapter.predict(samples)
        except Exception as exc:
            raise self.fail(f"predict() raised {adapters._describe_exception(exc)} on a batch of {len(batch)}",
                            batch[0], part, written) from None
        try:
            predictions = list(predictions)
        except TypeError:
            raise self.fail(f"predict() returned {type(predictions).__name__}, not a list of Prediction",
                            batch[0], part, written) from None
        if len(predictions) != len(batch):
            raise self.fail(f"predict() returned {len(predictions)} predictions for a batch of {len(batch)}",
                            batch[0], part, written)
        return predictions

    def record(self, it: Item, sample: Sample, prediction: Any, part: Path, written: int) -> str:
        """The JSON Lines record of ``prediction`` for ``it``, or AdapterError saying what is wrong with it."""
        if not hasattr(prediction, "mask"):
            raise self.fail(f"returned {type(prediction).__name__}, not a Prediction", it, part, written)
        segmentation = segmentation_of(prediction.mask, sample)
        if isinstance(segmentation, str):
            raise self.fail(segmentation, it, part, written)
        score = getattr(prediction, "score", None)
        if score is not None:
            if isinstance(score, (bool, np.bool_)) or not isinstance(score, (int, float, np.number)) \
                    or not math.isfinite(float(score)) or not 0.0 <= float(score) <= 1.0:
                raise self.fail(f"score {score!r} is not a number in [0, 1]", it, part, written)
        if self.scored is None:
            self.scored = score is not None
        elif self.scored != (score is not None):
            raise self.fail("gave a score for some samples and not for others (give all or none)", it, part,
                            written)
        return jsonl_line(prediction_record(it.sent_id, it.image_id, segmentation,
                                            None if score is None else float(score)))


def segmentation_of(mask: Any, sample: Sample) -> Union[None, masks.RLE, str]:
    """The RLE to write (None for "no target", also for an all-empty mask), or a string saying what is
    wrong with the mask."""
    size = (sample.height, sample.width)
    if mask is None:
        return None
    if isinstance(mask, np.ndarray):
        if mask.shape != size:
            return (f"mask of shape {mask.shape} for an image of {size[0]}x{size[1]} "
                    "(masks must be at the image's original size)")
        if mask.dtype != bool:
            if mask.dtype.kind not in "iu" or (mask.size and (mask.min() < 0 or mask.max() > 1)):
                return f"mask of dtype {mask.dtype} (give a boolean mask: threshold scores or logits first)"
        if not mask.any():
            return None
        return masks.encode(mask.view(np.uint8) if mask.dtype == bool else mask)  # the view skips a cast
    if isinstance(mask, dict) and "counts" in mask and "size" in mask:
        counts = mask["counts"].decode("ascii") if isinstance(mask["counts"], bytes) else mask["counts"]
        if list(mask["size"]) != list(size) or not isinstance(counts, str):
            return (f"RLE of size {mask['size']} for an image of {size[0]}x{size[1]} "
                    "(masks must be at the image's original size)")
        checked = decode_counts([counts], [size[0] * size[1]])
        if not checked.valid[0]:
            return f"malformed RLE ({checked.reason[0]})"
        return {"size": list(size), "counts": counts} if checked.area[0] else None
    return f"mask of type {type(mask).__name__} (give a boolean array, a COCO RLE dict or None)"
