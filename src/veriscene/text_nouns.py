"""English surface forms of nouns: articles, plurals, units, number words and lists.

inflect does the linguistics; results are cached because generators call these in hot loops.
inflect is imported on first use, without its run-time type checks (`_import_inflect`).
Re-exported by `veriscene.text`, the place to import from.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import inflect

_NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
)

# Nouns plural in form that name one thing, counted in units: "a pair of jeans", "two pairs of
# skis" (COCO's "skis" is one pair), "a flight of stairs".
UNIT_NOUNS: dict[str, str] = {
    **dict.fromkeys(
        ["jeans", "pants", "shorts", "trousers", "slacks", "sweatpants", "overalls", "pajamas", "pyjamas",
         "leggings", "tights", "glasses", "sunglasses", "eyeglasses", "goggles", "binoculars", "scissors",
         "pliers", "tongs", "tweezers", "headphones", "earphones", "earbuds", "skis", "spectacles"], "pair"),
    "stairs": "flight", "blinds": "set", "clothes": "pile",
}
# Nouns whose plural is the word itself (besides the unit nouns), where inflect would add an -s.
SAME_PLURAL = frozenset(["species", "series", "dice", "news", "suds", "chess", "tennis", "biceps", "triceps",
                         "quadriceps", *UNIT_NOUNS])
# Names of one part of the body that end like plurals, as medical label tables name them (MSD's
# "pancreas", TotalSegmentator's "iliopsoas"): inflect's singular would make "pancrea", "iliopsoa".
ANATOMY_SINGULARS = frozenset(["pancreas", "iliopsoas", "psoas", "pons", "ascites"])
# Words that end like plurals but name one thing, or that inflect's singular would mangle
# ("atlas" -> "atla"); with `_SINGULAR_SUFFIXES` and words of three letters ending in -s ("bus",
# "gas"), never read as plural (`singular_form`).
KEEP_PLURAL = SAME_PLURAL | ANATOMY_SINGULARS | {
    "gas", "canvas", "lens", "atlas", "bias", "alias", "thermos", "chaos", "cosmos"}
_SINGULAR_SUFFIXES = ("ss", "us", "is", "ics", "ous")

# Tissues and body fluids, substances (`UNCOUNTABLE_NOUNS`): a structure of a medical label map ("white
# matter", "cerebrospinal fluid", a glioma's "edema") is a region of it, bowel a loop ("two regions
# of edema", "two loops of small bowel"; never "two edemas", "a white matter", "How many grey
# matters?"). "tissue" is not among them: Visual Genome's tissues are paper.
TISSUE_UNITS: dict[str, str] = {
    **dict.fromkeys(["matter", "fluid", "edema", "oedema", "fat", "blood", "bile", "urine", "ascites", "parenchyma",
                     "marrow", "necrosis", "atelectasis", "emphysema", "fibrosis"], "region"),
    "bowel": "loop",
}
# Nouns of a substance, not counted: said without an article ("Is there grass in the image?") and,
# when boxes of them are counted, counted in patches ("two patches of grass", "How many patches of
# sky?"). Narrower than `MASS_NOUNS`: a wall, a road or a field is one thing, an area of it only
# when it names a stuff region.
UNCOUNTABLE_NOUNS = frozenset([
    "sky", "grass", "water", "snow", "sand", "dirt", "mud", "gravel", "fog", "mist", "smoke", "steam",
    "moss", "straw", "hay", "foliage", "vegetation", "greenery", "pavement", "asphalt", "concrete",
    "ground", "hair", "fur", "graffiti", "sunlight", "sunshine", "shade", "ice", "rain", "dust",
    "lettuce", "broccoli", "rice", "meat", "frosting", "icing", "sauce", "cheese", "foam", "lava",
    # food and drink as Visual Genome names them ("a bacon", "an orange juice", "a toast" are no
    # English); names ending in one read so too ("orange juice", "whipped cream")
    "bacon", "butter", "toast", "bread", "coffee", "tea", "milk", "juice", "wine", "beer", "syrup",
    "honey", "soup", "pasta", "spaghetti", "cereal", "oatmeal", "yogurt", "cream", "ketchup", "mustard",
    "mayonnaise", "pepperoni", "ham", "sugar", "salt", "chocolate", "spinach", "celery", "garlic",
    "parsley", "dough", "skin", "bark", "rust", "paint",
    *TISSUE_UNITS,
])
# Substances of food (of `UNCOUNTABLE_NOUNS`) whose boxes are pieces or servings, not patches:
# COCO's broccoli is florets ("two pieces of broccoli", never "two patches of broccoli"), a box of
# rice or soup a serving. Still substances: said without an article and never counted.
FOOD_UNITS: dict[str, str] = {
    **dict.fromkeys(["lettuce", "broccoli", "meat", "cheese", "bacon", "toast", "bread", "ham", "pepperoni",
                     "chocolate", "spinach", "celery", "garlic", "parsley", "dough", "butter"], "piece"),
    **dict.fromkeys(["rice", "pasta", "spaghetti", "cereal", "oatmeal", "yogurt", "soup", "coffee", "tea",
                     "milk", "juice", "wine", "beer"], "serving"),
}
_SUBSTANCE_UNITS = {**FOOD_UNITS, **TISSUE_UNITS}
# Nouns of a kind of things, not of one thing, counted in pieces: Open Images' "Clothing",
# "Footwear", "Food", "Sports equipment", "Luggage and bags" ("a piece of clothing", "two pieces of
# sports equipment"; never "a clothing", "many clothings", "How many sports equipment?").
PIECE_NOUNS = frozenset([
    "clothing", "footwear", "equipment", "furniture", "luggage", "baggage", "food", "tableware",
    "kitchenware", "cookware", "cutlery", "silverware", "jewelry", "jewellery",
])
PIECE_UNIT = "piece"

# The units `counted` and `plural` count what is not one thing in: a patch of a substance
# (`UNCOUNTABLE_NOUNS`), a group of a name plural in form ("trees": one box around several).
MASS_UNIT, GROUP_UNIT = "patch", "group"

# Nouns that, before "of", name a group of the things named after it: Visual Genome's "group of
# people", "bunch of bananas", "herd of zebras", "row of windows", "pair of shoes" are one box
# around several people, bananas, ... (`veriscene.io.normalize` reads them so). Before a name
# singular in form ("herd of sheep") only those of `GROUP_NAMES` are: "string of kite" is a part.
# Not portions or containers ("piece of cake", "glass of water", "plate of food"): one thing.
COLLECTIVE_NOUNS = frozenset([
    "group", "bunch", "pile", "crowd", "herd", "flock", "row", "stack", "pair", "cluster", "line", "set",
    "team", "bundle", "collection", "fleet", "school", "pack", "swarm", "heap", "clump", "couple", "grove",
    "column", "array", "assortment", "string", "stand", "gaggle", "troop", "band", "clutch",
])
# Names that say a group alone, with what it is a group of where they tell it ("crowd": people),
# else None (the name is kept: a herd of what is not said). The collective nouns that also name a
# single thing ("line", "set", "stand", "school", "pack") are collective only before "of".
GROUP_NAMES: dict[str, str | None] = {
    "crowd": "person", "audience": "person", "spectator crowd": "person", "cattle": "cow",
    "herd": None, "flock": None, "group": None, "bunch": None, "cluster": None, "swarm": None,
    "pile": None, "stack": None, "team": None, "grove": None, "gaggle": None,
}

# Nouns read as a mass, without a number, when they name a stuff region (an area of it, see
# `veriscene.scene.model`): "the image shows a dog, grass and sky", against "trees" for a merged
# region of trees. COCO panoptic's and COCO-Stuff's stuff classes, cleaned (`region_noun`).
MASS_NOUNS = frozenset([
    "sky", "grass", "water", "sea", "river", "snow", "sand", "dirt", "mud", "gravel", "ground",
    "pavement", "road", "railroad", "playing field", "field", "floor", "ceiling", "wall", "fog",
    "moss", "straw", "hay", "leaves", "foliage", "vegetation", "paper", "cardboard", "food", "fruit",
    "cloth", "textile", "carpet", "rug", "wood", "metal", "plastic", "stone", "concrete", "marble",
    "tile", "brick", "net",
])


# Names that are initialisms, written in capitals wherever they are said: COCO's "tv" is "a TV",
# "two TVs" ("Tvs" where a sentence starts with it). Others' "tv" too (Visual Genome writes both).
INITIALISMS = frozenset(["tv", "atm", "atv", "cd", "dvd"])
_INITIALISM = re.compile(r"\b(" + "|".join(sorted(INITIALISMS)) + r")(s?)\b", re.IGNORECASE)


def display_case(text: str) -> str:
    """`text` with its initialisms (`INITIALISMS`) in capitals: 'a tv stand' -> 'a TV stand',
    'Tvs' -> 'TVs'. For display only: names and answers stay as annotated ('tv')."""
    # the search costs about 4% of generation's instructions: tried only where one of these
    # strings, which every initialism holds (a test checks), is in the text
    lowered = text.lower()
    if not ("tv" in lowered or "atm" in lowered or "cd" in lowered or "dvd" in lowered):
        return text
    if _INITIALISM.search(text) is None:
        return text
    return _INITIALISM.sub(lambda m: m.group(1).upper() + m.group(2).lower(), text)


def _unchecked(target: Any = None, **_options: Any) -> Any:
    """typeguard's `typechecked` as a no-op, in both its forms (`@typechecked`, `@typechecked(...)`)."""
    return target if target is not None else (lambda function: function)


