"""The dataset builder: adds negative sentences to a refer-format dataset and writes the robust version.

``build_robust_dataset(root, "refcoco")`` reads ``<root>/refcoco``, gives every ref of the chosen splits N
negatives (mixing the strategies of ``rris_bench.generators`` by weight) and writes ``<root>/rrefcoco``:
``refs(<split_by>).p`` (the refer format), ``refs(<split_by>).json`` (the same refs as JSON),
``instances.json`` (the source's, byte for byte), ``manifest.json``, and with ``fmt="grefcoco"`` also
``grefs(<split_by>).json``. The folder is written whole in a temporary sibling and renamed into place.

Determinism: each ref draws from its own ``random.Random`` seeded by (seed, ref_id), so its negatives do not
depend on which other refs are built or in what order; new sent_ids follow the largest existing one in
file order. Same inputs and seed give byte-identical files.
"""
from __future__ import annotations

import contextlib
import json
import pickle
import random
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from .. import __version__
from ..errors import InputError
from ..files import PathLike, atomic_dir, sha256_file
from ..gcpause import paused_gc
from ..progress import bar as progress_bar
from ..datasets import grefcoco, load_dataset, refer
from ..datasets.model import Dataset, Ref, Sentence
from ..datasets.refer import robust_name
from ..generators import STRATEGIES
from ..generators.base import CATEGORY_ABSENT, UNVERIFIED, Candidate, Context, Instance, PoolSentence, Positive
from ..generators.claims import category_rejects
from ..generators.lexicon import Lexicon
from ..generators.parse import Parse, make_parser

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
TRIES = 4  # calls of one strategy for one slot before it counts as unable (a fallback follows)
INSTANCE_TRIES = 50  # the same in a hard slot that wants an instance negative (each refused one is not offered again)
MANIFEST = "manifest.json"
REFS_PICKLE_PROTOCOL = 2  # as rris_bench.datasets.refer writes: both the Python 2 and the Python 3 refer API read it
FORMATS = ("refer", "grefcoco")


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


def _mix(strategies: Optional[Mapping[str, float]], mix: str) -> Dict[str, float]:
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


def _ref_categories(ds: Dataset, ref: Ref) -> FrozenSet[int]:
    return frozenset(ds.ref_categories(ref))


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


class _Builder:
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


