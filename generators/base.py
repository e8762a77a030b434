"""What a strategy sees (``Context``) and returns (``Candidate``), and helpers the strategies share.

A strategy is a module with ``NAME``, ``VERIFIED`` (what its negatives can prove) and
``generate(ctx, rng) -> Optional[Candidate]``; it returns None when it can make nothing for this ref.
All randomness comes from ``rng`` (seeded per ref), so a ref's negatives never depend on the others.
"""
from __future__ import annotations

import random
from math import gcd
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

from .lexicon import Lexicon
from .parse import Parse

CATEGORY_ABSENT = "category_absent"
UNVERIFIED = "unverified"


@dataclass
class Positive:
    sent_id: int
    text: str
    parse: Parse


@dataclass(frozen=True)
class PoolSentence:
    """A positive of the dataset that random_sentence may borrow."""
    sent_id: int
    raw: str
    text: str
    image_id: int
    categories: FrozenSet[int]  # the source ref's category and every category the text names


@dataclass
class Context:
    """One ref being given negatives."""
    ref: Dict[str, Any]
    lexicon: Lexicon
    image_categories: FrozenSet[int]
    absent: Tuple[int, ...]  # dataset categories with no instance in the image, sorted
    positives: List[Positive]
    pool: Sequence[PoolSentence]
    box: Optional[Tuple[float, float, float, float]] = None  # target [x, y, w, h]
    image_size: Optional[Tuple[int, int]] = None  # (width, height)
    taken: Set[str] = field(default_factory=set)  # texts this ref already has (positives and negatives)


@dataclass
class Candidate:
    tokens: List[str]
    verified: str
    provenance: Dict[str, Any]
    raw: Optional[str] = None  # defaults to the joined tokens

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def random_order(rng: random.Random, items: Sequence) -> Iterator:
    """Each item once, in an order that starts at a random item and steps by a random stride coprime with
    the length (cheaper than a shuffle: strategies usually take the first item)."""
    n = len(items)
    if n == 0:
        return
    start, step = rng.randrange(n), rng.randrange(1, n + 1) if n > 1 else 1
    while gcd(step, n) != 1:
        step += 1
    for k in range(n):
        yield items[(start + k * step) % n]


def absent_nouns(ctx: Context, rng: random.Random, plural: bool = False) -> Iterator[Tuple[int, str]]:
    """Absent categories in random order with the noun for each, checked: every category the noun names
    is absent from the image."""
    for cid in random_order(rng, ctx.absent):
        noun = ctx.lexicon.noun(cid, plural)
        entry = ctx.lexicon.lookup(noun.split())
        named = entry.category_ids if entry is not None else frozenset({cid})
        if not named & ctx.image_categories:
            yield cid, noun


def shuffled(rng: random.Random, items: Sequence) -> list:
    out = list(items)
    rng.shuffle(out)
    return out
