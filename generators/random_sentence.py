"""random_sentence: an expression of another image whose categories are all absent from this one."""
from __future__ import annotations

import random
from typing import Optional

from .base import CATEGORY_ABSENT, Candidate, Context

NAME = "random_sentence"
KIND = "category"
VERIFIED = CATEGORY_ABSENT
DRAWS = 30  # random draws from the pool before giving up (then the builder falls back)


def generate(ctx: Context, rng: random.Random) -> Optional[Candidate]:
    if not ctx.pool:
        return None
    image_id = ctx.ref["image_id"]
    for _ in range(DRAWS):
        src = ctx.pool[rng.randrange(len(ctx.pool))]
        if src.image_id == image_id or src.categories & ctx.image_categories or src.text in ctx.taken \
                or not src.categories:
            continue
        return Candidate(src.text.split(), VERIFIED, {"source_sent_id": src.sent_id,
                                                      "absent_category_ids": sorted(src.categories)},
                         raw=src.raw)
    return None
