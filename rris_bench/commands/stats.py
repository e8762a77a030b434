"""``rris-bench stats``: sentence counts of a dataset by split, strategy, verified and difficulty, the
category-oracle's mRR per strategy and difficulty; with --examples a review report, with --audit a table of
random negatives beside every annotation of their image."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

import click

from ..metrics.engine import MAX_SEED
from .options import dataset_format as dataset_format_option


@click.command(name="stats")
@click.option("--data-root", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--dataset", required=True, help="Dataset folder name, e.g. rrefcoco or rtoy.")
@click.option("--split-by", default=None)
@dataset_format_option
@click.option("--examples", "examples", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the review report (counts and 20 random examples per strategy) to this markdown file.")
@click.option("--n-examples", default=20, show_default=True, type=click.IntRange(min=0))
@click.option("--audit", "audit", default=None, type=click.IntRange(min=1), metavar="N",
              help="Write N random negatives (seeded by --seed) with their source sentence, edit, verified, "
                   "difficulty and every annotation of the image, as a markdown table to judge line by line.")
@click.option("--audit-out", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Where --audit writes (default: print it).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED),
              help="Seed of the example and audit draws.")
def command(data_root: Path, dataset: str, split_by: Optional[str], dataset_format: str, examples: Optional[Path],
            n_examples: int, audit: Optional[int], audit_out: Optional[Path], seed: int) -> None:
    """Count refs and sentences (positives, negatives by strategy, verified and difficulty) per split, refs
    without target or with several targets where the benchmark has them, and print the category-oracle's
    mRR per strategy and difficulty: the share of negatives that knowing which categories are in the image
    solves.

    \b
    Examples:
      rris-bench stats --data-root data --dataset rrefcoco
      rris-bench stats --data-root demo_out/data --dataset rtoy --examples review.md
      rris-bench stats --data-root data --dataset rrefcocog --audit 100 --seed 0 --audit-out audit.md
    """
    from ..generators.report import audit_markdown, category_oracle_markdown, report_markdown
    from ..files import check_writable, write_text
    from ..datasets import load_dataset

    for path, option in ((examples, "--examples"), (audit_out, "--audit-out")):
        if path is not None:
            check_writable(path, option)
    ds = load_dataset(data_root, dataset, split_by, fmt=dataset_format)
    rows = {}
    for ref in ds.refs_list:
        c = rows.setdefault(ref["split"], Counter())
        c["refs"] += 1
        if len(ref.targets) != 1:  # columns that appear only for the benchmarks that have such refs
            c["refs without target" if not ref.targets else "refs with several targets"] += 1
        for s in ref["sentences"]:
            if s.exists:
                c["positives"] += 1
            else:
                c["negatives"] += 1
                for name in ("strategy", "verified"):  # what build-dataset records on its negatives
                    if name in s:
                        c[s[name]] += 1
                if "difficulty" in s:
                    c[f"difficulty {s['difficulty']}"] += 1
    click.echo(f"{ds.name}: {ds.format} format, read from {ds.refs_path.name} and {ds.instances_path.name}")
    keys = ["refs", "positives", "negatives"]
    keys += sorted({k for c in rows.values() for k in c} - set(keys))
    click.echo("| split | " + " | ".join(keys) + " |")
    click.echo("|---|" + "---|" * len(keys))
    for split in sorted(rows):
        click.echo(f"| {split} | " + " | ".join(str(rows[split][k]) for k in keys) + " |")
    if any(c["negatives"] for c in rows.values()):
        click.echo("\ncategory-oracle (no target iff the sentence names a category absent from the image):")
        click.echo(category_oracle_markdown(ds))
    if examples is not None:
        write_text(examples, report_markdown(ds, n_examples, seed))
        click.echo(f"wrote {examples}")
    if audit is not None:
        table = audit_markdown(ds, audit, seed)
        if audit_out is None:
            click.echo(table)
        else:
            write_text(audit_out, table)
            click.echo(f"wrote {audit_out}")
