"""The toy world: ``generate(root)`` writes a seeded small RefCOCO-format dataset of coloured shapes."""
from .generate import generate, make_image
from .world import CATEGORIES, COLOURS, DEFAULT_SPLITS

__all__ = ["generate", "make_image", "CATEGORIES", "COLOURS", "DEFAULT_SPLITS"]
