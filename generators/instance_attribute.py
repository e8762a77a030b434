"""instance_attribute: a category of the image with a position or size its only instance contradicts ("the
dog at the top" when the one dog is low in the image; "the small bus" when the only bus fills half of it).

The target's category is tried first, then the image's other categories. A claim is made only when
``claims`` proves it false for every instance the noun can name (so only for a category with one instance:
with two, "the left dog" means the left one of them). ``instances_checked``.
"""
from __future__ import annotations

import random
from typing import List, Optional, Tuple

from . import claims
from .base import INSTANCES_CHECKED, Candidate, Context, random_order

NAME = "instance_attribute"
KIND = "instance"
# (template, the word the claim is about, its kind): "{}" is the category noun
TEMPLATES: Tuple[Tuple[str, str, str], ...] = (
    ("{} on the left", "left", "position"), ("{} on the right", "right", "position"),
    ("left {}", "left", "position"), ("right {}", "right", "position"),
    ("{} at the top", "top", "position"), ("{} at the bottom", "bottom", "position"),
    ("{} in the middle", "middle", "position"), ("small {}", "small", "size"),
    ("the small {}", "small", "size"), ("tiny {}", "tiny", "size"), ("big {}", "big", "size"),
    ("the large {}", "large", "size"), ("huge {}", "huge", "size"),
)


def categories_in_order(ctx: Context, rng: random.Random) -> List[int]:
    """The target's category first, then the image's other categories in random order."""
    others = [c for c in sorted(ctx.image_categories) if c != ctx.category_id]
    head = [ctx.category_id] if ctx.category_id in ctx.image_categories else []
    return head + list(random_order(rng, others))


def named_by(ctx: Context, category_id: int, noun: str) -> frozenset:
    entry = ctx.lexicon.lookup(noun.split())
    return (entry.category_ids if entry is not None else frozenset()) | {category_id}


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    for cid in categories_in_order(ctx, rng):
        noun = ctx.lexicon.noun(cid)
        named = named_by(ctx, cid, noun)
        if claims.single_instance(ctx, named) is None:
            continue
        for template, word, kind in random_order(rng, TEMPLATES):
            check = claims.position_contradicted if kind == "position" else claims.size_contradicted
            text = template.format(noun)
            if text not in ctx.taken and check(ctx, named, word):
                return Candidate(text.split(), INSTANCES_CHECKED, {
                    "claim": kind, "word": word, "category_id": cid,
                    "checked_ann_ids": [i.ann_id for i in claims.named_instances(ctx, named)]})
    return None
