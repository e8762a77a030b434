"""Reader and writer of gRefCOCO (henghuiding/gRefCOCO, read by ``G_REFER`` in henghuiding/ReLA).

Files: ``<root>/<dataset>/grefs(<split_by>).p`` or, when there is no pickle, ``grefs(<split_by>).json``
(the order ``G_REFER`` tries them), plus ``instances.json``; images from COCO ``train2014`` (searched under
``<root>/images/mscoco/train2014/`` then ``<root>/images/train2014/``). A ref is ``{ref_id, image_id, split,
ann_id: [ann ids], category_id: [category ids], sentences, sent_ids, ...}``; a ref without target has
``ann_id: [-1]`` (and ``category_id: [-1]``, ``no_target: true`` where written). Model: ``targets`` = the
ann ids (empty for ``[-1]``), every sentence's ``exists`` = the ref has a target.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import InputError
from ..files import PathLike, sha256_bytes, write_bytes
from . import records, refer
from .model import Ref, Sentence

NAME = "grefcoco"
FOREIGN_REF_KEYS = ("source",)
FOREIGN_SENTENCE_KEYS = ("is_false_premise",)


def refs_file(root: Path, dataset: str, split_by: Optional[str]) -> Tuple[Path, str]:
    split_by = refer.resolve_split_by(root, dataset, split_by, prefix="grefs", suffixes=(".p", ".json"))
    pickled = root / dataset / f"grefs({split_by}).p"
    return (pickled if pickled.is_file() else root / dataset / f"grefs({split_by}).json"), split_by


def parse_refs(path: Path, data: bytes) -> Any:
    if path.suffix == ".p":
        return refer.safe_load_pickle(path, data)
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # also integers of more than 4,300 digits
        raise InputError(f"not valid JSON ({str(exc)[:120]})", path) from None


instances_of = refer.instances_of


def image_dirs(root: Path) -> Tuple[Path, ...]:
    return (root / refer.IMAGE_DIR, root / "images" / "train2014")


def targets_of(ref: Dict[str, Any], path: Path, where: str) -> Tuple[int, ...]:
    """``ann_id`` (a list, or a bare integer as G_REFER also takes) as targets: ``[-1]`` is none, and
    ``no_target``, where present, must agree."""
    ids = records.ann_ids(ref, path, where, allow_int=True, allow_list=True)
    if records.NO_TARGET in ids and ids != (records.NO_TARGET,):
        raise InputError(f"-1 (no target) mixed with annotation ids: {list(ids)}", path, where, "ann_id")
    targets = () if ids == (records.NO_TARGET,) else ids
    if "no_target" in ref and records.flag(ref, "no_target", None, path, where) != (not targets):
        raise InputError(f"no_target is {ref['no_target']!r} but ann_id is {ref['ann_id']!r}", path, where,
                         "no_target")
    return targets


def sentences_of(ref: Dict[str, Any], targets: Tuple[int, ...], path: Path, where: str) -> List[Sentence]:
    """Each sentence exists iff its ref has a target; an ``exist`` marker (which the writer adds for
    R-RefCOCO tools) must agree."""
    marks = records.sentence_flag(ref, "exist", bool(targets), path, where)
    for j, mark in enumerate(marks):
        if mark != bool(targets):
            raise InputError(f"exist is {mark} on a ref {'with' if targets else 'without'} target", path, where,
                             f"sentences[{j}].exist")
    return [Sentence.of(s, bool(targets)) for s in ref["sentences"]]


def to_model(raw: Any, path: Path) -> List[Ref]:
    out = []
    for i, ref in enumerate(records.ref_list(raw, path)):
        where = records.ref_where(ref, i)
        records.common_fields(ref, path, where)
        targets = targets_of(ref, path, where)
        out.append(Ref.of({**ref, "sentences": sentences_of(ref, targets, path, where)}, targets))
    return out


def split_negatives(refs: Sequence[Ref]) -> List[Ref]:
    """Refs whose sentences all agree with their targets, for formats that mark "no target" on the ref: each
    ref keeps its positives, and its negatives (if it has a target) move to one new ref without target on
    the same image and split, with ``source_ref_id`` naming the ref they came from. New ref_ids follow the
    largest one in file order."""
    out: List[Ref] = []
    next_ref = max((r["ref_id"] for r in refs), default=0) + 1
    for ref in refs:
        if not ref.targets:
            out.append(ref)
            continue
        pos = [s for s in ref["sentences"] if s.exists]
        neg = [s for s in ref["sentences"] if not s.exists]
        out.append(Ref.of({**ref, "sentences": pos}, ref.targets))
        if neg:
            base = {k: v for k, v in ref.items() if k not in ("ref_id", "sentences")}
            out.append(Ref.of({"ref_id": next_ref, **base, "source_ref_id": ref["ref_id"], "sentences": neg}, ()))
            next_ref += 1
    return out


def records_of(refs: Sequence[Ref], instances: Mapping[str, Any], path: Path) -> List[Dict[str, Any]]:
    """The model as gRefCOCO records (the layout of grefs(unc).json): ``ann_id`` and ``category_id`` lists,
    ``[-1]`` and ``no_target: true`` for a ref without target; each sentence also keeps R-RefCOCO's ``exist``
    (gRefCOCO's loaders ignore it), so the file converts back without loss."""
    anns = {a["id"]: a for a in instances.get("annotations", [])}
    out = []
    for ref in split_negatives(refs):
        record = {k: v for k, v in ref.items() if k not in FOREIGN_REF_KEYS}
        sentences = [{**{k: v for k, v in s.items() if k not in FOREIGN_SENTENCE_KEYS}, "exist": s.exists}
                     for s in ref["sentences"]]
        if ref.targets:
            record.update(ann_id=list(ref.targets), category_id=[anns[a]["category_id"] for a in ref.targets],
                          no_target=False)
        else:
            record.update(ann_id=[records.NO_TARGET], category_id=[records.NO_TARGET], no_target=True)
        record.update(sent_ids=[s["sent_id"] for s in sentences], sentences=sentences)
        out.append(record)
    return out


def json_list_bytes(items: Sequence[Any]) -> bytes:
    """``json.dumps(items)`` + newline, as the builder has always written its JSON refs."""
    return (json.dumps(list(items), ensure_ascii=False) + "\n").encode("utf-8")


def write(root: PathLike, dataset: str, split_by: str, refs: Sequence[Ref], instances: Dict[str, Any]
          ) -> Dict[str, str]:
    """Write ``grefs(<split_by>).json`` and ``instances.json``, each atomically; return {file name: sha256}."""
    out = Path(root) / dataset
    refs_bytes = json_list_bytes(records_of(refs, instances, out))
    inst_bytes = refer.instances_json_bytes(instances)
    write_bytes(out / "instances.json", inst_bytes)
    write_bytes(out / f"grefs({split_by}).json", refs_bytes)
    return {"instances.json": sha256_bytes(inst_bytes), f"grefs({split_by}).json": sha256_bytes(refs_bytes)}
