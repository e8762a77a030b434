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

import pickle
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, List, Mapping, Optional, Sequence

from .. import __version__
from ..datasets import grefcoco, load_dataset, refer
from ..datasets.model import Dataset, Ref, Sentence
from ..datasets.refer import robust_name
from ..errors import InputError
from ..files import PathLike
from ..gcpause import paused_gc
from ..progress import bar as progress_bar
from .mix import DEFAULT_MIX, resolve_mix
from .negatives import NegativeMaker, negative_sentence, negatives_for
from .output import REFS_PICKLE_PROTOCOL, dump_json_list, write_build

FORMATS = ("refer", "grefcoco")


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
    weights = resolve_mix(strategies, mix)
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
    builder = NegativeMaker(ds, parser, n_process, allow_unverified)
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
            for planned, name, cand, difficulty in negatives_for(builder, ctx, weights, negatives_per_ref, seed,
                                                                  mix == "hard"):
                split["planned"][planned] += 1
                if cand is None:
                    split["shortfall"][planned] += 1
                    continue
                if name != planned:
                    split["fallbacks"][f"{planned}->{name}"] += 1
                sentences.append(negative_sentence(next_id, name, cand, difficulty,
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
        f"refs({ds.split_by}).json": lambda fh: dump_json_list(out_records, fh),
        "instances.json": lambda fh: fh.write(ds.instances_path.read_bytes()),
    }
    if fmt == "grefcoco":
        writers[f"grefs({ds.split_by}).json"] = lambda fh: dump_json_list(
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
    write_build(root / out_name, writers, manifest, overwrite)
    return manifest
