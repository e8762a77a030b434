"""Percentile bootstrap intervals over refs, from per-ref sufficient statistics.

A resample draws refs with replacement; every ratio metric of a resample is ``counts @ columns``, so 1,000
resamples of a 10,000-ref split cost a few matrix products. AUROC and AP need the sentences themselves and
get no interval.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from .aggregate import ratio_metrics, ratios_of, ref_columns
from .protocols import Protocol
from .stats import SentenceTable

_BATCH = 100  # resamples per matrix product (bounds memory: batch x refs floats)


def intervals(table: SentenceTable, confidence: float, resamples: int = 1000, seed: int = 0,
              protocol: Optional[Protocol] = None) -> Dict[str, Optional[List[float]]]:
    """metric id -> [low, high] percent at ``confidence`` (e.g. 0.95) for the ratio ids of ``protocol``'s
    metric set (default: every ratio id); None where not applicable."""
    present = np.unique(table.ref)
    ratios = ratios_of(protocol)
    empty_union = "zero" if protocol is None else protocol.empty_union
    columns = {k: v[present] for k, v in ref_columns(table, empty_union).items()}
    n = len(present)
    rng = np.random.default_rng(seed)
    draws: Dict[str, List[np.ndarray]] = {m: [] for m in ratios}
    for start in range(0, resamples, _BATCH):
        size = min(_BATCH, resamples - start)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(np.float64) if n else np.zeros((size, 0))
        with np.errstate(invalid="ignore"):
            resampled = ratio_metrics(columns, weights, ratios)
        for metric, values in resampled.items():
            draws[metric].append(values)
    tail = (1.0 - confidence) / 2.0 * 100.0
    out: Dict[str, Optional[List[float]]] = {}
    for metric, parts in draws.items():
        values = np.concatenate(parts) if parts else np.zeros(0)
        values = values[~np.isnan(values)]
        if len(values) == 0:
            out[metric] = None
            continue
        low, high = np.percentile(values, [tail, 100.0 - tail])
        out[metric] = [round(float(low), 6), round(float(high), 6)]
    return out
