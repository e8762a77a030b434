"""count_ordinal: a count or an ordinal past the number of instances ("three dogs" with two dogs; "the
third giraffe from the left" with two giraffes; plural-only nouns in pairs: "the third pair of skis").

The target's category first, then the image's others; the number is one or two past the count of every
instance the noun can name, and no crowd annotation may be among them (a crowd has no count).
``instances_checked``.
"""
from __future__ import annotations

import random
from typing import List, Optional, Tuple

from . import claims
from .base import INSTANCES_CHECKED, Candidate, Context, random_order
from .instance_attribute import categories_in_order, named_by
from .words import counted

NAME = "count_ordinal"
KIND = "instance"
NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
ORDINALS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
MAX_COUNT = 8  # categories with more instances get no count (and "ninth from the left" reads oddly)
SIDES = ("from the left", "from the right", "from left", "from right")


def _options(ctx: Context, cid: int) -> List[Tuple[str, int, str]]:
    """(text, number, count | ordinal) of every count or ordinal the instances of ``cid`` contradict."""
    named = named_by(ctx, cid, ctx.lexicon.noun(cid))
    count = len(claims.named_instances(ctx, named))
    if not 1 <= count <= MAX_COUNT:
        return []
    options = []
    for number in (count + 1, count + 2):
        if claims.count_exceeded(ctx, named, number):
            noun = ctx.lexicon.noun(cid)  # "three pairs of skis", "the third pair of skis from the left"
            options.append((f"{NUMBERS[number]} {counted(noun, plural=True)}", number, "count"))
            options += [(f"the {ORDINALS[number]} {counted(noun)} {side}", number, "ordinal") for side in SIDES]
    return options


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for cid in categories_in_order(ctx, rng):
        options = ctx.cached((NAME, cid), lambda: _options(ctx, cid))
        for text, number, kind in random_order(rng, options):
            if text not in ctx.taken:
                found = claims.named_instances(ctx, named_by(ctx, cid, ctx.lexicon.noun(cid)))
                return Candidate(text.split(), INSTANCES_CHECKED, {
                    "claim": kind, "number": number, "category_id": cid, "instances": len(found),
                    "checked_ann_ids": [i.ann_id for i in found]})
    return None
