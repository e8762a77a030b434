"""Making one ref's negatives: ``NegativeMaker`` indexes the source dataset (lexicon, parser, instances,
co-occurrence) and gives each ref its generator ``Context``; ``negatives_for`` fills the ref's slots, handing a
slot a strategy cannot fill to the others, and ``negative_sentence`` writes the sentence record."""
from __future__ import annotations

import random
from collections import Counter
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from ..datasets.model import Dataset, Ref, Sentence
from ..generators import STRATEGIES
from ..generators.base import CATEGORY_ABSENT, UNVERIFIED, Candidate, Context, Instance, PoolSentence, Positive
from ..generators.claims import category_rejects
from ..generators.lexicon import Lexicon
from ..generators.parse import Parse, make_parser
from .mix import hard_plan, slot_plan

TRIES = 4  # calls of one strategy for one slot before it counts as unable (a fallback follows)
INSTANCE_TRIES = 50  # the same in a hard slot that wants an instance negative (each refused one is not offered again)


def _ref_categories(ds: Dataset, ref: Ref) -> FrozenSet[int]:
    return frozenset(ds.ref_categories(ref))


def _instance(ann: Mapping[str, Any]) -> Instance:
    x, y, w, h = ann["bbox"]
    return Instance(ann["id"], ann["category_id"], (x, y, w, h), ann.get("area", w * h), bool(ann.get("iscrowd")))


def cooccurrence(image_categories: Mapping[int, Sequence[int]]) -> Dict[int, Dict[int, int]]:
    """category -> other category -> number of images holding both (from the dataset's instances)."""
    out: Dict[int, Counter] = {}
    for cats in image_categories.values():
        for a in cats:
            row = out.setdefault(a, Counter())
            for b in cats:
                if b != a:
                    row[b] += 1
    return {a: dict(row) for a, row in out.items()}


class NegativeMaker:
    """Holds the parsed dataset while the refs of the chosen splits get their negatives."""

    def __init__(self, ds: Dataset, parser_name: str, n_process: int, allow_unverified: bool = False):
        self.ds = ds
        self.lexicon = Lexicon.for_instances(ds.instances)
        self.parser = make_parser(self.lexicon, parser_name, n_process=n_process)
        self.category_ids = sorted(ds.categories)
        self.allow_unverified = allow_unverified
        self.instances: Dict[int, List[Instance]] = {}
        for ann in ds.anns.values():
            if "bbox" in ann:
                self.instances.setdefault(ann["image_id"], []).append(_instance(ann))
        self.supercategory = {cid: str(c.get("supercategory", "")) for cid, c in ds.categories.items()}
        self.cooccurrence = cooccurrence(ds.image_categories)

    def parse_all(self, refs: Sequence[Mapping[str, Any]]) -> Dict[str, Parse]:
        """sent string -> its parse; each distinct expression is parsed once."""
        distinct = sorted({str(s["sent"]) for ref in refs for s in ref["sentences"]})
        return dict(zip(distinct, self.parser.parse_many([s.split() for s in distinct])))

    def pools(self, refs: Sequence[Mapping[str, Any]], parses) -> Dict[str, List[PoolSentence]]:
        out: Dict[str, List[PoolSentence]] = {}
        for ref in refs:
            cats = _ref_categories(self.ds, ref)
            for s in ref["sentences"]:
                parse = parses[str(s["sent"])]
                if not parse.mentions:
                    continue  # "left one" names nothing: on another image it may well be true
                named = cats.union(*(m.category_ids for m in parse.mentions))
                out.setdefault(ref["split"], []).append(PoolSentence(
                    s["sent_id"], str(s.get("raw", s["sent"])), " ".join(parse.tokens), ref["image_id"], named))
        return out

    def context(self, ref: Ref, parses, pool: Sequence[PoolSentence]) -> Context:
        present = frozenset(self.ds.image_categories.get(ref["image_id"], ()))
        image = self.ds.images[ref["image_id"]]
        positives = [Positive(s["sent_id"], " ".join(p.tokens), p)
                     for s, p in ((s, parses[str(s["sent"])]) for s in ref["sentences"])]
        box = tuple(self.ds.ref_box(ref["ref_id"])) if all("bbox" in self.ds.anns[a] for a in ref.targets) \
            else None
        size = (image["width"], image["height"]) if "width" in image and "height" in image else None
        cats = _ref_categories(self.ds, ref)  # one target: its category and ann_id; none or several: None
        category = next(iter(cats)) if len(cats) == 1 else None
        target = ref.targets[0] if len(ref.targets) == 1 else None
        return Context(ref, self.lexicon, present, tuple(c for c in self.category_ids if c not in present),
                       positives, pool, box, size, {p.text for p in positives},
                       tuple(self.instances.get(ref["image_id"], ())), category, target,
                       self.supercategory, self.cooccurrence, self.allow_unverified, self.ds.ann_rle)

    def difficulty(self, ctx: Context, cand: Candidate) -> Optional[str]:
        """'category' when a category phrase of the candidate names only absent categories, else 'instance';
        None when the candidate may not be written (unverified in a default build, or claiming an absent
        category that the presence test does not find)."""
        if cand.verified == UNVERIFIED and not ctx.allow_unverified:
            return None
        rejected = category_rejects(cand.tokens, self.lexicon, ctx.image_categories)
        if cand.verified == CATEGORY_ABSENT and not rejected:
            return None
        return "category" if rejected else "instance"


