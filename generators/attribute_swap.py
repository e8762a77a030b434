"""attribute_swap: the positive with one colour, size or position word, or one relation phrase, replaced by
one of the same kind that cannot describe the same object ("left" -> "right", "big" -> "small", "above"
-> "below", "red" -> a colour outside red's family).

Each edit is checked against every instance the head can name (``claims``): a position or size word
against the only instance (geometry must say NO), a relation phrase against every pair of head and object
instances, a colour only when the target is the only such instance (the positive gives its colour) and the
colour word is not part of a relation object ("next to the *red* car"). Those are ``instances_checked``;
any other edit is ``unverified`` and made only when the build allows it. A relation phrase is swapped only
where it has an object ("bird behind on left" keeps its "behind").
"""
from __future__ import annotations

import random
from typing import List, Optional, Tuple

from . import claims
from .base import INSTANCES_CHECKED, UNVERIFIED, Candidate, Context, shuffled
from .parse import Attribute, Parse
from .words import COLOUR_FAMILIES, OPPOSITES, RELATION_OPPOSITES, fix_articles

NAME = "attribute_swap"
KIND = "instance"
SWAP_COLOURS = ("white", "black", "red", "blue", "green", "yellow", "orange", "pink", "purple", "brown", "gray")

Edit = Tuple[int, int, Tuple[str, ...], str, str]  # start, end, new words, kind, verified


def _edits(ctx: Context, parse: Parse) -> List[Edit]:
    """Every single-word or relation-phrase edit of a parse, each with what the annotations prove of it."""
    tokens = parse.tokens
    head = claims.head_categories(ctx, parse)
    out: List[Edit] = []
    inside, object_span = set(), set()
    for rel in parse.relations:
        inside.update(range(rel.start, rel.end))
        object_span.update(range(rel.end, rel.object.end))
        new = RELATION_OPPOSITES.get(tuple(tokens[rel.start:rel.end]))
        if new is not None:
            ok = claims.relation_contradicted(ctx, head, new, rel.object.category_ids)
            out.append((rel.start, rel.end, new, "relation", INSTANCES_CHECKED if ok else UNVERIFIED))
    for attr in parse.attributes:
        if attr.index in inside or attr.in_relation:
            continue  # a position word inside a relation phrase ("to the *left* of") changes with its phrase
        for new in _replacements(attr, tokens):
            out.append((attr.index, attr.index + 1, (new,), attr.kind,
                        INSTANCES_CHECKED if _checked(ctx, head, attr, new, object_span) else UNVERIFIED))
    return out


def _checked(ctx: Context, head, attr: Attribute, new: str, object_span: set) -> bool:
    if attr.kind == "position":
        return claims.position_contradicted(ctx, head, new)
    if attr.kind == "size":
        return claims.size_contradicted(ctx, head, new)
    only = claims.single_instance(ctx, head)
    return only is not None and only.ann_id == ctx.target_ann_id and attr.index not in object_span


def _replacements(attr: Attribute, tokens) -> List[str]:
    if attr.kind == "colour":
        family = set().union(*(f for f in COLOUR_FAMILIES if attr.word in f), {attr.word})
        return [c for c in SWAP_COLOURS if c not in family and c not in tokens]
    return list(OPPOSITES.get(attr.word, ()))


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for pos in shuffled(rng, ctx.positives):
        tokens = pos.parse.tokens
        edits = [e for e in ctx.cached((NAME, pos.sent_id), lambda: _edits(ctx, pos.parse))
                 if ctx.allow_unverified or e[4] != UNVERIFIED]
        for start, end, new, kind, verified in shuffled(rng, edits):
            out = fix_articles([*tokens[:start], *new, *tokens[end:]])
            if " ".join(out) not in ctx.taken:
                return Candidate(out, verified, {"source_sent_id": pos.sent_id, "replaced": " ".join(
                    tokens[start:end]), "with": " ".join(new), "kind": kind})
    return None
