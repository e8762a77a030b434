"""The per-sentence table as a pandas DataFrame, and the ``--per-sample`` file written from it (JSON Lines,
CSV or Parquet, by the file's extension).

One row per scored sentence, in dataset order, columns in this order: ``sent_id``, ``ref_id``, ``exists``
(positive sentence), ``I`` and ``U`` (pixels of intersection and union with the ground truth), ``pred_area``
and ``gt_area`` (pixels), ``iou`` (I / U, 0 when U = 0, rounded to 9 decimals), ``no_target`` (the prediction
answered "no target" under the no-target rule), ``score`` (the existence score, only when the predictions
carry scores), then one column per breakdown of ``stats.BREAKDOWNS`` (split, strategy, verified, category,
supercategory, length). Areas are at the scoring resolution (``--resolution`` or the protocol's).

pandas is imported when a table is made, not with ``rris_bench.metrics``: scoring without it stays light.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List

from ..errors import InputError
from ..files import PathLike, atomic_path, write_text
from .aggregate import sentence_iou
from .stats import SentenceTable

if TYPE_CHECKING:
    import pandas as pd

PER_SAMPLE_SUFFIXES = (".jsonl", ".csv", ".parquet")
IOU_DECIMALS = 9


def check_per_sample_path(path: PathLike) -> None:
    """At the door: ``path`` ends in .jsonl, .csv or .parquet, and pyarrow is importable for .parquet.
    InputError naming ``--per-sample`` otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in PER_SAMPLE_SUFFIXES:
        raise InputError(f"cannot tell the format from {suffix or 'no extension'!r}: end the file name in "
                         f"{', '.join(PER_SAMPLE_SUFFIXES)}", path, field="--per-sample")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401  (pandas writes Parquet through it)
        except ImportError:
            raise InputError("writing Parquet needs pyarrow, which is not installed: pip install pyarrow "
                             "(or rris-bench[parquet]), or write .csv or .jsonl", path,
                             field="--per-sample") from None


def sentence_frame(table: SentenceTable) -> "pd.DataFrame":
    """``table`` (after the no-target rule) as the per-sentence DataFrame described in the module docstring."""
    import pandas as pd

    columns: Dict[str, object] = {
        "sent_id": table.sent_id.astype("int64"),
        "ref_id": [int(table.ref_ids[r]) for r in table.ref],
        "exists": table.exists.astype(bool),
        "I": table.I.astype("int64"), "U": table.U.astype("int64"),
        "pred_area": table.A.astype("int64"), "gt_area": table.G.astype("int64"),
        "iou": [round(float(v), IOU_DECIMALS) for v in sentence_iou(table)],
        "no_target": table.answered_none.astype(bool),
    }
    if table.score is not None:
        columns["score"] = table.score.astype("float64")
    for name, labels in table.labels.items():
        columns[name] = [str(v) for v in labels]
    return pd.DataFrame(columns)


def write_per_sample(table: SentenceTable, path: PathLike) -> None:
    """Write the per-sentence table to ``path`` in the format its extension names (``check_per_sample_path``):
    JSON Lines (one compact object per sentence, keys in column order), CSV (a header row, ``\\n`` line ends)
    or Parquet (pyarrow, no index). Whole or absent (``files.atomic_path``)."""
    check_per_sample_path(path)
    frame = sentence_frame(table)
    suffix = Path(path).suffix.lower()
    if suffix == ".jsonl":
        write_text(path, "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in records(frame)))
    elif suffix == ".csv":
        write_text(path, frame.to_csv(index=False, lineterminator="\n"))
    else:
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, engine="pyarrow", index=False)


def records(frame: "pd.DataFrame") -> List[Dict[str, object]]:
    """The rows of ``frame`` as dicts of plain Python values (int, float, bool, str), columns in order."""
    names = list(frame.columns)
    return [dict(zip(names, (value.item() if hasattr(value, "item") else value for value in row)))
            for row in frame.itertuples(index=False, name=None)]