def _import_inflect() -> ModuleType:
    """Import inflect with typeguard's `@typechecked` made a no-op while inflect's module runs.

    inflect decorates its API with `typechecked`, which re-parses inflect's whole source once per
    decorated function (about 2.3 s per process) and then checks the arguments of every call (a
    call to `a`, `plural_noun` or `singular_noun` on a new word costs 50-140 us instead of 7-41).
    We pass it only strings, so those checks never fire; inflect's results are the same. The
    decorator is restored at once; an inflect imported earlier by someone else is used as it is.
    """
    if "inflect" in sys.modules:
        return sys.modules["inflect"]
    import typeguard

    typechecked = typeguard.typechecked
    typeguard.typechecked = _unchecked
    try:
        import inflect
    finally:
        typeguard.typechecked = typechecked
    return inflect


@lru_cache(maxsize=1)
def inflect_engine() -> "inflect.engine":
    """The shared inflect engine (imported on first use)."""
    return _import_inflect().engine()


def _qualified(phrase: str) -> tuple[str, str]:
    """The phrase up to the noun that is inflected and counted, and the rest: 'bow (weapon)' ->
    ('bow', ' (weapon)') (LVIS tells names apart by a qualifier in parentheses); 'group of men'
    -> ('group', ' of men'), 'large glass of water' -> ('large glass', ' of water') (the head of
    "N of M" is N: "a group of men is", "two glasses of water", never "a group of group of
    men" or "two patches of glass of water"); ('cup', '') for any other."""
    qualifier = ""
    if phrase.endswith(")"):
        i = phrase.rfind(" (")
        if i > 0:
            phrase, qualifier = phrase[:i], phrase[i:]
    i = phrase.find(" of ")
    if i > 0 and len(phrase) > i + 4:
        return phrase[:i], phrase[i:] + qualifier
    return phrase, qualifier


