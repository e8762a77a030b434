"""The toy world's vocabulary: categories with synonyms, colours, sizes, image sizes and the default splits.

Every word an expression can use comes from here, so the negative builder and the tests see the same lexicon
that ``instances.json`` carries (category name + ``synonyms``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    supercategory: str
    synonyms: Tuple[str, ...]

    def as_coco(self) -> Dict[str, object]:
        return {"id": self.id, "name": self.name, "supercategory": self.supercategory,
                "synonyms": list(self.synonyms)}


# supercategory "round" is the testA group, "angular" the testB group (as people / objects in RefCOCO).
CATEGORIES: Tuple[Category, ...] = (
    Category(1, "ball", "round", ("sphere", "orb")),
    Category(2, "heart", "round", ("valentine",)),
    Category(3, "moon", "round", ("crescent",)),
    Category(4, "box", "angular", ("cube", "crate", "square")),
    Category(5, "triangle", "angular", ("pyramid", "wedge")),
    Category(6, "diamond", "angular", ("rhombus", "gem")),
    Category(7, "star", "angular", ("pentagram",)),
    Category(8, "cross", "angular", ("plus",)),
)
CATEGORY_BY_NAME: Dict[str, Category] = {c.name: c for c in CATEGORIES}
TEST_GROUPS: Dict[str, str] = {"testA": "round", "testB": "angular"}

COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "green": (40, 165, 60),
    "blue": (45, 85, 225),
    "yellow": (235, 215, 40),
    "purple": (145, 55, 190),
    "orange": (245, 140, 25),
}
SIZES: Tuple[str, ...] = ("big", "small")
SIZE_WORDS: Dict[str, Tuple[str, ...]] = {"big": ("big", "large"), "small": ("small", "little")}
# Object radius as a share of the image's shorter side; the gap between the ranges keeps "big" unambiguous.
SIZE_RANGES: Dict[str, Tuple[float, float]] = {"big": (0.17, 0.21), "small": (0.09, 0.115)}

IMAGE_SIZES: Tuple[Tuple[int, int], ...] = ((160, 120), (128, 160))  # (width, height)
OBJECTS_PER_IMAGE: Tuple[int, int] = (2, 5)
SPLITS: Tuple[str, ...] = ("train", "val", "testA", "testB")
DEFAULT_SPLITS: Dict[str, int] = {"train": 300, "val": 40, "testA": 40, "testB": 40}


def categories_json() -> List[Dict[str, object]]:
    """The ``categories`` list of instances.json."""
    return [c.as_coco() for c in CATEGORIES]
