"""The toy world: a seeded generator of a small RefCOCO-format dataset, the embedded default of rris-bench.

``generate(root)`` writes rendered images of simple coloured shapes, their polygon annotations and
referring expressions (synonyms, colours, sizes, positions, relations), each checked to pick out one object.
"""
from .generate import generate, make_image
from .world import CATEGORIES, COLOURS, DEFAULT_SPLITS

__all__ = ["generate", "make_image", "CATEGORIES", "COLOURS", "DEFAULT_SPLITS"]
