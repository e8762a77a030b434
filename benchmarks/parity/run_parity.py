"""Parity of the protocol profiles with the official evaluators, run on the same saved masks.

For each official repository (a snapshot given on the command line, e.g. what the ``fetch`` tool brought to
/work/.mirror/<owner>+<name>/repo), the files its evaluation needs are extracted with ``git archive`` into a
work folder under /tmp (nothing is copied into this checkout), the model is replaced by a stub that returns
the saved prediction of the sentence it is asked about, and the official code computes its numbers: its own
data loader builds the ground truth (refer API ``getMask``, ``mask == 1``, its Resize transform), its own
evaluation loop accumulates. The same predictions are scored by ``rris_bench.metrics.evaluate`` under the
matching profile, and every number is compared.

    python benchmarks/parity/run_parity.py --rris /work/.mirror/jianzongwu+robust-ref-seg/repo \\
        --lavt /work/.mirror/yz93+LAVT-RIS/repo --rela /work/.mirror/henghuiding+ReLA/repo \\
        --dmmi /work/.mirror/toggle1995+RIS-DMMI/repo --sesame /work/.mirror/see-say-segment+sesame/repo

Worlds: ``toy`` (the embedded toy world, val + testA + testB) and ``real`` (the RefCOCOg umd fixture's real
COCO polygons, /work/shared/fixtures/refcocog_umd_mini, or --fixtures). Each gets two synthetic negatives per
ref and seeded predictions of every kind (exact, shifted, boxes, noise, null, all-zero RLE) with scores.
What the stubs change, and nothing else: images are blank (the stubbed model never looks at them), sentence
ids ride in the token ids, ``.cuda()`` is the identity, modules only the model needs (h5py, textblob, detectron2
plumbing) are empty stand-ins, and SESAME's saved masks are float32 because CPU ``torch.histc`` refuses ints.
"""
from __future__ import annotations

import argparse
import json
import os
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
FILES = {
    "rris": ["utils/validation.py", "utils/util.py", "dataset/ReferDataset.py", "dataset/refer.py",
             "dataset/transform.py"],
    "lavt": ["test.py", "utils.py", "args.py", "transforms.py", "data/dataset_refer_bert.py", "refer/refer.py",
            ],
    "rela": ["gres_model/evaluation/refer_evaluation.py", "gres_model/data/datasets/grefcoco.py",
             "gres_model/data/datasets/grefer.py", "gres_model/data/dataset_mappers/refcoco_mapper.py"],
    "dmmi": ["test.py", "utils.py", "args.py", "transforms.py", "data/dataset_zom.py", "refer/refer.py",
            ],
    "sesame": ["eval_sesame.py", "utils.py", "dataloaders/refer_seg_dataset.py", "dataloaders/test_dataset.py",
               "dataloaders/refer.py"],
}


