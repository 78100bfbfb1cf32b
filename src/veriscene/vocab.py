"""Vocabulary shared by generators, readers and answer matching.

`ATTRIBUTE_TYPES` maps an attribute word to its type ("color", "material", ...), so a generator can
ask "What color is ...?" and draw distractors of the same type. Words not listed have type
"attribute" (untyped). Users extend it with `register_attribute_types`.

Words of one type are not all exclusive, and a wrong option must be exclusive with the answer:
- `SYNONYM_CLASSES`: words that mean the same ("big", "large"); the first is the class's name
  (`attribute_class`). Two words of a class are never both options, nor both set members that
  an option differs by.
- `OVERLAPPING`: classes one of which may hold where the other does (a huge thing is big, a navy
  one blue, a square rectangular): `related_attributes`.
- `SUBKINDS`: words of a type that describe another property than its other words ("tall" and
  "short" are heights, not sizes: a tall thing may be small).
`compatible_attributes(word)` gathers the words of its type that may hold of one object with it
(never a wrong option when it is right); `exclusive(a, b)` is their opposite.
`implied_attributes(word)` gathers the words that hold of an object annotated with it (its
synonyms and broader words: a "huge" dog is big), which programs filter and count by.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Mapping

UNTYPED = "attribute"

_DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "color": (
        "red", "green", "blue", "yellow", "purple", "orange", "gray", "grey", "brown", "black",
        "white", "pink", "cyan", "tan", "silver", "gold", "beige", "navy",
    ),
    # what a thing is made of, a noun or its adjective ("wooden"); "metallic" says how a surface
    # looks ("metallic paint"), not what it is made of: a finish ("What material is the car made
    # of? metallic" is no English). CLEVR's materials are "metal" and "rubber".
    "material": (
        "metal", "rubber", "wooden", "wood", "plastic", "glass",
        "leather", "stone", "concrete", "brick", "fabric", "paper", "ceramic",
    ),
    "finish": ("matte", "shiny", "glossy", "dull", "metallic"),
    "size": ("small", "large", "big", "tiny", "huge", "tall", "short", "little", "giant"),
    "shape": ("round", "square", "rectangular", "triangular", "circular", "oval", "cylindrical"),
    "pattern": ("striped", "dotted", "checkered", "plaid", "spotted", "plain", "patterned"),
}

ATTRIBUTE_TYPES: dict[str, str] = {
    word: kind for kind, words in _DEFAULT_TYPES.items() for word in words
}


def attribute_type(word: str) -> str:
    """The type of an attribute word ("color", "material", ...) or "attribute" if unknown."""
    return ATTRIBUTE_TYPES.get(word, UNTYPED)


# Words of one type with the same meaning; the first names the class (answer matching reads
# "grey" as "gray" too: `answers.normalize.DEFAULT_SYNONYMS`).
SYNONYM_CLASSES: tuple[tuple[str, ...], ...] = (
    ("gray", "grey"), ("big", "large"), ("huge", "giant"), ("small", "little"),
    ("round", "circular"), ("wood", "wooden"),
    ("shiny", "glossy"), ("matte", "dull"), ("dotted", "spotted"),
)
# Pairs of classes (by their first word) of which one may hold where the other does, as (broader,
# narrower): what is narrower may be called by the broader word (a huge thing is big); both
# orders where neither is narrower.
OVERLAPPING: tuple[tuple[str, str], ...] = (
    ("big", "huge"), ("small", "tiny"),
    ("blue", "navy"), ("gray", "silver"), ("yellow", "gold"), ("brown", "tan"), ("brown", "beige"),
    ("tan", "beige"), ("beige", "tan"),
    ("rectangular", "square"), ("round", "oval"), ("round", "cylindrical"),
    ("checkered", "plaid"), ("patterned", "striped"), ("patterned", "dotted"), ("patterned", "checkered"),
    ("patterned", "plaid"),
    # a metallic surface is mostly shiny, but may be matte (brushed, satin): neither is a wrong
    # option where it is said, nor is it taken to be either
    ("shiny", "metallic"), ("metallic", "shiny"), ("matte", "metallic"), ("metallic", "matte"),
)
# Words of a type that describe another property than the type's other words (default: the type).
SUBKINDS: dict[str, str] = {"tall": "height", "short": "height"}

_CLASS_OF: dict[str, str] = {word: words[0] for words in SYNONYM_CLASSES for word in words}
_MEMBERS: dict[str, tuple[str, ...]] = {words[0]: words for words in SYNONYM_CLASSES}


def attribute_class(word: str) -> str:
    """The name of a word's synonym class ("large" -> "big"); the word itself if it has none."""
    return _CLASS_OF.get(word, word)


