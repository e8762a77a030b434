"""The review report of a built dataset: per strategy, counts and random examples a person can judge at a
glance (source sentence -> negative, with the categories that are in the image)."""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from rris_bench.files import PathLike, write_text
from rris_bench.refer import ReferDataset, load_dataset, sentence_exists


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report_markdown(ds: ReferDataset, examples: int = 20, seed: int = 0) -> str:
    """Markdown: a counts table (strategy x verified, per split) and ``examples`` random negatives each."""
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
            changed = " -> ".join(str(s[k]) for k in ("replaced", "with") if k in s) or \
                (f"+ {s['relation']} the {s['added']}" if "added" in s else "")
            cats = ", ".join(ds.categories[c]["name"] for c in ds.image_categories.get(ref["image_id"], []))
            lines.append(f"| {ref['ref_id']} | {_cell(source)} | {_cell(s['sent'])} | {_cell(changed)} | {cats} |")
    return "\n".join(lines) + "\n"


def write_report(root: PathLike, dataset: str, out: PathLike, *, split_by: Optional[str] = None,
                 examples: int = 20, seed: int = 0) -> Path:
    """Write the review report of ``<root>/<dataset>`` to ``out``."""
    write_text(out, report_markdown(load_dataset(root, dataset, split_by), examples, seed))
    return Path(out)
