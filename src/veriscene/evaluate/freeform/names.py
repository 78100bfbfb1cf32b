"""Object names a reply and a scene graph may use for one thing, for free-form scoring.

    name_class      synonyms read as one name: "sofa" and "couch", "automobile" and "car", COCO's
                    "dining table" and "table", "sports ball" and "ball", "tv" and "television"
                    (`generators.vocabulary_draws.NAME_SYNONYMS` plus the wordings of replies below)
    broader_of      the names a broader name covers: "person" covers man, woman, boy, ... (a reply's
                    "two people" counts the man and the woman); a narrower name said of an object
                    annotated by the broader one ("a man" where COCO says "person") is left open

Both tables are kept by hand: no lexical database is installed (WordNet's data is not; nltk is
not a dependency). What goes in: a word replies use for the kind of thing a scene-graph name
names, measured on 90 wordings VLMs give the names of the demo, Visual Genome, GQA and COCO
fixtures (`tests/evaluate/test_freeform_names.py`: 22 of the 70 synonyms and broader words were
read before, 70 now; MiniLM 40): a synonym only where the two name the same
kind ("guy" and "man", "fridge" and "refrigerator", the demo's "rhombus" and "diamond"), else a
broader word after COCO's own supercategories and the words people use over them ("vehicle"
covers car, bus, ...; "animal", "furniture", "fruit", "kid"), whose narrower words ("puppy" of a
dog, "sneaker" of a shoe) are then left open where the broader one is annotated. Never a word
for a different thing that looks alike ("ball" for the demo's circle, "cup" for a mug).

    synset_classes  of the input's scenes that keep WordNet synsets (Visual Genome's reader writes
                    ``meta["synsets"]``, one per object): one-word names sharing a synset, read as
                    one name ("tshirt" and "shirt" both shirt.n.01). Not a name of several words
                    other than the synset's own ("tennis player" is player.n.01 by its head
                    noun: a narrower name, not a synonym), not a name whose objects are given
                    two synsets as often, not a name under or over another (`covers`: "man" and
                    "person" stay a narrower and a broader name whatever the synsets say)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

from veriscene.generators.vocabulary_draws import BROADER_NAMES, NAME_SYNONYMS

# Names replies use for what the annotation calls otherwise (COCO's category names mostly); the
# first of each group is the class's name. Only words that name the same kind of thing.
_REPLY_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("car", "automobile", "auto"), ("couch", "sofa", "settee"), ("tv", "television", "tv set"),
    ("table", "dining table"), ("ball", "sports ball", "sport ball"), ("plant", "potted plant", "houseplant"), ("cell phone", "phone", "cellphone", "mobile phone"),
    ("airplane", "plane", "aeroplane", "jet"), ("bicycle", "bike"), ("motorcycle", "motorbike"),
    ("hair drier", "hair dryer"), ("laptop", "notebook computer"), ("refrigerator", "fridge"),
    ("monitor", "computer screen", "computer monitor"),
    # the demo world's shiny circles are drawn shaded: models call them spheres
    ("circle", "sphere", "orb", "disc", "disk"), ("diamond", "rhombus", "lozenge"),
    ("man", "guy", "gentleman"), ("woman", "lady"), ("child", "kid"), ("person", "human", "individual"),
    ("pillow", "cushion"), ("faucet", "tap"), ("cabinet", "cupboard"), ("counter", "countertop"),
    ("ocean", "sea"), ("sidewalk", "pavement", "footpath"), ("street", "road"), ("grass", "lawn"),
    ("bathtub", "tub", "bath"), ("remote", "remote control"), ("traffic light", "stoplight"),
    ("cell phone", "smartphone"), ("teddy bear", "teddy"), ("airplane", "aircraft"), ("umbrella", "parasol"),
    ("pole", "post"), ("sign", "signboard"), ("glass", "tumbler"), ("bicycle", "cycle"), ("cat", "kitty"),
    ("dog", "canine"), ("pants", "trousers"),
)
# broader words replies use (COCO's supercategories and their everyday words) -> the names they cover
_REPLY_BROADER: dict[str, tuple[str, ...]] = {
    "vehicle": ("car", "bus", "truck", "motorcycle", "bicycle", "airplane", "train", "boat", "van", "taxi"),
    "animal": ("bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "puppy",
               "kitten"),
    "furniture": ("chair", "couch", "bed", "table", "bench", "desk", "cabinet", "shelf", "stool"),
    "fruit": ("banana", "apple", "orange", "pear", "grape", "lemon"),
    "food": ("pizza", "sandwich", "cake", "donut", "hot dog", "broccoli", "carrot", "banana", "apple", "orange"),
    "cutlery": ("fork", "knife", "spoon"), "silverware": ("fork", "knife", "spoon"), "utensil": ("fork", "knife", "spoon"),
    "child": ("boy", "girl", "baby", "toddler"),
    "dog": ("puppy",), "cat": ("kitten",), "shoe": ("sneaker", "boot", "sandal"), "hat": ("cap", "beanie"),
    "bird": ("seagull", "gull", "pigeon", "duck", "parrot", "sparrow"), "artwork": ("painting", "drawing", "poster"),
    "pants": ("jeans", "shorts"), "footwear": ("shoe", "sneaker", "boot", "sandal"),
    "seat": ("chair", "bench", "couch", "stool", "armchair"), "chair": ("armchair",),
    "computer": ("laptop",), "screen": ("monitor", "tv"),
}


@lru_cache(maxsize=1)
def _classes() -> dict[str, str]:
    out: dict[str, str] = {}
    for group in (*_REPLY_SYNONYMS, *NAME_SYNONYMS):
        head = next((out[w] for w in group if w in out), group[0])
        for word in group:
            out.setdefault(word, head)
    return out


def name_class(name: str) -> str:
    """The name a (normalised) object name is read as: its synonym class's, else itself."""
    return _classes().get(name, name)


