"""Leaderboards: file result records on a board, check their dataset versions, render tables and a page.

A board is a folder of result records (one JSON per kind, model, dataset and split; see the record contract
`rris-result/1`). Measured numbers (scored here from a predictions file) and reported ones (copied from a
paper) never share a table: they are rendered in two separate, labelled sections.
"""
from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ..errors import InputError
from ..files import write_text
from .labels import missing_count, model_label, resolution_of

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
DEFAULT_METRICS: Tuple[str, ...] = ("rIoU", "mRR", "mIoU", "oIoU", "gIoU", "cIoU_all", "N-acc", "T-acc", "AUROC")
SPLIT_ORDER = ("val", "test", "testA", "testB", "train")  # the order RIS papers list splits in
NOT_AVAILABLE = "–"  # shown for null (not applicable) and for metrics a record does not have

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


MISSING_NOTE = ("[N missing, scored as empty]: evaluated with `--missing empty`; N sentences had no prediction "
                "and count as empty answers (right on every negative, wrong on every positive). [N missing, not "
                "scored]: evaluated with `--missing skip`; scored on the predicted sentences only. Neither row is "
                "comparable with complete ones.")


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
        sizes = ", ".join(f"{self.counts[k]} {k}" for k in ("refs", "sentences", "positives", "negatives")
                          if isinstance(self.counts.get(k), int))
        digest = code.format(self.dataset_sha256[:12])
        return f"Dataset version: sha256 {digest}" + (f"; {sizes}." if sizes else ".")

    @property
    def title(self) -> str:
        return group_title(self.group)

    @property
    def incomplete(self) -> bool:
        """Whether a row was scored with missing predictions (empty or left out; its name says how many)."""
        return any(row.missing for row in self.rows)


def resolve_metrics(records: Sequence[Mapping], metrics: Optional[Sequence[str]] = None) -> List[str]:
    """The metric ids to show: the given ones (each must be known), or the defaults."""
    if metrics is None:
        return list(DEFAULT_METRICS)
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    known = set(FORMULAS).union(*(r["metrics"] for r in records)) if records else set(FORMULAS)
    chosen = [m.strip() for m in metrics if m.strip()]
    unknown = [m for m in chosen if m not in known]
    if unknown or not chosen:
        raise InputError(f"unknown metric id(s) {', '.join(unknown) or '(none given)'}; "
                         f"known: {', '.join(sorted(known))}", field="--metrics")
    return list(dict.fromkeys(chosen))


def _format(value: object, kind: str) -> str:
    if not _is_number(value):
        return NOT_AVAILABLE
    # measured: two decimals; reported: the number exactly as published (no invented digits)
    return f"{value:.2f}" if kind == "measured" else f"{value:g}"


def build_tables(records: Sequence[Mapping], metrics: Optional[Sequence[str]] = None) -> List[Table]:
    """One table per (kind, dataset, split): models as rows, sorted by the first column, best in bold.

    Columns no row of the table has a value for are left out (e.g. AUROC without scores).
    """
    chosen = resolve_metrics(records, metrics)
    grouped: Dict[Tuple[str, Group], List[Mapping]] = {}
    for record in records:
        grouped.setdefault((record["kind"], group_of(record)), []).append(record)
    tables = []
    for kind, group in sorted(grouped, key=lambda k: (KINDS.index(k[0]), group_order(k[1]))):
        members = grouped[kind, group]
        columns = [m for m in chosen if any(_is_number(r["metrics"].get(m)) for r in members)]
        first = min(members, key=record_filename)  # the same whatever order the records came in
        table = Table(kind, group, columns, dataset_sha256=str(first.get("dataset_sha256", "")),
                      counts=dict(first.get("counts", {})))
        for record in members:
            cells = [_format(record["metrics"].get(m), kind) for m in columns]
            values = [None if c == NOT_AVAILABLE else float(c) for c in cells]
            note = record["predictions_file"] if kind == "measured" else record["source"]
            rule = (record.get("protocol") or {}).get("decision_rule") if kind == "reported" else None
            note = f"{note}; no target: {rule}" if rule else note
            table.rows.append(Row(model_label(record), cells, values, [False] * len(columns), str(note),
                                  str(record.get("predictions_sha256", "")),
                                  missing_count(record) + missing_count(record, "skipped")))
        table.rows.sort(key=_rank)
        for j in range(len(columns)):
            present = [r.values[j] for r in table.rows if r.values[j] is not None]
            if len(present) >= 2:
                for row in table.rows:
                    row.best[j] = row.values[j] == max(present)
        tables.append(table)
    return tables


def _rank(row: Row) -> Tuple[bool, float, str]:
    """Rows ranked by the first column, best first; rows without that value last; ties by model name."""
    first = row.values[0] if row.values else None
    return first is None, -(first or 0.0), row.model


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


