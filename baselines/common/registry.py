"""The models ``rris-bench train`` knows: name -> "module:factory".

A factory is ``factory(dataset, preset_name=None, text=None, bert=None, swin=None) -> training.Task``; the
shared loop (``training.train``) does the rest. Adding a trainable model is one entry here.
"""
from __future__ import annotations

import importlib
from typing import Any, Dict

from rris_bench.errors import InputError

TRAINABLE: Dict[str, str] = {
    "refsegformer": "rris_bench.baselines.refsegformer.train:make_task",
    "lavt": "rris_bench.baselines.lavt.train:make_task",
    "lavt-plus": "rris_bench.baselines.lavt.train:make_plus_task",
}


def make_task(name: str, dataset, **options: Any):
    """The ``Task`` of trainable model ``name`` built for ``dataset``."""
    if name not in TRAINABLE:
        raise InputError(f"unknown trainable model {name!r}; choose from {', '.join(sorted(TRAINABLE))}",
                         field="MODEL")
    module, factory = TRAINABLE[name].split(":")
    return getattr(importlib.import_module(module), factory)(dataset, **options)
