"""``rris-bench train MODEL``: train a baseline with the shared loop (DDP under torchrun, checkpoints every
epoch with --resume, validation by rIoU after each epoch)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional

import click
from click.core import ParameterSource

from .options import dataset_format as dataset_format_option


@click.command(name="train")
@click.argument("model")
@click.option("--data-root", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--dataset", required=True, help="Dataset folder name, e.g. rrefcoco or rtoy.")
@click.option("--split-by", default=None)
@dataset_format_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for last.pth, history.jsonl and the per-epoch validation predictions.")
@click.option("--preset", default=None, help="Model preset (refsegformer: swin-b [default], swin-t, tiny).")
@click.option("--text", default=None, type=click.Choice(["bert-base-uncased", "minilm", "tiny"]),
              help="Text encoder (default: the preset's).")
@click.option("--bert", default=None, type=click.Path(file_okay=False, exists=True),
              help="Local bert-base-uncased folder to initialise the text encoder from.")
@click.option("--swin", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Official Swin ImageNet .pth to initialise the image encoder from.")
@click.option("--epochs", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--batch-size", default=6, show_default=True, type=click.IntRange(min=1), help="Per process.")
@click.option("--lr", default=3e-5, show_default=True, type=float)
@click.option("--weight-decay", default=0.01, show_default=True, type=float)
@click.option("--max-steps", default=None, type=click.IntRange(min=1), help="Stop after this many steps.")
@click.option("--val-split", default="val", show_default=True, help="Split scored after each epoch; 'none' skips.")
@click.option("--positive-fraction", default=None, type=click.FloatRange(0, 1),
              help="Sample a positive sentence with this probability (default: uniform over the ref's sentences).")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--resume", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="A last.pth of this command to continue from (step, optimiser and schedule).")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch intra-op threads per process (default: OMP_NUM_THREADS if set, else one per core the "
                   "machine's other work leaves free, at least 1). The numbers repeat for a given seed and thread "
                   "count.")
@click.option("--recipe", type=click.Choice(["demo"]), default=None,
              help="A complete recipe instead of the defaults: demo = what `rris-bench demo` trains (the tiny "
                   "preset on the toy world, about a minute or two on a CPU; printed in full when it starts). "
                   "--epochs, --batch-size, --lr, --weight-decay, --max-steps, --val-split, --positive-fraction, "
                   "--seed and --text given with it change it.")
def command(model: str, data_root: Path, dataset: str, split_by: Optional[str], dataset_format: str, out_dir: Path,
            preset: Optional[str], text: Optional[str], bert: Optional[str], swin: Optional[str], epochs: int,
            batch_size: int, lr: float, weight_decay: float, max_steps: Optional[int], val_split: str,
            positive_fraction: Optional[float], seed: int, resume: Optional[Path], threads: Optional[int],
            recipe: Optional[str]) -> None:
    """Train MODEL (refsegformer, lavt, lavt-plus) with the shared loop. The defaults are RefSegformer's
    official recipe (AdamW 3e-5, wd 0.01, poly 0.9, 50 epochs, batch 6 per process, one sentence per ref);
    LAVT-RIS's recipe is --lr 5e-5 --epochs 40 --batch-size 8. Data-parallel: launch with torchrun.

    \b
    Examples:
      rris-bench train refsegformer --data-root data --dataset rrefcoco --out runs/rsf \\
          --bert checkpoints/bert-base-uncased --swin swin_base_patch4_window12_384_22k.pth
      rris-bench train refsegformer --recipe demo --data-root demo_out/data --dataset rtoy --out runs/tiny
      torchrun --nproc_per_node 2 -m rris_bench.cli train refsegformer --data-root demo_out/data \\
          --dataset rtoy --preset tiny --lr 1e-3 --batch-size 8 --epochs 10 --out runs/tiny2
      rris-bench train refsegformer ... --resume runs/rsf/last.pth
      rris-bench train lavt-plus --data-root data --dataset rrefcoco --out runs/lavtp \\
          --lr 5e-5 --epochs 40 --batch-size 8
    """
    from .. import threads as torch_threads

    settings = torch_threads.configure(threads)  # before anything imports torch
    from ..run import torchrun

    if torchrun.world().rank == 0:  # under torchrun, one process reports
        click.echo(settings.describe())
    from ..baselines.common.registry import make_task
    from ..baselines.common.training import TrainConfig, train
    from ..datasets import load_dataset

    if recipe is not None:
        last = _train_recipe(recipe, model, data_root, dataset, out_dir, seed)
        if torchrun.world().rank == 0:
            click.echo(f"checkpoint: {last}")
        return
    ds = load_dataset(data_root, dataset, split_by, fmt=dataset_format)
    task = make_task(model, ds, preset_name=preset, text=text, bert=bert, swin=swin)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, seed=seed,
                         max_steps=max_steps, val_split=None if val_split.lower() == "none" else val_split,
                         positive_fraction=positive_fraction)
    last = train(task, ds, out_dir, config, resume=resume)
    if torchrun.world().rank == 0:  # under torchrun, one process reports
        click.echo(f"checkpoint: {last}")


RECIPE_OPTIONS = ("epochs", "batch_size", "lr", "weight_decay", "max_steps", "val_split", "positive_fraction")
NOT_WITH_RECIPE = ("preset", "bert", "swin", "resume", "split_by", "dataset_format")


def _train_recipe(name: str, model: str, data_root: Path, dataset: str, out_dir: Path, seed: int) -> Path:
    """Train ``model`` with recipe ``name`` (``registry.RECIPES``): say what it sets, apply the options given
    on the command line on top of it, and return the checkpoint."""
    from ..run import torchrun
    from ..baselines.common.registry import recipe
    from ..errors import InputError

    ctx = click.get_current_context()
    given = [p for p in ctx.params if ctx.get_parameter_source(p) == ParameterSource.COMMANDLINE]
    clash = [p for p in given if p in NOT_WITH_RECIPE]
    if clash:
        raise InputError(f"--{clash[0].replace('_', '-')} does not go with --recipe {name} (the recipe sets the "
                         "model and its data)", field="--recipe")
    overrides: Dict[str, Any] = {p: ctx.params[p] for p in given if p in RECIPE_OPTIONS + ("text",)}
    changed = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in overrides.items())
    if isinstance(overrides.get("val_split"), str) and overrides["val_split"].lower() == "none":
        overrides["val_split"] = None
    function, description = recipe(name, model)
    if torchrun.world().rank == 0:
        click.echo(f"recipe {name} for {model}: {description}" + (f"; changed here: {changed}" if changed else ""))
    return function(data_root, dataset, out_dir, seed=seed, **overrides)
