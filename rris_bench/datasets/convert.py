"""Write a dataset read in one format as another: read into the model, write with the target's writer.

The writers are those the builder uses (``build-dataset --format grefcoco`` writes ``grefcoco.records_of``),
so a converted file and a built one agree field for field. What a target format cannot hold is refused
before anything is written: several targets or a ref without target in refer / R-RefCOCO and FP-RefCOCO
(unless the no-target ref names the ``source_ref_id`` its negatives came from, as the gRefCOCO writer
records).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from ..errors import InputError
from ..files import PathLike
from . import AUTO, FORMATS, load_dataset, refzom

FALLBACK_SPLIT_BY = "unc"


def convert(root: PathLike, dataset: str, to: str, out_name: str, *, out_root: Optional[PathLike] = None,
            fmt: str = AUTO, split_by: Optional[str] = None, out_split_by: Optional[str] = None) -> Dict[str, str]:
    """Read ``<root>/<dataset>`` (format ``fmt``) and write it as format ``to`` into ``<out_root or
    root>/<out_name>``, which must not exist or be empty. ``out_split_by`` names the output refs file
    (default: the source's; ``final`` for Ref-ZOM; ``unc`` from OmniRef, which has none). Returns {file name:
    sha256} of what was written. Raises InputError on unknown formats, an occupied output folder and data the
    target format cannot hold."""
    if to not in FORMATS:
        raise InputError(f"unknown format {to!r} ({', '.join(FORMATS)})", field="to")
    out_root = Path(out_root if out_root is not None else root)
    out = out_root / out_name
    if out.resolve() == (Path(root) / dataset).resolve():
        raise InputError("the output would overwrite the source", out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("exists and is not an empty folder: not overwritten", out)
    ds = load_dataset(root, dataset, split_by, fmt=fmt)
    if out_split_by is None:
        out_split_by = refzom.DEFAULT_SPLIT_BY if to == refzom.NAME else (ds.split_by or FALLBACK_SPLIT_BY)
    return FORMATS[to].write(out_root, out_name, out_split_by, ds.refs_list, ds.instances)