def _related(word: str) -> frozenset[str]:
    cls = attribute_class(word)
    classes = {cls} | {b for a, b in OVERLAPPING if a == cls} | {a for a, b in OVERLAPPING if b == cls}
    return frozenset({word} | {w for c in classes for w in _MEMBERS.get(c, (c,))})


def implying_attributes(word: str) -> frozenset[str]:
    """The word, its synonyms and the words of classes narrower than its own: the words that say
    `word` holds ("big" -> big, large, huge, giant; "tiny" -> tiny). A pair listed both ways
    counts too ("tan" -> tan, beige): a guard that must not miss a word that may say `word`.
    What an annotated word certainly says is `implied_attributes`."""
    cls = attribute_class(word)
    classes = {cls} | {b for a, b in OVERLAPPING if a == cls}
    return frozenset({word} | {w for c in classes for w in _MEMBERS.get(c, (c,))})


def _broader_words() -> dict[str, tuple[str, ...]]:
    """word -> the other words that hold of whatever it is said of: its synonyms and the words of
    classes strictly broader than its own ("huge" -> giant, big, large), sorted. A pair listed
    both ways (tan, beige) is an overlap, not an implication: a tan thing need not be beige."""
    pairs = set(OVERLAPPING)
    wider: dict[str, set[str]] = {}  # class -> the classes strictly broader than it
    for wide, narrow in OVERLAPPING:
        if (narrow, wide) not in pairs:
            wider.setdefault(narrow, set()).add(wide)
    changed = True
    while changed:  # what is broader than a broader class is broader too (plaid, checkered, patterned)
        changed = False
        for cls, above in wider.items():
            more = set().union(*(wider.get(c, ()) for c in above)) - above - {cls}
            if more:
                above.update(more)
                changed = True
    words = {w for c in SYNONYM_CLASSES for w in c} | {w for pair in OVERLAPPING for w in pair}
    found: dict[str, tuple[str, ...]] = {}
    for word in sorted(words):
        cls = attribute_class(word)
        said = {w for c in (cls, *wider.get(cls, ())) for w in _MEMBERS.get(c, (c,))} - {word}
        if said:
            found[word] = tuple(sorted(said))
    return found


# Only words with synonyms or broader classes are keys (most words imply nothing else: a lookup
# that misses is the common case on the hot path, `SceneIndex.having_attribute`).
BROADER_WORDS: dict[str, tuple[str, ...]] = _broader_words()


def implied_attributes(word: str) -> frozenset[str]:
    """The words that hold of an object annotated with `word`: the word, its synonyms and the
    words of classes broader than its own ("huge" -> huge, giant, big, large; "large" -> large,
    big; "red" -> red). An object annotated "large" is big, and one annotated "huge" is big too;
    one annotated "big" is not taken to be huge, nor one annotated "tan" to be beige (neither of
    those classes is narrower than the other). `w in implied_attributes(a)` implies
    `a in implying_attributes(w)`; the converse fails only for pairs listed both ways."""
    return frozenset((word, *BROADER_WORDS.get(word, ())))


def _implying_table() -> dict[str, tuple[str, ...]]:
    """word -> the other annotated words that imply it ("big" -> giant, huge, large), sorted: the
    reverse of `implied_attributes`, over the only words that imply another (`BROADER_WORDS`)."""
    table: dict[str, set[str]] = {}
    for word in BROADER_WORDS:
        for said in implied_attributes(word):
            if said != word:
                table.setdefault(said, set()).add(word)
    return {word: tuple(sorted(others)) for word, others in table.items()}


