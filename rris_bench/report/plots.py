"""Leaderboard plots from measured result records: each titled and labelled so it stands alone.

Figures are built with the object API (``matplotlib.figure.Figure``, Agg canvas): no pyplot, no global
backend switch. Files are written atomically and deterministically: the default style, a fixed SVG hash
salt, and no dates or software names in the metadata, so the same records give byte-identical PNG and SVG.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import matplotlib
import matplotlib.style
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..files import atomic_path
from ..metrics.sweep import SWEPT
from .labels import model_label

THRESHOLDS = ("0.5", "0.6", "0.7", "0.8", "0.9")
_RC = {"svg.hashsalt": "rris-bench", "font.size": 9.0, "axes.titlesize": 10.0}


@contextlib.contextmanager
def _style() -> Iterator[None]:
    """Matplotlib's default style plus fixed settings, whatever the user's matplotlibrc says."""
    with matplotlib.style.context("default"), matplotlib.rc_context(_RC):
        yield


def _figure(width: float = 6.4, height: float = 4.4) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _colors(records: Sequence[Mapping]) -> Dict[str, object]:
    """One colour per model of the dataset+split (sorted names -> tab10), the same in each of its plots."""
    cmap = matplotlib.colormaps["tab10"]
    return {m: cmap(i % 10) for i, m in enumerate(sorted({model_label(r) for r in records}))}


def _value(record: Mapping, metric: str) -> Optional[float]:
    value = record["metrics"].get(metric)
    return None if value is None else float(value)


def tradeoff_figure(records: Sequence[Mapping], title: str) -> Optional[Figure]:
    """rIoU against mIoU, one point per model: how much accuracy survives the negatives."""
    points = [(model_label(r), _value(r, "mIoU"), _value(r, "rIoU")) for r in records]
    points = [p for p in points if p[1] is not None and p[2] is not None]
    if not points:
        return None
    colors = _colors(records)
    fig = _figure(5.6, 5.0)
    ax = fig.add_subplot()
    ax.plot([0, 100], [0, 100], ls="--", lw=0.8, color="0.6", label="rIoU = mIoU (no loss from negatives)")
    for (model, miou, riou), (x, y) in zip(sorted(points), _label_positions(sorted(points))):
        ax.scatter([miou], [riou], s=46, color=colors[model], label=model, zorder=3)
        moved = abs(y - riou - 1.5) > 1e-9
        ax.annotate(model, (miou, riou), xytext=(x, y), textcoords="data", fontsize=8, va="center",
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.5"} if moved else None)
    ax.set(xlim=(-3, 103), ylim=(-3, 103), aspect="equal",
           xlabel="mIoU (%): mean IoU over positive sentences",
           ylabel="rIoU (%): robust IoU, negatives included",
           title=f"Robustness trade-off: rIoU vs mIoU\n{title}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=7)
    return fig


def _label_positions(points: Sequence[Tuple[str, float, float]], line: float = 3.6) -> List[Tuple[float, float]]:
    """Where to write each point's name (data units on 0-100 axes): just right of and above the point, moved
    up a line at a time while it would overlap a name already placed (close models, e.g. two near 0)."""
    placed: List[Tuple[float, float, float]] = []  # x, y, width of each name already placed
    out = []
    for model, x, y in points:
        lx, ly, width = x + 1.5, y + 1.5, 1.6 * len(model)
        while any(abs(ly - py) < line and lx < px + pw and px < lx + width for px, py, pw in placed):
            ly += line
        placed.append((lx, ly, width))
        out.append((lx, ly))
    return out


def strategy_mrr_figure(records: Sequence[Mapping], title: str) -> Optional[Figure]:
    """mRR per negative strategy per model, from ``breakdowns.strategy.<name>.metrics.mRR``."""
    table: Dict[str, Dict[str, float]] = {}
    for record in records:
        for strategy, part in sorted(record.get("breakdowns", {}).get("strategy", {}).items()):
            value = part.get("metrics", {}).get("mRR")
            if value is not None:
                table.setdefault(model_label(record), {})[strategy] = float(value)
    if not table:
        return None
    models = sorted(table)
    left_out = sorted({model_label(r) for r in records} - set(table))
    strategies = sorted({s for row in table.values() for s in row})
    colors = _colors(records)
    fig = _figure(max(6.4, 1.1 * len(strategies) + 2), 4.4)
    ax = fig.add_subplot()
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        xs = [k + (i - (len(models) - 1) / 2) * width for k, s in enumerate(strategies) if s in table[model]]
        ys = [table[model][s] for s in strategies if s in table[model]]
        bars = ax.bar(xs, ys, width=width, color=colors[model], label=model)
        ax.bar_label(bars, fmt="%.0f", fontsize=6, padding=1)  # a value of 0 still shows as "0"
    if left_out:  # records evaluated without --by strategy have no per-strategy mRR: say so, do not hide it
        fig.text(0.01, 0.005, f"not shown (evaluated without --by strategy): {', '.join(left_out)}", fontsize=7,
                 ha="left", va="bottom", color="0.35")
    ax.set_xticks(range(len(strategies)), [s.replace("_", " ") for s in strategies], rotation=20, ha="right")
    ax.set(ylim=(0, 105), xlabel="negative-sentence strategy",
           ylabel="mRR (%): negatives answered with an empty mask",
           title=f"Robustness per negative strategy (mRR)\n{title}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncols=min(len(models), 4), loc="upper center", bbox_to_anchor=(0.5, -0.28))
    return fig


def precision_figure(records: Sequence[Mapping], title: str) -> Optional[Figure]:
    """Precision at IoU thresholds 0.5-0.9 per model (share of positives segmented at least that well)."""
    lines = []
    for record in sorted(records, key=model_label):
        points = [(float(t), _value(record, f"P@{t}")) for t in THRESHOLDS]
        points = [(t, v) for t, v in points if v is not None]
        if points:
            lines.append((model_label(record), points))
    if not lines:
        return None
    colors = _colors(records)
    fig = _figure()
    ax = fig.add_subplot()
    for model, points in lines:
        ax.plot(*zip(*points), marker="o", color=colors[model], label=model)
    ax.set_xticks([float(t) for t in THRESHOLDS])
    ax.set(xlim=(0.47, 0.93), ylim=(0, 103), xlabel="IoU threshold t",
           ylabel="P@t (%): positive sentences with IoU ≥ t",
           title=f"Precision at IoU thresholds\n{title}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig


def roc_figure(records: Sequence[Mapping], title: str) -> Optional[Figure]:
    """The existence-score ROC curve per model, where the records carry ``curves.roc``."""
    curves = [(model_label(r), r["curves"]["roc"], _value(r, "AUROC"))
              for r in records if r.get("curves", {}).get("roc")]
    if not curves:
        return None
    colors = _colors(records)
    fig = _figure(5.6, 5.0)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color="0.6", label="chance")
    for model, roc, auroc in sorted(curves, key=lambda c: c[0]):
        label = model if auroc is None else f"{model} (AUROC {auroc:.2f})"
        ax.plot(roc["fpr"], roc["tpr"], color=colors[model], label=label)
    ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal",
           xlabel="false positive rate: negatives scored as present",
           ylabel="true positive rate: positives scored as present",
           title=f"Target-existence ROC\n{title}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)
    return fig


# name -> (figure maker, caption prefix); the order plots appear on the board
PLOTS: Dict[str, Tuple[Callable[[Sequence[Mapping], str], Optional[Figure]], str]] = {
    "tradeoff": (tradeoff_figure, "Robustness trade-off: rIoU vs mIoU"),
    "strategy-mrr": (strategy_mrr_figure, "mRR per negative strategy"),
    "precision": (precision_figure, "Precision at IoU thresholds"),
    "roc": (roc_figure, "Target-existence ROC"),
}


def sweep_figure(sweep: Dict[str, Any], title: str):
    """N-acc, T-acc, gIoU and rIoU against the threshold, operating points marked."""
    fig = _figure(6.4, 4.4)
    ax = fig.add_subplot()
    xs = [r["threshold"] for r in sweep["rows"]]
    for metric in SWEPT:
        ys = [np.nan if r[metric] is None else r[metric] for r in sweep["rows"]]
        ax.plot(xs, ys, label=metric)
    for target, point in sweep["at_T-acc"].items():
        if point is not None:
            ax.axvline(point["threshold"], ls=":", lw=0.8, color="0.5")
            ax.annotate(f"T-acc {target}%: N-acc {point['N-acc'] or 0:.1f}", (point["threshold"], 5),
                        fontsize=7, rotation=90, va="bottom", ha="right")
    if sweep["chosen"] is not None:
        ax.axvline(sweep["chosen"]["threshold"], ls="--", lw=0.8, color="0.3", label=f"max {sweep['criterion']}")
    ax.set(xlabel="existence-score threshold T (no target when score < T)", ylabel="percent", xlim=(0, 1),
           ylim=(0, 100), title=f"Metrics against the no-target threshold\n{title}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=7)
    return fig


def save_figure(fig: Figure, stem: Path) -> Tuple[Path, Path]:
    """Write ``<stem>.png`` and ``<stem>.svg`` atomically, with no date or software metadata."""
    png, svg = stem.with_name(stem.name + ".png"), stem.with_name(stem.name + ".svg")
    with _style():
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=100, metadata={"Software": None})
        with atomic_path(svg) as tmp:
            fig.savefig(tmp, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg


def make_figures(records: Sequence[Mapping], title: str) -> List[Tuple[str, str, Figure]]:
    """The plots these records support, as (name, caption, figure); plots without data are left out."""
    out = []
    with _style():
        for name, (make, caption) in PLOTS.items():
            fig = make(records, title)
            if fig is not None:
                out.append((name, f"{caption} ({title})", fig))
    return out


def write_group_plots(records: Sequence[Mapping], title: str, prefix: Path) -> List[Tuple[str, str, Path, Path]]:
    """Write every plot of one dataset+split as ``<prefix>--<name>.png|svg``; returns (name, caption, png, svg)."""
    written = []
    for name, caption, fig in make_figures(records, title):
        png, svg = save_figure(fig, prefix.with_name(f"{prefix.name}--{name}"))
        written.append((name, caption, png, svg))
    return written
