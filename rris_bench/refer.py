"""The refer format: safe loading, the index, ground-truth RLEs, atomic writing.

A dataset lives at ``<root>/<dataset>/refs(<split_by>).p`` plus ``<root>/<dataset>/instances.json``, with
images under ``<root>/images/mscoco/train2014/`` (the layout of lichengunc/refer). ``refs(*).p`` files come
from the internet, so they are read with an unpickler that admits builtin containers and scalars only.
"""
from __future__ import annotations

import io
import json
import pickle
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import masks
from .cache import cache_dir
from .errors import InputError
from .files import PathLike, sha256_bytes, write_bytes

IMAGE_DIR = Path("images") / "mscoco" / "train2014"
DEFAULT_SPLIT_BY = {"refcoco": "unc", "refcoco+": "unc", "refcocog": "umd", "toy": "unc"}


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a class or function: only builtin containers and scalars are admitted."""


class _BuiltinsOnly(pickle.Unpickler):
    """Refuses every global: builtin containers and scalars are built by opcodes and need none."""

    def find_class(self, module: str, name: str) -> Any:
        raise RefusedGlobal(f"refused to load {module}.{name}: only builtin types are allowed")


def safe_load_pickle(path: PathLike, data: Optional[bytes] = None) -> Any:
    """Unpickle ``path`` (or its bytes ``data``) admitting only builtin containers and scalars (dict, list,
    str, int, ...)."""
    data = Path(path).read_bytes() if data is None else data
    try:
        return _BuiltinsOnly(io.BytesIO(data), encoding="latin1").load()
    except RefusedGlobal as exc:
        raise InputError(str(exc), path) from None
    except Exception as exc:  # truncated or not a pickle at all
        raise InputError(f"not a readable pickle ({type(exc).__name__}: {exc})", path) from None


def sentence_exists(sentence: Dict[str, Any]) -> bool:
    """A missing ``exist`` means positive, so plain RefCOCO files stay valid input."""
    return bool(sentence.get("exist", True))


def robust_name(dataset: str) -> str:
    """'refcoco' -> 'rrefcoco': where the builder writes the robust version of a dataset."""
    return "r" + dataset


def resolve_split_by(root: PathLike, dataset: str, split_by: Optional[str]) -> str:
    """The split_by given, else the usual one for the dataset, else the only ``refs(*).p`` present."""
    if split_by:
        return split_by
    base = dataset[1:] if dataset.startswith("r") and dataset[1:] in DEFAULT_SPLIT_BY else dataset
    found = sorted(p.name[5:-3] for p in (Path(root) / dataset).glob("refs(*).p"))
    if base in DEFAULT_SPLIT_BY and DEFAULT_SPLIT_BY[base] in found:
        return DEFAULT_SPLIT_BY[base]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError("no refs(<split_by>).p file here", Path(root) / dataset)
    raise InputError(f"several split_by choices ({', '.join(found)}): pass --split-by", Path(root) / dataset)


def _check_refs(refs: Any, path: Path) -> None:
    if not isinstance(refs, list):
        raise InputError(f"expected a list of refs, found {type(refs).__name__}", path)
    for i, ref in enumerate(refs):
        where = f"ref #{i}"
        if not isinstance(ref, dict):
            raise InputError(f"expected a dict, found {type(ref).__name__}", path, where)
        for key in ("ref_id", "ann_id", "image_id", "split", "sentences"):
            if key not in ref:
                raise InputError("missing", path, f"{where} (ref_id {ref.get('ref_id')})", key)
        for j, sent in enumerate(ref["sentences"]):
            if not isinstance(sent, dict) or "sent_id" not in sent or "sent" not in sent:
                raise InputError("each sentence needs sent_id and sent", path,
                                 f"ref_id {ref['ref_id']}", f"sentences[{j}]")


@dataclass
class ReferDataset:
    """An indexed refer-format dataset.

    Fields (all dicts keyed by id): ``refs`` ref_id -> ref, ``sentences`` sent_id -> sentence,
    ``sent_to_ref`` sent_id -> ref_id, ``anns`` ann_id -> COCO annotation, ``images`` image_id -> image,
    ``categories`` category_id -> category, ``image_refs`` image_id -> [ref_id], ``image_categories``
    image_id -> sorted [category_id] of every annotation on the image (not only the referred ones).
    """

    root: Path
    name: str
    split_by: str
    refs_path: Path
    instances_path: Path
    refs_list: List[Dict[str, Any]]
    instances: Dict[str, Any]
    refs: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    sentences: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    sent_to_ref: Dict[int, int] = field(default_factory=dict)
    anns: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    images: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    categories: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    image_refs: Dict[int, List[int]] = field(default_factory=dict)
    image_categories: Dict[int, List[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.anns = {a["id"]: a for a in self.instances.get("annotations", [])}
        self.images = {im["id"]: im for im in self.instances.get("images", [])}
        self.categories = {c["id"]: c for c in self.instances.get("categories", [])}
        cats: Dict[int, set] = {}
        for ann in self.anns.values():
            cats.setdefault(ann["image_id"], set()).add(ann["category_id"])
        self.image_categories = {img: sorted(c) for img, c in cats.items()}
        for ref in self.refs_list:
            if ref["ref_id"] in self.refs:
                raise InputError("duplicate ref_id", self.refs_path, f"ref_id {ref['ref_id']}")
            if ref["ann_id"] not in self.anns:
                raise InputError(f"ann_id {ref['ann_id']} is not in {self.instances_path.name}",
                                 self.refs_path, f"ref_id {ref['ref_id']}", "ann_id")
            if ref["image_id"] not in self.images:
                raise InputError(f"image_id {ref['image_id']} is not in {self.instances_path.name}",
                                 self.refs_path, f"ref_id {ref['ref_id']}", "image_id")
            self.refs[ref["ref_id"]] = ref
            self.image_refs.setdefault(ref["image_id"], []).append(ref["ref_id"])
            for sent in ref["sentences"]:
                if sent["sent_id"] in self.sentences:
                    raise InputError("duplicate sent_id", self.refs_path,
                                     f"ref_id {ref['ref_id']}", f"sent_id {sent['sent_id']}")
                self.sentences[sent["sent_id"]] = sent
                self.sent_to_ref[sent["sent_id"]] = ref["ref_id"]

    # --- selection -------------------------------------------------------------------------------
    @property
    def splits(self) -> List[str]:
        return sorted({ref["split"] for ref in self.refs_list})

    def refs_in(self, splits: Optional[Iterable[str]] = None) -> List[Dict[str, Any]]:
        """Refs of the given splits (all if None), in file order."""
        if splits is None:
            return list(self.refs_list)
        wanted = set(splits)
        unknown = wanted - set(self.splits)
        if unknown:
            raise InputError(f"no split {', '.join(sorted(unknown))} (has {', '.join(self.splits)})",
                             self.refs_path, field="split")
        return [ref for ref in self.refs_list if ref["split"] in wanted]

    def sentences_in(self, splits: Optional[Iterable[str]] = None) -> List[Dict[str, Any]]:
        return [s for ref in self.refs_in(splits) for s in ref["sentences"]]

    # --- ground truth ----------------------------------------------------------------------------
    def ann_rle(self, ann_id: int) -> masks.RLE:
        ann = self.anns[ann_id]
        image = self.images[ann["image_id"]]
        return masks.from_segmentation(ann["segmentation"], image["height"], image["width"])

    def ref_rle(self, ref_id: int) -> masks.RLE:
        """The ground-truth mask of a ref as a compressed RLE at the image's original size."""
        return self.ann_rle(self.refs[ref_id]["ann_id"])

    def image_path(self, image_id: int) -> Path:
        return self.root / IMAGE_DIR / self.images[image_id]["file_name"]

    # --- identity --------------------------------------------------------------------------------
    @cached_property
    def refs_sha256(self) -> str:
        return sha256_bytes(self.refs_path.read_bytes())

    @cached_property
    def instances_sha256(self) -> str:
        return sha256_bytes(self.instances_path.read_bytes())

    @property
    def sha256(self) -> str:
        """One hash naming this exact dataset version (refs and instances)."""
        return sha256_bytes((self.refs_sha256 + self.instances_sha256).encode())