# (made once: synonym classes and overlaps are fixed, `register_attribute_types` does not change them)
_IMPLYING: dict[str, tuple[str, ...]] = _implying_table()


def annotations_implying(attribute: str) -> tuple[str, ...]:
    """The annotated words that make `attribute` hold of an object: the word itself first, then
    the words w with `attribute in implied_attributes(w)` ("big" -> big, giant, huge, large;
    "huge" -> huge, giant; "beige" -> beige: a tan thing is not taken to be beige, unlike
    `implying_attributes`, a guard that counts overlaps too). An object annotated with one of
    them is among `SceneIndex.having_attribute[attribute]`; the pool finds scenes by it."""
    others = _IMPLYING.get(attribute)
    return (attribute,) if others is None else (attribute, *others)


def synonyms_of(word: str) -> frozenset[str]:
    """The words of `word`'s synonym class ("big" -> big, large; "huge" -> huge, giant), or the
    word alone: the words one of which an object must be annotated with to have the same value
    of the type as one annotated `word` (`attribute_class`; what `differing_attribute_type`
    compares)."""
    return frozenset(_MEMBERS.get(attribute_class(word), (word,)))


def _subkind(word: str) -> str:
    return SUBKINDS.get(word, attribute_type(word))


def _compatible(word: str) -> frozenset[str]:
    kind = attribute_type(word)
    if kind == UNTYPED:
        return frozenset({word})
    own = _subkind(word)
    others = [w for w, k in ATTRIBUTE_TYPES.items() if k == kind and _subkind(w) != own]
    return related_attributes(word).union(others)


# word -> related / compatible words; cleared when attribute types are registered
_RELATED: dict[str, frozenset[str]] = {}
_COMPATIBLE: dict[str, frozenset[str]] = {}


def related_attributes(word: str) -> frozenset[str]:
    """The word, its synonyms and the words of classes overlapping its own ("big" -> big, large,
    huge, giant): the words that may describe the same value."""
    found = _RELATED.get(word)
    if found is None:
        found = _RELATED[word] = _related(word)
    return found


def compatible_attributes(word: str) -> frozenset[str]:
    """The words that may hold of an object together with `word` and are of its type (or are
    `word`): `related_attributes` and the words of the type's other sub-kinds ("big" -> big,
    large, huge, giant, tall, short). None of them is a wrong option where `word` is right."""
    found = _COMPATIBLE.get(word)
    if found is None:
        found = _COMPATIBLE[word] = _compatible(word)
    return found


def exclusive(a: str, b: str) -> bool:
    """Whether attribute words a and b cannot both hold of one object: both of one known type,
    and neither synonyms, overlapping nor of different sub-kinds ("red"/"blue", "big"/"small")."""
    kind = attribute_type(a)
    return kind != UNTYPED and attribute_type(b) == kind and b not in compatible_attributes(a)


# Called after every `register_attribute_types`: caches of results derived from the types.
_ON_REGISTER: list[Callable[[], None]] = []
_REGISTERED = [0]  # how many times types were registered (part of the key of cached results)


def attribute_types_version() -> int:
    """A number that changes whenever attribute types are registered."""
    return _REGISTERED[0]


def on_register_attribute_types(clear: Callable[[], None]) -> None:
    """Have `clear` (a cache's clear function) called whenever attribute types are registered."""
    _ON_REGISTER.append(clear)


def register_attribute_types(mapping: Mapping[str, str]) -> None:
    """Add or override attribute word -> type entries (e.g. {"crimson": "color"})."""
    for word, kind in mapping.items():
        if not word or not kind:
            raise ValueError(f"attribute type entries must be non-empty strings, got {word!r}: {kind!r}")
        ATTRIBUTE_TYPES[word] = kind
    _REGISTERED[0] += 1
    _RELATED.clear()
    _COMPATIBLE.clear()
    for clear in _ON_REGISTER:
        clear()


# Relation predicates whose meaning is purely geometric, with their converse. Used to phrase
# questions both ways and to reject degenerate relation questions.
CONVERSE_PREDICATES: dict[str, str] = {
    "left of": "right of",
    "right of": "left of",
    "above": "below",
    "below": "above",
    "in front of": "behind",
    "behind": "in front of",
    "near": "near",
}


