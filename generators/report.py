"""What a built dataset's negatives are and how hard: the review report (counts per strategy, verified and
difficulty, the category-oracle's mRR, random examples a person can judge at a glance) and the audit table
(random negatives beside every annotation of their image, for a line-by-line judgement)."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from rris_bench.files import PathLike, write_text
from rris_bench.datasets.model import Dataset, sentence_exists
from rris_bench.datasets import load_dataset

from .claims import category_rejects
from .lexicon import Lexicon


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _changed(s: Dict) -> str:
    if "replaced" in s:
        return f"{s['replaced']} -> {s['with']}"
    if "added" in s:
        return f"+ {s['relation']} the {s['added']}"
    if "claim" in s:
        return str(s["claim"]) + (f" {s['word']}" if "word" in s else "") + (f" {s['number']}" if "number" in s else "")
    return ""


def category_oracle_rows(ds: Dataset) -> List[Dict[str, object]]:
    """Per (strategy, difficulty) and in all: negatives, refs and the category-oracle's mRR (mean over refs
    with such negatives of the share it rejects, the metrics engine's mRR), computed from the annotations:
    the ``category-oracle`` adapter rejects exactly the negatives ``category_rejects`` finds."""
    lexicon = Lexicon.for_instances(ds.instances)
    per_ref: Dict[tuple, Dict[int, List[int]]] = {}
    for ref in ds.refs_list:
        present = frozenset(ds.image_categories.get(ref["image_id"], ()))
        for s in ref["sentences"]:
            if sentence_exists(s):
                continue
            rejected = int(category_rejects(str(s["sent"]).split(), lexicon, present))
            for key in ((str(s.get("strategy", "?")), str(s.get("difficulty", "?"))),
                        (str(s.get("strategy", "?")), "all"), ("all", str(s.get("difficulty", "?"))), ("all", "all")):
                per_ref.setdefault(key, {}).setdefault(ref["ref_id"], []).append(rejected)
    rows = []
    for (strategy, difficulty), refs in sorted(per_ref.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        shares = [sum(v) / len(v) for v in refs.values()]
        rows.append({"strategy": strategy, "difficulty": difficulty, "negatives": sum(map(len, refs.values())),
                     "refs": len(refs), "mRR": 100.0 * sum(shares) / len(shares)})
    return rows


def category_oracle_markdown(ds: Dataset) -> str:
    lines = ["| strategy | difficulty | negatives | refs | category-oracle mRR |", "|---|---|---|---|---|"]
    lines += [f"| {r['strategy']} | {r['difficulty']} | {r['negatives']} | {r['refs']} | {r['mRR']:.1f} |"
              for r in category_oracle_rows(ds)]
    return "\n".join(lines)


def report_markdown(ds: Dataset, examples: int = 20, seed: int = 0) -> str:
    """Markdown: a counts table (strategy x verified, per split), the category-oracle's mRR per strategy and
    difficulty, and ``examples`` random negatives per strategy."""
    by_strategy: Dict[str, List[int]] = {}
    counts: Counter = Counter()
    for ref in ds.refs_list:
        for s in ref["sentences"]:
            if not sentence_exists(s):
                by_strategy.setdefault(str(s.get("strategy", "?")), []).append(s["sent_id"])
                counts[(str(s.get("strategy", "?")), ref["split"], str(s.get("verified", "?")))] += 1
    splits = sorted({k[1] for k in counts})
    lines = [f"# Negatives of {ds.name} ({ds.split_by})", "", "## Counts", "",
             "| strategy | verified | " + " | ".join(splits) + " | total |",
             "|---|---|" + "---|" * (len(splits) + 1)]
    for strategy, verified in sorted({(k[0], k[2]) for k in counts}):
        row = [counts[(strategy, sp, verified)] for sp in splits]
        lines.append(f"| {strategy} | {verified} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    lines += ["", "## How much category presence alone solves", "",
              "The `category-oracle` baseline rejects a negative exactly when a category phrase of it names only "
              "categories absent from the image.", "", category_oracle_markdown(ds)]
    rng = random.Random(f"rris-bench/report/{seed}")
    for strategy in sorted(by_strategy):
        ids = by_strategy[strategy]
        picked = sorted(rng.sample(ids, min(examples, len(ids))))
        lines += ["", f"## {strategy} ({len(ids)} negatives, {len(picked)} random examples)", "",
                  "| ref | source sentence | negative | changed | categories in the image |", "|---|---|---|---|---|"]
        for sid in picked:
            s = ds.sentences[sid]
            ref = ds.refs[ds.sent_to_ref[sid]]
            src = ds.sentences.get(s.get("source_sent_id", -1))
            source = src["sent"] if src is not None else "(none)"
            if s.get("source_sent_id") is not None and ds.sent_to_ref.get(s["source_sent_id"]) != ref["ref_id"]:
                source += " (other image)"
            changed = _changed(s)
            cats = ", ".join(ds.categories[c]["name"] for c in ds.image_categories.get(ref["image_id"], []))
            lines.append(f"| {ref['ref_id']} | {_cell(source)} | {_cell(s['sent'])} | {_cell(changed)} | {cats} |")
    return "\n".join(lines) + "\n"


def write_report(root: PathLike, dataset: str, out: PathLike, *, split_by: Optional[str] = None,
                 examples: int = 20, seed: int = 0) -> Path:
    """Write the review report of ``<root>/<dataset>`` to ``out``."""
    write_text(out, report_markdown(load_dataset(root, dataset, split_by), examples, seed))
    return Path(out)


def audit_markdown(ds: Dataset, n: int, seed: int = 0) -> str:
    """``n`` negatives drawn at random (seeded) as a table a person judges line by line: the source
    sentence, the negative, the edit, ``verified``, ``difficulty``, and every annotation of the image
    (category and box [x, y, w, h]; the ref's targets marked *), with empty columns for the verdicts."""
    negatives = [(ref, s) for ref in ds.refs_list for s in ref["sentences"] if not sentence_exists(s)]
    rng = random.Random(f"rris-bench/audit/{seed}")
    picked = sorted(rng.sample(range(len(negatives)), min(n, len(negatives))))
    by_image: Dict[int, List[Dict]] = {}
    for ann in ds.anns.values():
        by_image.setdefault(ann["image_id"], []).append(ann)
    lines = [f"# Audit of {len(picked)} random negatives of {ds.name} ({ds.split_by}, seed {seed})", "",
             "Verdicts: negative / positive / undecidable; natural / absurd / ungrammatical.", "",
             "| # | ref | image (w x h) | source sentence | negative | edit | strategy | verified | difficulty "
             "| annotations of the image | verdict | wording |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k, i in enumerate(picked, start=1):
        ref, s = negatives[i]
        image = ds.images.get(ref["image_id"], {})
        src = ds.sentences.get(s.get("source_sent_id", -1))
        source = src["sent"] if src is not None else ""
        if src is not None and ds.sent_to_ref.get(s["source_sent_id"]) != ref["ref_id"]:
            source += " (other image)"
        anns = sorted(by_image.get(ref["image_id"], []),
                      key=lambda a: (ds.categories[a["category_id"]]["name"], a["id"]))
        listed = "; ".join(
            ("*" if a["id"] in ref.targets else "") + ds.categories[a["category_id"]]["name"] +
            " [" + ", ".join(f"{v:.0f}" for v in a["bbox"]) + "]" + (" crowd" if a.get("iscrowd") else "")
            for a in anns)
        size = f"{image['width']} x {image['height']}" if "width" in image and "height" in image else "?"
        lines.append(f"| {k} | {ref['ref_id']} | {ref['image_id']} ({size}) | {_cell(source)} | {_cell(s['sent'])} | "
                     f"{_cell(_changed(s))} | {s.get('strategy', '?')} | {s.get('verified', '?')} | "
                     f"{s.get('difficulty', '?')} | {_cell(listed)} |  |  |")
    return "\n".join(lines) + "\n"
