"""relation_flip: a relation between present objects that no pair of their instances satisfies ("a cat
under the chair" when the only cat is on the chair).

First the positives: a relation phrase whose object is present is replaced by another one (``FLIPS``) that
``claims.relation_contradicted`` proves false for every (head instance, object instance) pair. Then new
sentences "the <a> <relation> the <b>" over pairs of the image's categories, the target's first, with the
spatial relations that read well between any two objects (``PAIR_RELATIONS``). ``instances_checked``.
"""
from __future__ import annotations

import random
from typing import Optional

from . import claims
from .base import INSTANCES_CHECKED, Candidate, Context, random_order, shuffled
from .instance_attribute import categories_in_order, named_by
from .words import fix_articles

NAME = "relation_flip"
KIND = "instance"
FLIPS = tuple(tuple(p.split()) for p in (
    "on", "under", "above", "below", "to the left of", "to the right of", "next to", "in front of", "behind"))
PAIR_RELATIONS = tuple(tuple(p.split()) for p in (
    "to the left of", "to the right of", "above", "below", "next to"))


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for pos in shuffled(rng, ctx.positives):
        tokens = pos.parse.tokens
        head = claims.head_categories(ctx, pos.parse)
        for rel in shuffled(rng, pos.parse.relations):
            old = tuple(tokens[rel.start:rel.end])
            for new in random_order(rng, FLIPS):
                if new == old:
                    continue
                out = fix_articles([*tokens[:rel.start], *new, *tokens[rel.end:]])
                if " ".join(out) not in ctx.taken and \
                        claims.relation_contradicted(ctx, head, new, rel.object.category_ids):
                    return Candidate(out, INSTANCES_CHECKED, {
                        "source_sent_id": pos.sent_id, "replaced": " ".join(old), "with": " ".join(new),
                        "claim": "relation"})
    cats = categories_in_order(ctx, rng)
    for a in cats:
        noun_a = ctx.lexicon.noun(a)
        for b in random_order(rng, [c for c in cats if c != a]):
            noun_b = ctx.lexicon.noun(b)
            named_a, named_b = named_by(ctx, a, noun_a), named_by(ctx, b, noun_b)
            if named_a & named_b:
                continue
            for rel in random_order(rng, PAIR_RELATIONS):
                text = " ".join(["the", noun_a, *rel, "the", noun_b])
                if text not in ctx.taken and claims.relation_contradicted(ctx, named_a, rel, named_b):
                    return Candidate(text.split(), INSTANCES_CHECKED, {
                        "claim": "relation", "relation": " ".join(rel), "category_ids": [a, b],
                        "checked_ann_ids": [i.ann_id for i in claims.named_instances(ctx, named_a | named_b)]})
    return None
