"""The visualize grid: per sentence, the image, the ground truth and the prediction, with the sentence, its kind
(positive, or negative and its strategy) and the IoU, to see what a model does where the numbers say it fails.

The IoU shown is the per-sentence one of the metrics: I/U for a positive; for a negative 1 when the prediction
is empty and 0 otherwise (the gIoU convention). Same inputs, same PNG bytes (no dates in the metadata).
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import List, Optional, Sequence

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import masks
from .errors import InputError
from .files import PathLike, atomic_path
from .predictions import PredictionFile, read_predictions, validate
from .prefetch import load_rgb
from .datasets.model import Dataset

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
           random: Optional[int] = None, seed: int = 0, kind: str = "all") -> List[int]:
    """The sentences to show: ``sent_ids`` as given, else ``random`` of the split's sentences of ``kind``
    (seeded, shown in dataset order)."""
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}", field="--kind")
    pool = [s["sent_id"] for s in dataset.sentences_in(splits)
            if kind == "all" or s.exists == (kind == "positive")]
    if sent_ids:
        allowed = set(pool)
        unknown = [i for i in sent_ids if i not in allowed]
        if unknown:
            raise InputError(f"sent_id {unknown[0]} is not a {'' if kind == 'all' else kind + ' '}sentence of "
                             f"split {','.join(splits or dataset.splits)}", dataset.refs_path, field="--sent-id")
        return list(sent_ids)
    if not pool:
        raise InputError(f"no {kind} sentences in split {','.join(splits or dataset.splits)}", dataset.refs_path)
    n = min(random or 8, len(pool))
    picked = set(np.random.default_rng(seed).choice(len(pool), size=n, replace=False).tolist())
    return [sid for k, sid in enumerate(pool) if k in picked]


def rows(dataset: Dataset, predictions: PredictionFile, splits: Optional[Sequence[str]],
         sent_ids: Sequence[int]) -> List[Row]:
    """Check the predictions (missing ones count as empty) and build the rows for ``sent_ids``."""
    valid = validate(predictions, dataset, splits, missing="empty")
    index = {sid: k for k, sid in enumerate(valid.sent_ids)}
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
    """Draw the grid of the chosen sentences into the PNG ``out``; return the sent_ids shown."""
    chosen = choose(dataset, splits, sent_ids=sent_ids, random=random, seed=seed, kind=kind)
    pred_file = read_predictions(predictions)
    fig = figure(rows(dataset, pred_file, splits, chosen), str((pred_file.info or {}).get("model", "")))
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    return chosen
