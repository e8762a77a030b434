"""The predictions schema ``rris-predictions/1``: writing records, reading files, strict validation.

One record per (image, sentence), keyed by ``sent_id``; ``segmentation`` is a COCO compressed RLE at the
image's original size or ``null`` (no target); ``score`` (optional) is the confidence that the target
exists. A file is either wrapped JSON ``{"info": ..., "predictions": [...]}``, a bare list of records, or
JSON Lines whose first line is ``{"info": ...}`` (what the harness writes incrementally).
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence, Union

SCHEMA = "rris-predictions/1"


def info_record(dataset: str, split_by: str, split: Union[str, Sequence[str]], model: str,
                dataset_sha256: str) -> Dict[str, Any]:
    """The ``info`` header of a predictions file (the first line of a JSON Lines file)."""
    split_value = split if isinstance(split, str) else ",".join(split)
    return {"schema": SCHEMA, "dataset": dataset, "split_by": split_by, "split": split_value,
            "model": model, "dataset_sha256": dataset_sha256}


def prediction_record(sent_id: int, image_id: int, segmentation: Optional[Dict[str, Any]],
                      score: Optional[float] = None) -> Dict[str, Any]:
    """One prediction; ``segmentation`` None means "no target". ``score`` is left out when None."""
    record: Dict[str, Any] = {"sent_id": int(sent_id), "image_id": int(image_id)}
    if segmentation is None:
        record["segmentation"] = None
    else:
        counts = segmentation["counts"]
        record["segmentation"] = {"size": [int(segmentation["size"][0]), int(segmentation["size"][1])],
                                  "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}
    if score is not None:
        record["score"] = float(score)
    return record


def jsonl_line(obj: Any) -> str:
    """Compact, deterministic JSON of ``obj`` followed by a newline (one JSON Lines record)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n"
