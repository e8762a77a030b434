"""Which strategies fill a ref's negative slots: the mixes (``MIXES``: easy, paper, hard), ``--strategies``
weights, and the per-ref slot plans drawn from them (floors first, the rest by remainder)."""
from __future__ import annotations

import random
from typing import Dict, List, Mapping, Optional

from ..errors import InputError
from ..generators import STRATEGIES

PAPER = ("random_sentence", "random_category", "object_swap", "attribute_swap", "relation_swap")
# --mix: strategy weights. paper: the five strategies of the R-RefCOCO paper (its Fig. 2), equal weights;
# easy: the category-level ones alone; hard: half the slots of each ref go to the instance strategies (see
# HARD_INSTANCE_SHARE), the rest to absent categories that fit the scene.
MIXES: Dict[str, Dict[str, float]] = {
    "easy": {"random_sentence": 1.0, "random_category": 1.0, "object_swap": 1.0},
    "paper": {name: 1.0 for name in PAPER},
    "hard": {"attribute_swap": 1.0, "instance_attribute": 1.0, "relation_flip": 1.0, "count_ordinal": 1.0,
             "similar_object": 3.0, "relation_swap": 1.0},
}
DEFAULT_MIX = "paper"
DEFAULT_WEIGHTS: Dict[str, float] = MIXES[DEFAULT_MIX]
HARD_INSTANCE_SHARE = 0.5  # --mix hard: at least this share of each ref's slots want an instance negative


def parse_strategies(spec: Optional[str]) -> Dict[str, float]:
    """'random_sentence=2,object_swap=1' (or 'random_sentence,object_swap', weight 1) -> {name: weight}."""
    if not spec:
        return dict(DEFAULT_WEIGHTS)
    weights: Dict[str, float] = {}
    for item in spec.split(","):
        name, _, value = item.strip().partition("=")
        if name not in STRATEGIES:
            raise InputError(f"unknown strategy {name!r} (known: {', '.join(STRATEGIES)})", field="strategies")
        try:
            weights[name] = float(value) if value else 1.0
        except ValueError:
            raise InputError(f"weight of {name} is not a number: {value!r}", field="strategies") from None
        if not weights[name] >= 0:
            raise InputError(f"weight of {name} must be >= 0", field="strategies")
    if not any(weights.values()):
        raise InputError("at least one strategy needs a positive weight", field="strategies")
    return weights


def resolve_mix(strategies: Optional[Mapping[str, float]], mix: str) -> Dict[str, float]:
    """The positive strategy weights of a build: ``mix``'s (``MIXES``), or ``strategies`` in their place."""
    if mix not in MIXES:
        raise InputError(f"unknown mix {mix!r} ({', '.join(MIXES)})", field="mix")
    weights = dict(MIXES[mix] if strategies is None else parse_strategies(",".join(
        f"{k}={v}" for k, v in strategies.items())))
    return {k: w for k, w in weights.items() if w > 0}


def slot_plan(weights: Mapping[str, float], n: int, rng: random.Random) -> List[str]:
    """n strategy names in proportion to the weights: floors first, the rest drawn by remainder."""
    total = sum(weights.values())
    names = list(weights)
    quota = {k: n * weights[k] / total for k in names}
    plan = [k for k in names for _ in range(int(quota[k]))]
    rest = {k: quota[k] - int(quota[k]) for k in names}
    while len(plan) < n:
        pick = rng.choices(names, [rest[k] for k in names])[0] if any(rest.values()) else rng.choice(names)
        rest[pick] = 0.0
        plan.append(pick)
    rng.shuffle(plan)
    return plan


def hard_plan(weights: Mapping[str, float], n: int, rng: random.Random) -> List[str]:
    """--mix hard: ceil(n * HARD_INSTANCE_SHARE) slots for the instance strategies, the rest for the others,
    each part planned by ``slot_plan``."""
    inst = {k: w for k, w in weights.items() if STRATEGIES[k].KIND == "instance"}
    rest = {k: w for k, w in weights.items() if k not in inst}
    if not inst or not rest:
        return slot_plan(weights, n, rng)
    k = -(-n * int(HARD_INSTANCE_SHARE * 100) // 100)
    plan = slot_plan(inst, k, rng) + slot_plan(rest, n - k, rng)
    rng.shuffle(plan)
    return plan
