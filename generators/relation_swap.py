"""relation_swap: a relation object of the positive replaced by an absent category ("the cup by the
laptop" -> "the cup by the keyboard"), or, when the positive has none, a relation to one added at the end
("man on right" -> "man on right next to the bench"). The relation object has no instance in the image,
so the annotations prove the negative (``category_absent``).

The new object is drawn as a scene would hold it, not uniformly: a replaced object by an absent category of
its own supercategory first, then one that co-occurs in the dataset with a category of the image; an added
one from the co-occurring categories only; an object after "other" / "another" ("near two other doves") is
of the target's own kind and is left alone. A replaced object must fit the relation's frame ("sitting on" a
chair, bench, couch or toilet; "sitting at" a table: ``frames``), and is swapped only where the old object
fits it too; the old object's own modifiers are dropped unless they fit any object ("a full glass" -> "a
bowl", ``words.swap_noun``); an object that owns a part ("the back of the bus") is left alone. A relation
is added only after a sentence that ends in a noun phrase, never after a bare preposition ("laptop on" gets
nothing).
"""
from __future__ import annotations

import random
from typing import Optional

from . import frames
from .base import CATEGORY_ABSENT, Candidate, Context, absent_nouns, shuffled, similar_absent
from .parse import owns_a_part
from .words import ADDED_RELATIONS, ARTICLES, ATTRIBUTE_KIND, RELATIONS, fix_articles, swap_noun

NAME = "relation_swap"
KIND = "category"
VERIFIED = CATEGORY_ABSENT
SAME_KIND = frozenset({"other", "another", "others"})
# words that leave a phrase open when they end a sentence: relation words (not the position words of
# "to the left of"), articles and a few function words
DANGLING = (frozenset(w for p in RELATIONS for w in p) - frozenset(ATTRIBUTE_KIND)) | ARTICLES | {
    "the", "of", "from", "and", "is", "are", "to", "with"}


def ends_in_noun_phrase(tokens) -> bool:
    """False when the sentence ends in a preposition, an article or a relation word ("bird in front of",
    "laptop on"): nothing may be appended to it."""
    return bool(tokens) and tokens[-1] not in DANGLING


def fitting(ctx: Context, tokens, rel, groups):
    """``groups`` of absent categories cut to those the relation's frame admits; none at all when the frame
    does not admit the object being replaced ("talking on the phone": an idiom the table does not know)."""
    fits = frames.frame(tokens, rel.start, rel.end)
    if fits is None:
        return groups

    def ok(cid: int) -> bool:
        return fits(ctx.lexicon.names.get(cid, ""), ctx.supercategory.get(cid))

    if not rel.object.category_ids or not all(ok(c) for c in rel.object.category_ids):
        return ()
    return tuple([c for c in group if ok(c)] for group in groups)


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    positives = shuffled(rng, ctx.positives)
    for pos in positives:  # replace an existing relation object first: the closest to the positive
        for rel in shuffled(rng, pos.parse.relations):
            if SAME_KIND & set(pos.parse.tokens[rel.end:rel.object.start]):
                continue  # "two other pigeons" names the target's own kind: "two other elephants" is absurd
            if owns_a_part(pos.parse.tokens, rel.object.start, rel.object.end):
                continue  # "on the back of the bus": the new object may have no back
            like = min(rel.object.category_ids) if rel.object.category_ids else None
            groups = fitting(ctx, pos.parse.tokens, rel, similar_absent(ctx, like))
            for cid, noun in absent_nouns(ctx, rng, rel.object.plural, groups=groups):
                tokens, dropped = swap_noun(list(pos.parse.tokens), rel.object.start, rel.object.end, noun)
                if " ".join(tokens) not in ctx.taken:
                    return Candidate(tokens, VERIFIED, {
                        "source_sent_id": pos.sent_id, "relation": " ".join(pos.parse.tokens[rel.start:rel.end]),
                        "replaced": " ".join(pos.parse.tokens[rel.object.start:rel.object.end]), "with": noun,
                        "absent_category_ids": [cid], **({"dropped": dropped} if dropped else {})})
    for pos in positives:
        if not ends_in_noun_phrase(pos.parse.tokens):
            continue
        relation = rng.choice(ADDED_RELATIONS)
        for cid, noun in absent_nouns(ctx, rng, groups=similar_absent(ctx, None)[1:]):
            tokens = fix_articles([*pos.parse.tokens, *relation.split(), "the", *noun.split()])
            if " ".join(tokens) not in ctx.taken:
                return Candidate(tokens, VERIFIED, {"source_sent_id": pos.sent_id, "relation": relation,
                                                    "added": noun, "absent_category_ids": [cid]})
    return None
