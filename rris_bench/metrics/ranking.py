"""Existence-score metrics: ROC AUC (ties count 1/2), average precision, and a compact ROC curve."""
from __future__ import annotations

from typing import Dict, List

import numpy as np


def _by_threshold(labels: np.ndarray, scores: np.ndarray):
    """Cumulative true and false positives at each distinct score, highest first."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # last index of each tie group
    tps = np.cumsum(y)[last]
    fps = (last + 1) - tps
    return tps, fps


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """P(score of a random positive > that of a random negative) + P(tie) / 2."""
    tps, fps = _by_threshold(labels, scores)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Sum over distinct thresholds of (recall gain) x (precision), as scikit-learn defines it."""
    tps, fps = _by_threshold(labels, scores)
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def roc_curve(labels: np.ndarray, scores: np.ndarray, max_points: int = 200) -> Dict[str, List[float]]:
    """ROC points (fpr, tpr) from (0, 0) to (1, 1), thinned to at most ``max_points``, 6 decimals."""
    tps, fps = _by_threshold(labels, scores)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    if len(fpr) > max_points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, max_points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return {"fpr": [round(float(v), 6) for v in fpr], "tpr": [round(float(v), 6) for v in tpr]}
