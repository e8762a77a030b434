"""The visualize grid: per sentence, the image, the ground truth and the prediction, with the sentence, its kind
(positive, or negative and its strategy) and the IoU, to see what a model does where the numbers say it fails.

The IoU shown is the per-sentence one of the metrics: I/U for a positive; for a negative 1 when the prediction
is empty and 0 otherwise (the gIoU convention). Same inputs, same PNG bytes (no dates in the metadata).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import List, Optional, Sequence, Set, Union

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import masks
from ..errors import InputError
from ..files import PathLike, atomic_path
from ..metrics.prediction_checks import ValidPredictions, validate
from ..metrics.predictions import PredictionFile, read_predictions
from ..run.prefetch import load_rgb
from ..datasets.model import Dataset

KINDS = ("all", "positive", "negative")
GT_COLOUR = (60, 230, 90)
PRED_COLOUR = (255, 60, 200)
DIM = 0.3  # brightness kept outside the mask


@dataclass
class Row:
    """One sentence of the grid, everything needed to draw it."""

    sent_id: int
    sentence: str
    kind: str
    image: np.ndarray
    truth: Optional[np.ndarray]      # None for a negative
    prediction: Optional[np.ndarray]  # None when predicted empty
    iou: float


def choose(dataset: Dataset, splits: Optional[Sequence[str]], *, sent_ids: Sequence[int] = (),
           random: Optional[int] = None, seed: int = 0, kind: str = "all",
           predicted: Optional[Set[int]] = None, source: Optional[PathLike] = None) -> List[int]:
    """The sentences to show: ``sent_ids`` as given, else ``random`` of the split's sentences of ``kind``
    (seeded, shown in dataset order). ``predicted``: the sent_ids the predictions file (``source``) has a
    record for; only those are drawn, and a chosen sentence without one is refused (a ``--limit`` or
    interrupted run covers part of the split; its other sentences would be drawn as empty answers)."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", field="--kind")
    where = f"split {','.join(splits or dataset.splits)}"
    pool = [s["sent_id"] for s in dataset.sentences_in(splits)
            if kind == "all" or s.exists == (kind == "positive")]
    if sent_ids:
        allowed = set(pool)
        unknown = [i for i in sent_ids if i not in allowed]
        if unknown:
            raise InputError(f"sent_id {unknown[0]} is not a {'' if kind == 'all' else kind + ' '}sentence of "
                             f"{where}", dataset.refs_path, field="--sent-id")
        absent = [i for i in sent_ids if predicted is not None and i not in predicted]
        if absent:
            raise InputError(f"sent_id {absent[0]} has no prediction in this file (it predicts {len(predicted)} "
                             f"of the {len(dataset.sentences_in(splits))} sentences of {where}: a --limit or "
                             "unfinished run?); choose among the predicted ones", source, field="--sent-id")
        return list(sent_ids)
    if predicted is not None:
        pool = [sid for sid in pool if sid in predicted]
    if not pool:
        raise InputError(f"no {'' if kind == 'all' else kind + ' '}sentences of {where}"
                         f"{'' if predicted is None else ' with a prediction in this file'}",
                         dataset.refs_path if predicted is None else source)
    n = min(random or 8, len(pool))
    picked = set(np.random.default_rng(seed).choice(len(pool), size=n, replace=False).tolist())
    return [sid for k, sid in enumerate(pool) if k in picked]


def predicted_ids(valid: ValidPredictions) -> Set[int]:
    """The sent_ids that had a record in the file (the others were filled in as empty by ``validate``)."""
    return {sid for sid, had in zip(valid.sent_ids, valid.covered.tolist()) if had}