def _negatives_for(builder: _Builder, ctx: Context, weights: Mapping[str, float], n: int, seed: int,
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
                difficulty = builder.difficulty(ctx, cand) if cand.text not in ctx.taken else None
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


def _negative_sentence(sent_id: int, name: str, cand: Candidate, difficulty: str,
                       fallback: Optional[str]) -> Sentence:
    text = cand.text
    sent = {"sent_id": sent_id, "raw": cand.raw if cand.raw is not None else text, "sent": text,
            "tokens": list(cand.tokens), "exist": False, "strategy": name, "verified": cand.verified,
            "difficulty": difficulty}
    sent.update(cand.provenance)
    if fallback is not None:
        sent["fallback_for"] = fallback
    return Sentence.of(sent, False)


def _json_bytes(obj: Any, indent: Optional[int] = None) -> bytes:
    return (json.dumps(obj, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


def _dump_json_list(items: Sequence[Any], fh: BinaryIO) -> None:
    """Write ``json.dumps(items)`` + newline item by item: the same bytes, without the whole text in
    memory, and with the C encoder (``json.dump`` to a file falls back to the pure-Python one)."""
    fh.write(b"[")
    for i, item in enumerate(items):
        fh.write(((", " if i else "") + json.dumps(item, ensure_ascii=False)).encode("utf-8"))
    fh.write(b"]\n")


_OUTCOMES = ("toolkit", "counts", "fallbacks", "shortfall", "sent_ids", "files")  # what a build found, not asked


def _check_replace(target: Path, manifest: Mapping[str, Any], overwrite: bool) -> None:
    """Refuse to replace an earlier build of ``target`` made from other inputs or options (source files, seed,
    strategies, splits, parser...) unless ``overwrite``: a rebuild with the same recipe is allowed."""
    old_path = target / MANIFEST
    if overwrite or not old_path.is_file():
        return
    try:
        old = json.loads(old_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    new = json.loads(json.dumps(manifest))
    differ = sorted(k for k in set(old) | set(new) if k not in _OUTCOMES and old.get(k) != new.get(k))
    if differ:
        shown = ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" if k in ("seed", "negatives_per_ref", "parser")
                          else k for k in differ)
        raise InputError(f"holds an earlier build with other inputs or options ({shown}): pass --overwrite to "
                         "replace it, or --out-name NAME to write beside it", target)


@contextlib.contextmanager
def _atomic_dir(target: Path):
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target`` whole
    (``files.atomic_dir``: one complete version in place at every instant, leftovers of a killed build
    repaired on the next start). A folder that build-dataset did not write is never replaced."""
    if target.exists():
        if not target.is_dir():
            raise InputError("exists and is not a folder", target)
        if any(target.iterdir()) and not (target / MANIFEST).is_file():
            raise InputError(f"exists and has no {MANIFEST}: not a folder build-dataset wrote, not replaced",
                             target)
    with atomic_dir(target) as tmp:
        yield tmp


def _without_sentenceless_refs(ds: Dataset) -> Dataset:
    """``ds`` without its refs that have no sentence (negatives alone would make them refs that claim a
    target no sentence describes): skipped, and counted in ``left_out["refs_without_sentences"]``."""
    kept = [ref for ref in ds.refs_list if ref["sentences"]]
    left_out = {**ds.left_out, "refs_without_sentences": len(ds.refs_list) - len(kept)}
    if len(kept) == len(ds.refs_list):
        ds.left_out = left_out
        return ds
    out = Dataset(ds.root, ds.name, ds.split_by, ds.refs_path, ds.instances_path, kept, ds.instances,
                  format=ds.format, image_dirs=ds.image_dirs, left_out=left_out)
    out.__dict__.update(refs_sha256=ds.refs_sha256, instances_sha256=ds.instances_sha256)
    return out


def build_robust_dataset(root: PathLike, dataset: str, *, split_by: Optional[str] = None,
                         out_name: Optional[str] = None, negatives_per_ref: int = 10,
                         strategies: Optional[Mapping[str, float]] = None, seed: int = 0,
                         splits: Optional[Sequence[str]] = None, mix: str = DEFAULT_MIX,
                         allow_unverified: bool = False, fmt: str = "refer", parser: str = "auto",
                         n_process: int = 1, progress: bool = True, source_format: str = "auto",
                         overwrite: bool = True) -> Dict[str, Any]:
    """Build ``<root>/<out_name or r+dataset>`` from ``<root>/<dataset>`` and return its manifest.

    ``mix`` is 'easy' | 'paper' | 'hard' (``MIXES``); ``strategies`` (name -> weight) replaces its weights;
    ``splits`` limits which refs get negatives (the others are copied with ``exist: true`` only);
    ``allow_unverified`` lets in negatives no annotation proves (counted in the manifest);
    ``fmt="grefcoco"`` also writes ``grefs(<split_by>).json``; ``parser`` is 'auto' | 'spacy' | 'lexicon';
    ``source_format``: the source's on-disk format (``rris_bench.datasets.FORMAT_CHOICES``), read into the
    model. ``overwrite=False`` (the command's default) refuses to replace an earlier build in the output
    folder made from other inputs or options (InputError).
    """
    if negatives_per_ref < 0:
        raise InputError("must be >= 0", field="negatives_per_ref")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} ({', '.join(FORMATS)})", field="format")
    weights = _mix(strategies, mix)
    if not weights:
        raise InputError("no strategy left to run", field="strategies")
    root = Path(root)
    ds = load_dataset(root, dataset, split_by, fmt=source_format)
    for ref in ds.refs_list:
        if any(not s.exists for s in ref["sentences"]):
            raise InputError("already has negative sentences (exist: false): build from the original dataset",
                             ds.refs_path, f"ref_id {ref['ref_id']}")
    ds = _without_sentenceless_refs(ds)
    out_name = out_name or robust_name(dataset)
    if out_name == dataset:
        raise InputError("the output would overwrite the source", field="out_name")
    chosen = ds.refs_in(splits)
    with paused_gc():
        return _build(ds, chosen, root, dataset, out_name, negatives_per_ref, weights, seed,
                      mix if strategies is None else "custom", allow_unverified, fmt, parser, n_process, progress,
                      overwrite)


def _build(ds: Dataset, chosen, root: Path, dataset: str, out_name: str, negatives_per_ref: int,
           weights: Dict[str, float], seed: int, mix: str, allow_unverified: bool, fmt: str, parser: str,
           n_process: int, progress: bool, overwrite: bool) -> Dict[str, Any]:
    builder = _Builder(ds, parser, n_process, allow_unverified)
    parses = builder.parse_all(chosen)
    pools = builder.pools(chosen, parses)

    chosen_ids = {ref["ref_id"] for ref in chosen}
    next_id = max(ds.sentences, default=0) + 1
    out_refs: List[Ref] = []
    per_split: Dict[str, Dict[str, Any]] = {}
    # file order: new sent_ids follow it; each ref's negatives are made and stored at once
    for ref in progress_bar(len(ds.refs_list), "negatives", "ref", enabled=progress, iterable=ds.refs_list):
        sentences: List[Sentence] = list(ref["sentences"])
        if ref["ref_id"] in chosen_ids:
            if ref["split"] not in per_split:
                per_split[ref["split"]] = {
                    "refs": 0, "positives": 0, "negatives": 0, "planned": Counter(), "by_strategy": Counter(),
                    "by_verified": Counter(), "by_difficulty": Counter(), "by_strategy_difficulty": Counter(),
                    "fallbacks": Counter(), "shortfall": Counter()}
            split = per_split[ref["split"]]
            split["refs"] += 1
            split["positives"] += len(sentences)
            ctx = builder.context(ref, parses, pools[ref["split"]])
            for planned, name, cand, difficulty in _negatives_for(builder, ctx, weights, negatives_per_ref, seed,
                                                                  mix == "hard"):
                split["planned"][planned] += 1
                if cand is None:
                    split["shortfall"][planned] += 1
                    continue
                if name != planned:
                    split["fallbacks"][f"{planned}->{name}"] += 1
                sentences.append(_negative_sentence(next_id, name, cand, difficulty,
                                                    None if name == planned else planned))
                next_id += 1
                split["negatives"] += 1
                split["by_strategy"][name] += 1
                split["by_verified"][cand.verified] += 1
                split["by_difficulty"][difficulty] += 1
                split["by_strategy_difficulty"][f"{name}/{difficulty}"] += 1
        out_refs.append(Ref.of({**ref, "sentences": sentences}, ref.targets))
    parser_name = builder.parser.name
    del builder, parses, pools  # only the output is needed from here on
    out_path = root / out_name
    out_records = refer.records_of(out_refs, ds.instances, out_path)
    writers: Dict[str, Callable[[BinaryIO], None]] = {
        f"refs({ds.split_by}).p": lambda fh: pickle.dump(out_records, fh, protocol=REFS_PICKLE_PROTOCOL),
        f"refs({ds.split_by}).json": lambda fh: _dump_json_list(out_records, fh),
        "instances.json": lambda fh: fh.write(ds.instances_path.read_bytes()),
    }
    if fmt == "grefcoco":
        writers[f"grefs({ds.split_by}).json"] = lambda fh: _dump_json_list(
            grefcoco.records_of(out_refs, ds.instances, out_path), fh)
    manifest = {
        "schema": "rris-build-manifest/1",
        "toolkit": {"name": "rris-bench", "version": __version__},
        "source": {"dataset": dataset, "split_by": ds.split_by,
                   "files": {ds.refs_path.name: ds.refs_sha256, "instances.json": ds.instances_sha256}},
        "output": {"dataset": out_name, "format": fmt},
        "seed": seed,
        "negatives_per_ref": negatives_per_ref,
        "mix": mix,
        "strategies": weights,
        "allow_unverified": allow_unverified,
        "splits": sorted(per_split),
        "parser": parser_name,
        "counts": {split: {k: dict(sorted(v.items())) if isinstance(v, Counter) else v for k, v in c.items()}
                   for split, c in sorted(per_split.items())},
        "fallbacks": dict(sorted(sum((c["fallbacks"] for c in per_split.values()), Counter()).items())),
        "shortfall": dict(sorted(sum((c["shortfall"] for c in per_split.values()), Counter()).items())),
        "sent_ids": {"first_new": max(ds.sentences, default=0) + 1, "last_new": next_id - 1},
        "left_out": ds.left_out,
    }
    _check_replace(root / out_name, manifest, overwrite)
    with _atomic_dir(root / out_name) as tmp:
        for name, write in writers.items():
            with open(tmp / name, "wb") as fh:
                write(fh)
        manifest["files"] = {name: sha256_file(tmp / name) for name in sorted(writers)}
        (tmp / MANIFEST).write_bytes(_json_bytes(manifest, indent=2))
    return manifest
