"""Referring expressions for toy objects: sample a meaning, keep it only if it picks out the target alone,
then say it in words (synonyms, size words, region and relation phrasings, RefCOCO-like terse forms).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .scene import Scene
from .semantics import (EXTREMES, REGIONS, RELATIONS, Description, Expression, Relational, denotation,
                        refers_to, region_value, unique_index)
from .world import CATEGORY_BY_NAME, SIZE_WORDS

KINDS: Tuple[str, ...] = ("plain", "region", "extreme", "relation")
KIND_WEIGHTS = np.array([0.4, 0.2, 0.15, 0.25])
P_NAME = 0.6     # the category's own name rather than a synonym
P_COLOUR = 0.6
P_SIZE = 0.3
EXPRESSIONS_PER_REF = (1, 3)
TRIES_PER_REF = 40

RELATION_WORDS: Dict[str, Tuple[str, ...]] = {
    "left_of": ("left of", "to the left of"),
    "right_of": ("right of", "to the right of"),
    "above": ("above", "over"),
    "below": ("below", "under", "beneath"),
    "next_to": ("next to", "beside", "near"),
}
REGION_PREPOSITION = {"left": "on the", "right": "on the", "top": "at the", "bottom": "at the",
                      "middle": "in the"}


def _choice(rng: np.random.Generator, options: Sequence):
    return options[int(rng.integers(len(options)))]


def _noun(rng: np.random.Generator, category: str) -> str:
    cat = CATEGORY_BY_NAME[category]
    return cat.name if rng.random() < P_NAME else _choice(rng, cat.synonyms)


def _head(rng: np.random.Generator, scene: Scene, target: int) -> Description:
    obj = scene.objects[target]
    return Description(obj.category, _noun(rng, obj.category),
                       colour=obj.colour if rng.random() < P_COLOUR else None,
                       size=obj.size if rng.random() < P_SIZE else None)


def _landmark(rng: np.random.Generator, scene: Scene, index: int) -> Optional[Description]:
    """The plainest description that picks out object ``index`` alone (sometimes a fuller one)."""
    obj = scene.objects[index]
    noun = _noun(rng, obj.category)
    variants = [Description(obj.category, noun), Description(obj.category, noun, colour=obj.colour),
                Description(obj.category, noun, size=obj.size),
                Description(obj.category, noun, colour=obj.colour, size=obj.size)]
    unique = [d for d in variants if unique_index(denotation(d, scene)) == index]
    if not unique:
        return None
    return unique[0] if rng.random() < 0.7 else _choice(rng, unique)


def sample_meaning(rng: np.random.Generator, scene: Scene, target: int) -> Optional[Expression]:
    """One candidate meaning for the target, not yet checked for uniqueness (None: this kind does not fit)."""
    kind = KINDS[int(rng.choice(len(KINDS), p=KIND_WEIGHTS))]
    head = _head(rng, scene, target)
    obj = scene.objects[target]
    if kind == "plain":
        return head
    if kind == "region":
        regions = [r for r in REGIONS if region_value(r, obj, scene)]
        return replace(head, region=_choice(rng, regions)) if regions else None
    if kind == "extreme":
        extremes = [e for e in EXTREMES if denotation(replace(head, extreme=e), scene)[target]]
        return replace(head, extreme=_choice(rng, extremes)) if extremes else None
    pairs = [(j, r) for j, other in enumerate(scene.objects) if j != target
             for r, rel in RELATIONS.items() if rel(obj, other, scene)]
    if not pairs:
        return None
    j, relation = _choice(rng, pairs)
    landmark = _landmark(rng, scene, j)
    return Relational(head, relation, landmark) if landmark is not None else None


def _noun_phrase(rng: np.random.Generator, desc: Description, article: bool) -> str:
    words: List[str] = ["the"] if article else []
    if desc.extreme:
        words.append(desc.extreme)
    prefix_region = desc.region is not None and rng.random() < 0.5
    if prefix_region:
        words.append(desc.region)
    if desc.size:
        words.append(_choice(rng, SIZE_WORDS[desc.size]))
    if desc.colour:
        words.append(desc.colour)
    words.append(desc.noun)
    if desc.region is not None and not prefix_region:
        if rng.random() < 0.3:  # terse RefCOCO style: "red ball left"
            words.append(desc.region)
        else:
            words.extend([REGION_PREPOSITION[desc.region.split()[0]], desc.region])
    return " ".join(words)


def realise(rng: np.random.Generator, expr: Expression) -> str:
    """The raw text of a meaning (occasionally capitalised or with a full stop, as annotators write)."""
    if isinstance(expr, Description):
        text = _noun_phrase(rng, expr, article=rng.random() < 0.5 or expr.extreme is not None)
    else:
        text = " ".join([_noun_phrase(rng, expr.head, article=rng.random() < 0.5),
                         _choice(rng, RELATION_WORDS[expr.relation]),
                         _noun_phrase(rng, expr.landmark, article=True)])
    if rng.random() < 0.25:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.15:
        text += "."
    return text


def normalise(raw: str) -> str:
    """RefCOCO's ``sent``: lower case, punctuation dropped, single spaces."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", raw.lower()).split())


def expressions_for(rng: np.random.Generator, scene: Scene, target: int) -> List[str]:
    """1-3 distinct raw expressions, each checked to refer to ``target`` alone (may be fewer, or none)."""
    wanted = int(rng.integers(EXPRESSIONS_PER_REF[0], EXPRESSIONS_PER_REF[1] + 1))
    raws: List[str] = []
    seen = set()
    for _ in range(TRIES_PER_REF):
        meaning = sample_meaning(rng, scene, target)
        if meaning is None or not refers_to(meaning, scene, target):
            continue
        raw = realise(rng, meaning)
        if normalise(raw) not in seen:
            seen.add(normalise(raw))
            raws.append(raw)
            if len(raws) == wanted:
                break
    return raws
