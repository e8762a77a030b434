"""Scenes: which objects an image holds (category, colour, size, place), sampled from a seeded generator.

Objects never overlap (their bounding circles are kept apart), so every annotation is the whole visible
object and a polygon describes it exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import List, Optional

import numpy as np

from . import shapes
from .world import CATEGORIES, COLOURS, IMAGE_SIZES, OBJECTS_PER_IMAGE, SIZE_RANGES, SIZES

REPEAT_CATEGORY = 0.45  # chance that a new object repeats a category already present (makes attributes matter)
REPEAT_COLOUR = 0.35
PLACEMENT_TRIES = 60


@dataclass
class Obj:
    category: str
    colour: str
    size: str
    cx: float
    cy: float
    radius: float
    angle: float
    points: np.ndarray = field(repr=False)

    @cached_property
    def extent(self) -> float:
        """Radius of the bounding circle around (cx, cy)."""
        return float(np.hypot(self.points[:, 0] - self.cx, self.points[:, 1] - self.cy).max())


@dataclass
class Scene:
    width: int
    height: int
    objects: List[Obj]

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


def make_object(category: str, colour: str, size: str, cx: float, cy: float, radius: float,
                angle: float = 0.0) -> Obj:
    points = np.round(shapes.outline(category, cx, cy, radius, angle), 2)  # as written to the annotation
    return Obj(category, colour, size, cx, cy, radius, angle, points)


def _pick(rng: np.random.Generator, options: List[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _place(rng: np.random.Generator, width: int, height: int, category: str, colour: str, size: str,
           others: List[Obj]) -> Optional[Obj]:
    lo, hi = SIZE_RANGES[size]
    radius = float(rng.uniform(lo, hi)) * min(width, height)
    spread = shapes.ROTATES.get(category, 0.0)
    angle = float(rng.uniform(-spread, spread)) if spread else 0.0
    probe = make_object(category, colour, size, 0.0, 0.0, radius, angle)
    ext = probe.extent + 1.5
    if 2 * ext >= min(width, height):
        return None
    for _ in range(PLACEMENT_TRIES):
        cx, cy = float(rng.uniform(ext, width - ext)), float(rng.uniform(ext, height - ext))
        if all(np.hypot(cx - o.cx, cy - o.cy) >= ext + o.extent + 3 for o in others):
            return make_object(category, colour, size, round(cx, 2), round(cy, 2), radius, angle)
    return None


def sample_scene(rng: np.random.Generator, group: Optional[str] = None) -> Scene:
    """A random scene; with ``group`` (a supercategory) its first object belongs to that group."""
    width, height = IMAGE_SIZES[int(rng.integers(len(IMAGE_SIZES)))]
    n = int(rng.integers(OBJECTS_PER_IMAGE[0], OBJECTS_PER_IMAGE[1] + 1))
    all_names = [c.name for c in CATEGORIES]
    objects: List[Obj] = []
    for i in range(n):
        if i == 0 and group is not None:
            category = _pick(rng, [c.name for c in CATEGORIES if c.supercategory == group])
        elif objects and rng.random() < REPEAT_CATEGORY:
            category = _pick(rng, [o.category for o in objects])
        else:
            category = _pick(rng, all_names)
        if objects and rng.random() < REPEAT_COLOUR:
            colour = _pick(rng, [o.colour for o in objects])
        else:
            colour = _pick(rng, list(COLOURS))
        size = _pick(rng, list(SIZES))
        obj = _place(rng, width, height, category, colour, size, objects)
        if obj is not None:
            objects.append(obj)
    return Scene(width, height, objects)