def load_dataset(root: PathLike, dataset: str, split_by: Optional[str] = None, *,
                 use_cache: bool = False) -> ReferDataset:
    """Load ``<root>/<dataset>/refs(<split_by>).p`` and ``instances.json`` into an index.

    ``use_cache``: keep the parsed files in ``<cache>/datasets/`` under both files' sha256, as one pickle
    of builtins (protocol 5, read back with the same restricted unpickler), which loads in well under half the
    time of the refer files, whose Python-2 pickle and JSON floats are slow to parse.
    """
    root = Path(root)
    split_by = resolve_split_by(root, dataset, split_by)
    refs_path = root / dataset / f"refs({split_by}).p"
    instances_path = root / dataset / "instances.json"
    for p in (refs_path, instances_path):
        if not p.is_file():
            raise InputError("file not found", p)
    refs_bytes, instances_bytes = refs_path.read_bytes(), instances_path.read_bytes()
    digests = {"refs_sha256": sha256_bytes(refs_bytes), "instances_sha256": sha256_bytes(instances_bytes)}
    cache = cache_dir() / "datasets" / f"{digests['refs_sha256']}-{digests['instances_sha256']}.pickle"
    parsed = _cached(cache) if use_cache else None
    if parsed is None:
        refs = safe_load_pickle(refs_path, refs_bytes)
        _check_refs(refs, refs_path)
        try:
            instances = json.loads(instances_bytes)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc})", instances_path) from None
        if not isinstance(instances, dict) or not {"images", "annotations", "categories"} <= set(instances):
            raise InputError("expected a COCO dict with images, annotations and categories", instances_path)
    else:
        refs, instances = parsed
    ds = ReferDataset(root, dataset, split_by, refs_path, instances_path, refs, instances)
    ds.__dict__.update(digests)  # the cached properties, from the bytes already read
    if use_cache and parsed is None:
        try:
            write_bytes(cache, pickle.dumps((refs, instances), protocol=5))
        except OSError:
            pass  # an unwritable cache only costs time
    return ds


