"""Evaluation speed and memory at R-RefCOCO scale, against a dense-decoding evaluator in the same process.

Synthetic data: refs on 480 x 640 images with polygon masks sized like RefCOCO objects, 3 positive and 10
negative sentences per ref (150,000 predictions by default), predictions as compressed RLE (positives: the
ground-truth polygon jittered; negatives: random polygons), 10% of them empty, all with scores.

    python benchmarks/bench_evaluate.py                 # full scale
    python benchmarks/bench_evaluate.py --predictions 13000 --dense-limit 2000   # a quick look

Prints: the engine's end-to-end time (load the dataset + read and parse the file + validate + statistics +
every metric), first with cold caches, then warm in a fresh process (with its peak memory), best of three in
this process, and again with the forked second half switched off; the whole ``rris-bench evaluate`` command
in a fresh interpreter (start-up, imports and writing the record included); the dense evaluator's time for
the same numbers, and the ratio; and each protocol profile's time (``--protocol rris-official`` and the other
480 x 480 profiles resize every mask) against the default path's, runs of the two alternating (``--pairs``) so
that both see the same load on a shared machine; the ratio is of the two bests. The dense evaluator decodes
every mask with pycocotools and computes I, U, A with numpy; both feed the same aggregation, and the
benchmark checks that the metrics agree.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pycocotools import mask as mu

from rris_bench.metrics.predictions import info_record, jsonl_line, prediction_record
from rris_bench.datasets import load_dataset
from rris_bench.datasets.refer import write_dataset

H, W = 480, 640
POS, NEG = 3, 10


def polygon(rng: np.random.Generator, cx: float, cy: float, rx: float, ry: float, jitter: float = 0.1):
    t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    r = 1 + jitter * rng.standard_normal(24)
    x = np.clip(cx + rx * r * np.cos(t), 0, W)
    y = np.clip(cy + ry * r * np.sin(t), 0, H)
    return [float(v) for v in np.stack([x, y], 1).ravel()]


def shape(rng: np.random.Generator):
    """Centre and radii of an object: widths 20-400 px, heights 30-470 px (RefCOCO val boxes average
    208 x 265 px on 640 x 480 images)."""
    rx, ry = rng.uniform(10, 200), rng.uniform(15, 235)
    return rng.uniform(rx, W - rx), rng.uniform(ry, H - ry), rx, ry


def make_data(root: Path, n_predictions: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    n_refs = n_predictions // (POS + NEG)
    images = [{"id": i, "height": H, "width": W, "file_name": f"img{i}.jpg"} for i in range(1, n_refs + 1)]
    anns, refs, lines, sid = [], [], [], 1
    cats = [{"id": 1, "name": "person", "supercategory": "person"}]
    for r in range(1, n_refs + 1):
        cx, cy, rx, ry = shape(rng)
        gt = polygon(rng, cx, cy, rx, ry)
        anns.append({"id": r, "image_id": r, "category_id": 1, "segmentation": [gt], "area": 0.0,
                     "bbox": [0, 0, 1, 1], "iscrowd": 0})
        sents, polys = [], []
        for k in range(POS + NEG):
            s = {"sent_id": sid, "raw": "x", "sent": "x", "tokens": ["x"], "exist": k < POS}
            if k >= POS:
                s.update(strategy="random_category", verified="category_absent")
            sents.append(s)
            polys.append(polygon(rng, cx + rng.normal(0, 10), cy + rng.normal(0, 10), rx, ry) if k < POS
                         else polygon(rng, *shape(rng)))
            sid += 1
        rles = mu.frPyObjects(polys, H, W)
        for s, rle in zip(sents, rles):
            empty = rng.random() < 0.10
            seg = None if empty else {"size": [H, W], "counts": rle["counts"].decode("ascii")}
            lines.append(jsonl_line(prediction_record(s["sent_id"], r, seg, float(rng.random()))))
        refs.append({"ref_id": r, "ann_id": r, "image_id": r, "category_id": 1, "split": "val",
                     "file_name": f"img{r}_{r}.jpg", "sent_ids": [s["sent_id"] for s in sents], "sentences": sents})
    write_dataset(root, "rsynth", "unc", refs, {"images": images, "annotations": anns, "categories": cats})
    ds = load_dataset(root, "rsynth")
    path = root / "preds.jsonl"
    path.write_text(jsonl_line({"info": info_record("rsynth", "unc", "val", "synthetic", ds.sha256)}) + "".join(lines))
    return path


def run_engine(root: Path, path: Path, protocol: str = "default"):
    """What ``rris-bench evaluate`` does: load the dataset and the predictions, validate, score."""
    from rris_bench.metrics import evaluate
    from rris_bench.gcpause import paused_gc
    start = time.perf_counter()
    with paused_gc():
        record = evaluate(load_dataset(root, "rsynth", use_cache=True), path, ["val"], protocol=protocol)
    return time.perf_counter() - start, record


def run_dense(root: Path, path: Path, limit: int):
    """Parse with json, decode every prediction and ground truth to dense, I/U/A with numpy, same aggregation."""
    from rris_bench.metrics.aggregate import metrics
    from rris_bench.metrics.stats import SentenceTable
    start = time.perf_counter()
    ds = load_dataset(root, "rsynth")
    records = {r["sent_id"]: r for r in map(json.loads, path.read_text().splitlines()[1:])}
    rows = {k: [] for k in ("sent_id", "ref", "exists", "I", "U", "A", "G", "score")}
    refs = ds.refs_in(["val"])
    done = 0
    for j, ref in enumerate(refs):
        if done >= limit:
            break
        ann = ds.anns[ref["ann_id"]]
        gt = mu.decode(mu.merge(mu.frPyObjects(ann["segmentation"], H, W))).astype(bool)
        for s in ref["sentences"]:
            rec = records[s["sent_id"]]
            seg = rec["segmentation"]
            pred = np.zeros((H, W), bool) if seg is None else \
                mu.decode({"size": seg["size"], "counts": seg["counts"].encode()}).astype(bool)
            a = int(pred.sum())
            if s["exist"]:
                i, u = int(np.count_nonzero(pred & gt)), int(np.count_nonzero(pred | gt))
            else:
                i, u = 0, a
            for key, v in zip(rows, (s["sent_id"], j, s["exist"], i, u, a, int(gt.sum()), rec["score"])):
                rows[key].append(v)
            done += 1
    table = SentenceTable(*(np.array(rows[k]) for k in ("sent_id", "ref", "exists", "I", "U", "A", "G")),
                          score=np.array(rows["score"]), ref_ids=[r["ref_id"] for r in refs])
    values = metrics(table)
    return time.perf_counter() - start, values, done


_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {here!r})
from bench_evaluate import run_engine
seconds, record = run_engine(Path({root!r}), Path({path!r}))
print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--predictions", type=int, default=150_000)
    parser.add_argument("--dense-limit", type=int, default=None,
                        help="dense-evaluate only the first N sentences and scale its time up (default: all)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="runs of each protocol profile, each followed by a run of the default path (default 3)")
    parser.add_argument("--protocols-only", action="store_true",
                        help="stop after the protocol profiles' times (skip the dense evaluator)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["RRIS_BENCH_CACHE"] = str(root / "cache")
        t0 = time.perf_counter()
        path = make_data(root, args.predictions)
        n_lines = len(path.read_text().splitlines()) - 1
        print(f"setup: {n_lines} predictions, {path.stat().st_size / 1e6:.1f} MB JSON Lines, "
              f"{time.perf_counter() - t0:.1f} s")
        cold, _ = run_engine(root, path)  # builds the ground-truth and dataset caches
        print(f"engine, cold caches (ground truth, parsed dataset): {cold:.2f} s")
        child = subprocess.run([sys.executable, "-c", _CHILD.format(here=str(Path(__file__).parent), root=str(root),
                                                                   path=str(path))],
                               capture_output=True, text=True, check=True, env=os.environ)
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"engine, warm cache, fresh process: {measured['seconds']:.2f} s, peak RSS {measured['peak_mb']:.0f} MB "
              f"(its forked helper: {measured['child_peak_mb']:.0f} MB, mostly pages shared with the parent)")
        command = [sys.executable, "-m", "rris_bench.cli", "evaluate", str(path), "--data-root", str(root),
                   "--split", "val", "--out", str(root / "result.json")]
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, env=os.environ)
            walls.append(time.perf_counter() - start)
        print(f"rris-bench evaluate command, fresh interpreter: best of 3 {min(walls):.2f} s "
              f"(all: {', '.join(f'{t:.2f}' for t in walls)})")
        runs = [run_engine(root, path) for _ in range(3)]
        warm, record = min(runs, key=lambda r: r[0])
        print(f"engine, warm cache, this process: best of 3 {warm:.2f} s "
              f"(all: {', '.join(f'{t:.2f}' for t, _ in runs)})")
        from rris_bench.metrics import halves
        saved, halves.MIN_ROWS = halves.MIN_ROWS, 1 << 62
        one = min(run_engine(root, path)[0] for _ in range(3))
        halves.MIN_ROWS = saved
        print(f"engine on one process only (no forked half): best of 3 {one:.2f} s")
        for protocol in ("rris-official", "gres", "lavt", "refzom", "sesame"):
            run_engine(root, path, protocol)  # builds the protocol's ground-truth cache
            # alternate with the default path, so that both see the same load on a shared machine
            pairs = [(run_engine(root, path, protocol)[0], run_engine(root, path)[0]) for _ in range(args.pairs)]
            took, base = min(p for p, _ in pairs), min(d for _, d in pairs)
            print(f"--protocol {protocol}: best of {args.pairs} {took:.2f} s, default path alternating with it "
                  f"best of {args.pairs} {base:.2f} s: {took / base:.2f}x")
        if args.protocols_only:
            return
        limit = args.dense_limit or n_lines
        dense, values, done = run_dense(root, path, limit)
        if done == n_lines:
            worst = max(abs(values[m] - record["metrics"][m]) for m in values if values[m] is not None)
            print(f"dense evaluator: {dense:.2f} s; largest metric difference {worst:.1e}")
        else:
            dense = dense * n_lines / done
            print(f"dense evaluator: {dense:.2f} s (extrapolated from {done} sentences)")
        print(f"ratio dense / engine: {dense / warm:.1f}x")


if __name__ == "__main__":
    main()
