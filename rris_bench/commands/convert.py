"""``rris-bench convert``: write a dataset of one benchmark format as another (see rris_bench.datasets.convert)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from ..datasets import FORMATS
from .options import dataset_format as dataset_format_option


@click.command(name="convert")
@click.option("--data-root", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding the <dataset> folder.")
@click.option("--dataset", required=True, help="Source dataset folder name, e.g. rrefcoco, grefcoco, ref-zom.")
@click.option("--split-by", default=None, help="Source refs file's split_by (default: the usual one, or the only one).")
@dataset_format_option
@click.option("--to", "to", required=True, type=click.Choice(list(FORMATS)), help="Format to write.")
@click.option("--out-name", required=True, help="Output dataset folder name (must not exist, or be empty).")
@click.option("--out-root", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write <out-name> in (default: --data-root).")
@click.option("--out-split-by", default=None,
              help="split_by of the written refs file (default: the source's; final for refzom).")
def command(data_root: Path, dataset: str, split_by: Optional[str], dataset_format: str, to: str, out_name: str,
            out_root: Optional[Path], out_split_by: Optional[str]) -> None:
    """Write DATASET as another format: refer (R-RefCOCO), grefcoco, refzom, fprefcoco or omniref.

    Every sentence, existence marker and target is kept; what the target format cannot hold (several
    targets or a ref without target in refer and fprefcoco) is refused, naming the ref, before anything is
    written.

    \b
    Examples:
      rris-bench convert --data-root data --dataset rrefcoco --to grefcoco --out-name rrefcoco-g
      rris-bench convert --data-root data --dataset rrefcoco-g --to refer --out-name rrefcoco-back
      rris-bench convert --data-root data --dataset grefcoco --to omniref --out-name grefcoco-omni
    """
    from ..datasets.convert import convert

    files = convert(data_root, dataset, to, out_name, out_root=out_root, fmt=dataset_format, split_by=split_by,
                    out_split_by=out_split_by)
    click.echo(f"wrote {(out_root or data_root) / out_name} ({to}): " + ", ".join(sorted(files)))