def _cached(path: Path) -> Optional[Tuple[List[Dict[str, Any]], Dict[str, Any]]]:
    """The (refs, instances) kept at ``path``, or None when absent or unreadable."""
    try:
        parsed = _BuiltinsOnly(io.BytesIO(path.read_bytes())).load()
    except Exception:  # noqa: BLE001 - missing, truncated or tampered: parse the refer files again
        return None
    ok = isinstance(parsed, tuple) and len(parsed) == 2 and isinstance(parsed[0], list) and \
        isinstance(parsed[1], dict)
    return parsed if ok else None


def refs_pickle_bytes(refs: Sequence[Dict[str, Any]]) -> bytes:
    """Protocol 2, which both the Python 2 and the Python 3 refer API read."""
    return pickle.dumps(list(refs), protocol=2)


def instances_json_bytes(instances: Dict[str, Any]) -> bytes:
    return json.dumps(instances, separators=(",", ":")).encode("utf-8")


def write_dataset(root: PathLike, dataset: str, split_by: str, refs: Sequence[Dict[str, Any]],
                  instances: Dict[str, Any]) -> Dict[str, str]:
    """Write refs and instances in the refer format, each file atomically; return {file name: sha256}."""
    out = Path(root) / dataset
    refs_bytes, inst_bytes = refs_pickle_bytes(refs), instances_json_bytes(instances)
    write_bytes(out / "instances.json", inst_bytes)
    write_bytes(out / f"refs({split_by}).p", refs_bytes)
    return {"instances.json": sha256_bytes(inst_bytes), f"refs({split_by}).p": sha256_bytes(refs_bytes)}
