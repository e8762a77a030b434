"""Leaderboards: render a board's tables (``frames.build_tables``) as markdown and as one self-contained HTML
page with plots, and write the board folder. Measured and reported numbers are rendered in two separate,
labelled sections."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..files import write_text
from .frames import Table, build_tables, records_frame
from .records import FORMULAS, KINDS, Group, add_record, check_record, check_versions, group_of, group_order, \
    group_slug, group_title, load_records

MISSING_NOTE = ("[N missing, scored as empty]: evaluated with `--missing empty`; N sentences had no prediction "
                "and count as empty answers (right on every negative, wrong on every positive). [N missing, not "
                "scored]: evaluated with `--missing skip`; scored on the predicted sentences only. Neither row is "
                "comparable with complete ones.")


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
    return render_markdown(build_tables(records_frame(records), metrics))


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
    tables = build_tables(records_frame(records), metrics)

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
