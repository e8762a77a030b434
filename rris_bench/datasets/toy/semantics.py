"""What an expression means in a scene: its parts as predicates over objects, and the uniqueness check.

Predicates are three-valued: True, False, or None when the scene makes the word unclear (an object near the
middle is neither clearly "left" nor clearly not). An expression refers to its target only when it is clearly
true of the target and clearly false of every other object, so no accepted expression is a judgement call.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from .scene import Obj, Scene

Tri = Optional[bool]

# Region words: the object's centre, as a share of the image side, clearly inside (< TRUE_BELOW) or clearly
# outside (> FALSE_ABOVE) the region's band; in between is unclear.
TRUE_BELOW, FALSE_ABOVE = 0.38, 0.48
MIDDLE_TRUE, MIDDLE_FALSE = 0.12, 0.22
EXTREME_GAP = 0.12        # a superlative needs this share of the image side between first and second
RELATION_CLEAR = 0.10     # left of / above: offset along the axis, as a share of the image side
RELATION_NOT = 0.03
NEAR_TRUE, NEAR_FALSE = 0.12, 0.25  # next to: gap between the objects, as a share of the shorter side


@dataclass(frozen=True)
class Description:
    """A noun phrase: category (``noun`` is the word used for it), optional colour, size, region, extreme."""
    category: str
    noun: str
    colour: Optional[str] = None
    size: Optional[str] = None
    region: Optional[str] = None    # one of REGIONS
    extreme: Optional[str] = None   # one of EXTREMES


@dataclass(frozen=True)
class Relational:
    """``head`` in ``relation`` to ``landmark``: "the red ball next to the green box"."""
    head: Description
    relation: str                   # one of RELATIONS
    landmark: Description


Expression = Union[Description, Relational]


def _and(values: Sequence[Tri]) -> Tri:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _band(share: float) -> Tri:
    """Is a position (0 = at the named side, 1 = opposite) clearly near the side?"""
    if share < TRUE_BELOW:
        return True
    return False if share > FALSE_ABOVE else None


def _middle(share: float) -> Tri:
    off = abs(share - 0.5)
    if off < MIDDLE_TRUE:
        return True
    return False if off > MIDDLE_FALSE else None


_AXES: Dict[str, Callable[[Obj, Scene], Tri]] = {
    "left": lambda o, s: _band(o.cx / s.width),
    "right": lambda o, s: _band(1 - o.cx / s.width),
    "top": lambda o, s: _band(o.cy / s.height),
    "bottom": lambda o, s: _band(1 - o.cy / s.height),
    "middle": lambda o, s: _middle(o.cx / s.width),
}
REGIONS: Dict[str, Sequence[str]] = {
    "left": ("left",), "right": ("right",), "top": ("top",), "bottom": ("bottom",), "middle": ("middle",),
    "top left": ("top", "left"), "top right": ("top", "right"),
    "bottom left": ("bottom", "left"), "bottom right": ("bottom", "right"),
}
# extreme -> (key to minimise, image side the gap is measured against)
EXTREMES: Dict[str, Callable[[Obj, Scene], float]] = {
    "leftmost": lambda o, s: o.cx / s.width,
    "rightmost": lambda o, s: 1 - o.cx / s.width,
    "highest": lambda o, s: o.cy / s.height,
    "lowest": lambda o, s: 1 - o.cy / s.height,
}


def region_value(region: str, obj: Obj, scene: Scene) -> Tri:
    return _and([_AXES[axis](obj, scene) for axis in REGIONS[region]])


def _directional(along: float, across: float, side: float) -> Tri:
    """``along``: how far the landmark lies in the relation's direction; ``across``: the sideways offset.
    Clearly true when mostly along the direction; clearly false when not along it or far off to the side."""
    if along > RELATION_CLEAR * side and abs(across) < along:
        return True
    return False if along < RELATION_NOT * side or abs(across) > 2 * along else None


def _near(a: Obj, b: Obj, scene: Scene) -> Tri:
    gap = float(np.hypot(a.cx - b.cx, a.cy - b.cy)) - a.extent - b.extent
    if gap < NEAR_TRUE * scene.short_side:
        return True
    return False if gap > NEAR_FALSE * scene.short_side else None


RELATIONS: Dict[str, Callable[[Obj, Obj, Scene], Tri]] = {
    "left_of": lambda a, b, s: _directional(b.cx - a.cx, b.cy - a.cy, s.width),
    "right_of": lambda a, b, s: _directional(a.cx - b.cx, b.cy - a.cy, s.width),
    "above": lambda a, b, s: _directional(b.cy - a.cy, b.cx - a.cx, s.height),
    "below": lambda a, b, s: _directional(a.cy - b.cy, b.cx - a.cx, s.height),
    "next_to": _near,
}


def _describe(desc: Description, scene: Scene) -> List[Tri]:
    objs = scene.objects
    crisp = [o.category == desc.category and desc.colour in (None, o.colour) and desc.size in (None, o.size)
             for o in objs]
    values: List[Tri] = [bool(c) for c in crisp]
    if desc.region is not None:
        values = [_and([v, region_value(desc.region, o, scene)]) if v else v for v, o in zip(values, objs)]
    if desc.extreme is not None:
        values = _and_each(values, _extreme(desc.extreme, crisp, scene))
    return values


def _and_each(a: List[Tri], b: List[Tri]) -> List[Tri]:
    return [_and([x, y]) for x, y in zip(a, b)]


def _extreme(name: str, candidates: List[bool], scene: Scene) -> List[Tri]:
    """True for the candidate furthest in the direction when it leads the next one clearly; unclear when it
    does not, or when there is nothing to compare it with ("the leftmost ball" of a single ball)."""
    key = EXTREMES[name]
    idx = sorted((i for i, c in enumerate(candidates) if c), key=lambda i: key(scene.objects[i], scene))
    out: List[Tri] = [False] * len(candidates)
    if not idx:
        return out
    first = idx[0]
    clear = len(idx) > 1 and key(scene.objects[idx[1]], scene) - key(scene.objects[first], scene) >= EXTREME_GAP
    out[first] = True if clear else None
    if not clear and len(idx) > 1:
        out[idx[1]] = None
    return out


def unique_index(values: Sequence[Tri]) -> Optional[int]:
    """The one object an expression is clearly true of, if every other object is clearly false."""
    hits = [i for i, v in enumerate(values) if v is True]
    if len(hits) == 1 and all(v is False for i, v in enumerate(values) if i != hits[0]):
        return hits[0]
    return None


def denotation(expr: Expression, scene: Scene) -> List[Tri]:
    """The truth value of ``expr`` for each object of ``scene``, in scene order."""
    if isinstance(expr, Description):
        return _describe(expr, scene)
    landmark = unique_index(_describe(expr.landmark, scene))
    if landmark is None:  # "the ball next to the box" with two boxes: unclear for every ball
        return [None if v is not False else False for v in _describe(expr.head, scene)]
    rel = RELATIONS[expr.relation]
    lm = scene.objects[landmark]
    head = _describe(expr.head, scene)
    return [False if i == landmark else _and([h, rel(o, lm, scene)])
            for i, (h, o) in enumerate(zip(head, scene.objects))]


def refers_to(expr: Expression, scene: Scene, target: int) -> bool:
    """Does ``expr`` pick out exactly the object at index ``target``?"""
    return unique_index(denotation(expr, scene)) == target
