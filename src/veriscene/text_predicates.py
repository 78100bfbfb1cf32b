"""English surface forms of relations: predicates phrased as verbs, after nouns, and sorted by
what they say (a place, an action, a state).

A predicate is said in a sentence (`relation_phrase`: 'holding' -> "is holding", 'hold' ->
"holds", 'belonging to' -> "belongs to"), after a noun (`relation_modifier`: 'has' -> "with") or
agreeing with its subject (`agreeing_relation_phrase`). Its spellings ('holds', 'holding', 'is
holding') are one relation: `predicate_key`. Re-exported by `veriscene.text`, the place to import
from.
"""

from __future__ import annotations

from functools import lru_cache

from veriscene.text_nouns import inflect_engine, is_uncountable, takes_plural_verb, with_article

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
    "over": "over",
    "along": "along",
    "against": "against",
    "across": "across",
    "around": "around",
    "beneath": "beneath",
}


# First words of predicates said after "is" beside those of `_PREPOSITIONS` (Visual Genome's and
# GQA's "of", "to the left of", "attached to", "made of"): prepositions and past participles.
_PREPOSITION_WORDS = frozenset({
    "about", "above", "across", "after", "against", "along", "alongside", "among", "around", "at", "atop",
    "before", "behind", "below", "beneath", "beside", "between", "beyond", "by", "down", "for", "from", "in",
    "inside", "into", "near", "next", "of", "off", "on", "onto", "out", "outside", "over", "past", "through",
    "to", "toward", "towards", "under", "underneath", "up", "upon", "with", "within", "without",
    "amid", "amidst", "amongst", "aboard", "besides", "throughout", "via",
    "ontop",  # Visual Genome's "ontop of": "on top of" written as one word
})
# Past participles that do not end in -ed ("is laid on", "is led by", "is ridden by"): said after
# "is" like "attached to"; as verbs they would read "laids on", "takens by".
_PARTICIPLES = frozenset({
    "made", "worn", "hung", "held", "built", "drawn", "written", "shown", "seen", "sewn", "led", "fed",
    "laid", "lain", "taken", "ridden", "driven", "eaten", "given", "broken", "fallen", "hidden", "thrown",
    "grown", "blown", "flown", "known", "torn", "born", "borne", "sold", "told", "bought", "caught",
    "brought", "stuck", "struck", "spun", "woven", "frozen", "stolen", "chosen", "shaken", "sunk", "lit",
    "bound", "wound", "found", "kept", "sent", "bent", "dug", "clad", "strewn", "slung", "strung", "swung",
    "bitten", "beaten", "spoken", "done", "gone", "left", "overgrown",
})
# Words that are a verb's base form and its past participle alike ("cut", "hit", "cast"): a
# participle before "by" ("the shadow is cast by the tree"), else a verb ("the man cuts the cake").
_BARE_PARTICIPLES = frozenset({"cast", "cut", "hit", "set", "put", "spread", "split", "shut", "hurt", "burst"})
# Those of them that say where a thing was placed: a participle also before a preposition of place,
# as annotations use them ("plate set on table", "cheese put on pizza", "shadow cast on wall": the
# plate is set on the table; "the plate sets on the table" is no English)
_PLACED_PARTICIPLES = frozenset({"cast", "set", "put", "spread"})
_PLACE_WORDS = frozenset({"on", "onto", "upon", "atop", "in", "into", "inside", "under", "over", "against",
                          "across", "along", "around", "beside", "behind", "near", "next", "between", "at"})
