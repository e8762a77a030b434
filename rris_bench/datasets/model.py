"""The one in-memory model every referring-segmentation benchmark is read into.

Readers (one module per on-disk format in this package) turn their files into these objects; everything
downstream (metrics, harness, builder, stats, visualize) reads only the model fields below, never a
format's own markers.

``Ref``: a dict, the ref record as read (every field of the file kept, so a writer can give it back), with
``sentences`` a list of ``Sentence``, plus the model field

- ``targets``: tuple of COCO annotation ids the ref points at; empty for "no target" (gRefCOCO
  ``ann_id: [-1]``, Ref-ZOM ``source: "zero"``, OmniRef ``ann_id: [-1]``).

``Sentence``: a dict, the sentence record as read, plus the model fields

- ``exists``: bool, the sentence's target exists: its own marker (R-RefCOCO ``exist``, FP-RefCOCO
  ``not is_false_premise``) or, for a no-target ref, False;
- ``gt_sent``: the corrected sentence where the format has one (FP-RefCOCO), else None.

The ground truth of a sentence is the union of its ref's target masks; empty for a negative. Crowd
annotations are left out where the format's own loader leaves them out (``CROWD_LEFT_OUT``: gRefCOCO's
``G_REFER.getMaskByRef`` in henghuiding/ReLA, and OmniRef, which reads gRefCOCO-style lists); the refer API's
``REFER.getMask`` (lichengunc/refer), which RefCOCO, R-RefCOCO, FP-RefCOCO and Ref-ZOM are read with, keeps a
referred annotation whatever its ``iscrowd``. ``Dataset.ref_rle`` gives that
union at the image's original size; negatives are told apart by ``Sentence.exists``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .. import masks
from ..errors import InputError
from ..files import sha256_bytes


CROWD_LEFT_OUT = frozenset({"grefcoco", "omniref"})  # formats whose official loader skips crowd targets


class Sentence(dict):
    """A sentence record with the model fields ``exists`` and ``gt_sent`` (see the module docstring).
    Made by ``Sentence.of`` (a copy of the record; the model fields set)."""

    __slots__ = ("exists", "gt_sent")

    @classmethod
    def of(cls, record: Mapping[str, Any], exists: bool, gt_sent: Optional[str] = None) -> "Sentence":
        sentence = cls(record)
        sentence.exists = bool(exists)
        sentence.gt_sent = gt_sent
        return sentence



def sentence_exists(sentence: Mapping[str, Any]) -> bool:
    """A model sentence's ``exists``; for a raw refer record, its ``exist`` marker (missing means positive,
    so plain RefCOCO files stay valid input)."""
    if isinstance(sentence, Sentence):
        return sentence.exists
    return bool(sentence.get("exist", True))


class Ref(dict):
    """A ref record (``sentences`` a list of ``Sentence``) with the model field ``targets``. Made by
    ``Ref.of``."""

    __slots__ = ("targets",)

    @classmethod
    def of(cls, record: Mapping[str, Any], targets: Iterable[int]) -> "Ref":
        ref = cls(record)
        ref.targets = tuple(int(a) for a in targets)
        return ref


@dataclass
class Dataset:
    """An indexed dataset in the model, whatever format it was read from.

    Fields (dicts keyed by id): ``refs`` ref_id -> Ref, ``sentences`` sent_id -> Sentence, ``sent_to_ref``
    sent_id -> ref_id, ``anns`` ann_id -> COCO annotation, ``images`` image_id -> image, ``categories``
    category_id -> category, ``image_refs`` image_id -> [ref_id], ``image_categories`` image_id -> sorted
    [category_id] of every annotation on the image (not only the referred ones). ``format`` names the reader
    (``rris_bench.datasets.FORMATS``); ``image_dirs`` are searched in order for an image's ``file_name``;
    ``left_out`` counts what the checks skipped on purpose ({"degenerate_polygon_parts": n}).

    Raises InputError (naming the refs file, the ref and the field) on duplicate ids, targets or images
    missing from the instances file, and targets on another image than their ref's.
    """

    root: Path
    name: str
    split_by: str
    refs_path: Path
    instances_path: Path
    refs_list: List[Ref]
    instances: Dict[str, Any]
    format: str = "refer"
    image_dirs: Tuple[Path, ...] = ()
    refs: Dict[int, Ref] = field(default_factory=dict)
    sentences: Dict[int, Sentence] = field(default_factory=dict)
    sent_to_ref: Dict[int, int] = field(default_factory=dict)
    anns: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    images: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    categories: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    image_refs: Dict[int, List[int]] = field(default_factory=dict)
    image_categories: Dict[int, List[int]] = field(default_factory=dict)
    left_out: Dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.anns = {a["id"]: a for a in self.instances.get("annotations", [])}
        self.images = {im["id"]: im for im in self.instances.get("images", [])}
        self.categories = {c["id"]: c for c in self.instances.get("categories", [])}
        cats: Dict[int, set] = {}
        for ann in self.anns.values():
            cats.setdefault(ann["image_id"], set()).add(ann["category_id"])
        self.image_categories = {img: sorted(c) for img, c in cats.items()}
        for ref in self.refs_list:
            self._index(ref)

    def _index(self, ref: Ref) -> None:
        where = f"ref_id {ref['ref_id']}"
        if ref["ref_id"] in self.refs:
            raise InputError("duplicate ref_id", self.refs_path, where)
        if ref["image_id"] not in self.images:
            raise InputError(f"image_id {ref['image_id']} is not in {self.instances_path.name}",
                             self.refs_path, where, "image_id")
        for ann_id in ref.targets:
            ann = self.anns.get(ann_id)
            if ann is None:
                raise InputError(f"ann_id {ann_id} is not in {self.instances_path.name}", self.refs_path, where,
                                 "ann_id")
            if ann["image_id"] != ref["image_id"]:
                raise InputError(f"ann_id {ann_id} is on image {ann['image_id']}, not on the ref's image "
                                 f"{ref['image_id']}", self.refs_path, where, "ann_id")
        self.refs[ref["ref_id"]] = ref
        self.image_refs.setdefault(ref["image_id"], []).append(ref["ref_id"])
        for sent in ref["sentences"]:
            if sent["sent_id"] in self.sentences:
                raise InputError("duplicate sent_id", self.refs_path, where, f"sent_id {sent['sent_id']}")
            if sent.exists and not ref.targets:
                raise InputError("a sentence of a ref without target is marked as existing", self.refs_path,
                                 where, f"sent_id {sent['sent_id']}")
            self.sentences[sent["sent_id"]] = sent
            self.sent_to_ref[sent["sent_id"]] = ref["ref_id"]

    # --- selection -------------------------------------------------------------------------------
    @property
    def splits(self) -> List[str]:
        return sorted({ref["split"] for ref in self.refs_list})

    def refs_in(self, splits: Optional[Iterable[str]] = None) -> List[Ref]:
        """Refs of the given splits (all if None), in file order."""
        if splits is None:
            return list(self.refs_list)
        wanted = set(splits)
        unknown = wanted - set(self.splits)
        if unknown:
            raise InputError(f"no split {', '.join(sorted(unknown))} (has {', '.join(self.splits)})",
                             self.refs_path, field="split")
        return [ref for ref in self.refs_list if ref["split"] in wanted]

    def sentences_in(self, splits: Optional[Iterable[str]] = None) -> List[Sentence]:
        return [s for ref in self.refs_in(splits) for s in ref["sentences"]]

    # --- ground truth ----------------------------------------------------------------------------
    def mask_anns(self, ref: Ref) -> List[int]:
        """The targets whose masks make the ref's ground truth: crowd annotations left out where the format's
        loader leaves them out (``CROWD_LEFT_OUT``), every target otherwise."""
        if self.format not in CROWD_LEFT_OUT:
            return list(ref.targets)
        return [a for a in ref.targets if not self.anns[a].get("iscrowd")]

    def ann_rle(self, ann_id: int) -> masks.RLE:
        ann = self.anns[ann_id]
        image = self.images[ann["image_id"]]
        if "height" not in image:  # allowed by rris_bench.checks for text-only uses; a mask needs the size
            raise InputError("missing (the image's masks need its height and width)", self.instances_path,
                             f"image {image['id']}", "height")
        return masks.from_segmentation(ann["segmentation"], image["height"], image["width"])

    def ref_rle(self, ref_id: int) -> masks.RLE:
        """The ground truth of a ref's positives: the union of its ``mask_anns`` masks, as a compressed
        RLE at the image's original size (merged run by run, never decoded); empty without a target."""
        ref = self.refs[ref_id]
        image = self.images[ref["image_id"]]
        return masks.union([self.ann_rle(a) for a in self.mask_anns(ref)], image["height"], image["width"])

    def ref_box(self, ref_id: int) -> List[float]:
        """[x, y, w, h] around the boxes of the ref's ``mask_anns``; all zero without one."""
        boxes = [self.anns[a]["bbox"] for a in self.mask_anns(self.refs[ref_id])]
        if not boxes:
            return [0.0, 0.0, 0.0, 0.0]
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
        return [x0, y0, x1 - x0, y1 - y0]

    def ref_categories(self, ref: Ref) -> List[int]:
        """Sorted category ids of the ref's targets (empty without a target)."""
        return sorted({self.anns[a]["category_id"] for a in ref.targets})

    def image_path(self, image_id: int) -> Path:
        """The first of ``image_dirs`` that holds the image's file (the first dir when none does)."""
        name = self.images[image_id]["file_name"]
        for folder in self.image_dirs:
            if (folder / name).is_file():
                return folder / name
        return (self.image_dirs[0] if self.image_dirs else self.root) / name

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


def plain(refs: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The records as builtin dicts and lists (model fields dropped), e.g. to pickle them for the refer API."""
    return [{**ref, "sentences": [dict(s) for s in ref["sentences"]]} if "sentences" in ref else dict(ref)
            for ref in refs]