# ---- predicates that may both hold ----------------------------------------------------------
# A wrong option of "How is A related to B?", and the predicate of a "no" to "Is A <p> B?", must be
# sure not to hold where the annotated one does. Spellings of one relation ('wears', 'wearing')
# are one already (`text.predicate_key`); these tables add what differs in wording only. Members
# are compared by `predicate_key`, so any spelling of one counts ('holds', 'is on top of').

# Predicates that say the same of a pair (Visual Genome's and GQA's wordings); the first names the class.
PREDICATE_SYNONYM_CLASSES: tuple[tuple[str, ...], ...] = (
    ("near", "next to", "beside", "by", "close to", "adjacent to", "alongside", "nearby", "near to"),
    ("on", "on top of", "atop", "ontop of", "upon", "onto", "on top"),
    ("in", "inside", "inside of", "within", "into"),
    ("under", "underneath", "beneath"),
    ("above", "over"),
    ("behind", "in back of", "at back of"),
    ("wearing", "has on", "dressed in"),
    ("holding", "holding onto", "grasping", "gripping", "holding up"),
    ("riding", "riding on"),
    ("lying on", "laying on"),
    ("looking at", "watching", "staring at", "looking toward", "looking into"),
    ("of", "part of", "belonging to"),
    ("eating", "biting", "chewing", "grazing on", "feeding on"),
)
# Pairs of classes (by first member) one of which may hold where the other does: a cup on a
# table is above it, a man wearing a shirt has it and is in it, a leg of a table is on it.
PREDICATE_OVERLAPS: tuple[tuple[str, str], ...] = (
    ("on", "above"), ("on", "in"), ("on", "riding"), ("on", "of"), ("on", "attached to"), ("under", "below"),
    ("has", "wearing"), ("has", "holding"), ("has", "carrying"), ("in", "wearing"),
    ("holding", "carrying"), ("holding", "using"), ("carrying", "using"), ("of", "attached to"),
    ("riding", "above"),
)
# Pairs of classes one of which holds from A to B where the other holds from B to A (a hat on a
# man: the man has it, wears it): never a "no" from A to B where the other is annotated from B to A.
PREDICATE_CONVERSES: tuple[tuple[str, str], ...] = (
    ("on", "under"), ("above", "below"), ("in front of", "behind"), ("left of", "right of"), ("near", "near"),
    ("has", "of"), ("has", "on"), ("has", "in"), ("wearing", "on"), ("holding", "in"), ("in", "containing"),
)
# Places a posture or state predicate says its subject is at: "standing on" -> "on".
_PLACES = frozenset({"on", "in", "inside", "under", "underneath", "beneath", "above", "below", "over",
                     "behind", "near", "next to", "beside", "in front of", "on top of", "against", "by"})


@lru_cache(maxsize=4096)
def implied_place(predicate: str) -> str | None:
    """The place a predicate of a participle and a place says ('standing on' -> 'on', 'parked in'
    -> 'in', 'sitting in front of' -> 'in front of'); None for any other ('on', 'holding',
    'looking at', 'attached to')."""
    verb, _, place = predicate.partition(" ")
    return place if place in _PLACES and verb.endswith(("ing", "ed")) else None


def _pairs_both_ways(pairs: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for a, b in pairs:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in out.items()}


_PREDICATE_OVERLAPPING = _pairs_both_ways(PREDICATE_OVERLAPS)
_PREDICATE_CONVERSE = _pairs_both_ways(PREDICATE_CONVERSES)
_PREDICATE_CLASS_BY_KEY: dict[str, str] = {}  # predicate_key of a member -> its class (made on first use)


