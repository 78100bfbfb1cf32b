"""English surface forms: articles, plurals, number words, lists and relation phrases.

inflect does the linguistics; results are cached because generators call these in hot loops.
inflect is imported on first use, without its run-time type checks (`_import_inflect`).
"""

from __future__ import annotations

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
         "pliers", "tongs", "tweezers", "headphones", "earphones", "earbuds", "skis"], "pair"),
    "stairs": "flight", "blinds": "set", "clothes": "pile",
}
# Nouns whose plural is the word itself (besides the unit nouns), where inflect would add an -s.
SAME_PLURAL = frozenset(["species", "series", "dice", "news", "suds", "chess", "tennis", *UNIT_NOUNS])

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

# Predicates phrased with "is" ("the cup is on the table"); anything ending in -ing too.
_PREPOSITIONS = {
    "left of": "to the left of",
    "right of": "to the right of",
    "above": "above",
    "below": "below",
    "under": "under",
    "on": "on",
    "on top of": "on top of",
    "in": "in",
    "inside": "inside",
    "in front of": "in front of",
    "behind": "behind",
    "near": "near",
    "next to": "next to",
    "beside": "beside",
    "by": "by",
    "at": "at",
    "with": "with",
    "over": "over",
    "along": "along",
    "against": "against",
    "across": "across",
    "around": "around",
    "beneath": "beneath",
}


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
    typeguard.typechecked = _unchecked  # type: ignore[assignment]
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
    """'bow (weapon)' -> ('bow', ' (weapon)'): LVIS tells names apart by a qualifier in
    parentheses, and the noun before it is the one to inflect; ('cup', '') without one."""
    if phrase.endswith(")"):
        i = phrase.rfind(" (")
        if i > 0:
            return phrase[:i], phrase[i:]
    return phrase, ""


def _unit_of(phrase: str) -> str | None:
    """The unit ("pair", ...) a phrase ending in one of `UNIT_NOUNS` is counted in, else None."""
    phrase = _qualified(phrase)[0]
    return UNIT_NOUNS.get(phrase[phrase.rfind(" ") + 1:])


def with_article(phrase: str) -> str:
    """'apple' -> 'an apple', 'red cup' -> 'a red cup' (inflect's `a`); 'blue jeans' -> 'a pair of
    blue jeans' (`UNIT_NOUNS`)."""
    unit = _unit_of(phrase)
    if unit is not None:
        return f"{_article_before(unit)} {unit} of {phrase}"
    first, space, _ = phrase.partition(" ")
    if space and first.split() == [first] and first.lower() not in ("a", "an") and not phrase[-1].isspace():
        # inflect's article rules read the start of the text, never past the character after
        # its first word: every phrase of two or more words takes the article of "<first> x"
        # (unless it starts with an article, which inflect replaces). Cached per first word:
        # phrases of attributes and names are many, their first words few.
        return f"{_article_before(first)} {phrase}"
    return _with_article(phrase)


@lru_cache(maxsize=65536)
def _article_before(first_word: str) -> str:
    return inflect_engine().a(f"{first_word} x").partition(" ")[0]


@lru_cache(maxsize=65536)
def _with_article(phrase: str) -> str:
    return inflect_engine().a(phrase)


def plural(noun_phrase: str) -> str:
    """'red box' -> 'red boxes' (inflects the last word only); 'jeans' -> 'jeans' (`SAME_PLURAL`);
    'bow (weapon)' -> 'bows (weapon)' (`_qualified`)."""
    phrase, qualifier = _qualified(noun_phrase)
    head, _, last = phrase.rpartition(" ")
    if last in SAME_PLURAL:
        return noun_phrase
    inflected = _plural_word(last)
    return (f"{head} {inflected}" if head else inflected) + qualifier


def region_noun(name: str) -> str:
    """How a stuff region of `name` is named, without a number: 'sky', 'brick wall' (its last word
    in `MASS_NOUNS`), else the plural: 'trees'."""
    return name if is_mass(name) else plural(name)


def is_mass(name: str) -> bool:
    """Whether `name` reads as a mass noun when it names a region (`MASS_NOUNS`, last word or all)."""
    name = _qualified(name)[0]
    return name in MASS_NOUNS or name[name.rfind(" ") + 1:] in MASS_NOUNS


@lru_cache(maxsize=65536)
def _plural_word(word: str) -> str:
    return inflect_engine().plural_noun(word) or word + "s"


def number_word(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def counted(n: int, noun_phrase: str) -> str:
    """(3, 'red cup') -> 'three red cups'; (1, 'cup') -> 'a cup'; (2, 'jeans') -> 'two pairs of
    jeans'."""
    if n == 1:
        return with_article(noun_phrase)
    unit = _unit_of(noun_phrase)
    if unit is not None:
        return f"{number_word(n)} {unit}s of {noun_phrase}"
    return f"{number_word(n)} {plural(noun_phrase)}"


def join_words(items: Sequence[str], conjunction: str = "and") -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


# First words of predicates said after "is" beside those of `_PREPOSITIONS` (Visual Genome's and
# GQA's "of", "to the left of", "attached to", "made of"): prepositions and past participles.
_PREPOSITION_WORDS = frozenset({
    "about", "above", "across", "after", "against", "along", "alongside", "among", "around", "at", "atop",
    "before", "behind", "below", "beneath", "beside", "between", "beyond", "by", "down", "for", "from", "in",
    "inside", "into", "near", "next", "of", "off", "on", "onto", "out", "outside", "over", "past", "through",
    "to", "toward", "towards", "under", "underneath", "up", "upon", "with", "within", "without",
})
_PARTICIPLES = frozenset({"made", "worn", "hung", "held", "built", "drawn", "written", "shown", "seen", "sewn"})


def is_prepositional(predicate: str) -> bool:
    """Whether the predicate is said after "is" ("is on", "is holding", "is attached to")."""
    return relation_phrase(predicate).startswith("is ")


@lru_cache(maxsize=4096)
def relation_phrase(predicate: str) -> str:
    """Verb phrase for 'X <phrase> Y': 'left of' -> 'is to the left of', 'holding' -> 'is holding',
    'to the left of' -> 'is to the left of', 'attached to' -> 'is attached to', 'has' -> 'has'."""
    if predicate in _PREPOSITIONS:
        return f"is {_PREPOSITIONS[predicate]}"
    first = predicate.split(" ")[0]
    if (first.endswith("ing") or first in _PREPOSITION_WORDS or first in _PARTICIPLES
            or (first.endswith("ed") and len(first) > 4)):
        return f"is {predicate}"
    return predicate


def relation_phrase_plural(predicate: str) -> str:
    """Plural-subject form: 'are to the left of', 'are holding', 'have'."""
    phrase = relation_phrase(predicate)
    if phrase.startswith("is "):
        return "are " + phrase[3:]
    if phrase in ("has",):
        return "have"
    return phrase


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
