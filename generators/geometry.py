"""Geometric predicates on COCO boxes, named like the words they decide: three-valued and conservative.

Every predicate answers ``YES``, ``NO`` or ``UNDECIDED``. A negative sentence may rest only on ``NO``: the
thresholds are chosen so that ``NO`` holds where no careful reader of the image would accept the word, and
everything between the clear cases is ``UNDECIDED`` (the builder then makes no negative from it).

Boxes are COCO ``[x, y, w, h]`` in pixels, y pointing down; the image is ``(width, height)``.

Pairs (``a`` the described object, ``b`` the relation object):

* ``left_of(a, b)``: ``d = (cx(a) - cx(b)) / mean width``; YES when ``d <= -SIDE_YES`` (a clearly left),
  NO when ``d >= SIDE_NO`` (a's centre right of b's by at least a quarter of their mean width) and a's
  left edge is not left of b's (a wide box reaching past a small one stays UNDECIDED);
  ``right_of``, ``above`` (on y) and ``below`` mirror it.
* ``next_to(a, b)`` (also "near", "beside", "by", "close to"): ``g`` = the gap between the boxes over the
  larger box's longer side; YES when ``g <= NEAR_YES``, NO when ``g >= NEAR_NO`` (more than 1.5 such sides
  of empty image between them).
* ``on(a, b)``: NO when the boxes are far apart (as ``next_to`` NO) or a lies wholly below b (a's top under
  b's bottom); YES when a's bottom edge is inside b's upper half and a's centre over b; else UNDECIDED.
  "A on B" covers resting on, riding and hanging on, so little else can be ruled out from boxes.
* ``under(a, b)``: NO when far apart, or when a's centre is above b's centre by ``UNDER_MARGIN`` of b's
  height (a cat sitting on a chair is not under it); YES when a's top is below b's centre and a overlaps
  b horizontally; else UNDECIDED.
* ``in_front_of`` / ``behind``: boxes carry no depth. NO only when the boxes are far apart (one cannot
  occlude, or stand before, an object that far away); never YES.

Single objects against the image (the absolute reading of a position word):

* ``position(word, box, image)``: "left" is NO when the whole box lies right of the image's middle plus
  ``POSITION_MARGIN`` of the width (likewise right / top / bottom); "middle"/"center" is NO when the whole
  box lies within the outer ``1/2 - POSITION_MARGIN`` of one side. Superlatives ("leftmost", "smallest")
  stay UNDECIDED: they hold of an only instance wherever it is. The *relative* reading ("the left dog"
  of two dogs, both in the right half) is always satisfiable when a category has two or more instances, so
  the claims module only uses a position word against a single instance.
* ``size(word, box, image, area)``: "small"-words are NO when the object's mask covers at least
  ``LARGE_SHARE`` of the image; "big"-words NO when its box covers at most ``SMALL_SHARE``. Tall/short and comparatives stay UNDECIDED.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple

Box = Sequence[float]  # [x, y, w, h]
ImageSize = Tuple[float, float]  # (width, height)

YES, NO, UNDECIDED = "yes", "no", "undecided"

SIDE_YES = 1.0  # centres a full mean width apart: clearly to one side
SIDE_NO = 0.25  # the centre a quarter of the mean width to the other side: never "left of"
NEAR_YES = 0.1  # gap of at most a tenth of the larger box's longer side: next to
NEAR_NO = 1.5   # gap of 1.5 times the larger box's longer side: not next to, on, under, in front of
UNDER_MARGIN = 0.1  # a's centre above b's centre by this share of b's height: not under
POSITION_MARGIN = 0.05  # share of the image beyond the middle line the whole box must lie
LARGE_SHARE = 1 / 3  # box area / image area at or above which nothing is "small"
SMALL_SHARE = 0.005  # box area / image area at or below which nothing is "big"


def _centre(box: Box) -> Tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _side(offset: float, scale: float) -> str:
    """YES when ``offset`` (positive = the claimed direction) is clearly large, NO when clearly negative."""
    d = offset / max(scale, 1e-9)
    return YES if d >= SIDE_YES else NO if d <= -SIDE_NO else UNDECIDED


def _before(a: Box, b: Box, axis: int) -> str:
    """Is ``a`` before ``b`` along ``axis`` (0: left of, 1: above)? NO also needs a's near edge not before
    b's: a wide box reaching past a small one ("the person left of the clock" held in front of them) stays
    UNDECIDED."""
    answer = _side(_centre(b)[axis] - _centre(a)[axis], (a[axis + 2] + b[axis + 2]) / 2)
    return UNDECIDED if answer == NO and a[axis] < b[axis] else answer


def _after(a: Box, b: Box, axis: int) -> str:
    answer = _side(_centre(a)[axis] - _centre(b)[axis], (a[axis + 2] + b[axis + 2]) / 2)
    return UNDECIDED if answer == NO and a[axis] + a[axis + 2] > b[axis] + b[axis + 2] else answer


def left_of(a: Box, b: Box) -> str:
    return _before(a, b, 0)


def right_of(a: Box, b: Box) -> str:
    return _after(a, b, 0)


def above(a: Box, b: Box) -> str:
    return _before(a, b, 1)


def below(a: Box, b: Box) -> str:
    return _after(a, b, 1)


def gap(a: Box, b: Box) -> float:
    """Empty space between two boxes over the larger box's longer side (0 when they touch or overlap)."""
    dx = max(b[0] - (a[0] + a[2]), a[0] - (b[0] + b[2]), 0.0)
    dy = max(b[1] - (a[1] + a[3]), a[1] - (b[1] + b[3]), 0.0)
    return (dx * dx + dy * dy) ** 0.5 / max(a[2], a[3], b[2], b[3], 1e-9)


