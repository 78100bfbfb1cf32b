"""Which words of a `str` reply compete with the gold answer, and replies that list them.

A plain-text answer is read by finding candidate words in the reply. Listing candidates is the
cheapest way to game a scorer that accepts any reply containing the gold answer, so a reply that
names two candidates of the gold answer's *kind* fails to parse (`parse.parse_str`):

    kind            words
    <attribute type> attribute words by `vocab.ATTRIBUTE_TYPES` ("red": "color", "shiny": "finish")
    relation         relation predicates (`vocab.CONVERSE_PREDICATES`: "left of", "behind", ...)
    attribute_type   names of attribute types ("color", "finish", "size": multi.attribute_diff)
    name             object names: the demo's shapes, and any gold answer not known otherwise

A word may have several kinds ("square" is a shape attribute and a name). Only candidates that
share a kind with the gold answer compete, so "The hexagon is green." names one colour and "It is
to the left of the square." one relation. Words the sample itself lists (`meta.vocabulary`, the
options) compete with every gold answer. The data set's own words (`rivals`: its
`vocabulary.json`) join the built-in ones with their kinds.

Words of the question do not compete: "What color is the circle left of the red square?" is
answered "The circle left of the red square is blue.", "Which object is behind the star?" "A
hexagon, hidden by the star.". Except a question word said bare right beside another candidate
(`beside`), unless the reply says it as the question does (`echoes_question`): "large small" for
"What size is the object the small star is behind?" lists both sizes (it was read as "large"),
"The small star is behind a large object." does not. Unless the gold answer is itself in the question: then
the question offers alternatives ("Is it the cat or the dog?") and every candidate competes. Nor
does a word after "than" ("bigger than the small circle"): it names what the answer is compared
with (`compared_with`).

A relation gold answer is read in its spellings and common synonyms (`gold_readings`,
`predicate_key`): "holds", "hold" and "holding"; "has" and "with"; "below", "under",
"beneath" and "underneath"; "near", "next to", "close to" and "beside".

Object names are an open class, so for a gold name a reply that is only a run of nouns is a list
of objects even when the other words are unknown (`listed_names`): the gold must be the head of
its phrase (last, or followed only by a generic noun such as "shape"), and at most one unknown
word may come before it ("fluffy dog" is read, "cat horse dog" and "hexagon star" are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from veriscene import vocab
from veriscene.answers.normalize import find_phrases, normalize_phrase
from veriscene.answers.rivals import NAME, RELATION, Rivals
from veriscene.demo.shapes import SHAPES
from veriscene.text_predicates import relation_modifier

ATTRIBUTE_TYPE = "attribute_type"
__all__ = ["ATTRIBUTE_TYPE", "NAME", "RELATION", "KindTable", "beside", "competing", "echoes_question",
           "gold_kinds", "gold_readings", "kind_table", "listed_names", "predicate_key"]

# Nouns that may follow a gold name without naming another object ("the hexagon shape").
GENERIC_HEADS = frozenset({
    "shape", "shaped", "object", "one", "thing", "item", "figure", "form", "color", "colored",
    "coloured", "piece", "icon", "symbol",
})
# Words that end a run of nouns: a reply containing one is a sentence, not a bare list.
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "it", "its", "this", "that", "these", "those", "they", "there", "which", "what",
    "who", "is", "are", "was", "were", "be", "been", "being", "am", "has", "have", "had", "do", "does",
    "did", "can", "could", "would", "should", "will", "may", "might", "must", "of", "on", "in", "at",
    "to", "from", "by", "with", "without", "for", "near", "next", "behind", "above", "below",
    "under", "over", "between", "among", "beside", "left", "right", "front", "back", "and", "or",
    "nor", "but", "not", "no", "so", "than", "as", "then", "also", "only", "just", "most", "more",
    "very", "i", "we", "you", "see", "seem", "seems", "look", "looks", "appear", "appears", "like",
    "located", "placed", "positioned", "shown", "here", "where", "either", "each", "every", "all",
    "both", "could", "answer",
})


def _builtin_words() -> dict[str, set[str]]:
    """Raw built-in word -> kinds (before normalisation)."""
    kinds: dict[str, set[str]] = {}
    for word, kind in vocab.ATTRIBUTE_TYPES.items():
        kinds.setdefault(word, set()).add(kind)
        kinds.setdefault(kind, set()).add(ATTRIBUTE_TYPE)
    for predicate in vocab.CONVERSE_PREDICATES:
        kinds.setdefault(predicate, set()).add(RELATION)
    for name in SHAPES:
        kinds.setdefault(name, set()).add(NAME)
    kinds.pop(vocab.UNTYPED, None)  # "attribute" is no answer of any question
    return kinds


class KindTable(dict[str, frozenset[str]]):
    """Normalised candidate -> its kinds (frozenset); `longest` is the most words of a key, so
    candidates are found in a reply by looking up its n-grams (`normalize.find_phrases`), not
    by searching the reply for each of tens of thousands of words."""

    longest: int = 1

    # Hashed and compared by identity: one table per synonym table and rivals (`kind_table`),
    # so results derived from it are cached without hashing every word.
    __hash__ = object.__hash__  # type: ignore[assignment]  # (typeshed: a dict is never hashable)

    def __eq__(self, other: object) -> bool:
        return self is other


@lru_cache(maxsize=64)
def _kind_table(syn_items: tuple[tuple[str, str], ...], version: int, rivals: Rivals | None) -> KindTable:
    syn = dict(syn_items)
    table: dict[str, set[str]] = {}
    words: list[tuple[str, Iterable[str]]] = list(_builtin_words().items())
    words += [(word, (kind,)) for word, kind in (rivals.words if rivals is not None else ())]
    for word, kinds in words:
        norm = normalize_phrase(word, prepared=syn)
        if norm:
            table.setdefault(norm, set()).update(kinds)
    out = KindTable((w, frozenset(k)) for w, k in table.items())
    out.longest = max((len(w.split()) for w in out), default=1)
    return out


def kind_table(syn: Mapping[str, str], rivals: Rivals | None = None) -> KindTable:
    """Normalised built-in candidate (and the data set's `rivals`) -> its kinds (see the module
    docstring); built once per synonym table and rivals; follows `vocab.register_attribute_types`."""
    return _kind_table(tuple(sorted(syn.items())), vocab.attribute_types_version(), rivals)


# Relation words people use for one another (normalised): what they read as.
PREDICATE_SYNONYMS: dict[str, str] = {
    "under": "below", "beneath": "below", "underneath": "below",
    "next to": "near", "close to": "near", "beside": "near",
    "to left of": "left of", "on left of": "left of", "to right of": "right of", "on right of": "right of",
}
# Predicates said as verbs ("holds"), read in every spelling even when no vocabulary names
# them relations: the commonest of Visual Genome.
KNOWN_VERB_PREDICATES = frozenset({
    "hold", "holding", "wear", "wearing", "has", "have", "with", "ride", "riding", "carry", "carrying",
    "eat", "eating", "use", "using", "sit on", "sitting on", "stand on", "standing on", "cover", "covering",
    "hang on", "hanging on", "look at", "looking at", "walk on", "walking on", "lay on", "laying on",
    "lie on", "lying on", "play with", "playing with", "attached to", "parked on", "mounted on",
})
_QUALIFIED = re.compile(r"^(.*\S)\s+\([^()]*\)$")
# Directions said without their "of": "Where is the cup relative to the plate?" "Left."
_DIRECTION_READINGS = {"left of": "left", "right of": "right"}


@lru_cache(maxsize=8192)
def predicate_key(norm: str) -> str:
    """One form for the spellings and synonyms of a relation (normalised): "hold", "holding" ->
    "holding"; "has", "with" -> "with"; "beneath" -> "below"."""
    word = PREDICATE_SYNONYMS.get(norm, norm)
    if word in vocab.CONVERSE_PREDICATES or not word.replace(" ", "").isalpha():
        return word
    return relation_modifier(word)


def _is_relation(norm: str, kinds: frozenset[str]) -> bool:
    return (RELATION in kinds or norm in KNOWN_VERB_PREDICATES or norm in PREDICATE_SYNONYMS
            or norm in PREDICATE_SYNONYMS.values())


def _verb_guesses(key: str) -> list[str]:
    """Spellings that may read as the participle phrase `key` ("holding on" -> "hold on",
    "holds on"); `gold_readings` keeps those whose `predicate_key` is `key`."""
    first, _, rest = key.partition(" ")
    tail = f" {rest}" if rest else ""
    if not first.endswith("ing") or len(first) < 5:
        return []
    stem = first[:-3]
    bases = {stem, stem + "e"} | ({stem[:-1]} if len(stem) > 2 and stem[-1] == stem[-2] else set())
    return [f"{b}{tail}" for base in bases for b in (base, base + "s", base + "es")]


@lru_cache(maxsize=4096)
def _gold_readings(answer: str, syn_items: tuple[tuple[str, str], ...], table: KindTable) -> tuple[tuple[str, ...], bool]:
    syn = dict(syn_items)
    raw = [answer]
    found = _QUALIFIED.match(answer)
    if found:
        raw.append(found.group(1))
    if answer in _DIRECTION_READINGS:
        raw.append(_DIRECTION_READINGS[answer])
    norms = [n for n in (normalize_phrase(r, prepared=syn) for r in raw) if n]
    gold = norms[0] if norms else ""
    relation = bool(gold) and _is_relation(gold, table.get(gold, frozenset()))
    if relation:
        key = predicate_key(gold)
        spellings = {key, *(w for w, k in PREDICATE_SYNONYMS.items() if k in (gold, key)),
                     *(w for w in KNOWN_VERB_PREDICATES if predicate_key(w) == key),
                     *(g for g in _verb_guesses(key) if predicate_key(normalize_phrase(g, prepared=syn)) == key)}
        norms += sorted(n for n in (normalize_phrase(w, prepared=syn) for w in spellings) if n)
    return tuple(dict.fromkeys(norms)), relation


def gold_readings(answer: str, syn: Mapping[str, str], table: KindTable) -> tuple[tuple[str, ...], bool]:
    """(the normalised readings of a gold `str` answer, whether it is a relation): the answer;
    without a qualifier in parentheses (LVIS's "bow (weapon)": the image shows which bow); a
    direction alone ("left"); a relation's spellings and synonyms (`predicate_key`)."""
    return _gold_readings(answer, tuple(sorted(syn.items())), table)


def gold_kinds(readings: Iterable[str], table: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Kinds of a gold answer (its normalised readings); an unknown word is a name."""
    kinds: set[str] = set()
    for reading in readings:
        kinds |= table.get(reading, frozenset())
    return frozenset(kinds) if kinds else frozenset({NAME})


def competing(hits: Iterable[str], target: frozenset[str], table: Mapping[str, frozenset[str]],
              given: frozenset[str], gold: frozenset[str] = frozenset(),
              question: frozenset[str] = frozenset()) -> list[str]:
    """The hits (normalised candidates) that compete with a gold answer of kinds `target`:
    words the sample lists (`given`), and known words sharing a kind with the gold; the gold's
    readings (`gold`) count once; words of the `question` are left out (see the module doc:
    the caller passes none when the gold is in the question)."""
    out: list[str] = []
    seen_gold = False
    for h in hits:
        if h in gold:
            if not seen_gold:
                out.append(h)
            seen_gold = True
        elif h not in question and (h in given or table.get(h, frozenset()) & target):
            out.append(h)
    return out


_COMPARED = re.compile(r"\b(?:than|compared to|compared with|unlike)\b")


def _mentions(words: list[str], phrase: str) -> list[int]:
    """The positions in `words` where the words of `phrase` start."""
    target = phrase.split()
    if not target:
        return list(range(len(words) + 1))
    size, first = len(target), target[0]
    return [k for k, w in enumerate(words[:len(words) - size + 1]) if w == first and words[k:k + size] == target]


def echoes_question(text_norm: str, question_words: list[str], phrase: str) -> bool:
    """Whether every mention of `phrase` in `text_norm` (both normalised) repeats the question
    around it: the word before or after it there is the word before or after it in a mention
    of the question (`question_words`), or a generic head ("the small one"). "small star is
    behind it" echoes "the small star is behind"; "large small" does not."""
    words = text_norm.split()
    size = len(phrase.split())
    before, after = set(), set()
    for k in _mentions(question_words, phrase):
        if k > 0:
            before.add(question_words[k - 1])
        if k + size < len(question_words):
            after.add(question_words[k + size])
    starts = _mentions(words, phrase)
    return bool(starts) and all(
        (k > 0 and words[k - 1] in before)
        or (k + size < len(words) and (words[k + size] in after or words[k + size] in GENERIC_HEADS))
        for k in starts)


def beside(text_norm: str, phrase: str, others: Iterable[str]) -> bool:
    """Whether a mention of `phrase` in `text_norm` (normalised) has a mention of one of `others`
    right before or after it: "large small", "small large object"."""
    words = text_norm.split()
    size = len(phrase.split())
    ends, starts = set(), set()
    for other in others:
        n = len(other.split())
        for k in _mentions(words, other):
            starts.add(k)
            ends.add(k + n)
    return any(k in ends or k + size in starts for k in _mentions(words, phrase))


def compared_with(text_norm: str, phrase: str) -> bool:
    """Whether every mention of `phrase` in `text_norm` (both normalised) sits in the noun phrase
    after "than" / "compared to" / "unlike": "bigger than the small circle" does not answer
    "small"."""
    words = text_norm.split()
    starts = _mentions(words, phrase)
    if not starts or not _COMPARED.search(text_norm):
        return False
    # the word that ends the noun run before each position (a function word, "compared" or
    # "unlike"; -1 for none), found in one pass: walking back from each mention made a long
    # reply quadratic
    stop, last = [], -1
    for k, w in enumerate(words):
        stop.append(last)
        if w in FUNCTION_WORDS or w in ("compared", "unlike"):
            last = k
    for k in starts:
        j = stop[k]
        head = " ".join(words[max(j - 1, 0):j + 1])
        if j < 0 or not (words[j] in ("than", "unlike") or head in ("compared to", "compared with")):
            return False
    return True


def listed_names(text_norm: str, gold: str, table: Mapping[str, frozenset[str]]) -> bool:
    """Whether every mention of the gold name `gold` in `text_norm` (normalised) sits in a run of
    nouns that lists other objects (see the module docstring): a mention stands alone when no
    word after it in its run of nouns (up to a function word) is more than a generic head
    ("object", "thing") and at most one word before it there is not a known name."""
    words, size = text_norm.split(), len(gold.split())
    starts = _mentions(words, gold)
    if not starts:
        return False
    # Per position, over its run of nouns: the words not known as names before it, and the
    # words other than generic heads from it on; counted in one pass each way (the run of
    # each mention read again made a long reply quadratic).
    unknown_before, count = [], 0
    for w in words:
        unknown_before.append(count)
        count = 0 if w in FUNCTION_WORDS else count + (w not in table or NAME in table[w])
    specific_from, count = [0] * (len(words) + 1), 0
    for k in range(len(words) - 1, -1, -1):
        w = words[k]
        count = 0 if w in FUNCTION_WORDS else count + (w not in GENERIC_HEADS)
        specific_from[k] = count
    for k in starts:
        if specific_from[k + size] == 0 and unknown_before[k] <= 1:
            return False
    return True


def set_items(part_norm: str, table: KindTable, target: frozenset[str]) -> list[str] | None:
    """The items one part of a set reply (normalised) names, read as candidates of the gold
    items' kinds (`target`): the one candidate in a clause ("triangles appear in every image",
    "color gray") or every candidate of the run of them ending the part, which may end in its
    noun ("small gray matte", "the object is a small gray matte star"); None when the part
    names none, or several inside other words (then it is kept as written); a clause that only
    describes one object names the candidates on both sides of its verb ("small star is gray",
    `_described`)."""
    hits = [h for h in find_phrases(part_norm, table, table.longest) if table[h] & target]
    if len(hits) == 1:
        return hits
    if not hits:
        return None
    covered = {w for h in hits for w in h.split()}
    words = part_norm.split()
    # the noun phrase ending a clause: "object in region is small gray matte star"
    run = words[max((k for k, w in enumerate(words) if w in FUNCTION_WORDS), default=-1) + 1:]
    if covered <= set(run) and all(w in covered or w in GENERIC_HEADS or k == len(run) - 1
                                   for k, w in enumerate(run)):
        return hits  # "small gray matte", "small gray matte star": the last word may be its noun
    return hits if _described(words, covered) else None


# Words linking a noun phrase to what it is said to be: "the small star is gray", "it is a
# small star that is gray".
_LINKS = frozenset({"is", "are", "looks", "appears", "seems", "that", "which"})
_SUBJECTS = frozenset({"it", "this", "they"})


def _described(words: list[str], covered: set[str]) -> bool:
    """Whether a clause only describes one object with candidate words, on both sides of its
    verb ("small star is gray", "it is small star that is gray", "small gray star is matte"):
    every stretch between link words is a pronoun or a run of candidates that may end in its
    noun. "object next to small star is gray" (another object) and "star is not gray" are not."""
    stretches: list[list[str]] = [[]]
    for w in words:
        if w in _LINKS:
            stretches.append([])
        else:
            stretches[-1].append(w)
    for run in stretches:
        if not run or (len(run) == 1 and run[0] in _SUBJECTS):
            continue
        if not all(w in covered or w in GENERIC_HEADS or (k == len(run) - 1 and w not in FUNCTION_WORDS)
                   for k, w in enumerate(run)):
            return False
    return True
