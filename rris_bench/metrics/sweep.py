""""No target" without one magic threshold: the metrics as functions of the existence-score threshold.

``threshold_sweep`` applies ``--no-target-rule score:T`` for T on a grid (0, 0.01, ..., 1) and reports N-acc,
T-acc, gIoU and rIoU at each, the operating points where T-acc is still at least 95% and 99% (the highest
such T, found exactly from the sorted scores, and N-acc there), and the T that maximises gIoU: the threshold
``--threshold-from`` carries from a val record to test. Every row says the rule that made it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .aggregate import RATIOS, ratio_metrics, ref_columns
from .no_target import NoTargetRule, apply_rule
from .protocols import NT_GRES_LABEL, Protocol
from .stats import SentenceTable

GRID: Tuple[float, ...] = tuple(round(k / 100, 2) for k in range(101))
SWEPT = ("N-acc", "T-acc", "gIoU", "rIoU")
FIXED_T_ACC = (95.0, 99.0)
CRITERION = "gIoU"  # what --threshold-from maximises on val


def _at(table: SentenceTable, null: np.ndarray, protocol: Protocol, threshold: float) -> Dict[str, Optional[float]]:
    scored = apply_rule(table, NoTargetRule("score", threshold), null, protocol)
    with np.errstate(invalid="ignore"):
        values = ratio_metrics(ref_columns(scored, protocol.empty_union), ratios={m: RATIOS[m] for m in SWEPT})
    return {m: (None if np.isnan(v) else round(float(v), 6)) for m, v in values.items()}


def _threshold_for_t_acc(table: SentenceTable, protocol: Protocol, target: float) -> Optional[float]:
    """The highest T at which T-acc >= target percent: positives answer a target when score >= T (and, unless
    the protocol scores GRES labels, their mask is not empty)."""
    pos = table.exists
    can = pos if protocol.no_target_scoring == NT_GRES_LABEL else pos & (table.A > 0)
    n_pos = int(pos.sum())
    need = int(np.ceil(target / 100.0 * n_pos - 1e-9))
    scores = np.sort(table.score[can])[::-1]
    if n_pos == 0 or need > len(scores):
        return None
    return float(scores[need - 1]) if need > 0 else 1.0


def threshold_sweep(table: SentenceTable, null: np.ndarray, protocol: Protocol,
                    grid: Sequence[float] = GRID) -> Dict[str, Any]:
    """The sweep of ``table`` (statistics before any no-target rule; ``null`` per row). Raises InputError
    without scores."""
    if table.score is None:
        raise InputError("--threshold-sweep needs existence scores, and the predictions have none",
                         field="--threshold-sweep")
    rows = [{"threshold": t, "rule": f"score:{t:g}", **_at(table, null, protocol, t)} for t in grid]
    fixed = {}
    for target in FIXED_T_ACC:
        t = _threshold_for_t_acc(table, protocol, target)
        fixed[f"{target:g}"] = None if t is None else {"threshold": t, "rule": f"score:{t:g}",
                                                       **_at(table, null, protocol, t)}
    candidates = [r for r in rows if r[CRITERION] is not None]
    best = max(candidates, key=lambda r: (r[CRITERION], -r["threshold"])) if candidates else None
    return {"criterion": CRITERION, "rows": rows, "at_T-acc": fixed,
            "chosen": None if best is None else {"threshold": best["threshold"], CRITERION: best[CRITERION]}}


def threshold_from(path: Path) -> Tuple[str, str]:
    """(rule, source) from a result record made with ``--threshold-sweep``: its threshold that maximised
    gIoU. InputError naming the file and field when absent."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the result record ({exc})", path, field="--threshold-from") from None
    chosen = (record.get("threshold_sweep") or {}).get("chosen") if isinstance(record, dict) else None
    if not isinstance(chosen, dict) or not isinstance(chosen.get("threshold"), (int, float)):
        raise InputError("no threshold_sweep.chosen.threshold: make it with --threshold-sweep", path,
                         field="threshold_sweep.chosen")
    t = float(chosen["threshold"])
    split = record.get("split", "?")
    return f"score:{t:g}", f"--threshold-from {Path(path).name} (max {CRITERION} on {split}: T = {t:g})"


def sweep_rows(sweep: Dict[str, Any]) -> List[List[str]]:
    """Table rows: threshold, rule and each swept metric (every tenth grid point, the operating points and
    the chosen threshold)."""
    def fmt(v: Optional[float]) -> str:
        return "n/a" if v is None else f"{v:.2f}"
    out = [[f"{r['threshold']:.2f}", "", *(fmt(r[m]) for m in SWEPT)] for r in sweep["rows"]
           if round(r["threshold"] * 100) % 10 == 0]
    for target, point in sweep["at_T-acc"].items():
        if point is not None:
            out.append([f"{point['threshold']:.4f}", f"T-acc >= {target}%", *(fmt(point[m]) for m in SWEPT)])
    if sweep["chosen"] is not None:
        chosen = next(r for r in sweep["rows"] if r["threshold"] == sweep["chosen"]["threshold"])
        out.append([f"{chosen['threshold']:.2f}", f"max {sweep['criterion']}", *(fmt(chosen[m]) for m in SWEPT)])
    return out
