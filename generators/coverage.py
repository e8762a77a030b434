"""Lexicon coverage on real RefCOCO expressions: the share whose target category the parser finds.

    python -m rris_bench.generators.coverage ../shared/fixtures/refcoco_expressions [--parser lexicon]

Each file is ``{"refs": [{"sentences": [str, ...]}, ...]}`` (the fixture's layout). Reported per file:
expressions, the share with a target category found, the share whose target is only a generic noun
("left one"), and, as a check of consistency, the share of refs whose sentences (with a target) all agree
on the category. Categories are the 80 COCO ones of the committed lexicon.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List, Optional

from .lexicon import Lexicon, coco_lexicon
from .parse import make_parser


def coco_categories() -> List[Dict[str, object]]:
    return [{"id": i, "name": name} for i, name in enumerate(sorted(coco_lexicon()["categories"]), start=1)]


def coverage(files: List[Path], parser_name: str = "auto") -> Dict[str, Dict[str, float]]:
    lexicon = Lexicon(coco_categories())
    parser = make_parser(lexicon, parser_name)
    out: Dict[str, Dict[str, float]] = {}
    for path in files:
        refs = json.loads(path.read_text())["refs"]
        sentences = [tuple(s.split()) for r in refs for s in r["sentences"]]
        distinct = sorted(set(sentences))
        parses = dict(zip(distinct, parser.parse_many(distinct)))
        found = sum(1 for s in sentences if parses[s].target_categories)
        generic = sum(1 for s in sentences if parses[s].target is not None and not parses[s].target_categories)
        agree = total = 0
        for r in refs:
            cats = {parses[tuple(s.split())].target_categories for s in r["sentences"]} - {frozenset()}
            if len(cats) >= 1 and sum(1 for s in r["sentences"] if parses[tuple(s.split())].target_categories) >= 2:
                total += 1
                agree += len(cats) == 1
        out[path.name] = {"expressions": len(sentences), "target_found": 100.0 * found / len(sentences),
                          "generic_target": 100.0 * generic / len(sentences),
                          "refs_agreeing": 100.0 * agree / max(total, 1), "parser": parser.name}
    return out


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--parser", default="auto", choices=["auto", "spacy", "lexicon"])
    args = ap.parse_args(argv)
    rows = coverage(sorted(args.folder.glob("*.json")), args.parser)
    print("| file | expressions | target category found % | generic target only % | refs agreeing % | parser |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['expressions']} | {r['target_found']:.1f} | {r['generic_target']:.1f} | "
              f"{r['refs_agreeing']:.1f} | {r['parser']} |")
    n = sum(r["expressions"] for r in rows.values())
    found = sum(r["expressions"] * r["target_found"] for r in rows.values()) / max(n, 1)
    generic = sum(r["expressions"] * r["generic_target"] for r in rows.values()) / max(n, 1)
    print(f"| all | {n} | {found:.1f} | {generic:.1f} | | |")


if __name__ == "__main__":
    main()
