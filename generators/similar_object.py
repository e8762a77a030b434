"""similar_object: the target noun replaced by an absent category that fits the scene: one of the target's
supercategory, else one that co-occurs in the dataset's images with a category of this image ("a dog on
the chair" for "a cat on the chair"). Absence is checked as for ``object_swap`` (every category the new noun
names is absent), so the negatives are ``category_absent``, but harder than a random category: the scene
makes them plausible."""
from __future__ import annotations

import random
from typing import Optional

from . import object_swap
from .base import CATEGORY_ABSENT, Candidate, Context, shuffled, similar_absent

NAME = "similar_object"
KIND = "category"
VERIFIED = CATEGORY_ABSENT


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    groups = similar_absent(ctx, ctx.category_id)
    if not any(groups):
        return None
    for pos in shuffled(rng, [p for p in ctx.positives if p.parse.target is not None]):
        for tokens, cid, noun, dropped in object_swap.swaps(ctx, rng, pos, groups):
            if " ".join(tokens) not in ctx.taken:
                return Candidate(tokens, VERIFIED, {
                    "source_sent_id": pos.sent_id,
                    "replaced": " ".join(pos.parse.tokens[pos.parse.target.start:pos.parse.target.end]),
                    "with": noun, "absent_category_ids": [cid],
                    "similar": "supercategory" if cid in groups[0] else "co-occurrence",
                    **({"dropped": dropped} if dropped else {})})
    return None
