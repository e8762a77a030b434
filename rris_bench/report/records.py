"""The result record contract (``rris-result/1``): check and load records, file them on a board, and the
group (dataset, split_by, split, protocol) and file name of each. Measured numbers (scored here from a
predictions file) and reported ones (copied from a paper) are told apart by ``kind``."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ..errors import InputError
from ..files import write_text
from .labels import resolution_of

SCHEMA = "rris-result/1"
KINDS = ("measured", "reported")

# Formula id -> what it computes (the metrics engine's definitions; shown under every board).
FORMULAS: Dict[str, str] = {
    "mIoU": "mean over positive sentences of I/U (LAVT convention)",
    "mIoU_ref": "mean over refs of the mean I/U of the ref's positives (official R-RIS code)",
    "oIoU": "sum of I / sum of U over positive sentences (the cIoU of RIS papers)",
    **{f"P@{t}": f"share of positive sentences with I/U >= {t}" for t in ("0.5", "0.6", "0.7", "0.8", "0.9")},
    "mRR": "mean over refs with negatives of the share of their negatives predicted empty",
    "rIoU": "mean over refs of sum_pos I / (sum_pos U + predicted area of non-empty negatives) (official R-RIS code)",
    "gIoU": "mean over all sentences of IoU, a negative scoring 1 if predicted empty, else 0 (GRES)",
    "cIoU_all": "sum of I / sum of U over all sentences, negatives adding their predicted area to U (GRES)",
    "N-acc": "share of negative sentences predicted empty",
    "T-acc": "share of positive sentences predicted non-empty",
    "AUROC": "area under the ROC curve of the existence score, positives against negatives",
    "AP": "average precision of the existence score, positives against negatives",
}
SPLIT_ORDER = ("val", "test", "testA", "testB", "train")  # the order RIS papers list splits in

Record = Dict[str, object]
Group = Tuple[str, str, str, str]  # (dataset, split_by or "", split, protocol or "" for default)


# --------------------------------------------------------------------------------------------- records

def record_label(record: Mapping) -> str:
    """Short name of a record for messages: model/dataset/split."""
    return "/".join(str(record.get(k, "?")) for k in ("model", "dataset", "split"))


def protocol_of(record: Mapping) -> str:
    """The protocol a record's numbers were made under: its profile name (``default`` when the record
    predates profiles), plus the resolution when a reported record was scored at another one than its
    profile's (e.g. ``gres @512x512``). Records of different protocols never share a table."""
    protocol = record.get("protocol")
    if not isinstance(protocol, Mapping):
        return "default"
    name = str(protocol.get("name") or "default")
    side = protocol.get("side")
    if record.get("kind") == "reported" and isinstance(side, int) and name != "default" and side != 480:
        return f"{name} @{side}x{side}"
    return name


def group_of(record: Mapping) -> Group:
    protocol = protocol_of(record)
    return (str(record["dataset"]), str(record.get("split_by") or ""), str(record["split"]),
            "" if protocol == "default" else protocol)


def group_order(group: Group) -> Tuple[str, str, int, str, str]:
    """Sort key of a dataset+split+protocol: by dataset, then splits in the papers' order (val, test, testA,
    testB), then protocol."""
    dataset, split_by, split, protocol = group
    rank = SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER)
    return dataset, split_by, rank, split, protocol


def group_title(group: Group) -> str:
    *parts, protocol = group
    return " · ".join([p for p in parts if p] + ([f"protocol {protocol}"] if protocol else []))


def group_slug(group: Group) -> str:
    return _slug("-".join(part for part in group if part))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9+@._-]", "_", text)


