"""How a prediction says "no target", and what that does to its statistics.

Three rules (``--no-target-rule``):

- ``empty``: a prediction answers "no target" when its mask is empty at the scoring resolution (null or an
  all-zero RLE). rris-bench's default, and what LAVT, Ref-ZOM and SESAME's code do.
- ``null``: only ``"segmentation": null`` answers "no target"; an all-zero RLE is a target answered with an
  empty mask. GRES's default: ReLA takes "no target" from a separate label (``nt_label``), not from the mask.
- ``score:T``: the existence score below T answers "no target" (R-RIS ``--use_exist`` with T = 0.5 empties
  the mask of every sentence scored below 0.5, positives included, and an empty mask stays empty whatever
  its score; under GRES the score is the no-target label itself, whatever the mask).

A sentence answered "no target" is scored by its protocol's ``no_target_scoring``: ``empty-mask`` makes its
mask empty (I = 0, predicted area 0, U = ground-truth area); ``gres-label`` keeps its union for a positive
(I = 0, U = |P u G|, as ReLA's ReferEvaluator does) and adds nothing to U for a negative.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import numpy as np

from ..errors import InputError
from .protocols import NT_GRES_LABEL, Protocol
from .stats import SentenceTable


@dataclass(frozen=True)
class NoTargetRule:
    """``kind`` is empty, null or score; ``threshold`` the score threshold of ``score``."""

    kind: str
    threshold: Optional[float] = None

    def __str__(self) -> str:
        return f"score:{self.threshold:g}" if self.kind == "score" else self.kind


def parse_rule(text: str) -> NoTargetRule:
    """``"empty"``, ``"null"`` or ``"score:T"`` (0 <= T <= 1) -> the rule; InputError otherwise."""
    text = str(text).strip()
    if text in ("empty", "null"):
        return NoTargetRule(text)
    if text.startswith("score:"):
        try:
            threshold = float(text[6:])
        except ValueError:
            threshold = float("nan")
        if 0.0 <= threshold <= 1.0:
            return NoTargetRule("score", threshold)
    raise InputError(f"expected empty, null or score:T with T in [0, 1], not {text!r}", field="--no-target-rule")


def answered_none(rule: NoTargetRule, area: np.ndarray, null: np.ndarray, score: Optional[np.ndarray]
                  ) -> np.ndarray:
    """Per row: does the prediction answer "no target" under ``rule``? ``area`` at the scoring resolution,
    ``null`` whether the segmentation was null (or missing), ``score`` the existence scores (None if absent;
    InputError for a score rule)."""
    if rule.kind == "empty":
        return area == 0
    if rule.kind == "null":
        return null.copy()
    if score is None:
        raise InputError(f"--no-target-rule {rule} needs existence scores, and the predictions have none",
                         field="--no-target-rule")
    return score < rule.threshold


def apply_rule(table: SentenceTable, rule: NoTargetRule, null: np.ndarray, protocol: Protocol) -> SentenceTable:
    """``table`` with ``none`` set by ``rule`` and I, U, A rescored per the protocol's no-target scoring."""
    none = answered_none(rule, table.A, null, table.score)
    if rule.kind == "score" and protocol.no_target_scoring != NT_GRES_LABEL:
        none |= table.A == 0  # a low score empties the mask; an empty mask is empty whatever its score
    pos = table.exists
    inter = np.where(none, 0, table.I)
    if protocol.no_target_scoring == NT_GRES_LABEL:
        union = np.where(pos, table.U, np.where(none, 0, table.A))
        area = np.where(none & ~pos, 0, table.A)
    else:
        area = np.where(none, 0, table.A)
        union = np.where(pos, np.where(none, table.G, table.U), area)
    return replace(table, I=inter, U=union, A=area, none=none)
