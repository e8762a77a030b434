"""Checks of a sentence's claims against *every* instance of the image that the sentence could describe.

A negative is ``instances_checked`` only when each instance its head can name (every instance of the
categories the head noun names through the lexicon, plus the ref's own category; every instance of the
image for a generic head such as "one") contradicts the claim, decided by ``geometry`` and nothing else:

* a position or size word: only when exactly one such instance exists (with two or more, the relative
  reading, "the left dog" / "the small dog", always fits one of them), and geometry says NO for it;
* a relation: every (head instance, object instance) pair gets NO from the relation's predicate;
* a count or ordinal: fewer instances than the number (no crowd annotation among them);
* a colour: the target is the only instance (the positive says its colour; another colour cannot be it).

``category_rejects`` is the category-presence test (the ``category-oracle`` baseline and each negative's
``difficulty``): a category phrase of the sentence names only categories absent from the image.
"""
from __future__ import annotations

from typing import AbstractSet, FrozenSet, List, Optional, Sequence

from . import geometry
from .base import Context, Instance
from .lexicon import Lexicon
from .parse import Parse
from .words import COLOURS


def head_categories(ctx: Context, parse: Parse) -> Optional[FrozenSet[int]]:
    """Categories the head of ``parse`` could name, with the ref's own; None for a generic head ("one"),
    which could name any object."""
    if parse.target is None or not parse.target.category_ids:
        return None
    own = frozenset({ctx.category_id}) if ctx.category_id is not None else frozenset()
    return parse.target.category_ids | own


def named_instances(ctx: Context, categories: Optional[AbstractSet[int]]) -> List[Instance]:
    """The image's instances of ``categories`` (all of them for None)."""
    return [i for i in ctx.instances if categories is None or i.category_id in categories]


def single_instance(ctx: Context, categories: Optional[AbstractSet[int]]) -> Optional[Instance]:
    """The only instance of ``categories`` (None when there are none, several, or a crowd annotation)."""
    found = named_instances(ctx, categories)
    return found[0] if len(found) == 1 and not found[0].iscrowd else None


def position_contradicted(ctx: Context, categories: Optional[AbstractSet[int]], word: str) -> bool:
    only = single_instance(ctx, categories)
    return only is not None and ctx.image_size is not None and \
        geometry.position(word, only.box, ctx.image_size) == geometry.NO


def size_contradicted(ctx: Context, categories: Optional[AbstractSet[int]], word: str) -> bool:
    only = single_instance(ctx, categories)
    return only is not None and ctx.image_size is not None and \
        geometry.size(word, only.box, ctx.image_size, only.area) == geometry.NO


def relation_contradicted(ctx: Context, head: Optional[AbstractSet[int]], phrase: Sequence[str],
                          objects: AbstractSet[int]) -> bool:
    """True when no (head instance, object instance) pair can stand in the relation ``phrase``."""
    name = geometry.RELATION_PREDICATE.get(tuple(phrase))
    heads, objs = named_instances(ctx, head), named_instances(ctx, objects)
    if name is None or not heads or not objs:
        return False
    predicate = geometry.PAIR_PREDICATES[name]
    return all(predicate(a.box, b.box) == geometry.NO for a in heads for b in objs if a.ann_id != b.ann_id)


def count_exceeded(ctx: Context, categories: Optional[AbstractSet[int]], number: int) -> bool:
    """True when the image has fewer than ``number`` instances of ``categories`` and none is a crowd."""
    found = named_instances(ctx, categories)
    return bool(found) and len(found) < number and not any(i.iscrowd for i in found)


def category_rejects(tokens: Sequence[str], lexicon: Lexicon, present: AbstractSet[int]) -> bool:
    """True when a category phrase of ``tokens`` names only categories absent from the image. A colour word
    followed by another word is an adjective ("*orange* shirt"), not the fruit, as in the lexicon parser."""
    for m in lexicon.mentions(tokens):
        if m.end < len(tokens) and m.end - m.start == 1 and tokens[m.start] in COLOURS:
            continue
        if not m.category_ids & present:
            return True
    return False