def record_filename(record: Mapping) -> str:
    """Deterministic file name of a record on a board: one file per (kind, model, resolution, dataset, split)."""
    dataset, split_by, split, protocol = group_of(record)
    res = resolution_of(record)
    parts = [record["kind"], record["model"] + (f"@{res}" if res else ""), protocol, dataset, split_by, split]
    return _slug("--".join(str(p) for p in parts if p)) + ".json"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_record(record: object, path: Union[str, Path, None] = None) -> Record:
    """Validate one result record against the contract; raise InputError naming the file, record and field."""
    if not isinstance(record, dict):
        raise InputError("a result record must be a JSON object", path)
    label = record_label(record)

    def need(ok: bool, fld: str, message: str) -> None:
        if not ok:
            raise InputError(message, path, label, fld)

    need(record.get("schema") == SCHEMA, "schema", f"expected {SCHEMA!r}, got {record.get('schema')!r}")
    need(record.get("kind") in KINDS, "kind", f"must be one of {', '.join(KINDS)}, got {record.get('kind')!r}")
    for key in ("model", "dataset", "split"):
        need(isinstance(record.get(key), str) and bool(record.get(key)), key, "must be a non-empty string")
    need(record.get("split_by") is None or isinstance(record.get("split_by"), str), "split_by",
         "must be a string or null")
    if record["kind"] == "measured":
        for key in ("dataset_sha256", "predictions_sha256", "predictions_file"):
            need(isinstance(record.get(key), str) and bool(record.get(key)), key,
                 "a measured record must name its dataset and predictions (non-empty string)")
    else:
        need(isinstance(record.get("source"), str) and bool(record.get("source")), "source",
             "a reported record must name its source (paper, table or figure)")
    protocol = record.get("protocol")
    need(protocol is None or (isinstance(protocol, dict) and isinstance(protocol.get("name"), str)
                              and bool(protocol["name"])), "protocol",
         "must be an object naming the profile (protocol.name), its resolution and decision rule")
    metrics = record.get("metrics")
    need(isinstance(metrics, dict) and bool(metrics), "metrics", "must be a non-empty object")
    for name, value in metrics.items():
        need(value is None or (_is_number(value) and 0 <= value <= 100), f"metrics.{name}",
             f"must be a percentage in [0, 100] or null, got {value!r}")
    for key in ("breakdowns", "curves", "counts", "options"):
        need(isinstance(record.get(key, {}), dict), key, "must be an object")
    roc = record.get("curves", {}).get("roc")
    if roc is not None:
        fpr, tpr = (roc.get("fpr"), roc.get("tpr")) if isinstance(roc, dict) else (None, None)
        need(isinstance(fpr, list) and isinstance(tpr, list) and len(fpr) == len(tpr) >= 2
             and all(_is_number(v) and 0 <= v <= 1 for v in fpr + tpr), "curves.roc",
             "must hold lists fpr and tpr of equal length (>= 2) with values in [0, 1]")
    strategies = record.get("breakdowns", {}).get("strategy", {})
    need(isinstance(strategies, dict) and all(isinstance(v, dict) and isinstance(v.get("metrics", {}), dict)
                                              for v in strategies.values()),
         "breakdowns.strategy", "must map each strategy to an object with a metrics object")
    return record


def load_record(path: Union[str, Path]) -> Record:
    """Read and validate one record file."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON result record ({exc})", path) from None
    return check_record(record, path)


def load_records(board: Union[str, Path]) -> List[Record]:
    """Read every record (``*.json``) of a board folder, refusing two records for the same result."""
    board = Path(board)
    if not board.is_dir():
        raise InputError("not a folder of result records", board)
    records: List[Record] = []
    seen: Dict[str, Path] = {}
    for path in sorted(board.glob("*.json")):
        record = load_record(path)
        name = record_filename(record)
        if name in seen:
            raise InputError(f"same result as {seen[name].name} (one record per kind, model, dataset and split)",
                             path, record_label(record))
        seen[name] = path
        records.append(record)
    return records


def version_conflict(records: Iterable[Mapping]) -> Optional[Tuple[Mapping, Mapping]]:
    """The first (record, earlier record) pair of one dataset+split scored against different dataset
    versions, or None."""
    versions: Dict[Group, Mapping] = {}
    for record in records:
        if record["kind"] != "measured":
            continue
        first = versions.setdefault(group_of(record), record)
        if first["dataset_sha256"] != record["dataset_sha256"]:
            return record, first
    return None


def _version_message(record: Mapping, first: Mapping) -> str:
    return (f"dataset_sha256 {str(record['dataset_sha256'])[:12]} differs from {str(first['dataset_sha256'])[:12]} "
            f"of {record_label(first)}: a board holds one version of {group_title(group_of(record))}")


def check_versions(records: Iterable[Mapping]) -> None:
    """Refuse measured records of one dataset+split scored against different dataset versions."""
    conflict = version_conflict(records)
    if conflict is not None:
        raise InputError(_version_message(*conflict), None, record_label(conflict[0]), "dataset_sha256")


def dump_record(record: Mapping) -> str:
    """Canonical text of a record: sorted keys, so the same result always gives the same bytes."""
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def add_record(record: Union[Mapping, str, Path], board: Union[str, Path]) -> Path:
    """File a record on a board (replacing the same result), refusing a different dataset version."""
    source = record if isinstance(record, (str, Path)) else None
    record = load_record(record) if source is not None else check_record(dict(record))
    board = Path(board)
    existing = load_records(board) if board.is_dir() else []
    name = record_filename(record)
    conflict = version_conflict([r for r in existing if record_filename(r) != name] + [record])
    if conflict is not None:
        raise InputError(f"{_version_message(*conflict)}; evaluate against the board's version or use another "
                         "board", source, record_label(record), "dataset_sha256")
    path = board / name
    write_text(path, dump_record(record))
    return path
