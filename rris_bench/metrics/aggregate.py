"""From per-sentence statistics to metric values, through per-ref sufficient statistics.

Every metric id except AUROC and AP is a ratio of two sums over refs of per-ref columns (a ref-level mean
such as mRR is the sum of the per-ref values over the count of refs that have one). So the point estimate
is ``ones @ columns`` and a bootstrap resample is ``counts @ columns``: the same code, and cheap.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from .definitions import PRECISION_THRESHOLDS
from .ranking import average_precision, roc_auc
from .stats import SentenceTable

# metric id -> (numerator column, denominator column) of ``ref_columns``
RATIOS: Dict[str, Tuple[str, str]] = {
    "mIoU": ("sum_iou", "n_pos"),
    "mIoU_ref": ("ref_miou", "has_pos"),
    "oIoU": ("sum_I", "sum_U"),
    **{f"P@{t:.1f}": (f"hits@{t:.1f}", "n_pos") for t in PRECISION_THRESHOLDS},
    "mRR": ("ref_rr", "has_neg"),
    "rIoU": ("ref_riou", "has_pos"),
    "gIoU": ("sum_giou", "n_all"),
    "cIoU_all": ("sum_I", "sum_U_all"),
    "N-acc": ("n_neg_empty", "n_neg"),
    "T-acc": ("n_pos_nonempty", "n_pos"),
}


def sentence_iou(table: SentenceTable) -> np.ndarray:
    """I/U per sentence, 0 where U = 0 (a positive with empty ground truth and empty prediction)."""
    return np.divide(table.I, table.U, out=np.zeros(len(table), dtype=np.float64), where=table.U > 0)


def ref_columns(table: SentenceTable) -> Dict[str, np.ndarray]:
    """Per-ref sufficient statistics (one entry per ref of ``table.ref_ids``)."""
    n_refs = len(table.ref_ids)
    pos, neg = table.exists, ~table.exists
    iou = np.where(pos, sentence_iou(table), 0.0)
    empty = table.A == 0

    def per_ref(values: np.ndarray) -> np.ndarray:
        return np.bincount(table.ref, weights=np.asarray(values, dtype=np.float64), minlength=n_refs)

    col = {
        "n_pos": per_ref(pos), "n_neg": per_ref(neg), "sum_iou": per_ref(iou),
        "sum_I": per_ref(np.where(pos, table.I, 0)), "sum_U": per_ref(np.where(pos, table.U, 0)),
        "sum_A_neg": per_ref(np.where(neg, table.A, 0)),
        "n_neg_empty": per_ref(neg & empty), "n_pos_nonempty": per_ref(pos & ~empty),
        **{f"hits@{t:.1f}": per_ref(pos & (iou >= t)) for t in PRECISION_THRESHOLDS},
    }
    col["n_all"] = col["n_pos"] + col["n_neg"]
    col["sum_U_all"] = col["sum_U"] + col["sum_A_neg"]
    col["sum_giou"] = col["sum_iou"] + col["n_neg_empty"]
    col["has_pos"] = (col["n_pos"] > 0).astype(np.float64)
    col["has_neg"] = (col["n_neg"] > 0).astype(np.float64)
    col["ref_miou"] = _safe_ratio(col["sum_iou"], col["n_pos"])
    col["ref_rr"] = _safe_ratio(col["n_neg_empty"], col["n_neg"])
    col["ref_riou"] = np.where(col["has_pos"] > 0, _safe_ratio(col["sum_I"], col["sum_U_all"]), 0.0)
    return col


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)


def ratio_metrics(columns: Dict[str, np.ndarray], weights: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Metric values (percent) for ``weights`` (refs, or resamples x refs); NaN where not applicable."""
    out = {}
    for metric, (num, den) in RATIOS.items():
        n = columns[num] if weights is None else weights @ columns[num]
        d = columns[den] if weights is None else weights @ columns[den]
        if weights is None:
            n, d = n.sum(), d.sum()
        out[metric] = np.divide(100.0 * n, d, out=np.full(np.shape(d), np.nan), where=d > 0)
    return out


def metrics(table: SentenceTable) -> Dict[str, Optional[float]]:
    """All metric ids for the sentences of ``table``; None where not applicable."""
    values = {k: _clean(v) for k, v in ratio_metrics(ref_columns(table)).items()}
    has_both = table.exists.any() and (~table.exists).any()
    scores = table.score
    values["AUROC"] = _clean(100 * roc_auc(table.exists, scores)) if scores is not None and has_both else None
    values["AP"] = _clean(100 * average_precision(table.exists, scores)) if scores is not None and has_both else None
    return values


def _clean(value) -> Optional[float]:
    value = float(value)
    return None if np.isnan(value) else value


def counts(table: SentenceTable, missing_filled: int = 0) -> Dict[str, int]:
    refs = np.unique(table.ref)
    with_neg = np.unique(table.ref[~table.exists])
    return {"refs": int(len(refs)), "refs_with_negatives": int(len(with_neg)), "sentences": int(len(table)),
            "positives": int(table.exists.sum()), "negatives": int((~table.exists).sum()),
            "missing_filled": int(missing_filled)}