SECTION_TEXT = {
    "measured": ("Measured results",
                 "Scored by `rris-bench evaluate`; each row names its predictions file and the first 12 hex "
                 "digits of its sha256. Best value per column in **bold**; – means not applicable."),
    "reported": ("Reported results (published, not measured here)",
                 "Numbers copied from the source named in each row, as published (their own protocol and "
                 "data version); they never share a table with measured numbers."),
}


def _markdown_table(table: Table) -> List[str]:
    note = "predictions (file, sha256)" if table.kind == "measured" else "source"
    lines = ["| " + " | ".join(["model", *table.columns, note]) + " |",
             "|---|" + "---:|" * len(table.columns) + "---|"]
    for row in table.rows:
        cells = [f"**{c}**" if best else c for c, best in zip(row.cells, row.best)]
        if table.kind == "measured":
            note_cell = f"`{_md_cell(row.note)}` `{row.digest[:12]}`"
        else:
            note_cell = _md_cell(row.note)
        lines.append("| " + " | ".join([_md_cell(row.model), *cells, note_cell]) + " |")
    return lines


def _formula_ids(tables: Sequence[Table]) -> List[str]:
    """The metric ids shown in any table, in the engine's order, unknown ones last."""
    used = {c for t in tables for c in t.columns}
    return [c for c in FORMULAS if c in used] + sorted(used - set(FORMULAS))


def render_markdown(tables: Sequence[Table], plots: Optional[Mapping[Group, Sequence[Tuple[str, str]]]] = None
                    ) -> str:
    """Markdown of the tables, measured then reported, each section marked; ``plots``: group -> (title, href)."""
    if not tables:
        return "No result records on this board.\n"
    lines: List[str] = []
    for kind in KINDS:
        kind_tables = [t for t in tables if t.kind == kind]
        if not kind_tables:
            continue
        heading, text = SECTION_TEXT[kind]
        lines += [f"## {heading}", "", text, ""]
        for table in kind_tables:
            lines += [f"### {table.title}", ""]
            if table.dataset_sha256:
                lines += [table.version_line("`{}`"), ""]
            lines += _markdown_table(table) + [""]
            if table.incomplete:
                lines += [MISSING_NOTE, ""]
            for title, href in (plots or {}).get(table.group, []) if kind == "measured" else []:
                lines += [f"![{title}]({href})", ""]
    lines += ["## Formula ids", ""] + [f"- `{c}`: {FORMULAS.get(c, 'defined by the record that reports it')}"
                                       for c in _formula_ids(tables)]
    return "\n".join(lines) + "\n"


def markdown_tables(records: Union[Sequence[Mapping], str, Path], metrics: Optional[Sequence[str]] = None) -> str:
    """The leaderboard tables as markdown text (what the demo prints)."""
    records = load_records(records) if isinstance(records, (str, Path)) else [check_record(dict(r)) for r in records]
    check_versions(records)
    return render_markdown(build_tables(records, metrics))


