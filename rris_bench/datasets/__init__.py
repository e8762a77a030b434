"""Datasets: the in-memory model every benchmark is read into (``model``), one reader per on-disk format, and
the checks on what they read.

``load_dataset(root, name, fmt="auto")`` reads ``<root>/<name>`` with the reader of ``FORMATS`` that
recognises its files (``detect``) or the one named, and returns a ``model.Dataset``.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from ..cache import cache_dir
from ..errors import InputError
from ..files import PathLike, sha256_bytes, write_bytes
from . import fprefcoco, grefcoco, omniref, refer, refzom
from .model import Dataset, Ref, Sentence

FORMATS = {m.NAME: m for m in (refer, grefcoco, refzom, fprefcoco, omniref)}
AUTO = "auto"
FORMAT_CHOICES = (AUTO,) + tuple(FORMATS)
KNOWN_FILES = "refs(<split_by>).p, grefs(<split_by>).json|.p or OmniRef.json, with instances.json"
# formats that share refs(<split_by>).p, in the order they claim a file by its content (refer: any other)
PICKLE_FAMILY = (refzom, fprefcoco, refer)


def detect(root: PathLike, name: str) -> str:
    """The format of ``<root>/<name>`` from its file names: ``OmniRef.json`` -> omniref, ``refs(*).p`` ->
    refer (which ``load_dataset`` refines to refzom or fprefcoco by the refs' fields: ``source``,
    ``is_false_premise``), ``grefs(*).p|.json`` -> grefcoco. Raises InputError when none is there."""
    folder = Path(root) / name
    if not folder.is_dir():
        raise InputError(f"file not found: no dataset folder (expected one holding {KNOWN_FILES})", folder)
    if (folder / omniref.REFS_FILE).is_file():
        return omniref.NAME
    if any(folder.glob("refs(*).p")):
        return refer.NAME
    if any(folder.glob("grefs(*).p")) or any(folder.glob("grefs(*).json")):
        return grefcoco.NAME
    raise InputError(f"no refs file of a known format here (expected {KNOWN_FILES})", folder)


def load_dataset(root: PathLike, dataset: str, split_by: Optional[str] = None, *, fmt: str = AUTO,
                 use_cache: bool = False) -> Dataset:
    """Read ``<root>/<dataset>`` (refs file and instances file of format ``fmt``, or of the format ``detect``
    finds) into the model.

    ``use_cache``: keep the parsed files in ``<cache>/datasets/`` under both files' sha256, as one pickle of
    builtins (protocol 5, read back with the same restricted unpickler), which loads in well under half the
    time of the original files (the refer format's Python-2 pickle and JSON floats are slow to parse).
    Raises InputError (exit 2) naming file, record and field for anything a reader refuses.
    """
    root = Path(root)
    if fmt not in FORMAT_CHOICES:
        raise InputError(f"unknown format {fmt!r} ({', '.join(FORMAT_CHOICES)})", field="format")
    reader = FORMATS[detect(root, dataset) if fmt == AUTO else fmt]
    refs_path, split_by = reader.refs_file(root, dataset, split_by)
    instances_path = root / dataset / "instances.json"
    for p in (refs_path, instances_path):
        if not p.is_file():
            raise InputError("file not found", p)
    refs_bytes, instances_bytes = refs_path.read_bytes(), instances_path.read_bytes()
    digests = {"refs_sha256": sha256_bytes(refs_bytes), "instances_sha256": sha256_bytes(instances_bytes)}
    cache = cache_dir() / "datasets" / f"{digests['refs_sha256']}-{digests['instances_sha256']}.pickle"
    parsed = _cached(cache) if use_cache else None
    if parsed is None:
        raw_refs = reader.parse_refs(refs_path, refs_bytes)
        try:
            raw_instances = json.loads(instances_bytes)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"not valid JSON ({exc})", instances_path) from None
    else:
        raw_refs, raw_instances = parsed
    if fmt == AUTO and reader is refer:
        reader = next(r for r in PICKLE_FAMILY if r.matches(raw_refs))
    instances = reader.instances_of(raw_instances, instances_path)
    ds = Dataset(root, dataset, split_by, refs_path, instances_path, reader.to_model(raw_refs, refs_path),
                 instances, format=reader.NAME, image_dirs=reader.image_dirs(root))
    ds.__dict__.update(digests)  # the cached properties, from the bytes already read
    if use_cache and parsed is None:
        try:
            write_bytes(cache, pickle.dumps((raw_refs, raw_instances), protocol=5))
        except OSError:
            pass  # an unwritable cache only costs time
    return ds


def _cached(path: Path) -> Optional[Tuple[Any, Dict[str, Any]]]:
    """The (refs, instances) kept at ``path``, or None when absent or unreadable."""
    try:
        parsed = refer.load_builtins(path.read_bytes())
    except Exception:  # noqa: BLE001 - missing, truncated or tampered: parse the files again
        return None
    ok = isinstance(parsed, tuple) and len(parsed) == 2
    return parsed if ok else None


__all__ = ["Dataset", "Ref", "Sentence", "FORMATS", "FORMAT_CHOICES", "detect", "load_dataset"]
