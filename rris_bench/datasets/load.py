"""Loading: ``load_dataset(root, name)`` reads ``<root>/<name>`` with the reader of ``FORMATS`` that recognises its
files (``detect``) or the one named, checks it with ``rris_bench.checks`` and caches the parsed result.
"""
from __future__ import annotations

import io
import json
import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .. import __version__
from ..cache import cache_dir
from ..errors import InputError
from ..files import PathLike, repair_leftovers, sha256_bytes, write_bytes
from .. import checks
from . import fprefcoco, grefcoco, omniref, refer, refzom
from .model import Dataset, Ref, Sentence

FORMATS = {m.NAME: m for m in (refer, grefcoco, refzom, fprefcoco, omniref)}
AUTO = "auto"
FORMAT_CHOICES = (AUTO,) + tuple(FORMATS)
KNOWN_FILES = "refs(<split_by>).p, grefs(<split_by>).json|.p or OmniRef.json, with instances.json"
CACHE_SCHEMA = f"rris-dataset-cache/2 rris-bench {__version__}"  # /2: checked by rris_bench.checks, with left_out
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

    Both files are checked (``checks.check_instances``, then the reader's record checks and
    ``checks.check_refs``): every problem an InputError naming file, record and field.
    ``use_cache``: keep what was read in ``<cache>/datasets/`` under both files' sha256: the model's refs (checked
    when they were first read), the instances, the format and what the checks left out, one protocol-5 pickle
    of builtins and the two model classes after the sha256 of that pickle, read back with a restricted
    unpickler that admits nothing else (``_cached``). It loads in
    less time than parsing the files again (the refer format's Python-2 pickle and JSON floats are slow) and
    than parsing the cached raw files and checking them again.
    Raises InputError (exit 2) naming file, record and field for anything a reader refuses.
    """
    root = Path(root)
    if fmt not in FORMAT_CHOICES:
        raise InputError(f"unknown format {fmt!r} ({', '.join(FORMAT_CHOICES)})", field="format")
    for value, what in ((dataset, "dataset"), (split_by or None, "split_by")):  # names, never paths
        problem = checks.name_problem(value) if value is not None else None
        if problem:
            raise InputError(problem, field=what)
    if not (root / dataset).is_dir():
        repair_leftovers(root / dataset)  # a build killed while swapping its output folder left it aside
    reader = FORMATS[detect(root, dataset) if fmt == AUTO else fmt]
    refs_path, split_by = reader.refs_file(root, dataset, split_by)
    instances_path = root / dataset / "instances.json"
    for p in (refs_path, instances_path):
        if not p.is_file():
            raise InputError("file not found", p)
    with open(instances_path, "rb") as fh:  # a file of garbage is refused from its start, before it is read whole
        head = fh.read(4096).lstrip(b" \t\r\n")
    if head[:1] != b"{":
        raise InputError(f"not a COCO instances file: it starts with {checks.quote(head[:16])}, not {{",
                         instances_path)
    refs_bytes, instances_bytes = refs_path.read_bytes(), instances_path.read_bytes()
    digests = {"refs_sha256": sha256_bytes(refs_bytes), "instances_sha256": sha256_bytes(instances_bytes)}
    cache = cache_dir() / "datasets" / f"{digests['refs_sha256']}-{digests['instances_sha256']}.pickle"
    parsed = _cached(cache, reader.NAME, fmt == AUTO) if use_cache else None
    if parsed is None:
        try:
            raw_instances = json.loads(instances_bytes)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # also integers of > 4,300 digits
            raise InputError(f"not valid JSON ({str(exc)[:120]})", instances_path) from None
        raw_refs = reader.parse_refs(refs_path, refs_bytes)
        if fmt == AUTO and reader is refer:
            reader = next(r for r in PICKLE_FAMILY if r.matches(raw_refs))
        instances = reader.instances_of(raw_instances, instances_path)
        left_out = checks.check_instances(instances, instances_path).as_dict()
        refs = reader.to_model(raw_refs, refs_path)
        checks.check_refs(refs, refs_path, instances, instances_path)
    else:
        refs, instances, meta = parsed
        reader, left_out = FORMATS[meta["format"]], meta["left_out"]
    ds = Dataset(root, dataset, split_by, refs_path, instances_path, refs, instances, format=reader.NAME,
                 image_dirs=reader.image_dirs(root), left_out=left_out)
    ds.__dict__.update(digests)  # the cached properties, from the bytes already read
    if use_cache and parsed is None:
        meta = {"schema": CACHE_SCHEMA, "format": reader.NAME, "left_out": left_out}
        try:
            payload = pickle.dumps((refs, instances, meta), protocol=5)
            write_bytes(cache, sha256_bytes(payload).encode() + b"\n" + payload)
        except (OSError, InputError, RecursionError):
            pass  # an unwritable cache only costs time
    return ds


class _CacheUnpickler(refer.BuiltinsOnly):
    """Builtins and the two model classes (a dict subclass each, with slots: building one runs no code)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == Ref.__module__ and name in ("Ref", "Sentence"):
            return Ref if name == "Ref" else Sentence
        return super().find_class(module, name)


def _cached(path: Path, reader: str, auto: bool) -> Optional[Tuple[List[Ref], Dict[str, Any], Dict[str, str]]]:
    """The (refs, instances, meta) kept at ``path`` by this toolkit version for this reader (any reader when
    ``auto``), or None when absent, unreadable, not matching the sha256 on its first line, or of another
    version."""
    try:
        checksum, _, payload = path.read_bytes().partition(b"\n")
        if checksum != sha256_bytes(payload).encode():  # a flipped bit or an edited entry: never trusted
            return None
        parsed = _CacheUnpickler(io.BytesIO(payload)).load()
        refs, instances, meta = parsed
        ok = isinstance(instances, dict) and meta["schema"] == CACHE_SCHEMA and meta["format"] in FORMATS \
            and (auto or meta["format"] == reader) and isinstance(refs, list) and isinstance(meta["left_out"], dict) \
            and all(type(r) is Ref and type(r.targets) is tuple for r in refs) \
            and all(type(s) is Sentence and type(s.exists) is bool for r in refs for s in r["sentences"])
    except Exception:  # noqa: BLE001 - missing, truncated or tampered: read the files again
        return None
    return parsed if ok else None


__all__ = ["Dataset", "Ref", "Sentence", "FORMATS", "FORMAT_CHOICES", "detect", "load_dataset"]
