"""Reader and writer of Ref-ZOM (toggle1995/RIS-DMMI: Zero / One / Many targets per expression).

Files: ``<root>/<dataset>/refs(final).p`` (the release's ``Ref-ZOM(final).p`` renamed, as the RIS-DMMI
README says) plus ``instances.json``; images from both COCO ``train2014`` and ``val2014`` (the official code
reads a merged ``trainval2014`` folder; searched here under ``<root>/images/mscoco/train2014/``,
``.../val2014/`` and ``<root>/images/trainval2014/``). A ref is refer-like with ``source``: ``"zero"`` for
a ref without target, whose mask the official ``REFER.getMask`` makes all zero whatever ``ann_id`` holds;
any other value (``"one"``, ``"many"``) has its ``ann_id`` (an integer or a list) as targets. Model:
``targets`` = () for ``source == "zero"``, else the ann ids; every sentence's ``exists`` = the ref has a
target. The writer gives ``source`` "zero" / "one" / "many" and ``ann_id`` [] / an integer / a list.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

from ..errors import InputError
from ..files import PathLike
from . import grefcoco, records, refer
from .model import Ref, Sentence

NAME = "refzom"
ZERO = "zero"
DEFAULT_SPLIT_BY = "final"
FOREIGN_REF_KEYS = ("no_target", "source_ref_id")
FOREIGN_SENTENCE_KEYS = ("exist", "is_false_premise")

refs_file = refer.refs_file
parse_refs = refer.parse_refs
instances_of = refer.instances_of


def matches(raw: Any) -> bool:
    """A refs(*).p list whose refs carry Ref-ZOM's ``source`` field."""
    return isinstance(raw, list) and any(isinstance(r, dict) and "source" in r for r in raw)


def image_dirs(root: Path) -> Tuple[Path, ...]:
    coco = root / "images" / "mscoco"
    return (coco / "train2014", coco / "val2014", root / "images" / "trainval2014")


def to_model(raw: Any, path: Path) -> List[Ref]:
    out = []
    for i, ref in enumerate(records.ref_list(raw, path)):
        where = records.ref_where(ref, i)
        records.common_fields(ref, path, where)
        source = ref.get("source")
        if not isinstance(source, str):
            raise InputError(f"expected a string ('zero', 'one', 'many'), found {source!r}", path, where, "source")
        if source == ZERO:
            value = ref.get("ann_id")
            if not (records.is_int(value) or (isinstance(value, list) and all(records.is_int(a) for a in value))):
                raise InputError(f"expected an integer or a list of integers, found {value!r}", path, where,
                                 "ann_id")
            targets: Tuple[int, ...] = ()
        else:
            targets = records.ann_ids(ref, path, where, allow_int=True, allow_list=True)
            if records.NO_TARGET in targets:
                raise InputError(f"ann_id -1 on a ref whose source is {source!r}, not 'zero'", path, where, "ann_id")
        out.append(Ref.of({**ref, "sentences": [Sentence.of(s, bool(targets)) for s in ref["sentences"]]}, targets))
    return out


def records_of(refs: Sequence[Ref], instances: Mapping[str, Any], path: Path) -> List[Dict[str, Any]]:
    """The model as Ref-ZOM records; a ref's negatives become a "zero" ref of their own (``split_negatives``)."""
    anns = {a["id"]: a for a in instances.get("annotations", [])}
    out = []
    for ref in grefcoco.split_negatives(refs):
        record = {k: v for k, v in ref.items() if k not in FOREIGN_REF_KEYS}
        cats = [anns[a]["category_id"] for a in ref.targets]
        if not ref.targets:
            record.update(source=ZERO, ann_id=[], category_id=records.NO_TARGET)
        elif len(ref.targets) == 1:
            record.update(source="one", ann_id=ref.targets[0], category_id=cats[0])
        else:
            record.update(source="many", ann_id=list(ref.targets), category_id=cats)
        sentences = [{k: v for k, v in s.items() if k not in FOREIGN_SENTENCE_KEYS} for s in ref["sentences"]]
        record.update(sent_ids=[s["sent_id"] for s in sentences], sentences=sentences)
        out.append(record)
    return out


def write(root: PathLike, dataset: str, split_by: str, refs: Sequence[Ref], instances: Dict[str, Any]
          ) -> Dict[str, str]:
    """Write ``refs(<split_by>).p`` (pickle protocol 2) and ``instances.json``."""
    return refer.write_dataset(root, dataset, split_by, records_of(refs, instances, Path(root) / dataset), instances)
