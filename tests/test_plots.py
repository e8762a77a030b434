"""Leaderboard plots: each is written as PNG and SVG, non-empty, titled, with the expected axis labels."""
from __future__ import annotations

import numpy as np
from PIL import Image

from rris_bench.report import plots
from test_leaderboard import make_records

VAL = [r for r in make_records() if r["kind"] == "measured" and r["split"] == "val"]

LABELS = {  # plot -> (title start, x label, y label)
    "tradeoff": ("Robustness trade-off: rIoU vs mIoU", "mIoU (%): mean IoU over positive sentences",
                 "rIoU (%): robust IoU, negatives included"),
    "strategy-mrr": ("Robustness per negative strategy (mRR)", "negative-sentence strategy",
                     "mRR (%): negatives answered with an empty mask"),
    "precision": ("Precision at IoU thresholds", "IoU threshold t", "P@t (%): positive sentences with IoU ≥ t"),
    "roc": ("Target-existence ROC", "false positive rate: negatives scored as present",
            "true positive rate: positives scored as present"),
}


def test_each_plot_carries_its_title_and_axis_labels():
    figures = {name: fig for name, _, fig in plots.make_figures(VAL, "rtoy · unc · val")}
    assert list(figures) == list(LABELS)
    for name, (title, xlabel, ylabel) in LABELS.items():
        ax = figures[name].axes[0]
        assert ax.get_title() == f"{title}\nrtoy · unc · val"
        assert (ax.get_xlabel(), ax.get_ylabel()) == (xlabel, ylabel)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "tiny" in {t.split(" (")[0] for t in legend}, name


def test_plots_show_the_records_numbers():
    figures = {name: fig for name, _, fig in plots.make_figures(VAL, "val")}
    ax = figures["strategy-mrr"].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["attribute swap", "object swap", "random category"]
    tiny_bars = [p.get_height() for c in ax.containers if c.get_label() == "tiny" for p in c.patches]
    assert tiny_bars == [65.0, 95.0, 90.0]  # sorted strategies: attribute_swap, object_swap, random_category
    precision = {line.get_label(): list(line.get_ydata()) for line in figures["precision"].axes[0].get_lines()}
    assert precision["tiny"] == [90.0, 75.0, 60.0, 45.0, 30.0]
    roc = [t.get_text() for t in figures["roc"].axes[0].get_legend().get_texts()]
    assert roc == ["chance", "tiny (AUROC 88.10)"]  # only tiny has scores


def test_plots_are_written_non_empty_png_and_svg(tmp_path):
    written = plots.write_group_plots(VAL, "rtoy · unc · val", tmp_path / "rtoy-unc-val")
    assert [name for name, *_ in written] == list(LABELS)
    for name, caption, png, svg in written:
        assert png.name == f"rtoy-unc-val--{name}.png" and svg.name == f"rtoy-unc-val--{name}.svg"
        with Image.open(png) as image:
            assert image.format == "PNG" and image.size[0] > 400 and image.size[1] > 300
            assert len(np.unique(np.asarray(image.convert("L")))) > 10  # something is drawn
        text = svg.read_text(encoding="utf-8")
        title, xlabel, ylabel = LABELS[name]
        for label in (title, xlabel, ylabel):
            assert f"<!-- {label}" in text, (name, label)
        assert "<dc:date>" not in text and "Matplotlib" not in text.split("<metadata>")[1].split("</metadata>")[0]


def test_records_without_the_data_make_no_plot():
    bare = [dict(r, breakdowns={}, curves={}) for r in VAL]
    for r in bare:
        r["metrics"] = {"rIoU": r["metrics"]["rIoU"]}
    assert plots.make_figures(bare, "val") == []


def test_strategy_plot_names_models_without_a_breakdown_and_labels_zero_bars():
    no_breakdown = [r for r in make_records() if r["model"] == "tiny" and r["split"] == "testA"][0]
    zero = dict(VAL[1], model="zero", breakdowns={"strategy": {"object_swap": {"metrics": {"mRR": 0.0}}}})
    fig = plots.strategy_mrr_figure(VAL + [dict(no_breakdown, split="val", model="plain"), zero], "val")
    notes = [t.get_text() for t in fig.texts]
    assert notes == ["not shown (evaluated without --by strategy): plain"]
    labels = [t.get_text() for t in fig.axes[0].texts]  # the value of every bar, a 0 included
    assert "0" in labels and labels.count("100") == 6 and len(labels) == 10


def test_tradeoff_names_of_close_points_do_not_overlap():
    points = [("empty", 0.0, 0.0), ("lavt-plus (tiny)", 1.65, 1.15), ("gt-box", 60.1, 10.3)]
    spots = plots._label_positions(points)
    assert spots[0] == (1.5, 1.5) and spots[1][1] >= spots[0][1] + 3.6  # moved up a line
    assert spots[2] == (61.6, 11.8)                                       # far away: where it belongs
