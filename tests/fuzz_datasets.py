"""Fuzz driver: hypothesis-mutated refer datasets (refs pickle and instances.json) through ``stats``,
``evaluate``, ``run`` and ``build-dataset``. Every command must exit 0 or 2 (2 with one ``rris-bench: error:``
message), never raise, hang or score an impossible number (negative I, I above min(A, G), U != A + G - I).

Run by ``test_fuzz_faults.py`` in a child process under a memory cap and a timeout (a crash inside a C library
fails that test instead of killing pytest): ``python fuzz_datasets.py WORKDIR N_EXAMPLES``. Prints one JSON line
per example; exits 1 on the first violation (hypothesis prints the falsifying mutations).
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import pickle
import shutil
import signal
import sys
import traceback
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from rris_bench.datasets import toy
from rris_bench.cli import main as cli_main
from rris_bench.datasets.refer import instances_json_bytes

CASE_SECONDS = 30  # a Python-level hang of one example is cut here (the parent's timeout catches C loops)

WEIRD = st.sampled_from([None, True, False, -1, 0, 1, 2 ** 70, 1.5, 1e308, float("nan"), float("inf"), "", "x",
                         "../../etc/passwd", "a\nb", [], [1], [[1, 2]], {}, {"a": 1}, [[[[[]]]]]])
COORD = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 12, 10 ** 12),
                  st.floats(-50, 250))
POLYGON = st.lists(st.lists(COORD, min_size=0, max_size=12), min_size=0, max_size=3)
COUNTS_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=130), max_size=30)
RLE = st.fixed_dictionaries({"size": st.one_of(st.just("image"), st.lists(st.integers(-2, 300), max_size=3)),
                             "counts": st.one_of(COUNTS_TEXT, st.lists(st.integers(-5, 20000), max_size=8))})
VALUE = st.one_of(WEIRD, POLYGON, RLE, st.integers(-3, 10 ** 6), st.text(max_size=8))

KEYS = {
    "ref": ["ref_id", "ann_id", "image_id", "split", "category_id", "sentences", "sent_ids"],
    "sentence": ["sent_id", "sent", "raw", "tokens", "exist"],
    "image": ["id", "height", "width", "file_name"],
    "annotation": ["id", "image_id", "category_id", "segmentation", "bbox", "segmentation", "segmentation"],
    "category": ["id", "name"],
    "top": ["images", "annotations", "categories"],
}
MUTATION = st.tuples(st.sampled_from(sorted(KEYS)), st.integers(0, 10 ** 6), st.integers(0, 10 ** 6),
                     st.booleans(), VALUE)
# edits that keep the dataset valid (exit 0 expected unless combined with a bad one): (kind, which, edit name)
VALID_EDIT = st.tuples(st.sampled_from(["valid"]), st.integers(0, 10 ** 6),
                       st.sampled_from(["no sentences", "exist 0", "exist 1", "degenerate part", "near the border",
                                        "full RLE", "compressed RLE", "category unused"]))
EDITS = st.lists(st.one_of(VALID_EDIT, MUTATION), min_size=0, max_size=3)


def valid_edit(refs: List[Dict], instances: Dict, which: int, name: str) -> None:
    """An edit the checks must accept (positives with an empty or odd ground truth, refs without sentences)."""
    ref = refs[which % len(refs)]
    ann = instances["annotations"][which % len(instances["annotations"])]
    image = next(im for im in instances["images"] if im["id"] == ann["image_id"])
    h, w = image["height"], image["width"]
    if name == "no sentences":
        ref["sentences"], ref["sent_ids"] = [], []
    elif name.startswith("exist"):
        for sent in ref["sentences"]:
            sent["exist"] = int(name[-1])
    elif name == "degenerate part":
        ann["segmentation"] = [[1.0, 1.0, 2.0, 2.0]] + list(ann["segmentation"])
    elif name == "near the border":
        ann["segmentation"] = [[-w * 0.5, -h * 0.5, w * 1.5, -2.0, w * 1.5, h * 1.5]]
    elif name == "full RLE":
        ann["segmentation"] = {"size": [h, w], "counts": [0, h * w]}
    elif name == "compressed RLE":
        from rris_bench import masks
        import numpy as np
        mask = np.zeros((h, w), dtype=bool)
        mask[h // 4: h // 2, w // 3: w // 2] = True
        ann["segmentation"] = masks.encode(mask)
    else:
        instances["categories"].append({"id": 999, "name": "unused", "supercategory": "x"})


def _records(kind: str, refs: List[Dict], instances: Dict) -> List[Dict]:
    if kind == "ref":
        return refs
    if kind == "sentence":
        return [s for r in refs if isinstance(r.get("sentences"), list) for s in r["sentences"] if isinstance(s, dict)]
    if kind == "top":
        return [instances]
    return [x for x in instances.get(kind + "s" if kind != "category" else "categories", []) if isinstance(x, dict)] \
        if isinstance(instances.get(kind + "s" if kind != "category" else "categories"), list) else []


def mutate(refs: List[Dict], instances: Dict, mutations: Sequence[Tuple[str, int, int, bool, Any]]) -> None:
    """Apply (kind, which record, which key, delete?, value) mutations; the image size of an RLE is filled in."""
    for mutation in sorted(mutations, key=lambda m: m[0] != "valid"):  # valid edits first, on the intact world
        if mutation[0] == "valid":
            valid_edit(refs, instances, *mutation[1:])
            continue
        kind, which, key_index, delete, value = mutation
        records = _records(kind, refs, instances)
        if not records:
            continue
        record = records[which % len(records)]
        key = KEYS[kind][key_index % len(KEYS[kind])]
        if delete:
            record.pop(key, None)
            continue
        value = copy.deepcopy(value)
        if isinstance(value, dict) and value.get("size") == "image":
            image = next((im for im in instances.get("images", []) if isinstance(im, dict)), {})
            value["size"] = [image.get("height", 1), image.get("width", 1)]
        record[key] = value


def _cli(args: Sequence[str]) -> Tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            cli_main([str(a) for a in args])
        except SystemExit as exc:
            return int(exc.code or 0), err.getvalue()
        except BaseException:  # noqa: BLE001 - a traceback is the failure being looked for
            return -1, err.getvalue() + traceback.format_exc()
    return 0, err.getvalue()


def _error_lines(err: str) -> List[str]:
    return [line for line in err.splitlines() if line.startswith("rris-bench: error: ")]


def _expect_clean(step: str, code: int, err: str) -> None:
    """Exit 0, or exit 2 with exactly one error message (its listed problems follow it; progress lines may come
    before it, never after)."""
    lines = err.strip().splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("rris-bench: error: ")), None)
    refused = code == 2 and len(_error_lines(err)) == 1 and all(line.startswith("  ") for line in lines[first + 1:])
    if code not in (0, 2) or "Traceback" in err or (code == 2 and not refused):
        raise AssertionError(f"{step}: exit {code}\n{err[-3000:]}")


def _expect_possible(samples: Path) -> None:
    for line in samples.read_text().splitlines():
        r = json.loads(line)
        ok = 0 <= r["I"] <= min(r["pred_area"], r["gt_area"]) and r["U"] == r["pred_area"] + r["gt_area"] - r["I"] \
            and 0.0 <= r["iou"] <= 1.0 and r["gt_area"] >= 0
        if not ok and r["exists"]:
            raise AssertionError(f"impossible row {r}")


def check_example(work: Path, base_refs: List[Dict], base_instances: Dict, mutations, n: int, build: bool) -> Dict:
    refs, instances = copy.deepcopy(base_refs), copy.deepcopy(base_instances)
    mutate(refs, instances, mutations)
    folder = work / "fz"
    folder.mkdir(exist_ok=True)
    (folder / "refs(unc).p").write_bytes(pickle.dumps(refs, protocol=2))
    try:
        (folder / "instances.json").write_bytes(instances_json_bytes(instances))
    except ValueError:  # NaN is written as NaN by Python's json
        (folder / "instances.json").write_text(json.dumps(instances))
    (work / "empty.json").write_text("[]")
    codes = {}
    root = ["--data-root", work]
    steps = [("stats", ["stats", *root, "--dataset", "fz"]),
             ("evaluate-empty", ["evaluate", work / "empty.json", *root, "--dataset", "fz", "--missing", "empty",
                                 "--out", work / "e.json", "--per-sample", work / "e.jsonl"]),
             ("run", ["run", "oracle", *root, "--dataset", "fz", "--split", "val", "--out", work / "o.jsonl",
                      "--quiet"]),
             ("evaluate-run", ["evaluate", work / "o.jsonl", *root, "--dataset", "fz", "--split", "val",
                               "--out", work / "o.json", "--per-sample", work / "o.samples.jsonl"])]
    if build:
        steps.append(("build-dataset", ["build-dataset", *root, "--dataset", "fz", "--negatives-per-ref", "1",
                                        "--parser", "lexicon"]))
    for name, args in steps:
        if name == "evaluate-run" and codes.get("run") != 0:
            continue
        signal.alarm(CASE_SECONDS)
        code, err = _cli(args)
        signal.alarm(0)
        _expect_clean(name, code, err)
        codes[name] = code if code == 0 else _error_lines(err)[0][19:99]
        if code == 0 and name.startswith("evaluate"):
            _expect_possible(work / ("e.jsonl" if name == "evaluate-empty" else "o.samples.jsonl"))
    shutil.rmtree(work / "rfz", ignore_errors=True)  # each example's build writes a fresh rfz, never refused as an older one
    for leftover in ("o.jsonl", "o.json", "e.json", "e.jsonl", "o.samples.jsonl"):
        with contextlib.suppress(FileNotFoundError):
            (work / leftover).unlink()
    return {"example": n, "codes": codes}


def _timeout(signum, frame):
    raise TimeoutError(f"one example took more than {CASE_SECONDS} s")


def main(work: Path, examples: int) -> None:
    signal.signal(signal.SIGALRM, _timeout)
    os.environ["RRIS_BENCH_CACHE"] = str(work / "cache")
    toy.generate(work, n_images={"train": 1, "val": 2, "testA": 1, "testB": 1})
    base_refs = pickle.loads((work / "toy" / "refs(unc).p").read_bytes())
    base_instances = json.loads((work / "toy" / "instances.json").read_text())
    counter = iter(range(10 ** 9))

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])  # no shrinking: a
    # failing example is printed as found (shrinking reruns the commands hundreds of times)
    @given(EDITS)
    def fuzz(mutations):
        n = next(counter)
        print(json.dumps(check_example(work, base_refs, base_instances, mutations, n, build=n % 6 == 0)),
              flush=True)

    fuzz()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
