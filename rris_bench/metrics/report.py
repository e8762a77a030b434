"""A result record as text: an aligned table, markdown, CSV or JSON; every number beside its formula id
and one-line definition. Not-applicable values print as "n/a"."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Dict, List, Optional, Sequence

from .definitions import (DEFINITIONS, EXPLANATIONS, METRIC_IDS, PROFILE_DEFINITIONS, PROFILE_EXPLANATIONS,
                          definition)
from .protocols import explain_protocols
from .sweep import SWEPT, sweep_rows

FORMATS = ("table", "markdown", "csv", "json")


def _num(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _interval(record: Dict[str, Any], metric: str) -> str:
    ci = record.get("intervals", {}).get(metric)
    return "" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def _title(record: Dict[str, Any]) -> str:
    head = f"{record.get('model')} on {record.get('dataset')} ({record.get('split_by', '?')}) {record.get('split')}"
    if record.get("kind") == "reported":
        return f"{head}: reported in {record.get('source', 'an unnamed source')}"
    c = record["counts"]
    filled = f", {c['missing_filled']} missing predictions counted as empty" if c.get("missing_filled") else ""
    filled += f", {c['missing_skipped']} sentences without a prediction left out" if c.get("missing_skipped") else ""
    res = record.get("options", {}).get("resolution")
    at = f" at {res}x{res}" if res else " at original resolution"
    protocol = record.get("protocol", {})
    rule = f", protocol {protocol['name']}, no target = {protocol['no_target_rule']}" if protocol else ""
    return (f"{head}{at}{rule}: {c['refs']} refs, {c['positives']} positive and {c['negatives']} negative "
            f"sentences{filled}")


def _metric_ids(record: Dict[str, Any]) -> List[str]:
    """The record's metric ids in its order (a record's own set under a protocol profile)."""
    return list(record.get("metrics") or METRIC_IDS)


def _definition(record: Dict[str, Any], metric: str) -> str:
    return record.get("definitions", {}).get(metric) or definition(metric)


def _main_rows(record: Dict[str, Any]) -> List[List[str]]:
    rows = []
    printed = record.get("protocol", {}).get("printed_as", {})
    for metric in _metric_ids(record):
        row = [metric, _num(record["metrics"].get(metric))]
        if record.get("intervals"):
            row.append(_interval(record, metric))
        row.append(_definition(record, metric) + (f" [printed as {printed[metric]!r}]" if metric in printed else ""))
        rows.append(row)
    return rows


def _main_header(record: Dict[str, Any]) -> List[str]:
    ci = record.get("options", {}).get("ci")
    return ["metric", "value"] + ([f"{ci:.0%} CI"] if record.get("intervals") else []) + ["definition"]


def _breakdown_tables(record: Dict[str, Any]):
    for name, groups in record.get("breakdowns", {}).items():
        ids = _metric_ids(record)
        header = [name, "refs", "pos", "neg"] + ids
        rows = [[group, str(g["counts"]["refs"]), str(g["counts"]["positives"]), str(g["counts"]["negatives"])]
                + [_num(g["metrics"].get(m)) for m in ids] for group, g in groups.items()]
        yield name, header, rows


def _aligned(header: Sequence[str], rows: List[List[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _markdown(header: Sequence[str], rows: List[List[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def format_record(record: Dict[str, Any], fmt: str = "table") -> str:
    """The record as ``table`` (aligned text), ``markdown``, ``csv`` (long format) or ``json``."""
    if fmt == "json":
        return json.dumps(record, indent=1, allow_nan=False)
    if fmt == "csv":
        return _csv(record)
    render = _aligned if fmt == "table" else _markdown
    parts = [_title(record) if fmt == "table" else f"**{_title(record)}**", "",
             render(_main_header(record), _main_rows(record))]
    for name, header, rows in _breakdown_tables(record):
        parts += ["", f"by {name}:" if fmt == "table" else f"**by {name}**", "", render(header, rows)]
    if record.get("threshold_sweep"):
        parts += ["", "against the existence-score threshold (no target when score < T):" if fmt == "table"
                  else "**against the existence-score threshold**", "",
                  render(["T", "operating point", *SWEPT], sweep_rows(record["threshold_sweep"]))]
    if fmt == "table":
        parts += ["", "Definitions in full: rris-bench evaluate --explain"]
    return "\n".join(parts)


def _csv(record: Dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", "dataset", "split", "breakdown", "group", "metric", "value", "ci_low", "ci_high",
                     "definition"])
    base = [record["model"], record["dataset"], record["split"]]
    for metric in _metric_ids(record):
        ci = record.get("intervals", {}).get(metric) or ["", ""]
        writer.writerow(base + ["all", "all", metric, _csv_num(record["metrics"].get(metric)), *ci,
                                _definition(record, metric)])
    for name, groups in record.get("breakdowns", {}).items():
        for group, g in groups.items():
            for metric in _metric_ids(record):
                writer.writerow(base + [name, group, metric, _csv_num(g["metrics"].get(metric)), "", "",
                                        _definition(record, metric)])
    return out.getvalue().rstrip("\n")


def _csv_num(value: Optional[float]) -> str:
    return "n/a" if value is None else repr(round(value, 6))


def explain(protocol: Optional[str] = None) -> str:
    """Every metric id with its one-line formula and full explanation, then the protocol profiles: each one's
    rules and how it differs from ``default`` (only ``protocol``'s when given)."""
    lines = ["Per sentence s: I_s intersection, U_s union, A_s predicted area (pixels, original resolution",
             "unless --resolution); a negative sentence has I_s = 0 and U_s = A_s; 'empty' means A_s = 0.",
             "All values are percentages; n/a means not applicable (e.g. mRR without negatives).", ""]
    if protocol is None:
        for metric in METRIC_IDS:
            lines += [f"{metric}: {DEFINITIONS[metric]}", f"    {EXPLANATIONS[metric]}", ""]
        lines += ["Reported only under the profile whose official code prints them:", ""]
        for metric, text in PROFILE_DEFINITIONS.items():
            lines += [f"{metric}: {text}", f"    {PROFILE_EXPLANATIONS[metric]}", ""]
    lines += explain_protocols(protocol).splitlines()
    return "\n".join(lines).rstrip()
