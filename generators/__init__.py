"""Negative-sentence generation: parsing, the category lexicon, geometry, and one module per strategy.

``STRATEGIES`` maps each strategy name to its module: the five of the R-RefCOCO paper (its Fig. 2) and the
hard ones (instance_attribute, relation_flip, count_ordinal, similar_object). A module has ``NAME``,
``KIND`` and ``generate(ctx, rng)`` (see ``base``).
"""
from __future__ import annotations

from types import ModuleType
from typing import Dict

from . import (attribute_swap, count_ordinal, instance_attribute, object_swap, random_category, random_sentence,
               relation_flip, relation_swap, similar_object)

STRATEGIES: Dict[str, ModuleType] = {m.NAME: m for m in (
    random_sentence, random_category, object_swap, attribute_swap, relation_swap, instance_attribute,
    relation_flip, count_ordinal, similar_object)}