def rows(dataset: Dataset, predictions: Union[PredictionFile, ValidPredictions],
         splits: Optional[Sequence[str]], sent_ids: Sequence[int]) -> List[Row]:
    """Build the rows for ``sent_ids`` from the predictions (a file is checked first; a sentence it has no
    record for is refused, never drawn as an empty answer)."""
    valid = predictions if isinstance(predictions, ValidPredictions) else \
        validate(predictions, dataset, splits, missing="empty")
    index = {sid: k for k, sid in enumerate(valid.sent_ids)}
    absent = [sid for sid in sent_ids if not valid.covered[index[sid]]]
    if absent:
        raise InputError(f"sent_id {absent[0]} has no prediction in this file", field="--sent-id")
    out = []
    for sid in sent_ids:
        sent = dataset.sentences[sid]
        ref = dataset.refs[dataset.sent_to_ref[sid]]
        image = dataset.images[ref["image_id"]]
        pixels = load_rgb(dataset.image_path(image["id"]), image["height"], image["width"])
        segmentation = valid.segmentations[index[sid]]
        prediction = masks.decode(segmentation) if segmentation is not None else None
        if sent.exists:
            truth = masks.decode(dataset.ref_rle(ref["ref_id"]))
            inter = int(np.logical_and(truth, prediction).sum()) if prediction is not None else 0
            union = int(np.logical_or(truth, prediction).sum()) if prediction is not None else int(truth.sum())
            iou, kind = inter / union if union else 0.0, "positive"
        else:
            truth, iou = None, float(prediction is None)
            kind = f"negative: {sent.get('strategy', 'unknown strategy') if ref.targets else 'no target'}"
            if sent.get("verified"):
                kind += f" ({sent['verified']})"
        out.append(Row(sid, sent.get("raw") or sent["sent"], kind, pixels, truth, prediction, iou))
    return out


def overlay(image: np.ndarray, mask: Optional[np.ndarray], colour: Sequence[int]) -> np.ndarray:
    """``image`` dimmed outside ``mask``, the mask's border drawn in ``colour``: readable whatever the
    object's own colour. No mask (no target): the whole image dimmed."""
    out = image.astype(np.float32)
    inside = np.zeros(image.shape[:2], dtype=bool) if mask is None else mask
    out[~inside] *= DIM
    if mask is not None:
        out[_border(mask, max(1, round(max(mask.shape) / 160)))] = colour
    return out.round().astype(np.uint8)


def _border(mask: np.ndarray, width: int) -> np.ndarray:
    """The pixels of ``mask`` within ``width`` pixels of its outside (4-neighbour erosion)."""
    inner = mask
    for _ in range(width):
        p = np.pad(inner, 1, constant_values=False)
        inner = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return mask & ~inner


def figure(grid: Sequence[Row], model: str = "") -> Figure:
    """One row per sentence: image | ground truth | prediction, titled with the sentence, kind and IoU."""
    with matplotlib.style.context("default"), matplotlib.rc_context({"font.size": 9.0}):
        fig = Figure(figsize=(9.0, 2.9 * len(grid) + 0.3), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        subfigs = fig.subfigures(len(grid), 1, squeeze=False)[:, 0]
        for row, sub in zip(grid, subfigs):
            verdict = "correct: empty" if row.truth is None and row.prediction is None else \
                ("wrong: not empty" if row.truth is None else "")
            sub.suptitle(textwrap.shorten(f'"{row.sentence}"', 95) + f"\nsent_id {row.sent_id}  |  {row.kind}  |  "
                         f"IoU {row.iou:.2f}" + (f" ({verdict})" if verdict else ""), fontsize=9.5)
            panels = [("image", row.image),
                      ("ground truth" if row.truth is not None else "ground truth: no target",
                       overlay(row.image, row.truth, GT_COLOUR)),
                      (f"prediction{f' ({model})' if model else ''}" +
                       (": no target" if row.prediction is None else ""),
                       overlay(row.image, row.prediction, PRED_COLOUR))]
            for ax, (title, pixels) in zip(sub.subplots(1, 3), panels):
                ax.imshow(pixels, interpolation="nearest")
                ax.set_title(title, fontsize=8.5)
                ax.set_axis_off()
    return fig


def write_grid(dataset: Dataset, predictions: PathLike, out: PathLike, *,
               splits: Optional[Sequence[str]] = None, sent_ids: Sequence[int] = (), random: Optional[int] = None,
               seed: int = 0, kind: str = "all") -> List[int]:
    """Draw the grid of the chosen sentences (only ones the file predicts) into the PNG ``out``; return the
    sent_ids shown."""
    pred_file = read_predictions(predictions)
    valid = validate(pred_file, dataset, splits, missing="empty")
    chosen = choose(dataset, splits, sent_ids=sent_ids, random=random, seed=seed, kind=kind,
                    predicted=predicted_ids(valid), source=predictions)
    fig = figure(rows(dataset, valid, splits, chosen), str((pred_file.info or {}).get("model", "")))
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    return chosen
