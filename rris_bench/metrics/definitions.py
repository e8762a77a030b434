"""The metric ids: their order, one-line definitions (printed beside every number) and full explanations.

Per sentence s: I_s intersection, U_s union, A_s predicted area, all in pixels; a negative sentence (the
target does not exist) has I_s = 0 and U_s = A_s. "Predicted empty" means A_s = 0.
"""
from __future__ import annotations

from typing import Dict, Tuple

PRECISION_THRESHOLDS: Tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9)

DEFINITIONS: Dict[str, str] = {
    "mIoU": "mean over positive sentences of I/U",
    "mIoU_ref": "mean over refs of the mean I/U of the ref's positive sentences",
    "oIoU": "sum of I / sum of U over positive sentences (cIoU of RIS papers)",
    **{f"P@{t:.1f}": f"share of positive sentences with I/U >= {t:.1f}" for t in PRECISION_THRESHOLDS},
    "mRR": "mean over refs with negatives of the share of their negatives predicted empty",
    "rIoU": "mean over refs of sum I(pos) / (sum U(pos) + sum predicted area(neg))",
    "gIoU": "mean over all sentences of I/U, a negative scoring 1 if predicted empty else 0",
    "cIoU_all": "sum I / sum U over all sentences, a negative adding its predicted area to U",
    "N-acc": "share of negative sentences predicted empty",
    "T-acc": "share of positive sentences predicted non-empty",
    "AUROC": "area under the ROC curve of the existence score, positives vs negatives",
    "AP": "average precision of the existence score for finding positives",
}

METRIC_IDS: Tuple[str, ...] = tuple(DEFINITIONS)

EXPLANATIONS: Dict[str, str] = {
    "mIoU": "Per-sentence IoU I_s/U_s averaged over every positive sentence (LAVT, CRIS and most RIS code). "
            "A positive with U_s = 0 (empty ground truth and empty prediction) scores 0.",
    "mIoU_ref": "Per-sentence IoU averaged first within each ref's positive sentences, then over refs: the "
                "'mIoU' printed by the official R-RIS code (jianzongwu/robust-ref-seg, utils/validation.py).",
    "oIoU": "Cumulative IoU: total intersection over total union of the positive sentences. Called oIoU in "
            "R-RIS and LAVT, cIoU in GRES and CRIS. Negatives are not included (see cIoU_all).",
    **{f"P@{t:.1f}": f"Precision at IoU {t:.1f}: the share of positive sentences whose I_s/U_s is at least "
       f"{t:.1f}." for t in PRECISION_THRESHOLDS},
    "mRR": "Robustness r of the R-RIS paper: for each ref that has negative sentences, the share of them "
           "answered with an empty mask; averaged over those refs. Not applicable without negatives.",
    "rIoU": "Robust IoU of the R-RIS paper: per ref, the positives' total intersection over their total "
            "union plus the predicted area of every negative (an empty answer adds 0); averaged over refs.",
    "gIoU": "Generalised IoU of GRES: every sentence scores I_s/U_s, except a negative, which scores 1 when "
            "predicted empty and 0 otherwise; averaged over all sentences.",
    "cIoU_all": "Cumulative IoU of GRES over all sentences: sum of I over sum of U, where a negative has "
                "I = 0 and U = its predicted area.",
    "N-acc": "No-target accuracy of GRES: the share of negative sentences predicted empty. Not applicable "
             "without negatives.",
    "T-acc": "Target accuracy of GRES: the share of positive sentences predicted non-empty.",
    "AUROC": "Only when predictions carry a score: the probability that a random positive scores higher "
             "than a random negative (ties count 1/2). Not applicable without scores or without negatives.",
    "AP": "Only when predictions carry a score: average precision (sum over score thresholds of the recall "
          "gain times the precision) for retrieving positive sentences by score.",
}

# Ids reported only under the protocol profile that prints them (``metrics.protocols``): each reproduces what
# an official evaluator prints, where that differs from the ids above.
PROFILE_DEFINITIONS: Dict[str, str] = {
    **{f"P@{t:.1f}_cumsum": f"share of positive sentences whose ref's running sum of I/U reaches {t:.1f} "
       "(what the R-RIS code prints as P@X)" for t in PRECISION_THRESHOLDS},
    "N_acc": "share of negative sentences answered no-target, as a fraction; 0 without negatives (GRES code)",
    "T_acc": "share of positive sentences answered with a target, as a fraction; 0 without negatives (GRES code)",
    "exist_acc": "share of all sentences whose answer (target or no target) matches the annotation",
}

PROFILE_EXPLANATIONS: Dict[str, str] = {
    **{f"P@{t:.1f}_cumsum": "jianzongwu/robust-ref-seg utils/validation.py adds each positive's I/U to a running "
       "sum over the ref's positives and counts the sentence when that running sum (not its own IoU) reaches "
       f"{t:.1f}; divided by the number of positive sentences. Reported beside the correct P@{t:.1f}."
       for t in PRECISION_THRESHOLDS},
    "N_acc": "ReLA's ReferEvaluator: TP / (TP + FN) over no-target samples, a fraction in [0, 1]; printed as 0 "
             "(not n/a) when the split has no no-target sample. N-acc is the same share in percent.",
    "T_acc": "ReLA's ReferEvaluator: TN / (TN + FP) over targeted samples, a fraction; 0 when the split has no "
             "no-target sample, whatever the predictions. T-acc is the same share in percent.",
    "exist_acc": "SESAME's 'See Accuracy': over every query, positives and negatives, the share where the "
                 "prediction's object presence (non-empty answer) equals the annotation's.",
}


def definition(metric: str) -> str:
    """The one-line definition of any metric id (default or profile-only)."""
    return DEFINITIONS.get(metric) or PROFILE_DEFINITIONS[metric]
