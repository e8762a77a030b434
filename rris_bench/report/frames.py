"""A board's result records as a pandas DataFrame, and the leaderboard tables built from it.

``records_frame`` is the table a notebook wants (one row per record, one column per metric id);
``build_tables`` groups it into the leaderboard's tables (one per kind, dataset, split and protocol), ranks
the rows and marks the best value of every column. pandas is imported when a frame is made, not with
``rris_bench.report``, so the commands that only plot stay light.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from ..errors import InputError
from .labels import missing_count, model_label, resolution_of
from .records import FORMULAS, KINDS, Group, check_record, group_of, group_order, group_title, load_records, \
    record_filename

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_METRICS = ("rIoU", "mRR", "mIoU", "oIoU", "gIoU", "cIoU_all", "N-acc", "T-acc", "AUROC")
NOT_AVAILABLE = "–"  # shown for null (not applicable) and for metrics a record does not have
GROUP_COLUMNS = ["kind", "dataset", "split_by", "split", "protocol"]
RECORD_COLUMNS = [*GROUP_COLUMNS, "model", "label", "resolution", "missing_filled", "missing_skipped", "note",
                  "predictions_sha256", "dataset_sha256", "refs", "sentences", "positives", "negatives", "file"]
COUNTS = ("refs", "sentences", "positives", "negatives")


def records_frame(board: Union[str, Path, Sequence[Mapping]]) -> "pd.DataFrame":
    """The records of a board folder (or a list of records, each checked) as a DataFrame, one row per record
    in file-name order: ``kind``, ``dataset``, ``split_by`` and ``split`` ("" when unnamed), ``protocol`` (""
    for default), ``model``, ``label`` (the row name: model, rescaled resolution, missing predictions),
    ``resolution`` (pixels per side, or <NA>), ``missing_filled`` / ``missing_skipped`` (sentences),
    ``note`` (the predictions file, or the source of reported numbers and its no-target rule),
    ``predictions_sha256``, ``dataset_sha256``, the dataset sizes ``refs``, ``sentences``, ``positives``,
    ``negatives`` (<NA> when absent), ``file`` (the record's name on a board), then one float column per
    metric id in percent (NaN: not applicable or not reported), known ids in the engine's order, others after
    in alphabetical order. Raises InputError on a bad record."""
    import pandas as pd

    records = load_records(board) if isinstance(board, (str, Path)) else [check_record(dict(r)) for r in board]
    metric_ids = _metric_ids(records)
    clash = sorted(set(metric_ids) & set(RECORD_COLUMNS))
    if clash:
        raise InputError(f"metric id {clash[0]!r} is also a column of the records table: rename the metric")
    rows = [_row(record, metric_ids) for record in sorted(records, key=record_filename)]
    frame = pd.DataFrame(rows, columns=[*RECORD_COLUMNS, *metric_ids])
    integer = ["resolution", *COUNTS]
    return frame.astype({**{c: "Int64" for c in integer}, **{m: "float64" for m in metric_ids},
                         "missing_filled": "int64", "missing_skipped": "int64"})


def _metric_ids(records: Sequence[Mapping]) -> List[str]:
    seen = set().union(*(r["metrics"] for r in records)) if records else set()
    return [m for m in FORMULAS if m in seen] + sorted(seen - set(FORMULAS))


def _row(record: Mapping, metric_ids: Sequence[str]) -> list:
    kind = record["kind"]
    note = record["predictions_file"] if kind == "measured" else record["source"]
    rule = (record.get("protocol") or {}).get("decision_rule") if kind == "reported" else None
    counts = record.get("counts") or {}
    return [kind, *group_of(record), record["model"], model_label(record), resolution_of(record),
            missing_count(record), missing_count(record, "skipped"), f"{note}; no target: {rule}" if rule else note,
            str(record.get("predictions_sha256", "")), str(record.get("dataset_sha256", "")),
            *(counts.get(k) if isinstance(counts.get(k), int) and not isinstance(counts.get(k), bool) else None
              for k in COUNTS),
            record_filename(record),
            *(np.nan if record["metrics"].get(m) is None else float(record["metrics"][m]) for m in metric_ids)]


# ---------------------------------------------------------------------------------------------- tables

@dataclass
class Row:
    model: str
    cells: List[str]               # formatted metric values, NOT_AVAILABLE where missing
    values: List[Optional[float]]  # the values as displayed (rounded), for ranking and sorting
    best: List[bool]
    note: str                      # measured: the predictions file name; reported: the source
    digest: str = ""               # measured: the predictions file's sha256
    missing: int = 0               # sentences without a prediction (scored as empty, or left out)


@dataclass
class Table:
    kind: str
    group: Group
    columns: List[str]
    rows: List[Row] = field(default_factory=list)
    dataset_sha256: str = ""
    counts: Dict[str, int] = field(default_factory=dict)

    def version_line(self, code: str = "{}") -> str:
        """The dataset version and size the numbers were computed on; ``code`` formats the hash."""
        sizes = ", ".join(f"{self.counts[k]} {k}" for k in COUNTS if k in self.counts)
        digest = code.format(self.dataset_sha256[:12])
        return f"Dataset version: sha256 {digest}" + (f"; {sizes}." if sizes else ".")

    @property
    def title(self) -> str:
        return group_title(self.group)

    @property
    def incomplete(self) -> bool:
        """Whether a row was scored with missing predictions (empty or left out; its name says how many)."""
        return any(row.missing for row in self.rows)


def resolve_metrics(frame: "pd.DataFrame", metrics: Optional[Union[str, Sequence[str]]] = None) -> List[str]:
    """The metric ids to show: the given ones (each must be known: a formula id or a metric of the frame),
    or the defaults."""
    if metrics is None:
        return list(DEFAULT_METRICS)
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    known = set(FORMULAS) | set(frame.columns[len(RECORD_COLUMNS):])
    chosen = [m.strip() for m in metrics if m.strip()]
    unknown = [m for m in chosen if m not in known]
    if unknown or not chosen:
        raise InputError(f"unknown metric id(s) {', '.join(unknown) or '(none given)'}; "
                         f"known: {', '.join(sorted(known))}", field="--metrics")
    return list(dict.fromkeys(chosen))


def _format(value: float, kind: str) -> str:
    if np.isnan(value):
        return NOT_AVAILABLE
    # measured: two decimals; reported: the number exactly as published (no invented digits)
    return f"{value:.2f}" if kind == "measured" else f"{value:g}"


def build_tables(frame: "pd.DataFrame", metrics: Optional[Union[str, Sequence[str]]] = None) -> List[Table]:
    """One table per kind, dataset, split and protocol of ``frame`` (``records_frame``): models as rows,
    ranked by the first column as displayed (best first, rows without it last, ties by name), the best value
    of each column marked where two rows or more have one. Columns no row of the table has a value for are
    left out (e.g. AUROC without scores)."""
    import pandas as pd

    chosen = resolve_metrics(frame, metrics)
    tables = []
    groups = sorted(frame.groupby(GROUP_COLUMNS, sort=False),
                    key=lambda item: (KINDS.index(item[0][0]), group_order(item[0][1:])))
    for (kind, *group), members in groups:
        columns = [m for m in chosen if m in members.columns and members[m].notna().any()]
        cells = members[columns].map(lambda v: _format(v, kind))
        shown = cells.map(lambda c: np.nan if c == NOT_AVAILABLE else float(c))  # ranked as displayed
        order = pd.DataFrame({"first": shown[columns[0]] if columns else np.nan, "label": members["label"]})
        order = order.sort_values(["first", "label"], ascending=[False, True], na_position="last", kind="stable")
        shown, cells, members = shown.loc[order.index], cells.loc[order.index], members.loc[order.index]
        best = shown.eq(shown.max()) & (shown.count() >= 2)
        first = members.sort_values("file").iloc[0]
        table = Table(kind, tuple(group), columns, dataset_sha256=first["dataset_sha256"],
                      counts={k: int(first[k]) for k in COUNTS if not pd.isna(first[k])})
        for i in members.index:
            record = members.loc[i]
            table.rows.append(Row(record["label"], list(cells.loc[i]),
                                  [None if pd.isna(v) else float(v) for v in shown.loc[i]], list(best.loc[i]),
                                  record["note"], record["predictions_sha256"],
                                  int(record["missing_filled"] + record["missing_skipped"])))
        tables.append(table)
    return tables
