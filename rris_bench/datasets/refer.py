"""Reader and writer of the refer format (lichengunc/refer), which R-RefCOCO / + / g also use.

Files: ``<root>/<dataset>/refs(<split_by>).p`` (a Python pickle of a list of refs) and
``<root>/<dataset>/instances.json``; images under ``<root>/images/mscoco/train2014/``. A ref is
``{ref_id, ann_id: int, image_id, category_id, split, file_name, sent_ids, sentences}``, a sentence
``{sent_id, raw, sent, tokens}``. The R-RefCOCO release (jianzongwu/robust-ref-seg) adds ``exist`` to each
sentence: false or 0 for a negative; a missing ``exist`` means positive, so plain RefCOCO files read as
they are. Model: ``targets = (ann_id,)``, ``exists = exist``.

``refs(*).p`` files come from the internet: they are read with an unpickler that admits only builtin
containers and scalars (``safe_load_pickle``), decodes Python 2 byte strings as UTF-8 first, and refuses cycles,
deep nesting and shared references that would expand beyond a sane size.
"""
from __future__ import annotations

import gc
import io
import json
import pickle
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import InputError
from ..files import PathLike, sha256_bytes, write_bytes
from . import records
from .model import Ref, Sentence, plain

NAME = "refer"
IMAGE_DIR = Path("images") / "mscoco" / "train2014"
DEFAULT_SPLIT_BY = {"refcoco": "unc", "refcoco+": "unc", "refcocog": "umd", "toy": "unc", "ref-zom": "final"}
# markers of the other formats, dropped when a record is written in this one
FOREIGN_REF_KEYS = ("no_target", "source", "source_ref_id")
FOREIGN_SENTENCE_KEYS = ("is_false_premise",)


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a class or function: only builtin containers and scalars are admitted."""


class BuiltinsOnly(pickle.Unpickler):
    """Refuses every global: builtin containers and scalars are built by opcodes and need none."""

    def find_class(self, module: str, name: str) -> Any:
        raise RefusedGlobal(f"refused to load {module}.{name}: only builtin types are allowed")


MAX_DEPTH = 100  # containers nested deeper than this are refused (no refer field nests more than 4 deep)


def safe_load_pickle(path: PathLike, data: Optional[bytes] = None) -> Any:
    """Unpickle ``path`` (or its bytes ``data``) admitting only builtin containers and scalars (dict, list,
    str, int, ...).

    The refer API's own files are Python 2 pickles, whose byte strings hold UTF-8 text: each comes out as
    that text (UTF-8 first, latin-1 only where UTF-8 fails). A pickle whose shared references would expand
    to more than ``2 * len(data) + 10**6`` objects (a "billion laughs"), that holds a container inside itself
    or nests deeper than ``MAX_DEPTH`` is refused, not expanded.
    """
    data = Path(path).read_bytes() if data is None else data
    limit = 2 * len(data) + 10 ** 6
    try:
        loaded = _unpickle(data, path, "utf-8")  # the C unpickler decodes Python 2 strings: the fast path
    except UnicodeDecodeError:
        return _as_text(_unpickle(data, path, "bytes"), path, limit)  # some are not UTF-8: one by one
    return loaded if _is_tree(loaded, path) else _as_text(loaded, path, limit)


def _unpickle(data: bytes, path: PathLike, encoding: str) -> Any:
    try:
        return BuiltinsOnly(io.BytesIO(data), encoding=encoding).load()
    except RefusedGlobal as exc:
        raise InputError(str(exc), path) from None
    except UnicodeDecodeError:
        raise
    except Exception as exc:  # truncated or not a pickle at all
        raise InputError(f"not a readable pickle ({type(exc).__name__}: {str(exc)[:80]})", path) from None


_CONTAINER_TYPES = frozenset((list, dict, tuple, set, frozenset))


def _is_tree(root: Any, path: PathLike) -> bool:
    """Whether no container of ``root`` is referenced twice (no sharing, no cycle), level by level with
    ``gc.get_referents`` (C speed); nesting deeper than ``MAX_DEPTH`` is refused."""
    if type(root) not in _CONTAINER_TYPES:
        return True
    frontier, seen, depth = [root], {id(root)}, 0
    while frontier:
        depth += 1
        if depth > MAX_DEPTH:
            raise InputError(f"containers nested more than {MAX_DEPTH} deep", path)
        frontier = [o for o in gc.get_referents(*frontier) if type(o) in _CONTAINER_TYPES]
        ids = set(map(id, frontier))
        if len(ids) != len(frontier) or not seen.isdisjoint(ids):
            return False
        seen |= ids
    return True


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _as_text(root: Any, path: PathLike, limit: int) -> Any:
    """A copy of ``root`` with every bytes object (a Python 2 ``str``) decoded as text (UTF-8, else latin-1);
    containers shared in ``root`` stay shared. The slow path, for pickles with shared containers or non-UTF-8
    strings. Refuses cycles, nesting deeper than ``MAX_DEPTH`` and an expanded size (every
    reference counted, as a JSON dump would write it) above ``limit``. Iterative: no recursion limit."""
    done: Dict[int, Tuple[Any, int]] = {}  # id -> (copy, expanded size)
    active = set()
    stack: List[Tuple[Any, int, Optional[str], bool]] = [(root, 0, None, False)]
    while stack:
        obj, depth, where, children_done = stack.pop()  # where: "#i", the item of the top list it is in
        key = id(obj)
        if not children_done:
            if key in done:
                continue
            if key in active:
                raise InputError(f"a {type(obj).__name__} holds itself (a reference cycle)", path, where)
            if depth > MAX_DEPTH:
                raise InputError(f"containers nested more than {MAX_DEPTH} deep", path, where)
            active.add(key)
            stack.append((obj, depth, where, True))
            items = obj.items() if type(obj) is dict else ((x, None) for x in obj)
            for i, (k, v) in enumerate(items):
                for child in (k, v):
                    if type(child) in _CONTAINER_TYPES and id(child) not in done:
                        stack.append((child, depth + 1, where or f"#{i}", False))
            continue
        active.discard(key)
        size = 1

        def convert(value: Any) -> Any:
            nonlocal size
            if type(value) in _CONTAINER_TYPES:
                copy, n = done[id(value)]
                size += n
                return copy
            size += 1
            return _text(value) if type(value) is bytes else value

        if type(obj) is dict:
            copy = {convert(k): convert(v) for k, v in obj.items()}
        else:
            copy = type(obj)(convert(x) for x in obj)
        if size > limit:
            raise InputError(f"shared references would expand to more than {limit} objects: refused", path)
        done[key] = (copy, size)
    if type(root) not in _CONTAINER_TYPES:
        return _text(root) if type(root) is bytes else root
    return done[id(root)][0]


def robust_name(dataset: str) -> str:
    """'refcoco' -> 'rrefcoco': where the builder writes the robust version of a dataset."""
    return "r" + dataset


def resolve_split_by(root: PathLike, dataset: str, split_by: Optional[str], prefix: str = "refs",
                     suffixes: Sequence[str] = (".p",)) -> str:
    """The split_by given, else the usual one for the dataset, else the only ``<prefix>(*)<suffix>`` present."""
    if split_by:
        return split_by
    folder = Path(root) / dataset
    base = dataset[1:] if dataset.startswith("r") and dataset[1:] in DEFAULT_SPLIT_BY else dataset
    found = sorted({p.name[len(prefix) + 1:p.name.rindex(")")] for suffix in suffixes
                    for p in folder.glob(f"{prefix}(*){suffix}")})
    if base in DEFAULT_SPLIT_BY and DEFAULT_SPLIT_BY[base] in found:
        return DEFAULT_SPLIT_BY[base]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(f"no {prefix}(<split_by>){'|'.join(suffixes)} file here", folder)
    raise InputError(f"several split_by choices ({', '.join(found)}): pass --split-by", folder)


# --- reading -----------------------------------------------------------------------------------------
def refs_file(root: Path, dataset: str, split_by: Optional[str]) -> Tuple[Path, str]:
    """The refs file of this format and its split_by."""
    split_by = resolve_split_by(root, dataset, split_by)
    return root / dataset / f"refs({split_by}).p", split_by


def parse_refs(path: Path, data: bytes) -> Any:
    return safe_load_pickle(path, data)


def matches(raw: Any) -> bool:
    """Any list of refs read from a ``refs(*).p`` file that no more specific format claims."""
    return True


def image_dirs(root: Path) -> Tuple[Path, ...]:
    return (root / IMAGE_DIR,)


def instances_of(raw: Any, path: Path) -> Dict[str, Any]:
    """The COCO dict of ``instances.json`` as the model indexes it."""
    return records.coco_instances(raw, path)


def to_model(raw: Any, path: Path) -> List[Ref]:
    """Check each ref (ids, split, one integer ann_id, sentences, ``exist`` flags) and wrap it in the model."""
    out = []
    for i, ref in enumerate(records.ref_list(raw, path)):
        where = records.ref_where(ref, i)
        records.common_fields(ref, path, where)
        targets = records.ann_ids(ref, path, where, allow_int=True, allow_list=False)
        exists = records.sentence_flag(ref, "exist", True, path, where)
        out.append(Ref.of({**ref, "sentences": [Sentence.of(s, e) for s, e in zip(ref["sentences"], exists)]}, targets))
    return out


# --- writing -----------------------------------------------------------------------------------------
def fold_negatives(refs: Sequence[Ref], path: Path, fmt: str) -> List[Ref]:
    """Refs with one target each, for formats that keep negatives as sentences of a target's ref: a ref without
    target that names a ``source_ref_id`` (as the gRefCOCO writer records) gives its sentences back to that
    ref. Raises InputError for what such a format cannot hold (several targets; no target and no source)."""
    by_id = {ref["ref_id"]: ref for ref in refs}
    extra: Dict[int, List[Sentence]] = {}
    for ref in refs:
        where = f"ref_id {ref['ref_id']}"
        if len(ref.targets) > 1:
            raise InputError(f"the {fmt} format holds one target per ref, this ref has {len(ref.targets)}",
                             path, where, "targets")
        if not ref.targets:
            source = by_id.get(ref.get("source_ref_id"))
            if source is None or not source.targets:
                raise InputError(f"the {fmt} format cannot hold a ref without target (no source_ref_id of a "
                                 "ref with one)", path, where, "targets")
            extra.setdefault(source["ref_id"], []).extend(ref["sentences"])
    return [Ref.of({**ref, "sentences": list(ref["sentences"]) + extra.get(ref["ref_id"], [])}, ref.targets)
            for ref in refs if ref.targets]


def target_category(ref: Ref, anns: Mapping[int, Mapping[str, Any]]) -> Any:
    return anns[ref.targets[0]]["category_id"] if ref.targets[0] in anns else ref.get("category_id")


def records_of(refs: Sequence[Ref], instances: Mapping[str, Any], path: Path, fmt: str = NAME
               ) -> List[Dict[str, Any]]:
    """The model as R-RefCOCO records: ``ann_id`` and ``category_id`` of the one target, ``sent_ids``, and
    ``exist`` on every sentence (as the R-RefCOCO release and the builder write it)."""
    anns = {a["id"]: a for a in instances.get("annotations", [])}
    out = []
    for ref in fold_negatives(refs, path, fmt):
        sentences = [{**{k: v for k, v in s.items() if k not in FOREIGN_SENTENCE_KEYS}, "exist": s.exists}
                     for s in ref["sentences"]]
        record = {k: v for k, v in ref.items() if k not in FOREIGN_REF_KEYS}
        record.update(ann_id=ref.targets[0], category_id=target_category(ref, anns),
                      sent_ids=[s["sent_id"] for s in sentences], sentences=sentences)
        out.append(record)
    return out


def refs_pickle_bytes(refs: Sequence[Mapping[str, Any]]) -> bytes:
    """Protocol 2, which both the Python 2 and the Python 3 refer API read (model fields dropped)."""
    return pickle.dumps(plain(refs), protocol=2)


def instances_json_bytes(instances: Dict[str, Any]) -> bytes:
    return json.dumps(instances, separators=(",", ":")).encode("utf-8")


def write_dataset(root: PathLike, dataset: str, split_by: str, refs: Sequence[Mapping[str, Any]],
                  instances: Dict[str, Any]) -> Dict[str, str]:
    """Write refs (records as given) and instances in the refer format, each file atomically; return
    {file name: sha256}."""
    out = Path(root) / dataset
    refs_bytes, inst_bytes = refs_pickle_bytes(refs), instances_json_bytes(instances)
    write_bytes(out / "instances.json", inst_bytes)
    write_bytes(out / f"refs({split_by}).p", refs_bytes)
    return {"instances.json": sha256_bytes(inst_bytes), f"refs({split_by}).p": sha256_bytes(refs_bytes)}


def write(root: PathLike, dataset: str, split_by: str, refs: Sequence[Ref], instances: Dict[str, Any]
          ) -> Dict[str, str]:
    """Write the model in the refer format (R-RefCOCO when it has negatives)."""
    return write_dataset(root, dataset, split_by, records_of(refs, instances, Path(root) / dataset), instances)
