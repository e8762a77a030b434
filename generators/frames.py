"""Which objects a relation phrase can take: "sitting *on* a chair / bench / couch / toilet", "sitting *at* a
table", "riding a horse", "eating a donut", "holding an umbrella".

A small hand-made table of frames over COCO category names, keyed by the relation phrase and, for posture
verbs ("sitting", "lying", "standing"), by the verb before it. ``relation_swap`` replaces a relation object
only by a category the frame admits, and only when the frame admits the object it replaces (otherwise the
phrase is an idiom or a reading the table does not know, "talking on the phone", and nothing is swapped).
Spatial relations ("next to", "near", "behind", "left of", "above", "under") have no frame: any object fits,
and categories of other datasets (the toy world's shapes) are only ever in spatial relations.
"""
from __future__ import annotations

from typing import Callable, FrozenSet, Optional, Sequence, Tuple

SEATS = frozenset({"chair", "couch", "bench", "bed", "toilet"})
TABLES = frozenset({"dining table"})
# places a person works at: "sitting at the laptop", "standing at the stove"
WORK_PLACES = TABLES | {"laptop", "keyboard", "tv", "oven", "microwave", "sink", "refrigerator", "toaster"}
RIDDEN = frozenset({"bicycle", "motorcycle", "horse", "elephant", "skateboard", "surfboard", "skis",
                    "snowboard", "boat"})
BOARDED = frozenset({"car", "bus", "train", "truck", "boat", "airplane"})
# (a toilet is no container here: "man in toilet" was what a swap made of "man in car")
CONTAINERS = frozenset({"bowl", "cup", "wine glass", "bottle", "vase", "sink", "suitcase", "handbag",
                        "backpack", "refrigerator", "oven", "microwave"})
SURFACES = SEATS | TABLES | RIDDEN | BOARDED | {"suitcase", "laptop", "keyboard", "refrigerator", "oven",
                                                "microwave", "sink", "tv"}
# categories a hand can hold besides whole supercategories ("accessory", "sports", "kitchen", "food")
HANDHELD_SUPERCATEGORIES = frozenset({"accessory", "sports", "kitchen", "food"})
HANDHELD = frozenset({"remote", "cell phone", "mouse", "keyboard", "laptop", "book", "clock", "vase",
                      "scissors", "teddy bear", "hair drier", "toothbrush", "cat", "dog", "bird"})
PULLED = RIDDEN | {"suitcase", "kite", "dog", "horse", "cow", "sheep", "handbag", "backpack", "chair"}
POSTURE_VERBS = frozenset({"sitting", "sits", "seated", "sat", "lying", "laying", "lays", "lies", "sleeping",
                           "standing", "stands", "kneeling", "perched", "resting", "leaning", "parked"})

Fits = Callable[[str, Optional[str]], bool]  # (category name, supercategory) -> the object fits


def _names(names: FrozenSet[str]) -> Fits:
    return lambda name, sup: name in names


def _handheld(name: str, sup: Optional[str]) -> bool:
    return sup in HANDHELD_SUPERCATEGORIES or name in HANDHELD


# (relation phrase, posture verb before it or None) -> what fits; a phrase with a posture verb not listed
# here falls back to the phrase alone
FRAMES = {
    (("on",), "posture"): _names(SEATS | TABLES | RIDDEN | {"suitcase"}),
    (("on", "top", "of"), "posture"): _names(SEATS | TABLES | RIDDEN | {"suitcase"}),
    (("in",), "posture"): _names(frozenset({"chair", "bed"}) | BOARDED),  # not "sitting in the couch"
    (("at",), "posture"): _names(WORK_PLACES),
    (("on",), None): _names(SURFACES),
    (("on", "top", "of"), None): _names(SURFACES),
    (("in",), None): _names(CONTAINERS | BOARDED | {"chair", "bed"}),
    (("inside",), None): _names(CONTAINERS | BOARDED),
    (("at",), None): _names(WORK_PLACES),
    (("holding",), None): _handheld,
    (("carrying",), None): _handheld,
    (("with",), None): _handheld,  # "boy with a dog", not "bed with a giraffe"
    (("riding",), None): _names(RIDDEN | BOARDED),
    (("eating",), None): lambda name, sup: sup == "food",
    (("pulling",), None): _names(PULLED),
    (("pushing",), None): _names(PULLED),
}


def frame(tokens: Sequence[str], start: int, end: int) -> Optional[Fits]:
    """What may be the object of the relation phrase ``tokens[start:end]`` (None: anything, a spatial
    relation); the word before the phrase decides posture frames ("sitting *at*")."""
    phrase: Tuple[str, ...] = tuple(tokens[start:end])
    posture = start > 0 and tokens[start - 1] in POSTURE_VERBS
    return FRAMES.get((phrase, "posture")) if posture and (phrase, "posture") in FRAMES else \
        FRAMES.get((phrase, None))
