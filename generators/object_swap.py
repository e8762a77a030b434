"""object_swap: the positive with its target noun replaced by a noun of an absent category.

"an elephant on the left" -> "a bus on the left": number is kept (plural nouns get a plural), every article
is made to agree with the word after it, the old noun's own modifiers that need not fit the new one are
dropped ("a full glass" -> "a bus", "a white glass" -> "a white bus": ``words.swap_noun``), a noun that
owns a part ("sandwich slice", "back end of elephant": ``parse.owns_a_part``) is not swapped, a sentence whose subject wears, holds, smiles... (``words.
PERSON_WORDS``, clothes, "in green") gets a person only, and one whose subject sits, eats, runs... (``AGENT_WORDS``)
a person or an animal ("a frisbee wearing black" is never made).
"""
from __future__ import annotations

import random
from typing import Iterator, Optional, Tuple

from .base import CATEGORY_ABSENT, Candidate, Context, Positive, absent_nouns, shuffled
from .parse import owns_a_part
from .words import AGENT_WORDS, COLOURS, PERSON_WORDS, swap_noun

NAME = "object_swap"
KIND = "category"
VERIFIED = CATEGORY_ABSENT


def subject_slot(ctx: Context, tokens) -> str:
    """'person', 'animate' (person or animal) or 'any': what the sentence's subject may be."""
    dressed_in = any(a == "in" and b in COLOURS for a, b in zip(tokens, tokens[1:]))  # "man in green"
    if dressed_in or any(w in PERSON_WORDS for w in tokens) or ctx.lexicon.worn_at(tokens) is not None:
        return "person"
    return "animate" if any(w in AGENT_WORDS for w in tokens) else "any"


def swaps(ctx: Context, rng: random.Random, pos: Positive, groups=None
          ) -> Iterator[Tuple[list, int, str, list]]:
    """(tokens, category id, noun, dropped modifiers) for each absent noun put in place of the positive's
    target."""
    target = pos.parse.target
    if owns_a_part(pos.parse.tokens, target.start, target.end):
        return  # "sandwich slice" -> "skateboard slice": the new object may have no such part
    slot = subject_slot(ctx, pos.parse.tokens)
    for cid, noun in absent_nouns(ctx, rng, target.plural, groups=groups, slot=slot):
        tokens, dropped = swap_noun(list(pos.parse.tokens), target.start, target.end, noun)
        yield tokens, cid, noun, dropped


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for pos in shuffled(rng, [p for p in ctx.positives if p.parse.target is not None]):
        for tokens, cid, noun, dropped in swaps(ctx, rng, pos):
            if " ".join(tokens) not in ctx.taken:
                return Candidate(tokens, VERIFIED, {
                    "source_sent_id": pos.sent_id,
                    "replaced": " ".join(pos.parse.tokens[pos.parse.target.start:pos.parse.target.end]),
                    "with": noun, "absent_category_ids": [cid], **({"dropped": dropped} if dropped else {})})
    return None