# Endings of adjectives, said after "is" like `_PREDICATIVE_WORDS` ("visible in", "capable of")
_ADJECTIVE_ENDINGS = ("ible", "able", "ful", "ous")
_ABLE_VERBS = frozenset({"enable", "disable", "label", "stable", "table", "cable", "gable", "fable"})  # not adjectives
# First words of predicates that are adjectives or nouns, said after "is" as well ("part of", "full
# of", "close to", "similar to"); so is a comparative before "than" ("taller than").
_PREDICATIVE_WORDS = frozenset({
    "part", "full", "close", "closer", "adjacent", "similar", "same", "opposite", "parallel", "ahead",
    "top", "bottom", "side", "edge", "center", "centre", "middle", "front", "back", "piece", "empty",
    "different", "equal", "identical", "far", "free", "home", "kind", "type", "upside",
})
# Participles of stative verbs (a state, not an act): English says them in the simple present,
# never in the progressive ("the leg belongs to the bag", not "is belonging to"), so a predicate
# that starts with one is phrased with its verb (`relation_phrase`). Participle -> bare verb.
_STATIVE_PARTICIPLES = {
    "belonging": "belong", "containing": "contain", "having": "have", "owning": "own",
    "resembling": "resemble", "including": "include", "consisting": "consist", "possessing": "possess",
    "comprising": "comprise", "lacking": "lack", "involving": "involve", "needing": "need",
    "knowing": "know", "deserving": "deserve", "depending": "depend",
}
# Prepositions that link a thing to what it has, said as a verb in a sentence: "the man with the
# hat" is "the man has the hat", never "the man is with the hat" (Visual Genome's "with" names
# what a thing has or carries). After a noun the preposition stays (`relation_modifier`).
_SENTENCE_VERBS = {"with": "has"}
# Prepositions whose sentence needs the subject's noun: "the leg of the man" is "the leg is a leg
# of the man" ("is of the man" is no English; "belongs to" misreads "a glass of water"). Phrased
# so where the subject's name is known (`agreeing_relation_phrase`), else "is of".
_NOUN_LINKS = frozenset({"of"})
# Participles that say where or how a thing is placed, shaped or turned, not what it does: the
# question "What is A doing with B?" does not ask for them ("What is the sign doing with the
# pole?" answered "hanging on"). Said after "is" like any participle (`is_action`).
_POSITION_PARTICIPLES = frozenset({
    "sitting", "standing", "lying", "laying", "hanging", "leaning", "resting", "perching", "growing",
    "floating", "sticking", "covering", "surrounding", "facing", "overlooking", "bordering", "lining",
    "touching", "supporting", "showing", "displaying", "casting", "reflecting", "framing", "topping",
    "enclosing", "adorning", "decorating", "shading", "spanning", "connecting", "matching", "waiting",
    *_STATIVE_PARTICIPLES,
})
# Verbs whose present tense is irregular (third person singular, plural)
_IRREGULAR_VERBS = {"have": ("has", "have"), "has": ("has", "have"), "do": ("does", "do"),
                    "does": ("does", "do"), "go": ("goes", "go"), "goes": ("goes", "go")}
# Words a raw predicate may begin or end with that add nothing: a copula ("are on", "is holding":
# the phrase says "is" itself) and an article or possessive ("has a", "on the", "wearing his").
LEADING_COPULAS = frozenset({"is", "are", "was", "were", "be", "being", "been"})
TRAILING_ARTICLES = frozenset({"a", "an", "the", "its", "his", "their"})
# Predicates that say nothing about how two objects relate (Visual Genome has "and" between
# objects named in one phrase): phrased, they stay as given.
_SAY_NOTHING = frozenset({"and", "or", "but", "nor", "then", "&", "+", *LEADING_COPULAS, *TRAILING_ARTICLES})
# Normalisation drops the relations of those, and of a predicate that needs two objects where a
# relation has one: Visual Genome's "between" names one of the two ("the monitor is between the
# speaker", asked "Is the rock between the grass?"). Phrased, "between" is a place ("is between").
MEANINGLESS_PREDICATES = _SAY_NOTHING | {"between"}