@lru_cache(maxsize=65536)
def singular_form(word: str) -> str | None:
    """The singular of a word plural in form: 'trees' -> 'tree', 'people' -> 'person', 'men' ->
    'man'; None for any other word: a singular ('tree', 'sheep', 'grass'), one plural in form that
    names one thing or is its own plural (`KEEP_PLURAL`: 'jeans', 'species'), one inflect would
    mangle ('bus', 'cactus', 'tennis', 'atlas'), and one not of lower-case letters only."""
    if ((len(word) <= 3 and word.endswith("s")) or word in KEEP_PLURAL or word.endswith(_SINGULAR_SUFFIXES)
            or not word.isalpha() or not word.islower()):
        return None
    singular = inflect_engine().singular_noun(word)
    return singular if isinstance(singular, str) and singular and singular != word else None


@lru_cache(maxsize=65536)
def _count_unit(word: str) -> str | None:
    """The unit a noun is counted in ("pair" for 'jeans', "piece" for 'clothing', `MASS_UNIT` for
    'grass', `GROUP_UNIT` for 'trees'), None for a noun counted as it is."""
    unit = UNIT_NOUNS.get(word)
    if unit is not None:
        return unit
    if word in PIECE_NOUNS:
        return PIECE_UNIT
    if word in UNCOUNTABLE_NOUNS:
        return _SUBSTANCE_UNITS.get(word, MASS_UNIT)
    return GROUP_UNIT if singular_form(word) is not None else None


