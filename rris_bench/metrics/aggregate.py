"""From per-sentence statistics to metric values, through per-ref sufficient statistics.

Every metric id except AUROC and AP is a ratio of two sums over refs of per-ref columns (a ref-level mean
such as mRR is the sum of the per-ref values over the count of refs that have one). So the point estimate
is ``ones @ columns`` and a bootstrap resample is ``counts @ columns``: the same code, and cheap.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from .definitions import METRIC_IDS, PRECISION_THRESHOLDS
from .protocols import Protocol
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

# ratio ids reported only under the profiles that print them (``definitions.PROFILE_DEFINITIONS``)
PROFILE_RATIOS: Dict[str, Tuple[str, str]] = {
    **{f"P@{t:.1f}_cumsum": (f"cumhits@{t:.1f}", "n_pos") for t in PRECISION_THRESHOLDS},
    "exist_acc": ("n_correct", "n_all"),
}


def ratios_of(protocol: Optional[Protocol]) -> Dict[str, Tuple[str, str]]:
    """The ratio ids (numerator, denominator columns) of ``protocol``'s metric set; all of RATIOS for None."""
    if protocol is None:
        return RATIOS
    return {m: RATIOS.get(m) or PROFILE_RATIOS[m] for m in protocol.metrics if m in RATIOS or m in PROFILE_RATIOS}


def sentence_iou(table: SentenceTable) -> np.ndarray:
    """I/U per sentence, 0 where U = 0 (a positive with empty ground truth and empty prediction)."""
    return np.divide(table.I, table.U, out=np.zeros(len(table), dtype=np.float64), where=table.U > 0)


def ref_columns(table: SentenceTable, empty_union: str = "zero") -> Dict[str, np.ndarray]:
    """Per-ref sufficient statistics (one entry per ref of ``table.ref_ids``).

    ``empty_union="nan"`` reproduces the official R-RIS code's divisions: a positive with U = 0 has IoU NaN,
    and a ref without positives (mIoU_ref), without negatives (mRR) or with nothing in its union (rIoU) is NaN
    and still averaged, so one such ref makes the metric not applicable."""
    n_refs = len(table.ref_ids)
    pos, neg = table.exists, ~table.exists
    iou = np.where(pos, sentence_iou(table), 0.0)
    if empty_union == "nan":
        iou[pos & (table.U == 0)] = np.nan
    empty = table.answered_none

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
    col["n_correct"] = col["n_neg_empty"] + col["n_pos_nonempty"]
    running = _running_sum_by_ref(table.ref, iou)
    for t in PRECISION_THRESHOLDS:
        col[f"cumhits@{t:.1f}"] = per_ref(pos & (running >= t))
    if empty_union == "nan":
        present = (col["n_all"] > 0).astype(np.float64)
        col["has_pos"], col["has_neg"] = present, present.copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            col["ref_miou"] = np.where(present > 0, col["sum_iou"] / col["n_pos"], 0.0)
            col["ref_rr"] = np.where(present > 0, col["n_neg_empty"] / col["n_neg"], 0.0)
            col["ref_riou"] = np.where(present > 0, col["sum_I"] / col["sum_U_all"], 0.0)
    return col


def _running_sum_by_ref(ref: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row: the sum of ``values`` over the rows of its ref up to and including it (rows in order); NaN
    from a ref's first NaN on."""
    if len(ref) == 0:
        return np.zeros(0)
    order = np.argsort(ref, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(ref[order]) != 0])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(ref)]))

    def within_ref(v: np.ndarray) -> np.ndarray:
        total = np.cumsum(v)
        return total - np.r_[0.0, total][starts][group]

    ordered = values[order]
    running = within_ref(np.nan_to_num(ordered, nan=0.0))
    running[within_ref(np.isnan(ordered).astype(np.float64)) > 0] = np.nan
    out = np.empty_like(running)
    out[order] = running
    return out


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)


def ratio_metrics(columns: Dict[str, np.ndarray], weights: Optional[np.ndarray] = None,
                  ratios: Optional[Dict[str, Tuple[str, str]]] = None) -> Dict[str, np.ndarray]:
    """Metric values (percent) for ``weights`` (refs, or resamples x refs); NaN where not applicable.
    ``ratios``: the ids to compute (default ``RATIOS``)."""
    out = {}
    for metric, (num, den) in (RATIOS if ratios is None else ratios).items():
        n = columns[num] if weights is None else weights @ columns[num]
        d = columns[den] if weights is None else weights @ columns[den]
        if weights is None:
            n, d = n.sum(), d.sum()
        out[metric] = np.divide(100.0 * n, d, out=np.full(np.shape(d), np.nan), where=d > 0)
    return out


def metrics(table: SentenceTable, protocol: Optional[Protocol] = None) -> Dict[str, Optional[float]]:
    """The metric ids of ``protocol`` (default: every id of ``METRIC_IDS``) for the sentences of ``table``, in
    the protocol's order; None where not applicable."""
    wanted = METRIC_IDS if protocol is None else protocol.metrics
    empty_union = "zero" if protocol is None else protocol.empty_union
    columns = ref_columns(table, empty_union)
    with np.errstate(invalid="ignore"):
        values = {k: _clean(v) for k, v in ratio_metrics(columns, ratios=ratios_of(protocol)).items()}
    has_both = table.exists.any() and (~table.exists).any()
    scores = table.score
    if "AUROC" in wanted:
        values["AUROC"] = _clean(100 * roc_auc(table.exists, scores)) if scores is not None and has_both else None
    if "AP" in wanted:
        values["AP"] = _clean(100 * average_precision(table.exists, scores)) if scores is not None and has_both \
            else None
    if "N_acc" in wanted or "T_acc" in wanted:  # GRES: fractions, both 0 without no-target samples
        n_neg, n_pos = columns["n_neg"].sum(), columns["n_pos"].sum()
        values["N_acc"] = float(columns["n_neg_empty"].sum() / n_neg) if n_neg else 0.0
        values["T_acc"] = float(columns["n_pos_nonempty"].sum() / n_pos) if n_neg and n_pos else 0.0
    return {m: values[m] for m in wanted}


def _clean(value) -> Optional[float]:
    value = float(value)
    return None if np.isnan(value) else value


def counts(table: SentenceTable, missing_filled: int = 0) -> Dict[str, int]:
    refs = np.unique(table.ref)
    with_neg = np.unique(table.ref[~table.exists])
    return {"refs": int(len(refs)), "refs_with_negatives": int(len(with_neg)), "sentences": int(len(table)),
            "positives": int(table.exists.sum()), "negatives": int((~table.exists).sum()),
            "missing_filled": int(missing_filled)}
