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
import os
import pickle
import random
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from tqdm import tqdm

from . import __version__
from .errors import InputError
from .files import PathLike, sha256_file
from .gcpause import paused_gc
from .datasets import grefcoco, refer
from .datasets.model import Dataset, Ref, Sentence
from .refer import load_dataset, robust_name
from .generators import STRATEGIES
from .generators.base import CATEGORY_ABSENT, Candidate, Context, PoolSentence, Positive
from .generators.lexicon import Lexicon
from .generators.parse import Parse, make_parser

DEFAULT_WEIGHTS: Dict[str, float] = {name: 1.0 for name in STRATEGIES}
TRIES = 4  # calls of one strategy for one slot before it counts as unable (a fallback follows)
MANIFEST = "manifest.json"
REFS_PICKLE_PROTOCOL = 2  # as rris_bench.refer writes: both the Python 2 and the Python 3 refer API read it
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


def _mix(strategies: Optional[Mapping[str, float]], verified_only: bool) -> Dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS if strategies is None else parse_strategies(",".join(
        f"{k}={v}" for k, v in strategies.items())))
    if verified_only:
        unverified = [k for k, w in weights.items() if w > 0 and STRATEGIES[k].VERIFIED != CATEGORY_ABSENT]
        if strategies is not None and unverified:
            raise InputError(f"--verified-only excludes {', '.join(unverified)} (its negatives are unverified)",
                             field="strategies")
        weights = {k: w for k, w in weights.items() if k not in unverified}
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


class _Builder:
    """Holds the parsed dataset while the refs of the chosen splits get their negatives."""

    def __init__(self, ds: Dataset, parser_name: str, n_process: int):
        self.ds = ds
        self.lexicon = Lexicon.for_instances(ds.instances)
        self.parser = make_parser(self.lexicon, parser_name, n_process=n_process)
        self.category_ids = sorted(ds.categories)

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
        return Context(ref, self.lexicon, present, tuple(c for c in self.category_ids if c not in present),
                       positives, pool, box, size, {p.text for p in positives})


def _negatives_for(ctx: Context, weights: Mapping[str, float], n: int,
                   seed: int) -> List[Tuple[str, Optional[str], Optional[Candidate]]]:
    """n slots of one ref: (planned strategy, strategy that made it, candidate), candidate None when no
    strategy could make a new sentence. A strategy that fails hands over to the others, heaviest first."""
    rng = random.Random(f"rris-bench/{seed}/{ctx.ref['ref_id']}")
    order = sorted(weights, key=lambda k: (-weights[k], k))
    out: List[Tuple[str, Optional[str], Optional[Candidate]]] = []
    for planned in slot_plan(weights, n, rng):
        made: Tuple[Optional[str], Optional[Candidate]] = (None, None)
        for name in [planned, *[k for k in order if k != planned]]:
            for _ in range(TRIES):
                cand = STRATEGIES[name].generate(ctx, rng)
                if cand is None:
                    break
                if cand.text not in ctx.taken:
                    made = (name, cand)
                    break
            if made[1] is not None:
                break
        if made[1] is not None:
            ctx.taken.add(made[1].text)
        out.append((planned, *made))
    return out


def _negative_sentence(sent_id: int, name: str, cand: Candidate, fallback: Optional[str]) -> Sentence:
    text = cand.text
    sent = {"sent_id": sent_id, "raw": cand.raw if cand.raw is not None else text, "sent": text,
            "tokens": list(cand.tokens), "exist": False, "strategy": name, "verified": cand.verified}
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


