"""Closed word classes of referring expressions: attribute words, relation phrases, articles, plurals.

These are English function words and adjectives, not categories: the category nouns live in ``lexicon``.
Attribute words come in kinds (colour, size, position); ``OPPOSITES`` says which replacement cannot
describe the same object ("left" -> "right", never "left" -> "far").
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, FrozenSet, Tuple

COLOURS: Tuple[str, ...] = (
    "white", "black", "red", "blue", "green", "yellow", "orange", "pink", "purple", "brown",
    "gray", "grey", "silver", "gold", "tan", "beige", "maroon", "navy", "teal",
)
# Colours close enough to describe the same object: never swapped for each other.
COLOUR_FAMILIES: Tuple[FrozenSet[str], ...] = (
    frozenset({"gray", "grey", "silver"}), frozenset({"tan", "beige", "brown", "gold"}),
    frozenset({"red", "maroon", "pink", "orange"}), frozenset({"blue", "navy", "teal"}),
    frozenset({"yellow", "gold", "orange"}), frozenset({"purple", "pink"}),
)
SIZES: Tuple[str, ...] = (
    "big", "bigger", "biggest", "large", "larger", "largest", "small", "smaller", "smallest",
    "little", "tiny", "huge", "tall", "taller", "tallest", "short", "shorter", "shortest",
)
POSITIONS: Tuple[str, ...] = (
    "left", "right", "top", "bottom", "middle", "center", "centre", "front", "back", "upper", "lower",
    "far", "farthest", "furthest", "closest", "nearest", "leftmost", "rightmost", "topmost",
    "foreground", "background", "highest", "lowest",
)
ATTRIBUTE_KIND: Dict[str, str] = {
    **{w: "colour" for w in COLOURS}, **{w: "size" for w in SIZES}, **{w: "position" for w in POSITIONS},
}

# word -> the words that cannot describe the same object (the only replacements attribute_swap makes for
# sizes and positions).
OPPOSITES: Dict[str, Tuple[str, ...]] = {
    "left": ("right",), "right": ("left",), "leftmost": ("rightmost",), "rightmost": ("leftmost",),
    "top": ("bottom",), "bottom": ("top",), "upper": ("lower",), "lower": ("upper",), "topmost": ("bottom",),
    "front": ("back",), "back": ("front",), "foreground": ("background",), "background": ("foreground",),
    "far": ("near",), "farthest": ("closest",), "furthest": ("closest",), "closest": ("farthest",),
    "nearest": ("farthest",), "highest": ("lowest",), "lowest": ("highest",),
    "big": ("small",), "bigger": ("smaller",), "biggest": ("smallest",), "large": ("small",),
    "larger": ("smaller",), "largest": ("smallest",), "small": ("big",), "smaller": ("bigger",),
    "smallest": ("biggest",), "little": ("big",), "tiny": ("huge",), "huge": ("tiny",),
    "tall": ("short",), "taller": ("shorter",), "tallest": ("shortest",), "short": ("tall",),
    "shorter": ("taller",), "shortest": ("tallest",),
}
# Relation phrases and the phrase that cannot relate the same two objects ("in front of" -> "behind").
RELATION_OPPOSITES: Dict[Tuple[str, ...], Tuple[str, ...]] = {tuple(a.split()): tuple(b.split()) for a, b in (
    ("in front of", "behind"), ("behind", "in front of"), ("to the left of", "to the right of"),
    ("to the right of", "to the left of"), ("on the left of", "on the right of"),
    ("on the right of", "on the left of"), ("left of", "right of"), ("right of", "left of"),
    ("above", "below"), ("below", "above"), ("over", "under"), ("under", "over"), ("on top of", "under"),
    ("beneath", "above"), ("underneath", "above"),
)}
# Position words whose truth follows from the target's box: x for left/right, y for top/bottom.
BOX_AXIS: Dict[str, Tuple[str, int]] = {
    "left": ("x", -1), "leftmost": ("x", -1), "right": ("x", 1), "rightmost": ("x", 1),
    "top": ("y", -1), "upper": ("y", -1), "topmost": ("y", -1), "bottom": ("y", 1), "lower": ("y", 1),
    "highest": ("y", -1), "lowest": ("y", 1),
}

# Relation phrases (longest first when matched); the noun after one is a relation object.
RELATIONS: Tuple[Tuple[str, ...], ...] = tuple(sorted((tuple(p.split()) for p in (
    "next to", "in front of", "on top of", "to the left of", "to the right of", "left of", "right of",
    "behind", "by", "beside", "besides", "near", "with", "holding", "carrying", "riding", "on", "under",
    "above", "below", "beneath", "over", "between", "against", "inside", "in", "at", "touching",
    "facing", "eating", "pulling", "pushing", "watching", "around", "across from", "close to",
    "closest to", "nearest to", "underneath", "along", "on the left of", "on the right of",
)), key=lambda p: (-len(p), p)))
# Relations added by relation_swap to a sentence that has none: grammatical after any noun phrase.
ADDED_RELATIONS: Tuple[str, ...] = ("next to", "near", "behind", "in front of", "beside")

# Words whose subject must be a person ("a frisbee wearing black" is absurd, "a dog wearing a hoodie" too)
# and words whose subject must be a person or an animal ("sitting", "eating"): an absent noun replacing the
# subject of such a sentence is drawn from those categories only.
PERSON_WORDS = frozenset({
    "wearing", "wears", "dressed", "holding", "holds", "carrying", "playing", "smiling", "laughing", "talking",
    "throwing", "catching", "hitting", "pitching", "batting", "swinging", "feeding", "petting", "hugging",
    "putting", "using", "taking", "reaching", "cutting", "pouring", "making", "preparing", "serving", "cooking",
    "reading", "texting", "typing", "skiing", "surfing", "skating", "skateboarding", "snowboarding", "posing",
    "his", "her", "he", "she", "who", "him",
})
AGENT_WORDS = PERSON_WORDS | frozenset({
    "sitting", "sits", "seated", "looking", "looks", "eating", "eats", "running", "runs", "standing",
    "walking", "riding", "jumping", "watching", "staring", "facing", "bending", "leaning", "kneeling",
    "lying", "laying", "grazing", "drinking", "crouching", "sleeping",
})
# Nouns with no singular in use: a singular article before one becomes "a pair of" ("a pair of skis").
PLURAL_ONLY = frozenset({"skis", "scissors", "glasses", "sunglasses", "pants", "jeans", "shorts", "trousers",
                         "binoculars", "tongs", "goggles", "pliers"})

ARTICLES = frozenset({"a", "an"})
# Nouns that name a part or a portion of an object ("sandwich *slice*", "*back end* of elephant"): a category
# noun that owns one is not swapped, since the new object may have no such part ("skateboard slice").
PART_WORDS = frozenset({
    "head", "heads", "face", "arm", "arms", "leg", "legs", "hand", "hands", "foot", "feet", "hair", "body",
    "butt", "tail", "trunk", "shoulder", "back", "top", "bottom", "front", "rear", "side", "half", "halves",
    "part", "piece", "pieces", "slice", "slices", "portion", "section", "end", "edge", "corner", "reflection",
    "tire", "door", "window", "wheel", "frame", "handle"})
# Nouns that name no category but stand for the target ("left one", "thing on the right").
GENERIC_TARGETS = frozenset({"one", "ones", "thing", "things", "object", "objects", "item", "items", "stuff"})

# Where the ``inflect`` library's plural is wrong for a noun of the COCO lexicon (each checked by hand against
# WordNet's noun.exc and a dictionary while replacing the hand-written rules; singular -> plural).
PLURAL_EXCEPTIONS: Dict[str, str] = {
    # mass nouns, no plural in use ("two broccoli", "the cattle"): inflect adds -s
    "broccoli": "broccoli", "cattle": "cattle", "police": "police",
    # -o nouns that take -os (dictionaries give -os; inflect defaults unknown -o nouns to -oes)
    **{w: w + "s" for w in (
        "amigo", "bambino", "banderillero", "beefalo", "broncho", "bronco", "ego", "guacharo", "homo", "inamorato",
        "junco", "kiddo", "ladino", "major-domo", "merino", "novillero", "pachuco", "palomino", "politico",
        "stiletto", "touraco", "turaco")},
    # -man nouns inflect does not know as compounds of "man" (it does know fireman, horseman, ...)
    "fugleman": "fuglemen", "gentleman": "gentlemen", "sidesman": "sidesmen",
    # singular nouns ending in -s that inflect reads as plurals ("thermos" as if of "thermo"): -es
    **{w: w + "es" for w in ("adonis", "aepyornis", "archaeornis", "kris", "mavis", "missis", "notornis",
                             "protoavis", "thermos")},
    # nouns ending in -tz / -sz: inflect doubles the z ("blintzzes")
    "blintz": "blintzes", "kuvasz": "kuvaszes", "spitz": "spitzes",
    # hyphenated compounds whose first word is not the head: inflect pluralizes that word ("stays-at-home")
    # or splits the compound ("bicycle builts-for-two")
    **{w: w + "s" for w in ("bicycle-built-for-two", "felo-de-se", "fly-by-night", "four-in-hand",
                            "stay-at-home")},
    "hanger-on": "hangers-on", "gentleman-at-arms": "gentlemen-at-arms",
}


@lru_cache(maxsize=None)  # inflect takes about 0.3 ms a call; a build asks for the same few nouns often
def pluralize(phrase: str) -> str:
    """English plural of a noun phrase (its last word), by the ``inflect`` library: 'teddy bear' -> 'teddy
    bears', 'bus' -> 'buses', 'knife' -> 'knives'. A word that inflect reads as the plural of another
    ('skis', 'shears') is kept as it is; ``PLURAL_EXCEPTIONS`` corrects the few words inflect gets wrong."""
    *head, last = phrase.split(" ")
    if last in PLURAL_EXCEPTIONS:
        plural = PLURAL_EXCEPTIONS[last]
    elif _reads_as_plural(last):
        plural = last
    else:
        plural = _inflect().plural_noun(last)
    return " ".join([*head, plural])


@lru_cache(maxsize=None)
def _reads_as_plural(word: str) -> bool:
    """True when inflect has a singular for ``word`` ('skis' -> 'ski') and no plural rule for it as a
    singular (it would only append an s: 'skiss'); 'bus' and 'lens' have one ('buses', 'lenses')."""
    engine = _inflect()
    return bool(engine.singular_noun(word)) and engine.plural_noun(word) == word + "s"


@lru_cache(maxsize=None)
def article_for(word: str) -> str:
    """'a' or 'an' for the word that follows the article ('an elephant', 'a bus', 'an hour', 'a unicorn'),
    by the ``inflect`` library's pronunciation rules."""
    return _inflect().a(word.lower()).split(" ", 1)[0]


