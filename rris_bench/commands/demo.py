"""``rris-bench demo``: the whole pipeline on the embedded toy world."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from .. import threads as torch_threads
from ..demo import DEMO_MODELS, run_demo


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo_out"),
              show_default=True, help="Folder for the data, predictions, results and leaderboard.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the toy world, negatives and training.")
@click.option("--split", default="val", show_default=True, help="Split the models are run and scored on.")
@click.option("--models", default=",".join(DEMO_MODELS), show_default=True,
              help="Comma-separated models to run (trained ones are trained first).")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch intra-op threads (default: OMP_NUM_THREADS if set, else one per core the machine's "
                   "other work leaves free, at least 1: two on an idle 2-core machine, one on a busy one). The "
                   "numbers repeat for a given seed and thread count (the README names the count of its figures).")
@click.option("--max-steps", type=click.IntRange(min=1), default=None,
              help="Stop each model's training after this many steps (a quick look: the numbers are then not "
                   "those of docs/benchmarks.md).")
def command(out_dir: Path, seed: int, split: str, models: str, threads: int, max_steps: Optional[int]) -> None:
    """Build the toy world and R-toy, run every baseline, evaluate them and write a leaderboard.

    \b
    Examples:
      rris-bench demo
      rris-bench demo --out demo_quick --models empty,oracle,gt-box
      rris-bench demo --out demo_steps --max-steps 20
      rris-bench demo --threads 2
    """
    click.echo(torch_threads.configure(threads).describe())  # before anything imports torch
    result = run_demo(out_dir, seed=seed, split=split, models=[m for m in models.split(",") if m],
                      max_steps=max_steps)
    board = result["board"]
    click.echo(f"\nleaderboard: {board['readme']}  page: {board.get('html')}  "
               f"plots: {out_dir / 'leaderboard' / 'plots'}  ({result['seconds']:.0f} s)")
