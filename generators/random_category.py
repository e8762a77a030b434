"""random_category: the bare name of a category with no instance in the image ("bear")."""
from __future__ import annotations

import random
from typing import Optional

from .base import CATEGORY_ABSENT, Candidate, Context, random_order

NAME = "random_category"
KIND = "category"
VERIFIED = CATEGORY_ABSENT


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for cid in random_order(rng, ctx.absent):
        noun = ctx.lexicon.noun(cid)
        entry = ctx.lexicon.lookup(noun.split())
        named = entry.category_ids if entry is not None else frozenset({cid})
        if noun not in ctx.taken and not named & ctx.image_categories:
            return Candidate(noun.split(), VERIFIED, {"absent_category_ids": sorted(named)})
    return None