def predicate_class(predicate: str) -> str:
    """The class of a predicate's relation (`PREDICATE_SYNONYM_CLASSES`: 'next to' -> near, 'on top
    of' -> on), else its key itself (`text.predicate_key`: 'standing on', 'holds' -> holding)."""
    found = _PREDICATE_CLASS_OF.get(predicate)  # (asked of a few predicates, many times a scene)
    if found is None:
        if len(_PREDICATE_CLASS_OF) >= _PREDICATE_CLASSES_KEPT:  # (free text of replies: unbounded)
            _PREDICATE_CLASS_OF.clear()
        found = _PREDICATE_CLASS_OF[predicate] = _predicate_class(predicate)
    return found


_PREDICATE_CLASS_OF: dict[str, str] = {}  # predicate -> `predicate_class`, kept
_PREDICATE_CLASSES_KEPT = 1 << 16


def _predicate_class(predicate: str) -> str:
    from veriscene.text_predicates import predicate_key  # imported here: text imports inflect

    if not _PREDICATE_CLASS_BY_KEY:
        for members in PREDICATE_SYNONYM_CLASSES:
            for m in members:
                _PREDICATE_CLASS_BY_KEY.setdefault(predicate_key(m), members[0])
        for name in {w for pair in (*PREDICATE_OVERLAPS, *PREDICATE_CONVERSES) for w in pair}:
            _PREDICATE_CLASS_BY_KEY.setdefault(predicate_key(name), name)
    key = predicate_key(predicate)
    return _PREDICATE_CLASS_BY_KEY.get(key, key)


def predicate_senses(predicate: str) -> frozenset[str]:
    """The classes of what a predicate says of a pair: its own ('wears' -> wearing; 'on top of'
    -> on) and, for a posture or state at a place, the place's (`implied_place`: 'standing on',
    'parked on' -> on; 'standing next to' -> near; 'grazing on' -> eating, on). An unlisted
    predicate is its own class (`text.predicate_key`)."""
    found = _SENSES.get(predicate)
    if found is None:
        from veriscene.text_predicates import trim_predicate

        senses = {predicate_class(predicate)}
        place = implied_place(trim_predicate(predicate))
        if place is not None:
            senses.add(predicate_class(place))
        found = _SENSES[predicate] = frozenset(senses)
    return found


_SENSES: dict[str, frozenset[str]] = {}


def compatible_predicate_senses(predicate: str) -> frozenset[str]:
    """The classes of the predicates that may hold of a pair together with `predicate`: its
    senses and the classes overlapping them ("on" -> on, above, in, riding, of, attached to;
    "standing on" -> standing on and those of "on"). Two predicates may both hold where a sense
    of one is among these of the other (`predicates_compatible`)."""
    senses = predicate_senses(predicate)
    return senses.union(*(_PREDICATE_OVERLAPPING.get(c, ()) for c in senses))


def converse_predicate_senses(predicate: str) -> frozenset[str]:
    """The classes of the predicates that may hold from B to A where `predicate` holds from A to
    B (`PREDICATE_CONVERSES` of its compatible classes, and the classes overlapping those):
    "on" -> under, below, has, ...; a predicate with one of them is never a "no" from B to A."""
    converse = {c for s in compatible_predicate_senses(predicate) for c in _PREDICATE_CONVERSE.get(s, ())}
    return frozenset(converse).union(*(_PREDICATE_OVERLAPPING.get(c, ()) for c in converse))


@lru_cache(maxsize=4096)
def says_place(predicate: str) -> bool:
    """Whether a predicate says where its subject is: a place ('on', 'next to', 'left of') or a
    posture or state at one ('standing on', 'parked in'); not 'holding', 'wearing', 'of', 'riding'."""
    places = {predicate_class(p) for p in (*_PLACES, "left of", "right of")}
    return not predicate_senses(predicate).isdisjoint(places)


def predicates_compatible(a: str, b: str) -> bool:
    """Whether predicates a and b may both hold from one object to another, so that neither is a
    wrong option nor a "no" where the other is annotated (symmetric): 'on' and 'on top of',
    'above' or 'standing on'; also 'standing on' and 'lying on', which both say "on" (Visual
    Genome says either of a thing resting on another: "book lying on table", "vase standing on
    table"); not 'on' and 'under', 'holding' and 'wearing'."""
    return bool(predicate_senses(b) & compatible_predicate_senses(a) or predicate_senses(a) & compatible_predicate_senses(b))
