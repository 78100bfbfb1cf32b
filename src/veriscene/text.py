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
# Words that end like plurals but name one thing, or that inflect's singular would mangle
# ("atlas" -> "atla"); with `_SINGULAR_SUFFIXES` and words of three letters ending in -s ("bus",
# "gas"), never read as plural (`singular_form`).
KEEP_PLURAL = SAME_PLURAL | {"gas", "canvas", "lens", "atlas", "bias", "alias", "thermos", "chaos", "cosmos"}
_SINGULAR_SUFFIXES = ("ss", "us", "is", "ics", "ous")

# Nouns of a substance, not counted: said without an article ("Is there grass in the image?") and,
# when boxes of them are counted, counted in patches ("two patches of grass", "How many patches of
# sky?"). Narrower than `MASS_NOUNS`: a wall, a road or a field is one thing, an area of it only
# when it names a stuff region.
UNCOUNTABLE_NOUNS = frozenset([
    "sky", "grass", "water", "snow", "sand", "dirt", "mud", "gravel", "fog", "mist", "smoke", "steam",
    "moss", "straw", "hay", "foliage", "vegetation", "greenery", "pavement", "asphalt", "concrete",
    "ground", "hair", "fur", "graffiti", "sunlight", "sunshine", "shade", "ice", "rain", "dust",
    "lettuce", "broccoli", "rice", "meat", "frosting", "icing", "sauce", "cheese", "foam", "lava",
])
# The units `counted` and `plural` count what is not one thing in: a patch of a substance
# (`UNCOUNTABLE_NOUNS`), a group of a name plural in form ("trees": one box around several).
MASS_UNIT, GROUP_UNIT = "patch", "group"

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
    """The unit a noun is counted in ("pair" for 'jeans', `MASS_UNIT` for 'grass', `GROUP_UNIT`
    for 'trees'), None for a noun counted as it is."""
    unit = UNIT_NOUNS.get(word)
    if unit is not None:
        return unit
    if word in UNCOUNTABLE_NOUNS:
        return MASS_UNIT
    return GROUP_UNIT if singular_form(word) is not None else None


def _unit_of(phrase: str) -> str | None:
    """The unit ("pair", "patch", "group") the noun ending `phrase` is counted in, else None."""
    phrase = _qualified(phrase)[0]
    return _count_unit(phrase[phrase.rfind(" ") + 1:])


def is_uncountable(name: str) -> bool:
    """Whether `name` ends in a noun of a substance (`UNCOUNTABLE_NOUNS`): 'grass', 'blue sky'.
    Boxes of it are patches, and "how many" of it asks how many patches were drawn."""
    return _unit_of(name) == MASS_UNIT


def with_article(phrase: str) -> str:
    """'apple' -> 'an apple', 'red cup' -> 'a red cup' (inflect's `a`); 'blue jeans' -> 'a pair of
    blue jeans' (`UNIT_NOUNS`); 'green grass' -> 'green grass' (`UNCOUNTABLE_NOUNS`: no article);
    'trees' -> 'a group of trees' (a name plural in form: one object of it is a group)."""
    unit = _unit_of(phrase)
    if unit is not None:
        if unit == MASS_UNIT:
            return phrase
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
    'bow (weapon)' -> 'bows (weapon)' (`_qualified`); 'grass' -> 'patches of grass' and 'trees' ->
    'groups of trees' (counted in units: `_count_unit`)."""
    phrase, qualifier = _qualified(noun_phrase)
    head, _, last = phrase.rpartition(" ")
    if last in SAME_PLURAL:
        return noun_phrase
    unit = _count_unit(last)
    if unit is not None:
        return f"{_plural_word(unit)} of {noun_phrase}"
    inflected = _plural_word(last)
    return (f"{head} {inflected}" if head else inflected) + qualifier


def region_noun(name: str) -> str:
    """How a stuff region of `name` is named, without a number: 'sky', 'brick wall' (its last word
    in `MASS_NOUNS` or `UNCOUNTABLE_NOUNS`), 'trees' (plural already), else the plural: 'trees'."""
    if is_mass(name):
        return name
    return name if _unit_of(name) in (MASS_UNIT, GROUP_UNIT) else plural(name)


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
    jeans'; (2, 'grass') -> 'two patches of grass'; (2, 'trees') -> 'two groups of trees'."""
    if n == 1:
        return with_article(noun_phrase)
    unit = _unit_of(noun_phrase)
    if unit is not None:
        return f"{number_word(n)} {_plural_word(unit)} of {noun_phrase}"
    return f"{number_word(n)} {plural(noun_phrase)}"