# The functions of a phrase below are cached: a data set's names and phrases are few and asked
# of many times per scene (their tables are constants).
@lru_cache(maxsize=65536)
def _unit_of(phrase: str) -> str | None:
    """The unit ("pair", "patch", "group") the noun ending `phrase` is counted in, else None."""
    phrase = _qualified(phrase)[0]
    return _count_unit(phrase[phrase.rfind(" ") + 1:])


@lru_cache(maxsize=65536)
def is_uncountable(name: str) -> bool:
    """Whether `name` ends in a noun of a substance (`UNCOUNTABLE_NOUNS`): 'grass', 'blue sky'.
    Boxes of it are patches (pieces or servings of food: `FOOD_UNITS`), and "how many" of it asks
    how many were drawn."""
    phrase = _qualified(name)[0]
    return phrase[phrase.rfind(" ") + 1:] in UNCOUNTABLE_NOUNS


@lru_cache(maxsize=65536)
def with_article(phrase: str) -> str:
    """'apple' -> 'an apple', 'red cup' -> 'a red cup' (inflect's `a`); 'blue jeans' -> 'a pair of
    blue jeans' (`UNIT_NOUNS`); 'green grass' -> 'green grass' (`UNCOUNTABLE_NOUNS`: no article);
    'trees' -> 'a group of trees' (a name plural in form: one object of it is a group)."""
    unit = _unit_of(phrase)
    if unit is not None:
        if is_uncountable(phrase):
            return display_case(phrase)
        return f"{_article_before(unit)} {unit} of {display_case(phrase)}"
    first, space, _ = phrase.partition(" ")
    if space and first.split() == [first] and first.lower() not in ("a", "an") and not phrase[-1].isspace():
        # inflect's article rules read the start of the text, never past the character after
        # its first word: every phrase of two or more words takes the article of "<first> x"
        # (unless it starts with an article, which inflect replaces). Cached per first word:
        # phrases of attributes and names are many, their first words few.
        return display_case(f"{_article_before(first)} {phrase}")
    return display_case(_with_article(phrase))


@lru_cache(maxsize=65536)
def _article_before(first_word: str) -> str:
    return inflect_engine().a(f"{first_word} x").partition(" ")[0]


@lru_cache(maxsize=65536)
def _with_article(phrase: str) -> str:
    return inflect_engine().a(phrase)


@lru_cache(maxsize=65536)
def plural(noun_phrase: str) -> str:
    """'red box' -> 'red boxes' (inflects the last word only); 'jeans' -> 'jeans' (`SAME_PLURAL`);
    'bow (weapon)' -> 'bows (weapon)' (`_qualified`); 'grass' -> 'patches of grass' and 'trees' ->
    'groups of trees' (counted in units: `_count_unit`)."""
    phrase, qualifier = _qualified(noun_phrase)
    head, _, last = phrase.rpartition(" ")
    if last in SAME_PLURAL:
        return display_case(noun_phrase)
    unit = _count_unit(last)
    if unit is not None:
        return f"{_plural_word(unit)} of {display_case(noun_phrase)}"
    inflected = _plural_word(last)
    return display_case((f"{head} {inflected}" if head else inflected) + qualifier)


