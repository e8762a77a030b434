"""relation_swap: a relation object of the positive replaced by an absent category ("the cup by the
laptop" -> "the cup by the bus"), or, when the positive has none, a relation to one added at the end
("man on right" -> "man on right next to the bus"). The relation object has no instance in the image,
so the annotations prove the negative."""
from __future__ import annotations

import random
from typing import Optional

from .base import CATEGORY_ABSENT, Candidate, Context, absent_nouns, shuffled
from .words import ADDED_RELATIONS, fix_articles

NAME = "relation_swap"
VERIFIED = CATEGORY_ABSENT


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    positives = shuffled(rng, ctx.positives)
    for pos in positives:  # replace an existing relation object first: the closest to the positive
        for rel in shuffled(rng, pos.parse.relations):
            for cid, noun in absent_nouns(ctx, rng, rel.object.plural):
                tokens = list(pos.parse.tokens)
                tokens[rel.object.start:rel.object.end] = noun.split()
                fix_articles(tokens)
                if " ".join(tokens) not in ctx.taken:
                    return Candidate(tokens, VERIFIED, {
                        "source_sent_id": pos.sent_id, "relation": " ".join(pos.parse.tokens[rel.start:rel.end]),
                        "replaced": " ".join(pos.parse.tokens[rel.object.start:rel.object.end]), "with": noun,
                        "absent_category_ids": [cid]})
    for pos in positives:
        if not pos.parse.tokens:
            continue
        relation = rng.choice(ADDED_RELATIONS)
        for cid, noun in absent_nouns(ctx, rng):
            tokens = [*pos.parse.tokens, *relation.split(), "the", *noun.split()]
            if " ".join(tokens) not in ctx.taken:
                return Candidate(tokens, VERIFIED, {"source_sent_id": pos.sent_id, "relation": relation,
                                                    "added": noun, "absent_category_ids": [cid]})
    return None
