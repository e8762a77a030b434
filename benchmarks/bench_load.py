"""What reading a dataset into the model costs, against reading its parsed files alone, in one process.

Synthetic R-RefCOCO-scale refer data (11,538 refs, 3 positive and 10 negative sentences each: 149,994
sentences, one polygon annotation per ref). Timed, best of ``--repeats``, with the garbage collector paused as
``rris-bench evaluate`` does:

- ``raw cache``: unpickling the parsed files (refs and instances as builtins), what the dataset cache held
  before the model: the floor any loader pays;
- ``model cache``: ``load_dataset(use_cache=True)`` warm: unpickling the cached model (refs as ``Ref`` /
  ``Sentence``) and indexing it;
- ``check + wrap``: the refer reader's ``to_model`` on already parsed refs (the checks, and a copy of every
  record into the model classes): what a cold load adds to parsing;
- ``files``: ``load_dataset(use_cache=False)``: parsing the refs pickle and instances.json, checking, indexing.

    python benchmarks/bench_load.py [--predictions 150000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import io
import pickle
import tempfile
import time
from pathlib import Path

from rris_bench.datasets import load_dataset, refer
from rris_bench.gcpause import paused_gc

POS, NEG = 3, 10


def make_data(root: Path, n_sentences: int) -> None:
    n_refs = n_sentences // (POS + NEG)
    images = [{"id": i, "height": 480, "width": 640, "file_name": f"img{i}.jpg"} for i in range(1, n_refs + 1)]
    anns = [{"id": i, "image_id": i, "category_id": 1, "iscrowd": 0, "area": 100.0, "bbox": [10.0, 10.0, 10.0, 10.0],
             "segmentation": [[10.0, 10.0, 20.0, 10.0, 20.0, 20.0, 10.0, 20.0]]} for i in range(1, n_refs + 1)]
    refs, sid = [], 1
    for r in range(1, n_refs + 1):
        sents = []
        for k in range(POS + NEG):
            sents.append({"sent_id": sid, "raw": "the person on the left", "sent": "the person on the left",
                          "tokens": ["the", "person", "on", "the", "left"], "exist": k < POS})
            sid += 1
        refs.append({"ref_id": r, "ann_id": r, "image_id": r, "category_id": 1, "split": "val",
                     "file_name": f"img{r}_{r}.jpg", "sent_ids": [s["sent_id"] for s in sents], "sentences": sents})
    refer.write_dataset(root, "rsynth", "unc", refs, {"images": images, "annotations": anns,
                                                       "categories": [{"id": 1, "name": "person"}]})


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with paused_gc():
            fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--predictions", type=int, default=150_000, help="Sentences in the synthetic split.")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_data(root, args.predictions)
        ds = load_dataset(root, "rsynth")
        raw = pickle.dumps((refer.safe_load_pickle(ds.refs_path), ds.instances), protocol=5)
        parsed_refs = refer.safe_load_pickle(ds.refs_path)
        load_dataset(root, "rsynth", use_cache=True)  # writes the cache
        rows = {
            "raw cache": best(lambda: refer.BuiltinsOnly(io.BytesIO(raw)).load(), args.repeats),
            "model cache": best(lambda: load_dataset(root, "rsynth", use_cache=True), args.repeats),
            "check + wrap": best(lambda: refer.to_model(parsed_refs, ds.refs_path), args.repeats),
            "files": best(lambda: load_dataset(root, "rsynth"), args.repeats),
        }
    print(f"{len(ds.sentences):,} sentences, {len(ds.refs):,} refs; best of {args.repeats}")
    for name, seconds in rows.items():
        print(f"  {name:<12} {seconds:6.2f} s   {seconds / rows['raw cache']:5.2f}x raw cache")


if __name__ == "__main__":
    main()
