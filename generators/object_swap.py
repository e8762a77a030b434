"""object_swap: the positive with its target noun replaced by a noun of an absent category.

"an elephant on the left" -> "a bus on the left": number is kept (plural nouns get a plural) and every
article is made to agree with the word after it.
"""
from __future__ import annotations

import random
from typing import Optional

from .base import CATEGORY_ABSENT, Candidate, Context, absent_nouns, shuffled
from .words import fix_articles

NAME = "object_swap"
VERIFIED = CATEGORY_ABSENT


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for pos in shuffled(rng, [p for p in ctx.positives if p.parse.target is not None]):
        target = pos.parse.target
        for cid, noun in absent_nouns(ctx, rng, target.plural):
            tokens = list(pos.parse.tokens)
            tokens[target.start:target.end] = noun.split()
            fix_articles(tokens)
            if " ".join(tokens) not in ctx.taken:
                return Candidate(tokens, VERIFIED, {
                    "source_sent_id": pos.sent_id, "replaced": " ".join(pos.parse.tokens[target.start:target.end]),
                    "with": noun, "absent_category_ids": [cid]})
    return None
