"""What a build writes: the output folder (whole or not at all, never over a folder it did not write), the
manifest (``manifest.json``: inputs, options, counts, file hashes) and the JSON of the refs, streamed."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, Mapping, Optional, Sequence

from ..errors import InputError
from ..files import atomic_dir, sha256_file

MANIFEST = "manifest.json"
REFS_PICKLE_PROTOCOL = 2  # as rris_bench.datasets.refer writes: both the Python 2 and the Python 3 refer API read it


def json_bytes(obj: Any, indent: Optional[int] = None) -> bytes:
    """``obj`` as UTF-8 JSON and a newline (non-ASCII kept as is), the bytes of the manifest."""
    return (json.dumps(obj, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


def dump_json_list(items: Sequence[Any], fh: BinaryIO) -> None:
    """Write ``json.dumps(items)`` + newline item by item: the same bytes, without the whole text in
    memory, and with the C encoder (``json.dump`` to a file falls back to the pure-Python one)."""
    fh.write(b"[")
    for i, item in enumerate(items):
        fh.write(((", " if i else "") + json.dumps(item, ensure_ascii=False)).encode("utf-8"))
    fh.write(b"]\n")


_OUTCOMES = ("toolkit", "counts", "fallbacks", "shortfall", "sent_ids", "files")  # what a build found, not asked


def _check_replace(target: Path, manifest: Mapping[str, Any], overwrite: bool) -> None:
    """Refuse to replace an earlier build of ``target`` made from other inputs or options (source files, seed,
    strategies, splits, parser...) unless ``overwrite``: a rebuild with the same recipe is allowed."""
    old_path = target / MANIFEST
    if overwrite or not old_path.is_file():
        return
    try:
        old = json.loads(old_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    new = json.loads(json.dumps(manifest))
    differ = sorted(k for k in set(old) | set(new) if k not in _OUTCOMES and old.get(k) != new.get(k))
    if differ:
        shown = ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" if k in ("seed", "negatives_per_ref", "parser")
                          else k for k in differ)
        raise InputError(f"holds an earlier build with other inputs or options ({shown}): pass --overwrite to "
                         "replace it, or --out-name NAME to write beside it", target)


@contextlib.contextmanager
def _output_dir(target: Path):
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target`` whole
    (``files.atomic_dir``: one complete version in place at every instant, leftovers of a killed build
    repaired on the next start). A folder that build-dataset did not write is never replaced."""
    if target.exists():
        if not target.is_dir():
            raise InputError("exists and is not a folder", target)
        if any(target.iterdir()) and not (target / MANIFEST).is_file():
            raise InputError(f"exists and has no {MANIFEST}: not a folder build-dataset wrote, not replaced",
                             target)
    with atomic_dir(target) as tmp:
        yield tmp


def write_build(target: Path, writers: Mapping[str, Callable[[BinaryIO], None]], manifest: Dict[str, Any],
                overwrite: bool) -> None:
    """Write the folder ``target`` whole: each file of ``writers`` (name -> writes it to an open binary file),
    then ``manifest.json`` with their SHA-256 added to ``manifest`` as ``files``. An earlier build from other
    inputs or options is refused unless ``overwrite`` (``_check_replace``)."""
    _check_replace(target, manifest, overwrite)
    with _output_dir(target) as tmp:
        for name, write in writers.items():
            with open(tmp / name, "wb") as fh:
                write(fh)
        manifest["files"] = {name: sha256_file(tmp / name) for name in sorted(writers)}
        (tmp / MANIFEST).write_bytes(json_bytes(manifest, indent=2))