Made = Tuple[str, Optional[str], Optional[Candidate], Optional[str]]


def negatives_for(maker: NegativeMaker, ctx: Context, weights: Mapping[str, float], n: int, seed: int,
                   hard: bool = False) -> List[Made]:
    """n slots of one ref: (planned strategy, strategy that made it, candidate, difficulty), candidate None
    when no strategy could make a new sentence. A strategy that fails hands over to the others: those of its
    own kind first, heaviest first. With ``hard``, an instance strategy's slot takes only an ``instance``
    negative while any instance strategy can make one."""
    rng = random.Random(f"rris-bench/{seed}/{ctx.ref['ref_id']}")
    order = sorted(weights, key=lambda k: (-weights[k], k))
    out: List[Made] = []
    for planned in (hard_plan if hard else slot_plan)(weights, n, rng):
        kind = STRATEGIES[planned].KIND
        names = [planned, *[k for k in order if k != planned and STRATEGIES[k].KIND == kind],
                 *[k for k in order if STRATEGIES[k].KIND != kind]]
        made: Tuple[Optional[str], Optional[Candidate], Optional[str]] = (None, None, None)
        for name in names:
            want_instance = hard and kind == "instance" and STRATEGIES[name].KIND == "instance"
            for _ in range(INSTANCE_TRIES if want_instance else TRIES):
                cand = STRATEGIES[name].generate(ctx, rng)
                if cand is None:
                    break
                difficulty = maker.difficulty(ctx, cand) if cand.text not in ctx.taken else None
                if difficulty is None or (want_instance and difficulty != "instance"):
                    ctx.taken.add(cand.text)  # not offered again to this ref
                    continue
                made = (name, cand, difficulty)
                break
            if made[1] is not None:
                break
        if made[1] is not None:
            ctx.taken.add(made[1].text)
        out.append((planned, *made))
    return out


def negative_sentence(sent_id: int, name: str, cand: Candidate, difficulty: str,
                       fallback: Optional[str]) -> Sentence:
    text = cand.text
    sent = {"sent_id": sent_id, "raw": cand.raw if cand.raw is not None else text, "sent": text,
            "tokens": list(cand.tokens), "exist": False, "strategy": name, "verified": cand.verified,
            "difficulty": difficulty}
    sent.update(cand.provenance)
    if fallback is not None:
        sent["fallback_for"] = fallback
    return Sentence.of(sent, False)
