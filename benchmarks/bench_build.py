"""Builder benchmark on a synthetic RefCOCO-scale source.

    python benchmarks/bench_build.py [--refs 50000 --sentences 142210 --images 19994] [--workdir DIR]

The source has RefCOCO's counts (50,000 refs, 142,210 expressions, 19,994 images, 80 COCO categories) and
real expressions: each synthetic ref takes the sentences of a real RefCOCO ref of the fixtures
(../shared/fixtures/refcoco_expressions) with the category the parser finds in them, and most sentences get
a real location phrase appended so that, as in RefCOCO, most expressions are distinct. Each image holds its
refs' objects plus distractors. Prints: parsing speed (spaCy and the lexicon parser) over the distinct
expressions, the speed of each strategy, and the full ``build_robust_dataset`` run (10 negatives per ref)
for each mix (``--mixes``, default paper and hard) and parser (``--parsers``, default spacy) in a fresh
process with its wall time, CPU time and peak memory, against the targets (< 60 s, < 2 GB), and the
machine's load average (other jobs stretch wall times, not CPU times).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from spacy.tokens import Doc

from rris_bench.build.negatives import NegativeMaker
from rris_bench.build import build_robust_dataset
from rris_bench.generators import STRATEGIES
from rris_bench.generators.lexicon import Lexicon
from rris_bench.generators.parse import LexiconParser, make_parser
from rris_bench.datasets import load_dataset
from rris_bench.datasets.refer import write_dataset

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SUFFIXES = ("on left", "on right", "in the middle", "far left", "far right", "in front", "in back",
            "on the left side", "on the right side", "at the bottom", "at the top", "closest to us",
            "in the background", "bottom left", "bottom right", "top left", "top right", "second from left",
            "second from right", "near the center", "partially shown", "facing left", "facing right")


def real_refs():
    refs = []
    for path in sorted((FIXTURES / "refcoco_expressions").glob("*.json")):
        refs += [r["sentences"] for r in json.loads(path.read_text())["refs"]]
    return refs


def make_source(root: Path, n_refs: int, n_sentences: int, n_images: int, seed: int = 0) -> None:
    """Write ``<root>/synth/refs(unc).p`` and ``instances.json`` with the given counts."""
    rng = random.Random(seed)
    categories = json.loads((FIXTURES / "refcocog_umd_mini" / "instances.json").read_text())["categories"]
    lexicon = Lexicon(categories)
    parser = LexiconParser(lexicon)
    donors = real_refs()
    cat_ids = [c["id"] for c in categories]
    donor_cat = []
    for sents in donors:
        found = Counter(c for p in parser.parse_many([s.split() for s in sents]) for c in p.target_categories)
        donor_cat.append(found.most_common(1)[0][0] if found else rng.choice(cat_ids))
    per_ref = [n_sentences // n_refs] * n_refs
    for i in rng.sample(range(n_refs), n_sentences - sum(per_ref)):
        per_ref[i] += 1
    images = [{"id": i + 1, "file_name": f"COCO_train2014_{i + 1:012d}.jpg", "height": 480, "width": 640}
              for i in range(n_images)]
    splits = ["train"] * 42404 + ["val"] * 3811 + ["testA"] * 1975 + ["testB"] * 1810
    annotations, refs, sent_id = [], [], 1
    for r in range(n_refs):
        image_id = r % n_images + 1
        d = rng.randrange(len(donors))
        x, y = rng.uniform(0, 560), rng.uniform(0, 400)
        ann_id = len(annotations) + 1
        box = [round(x, 2), round(y, 2), 80.0, 80.0]
        annotations.append({"id": ann_id, "image_id": image_id, "category_id": donor_cat[d], "iscrowd": 0,
                            "bbox": box, "area": 6400.0,
                            "segmentation": [[box[0], box[1], box[0] + 80, box[1], box[0] + 80, box[1] + 80,
                                              box[0], box[1] + 80]]})
        texts = [donors[d][k % len(donors[d])] for k in range(per_ref[r])]
        texts = [t + " " + rng.choice(SUFFIXES) if rng.random() < 0.8 else t for t in texts]
        sentences = [{"tokens": t.split(), "raw": t, "sent_id": sent_id + k, "sent": t} for k, t in enumerate(texts)]
        sent_id += len(sentences)
        split = splits[r * len(splits) // n_refs]
        refs.append({"image_id": image_id, "split": split, "sentences": sentences,
                     "file_name": f"COCO_train2014_{image_id:012d}_{ann_id}.jpg", "category_id": donor_cat[d],
                     "ann_id": ann_id, "sent_ids": [s["sent_id"] for s in sentences], "ref_id": r + 1})
    for image in images:  # distractors: two more objects per image
        for _ in range(2):
            annotations.append({"id": len(annotations) + 1, "image_id": image["id"],
                                "category_id": rng.choice(cat_ids), "iscrowd": 0, "bbox": [0, 0, 10, 10],
                                "area": 100.0, "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]]})
    write_dataset(root, "synth", "unc", refs, {"images": images, "annotations": annotations,
                                              "categories": categories})


def child_build(root: Path, parser: str, mix: str, n_process: int) -> None:
    """Run in a fresh process: the full build, then print wall time and peak memory as JSON."""
    start = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_at_start = usage.ru_utime + usage.ru_stime
    manifest = build_robust_dataset(root, "synth", out_name=f"rsynth_{mix}", parser=parser, mix=mix,
                                    n_process=n_process, progress=False)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_at_start
    peak_kb = usage.ru_maxrss
    negatives = sum(c["negatives"] for c in manifest["counts"].values())
    instance = sum(c["by_difficulty"].get("instance", 0) for c in manifest["counts"].values())
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_kb / 1024, "negatives": negatives,
                      "parser": manifest["parser"], "mix": mix, "instance": instance,
                      "fallbacks": sum(manifest["fallbacks"].values()),
                      "shortfall": sum(manifest["shortfall"].values())}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--refs", type=int, default=50000)
    ap.add_argument("--sentences", type=int, default=142210)
    ap.add_argument("--images", type=int, default=19994)
    ap.add_argument("--workdir", type=Path, default=None, help="where the source goes (an existing one is reused)")
    ap.add_argument("--n-process", type=int, default=1, help="spaCy processes")
    ap.add_argument("--build-only", action="store_true", help="skip the per-stage speeds")
    ap.add_argument("--mixes", default="paper,hard", help="comma-separated mixes of the full builds")
    ap.add_argument("--parsers", default="spacy", help="comma-separated parsers of the full builds (spacy, lexicon)")
    ap.add_argument("--child", nargs=3, metavar=("ROOT", "PARSER", "MIX"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_build(Path(args.child[0]), args.child[1], args.child[2], args.n_process)
        return
    root = args.workdir or Path(tempfile.mkdtemp(prefix="rris-bench-build-"))
    t = time.perf_counter()
    if not (root / "synth" / "refs(unc).p").is_file():
        make_source(root, args.refs, args.sentences, args.images)
    ds = load_dataset(root, "synth")
    print(f"source: {len(ds.refs)} refs, {len(ds.sentences)} expressions, {len(ds.images)} images "
          f"({time.perf_counter() - t:.1f} s to make and load) in {root}")

    if not args.build_only:
        stage_speeds(ds, args.n_process)
    full_builds(root, args.n_process, args.parsers.split(","), args.mixes.split(","))


def stage_speeds(ds, n_process: int) -> None:
    """Parsing speed over the distinct expressions, then each strategy alone over 5,000 refs."""
    builder = NegativeMaker(ds, "lexicon", 1)
    distinct = sorted({tuple(s["sent"].split()) for s in ds.sentences.values()})
    print(f"distinct expressions: {len(distinct)}")
    print("\n| stage | items | seconds | items/s |\n|---|---|---|---|")
    for name in ("lexicon", "spacy"):
        parser = make_parser(builder.lexicon, name, n_process=n_process)
        t = time.perf_counter()
        parser.parse_many(distinct)
        dt = time.perf_counter() - t
        via = f", {sum(map(parser.needs_tags, distinct))} through spaCy" if name == "spacy" else ""
        print(f"| parse ({parser.name}{via}) | {len(distinct)} | {dt:.2f} | {len(distinct) / dt:,.0f} |")
    sample = distinct[:5000]  # what running every expression through spaCy would cost
    t = time.perf_counter()
    list(parser.nlp.pipe((Doc(parser.nlp.vocab, words=list(w)) for w in sample), batch_size=1000))
    dt = time.perf_counter() - t
    print(f"| spaCy pipeline on every expression (for reference) | {len(sample)} | {dt:.2f} | "
          f"{len(sample) / dt:,.0f} |")
    refs = ds.refs_in()
    parses = builder.parse_all(refs)
    pools = builder.pools(refs, parses)
    sample_refs = random.Random(0).sample(refs, 5000)
    for name, module in STRATEGIES.items():
        contexts = [builder.context(r, parses, pools[r["split"]]) for r in sample_refs]
        t = time.perf_counter()
        made = sum(module.generate(c, random.Random(i)) is not None for i, c in enumerate(contexts))
        dt = time.perf_counter() - t
        print(f"| {name} (one sentence per ref, {made} made) | {len(contexts)} | {dt:.2f} | "
              f"{len(contexts) / dt:,.0f} |")



def full_builds(root: Path, n_process: int, parsers, mixes) -> None:
    """``build_robust_dataset`` in a fresh process per parser and mix: wall and CPU time, peak memory."""
    print("\nfull build (fresh process, 10 negatives per ref):")
    print("| mix | parser | wall s | CPU s | peak MB | negatives | instance | fallbacks | shortfall | load avg "
          "| targets met |\n|---|---|---|---|---|---|---|---|---|---|---|")
    for mix in mixes:
        for parser in parsers:
            load = os.getloadavg()[0]
            out = subprocess.run([sys.executable, __file__, "--child", str(root), parser, mix, "--n-process",
                                  str(n_process)], check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            load = max(load, os.getloadavg()[0])
            ok = r["seconds"] < 60 and r["peak_mb"] < 2048
            print(f"| {mix} | {r['parser']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['peak_mb']:.0f} | "
                  f"{r['negatives']} | {r['instance']} | {r['fallbacks']} | {r['shortfall']} | {load:.1f} | "
                  f"{'yes' if ok else 'NO'} (wall < 60 s, < 2048 MB) |", flush=True)
    print(f"machine load average after measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times stretch with it; CPU seconds do not)")


if __name__ == "__main__":
    main()