# First words of a predicate (after "is") that say where one thing is relative to another: a
# question "Where is X relative to Y?" is answered by these, not by "made of" or "holding".
_SPATIAL_WORDS = frozenset({
    "above", "across", "against", "ahead", "along", "alongside", "amid", "amidst", "among", "amongst",
    "around", "at", "atop", "behind", "below", "beneath", "beside", "between", "beyond", "by", "close",
    "far", "in", "inside", "into", "near", "next", "on", "onto", "opposite", "outside", "over", "past",
    "to", "under", "underneath", "upon", "within", "adjacent", "ontop",
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


@lru_cache(maxsize=4096)
def is_action(predicate: str) -> bool:
    """Whether the predicate names what the subject does to or with the object, so that "What is
    A doing with B?" asks for it: a participle ('holding', 'eating', 'playing with', 'riding');
    not one of a state or a placement ('belonging to', 'covering', 'hanging on':
    `_POSITION_PARTICIPLES`), nor one followed by a place ('walking on', 'looking at', 'sitting
    in': the preposition says where, `_SPATIAL_WORDS`), nor any other predicate ('on', 'holds')."""
    phrase = relation_phrase(predicate)
    if not phrase.startswith("is "):
        return False
    first, _, rest = phrase[3:].partition(" ")
    return (first.endswith("ing") and first not in _POSITION_PARTICIPLES
            and rest.partition(" ")[0] not in _SPATIAL_WORDS)


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
    return ((first.endswith("ing") and first not in _STATIVE_PARTICIPLES) or first in _PREPOSITION_WORDS
            or first in _PARTICIPLES or _is_ed_participle(first) or first in _PREDICATIVE_WORDS
            or (first in _BARE_PARTICIPLES and rest[:1] == ["by"])
            or (first in _PLACED_PARTICIPLES and bool(rest) and rest[0] in _PLACE_WORDS)
            or (first.endswith(_ADJECTIVE_ENDINGS) and len(first) > 5 and first not in _ABLE_VERBS)
            or (rest[:1] == ["than"]))


def _is_ed_participle(word: str) -> bool:
    """Whether `word` is a regular past participle ('tied', 'used', 'parked'): it ends in -ed, is
    not a verb ending in -eed ('need', 'feed', 'bleed') and has a letter before the -ed."""
    return word.endswith("ed") and len(word) >= 4 and not word.endswith("eed")


def _verb_forms(verb: str) -> tuple[str, str]:
    """(third person singular, plural) of a verb given in either: 'hold' and 'holds' -> ('holds',
    'hold'), 'have' and 'has' -> ('has', 'have'), 'carry' -> ('carries', 'carry')."""
    irregular = _IRREGULAR_VERBS.get(verb)
    if irregular is not None:
        return irregular
    if len(verb) == 4 and verb.endswith("ies"):  # 'lies', 'ties': inflect says 'ly', 'ty'
        return verb, verb[:-1]
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
    on', 'has a' -> 'has' (`trim_predicate`); a stative participle in the simple present:
    'belonging to' -> 'belongs to', 'containing' -> 'contains' (`_STATIVE_PARTICIPLES`); 'with' ->
    'has' (`_SENTENCE_VERBS`)."""
    if predicate in _PREPOSITIONS:
        return f"is {_PREPOSITIONS[predicate]}"
    predicate = trim_predicate(predicate)
    if predicate in _PREPOSITIONS:
        return f"is {_PREPOSITIONS[predicate]}"
    predicate = _SENTENCE_VERBS.get(predicate, predicate)
    first, *rest = predicate.split(" ")
    if predicate in _SAY_NOTHING:
        return predicate
    stative = _STATIVE_PARTICIPLES.get(first)
    if stative is not None:
        return " ".join([_verb_forms(stative)[0], *rest])
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
    at', 'belonging to' (for 'belongs to'), 'that has on' (a verb with a particle that has no
    participle of its own: "the man with on the hat" is no English)."""
    trimmed = trim_predicate(predicate)
    if trimmed in _SENTENCE_VERBS or trimmed in _NOUN_LINKS:  # "the man with the hat"
        return trimmed
    phrase = relation_phrase(predicate)
    if phrase in _SAY_NOTHING:  # "and": as it is (readers drop such relations)
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
    if bare == "have":
        return f"that {phrase}" if rest else "with"  # "has on": "the man that has on the hat"
    participle = inflect_engine().present_participle(bare)
    return f"{participle} {rest}" if rest else participle


def predicate_key(predicate: str) -> str:
    """The relation a predicate spells: equal for its spellings, which readers keep apart as
    Visual Genome writes them ('holding', 'holds', 'hold', 'is holding' -> 'holding'; 'has',
    'have', 'having', 'with' -> 'with'; 'wears', 'wearing a' -> 'wearing'; 'left of', 'to the
    left of'). It is the predicate said after a noun (`relation_modifier`), which drops tense,
    number, copula and article and nothing else. So it never joins two predicates: 'on' and 'on
    top of', 'in' and 'inside' stay apart, and so do an active verb and its passive participle
    ('covers' and 'covered in' say the converse; 'parks on', the act, and 'parked on', the state
    it leaves, are said of different moments)."""
    return relation_modifier(predicate)


def agreeing_relation_phrase(subject: str, predicate: str) -> str:
    """`relation_phrase` for "the <subject>", plural where its noun is (`takes_plural_verb`):
    ('cup', 'on') -> 'is on', ('jeans', 'on') -> 'are on', ('glasses', 'has') -> 'have'; a link
    that needs the subject's noun says it (`_NOUN_LINKS`): ('leg', 'of') -> 'is a leg of',
    ('trees', 'of') -> 'are trees of', and a substance is part of what it is of: ('hair', 'of') ->
    'is part of' ("the hair is hair of the man" says the noun twice for nothing)."""
    plural_verb = takes_plural_verb(subject)
    if trim_predicate(predicate) in _NOUN_LINKS:
        link = trim_predicate(predicate)
        if plural_verb:
            return f"are {subject} {link}"
        return f"is part {link}" if is_uncountable(subject) else f"is {with_article(subject)} {link}"
    return relation_phrase_plural(predicate) if plural_verb else relation_phrase(predicate)


def agreeing_relation_modifier(subject: str, predicate: str) -> str:
    """`relation_modifier` after "the <subject>": "the jeans that are part of the outfit", "the
    jeans that have on the belt" where the noun is plural in form (`takes_plural_verb`), else as
    it is."""
    modifier = relation_modifier(predicate)
    if takes_plural_verb(subject) and modifier.startswith("that "):
        return "that " + relation_phrase_plural(predicate)
    return modifier


def has_subject_free_phrase(predicate: str) -> bool:
    """Whether "<something> <relation_phrase> the B" reads without knowing the subject's noun:
    not for 'of' ("What is of the man?"; `_NOUN_LINKS` say the subject's noun: "a leg of")."""
    return trim_predicate(predicate) not in _NOUN_LINKS
