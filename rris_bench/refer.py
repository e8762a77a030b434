"""The refer format's public names, where earlier code imports them from.

The format itself (reading, checks, writing) lives in ``rris_bench.datasets.refer``, one reader among
those of ``rris_bench.datasets``; a loaded dataset is a ``rris_bench.datasets.model.Dataset``, whatever its
format (``ReferDataset`` is that class).
"""
from __future__ import annotations

from typing import Any, Mapping

from .datasets import load_dataset
from .datasets.model import Dataset as ReferDataset
from .datasets.model import Sentence
from .datasets.refer import (DEFAULT_SPLIT_BY, IMAGE_DIR, RefusedGlobal, instances_json_bytes, refs_pickle_bytes,
                             resolve_split_by, robust_name, safe_load_pickle, write_dataset)


def sentence_exists(sentence: Mapping[str, Any]) -> bool:
    """A model sentence's ``exists``; for a raw refer record, its ``exist`` marker (missing means positive,
    so plain RefCOCO files stay valid input)."""
    if isinstance(sentence, Sentence):
        return sentence.exists
    return bool(sentence.get("exist", True))


__all__ = ["DEFAULT_SPLIT_BY", "IMAGE_DIR", "ReferDataset", "RefusedGlobal", "instances_json_bytes", "load_dataset",
           "refs_pickle_bytes", "resolve_split_by", "robust_name", "safe_load_pickle", "sentence_exists",
           "write_dataset"]
