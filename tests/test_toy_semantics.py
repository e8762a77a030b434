"""The toy world's uniqueness checker on hand-made scenes: it accepts what picks out one object and rejects
what is ambiguous or unclear."""
from __future__ import annotations

import numpy as np
import pytest

from rris_bench.datasets.toy.expressions import expressions_for, normalise
from rris_bench.datasets.toy.scene import Scene, make_object
from rris_bench.datasets.toy.semantics import Description, Relational, denotation, refers_to


def _scene(*objects) -> Scene:
    return Scene(160, 120, [make_object(cat, colour, size, cx, cy, 14 if size == "big" else 8)
                            for cat, colour, size, cx, cy in objects])


# 0: red ball left, 1: red ball right, 2: green box top middle, 3: small blue ball bottom middle
ROW = _scene(("ball", "red", "big", 30, 60), ("ball", "red", "big", 130, 60),
             ("box", "green", "big", 80, 22), ("ball", "blue", "small", 80, 100))


def ball(**kw) -> Description:
    return Description("ball", "ball", **kw)


def test_ambiguous_description_is_rejected():
    assert denotation(ball(colour="red"), ROW) == [True, True, False, False]
    assert not refers_to(ball(colour="red"), ROW, 0)
    assert not refers_to(ball(), ROW, 3)


def test_attributes_and_positions_disambiguate():
    assert refers_to(ball(colour="blue"), ROW, 3)
    assert refers_to(ball(size="small"), ROW, 3)
    assert refers_to(ball(colour="red", region="left"), ROW, 0)
    assert refers_to(ball(region="right"), ROW, 1)
    assert refers_to(ball(extreme="leftmost"), ROW, 0)
    assert refers_to(ball(extreme="lowest"), ROW, 3)
    assert refers_to(Description("box", "crate"), ROW, 2)


def test_relations_need_a_unique_landmark():
    # 0: box top left, 1: red ball below it, 2: red ball far right, 3: small blue ball right of the box
    scene = _scene(("box", "green", "big", 25, 30), ("ball", "red", "big", 25, 85),
                   ("ball", "red", "big", 145, 85), ("ball", "blue", "small", 80, 30))
    box = Description("box", "box")
    assert denotation(Relational(ball(colour="red"), "below", box), scene) == [False, True, False, False]
    assert refers_to(Relational(ball(colour="red"), "below", box), scene, 1)
    assert denotation(Relational(ball(), "right_of", box), scene) == [False, False, True, True]  # two of them
    # the landmark "red ball" is ambiguous, so "the box above the red ball" is unclear for the box
    assert denotation(Relational(box, "above", ball(colour="red")), scene) == [None, False, False, False]
    assert not refers_to(Relational(box, "above", ball(colour="red")), scene, 0)


def test_unclear_positions_are_rejected_not_guessed():
    # ball 0 sits near the middle (x share 0.44): neither clearly left nor clearly not
    near_middle = _scene(("ball", "red", "big", 70, 60), ("ball", "red", "big", 140, 60))
    assert denotation(ball(region="left"), near_middle) == [None, False]
    assert not refers_to(ball(region="left"), near_middle, 0)
    # leftmost needs a clear lead over the runner-up
    close = _scene(("ball", "red", "big", 60, 30), ("ball", "red", "big", 70, 90))
    assert not refers_to(ball(extreme="leftmost"), close, 0)


def test_superlative_of_a_single_candidate_is_rejected():
    # "the rightmost small ball" when there is one small ball says something false-sounding: rejected
    assert not refers_to(ball(size="small", extreme="rightmost"), ROW, 3)


def _twins_and_box() -> Scene:
    """Two identical red balls side by side in the centre (nothing tells them apart) and a green box."""
    return _scene(("ball", "red", "small", 72, 60), ("ball", "red", "small", 88, 60),
                  ("box", "green", "big", 130, 25))


@pytest.mark.parametrize("seed", range(5))
def test_generator_gives_indistinguishable_objects_no_expression(seed):
    rng = np.random.default_rng(seed)
    scene = _twins_and_box()
    assert expressions_for(rng, scene, 0) == []
    assert expressions_for(rng, scene, 1) == []
    boxes = expressions_for(rng, scene, 2)
    assert boxes and all(any(w in normalise(r).split() for w in ("box", "cube", "crate", "square")) for r in boxes)
