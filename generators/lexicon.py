"""The category lexicon: which words (and multi-word phrases) name which categories of a dataset.

The lexicon of a dataset is built from its own ``instances.json`` categories: each category's name, its
``synonyms`` list when the dataset brings one (the toy world does), and, for COCO category names, the nouns
of the committed COCO lexicon (``data/coco_lexicon.json``, built from WordNet by ``build_lexicon`` and
reviewed by hand), supercategory nouns ("animal" names every animal category) and plural forms.
A phrase names a *set* of category ids: it is absent from an image only if none of them is present.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Tuple

from .words import pluralize

DATA_DIR = Path(__file__).resolve().parent / "data"
COCO_LEXICON = DATA_DIR / "coco_lexicon.json"


@dataclass(frozen=True)
class Entry:
    """What a phrase names: category ids, and whether the phrase is a plural form."""
    category_ids: FrozenSet[int]
    plural: bool


@dataclass(frozen=True)
class Mention:
    """A category phrase found in a token list: tokens[start:end]."""
    start: int
    end: int
    category_ids: FrozenSet[int]
    plural: bool


@lru_cache(maxsize=1)
def coco_lexicon() -> Dict[str, Any]:
    """The committed COCO lexicon (empty tables if the data file is absent)."""
    if not COCO_LEXICON.is_file():
        return {"categories": {}, "supercategories": {}, "non_category": []}
    return json.loads(COCO_LEXICON.read_text(encoding="utf-8"))


class Lexicon:
    """Phrase -> categories of one dataset, with longest-match search over token lists."""

    def __init__(self, categories: Sequence[Mapping[str, Any]], use_coco: bool = True):
        self.names: Dict[int, str] = {int(c["id"]): str(c["name"]) for c in categories}
        coco = coco_lexicon() if use_coco else {"categories": {}, "supercategories": {}}
        table: Dict[Tuple[str, ...], Tuple[set, bool]] = {}

        def add(phrase: str, cat_ids: Iterable[int], plural: bool) -> None:
            key = tuple(phrase.lower().split())
            if not key:
                return
            ids, was_plural = table.get(key, (set(), plural))
            table[key] = (ids | set(cat_ids), was_plural and plural)

        supers: Dict[str, List[int]] = {}
        for cat in categories:
            cid, name = int(cat["id"]), str(cat["name"])
            entry = coco["categories"].get(name)
            singular = [name, *cat.get("synonyms", [])]
            plural = [pluralize(w) for w in singular]
            if entry is not None:
                singular += entry["singular"]
                plural += entry["plural"]
                supers.setdefault(entry["supercategory"], []).append(cid)
            for w in singular:
                add(w, [cid], False)
            for w in plural:
                add(w, [cid], True)
        for sup, ids in supers.items():
            words = coco["supercategories"].get(sup, {"singular": [], "plural": []})
            for w in words["singular"]:
                add(w, ids, False)
            for w in words["plural"]:
                add(w, ids, True)
        self.table: Dict[Tuple[str, ...], Entry] = {
            k: Entry(frozenset(ids), plural) for k, (ids, plural) in table.items()}
        self.max_len = max((len(k) for k in self.table), default=1)
        # clothes name the person wearing them, when the dataset has COCO's person category
        person = [cid for cid, name in self.names.items() if name == "person"]
        self.worn: Dict[Tuple[str, ...], FrozenSet[int]] = {
            tuple(w.split()): frozenset(person) for w in coco.get("worn_by_person", ())} if person else {}
        self.display: Dict[int, str] = {
            cid: coco["categories"].get(name, {}).get("display", name) for cid, name in self.names.items()}

    @classmethod
    def for_instances(cls, instances: Mapping[str, Any]) -> "Lexicon":
        return cls(instances.get("categories", []))

    def lookup(self, phrase: Sequence[str]) -> Optional[Entry]:
        return self.table.get(tuple(phrase))

    def mentions(self, tokens: Sequence[str]) -> List[Mention]:
        """Every category phrase in ``tokens``, left to right, longest match first, not overlapping."""
        found: List[Mention] = []
        i, n = 0, len(tokens)
        while i < n:
            for length in range(min(self.max_len + 1, n - i), 0, -1):
                window = tokens[i:i + length]
                # "hot - dog" (RefCOCO tokenises hyphens apart) is looked up as "hot dog"
                key = tuple(w for w in window if w != "-") if length > 2 and "-" in window[1:-1] else tuple(window)
                entry = self.table.get(key) if window[-1] != "-" else None
                if entry is not None:
                    found.append(Mention(i, i + length, entry.category_ids, entry.plural))
                    i += length
                    break
            else:
                i += 1
        return found

    def worn_at(self, tokens: Sequence[str], start: int = 0) -> Optional[Mention]:
        """The first clothes word at or after ``start`` ("black *shirt*"), standing for its wearer."""
        for i in range(start, len(tokens)):
            for length in (2, 1):
                cats = self.worn.get(tuple(tokens[i:i + length]))
                if cats is not None:
                    return Mention(i, i + length, cats, False)
        return None

    def named_categories(self, tokens: Sequence[str]) -> FrozenSet[int]:
        """All category ids any phrase of ``tokens`` names."""
        out: set = set()
        for m in self.mentions(tokens):
            out |= m.category_ids
        return frozenset(out)

    def noun(self, category_id: int, plural: bool = False) -> str:
        """The word used to name a category in a generated sentence ('sports ball' -> 'ball')."""
        word = self.display[category_id]
        return pluralize(word) if plural else word