def extract(snapshot: Path, files: List[str], dest: Path) -> None:
    """``git archive`` the listed files of the snapshot's HEAD into ``dest`` (missing ones are skipped)."""
    dest.mkdir(parents=True, exist_ok=True)
    present = subprocess.run(["git", "--git-dir", str(snapshot), "ls-tree", "-r", "--name-only", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.split()
    wanted = [f for f in files if f in present]
    data = subprocess.run(["git", "--git-dir", str(snapshot), "archive", "--format=tar", "HEAD", *wanted],
                          capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest)
    for folder in {Path(f).parent for f in wanted}:
        while str(folder) not in ("", "."):
            (dest / folder / "__init__.py").touch(exist_ok=True)
            folder = folder.parent


# --- worlds: datasets and predictions ---------------------------------------------------------------


def _add_negatives(refs: List[Dict], per_ref: int = 2) -> List[Dict]:
    next_id = max(s["sent_id"] for r in refs for s in r["sentences"]) + 1
    out = []
    for ref in refs:
        ref = dict(ref, sentences=[dict(s, exist=True) for s in ref["sentences"]], sent_ids=list(ref["sent_ids"]))
        for k in range(per_ref):
            text = f"a purple giraffe number {k}"
            ref["sentences"].append({"sent_id": next_id, "raw": text, "sent": text, "tokens": text.split(),
                                     "exist": False})
            ref["sent_ids"].append(next_id)
            next_id += 1
        out.append(ref)
    return out


def make_world(kind: str, root: Path, fixtures: Path) -> Dict:
    """Write the world's refer-format datasets under ``root`` and return its description."""
    from rris_bench.datasets import load_dataset
    from rris_bench.datasets.refer import write_dataset
    if kind == "toy":
        from rris_bench.datasets.toy import generate
        generate(root / "src", seed=3, n_images={"train": 1, "val": 12, "testA": 8, "testB": 8})
        source, split_by = load_dataset(root / "src", "toy"), "unc"
    else:
        source, split_by = load_dataset(fixtures, "refcocog_umd_mini", "umd"), "umd"
    refs = [r for r in source.refs_list if r["split"] != "train"]
    instances = source.instances
    write_dataset(root, "refcoco" if kind == "toy" else "refcocog", split_by, refs, instances)   # LAVT: no negatives
    write_dataset(root, "rrefcoco" if kind == "toy" else "rrefcocog", split_by, _add_negatives(refs), instances)
    return {"root": str(root), "plain": "refcoco" if kind == "toy" else "refcocog",
            "robust": "rrefcoco" if kind == "toy" else "rrefcocog", "split_by": split_by,
            "splits": sorted({r["split"] for r in refs})}


def make_grefcoco_world(world: Dict) -> None:
    """gRefCOCO-shaped data from the world's refs: per image, the first two refs merged into one two-target
    ref, the others kept, and one no-target ref (``ann_id: [-1]``, ``no_target: true``), as
    ``grefcoco/grefs(unc).json``: what ReLA's G_REFER and rris-bench's gRefCOCO reader both read."""
    from rris_bench.datasets import load_dataset
    from rris_bench.datasets.refer import write_dataset
    root = Path(world["root"])
    plain = load_dataset(root, world["plain"])
    by_image: Dict[int, List[Dict]] = {}
    for ref in plain.refs_list:
        by_image.setdefault(ref["image_id"], []).append(ref)
    grefs, next_ref, next_sent = [], 10 ** 6, max(plain.sentences) + 1
    for image_id, refs in sorted(by_image.items()):
        first = refs[0]
        if len(refs) >= 2:
            merged = dict(first, ann_id=[first["ann_id"], refs[1]["ann_id"]])
            grefs.append(merged)
            refs = refs[2:]
        grefs += [dict(r, ann_id=[r["ann_id"]]) for r in refs]
        sentences = []
        for k in range(2):
            text = f"the flying elephant {k}"
            sentences.append({"sent_id": next_sent, "raw": text, "sent": text, "tokens": text.split()})
            next_sent += 1
        grefs.append(dict(first, ref_id=next_ref, ann_id=[-1], no_target=True, sentences=sentences,
                          sent_ids=[s["sent_id"] for s in sentences]))
        next_ref += 1
    (root / "grefcoco").mkdir(exist_ok=True)
    (root / "grefcoco" / "grefs(unc).json").write_text(json.dumps(grefs))
    (root / "grefcoco" / "instances.json").write_text(json.dumps(plain.instances))


def make_refzom_and_fp_worlds(world: Dict) -> None:
    """Ref-ZOM-shaped data (``ref-zom/refs(final).p``: per image the first two refs merged into a ``many`` ref,
    the others ``one``, and a ``zero`` ref with an empty ann_id list) and FP-RefCOCO-shaped data
    (``fprefcoco/refs(unc).p``: the world's negatives marked ``is_false_premise``), in the files the official
    loaders and rris-bench's readers both read."""
    from rris_bench.datasets import load_dataset
    from rris_bench.datasets.refer import refs_pickle_bytes, write_dataset
    root = Path(world["root"])
    plain = load_dataset(root, world["plain"])
    by_image: Dict[int, List[Dict]] = {}
    for ref in plain.refs_list:
        by_image.setdefault(ref["image_id"], []).append(ref)
    zom, next_ref, next_sent = [], 2 * 10 ** 6, max(plain.sentences) + 1000
    for image_id, refs in sorted(by_image.items()):
        first = refs[0]
        if len(refs) >= 2:
            zom.append(dict(first, ann_id=[first["ann_id"], refs[1]["ann_id"]], source="many"))
            refs = refs[2:]
        zom += [dict(r, ann_id=[r["ann_id"]], source="one") for r in refs]
        text = "the invisible unicorn"
        zom.append(dict(first, ref_id=next_ref, ann_id=[], source="zero", sent_ids=[next_sent],
                        sentences=[{"sent_id": next_sent, "raw": text, "sent": text, "tokens": text.split()}]))
        next_ref, next_sent = next_ref + 1, next_sent + 1
    (root / "ref-zom").mkdir(exist_ok=True)
    (root / "ref-zom" / "refs(final).p").write_bytes(refs_pickle_bytes(zom))
    (root / "ref-zom" / "instances.json").write_text(json.dumps(plain.instances))
    robust = load_dataset(root, world["robust"])
    fp = [dict(r, sentences=[{k: v for k, v in dict(s, is_false_premise=not s.exists).items() if k != "exist"}
                             for s in r["sentences"]]) for r in robust.refs_list]
    write_dataset(root, "fprefcoco", world["split_by"], fp, robust.instances)


def make_predictions(dataset, seed: int) -> Dict[int, Dict]:
    """sent_id -> {"mask": bool array or None, "score": float}; every kind of prediction."""
    from rris_bench.metrics.references import reference_masks
    from rris_bench.metrics.protocols import PROTOCOLS
    from rris_bench import masks
    rng = np.random.default_rng(seed)
    gts, _ = reference_masks(dataset, dataset.refs_list, PROTOCOLS["default"], use_cache=False)
    out = {}
    for ref, gt_rle in zip(dataset.refs_list, gts):
        gt = masks.decode(gt_rle)
        h, w = gt.shape
        for s in ref["sentences"]:
            kind = int(rng.integers(0, 7))
            if kind == 0:
                mask = None
            elif kind == 1:
                mask = gt.copy()
            elif kind == 2:
                mask = np.roll(gt, (int(rng.integers(-15, 16)), int(rng.integers(-15, 16))), axis=(0, 1))
            elif kind == 3:
                r0, c0 = int(rng.integers(0, h)), int(rng.integers(0, w))
                mask = np.zeros((h, w), bool)
                mask[r0:r0 + int(rng.integers(1, h)), c0:c0 + int(rng.integers(1, w))] = True
            elif kind == 4:
                mask = rng.random((h, w)) < 0.02
            elif kind == 5:
                mask = np.zeros((h, w), bool)  # an all-zero RLE, not null
            else:
                mask = gt | np.roll(gt, 4, axis=1)
            out[s["sent_id"]] = {"mask": mask, "score": round(float(rng.random()), 6)}
    return out


def write_predictions(path: Path, dataset, preds: Dict[int, Dict]) -> None:
    from rris_bench import masks
    from rris_bench.metrics.predictions import jsonl_line, prediction_record
    lines = []
    for sid, p in preds.items():
        ref = dataset.refs[dataset.sent_to_ref[sid]]
        rle = None if p["mask"] is None else masks.encode(p["mask"])
        lines.append(jsonl_line(prediction_record(sid, ref["image_id"], rle, p["score"])))
    path.write_text("".join(lines))


def save_dense(path: Path, preds: Dict[int, Dict], dataset) -> None:
    """The saved dense masks the stubbed models return: original size, uint8, one npz entry per sentence."""
    arrays = {}
    for sid, p in preds.items():
        image = dataset.images[dataset.refs[dataset.sent_to_ref[sid]]["image_id"]]
        mask = p["mask"] if p["mask"] is not None else np.zeros((image["height"], image["width"]), bool)
        arrays[f"m{sid}"] = mask.astype(np.uint8)
        arrays[f"s{sid}"] = np.array(p["score"])
        arrays[f"n{sid}"] = np.array(p["mask"] is None)
    np.savez_compressed(path, **arrays)


# --- running the official code in a child process -----------------------------------------------------

CHILD = HERE / "official_child.py"


def run_child(which: str, work: Path, config: Dict) -> Dict:
    cfg = work / f"{which}-config.json"
    cfg.write_text(json.dumps(config))
    proc = subprocess.run([sys.executable, str(CHILD), which, str(cfg)], capture_output=True, text=True,
                          cwd=str(work))
    if proc.returncode != 0:
        raise RuntimeError(f"the official {which} code failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(name: str, ours: Dict, theirs: Dict, mapping: Dict[str, str], scale: Dict[str, float]) -> List[Dict]:
    rows = []
    for our_id, their_id in mapping.items():
        a = ours["metrics"].get(our_id)
        b = theirs.get(their_id)
        b = None if b is None or (isinstance(b, float) and np.isnan(b)) else b * scale.get(their_id, 1.0)
        diff = None if a is None or b is None else abs(a - b)
        rows.append({"world": name, "id": our_id, "official": their_id, "rris_bench": a, "official_value": b,
                     "diff": diff, "equal_1e-6": (a is None and b is None) or (diff is not None and diff <= 1e-6)})
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in FILES:
        parser.add_argument(f"--{name}", type=Path, help=f"snapshot (git dir) of the {name} repository")
    parser.add_argument("--fixtures", type=Path, default=Path("/work/shared/fixtures"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/rris-parity"))
    parser.add_argument("--worlds", default="toy,real")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write every comparison row as JSON here")
    args = parser.parse_args(argv)
    os.environ.setdefault("RRIS_BENCH_CACHE", str(args.work / "cache"))
    from rris_bench.metrics import evaluate
    from rris_bench.datasets import load_dataset
    for name in FILES:
        snap = getattr(args, name)
        if snap is not None:
            extract(snap, FILES[name], args.work / name)
    rows: List[Dict] = []
    for kind in args.worlds.split(","):
        world = make_world(kind, args.work / "worlds" / kind, args.fixtures)
        root = Path(world["root"])
        robust = load_dataset(root, world["robust"])
        preds = make_predictions(robust, args.seed)
        pred_path = root / "preds.jsonl"
        write_predictions(pred_path, robust, preds)
        dense = root / "preds.npz"
        save_dense(dense, preds, robust)
        plain = load_dataset(root, world["plain"])
        plain_preds = {s: preds[s] for s in plain.sentences}
        plain_path = root / "plain-preds.jsonl"
        write_predictions(plain_path, plain, plain_preds)
        base = {"root": str(root), "split_by": world["split_by"], "dense": str(dense)}
        for split in [s for s in ("val", "test", "testA", "testB") if s in world["splits"] or
                      (s == "test" and any("test" in t for t in world["splits"]))]:
            if args.rris:
                ours = evaluate(robust, pred_path, [split], protocol="rris-official")
                theirs = run_child("rris", args.work, {**base, "code": str(args.work / "rris"),
                                                      "dataset": world["robust"], "split": split})
                rows += compare(f"rris-official {kind} {split}", ours, theirs,
                                {"mIoU_ref": "mIoU", "oIoU": "oIoU", "mRR": "r", "rIoU": "rIoU",
                                 **{f"P@0.{k}_cumsum": f"P@0.{k}" for k in range(5, 10)}}, {})
            if args.lavt:
                ours = evaluate(plain, plain_path, [split], protocol="lavt")
                theirs = run_child("lavt", args.work, {**base, "code": str(args.work / "lavt"),
                                                      "dataset": world["plain"], "split": split})
                rows += compare(f"lavt {kind} {split}", ours, theirs,
                                {"mIoU": "mIoU", "oIoU": "oIoU", **{f"P@0.{k}": f"P@0.{k}" for k in range(5, 10)}},
                                {})
        if args.rela:
            make_grefcoco_world(world)
            gds = load_dataset(root, "grefcoco")
            gpreds = make_predictions(gds, args.seed + 1)
            gpath, gdense = root / "g-preds.jsonl", root / "g-preds.npz"
            write_predictions(gpath, gds, gpreds)
            save_dense(gdense, gpreds, gds)
            for split in world["splits"]:
                for rule in ("null", "score:0.5"):
                    ours = evaluate(gds, gpath, [split], protocol="gres", no_target_rule=rule)
                    theirs = run_child("rela", args.work, {**base, "dense": str(gdense), "rule": rule,
                                                          "code": str(args.work / "rela"), "split": split})
                    rows += compare(f"gres({rule}) {kind} {split}", ours, theirs,
                                    {"gIoU": "gIoU", "cIoU_all": "cIoU", "N_acc": "N_acc", "T_acc": "T_acc",
                                     "P@0.7": "Pr@0.7", "P@0.8": "Pr@0.8", "P@0.9": "Pr@0.9"}, {})
        if args.dmmi or args.sesame:
            make_refzom_and_fp_worlds(world)
            zds = load_dataset(root, "ref-zom")
            zpreds = make_predictions(zds, args.seed + 2)
            zpath, zdense = root / "z-preds.jsonl", root / "z-preds.npz"
            write_predictions(zpath, zds, zpreds)
            save_dense(zdense, zpreds, zds)
        for split in world["splits"] if args.dmmi else []:
            ours = evaluate(zds, zpath, [split], protocol="refzom")
            theirs = run_child("dmmi", args.work, {**base, "dense": str(zdense), "code": str(args.work / "dmmi"),
                                                  "split": split})
            rows += compare(f"refzom {kind} {split}", ours, theirs,
                            {"mIoU": "mIoU", "oIoU": "oIoU", "N-acc": "acc",
                             **{f"P@0.{k}": f"P@0.{k}" for k in range(5, 10)}}, {})
        for split in world["splits"] if args.sesame else []:
            fds = load_dataset(root, "fprefcoco", world["split_by"])
            ours = evaluate(fds, pred_path, [split], protocol="sesame")
            theirs = run_child("sesame", args.work, {**base, "code": str(args.work / "sesame"), "split": split,
                                                    "dataset": "fprefcoco", "work": str(args.work)})
            rows += compare(f"sesame {kind} {split}", ours, theirs,
                            {"exist_acc": "See Accuracy", "cIoU_all": "cIoU"}, {})
    print_rows(rows)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0 if all(r["equal_1e-6"] for r in rows) else 1


def print_rows(rows: List[Dict]) -> None:
    header = ["world", "id", "official", "rris_bench", "official_value", "diff", "equal_1e-6"]
    table = [[str(r[h]) if not isinstance(r[h], float) else f"{r[h]:.9f}" for h in header] for r in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *table)]
    for line in [header, *table]:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


if __name__ == "__main__":
    sys.exit(main())