@lru_cache(maxsize=1)
def _broader() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for b, narrow in (*BROADER_NAMES.items(), *_REPLY_BROADER.items()):
        out.setdefault(name_class(b), set()).update(name_class(n) for n in narrow)
    return {b: frozenset(n - {b}) for b, n in out.items()}


def covers(broad: str, name: str) -> bool:
    """Whether an object annotated `name` may be called `broad` (classes of both): itself, or a
    narrower name under it ("person" covers "man")."""
    return broad == name or name in _broader().get(broad, ())


def broader_of(name: str) -> frozenset[str]:
    """The broader names over `name` ("man" -> person)."""
    return frozenset(b for b, narrow in _broader().items() if name in narrow)


def _lemma(synset: str) -> str | None:
    """The name a noun synset id gives ("teddy_bear.n.01" -> "teddy bear"); None for another."""
    word, _, rest = synset.lower().partition(".")
    return word.replace("_", " ") if word and rest.partition(".")[0] == "n" else None


def synset_classes(synsets: Mapping[str, Counter[str]]) -> dict[str, str]:
    """name class -> the class it is read as, of names sharing a synset (see the module docstring);
    `synsets`: (normalised) object name -> how many objects of that name each synset id was given
    (`claims.Lexicon.synsets`). Only the names it merges are keys."""
    synset_of: dict[str, str] = {}  # name class -> its names' synset (one: a class given two is left)
    weight: dict[str, int] = {}  # name class -> objects
    left: set[str] = set()
    for name, counts in sorted(synsets.items()):
        top = counts.most_common(2)
        lemma = _lemma(top[0][0]) if top else None
        if lemma is None or len(top) == 2 and top[0][1] == top[1][1] or " " in name and name != lemma:
            continue
        cls = name_class(name)
        if synset_of.setdefault(cls, top[0][0]) != top[0][0]:
            left.add(cls)
        weight[cls] = weight.get(cls, 0) + sum(counts.values())
    groups: dict[str, list[str]] = {}
    for cls, synset in synset_of.items():
        if cls not in left:
            groups.setdefault(synset, []).append(cls)
    out: dict[str, str] = {}
    for synset, members in groups.items():
        if len(members) < 2:
            continue
        own = name_class(str(_lemma(synset)))  # the synset's own name where a scene uses it, else the most used
        head = own if own in members else min(members, key=lambda c: (-weight[c], c))
        out.update((c, head) for c in members if c != head and not covers(head, c) and not covers(c, head))
    return out


def read_name(name: str, synonyms: Mapping[str, str] | None = None) -> str:
    """The name a (normalised) object name is read as in scoring: its class (`name_class`), read
    through the input's `synonyms` (`synset_classes`) when given."""
    cls = name_class(name)
    return synonyms.get(cls, cls) if synonyms else cls
