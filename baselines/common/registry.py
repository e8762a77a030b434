"""The models ``rris-bench train`` knows: name -> "module:factory".

A factory is ``factory(dataset, preset_name=None, text=None, bert=None, swin=None) -> training.Task``; the
shared loop (``training.train``) does the rest. Adding a trainable model is one entry here.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, Tuple

from rris_bench.errors import InputError

TRAINABLE: Dict[str, str] = {
    "refsegformer": "rris_bench.baselines.refsegformer.train:make_task",
    "lavt": "rris_bench.baselines.lavt.train:make_task",
    "lavt-plus": "rris_bench.baselines.lavt.train:make_plus_task",
}


# recipe -> model -> ("module:function", its description). A recipe function trains and returns the checkpoint:
# function(data_root, dataset, out_dir, *, seed, progress, **TrainConfig overrides) -> Path.
RECIPES: Dict[str, Dict[str, Tuple[str, str]]] = {
    "demo": {
        "refsegformer": ("rris_bench.baselines.refsegformer.train:train_demo", "DEMO_RECIPE"),
        "lavt": ("rris_bench.baselines.lavt.train:train_demo", "DEMO_RECIPE"),
        "lavt-plus": ("rris_bench.baselines.lavt.train:train_demo_plus", "DEMO_PLUS_RECIPE"),
    },
}


def recipe(name: str, model: str) -> Tuple[Callable[..., Any], str]:
    """(train function, one-line description of what it sets) of recipe ``name`` for ``model``."""
    if model not in TRAINABLE:
        raise InputError(f"unknown trainable model {model!r}; choose from {', '.join(sorted(TRAINABLE))}",
                         field="MODEL")
    if name not in RECIPES or model not in RECIPES[name]:
        raise InputError(f"no recipe {name!r} for {model} (recipes: {', '.join(sorted(RECIPES))})", field="--recipe")
    target, description = RECIPES[name][model]
    module = importlib.import_module(target.split(":")[0])
    return getattr(module, target.split(":")[1]), getattr(module, description)


def make_task(name: str, dataset, **options: Any):
    """The ``Task`` of trainable model ``name`` built for ``dataset``."""
    if name not in TRAINABLE:
        raise InputError(f"unknown trainable model {name!r}; choose from {', '.join(sorted(TRAINABLE))}",
                         field="MODEL")
    module, factory = TRAINABLE[name].split(":")
    return getattr(importlib.import_module(module), factory)(dataset, **options)
