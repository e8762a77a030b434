"""Hand-made scenes with several instances of a category: every strategy, run until it can make nothing
more, never makes a negative that an instance of the image satisfies; every ``instances_checked`` claim is
contradicted by every instance; the expected hard negatives appear."""
from __future__ import annotations

import random
from typing import Dict, List

import pytest

from rris_bench.generators import STRATEGIES, claims, geometry
from rris_bench.generators.base import Candidate, Context
from rris_bench.generators.object_swap import subject_slot

from test_generators import SUPER, ctx

LEFT_DOG, RIGHT_DOG = ("dog", (20, 250, 150, 150)), ("dog", (470, 250, 150, 150))
CHAIR, CAT_ON_CHAIR = ("chair", (180, 200, 200, 250)), ("cat", (220, 110, 120, 110))  # cat's bottom 220
GIRAFFES = [("giraffe", (50, 50, 100, 300)), ("giraffe", (300, 60, 100, 300))]
BIG_BUS = [("bus", (0, 0, 640, 300))]


def everything(c: Context) -> Dict[str, List[Candidate]]:
    """Every candidate of every strategy for this context: each strategy runs until it returns None."""
    out: Dict[str, List[Candidate]] = {}
    for name, module in STRATEGIES.items():
        taken = set(c.taken)
        made = []
        for k in range(200):
            cand = module.generate(c, random.Random(k))
            if cand is None:
                break
            made.append(cand)
            c.taken.add(cand.text)
        c.taken = taken
        out[name] = made
    return out


def texts(found: Dict[str, List[Candidate]], name: str) -> set:
    return {cand.text for cand in found[name]}


def assert_checked_claims_hold(c: Context, found) -> None:
    """Every instances_checked claim with a recorded instance list is contradicted by each of them, and the
    list holds every instance of the named category."""
    for cands in found.values():
        for cand in cands:
            assert cand.verified in ("category_absent", "instances_checked"), cand  # the default build
            p = cand.provenance
            if cand.verified != "instances_checked" or "checked_ann_ids" not in p:
                continue
            checked = [i for i in c.instances if i.ann_id in p["checked_ann_ids"]]
            if p["claim"] in ("count", "ordinal"):
                assert len(claims.named_instances(c, {p["category_id"]})) < p["number"]
            elif p["claim"] in ("position", "size"):
                assert checked == claims.named_instances(c, {p["category_id"]}) and len(checked) == 1
                decide = geometry.position if p["claim"] == "position" else geometry.size
                assert decide(p["word"], checked[0].box, c.image_size) == geometry.NO, cand
            elif p["claim"] == "relation" and "category_ids" in p:
                a, b = p["category_ids"]
                pred = geometry.PAIR_PREDICATES[geometry.RELATION_PREDICATE[tuple(p["relation"].split())]]
                for x in claims.named_instances(c, {a}):
                    for y in claims.named_instances(c, {b}):
                        assert pred(x.box, y.box) == geometry.NO, cand


def test_two_dogs_left_and_right():
    c = ctx(["dog on the right", "right dog"], objects=[LEFT_DOG, RIGHT_DOG], target=1)
    found = everything(c)
    made = {cand.text for cands in found.values() for cand in cands}
    # the other dog is on the left: no strategy may claim a dog on the left
    assert not {"dog on the left", "left dog", "dog on the left"} & made
    assert not found["attribute_swap"] and not found["instance_attribute"]
    assert {"three dogs", "the third dog from the left", "the third dog from the right"} <= texts(found, "count_ordinal")
    assert not any(t.startswith(("two ", "the second ")) for t in texts(found, "count_ordinal"))
    assert_checked_claims_hold(c, found)


def test_a_cat_on_a_chair():
    c = ctx(["cat on the chair", "a cat sitting on the chair"], objects=[CAT_ON_CHAIR, CHAIR])
    found = everything(c)
    flips = texts(found, "relation_flip")
    assert "cat under the chair" in flips and "a cat sitting under the chair" in flips
    assert "cat next to the chair" not in flips and "cat on the chair" not in flips  # true of the scene
    # "dog on the chair": an absent animal, the cat's own supercategory first
    similar = found["similar_object"]
    assert similar and all(SUPER[cand.provenance["absent_category_ids"][0]] == "animal" for cand in similar
                           if cand.provenance["similar"] == "supercategory")
    assert "dog on the chair" in texts(found, "similar_object")
    # "sitting" keeps a person or an animal
    for cand in found["similar_object"] + found["object_swap"]:
        if "sitting" in cand.tokens:
            assert SUPER[cand.provenance["absent_category_ids"][0]] in ("person", "animal"), cand.text
    assert_checked_claims_hold(c, found)