def unit_phrase(noun_phrase: str) -> str:
    """One object of `noun_phrase` as a number or "at least one" takes it, without the number:
    'cup' -> 'cup', 'jeans' -> 'pair of jeans', 'grass' -> 'patch of grass', 'trees' -> 'group of
    trees' ("at least one patch of grass", never "at least one grass")."""
    unit = _unit_of(noun_phrase)
    return noun_phrase if unit is None else f"{unit} of {noun_phrase}"


def counted_plural(noun_phrase: str) -> str:
    """The plural that a count is of ("How many ...?", "more ... than"), as `counted` says it:
    'cup' -> 'cups', 'jeans' -> 'pairs of jeans' ("How many jeans?" leaves the unit open, and
    `counted` says "two pairs of jeans"), 'grass' -> 'patches of grass', 'trees' -> 'groups of trees'."""
    unit = _unit_of(noun_phrase)
    return plural(noun_phrase) if unit is None else f"{_plural_word(unit)} of {noun_phrase}"


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


# First words of predicates said after "is" beside those of `_PREPOSITIONS` (Visual Genome's and
# GQA's "of", "to the left of", "attached to", "made of"): prepositions and past participles.
_PREPOSITION_WORDS = frozenset({
    "about", "above", "across", "after", "against", "along", "alongside", "among", "around", "at", "atop",
    "before", "behind", "below", "beneath", "beside", "between", "beyond", "by", "down", "for", "from", "in",
    "inside", "into", "near", "next", "of", "off", "on", "onto", "out", "outside", "over", "past", "through",
    "to", "toward", "towards", "under", "underneath", "up", "upon", "with", "within", "without",
    "amid", "amidst", "amongst", "aboard", "besides", "throughout", "via",
})
_PARTICIPLES = frozenset({"made", "worn", "hung", "held", "built", "drawn", "written", "shown", "seen", "sewn"})
# First words of predicates that are adjectives or nouns, said after "is" as well ("part of", "full
# of", "close to", "similar to"); so is a comparative before "than" ("taller than").
_PREDICATIVE_WORDS = frozenset({
    "part", "full", "close", "closer", "adjacent", "similar", "same", "opposite", "parallel", "ahead",
    "top", "bottom", "side", "edge", "center", "centre", "middle", "front", "back", "piece", "empty",
    "different", "equal", "identical", "far", "free", "home", "kind", "type", "upside",
})
# Verbs whose present tense is irregular (third person singular, plural)
_IRREGULAR_VERBS = {"have": ("has", "have"), "has": ("has", "have"), "do": ("does", "do"),
                    "does": ("does", "do"), "go": ("goes", "go"), "goes": ("goes", "go")}
# Words a raw predicate may begin or end with that add nothing: a copula ("are on", "is holding":
# the phrase says "is" itself) and an article or possessive ("has a", "on the", "wearing his").
LEADING_COPULAS = frozenset({"is", "are", "was", "were", "be", "being", "been"})
TRAILING_ARTICLES = frozenset({"a", "an", "the", "its", "his", "their"})
# Predicates that say nothing about how two objects relate (Visual Genome has "and" between
# objects named in one phrase): normalisation drops their relations; phrased, they stay as given.
MEANINGLESS_PREDICATES = frozenset({"and", "or", "but", "nor", "then", "&", "+", *LEADING_COPULAS, *TRAILING_ARTICLES})


# First words of a predicate (after "is") that say where one thing is relative to another: a
# question "Where is X relative to Y?" is answered by these, not by "made of" or "holding".
_SPATIAL_WORDS = frozenset({
    "above", "across", "against", "ahead", "along", "alongside", "amid", "amidst", "among", "amongst",
    "around", "at", "atop", "behind", "below", "beneath", "beside", "between", "beyond", "by", "close",
    "far", "in", "inside", "into", "near", "next", "on", "onto", "opposite", "outside", "over", "past",
    "to", "under", "underneath", "upon", "within", "adjacent",
})


@lru_cache(maxsize=4096)
def is_spatial(predicate: str) -> bool:
    """Whether the predicate says where the subject is ('left of', 'on', 'in front of', 'next
    to', 'close to'), so that "Where is X relative to Y?" asks for it; not 'made of', 'parked
    on', 'part of', 'holding', 'has', 'with', 'of'."""
    phrase = relation_phrase(predicate)
    return phrase.startswith("is ") and phrase[3:].split(" ", 1)[0] in _SPATIAL_WORDS


def is_prepositional(predicate: str) -> bool:
    """Whether the predicate is said after "is" ("is on", "is holding", "is attached to")."""
    return relation_phrase(predicate).startswith("is ")