@contextlib.contextmanager
def _atomic_dir(target: Path):
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target`` whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if not target.is_dir():
            raise InputError("exists and is not a folder", target)
        if any(target.iterdir()) and not (target / MANIFEST).is_file():
            raise InputError(f"exists and has no {MANIFEST}: not a folder build-dataset wrote, not replaced",
                             target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; the dataset folder gets the usual permissions
    try:
        yield tmp
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
            os.replace(target, old / "x")
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def build_robust_dataset(root: PathLike, dataset: str, *, split_by: Optional[str] = None,
                         out_name: Optional[str] = None, negatives_per_ref: int = 10,
                         strategies: Optional[Mapping[str, float]] = None, seed: int = 0,
                         splits: Optional[Sequence[str]] = None, verified_only: bool = False,
                         fmt: str = "refer", parser: str = "auto", n_process: int = 1,
                         progress: bool = True, source_format: str = "auto") -> Dict[str, Any]:
    """Build ``<root>/<out_name or r+dataset>`` from ``<root>/<dataset>`` and return its manifest.

    ``strategies`` maps strategy name -> weight (default: the five, equal weights); ``splits`` limits which
    refs get negatives (the others are copied with ``exist: true`` only); ``verified_only`` drops strategies
    whose negatives no annotation proves; ``fmt="grefcoco"`` also writes ``grefs(<split_by>).json``;
    ``parser`` is 'auto' | 'spacy' | 'lexicon'; ``source_format``: the source's on-disk format
    (``rris_bench.datasets.FORMAT_CHOICES``), read into the model.
    """
    if negatives_per_ref < 0:
        raise InputError("must be >= 0", field="negatives_per_ref")
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} ({', '.join(FORMATS)})", field="format")
    weights = _mix(strategies, verified_only)
    if not weights:
        raise InputError("no strategy left to run", field="strategies")
    root = Path(root)
    ds = load_dataset(root, dataset, split_by, fmt=source_format)
    for ref in ds.refs_list:
        if any(not s.exists for s in ref["sentences"]):
            raise InputError("already has negative sentences (exist: false): build from the original dataset",
                             ds.refs_path, f"ref_id {ref['ref_id']}")
    out_name = out_name or robust_name(dataset)
    if out_name == dataset:
        raise InputError("the output would overwrite the source", field="out_name")
    chosen = ds.refs_in(splits)
    with paused_gc():
        return _build(ds, chosen, root, dataset, out_name, negatives_per_ref, weights, seed, verified_only, fmt,
                      parser, n_process, progress)


def _build(ds: Dataset, chosen, root: Path, dataset: str, out_name: str, negatives_per_ref: int,
           weights: Dict[str, float], seed: int, verified_only: bool, fmt: str, parser: str, n_process: int,
           progress: bool) -> Dict[str, Any]:
    builder = _Builder(ds, parser, n_process)
    parses = builder.parse_all(chosen)
    pools = builder.pools(chosen, parses)

    chosen_ids = {ref["ref_id"] for ref in chosen}
    next_id = max(ds.sentences, default=0) + 1
    out_refs: List[Ref] = []
    per_split: Dict[str, Dict[str, Any]] = {}
    # file order: new sent_ids follow it; each ref's negatives are made and stored at once
    for ref in tqdm(ds.refs_list, desc="negatives", unit="ref", disable=None if progress else True):
        sentences: List[Sentence] = list(ref["sentences"])
        if ref["ref_id"] in chosen_ids:
            if ref["split"] not in per_split:
                per_split[ref["split"]] = {
                    "refs": 0, "positives": 0, "negatives": 0, "planned": Counter(), "by_strategy": Counter(),
                    "by_verified": Counter(), "fallbacks": Counter(), "shortfall": Counter()}
            split = per_split[ref["split"]]
            split["refs"] += 1
            split["positives"] += len(sentences)
            ctx = builder.context(ref, parses, pools[ref["split"]])
            for planned, name, cand in _negatives_for(ctx, weights, negatives_per_ref, seed):
                split["planned"][planned] += 1
                if cand is None:
                    split["shortfall"][planned] += 1
                    continue
                if name != planned:
                    split["fallbacks"][f"{planned}->{name}"] += 1
                sentences.append(_negative_sentence(next_id, name, cand, None if name == planned else planned))
                next_id += 1
                split["negatives"] += 1
                split["by_strategy"][name] += 1
                split["by_verified"][cand.verified] += 1
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
        "strategies": weights,
        "verified_only": verified_only,
        "splits": sorted(per_split),
        "parser": parser_name,
        "counts": {split: {k: dict(sorted(v.items())) if isinstance(v, Counter) else v for k, v in c.items()}
                   for split, c in sorted(per_split.items())},
        "fallbacks": dict(sorted(sum((c["fallbacks"] for c in per_split.values()), Counter()).items())),
        "shortfall": dict(sorted(sum((c["shortfall"] for c in per_split.values()), Counter()).items())),
        "sent_ids": {"first_new": max(ds.sentences, default=0) + 1, "last_new": next_id - 1},
    }
    with _atomic_dir(root / out_name) as tmp:
        for name, write in writers.items():
            with open(tmp / name, "wb") as fh:
                write(fh)
        manifest["files"] = {name: sha256_file(tmp / name) for name in sorted(writers)}
        (tmp / MANIFEST).write_bytes(_json_bytes(manifest, indent=2))
    return manifest