def next_to(a: Box, b: Box) -> str:
    g = gap(a, b)
    return YES if g <= NEAR_YES else NO if g >= NEAR_NO else UNDECIDED


def _x_overlap(a: Box, b: Box) -> bool:
    return min(a[0] + a[2], b[0] + b[2]) > max(a[0], b[0])


def on(a: Box, b: Box) -> str:
    if gap(a, b) >= NEAR_NO or a[1] >= b[1] + b[3]:
        return NO
    bottom, (cx, _) = a[1] + a[3], _centre(a)
    if b[1] <= bottom <= b[1] + b[3] / 2 and b[0] <= cx <= b[0] + b[2]:
        return YES
    return UNDECIDED


def under(a: Box, b: Box) -> str:
    if gap(a, b) >= NEAR_NO or _centre(a)[1] <= _centre(b)[1] - UNDER_MARGIN * b[3]:
        return NO
    if a[1] >= _centre(b)[1] and _x_overlap(a, b):
        return YES
    return UNDECIDED


def in_front_of(a: Box, b: Box) -> str:
    return NO if gap(a, b) >= NEAR_NO else UNDECIDED


behind = in_front_of

PAIR_PREDICATES: Dict[str, Callable[[Box, Box], str]] = {
    "left_of": left_of, "right_of": right_of, "above": above, "below": below, "next_to": next_to,
    "on": on, "under": under, "in_front_of": in_front_of, "behind": behind,
}
# relation phrase (as tokenised in RefCOCO) -> the predicate that decides it
RELATION_PREDICATE: Dict[Tuple[str, ...], str] = {tuple(p.split()): name for p, name in (
    ("left of", "left_of"), ("to the left of", "left_of"), ("on the left of", "left_of"),
    ("right of", "right_of"), ("to the right of", "right_of"), ("on the right of", "right_of"),
    ("above", "above"), ("over", "above"), ("below", "below"), ("beneath", "under"), ("underneath", "under"),
    ("under", "under"), ("on", "on"), ("on top of", "on"), ("next to", "next_to"), ("beside", "next_to"),
    ("besides", "next_to"), ("by", "next_to"), ("near", "next_to"), ("close to", "next_to"),
    ("in front of", "in_front_of"), ("behind", "behind"),
)}

_POSITION_SIDE: Dict[str, Tuple[int, int]] = {  # word -> (axis 0 = x / 1 = y, -1 = low side / +1 = high)
    "left": (0, -1), "leftmost": (0, -1), "right": (0, 1), "rightmost": (0, 1), "top": (1, -1),
    "upper": (1, -1), "topmost": (1, -1), "highest": (1, -1), "bottom": (1, 1), "lower": (1, 1),
    "lowest": (1, 1),
}
MIDDLE_WORDS = frozenset({"middle", "center", "centre"})
# a superlative holds of the only instance whatever its place or size ("the leftmost dog" of one dog)
SUPERLATIVES = frozenset({"leftmost", "rightmost", "topmost", "highest", "lowest", "biggest", "largest",
                          "smallest", "tallest", "shortest"})
SMALL_WORDS = frozenset({"small", "smallest", "little", "tiny"})
BIG_WORDS = frozenset({"big", "biggest", "large", "largest", "huge"})


def position(word: str, box: Box, image: ImageSize) -> str:
    """The absolute reading of a position word for one box (see the module docstring)."""
    if word in MIDDLE_WORDS:
        w, h = image
        outer = 0.5 - POSITION_MARGIN
        if box[0] + box[2] <= outer * w or box[0] >= (1 - outer) * w:
            return NO
        return UNDECIDED
    if word not in _POSITION_SIDE or word in SUPERLATIVES:
        return UNDECIDED
    axis, side = _POSITION_SIDE[word]
    extent = image[axis]
    lo, hi = box[axis], box[axis] + box[axis + 2]
    middle, margin = extent / 2, POSITION_MARGIN * extent
    if side < 0:
        return NO if lo >= middle + margin else YES if hi <= middle - margin else UNDECIDED
    return NO if hi <= middle - margin else YES if lo >= middle + margin else UNDECIDED


def size(word: str, box: Box, image: ImageSize, area: Optional[float] = None) -> str:
    """A size word for one object. "Small" is ruled out by the mask's ``area`` (when known; it is never
    larger than the box's), "big" by the box's area: each the reading that rules out least."""
    if word in SUPERLATIVES:
        return UNDECIDED
    image_area = max(image[0] * image[1], 1e-9)
    box_area = box[2] * box[3]
    if word in SMALL_WORDS:
        return NO if min(box_area, area if area is not None else box_area) / image_area >= LARGE_SHARE else UNDECIDED
    if word in BIG_WORDS:
        return NO if box_area / image_area <= SMALL_SHARE else UNDECIDED
    return UNDECIDED