@lru_cache(maxsize=1)
def _inflect():
    import inflect

    return inflect.engine()


def counted(noun: str, plural: bool = False) -> str:
    """The noun as one countable thing, or several: a plural-only noun is counted in pairs ("the third pair
    of skis", "three pairs of scissors"); any other noun is given as it is (``plural``: its plural)."""
    if noun.split(" ")[-1] in PLURAL_ONLY:
        return f"{'pairs' if plural else 'pair'} of {noun}"
    return pluralize(noun) if plural else noun


def fix_articles(tokens: list) -> list:
    """Make every 'a' / 'an' agree with the word after it, and turn one before a plural-only noun (past its
    attribute words) into "a pair of" (in place; returns the list)."""
    i = 0
    while i < len(tokens) - 1:
        if tokens[i] in ARTICLES:
            j = i + 1
            while j < len(tokens) - 1 and tokens[j] in ATTRIBUTE_KIND:
                j += 1
            if tokens[j] in PLURAL_ONLY:
                tokens[i:i + 1] = ["a", "pair", "of"]
                i += 3
                continue
            tokens[i] = article_for(tokens[i + 1])
        i += 1
    return tokens


# Words that open or close a noun phrase: the modifiers of a noun are the words between the last of these
# (or the sentence start) and the noun ("the *half eaten* donut", "man holding a *full* glass").
PHRASE_BOUNDARY = ARTICLES | frozenset(w for p in RELATIONS for w in p) - frozenset(ATTRIBUTE_KIND) | {
    "the", "this", "that", "these", "those", "his", "her", "its", "their", "my", "your", "and", "or", "of",
    "is", "are", "to", "from", ",", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "both", "some", "all", "each", "other", "another",
} | AGENT_WORDS
# Modifiers that fit any object, kept when their noun is swapped: colour, size and position words, ordinals
# and intensifiers ("the second *far left* cow" -> "the second far left bus").
FITS_ANY_NOUN = frozenset(ATTRIBUTE_KIND) | {"first", "second", "third", "fourth", "fifth", "last", "next",
                                            "most", "very", "far", "other"}


def swap_noun(tokens: list, start: int, end: int, noun: str) -> Tuple[list, list]:
    """``tokens`` with ``tokens[start:end]`` replaced by ``noun``, the old noun's own modifiers that do not
    fit any object dropped ("a *full* glass" -> "a bus", never "a full bus"; "a *white* glass" -> "a white
    bus") and articles made to agree. Returns (new tokens, dropped words)."""
    first = start
    while first > 0 and tokens[first - 1] not in PHRASE_BOUNDARY:
        first -= 1
    kept = [w for w in tokens[first:start] if w in FITS_ANY_NOUN]
    dropped = [w for w in tokens[first:start] if w not in FITS_ANY_NOUN]
    return fix_articles([*tokens[:first], *kept, *noun.split(), *tokens[end:]]), dropped
