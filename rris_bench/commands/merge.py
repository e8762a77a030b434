"""``rris-bench merge``: join the shard files of a sharded run into the predictions file one run writes."""
from __future__ import annotations

from pathlib import Path

import click

from ..files import check_writable
from ..run.shards import find, merge


@click.command("merge", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="Print nothing on success.")
def command(out: Path, quiet: bool) -> None:
    """Join OUT.shard<i>-of-<K> (written by rris-bench run --shard i/K) into OUT and remove them.

    OUT holds the same bytes one unsharded run writes. Refused, naming the shard file, with OUT left alone: a
    shard missing or unfinished (a .partial left), shards of different K, a shard of another run (other
    dataset, split, model, options or --limit), a shard cut short.

    \b
    Example (a Slurm job array of 4 tasks, then one merge):
      rris-bench run oracle --data-root data --dataset rrefcoco --out oracle.jsonl --shard $SLURM_ARRAY_TASK_ID/4
      rris-bench merge oracle.jsonl
    """
    check_writable(out, "OUT")
    paths = find(out)
    samples = merge(out, paths)
    if not quiet:
        click.echo(f"merged {len(paths)} shards ({samples} predictions) into {out}")
