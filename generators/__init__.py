"""Negative-sentence generation: parsing, the category lexicon, and one module per strategy.

``STRATEGIES`` maps each strategy name (the five of the R-RefCOCO paper, its Fig. 2) to its module; a
module has ``NAME``, ``VERIFIED`` and ``generate(ctx, rng)`` (see ``base``).
"""
from __future__ import annotations

from types import ModuleType
from typing import Dict

from . import attribute_swap, object_swap, random_category, random_sentence, relation_swap

STRATEGIES: Dict[str, ModuleType] = {m.NAME: m for m in (
    random_sentence, random_category, object_swap, attribute_swap, relation_swap)}
