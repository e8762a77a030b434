"""What a strategy sees (``Context``) and returns (``Candidate``), and helpers the strategies share.

A strategy is a module with ``NAME``, ``KIND`` ("category": its negatives name an absent category;
"instance": they rest on attributes, relations or counts of present ones) and
``generate(ctx, rng) -> Optional[Candidate]``; it returns None when it can make nothing for this ref.
A candidate's ``verified`` is ``category_absent`` (a category the sentence needs is absent from the image),
``instances_checked`` (every instance the sentence could describe contradicts one of its geometric claims,
see ``claims``) or ``unverified`` (made only when ``ctx.allow_unverified``).
All randomness comes from ``rng`` (seeded per ref), so a ref's negatives never depend on the others.
"""
from __future__ import annotations

import random
from math import gcd
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from .lexicon import Lexicon
from .parse import Parse

CATEGORY_ABSENT = "category_absent"
INSTANCES_CHECKED = "instances_checked"
UNVERIFIED = "unverified"
VERIFIED_VALUES = (CATEGORY_ABSENT, INSTANCES_CHECKED, UNVERIFIED)
ANIMATE_SUPERCATEGORIES = frozenset({"person", "animal"})


@dataclass(frozen=True)
class Instance:
    """One annotation of the image: COCO ``bbox`` [x, y, w, h] in pixels, mask ``area`` in pixels."""
    ann_id: int
    category_id: int
    box: Tuple[float, float, float, float]
    area: float
    iscrowd: bool = False


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
    instances: Tuple[Instance, ...] = ()  # every annotation of the image, the target's included
    category_id: Optional[int] = None  # the ref's own category
    target_ann_id: Optional[int] = None
    supercategory: Mapping[int, str] = field(default_factory=dict)  # category id -> supercategory
    cooccurrence: Mapping[int, Mapping[int, int]] = field(default_factory=dict)  # images holding both
    allow_unverified: bool = False
    mask: Optional[Callable[[int], Any]] = None  # ann_id -> RLE, on request (None: no masks at hand)
    cache: Dict[Any, Any] = field(default_factory=dict)  # what strategies compute once per ref

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()`` once per ref and key: strategies are called many times for one ref."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def is_animate(self, category_id: int) -> bool:
        return self.supercategory.get(category_id) in ANIMATE_SUPERCATEGORIES


@dataclass
class Candidate:
    tokens: List[str]
    verified: str  # one of VERIFIED_VALUES
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


def absent_nouns(ctx: Context, rng: random.Random, plural: bool = False, *,
                 groups: Optional[Sequence[Sequence[int]]] = None, slot: str = "any"
                 ) -> Iterator[Tuple[int, str]]:
    """Absent categories with the noun for each, checked: every category the noun names is absent from the
    image. ``groups`` (default: all absent categories) are tried one after the other, each in random order;
    ``slot`` 'person' keeps only persons, 'animate' persons and animals ("wearing", "eating")."""
    for group in groups if groups is not None else (ctx.absent,):
        for cid in random_order(rng, group):
            if slot == "person" and ctx.supercategory.get(cid) != "person" or \
                    slot == "animate" and not ctx.is_animate(cid):
                continue
            noun = ctx.lexicon.noun(cid, plural)
            entry = ctx.lexicon.lookup(noun.split())
            named = entry.category_ids if entry is not None else frozenset({cid})
            if not named & ctx.image_categories:
                yield cid, noun


def similar_absent(ctx: Context, like: Optional[int]) -> Tuple[List[int], List[int]]:
    """Absent categories that fit the image: (those of ``like``'s supercategory, those that co-occur in the
    dataset's images with a category of this image). An absent noun drawn from these reads like a plausible
    object of the scene ("a dog on the chair" for "a cat on the chair"), not "a train on the apple"."""
    return ctx.cached(("similar_absent", like), lambda: _similar_absent(ctx, like))


def _similar_absent(ctx: Context, like: Optional[int]) -> Tuple[List[int], List[int]]:
    sup = ctx.supercategory.get(like) if like is not None else None
    same = [c for c in ctx.absent if sup is not None and ctx.supercategory.get(c) == sup]
    linked = set().union(*(ctx.cooccurrence.get(p, {}) for p in ctx.image_categories)) - set(same)
    return same, [c for c in ctx.absent if c in linked]


def shuffled(rng: random.Random, items: Sequence) -> list:
    out = list(items)
    rng.shuffle(out)
    return out
