"""Metrics per group of sentences: per split, negative strategy, verified status, category, length."""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional

import numpy as np

from ..errors import InputError
from .aggregate import counts, metrics
from .protocols import Protocol
from .stats import BREAKDOWNS, SentenceTable


def parse_by(values: Iterable[str]) -> List[str]:
    """``["split,strategy", "length"]`` -> ["split", "strategy", "length"], checked, duplicates dropped."""
    out: List[str] = []
    for value in values:
        for name in (v.strip() for v in value.split(",")):
            if not name:
                continue
            if name not in BREAKDOWNS:
                raise InputError(f"unknown breakdown {name!r} (choose from {', '.join(BREAKDOWNS)})", field="--by")
            if name not in out:
                out.append(name)
    return out


def natural_key(group: Any) -> List[Any]:
    """Sort key that orders numbers by value: "1-3 words" < "4-6 words" < "11+ words"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(group))]


def breakdowns(table: SentenceTable, by: Iterable[str], protocol: Optional[Protocol] = None
               ) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """{breakdown: {group: {"counts": ..., "metrics": ...}}}, groups in natural order (numbers by value); ``protocol``'s metric set."""
    out: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for name in by:
        labels = table.labels[name]
        out[name] = {}
        for group in sorted(set(labels.tolist()), key=natural_key):
            part = table.subset(np.flatnonzero(labels == group))
            out[name][group] = {"counts": counts(part), "metrics": metrics(part, protocol)}
    return out
