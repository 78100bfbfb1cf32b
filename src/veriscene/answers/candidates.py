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
options) compete with every gold answer.

Object names are an open class, so for a gold name a reply that is only a run of nouns is a list
of objects even when the other words are unknown (`listed_names`): the gold must be the head of
its phrase (last, or followed only by a generic noun such as "shape"), and at most one unknown
word may come before it ("fluffy dog" is read, "cat horse dog" and "hexagon star" are not).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from veriscene import vocab
from veriscene.answers.normalize import normalize_phrase
from veriscene.demo.shapes import SHAPES

RELATION = "relation"
ATTRIBUTE_TYPE = "attribute_type"
NAME = "name"

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


@lru_cache(maxsize=64)
def _kind_table(syn_items: tuple[tuple[str, str], ...], version: int) -> dict[str, frozenset[str]]:
    syn = dict(syn_items)
    table: dict[str, set[str]] = {}
    for word, kinds in _builtin_words().items():
        norm = normalize_phrase(word, prepared=syn)
        if norm:
            table.setdefault(norm, set()).update(kinds)
    return {w: frozenset(k) for w, k in table.items()}


def kind_table(syn: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Normalised built-in candidate -> its kinds (see the module docstring); follows
    `vocab.register_attribute_types`."""
    return _kind_table(tuple(sorted(syn.items())), vocab.attribute_types_version())


def gold_kinds(readings: Iterable[str], table: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Kinds of a gold answer (its normalised readings); an unknown word is a name."""
    kinds: set[str] = set()
    for reading in readings:
        kinds |= table.get(reading, frozenset())
    return frozenset(kinds) if kinds else frozenset({NAME})


def competing(hits: Iterable[str], target: frozenset[str], table: Mapping[str, frozenset[str]],
              given: frozenset[str]) -> list[str]:
    """The hits (normalised candidates) that compete with a gold answer of kinds `target`:
    words the sample lists (`given`), and built-in words sharing a kind with the gold."""
    return [h for h in hits if h in given or table.get(h, frozenset()) & target]


def _content_run(words: list[str], at: int, size: int) -> tuple[list[str], list[str]]:
    """Words of the noun run around words[at:at + size], before and after it."""
    start, end = at, at + size
    while start > 0 and words[start - 1] not in FUNCTION_WORDS:
        start -= 1
    while end < len(words) and words[end] not in FUNCTION_WORDS:
        end += 1
    return words[start:at], words[at + size:end]


def listed_names(text_norm: str, gold: str, table: Mapping[str, frozenset[str]]) -> bool:
    """Whether every mention of the gold name `gold` in `text_norm` (normalised) sits in a run of
    nouns that lists other objects (see the module docstring)."""
    words, size = text_norm.split(), len(gold.split())
    starts = [k for k in range(len(words) - size + 1) if words[k:k + size] == gold.split()]
    if not starts:
        return False
    for k in starts:
        before, after = _content_run(words, k, size)
        unknown_before = [w for w in before if w not in table or NAME in table[w]]
        if not [w for w in after if w not in GENERIC_HEADS] and len(unknown_before) <= 1:
            return False
    return True
