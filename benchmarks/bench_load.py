"""What reading a dataset into the model costs, against reading its parsed files alone, in one process.

Synthetic R-RefCOCO-scale refer data (11,538 refs, 3 positive and 10 negative sentences each: 149,994
sentences, one polygon annotation per ref). Timed, best of ``--repeats``, with the garbage collector paused as
``rris-bench evaluate`` does:

- the parts of a warm load: reading and hashing both files (every load does), unpickling the cache (the
  model's ``Ref`` / ``Sentence`` objects, against the builtins the cache held before the model: the one
  part the model changed), indexing (``Dataset``);
- what a cold load adds to parsing: the refer reader's ``to_model`` on parsed refs (the checks, and a copy of
  every record into the model classes);
- ``load_dataset`` end to end, warm cache and from the files.

    python benchmarks/bench_load.py [--predictions 150000] [--repeats 3]
"""
from __future__ import annotations

import argparse
import io
import pickle
import tempfile
import time
from pathlib import Path

from rris_bench.cache import cache_dir
from rris_bench.datasets import load_dataset, refer
from rris_bench.datasets.load import _CacheUnpickler
from rris_bench.datasets.model import Dataset
from rris_bench.files import sha256_bytes
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
        [entry] = (cache_dir() / "datasets").glob(f"{ds.refs_sha256}-{ds.instances_sha256}.pickle")
        model = entry.read_bytes().partition(b"\n")[2]  # after the checksum line
        rows = {
            "read and hash both files": best(lambda: [sha256_bytes(p.read_bytes()) for p in
                                                      (ds.refs_path, ds.instances_path)], args.repeats),
            "unpickle raw cache (before the model)": best(lambda: refer.BuiltinsOnly(io.BytesIO(raw)).load(),
                                                          args.repeats),
            "unpickle model cache": best(lambda: _CacheUnpickler(io.BytesIO(model)).load(), args.repeats),
            "index the model (Dataset)": best(lambda: Dataset(root, "rsynth", "unc", ds.refs_path, ds.instances_path,
                                                              ds.refs_list, ds.instances), args.repeats),
            "check + wrap parsed refs (cold path)": best(lambda: refer.to_model(parsed_refs, ds.refs_path),
                                                         args.repeats),
            "load_dataset, warm cache": best(lambda: load_dataset(root, "rsynth", use_cache=True), args.repeats),
            "load_dataset from the files": best(lambda: load_dataset(root, "rsynth"), args.repeats),
        }
    print(f"{len(ds.sentences):,} sentences, {len(ds.refs):,} refs; best of {args.repeats}")
    for name, seconds in rows.items():
        print(f"  {name:<40} {seconds:6.2f} s")
    ratio = rows["unpickle model cache"] / rows["unpickle raw cache (before the model)"]
    print(f"model cache / raw cache unpickling: {ratio:.2f}x")


if __name__ == "__main__":
    main()