# ------------------------------------------------------------------------------------------------ page

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;
color:#1d232a}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #d0d7de}h3{margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{padding:.3em .7em;border-bottom:1px solid #e4e8ec}
th{background:#f3f5f7;cursor:pointer;user-select:none;white-space:nowrap}th.num,td.num{text-align:right}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.best{font-weight:700}td.note{color:#57606a;font-size:.9em}code{font-size:.9em}
.reported{background:#fffbea;border:1px solid #f0e0a0;padding:.2em 1em 1em}
figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
figure img{max-width:34em;border:1px solid #e4e8ec}
figcaption{font-size:.85em;color:#57606a}
"""

_JS = """
document.querySelectorAll("table.board th").forEach(function (th) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0], col = th.cellIndex;
    var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) { var c = row.cells[col], v = c.getAttribute("data-v");
      return v === null ? c.textContent : (v === "" ? null : parseFloat(v)); }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (x === null || y === null) { return (x === null) - (y === null); }
      var r = typeof x === "number" ? x - y : String(x).localeCompare(String(y));
      return dir === "ascending" ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def _html_table(table: Table) -> str:
    esc = html.escape
    note = "predictions (file, sha256)" if table.kind == "measured" else "source"
    head = "<th>model</th>" + "".join(f'<th class="num" title="{esc(FORMULAS.get(c, ""))}">{esc(c)}</th>'
                                      for c in table.columns) + f"<th>{note}</th>"
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="num{" best" if best else ""}" data-v="{"" if v is None else repr(v)}">{esc(c)}</td>'
            for c, v, best in zip(row.cells, row.values, row.best))
        if table.kind == "measured":
            note_cell = (f'<td class="note" title="sha256 {esc(row.digest)}"><code>{esc(row.note)}</code> '
                         f"<code>{esc(row.digest[:12])}</code></td>")
        else:
            note_cell = f'<td class="note">{esc(row.note)}</td>'
        body.append(f"<tr><td>{esc(row.model)}</td>{cells}{note_cell}</tr>")
    return (f'<table class="board"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(body)
            + "\n</tbody></table>")


def render_html(tables: Sequence[Table], images: Mapping[Group, Sequence[Tuple[str, bytes]]]) -> str:
    """One self-contained page: inline CSS and JS, sortable tables, plots as PNG data URIs."""
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>rris-bench leaderboard</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>rris-bench leaderboard</h1>",
             "<p>Click a column header to sort. Best value per column in bold; – means not applicable.</p>"]
    if not tables:
        parts.append("<p>No result records on this board.</p>")
    for kind in KINDS:
        kind_tables = [t for t in tables if t.kind == kind]
        if not kind_tables:
            continue
        heading, _ = SECTION_TEXT[kind]
        parts.append(f'<section class="{kind}"><h2>{esc(heading)}</h2>')
        if kind == "reported":
            parts.append("<p>Numbers copied from the source named in each row; not measured here, never mixed "
                         "with measured rows.</p>")
        for table in kind_tables:
            parts.append(f"<h3>{esc(table.title)}</h3>")
            if table.dataset_sha256:
                parts.append(f"<p>{table.version_line('<code>{}</code>')}</p>")
            parts.append(_html_table(table))
            if table.incomplete:
                parts.append(f"<p>{esc(MISSING_NOTE).replace('`--missing empty`', '<code>--missing empty</code>')}</p>")
            for title, png in images.get(table.group, []) if kind == "measured" else []:
                data = base64.b64encode(png).decode("ascii")
                parts.append(f'<figure><img alt="{esc(title)}" src="data:image/png;base64,{data}">'
                             f"<figcaption>{esc(title)}</figcaption></figure>")
        parts.append("</section>")
    used = _formula_ids(tables)
    if used:
        parts.append("<h2>Formula ids</h2><dl>" + "".join(
            f"<dt><code>{esc(c)}</code></dt><dd>{esc(FORMULAS.get(c, 'defined by the record that reports it'))}</dd>"
            for c in used) + "</dl>")
    parts += [f"<script>{_JS}</script>", "</body></html>"]
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------------------------- board

README_HEAD = ("# Leaderboard\n\nGenerated by `rris-bench leaderboard` from the result records (`*.json`) in this "
               "folder; edit the records, not this file.\n\n")


def write_board(records: Union[Sequence[Mapping], str, Path], out_dir: Union[str, Path], *,
                metrics: Optional[Sequence[str]] = None, html: bool = True) -> Dict[str, object]:
    """Render a board into ``out_dir``: README.md, plots/ (PNG and SVG) and, with ``html``, index.html.

    ``records`` is a board folder (read as is) or a list of records (filed on the board at ``out_dir`` first,
    so ``rris-bench leaderboard OUT_DIR`` re-renders it). Returns the written paths by kind.
    Same records give byte-identical files.
    """
    from . import plots  # matplotlib is loaded only when a board is written

    out_dir = Path(out_dir)
    written: Dict[str, object] = {}
    if isinstance(records, (str, Path)):
        records = load_records(records)
    else:
        written["records"] = [add_record(r, out_dir) for r in records]
        records = load_records(out_dir)
    check_versions(records)
    tables = build_tables(records, metrics)

    plot_files: List[Path] = []
    links: Dict[Group, List[Tuple[str, str]]] = {}
    images: Dict[Group, List[Tuple[str, bytes]]] = {}
    measured: Dict[Group, List[Mapping]] = {}
    for record in records:
        if record["kind"] == "measured":
            measured.setdefault(group_of(record), []).append(record)
    for group in sorted(measured, key=group_order):
        for name, title, png, svg in plots.write_group_plots(measured[group], group_title(group),
                                                             out_dir / "plots" / group_slug(group)):
            plot_files += [png, svg]
            links.setdefault(group, []).append((title, svg.relative_to(out_dir).as_posix()))
            images.setdefault(group, []).append((title, png.read_bytes()))
    _remove_stale_plots(out_dir / "plots", plot_files)

    readme = out_dir / "README.md"
    write_text(readme, README_HEAD + render_markdown(tables, links))
    written.update(readme=readme, plots=plot_files)
    if html:
        page = out_dir / "index.html"
        write_text(page, render_html(tables, images))
        written["html"] = page
    return written


def _remove_stale_plots(plot_dir: Path, keep: Sequence[Path]) -> None:
    """Drop plots of results no longer on the board (only files this module names: ``*--*.png|svg``)."""
    if plot_dir.is_dir():
        for path in list(plot_dir.glob("*--*.png")) + list(plot_dir.glob("*--*.svg")):
            if path not in keep:
                path.unlink()
