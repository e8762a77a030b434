"""Checks on ref and sentence records that every reader shares: each failure is an InputError naming the
file, the record and the field (exit 2 on the command line), never a KeyError or a wrong number later.

Only the ref-file side lives here; annotations, polygons and RLEs of ``instances.json`` are checked by
``rris_bench.checks``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ..errors import InputError

NO_TARGET = -1  # the ann_id gRefCOCO and OmniRef give a ref without target


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def ref_where(ref: Any, index: int) -> str:
    ref_id = ref.get("ref_id") if isinstance(ref, dict) else None
    return f"ref #{index}" + (f" (ref_id {ref_id})" if ref_id is not None else "")


def ref_list(obj: Any, path: Path) -> List[Dict[str, Any]]:
    """``obj`` must be a list of dicts."""
    if not isinstance(obj, list):
        raise InputError(f"expected a list of refs, found {type(obj).__name__}", path)
    for i, ref in enumerate(obj):
        if not isinstance(ref, dict):
            raise InputError(f"expected a dict, found {type(ref).__name__}", path, f"ref #{i}")
    return obj


def common_fields(ref: Dict[str, Any], path: Path, where: str) -> None:
    """ref_id and image_id integers, split a string, sentences a list of dicts with an integer sent_id and a
    string sent (the fields every format shares)."""
    for key in ("ref_id", "image_id", "split", "sentences"):
        if key not in ref:
            raise InputError("missing", path, where, key)
    for key in ("ref_id", "image_id"):
        if not is_int(ref[key]):
            raise InputError(f"expected an integer, found {ref[key]!r}", path, where, key)
    if not isinstance(ref["split"], str):
        raise InputError(f"expected a string, found {ref['split']!r}", path, where, "split")
    sentences = ref["sentences"]
    if not isinstance(sentences, list):
        raise InputError(f"expected a list, found {type(sentences).__name__}", path, where, "sentences")
    if all(type(s) is dict and type(s.get("sent_id")) is int and type(s.get("sent")) is str for s in sentences):
        return  # the common case, in one pass; the loop below names the first problem
    for j, sent in enumerate(sentences):
        if not isinstance(sent, dict) or "sent_id" not in sent or "sent" not in sent:
            raise InputError("each sentence needs sent_id and sent", path, where, f"sentences[{j}]")
        if not is_int(sent["sent_id"]):
            raise InputError(f"expected an integer, found {sent['sent_id']!r}", path, where,
                             f"sentences[{j}].sent_id")
        if not isinstance(sent["sent"], str):
            raise InputError(f"expected a string, found {sent['sent']!r}", path, where, f"sentences[{j}].sent")


def _flag_value(value: Any) -> bool:
    return type(value) is bool or (type(value) is int and value in (0, 1))


def flag(record: Dict[str, Any], key: str, default: Optional[bool], path: Path, where: str) -> bool:
    """A boolean marker: true/false or 1/0 (R-RefCOCO writes both); ``default`` when absent (None: required)."""
    if key not in record:
        if default is None:
            raise InputError("missing", path, where, key)
        return default
    value = record[key]
    if _flag_value(value):
        return bool(value)
    raise InputError(f"expected true/false or 1/0, found {value!r}", path, where, key)


def sentence_flag(ref: Dict[str, Any], key: str, default: bool, path: Path, where: str) -> List[bool]:
    """``flag`` of each sentence of a ref, ``default`` where absent (the field is named ``sentences[j].key``
    in errors)."""
    values = [s.get(key, default) for s in ref["sentences"]]
    if all(_flag_value(v) for v in values):
        return [bool(v) for v in values]
    j, value = next((j, v) for j, v in enumerate(values) if not _flag_value(v))
    raise InputError(f"expected true/false or 1/0, found {value!r}", path, where, f"sentences[{j}].{key}")


def ann_ids(ref: Dict[str, Any], path: Path, where: str, *, allow_int: bool, allow_list: bool
            ) -> Tuple[int, ...]:
    """The ``ann_id`` field as a tuple: an integer and/or a non-empty list of distinct integers, as the format
    allows."""
    if "ann_id" not in ref:
        raise InputError("missing", path, where, "ann_id")
    value = ref["ann_id"]
    if is_int(value) and allow_int:
        return (value,)
    if isinstance(value, list) and allow_list and value and all(is_int(a) for a in value):
        if len(set(value)) != len(value):
            raise InputError(f"the same ann_id twice in {value}", path, where, "ann_id")
        return tuple(value)
    expected = " or ".join(k for k, ok in (("an integer", allow_int), ("a non-empty list of integers", allow_list))
                           if ok)
    raise InputError(f"expected {expected}, found {value!r}", path, where, "ann_id")


def optional_string(record: Dict[str, Any], key: str, path: Path, where: str) -> Optional[str]:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"expected a string, found {value!r}", path, where, key)
    return value


def coco_instances(obj: Any, path: Path, record: Optional[str] = None) -> Dict[str, Any]:
    """``obj`` must be a COCO dict whose images, annotations and categories are lists (their records are
    checked by ``rris_bench.checks``)."""
    if not isinstance(obj, dict) or not {"images", "annotations", "categories"} <= set(obj):
        raise InputError("expected a COCO dict with images, annotations and categories", path, record)
    for key in ("images", "annotations", "categories"):
        if not isinstance(obj[key], list):
            raise InputError(f"expected a list, found {type(obj[key]).__name__}", path, record, key)
    return obj
