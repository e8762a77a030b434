"""attribute_swap: the positive with one colour, size or position word replaced by one of the same kind
that cannot describe the same object.

Sizes and positions go to their opposites ("left" -> "right", "big" -> "small", "in front of" ->
"behind"); a left/right/top/bottom
word outside a relation is swapped only when the target's box confirms the original (a target whose
centre is left of the image's middle cannot be "right"). Colours go to a colour outside the original's
family and not already in the sentence ("gray" never becomes "silver"). No annotation can prove that no
*other* object fits the new words, so these negatives are ``unverified``.
"""
from __future__ import annotations

import random
from typing import Optional

from .base import UNVERIFIED, Candidate, Context, shuffled
from .parse import Attribute, Parse
from .words import BOX_AXIS, COLOUR_FAMILIES, OPPOSITES, RELATION_OPPOSITES

NAME = "attribute_swap"
VERIFIED = UNVERIFIED
SWAP_COLOURS = ("white", "black", "red", "blue", "green", "yellow", "orange", "pink", "purple", "brown", "gray")


_BY_FIRST: dict = {}
for _phrase in sorted(RELATION_OPPOSITES, key=len, reverse=True):
    _BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


def _relation_edits(tokens) -> list:
    """(start, end, opposite phrase) of every relation phrase with an opposite, longest match first."""
    edits, i = [], 0
    while i < len(tokens):
        for phrase in _BY_FIRST.get(tokens[i], ()):
            if tuple(tokens[i:i + len(phrase)]) == phrase:
                edits.append((i, i + len(phrase), RELATION_OPPOSITES[phrase]))
                i += len(phrase)
                break
        else:
            i += 1
    return edits


def _edits(ctx: Context, parse: Parse) -> list:
    """Every single-word or relation-phrase edit of a parse: (start, end, new words, kind)."""
    tokens = parse.tokens
    out = [(s, e, new, "relation") for s, e, new in _relation_edits(tokens)]
    # a position word inside a relation phrase ("to the *left* of") changes with its phrase only
    inside = {i for s, e, _, _ in out for i in range(s, e)}
    for attr in parse.attributes:
        if attr.index not in inside:
            out += [(attr.index, attr.index + 1, (new,), attr.kind) for new in _replacements(ctx, attr, tokens)]
    return out


def _box_confirms(ctx: Context, attr: Attribute) -> bool:
    """False only when the target's box contradicts the original position word."""
    if attr.in_relation or attr.word not in BOX_AXIS or ctx.box is None or ctx.image_size is None:
        return True
    axis, side = BOX_AXIS[attr.word]
    x, y, w, h = ctx.box
    centre, extent = (x + w / 2, ctx.image_size[0]) if axis == "x" else (y + h / 2, ctx.image_size[1])
    return (centre - extent / 2) * side > 0


def _replacements(ctx: Context, attr: Attribute, tokens) -> list:
    if attr.kind == "colour":
        family = set().union(*(f for f in COLOUR_FAMILIES if attr.word in f), {attr.word})
        return [c for c in SWAP_COLOURS if c not in family and c not in tokens]
    return list(OPPOSITES.get(attr.word, ())) if _box_confirms(ctx, attr) else []


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for pos in shuffled(rng, ctx.positives):
        tokens = pos.parse.tokens
        for start, end, new, kind in shuffled(rng, _edits(ctx, pos.parse)):
            out = [*tokens[:start], *new, *tokens[end:]]
            if " ".join(out) not in ctx.taken:
                return Candidate(out, VERIFIED, {"source_sent_id": pos.sent_id, "replaced": " ".join(
                    tokens[start:end]), "with": " ".join(new), "kind": kind})
    return None
