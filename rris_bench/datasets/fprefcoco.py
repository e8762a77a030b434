"""Reader and writer of FP-RefCOCO / + / g (see-say-segment/sesame: false-premise expressions).

Files: ``<root>/<dataset>/refs(<split_by>).p`` plus ``instances.json`` (SESAME keeps them under
``refer_seg/fprefcoco`` with split_by ``berkeley_exclude_unified``); images from COCO ``train2014``. Refs
are refer refs (one integer ``ann_id``); a sentence may carry ``is_false_premise`` (true: its premise is
false, nothing to segment) and ``gt_sent`` (the corrected expression). As SESAME's loaders do, a sentence
without ``is_false_premise`` falls back to ``exist``, then to positive. Model: ``targets = (ann_id,)``,
``exists = not is_false_premise``, ``gt_sent``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

from ..files import PathLike
from . import records, refer
from .model import Ref, Sentence

NAME = "fprefcoco"
FOREIGN_REF_KEYS = refer.FOREIGN_REF_KEYS
FOREIGN_SENTENCE_KEYS = ("exist",)

refs_file = refer.refs_file
parse_refs = refer.parse_refs
image_dirs = refer.image_dirs
instances_of = refer.instances_of


def matches(raw: Any) -> bool:
    """A refs(*).p list whose sentences carry ``is_false_premise``."""
    return isinstance(raw, list) and any(
        isinstance(r, dict) and isinstance(r.get("sentences"), list)
        and any(isinstance(s, dict) and "is_false_premise" in s for s in r["sentences"]) for r in raw)


def to_model(raw: Any, path: Path) -> List[Ref]:
    out = []
    for i, ref in enumerate(records.ref_list(raw, path)):
        where = records.ref_where(ref, i)
        records.common_fields(ref, path, where)
        targets = records.ann_ids(ref, path, where, allow_int=True, allow_list=False)
        sentences = []
        for j, sent in enumerate(ref["sentences"]):
            field = f"sentences[{j}]"
            if "is_false_premise" in sent:
                exists = not records.flag(sent, "is_false_premise", None, path, f"{where} {field}")
            else:
                exists = records.flag(sent, "exist", True, path, f"{where} {field}")
            gt_sent = records.optional_string(sent, "gt_sent", path, f"{where} {field}")
            sentences.append(Sentence.of(sent, exists, gt_sent))
        out.append(Ref.of({**ref, "sentences": sentences}, targets))
    return out


def records_of(refs: Sequence[Ref], instances: Mapping[str, Any], path: Path) -> List[Dict[str, Any]]:
    """The model as FP-RefCOCO records: refer records with ``is_false_premise`` on every sentence and
    ``gt_sent`` where the model has one."""
    out = []
    for record in refer.records_of(refs, instances, path, NAME):
        record["sentences"] = [{**{k: v for k, v in s.items() if k not in FOREIGN_SENTENCE_KEYS},
                                "is_false_premise": not s["exist"]} for s in record["sentences"]]
        out.append(record)
    return out


def write(root: PathLike, dataset: str, split_by: str, refs: Sequence[Ref], instances: Dict[str, Any]
          ) -> Dict[str, str]:
    """Write ``refs(<split_by>).p`` (pickle protocol 2) and ``instances.json``."""
    return refer.write_dataset(root, dataset, split_by, records_of(refs, instances, Path(root) / dataset), instances)