def test_two_giraffes():
    c = ctx(["giraffe on left"], objects=GIRAFFES)
    found = everything(c)
    counts = texts(found, "count_ordinal")
    assert {"three giraffes", "the third giraffe from the left", "four giraffes"} <= counts
    assert "two giraffes" not in counts and "the second giraffe from the left" not in counts
    assert not found["attribute_swap"]  # "giraffe on right" is the other giraffe
    assert_checked_claims_hold(c, found)


def test_plural_only_nouns_are_counted_in_pairs():
    c = ctx(["skis on left"], objects=[("skis", (50, 300, 100, 40)), ("skis", (300, 310, 100, 40))])
    counts = texts(everything(c), "count_ordinal")
    assert {"three pairs of skis", "the third pair of skis from the left"} <= counts
    assert not any(t.startswith("the third skis") or t == "three skis" for t in counts), counts
    for seed in range(10):
        out = STRATEGIES["object_swap"].generate(ctx(["a dog on the left"], ["dog"], absent=["skis"]),
                                                 random.Random(seed))
        assert out.text == "a pair of skis on the left"


def test_one_large_bus():
    c = ctx(["big bus", "the bus"], objects=BIG_BUS)
    found = everything(c)
    assert "small bus" in texts(found, "instance_attribute") and "small bus" in texts(found, "attribute_swap")
    assert "big bus" not in texts(found, "instance_attribute")
    assert {"two buses", "the second bus from the left"} <= texts(found, "count_ordinal")
    assert_checked_claims_hold(c, found)


def test_every_category_negative_names_an_absent_category_and_keeps_the_slot():
    c = ctx(["man wearing a red shirt holding a cup", "woman sitting at the table"],
            objects=[("person", (0, 0, 100, 300)), ("cup", (50, 100, 20, 20)), ("dining table", (0, 200, 640, 280))])
    found = everything(c)
    for name in ("object_swap", "similar_object", "relation_swap", "random_category"):
        for cand in found[name]:
            assert claims.category_rejects(cand.tokens, c.lexicon, c.image_categories), cand.text
    # the subject of "wearing"/"holding" is a person: every person category is present, so no swap of it
    for cand in found["object_swap"] + found["similar_object"]:
        assert cand.provenance["replaced"] not in ("man",), cand.text
    assert subject_slot(c, "a frisbee wearing black".split()) == "person"
    assert subject_slot(c, "a cat sitting on the left".split()) == "animate"


@pytest.mark.parametrize("sentence, noun, expected", [
    ("a dog on the left", "skis", "a pair of skis on the left"),
    ("a red dog", "scissors", "a pair of red scissors"),
    ("a dog on the left", "elephant", "an elephant on the left"),
    ("an elephant by the car", "umbrella", "an umbrella by the car"),
])
def test_articles_and_plural_only_nouns_after_a_noun_swap(sentence, noun, expected):
    from rris_bench.generators.words import fix_articles
    tokens = sentence.split()
    i = 2 if tokens[1] == "red" else 1
    tokens[i:i + 1] = [noun]
    assert " ".join(fix_articles(tokens)) == expected


def test_wording_found_in_the_audit():
    """Absurd negatives read in the audit of real data, each made impossible."""
    c = ctx(["man in green to right"], ["person"])
    assert subject_slot(c, "man in green to right".split()) == "person"  # not "sheep in green to right"
    assert subject_slot(c, "man on right putting pizza in oven".split()) == "person"  # not "baseball glove ..."
    for seed in range(20):
        out = STRATEGIES["object_swap"].generate(ctx(["man in green to right"], ["dog"], absent=["sheep", "person"]),
                                                 random.Random(seed))
        assert out is not None and out.text == "person in green to right"
    # "two other pigeons" names the target's own kind: never "two other elephants"
    c = ctx(["a pigeon looking down , to the left of two other pigeons"], ["bird"], absent=["elephant", "giraffe"])
    for seed in range(20):
        out = STRATEGIES["relation_swap"].generate(c, random.Random(seed))
        assert out is None or "other elephants" not in out.text and "other giraffes" not in out.text


@pytest.mark.parametrize("sentence, present, allowed", [
    ("man wearing a red hat", ["person", "dog"], {"person"}),
    ("woman holding an umbrella", ["cat", "umbrella"], {"person"}),
    ("dog eating a frisbee", ["dog", "frisbee"], {"person", "animal"}),
    ("cat sitting on the left", ["cat"], {"person", "animal"}),
])
def test_no_absent_inanimate_subject_of_wearing_holding_sitting_eating(sentence, present, allowed):
    for name in ("object_swap", "similar_object"):
        for seed in range(30):
            c = ctx([sentence], present)
            out = STRATEGIES[name].generate(c, random.Random(seed))
            if out is not None:
                assert SUPER[out.provenance["absent_category_ids"][0]] in allowed, (name, out.text)
                assert all(out.tokens[i] == ("an" if out.tokens[i + 1][0] in "aeiou" else "a")
                           for i in range(len(out.tokens) - 1) if out.tokens[i] in ("a", "an")), out.text
