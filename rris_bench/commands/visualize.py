"""``rris-bench visualize``: a PNG grid of image, ground truth and prediction for chosen or random sentences."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import click

from ..files import check_writable
from ..metrics.engine import MAX_SEED

from ..errors import InputError
from ..metrics.predictions import read_predictions
from ..datasets import load_dataset
from .options import dataset_format as dataset_format_option
from ..report.visualize import KINDS, write_grid


@click.command("visualize", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("predictions", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default="data", show_default=True,
              help="Folder holding <dataset>/refs(<split_by>).p, instances.json and images/.")
@click.option("--dataset", help="Dataset folder name (default: the predictions' info.dataset).")
@dataset_format_option
@click.option("--split-by", help="refs(<split_by>).p to use (default: info.split_by, else the usual one).")
@click.option("--split", help="Split(s), comma separated (default: info.split, else all).")
@click.option("--sent-id", "sent_ids", multiple=True, help="Sentence(s) to show, repeatable or comma separated.")
@click.option("--random", "n_random", type=click.IntRange(min=1), help="Show N random sentences (default 8 when no --sent-id).")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
              help="Seed of the random choice.")
@click.option("--kind", type=click.Choice(KINDS), default="all", show_default=True,
              help="Draw random sentences among positives, negatives or all.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default="grid.png", show_default=True,
              help="PNG file to write.")
def command(predictions: Path, data_root: Path, dataset: Optional[str], split_by: Optional[str], dataset_format: str,
            split: Optional[str], sent_ids: Tuple[str, ...], n_random: Optional[int], seed: int, kind: str,
            out: Path) -> None:
    """Draw image | ground truth | prediction for some sentences of PREDICTIONS, with the sentence, its kind
    (positive, or negative and its strategy) and the IoU.

    \b
    Examples:
      rris-bench visualize demo_out/predictions/gt-box.jsonl --data-root demo_out/data --random 6 --seed 1
      rris-bench visualize demo_out/predictions/gt-box.jsonl --data-root demo_out/data --kind negative \\
          --random 4 --out negatives.png
      rris-bench visualize preds.jsonl --data-root data --dataset rrefcoco --split val --sent-id 12,9000001
    """
    check_writable(out, "--out")
    info = read_predictions(predictions).info or {}
    name = dataset or info.get("dataset")
    if not name:
        raise InputError("the file has no info.dataset: pass --dataset", predictions, field="--dataset")
    ds = load_dataset(data_root, name, split_by or info.get("split_by"), fmt=dataset_format)
    splits = [s for s in (split or info.get("split") or "").split(",") if s] or None
    try:
        ids = [int(i) for v in sent_ids for i in v.split(",") if i.strip()]
    except ValueError:
        raise InputError(f"expected integers, got {', '.join(sent_ids)}", field="--sent-id") from None
    if ids and n_random is not None:
        raise InputError("give --sent-id or --random, not both", field="--random")
    shown = write_grid(ds, predictions, out, splits=splits, sent_ids=ids, random=n_random, seed=seed, kind=kind)
    click.echo(f"rris-bench: wrote {out} ({len(shown)} sentences: {', '.join(map(str, shown))})")