@lru_cache(maxsize=65536)
def region_noun(name: str) -> str:
    """How a stuff region of `name` is named, without a number: 'sky', 'brick wall' (its last word
    in `MASS_NOUNS` or `UNCOUNTABLE_NOUNS`), 'trees' (plural already), 'clothing' (`PIECE_NOUNS`),
    else the plural: 'trees'."""
    if is_mass(name) or is_uncountable(name):
        return display_case(name)
    return display_case(name) if _unit_of(name) in (GROUP_UNIT, PIECE_UNIT) else plural(name)


@lru_cache(maxsize=65536)
def is_mass(name: str) -> bool:
    """Whether `name` reads as a mass noun when it names a region (`MASS_NOUNS`, last word or all)."""
    name = _qualified(name)[0]
    return name in MASS_NOUNS or name[name.rfind(" ") + 1:] in MASS_NOUNS


@lru_cache(maxsize=65536)
def _plural_word(word: str) -> str:
    """inflect's plural of one word, except: a word not ending in a letter takes -s (inflect
    makes "3" "3S": "liver segment 3s"), and a word ending in -s to which inflect adds a bare -s
    takes -es ("pancreas": "pancreases", not "pancreass")."""
    if not word[-1:].isalpha():
        return word + "s"
    inflected = inflect_engine().plural_noun(word) or word + "s"
    return word + "es" if word.endswith("s") and inflected == word + "s" else inflected


def number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


@lru_cache(maxsize=65536)
def counted(n: int, noun_phrase: str) -> str:
    """(3, 'red cup') -> 'three red cups'; (1, 'cup') -> 'a cup'; (2, 'jeans') -> 'two pairs of
    jeans'; (2, 'grass') -> 'two patches of grass'; (2, 'trees') -> 'two groups of trees'."""
    if n == 1:
        return with_article(noun_phrase)
    unit = _unit_of(noun_phrase)
    if unit is not None:
        return f"{number_word(n)} {_plural_word(unit)} of {display_case(noun_phrase)}"
    return f"{number_word(n)} {plural(noun_phrase)}"


@lru_cache(maxsize=65536)
def unit_phrase(noun_phrase: str) -> str:
    """One object of `noun_phrase` as a number or "at least one" takes it, without the number:
    'cup' -> 'cup', 'jeans' -> 'pair of jeans', 'grass' -> 'patch of grass', 'trees' -> 'group of
    trees' ("at least one patch of grass", never "at least one grass")."""
    unit = _unit_of(noun_phrase)
    return display_case(noun_phrase) if unit is None else f"{unit} of {display_case(noun_phrase)}"


@lru_cache(maxsize=65536)
def counted_plural(noun_phrase: str) -> str:
    """The plural that a count is of ("How many ...?", "more ... than"), as `counted` says it:
    'cup' -> 'cups', 'jeans' -> 'pairs of jeans' ("How many jeans?" leaves the unit open, and
    `counted` says "two pairs of jeans"), 'grass' -> 'patches of grass', 'trees' -> 'groups of trees'."""
    unit = _unit_of(noun_phrase)
    return plural(noun_phrase) if unit is None else f"{_plural_word(unit)} of {display_case(noun_phrase)}"


@lru_cache(maxsize=65536)
def takes_plural_verb(noun_phrase: str) -> bool:
    """Whether "the <noun_phrase>" takes a plural verb: its noun is plural in form, one thing
    ('jeans', 'blue glasses', `UNIT_NOUNS`) or several ('trees', 'people'); not 'cup', 'grass',
    'species'. (`with_article` phrases of these are singular: "a pair of jeans is".)"""
    last = _qualified(noun_phrase)[0].rpartition(" ")[2]
    return last in UNIT_NOUNS or singular_form(last) is not None


def join_words(items: Sequence[str], conjunction: str = "and") -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
