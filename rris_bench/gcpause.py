"""Pausing Python's cyclic garbage collector around work that allocates millions of acyclic objects.

Parsing a large predictions file or building R-RefCOCO creates millions of small dicts and lists, none of them
cyclic; the collector's repeated full passes over them cost a quarter to a third of the run time and free
nothing, so the builder and the evaluator pause it for their duration.
"""
from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