def trim_predicate(predicate: str) -> str:
    """'are on' -> 'on', 'has a' -> 'has', 'is sitting on the' -> 'sitting on': a leading copula
    and a trailing article (`LEADING_COPULAS`, `TRAILING_ARTICLES`) dropped, as long as a word
    remains; any other predicate as it is."""
    words = predicate.split(" ")
    while len(words) > 1 and words[0] in LEADING_COPULAS:
        del words[0]
    while len(words) > 1 and words[-1] in TRAILING_ARTICLES:
        del words[-1]
    return " ".join(words)


def _said_after_is(first: str, rest: list[str]) -> bool:
    """Whether a predicate starting with `first` (then `rest`) is said after "is"."""
    return (first.endswith("ing") or first in _PREPOSITION_WORDS or first in _PARTICIPLES
            or (first.endswith("ed") and len(first) > 4) or first in _PREDICATIVE_WORDS
            or (rest[:1] == ["than"]))


def _verb_forms(verb: str) -> tuple[str, str]:
    """(third person singular, plural) of a verb given in either: 'hold' and 'holds' -> ('holds',
    'hold'), 'have' and 'has' -> ('has', 'have'), 'carry' -> ('carries', 'carry')."""
    irregular = _IRREGULAR_VERBS.get(verb)
    if irregular is not None:
        return irregular
    engine = inflect_engine()
    bare = engine.plural_verb(verb) if verb.endswith("s") and not verb.endswith("ss") else verb
    if bare != verb:  # 'holds' -> 'hold': given in the singular
        return verb, bare
    return engine.plural_noun(verb) or verb + "s", verb  # a noun's plural -s is the verb's


@lru_cache(maxsize=4096)
def relation_phrase(predicate: str) -> str:
    """Verb phrase for 'X <phrase> Y' with one X: 'left of' -> 'is to the left of', 'holding' -> 'is
    holding', 'to the left of' -> 'is to the left of', 'attached to' -> 'is attached to', 'part of'
    -> 'is part of', 'has' -> 'has', 'hold' -> 'holds', 'look at' -> 'looks at', 'are on' -> 'is
    on', 'has a' -> 'has' (`trim_predicate`)."""
    if predicate in _PREPOSITIONS:
        return f"is {_PREPOSITIONS[predicate]}"
    predicate = trim_predicate(predicate)
    if predicate in _PREPOSITIONS:
        return f"is {_PREPOSITIONS[predicate]}"
    first, *rest = predicate.split(" ")
    if predicate in MEANINGLESS_PREDICATES:
        return predicate
    if _said_after_is(first, rest):
        return f"is {predicate}"
    if not first.isalpha():
        return predicate
    return " ".join([_verb_forms(first)[0], *rest])


@lru_cache(maxsize=4096)
def relation_phrase_plural(predicate: str) -> str:
    """Plural-subject form: 'are to the left of', 'are holding', 'have', 'hold'."""
    phrase = relation_phrase(predicate)
    if phrase.startswith("is "):
        return "are " + phrase[3:]
    first, _, rest = phrase.partition(" ")
    if not first.isalpha():
        return phrase
    return f"{_verb_forms(first)[1]} {rest}" if rest else _verb_forms(first)[1]


@lru_cache(maxsize=4096)
def relation_modifier(predicate: str) -> str:
    """The predicate after a noun, as in 'the man <modifier> the plate': 'on', 'holding', 'to the
    left of', 'that is part of', 'with' (for 'has'), 'holding' (for 'holds' and 'hold'), 'looking
    at'."""
    phrase = relation_phrase(predicate)
    if phrase in MEANINGLESS_PREDICATES:  # "and": as it is (readers drop such relations)
        return phrase
    if phrase.startswith("is "):
        head = phrase[3:]
        first, _, rest = head.partition(" ")
        # an adjective or noun does not follow a noun alone: "the window that is part of"
        return f"that {phrase}" if first in _PREDICATIVE_WORDS or rest.startswith("than") else head
    first, _, rest = phrase.partition(" ")
    if not first.isalpha():
        return phrase
    bare = _verb_forms(first)[1]
    participle = "with" if bare == "have" else inflect_engine().present_participle(bare)
    return f"{participle} {rest}" if rest else participle


def agreeing_relation_phrase(subject: str, predicate: str) -> str:
    """`relation_phrase` for "the <subject>", plural where its noun is (`takes_plural_verb`):
    ('cup', 'on') -> 'is on', ('jeans', 'on') -> 'are on', ('glasses', 'has') -> 'have'."""
    return relation_phrase_plural(predicate) if takes_plural_verb(subject) else relation_phrase(predicate)


def agreeing_relation_modifier(subject: str, predicate: str) -> str:
    """`relation_modifier` after "the <subject>": "the jeans that are part of the outfit" where
    the noun is plural in form (`takes_plural_verb`), else as it is."""
    modifier = relation_modifier(predicate)
    if takes_plural_verb(subject) and modifier.startswith("that is "):
        return "that are " + modifier[8:]
    return modifier


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
