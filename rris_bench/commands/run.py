"""``rris-bench run``: run an adapter over a split and write its predictions file (the harness does the work)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import click

from ..run import torchrun
from .. import threads as torch_threads
from ..run.adapters import parse_options
from ..files import WRITE_ERRNOS, WriteError, check_writable
from ..run.harness import format_summary, run, this_shard
from ..run.output import part_path
from ..run.shards import Shard
from ..datasets import load_dataset
from .options import dataset_format as dataset_format_option


@click.command("run", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("adapter")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default="data", show_default=True,
              help="Folder holding <dataset>/refs(<split_by>).p, instances.json and images/.")
@click.option("--dataset", required=True, help="Dataset folder name, e.g. rrefcoco or rtoy.")
@dataset_format_option
@click.option("--split-by", help="refs(<split_by>).p to use (default: the usual one for the dataset).")
@click.option("--split", default="val", show_default=True, help="Split to run on (comma separated for several).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Predictions file to write (JSON Lines).")
@click.option("--opt", "opts", multiple=True, metavar="KEY=VALUE",
              help="An option for the adapter's setup(), repeatable; JSON values (numbers, true) are parsed.")
@click.option("--batch-size", type=int, help="Samples per predict() call (default: the adapter's own).")
@click.option("--limit", type=int, help="Only the first N samples, for a quick look.")
@click.option("--device", default="cpu", show_default=True, help="Device handed to the adapter (cpu, cuda, cuda:1).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run: skip the sentences already written.")
@click.option("--overwrite", is_flag=True,
              help="Discard the <out>.partial of an interrupted run and start over (without it, run refuses).")
@click.option("--workers", type=int, default=2, show_default=True, help="Threads decoding images ahead of the model.")
@click.option("--shard", "shard_spec", metavar="I/K",
              help="Run only shard I of K (0 <= I < K) into <out>.shard<I>-of-<K>, for job arrays or several "
                   "machines; join the K shards with rris-bench merge <out>.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="torch intra-op threads per process (default: OMP_NUM_THREADS if set, else one per core the "
                   "machine's other work leaves free, at least 1).")
@click.option("--quiet", is_flag=True, help="No thread line, no progress bar and no summary.")
def command(adapter: str, data_root: Path, dataset: str, split_by: Optional[str], dataset_format: str, split: str,
            out: Path, opts: Tuple[str, ...], batch_size: Optional[int], limit: Optional[int], device: str,
            resume: bool, overwrite: bool, workers: int, shard_spec: Optional[str], threads: Optional[int],
            quiet: bool) -> None:
    """Run ADAPTER over a split and write a predictions file (JSON Lines, appended per batch).

    ADAPTER is a name from `rris-bench adapters`, path/to/file.py:Class, or module:Class.
    --shard I/K runs one of K shards in this process (a Slurm array task, one machine of several,
    one xargs -P job); rris-bench merge <out> joins them into the file one run writes. Under torchrun
    every process is a shard and rank 0 merges them.

    \b
    An interrupted run leaves <out>.partial: --resume continues it, --overwrite discards it; without either
    run refuses to start rather than delete it.

    \b
    Examples:
      rris-bench run oracle --data-root demo_out/data --dataset rtoy --split val --out oracle.jsonl
      rris-bench run examples/colour_adapter.py:ColourAdapter --data-root demo_out/data --dataset rtoy \\
          --out colour.jsonl --opt tolerance=80
      rris-bench run refsegformer --data-root demo_out/data --dataset rtoy --out rsf.jsonl \\
          --opt checkpoint=demo_out/checkpoints/refsegformer/last.pth --resume
      torchrun --standalone --nproc_per_node 2 -m rris_bench.cli run oracle --data-root demo_out/data \\
          --dataset rtoy --out oracle.jsonl
      rris-bench run oracle --data-root demo_out/data --dataset rtoy --out oracle.jsonl --shard 0/3
    """
    requested = None if shard_spec is None else Shard.parse(shard_spec)
    shard = this_shard(requested, torchrun.world())  # at the door: --shard is refused under torchrun
    settings = torch_threads.configure(threads, load_torch=False)  # an adapter that loads torch finds it set
    if not quiet and torchrun.world().rank == 0:
        click.echo(settings.describe())
    options = parse_options(opts)
    check_writable(out, "--out")
    ds = load_dataset(data_root, dataset, split_by, fmt=dataset_format)
    splits = [s.strip() for s in split.split(",") if s.strip()]
    try:
        summary = run(adapter, ds, splits, out, options=options, device=device, batch_size=batch_size, limit=limit,
                      resume=resume, overwrite=overwrite, progress=not quiet, workers=workers,
                      shard=requested)
    except KeyboardInterrupt:
        click.echo(f"\nrris-bench: interrupted; the predictions written so far are in "
                   f"{part_path(out, shard)}: rerun with --resume to continue", err=True)
        raise
    except OSError as exc:
        if exc.errno not in WRITE_ERRNOS:
            raise
        raise WriteError(f"cannot write ({exc.strerror}); what was written is in {part_path(out, shard)}"
                         ": make room and rerun with --resume", out) from None
    if not quiet and torchrun.world().rank == 0:
        click.echo(format_summary(summary))
        if requested is not None:
            click.echo(f"{'then':<11} rris-bench merge {out}   (once all {requested.count} shards are written)")
