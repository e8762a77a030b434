"""Each geometric predicate at its thresholds: clear YES, clear NO and the undecided band between them."""
from __future__ import annotations

import pytest

from rris_bench.generators import geometry as g
from rris_bench.generators.geometry import NO, UNDECIDED, YES


def box_at(cx: float, cy: float, w: float = 100, h: float = 100):
    return (cx - w / 2, cy - h / 2, w, h)


@pytest.mark.parametrize("dx, expected", [
    (-100, YES),          # a one mean width left of b: clearly left
    (-99, UNDECIDED),     # just under the YES threshold
    (-10, UNDECIDED), (0, UNDECIDED), (24, UNDECIDED),  # side by side: nobody can tell
    (25, NO),             # a's centre a quarter width right of b's: never "left of"
    (300, NO),
])
def test_left_of_thresholds(dx, expected):
    a, b = box_at(300 + dx, 200), box_at(300, 200)
    assert g.left_of(a, b) == expected
    assert g.right_of(b, a) == expected  # the mirror
    assert g.above(box_at(200, 300 + dx), box_at(200, 300)) == expected
    assert g.below(box_at(200, 300), box_at(200, 300 + dx)) == expected


def test_a_wide_box_reaching_past_a_small_one_stays_undecided():
    person, clock = (0, 0, 400, 400), (30, 100, 50, 50)  # centre right of the clock, left edge left of it
    assert g.left_of(person, clock) == UNDECIDED
    assert g.left_of((100, 0, 400, 400), clock) == NO


@pytest.mark.parametrize("gap, expected", [(0, YES), (10, YES), (11, UNDECIDED), (149, UNDECIDED), (150, NO)])
def test_next_to_gap_over_the_larger_side(gap, expected):
    a, b = (0, 0, 100, 50), (100 + gap, 0, 80, 80)  # larger side 100
    assert g.next_to(a, b) == expected
    if expected == NO:
        assert g.on(a, b) == NO and g.under(a, b) == NO and g.in_front_of(a, b) == NO and g.behind(a, b) == NO
    else:
        assert g.in_front_of(a, b) == UNDECIDED  # boxes carry no depth


def test_on_and_under():
    chair = (100, 200, 200, 200)       # y 200..400, centre y 300
    cat_on = (150, 120, 100, 100)      # bottom 220: in the chair's upper half
    cat_under = (150, 330, 100, 70)    # top 330 below the chair's centre
    assert g.on(cat_on, chair) == YES and g.under(cat_on, chair) == NO
    assert g.under(cat_under, chair) == YES and g.on(cat_under, chair) == UNDECIDED
    assert g.on((150, 401, 50, 50), chair) == NO  # wholly below the chair
    # the under margin: a's centre must be above b's centre by a tenth of b's height for NO
    assert g.under(box_at(200, 281, 50, 50), chair) == UNDECIDED
    assert g.under(box_at(200, 280, 50, 50), chair) == NO


@pytest.mark.parametrize("word, x0, expected", [
    ("left", 352, NO), ("left", 351, UNDECIDED), ("left", 10, YES),  # 640 wide: middle 320, margin 32
    ("right", 200, NO), ("right", 201, UNDECIDED), ("right", 400, YES),
    ("middle", 200, NO), ("middle", 201, UNDECIDED), ("middle", 351, UNDECIDED), ("middle", 352, NO),
    ("leftmost", 500, UNDECIDED),  # a superlative holds of an only instance anywhere
])
def test_position_words_against_the_image(word, x0, expected):
    # the box is 88 wide: "right" NO needs its right edge at most 288; "middle" NO: wholly in the outer 45%
    assert g.position(word, (x0, 100, 88, 50), (640, 480)) == expected


def test_position_words_on_y():
    assert g.position("top", (0, 265, 10, 10), (640, 480)) == NO  # 480: middle 240, margin 24
    assert g.position("top", (0, 263, 10, 10), (640, 480)) == UNDECIDED
    assert g.position("bottom", (0, 0, 10, 216), (640, 480)) == NO
    assert g.position("front", (0, 0, 10, 10), (640, 480)) == UNDECIDED  # no depth


def test_size_words_against_the_image():
    image = (600, 400)  # area 240,000: a third is 80,000, 0.5% is 1,200
    assert g.size("small", (0, 0, 400, 200), image) == NO
    assert g.size("small", (0, 0, 400, 199), image) == UNDECIDED
    assert g.size("small", (0, 0, 400, 200), image, area=70000) == UNDECIDED  # the mask is smaller
    assert g.size("big", (0, 0, 40, 30), image) == NO
    assert g.size("big", (0, 0, 40, 31), image) == UNDECIDED
    assert g.size("smallest", (0, 0, 600, 400), image) == UNDECIDED
    assert g.size("tall", (0, 0, 1, 1), image) == UNDECIDED
