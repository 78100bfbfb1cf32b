"""Reading a short answer from one piece of a reply: a word or phrase (`str`) and a list of
items (`str_set`).

`str_reader` and `set_reader` build the reader of one text (the marked answer, or the whole
reply); `parse.parse_str` and `parse.parse_str_set` decide which text they read and what a later
correction or an offered alternative means. A word named only to be denied ("It is not red.",
"isn't to the right of") or compared with ("bigger than the red one") is no candidate; which
candidates compete with the gold answer is `candidates`'s rule, and listed alternatives
("red, blue or green") are found by `phrases.enumeration`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from veriscene import vocab
from veriscene.answers.candidates import (
    NAME,
    RELATION,
    beside,
    compared_with,
    competing,
    echoes_question,
    gold_kinds,
    gold_readings,
    kind_table,
    listed_names,
    set_items,
)
from veriscene.answers.extract import strip_edges
from veriscene.answers.normalize import find_phrases, fold, normalize_phrase
from veriscene.answers.numbers import UNITS
from veriscene.answers.phrases import enumeration, strip_lead_in
from veriscene.answers.result import ParseResult
from veriscene.answers.rivals import Rivals
from veriscene.answers.yes_no import UNCERTAIN_RE

_SET_SPLIT_RE = re.compile(r"\s*(?:,\s*or\b|,|;|\n|\band\b|&|\+|\|)\s*", re.IGNORECASE)  # ", or": Oxford comma
# Alternatives inside one item of a list: "small or blue", "star vs circle", "red/blue" (", or"
# between items is an Oxford comma: `_SET_SPLIT_RE`).
_ALTERNATIVES_RE = re.compile(r"\w\s*/\s*\w|(?:^|\s|/)(?:or|vs\.?|versus)(?=\s|$)", re.IGNORECASE)
_VERSUS_RE = re.compile(r"\s+(?:vs\.?|versus)\s+", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_QUANTITY_RE = re.compile(
    rf"^(?:\d+|{'|'.join(UNITS)}|some|several|many|a\s+few|few|multiple|two\s+or\s+more)\s+", re.IGNORECASE)
# A part of a list that denies its item: "not shiny", "but not red", "never blue".
_DENIED_ITEM_RE = re.compile(r"^(?:but\s+)?(?:not|never)\b", re.IGNORECASE)
_EMPTY_SET = frozenset({"none", "nothing", "no object", "no one", "nobody", "empty", "empty set", "no"})
_MAX_FREE_PHRASE_WORDS = 5

Reader = Callable[[str], "ParseResult | None"]  # None: no candidate in this text


@lru_cache(maxsize=64)
def _normalized_vocab(words: tuple[str, ...], syn_items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    syn = dict(syn_items)
    out: dict[str, str] = {}
    for w in words:
        out.setdefault(normalize_phrase(w, prepared=syn), w)
    out.pop("", None)
    return out


_NO_INTERJECTION_RE = re.compile(r"\b(?:no|nope)\s*[,.!;:]", re.IGNORECASE)
_NEGATIONS = frozenset({"not", "no", "never", "isnt", "arent", "wasnt", "doesnt", "dont", "nor", "neither",
                        "except", "excluding"})  # "everything except red" was read as red
# Words between a negation and what it denies: "doesnt look red", "not to right of", "not located above".
_LINKS = frozenset({"look", "looks", "seem", "seems", "appear", "appears", "be", "really", "quite", "exactly",
                    "to", "located", "positioned", "placed", "situated", "directly"})
_MAX_LINKS = 3


def _denied(text_norm: str, phrase: str) -> bool:
    """Whether every mention of `phrase` (normalised, as found by `find_phrases`) in `text_norm`
    follows a negation, up to three link words between: "not red", "isnt red", "doesnt look
    red", "is not to the right of"."""
    words = text_norm.split()
    size = len(phrase.split())
    starts = [k for k in range(len(words) - size + 1) if " ".join(words[k:k + size]) == phrase]

    def negated(k: int) -> bool:
        j = k - 1
        while j >= 0 and k - 1 - j < _MAX_LINKS and words[j] in _LINKS:
            j -= 1
        return j >= 0 and words[j] in _NEGATIONS
    return bool(starts) and all(negated(k) for k in starts)


def default_vocabulary() -> tuple[str, ...]:
    """Attribute words and relation predicates of `veriscene.vocab`: replies naming several of
    them ("red, blue or green") are ambiguous even when the gold answer is among them."""
    return tuple(sorted(set(vocab.ATTRIBUTE_TYPES) | set(vocab.CONVERSE_PREDICATES)))


def _has_phrase(text_norm: str, phrase: str) -> bool:
    return f" {phrase} " in f" {text_norm} "


def _maximal(hits: list[str]) -> list[str]:
    """Hits of the two searches (built-in and given words) without one inside another hit
    already found at the same place: find_phrases keeps maximal matches per search only."""
    return hits if len(hits) < 2 else [h for h in hits if not any(h != o and _has_phrase(o, h) for o in hits)]


def str_reader(syn: Mapping[str, str], vocabulary: Sequence[str] | None, closed: bool = False,
               answer: str | None = None, rivals: Rivals | None = None,
               question: str | None = None) -> Reader:
    """The reader of a word or phrase in one text (`parse.parse_str` says what the arguments do)."""
    table = kind_table(syn, rivals)
    syn_items = tuple(sorted(syn.items()))
    given_map = _normalized_vocab(tuple(vocabulary or ()), syn_items)
    given = frozenset(given_map)
    target: frozenset[str] | None = None
    gold_set: frozenset[str] = frozenset()
    asked: frozenset[str] = frozenset()
    q_words: list[str] = []
    if answer is not None and normalize_phrase(answer, prepared=syn):
        readings, relation = gold_readings(answer, syn, table)
        gold_set = frozenset(readings)
        target = frozenset({RELATION}) | table.get(readings[0], frozenset()) if relation else gold_kinds(readings[:1], table)
        if question:
            q_norm = normalize_phrase(question, prepared=syn)
            q_hits = set(find_phrases(q_norm, table, table.longest)) | set(find_phrases(q_norm, given_map))
            # the gold in the question: the question offers alternatives, and every one competes
            asked = frozenset() if q_hits & gold_set or any(_has_phrase(q_norm, g) for g in gold_set) \
                else frozenset(q_hits)
            q_words = q_norm.split()
        builtin: Mapping[str, object] = table
        longest = table.longest
    else:
        builtin = _normalized_vocab(default_vocabulary(), syn_items)
        longest = None

    def competes(item: str) -> bool:
        """Whether a listed item competes with the gold: unknown, or of its kind, or listed."""
        kinds = table.get(item)
        return target is None or kinds is None or bool(kinds & target) or item in given

    def lookup(norm: str) -> str | None:
        if norm in given_map:
            return given_map[norm]
        return norm if norm in builtin else None

    def find(text_norm: str) -> list[str]:
        found = find_phrases(text_norm, builtin, longest) if longest is not None else find_phrases(text_norm, builtin)
        return list(dict.fromkeys([*found, *find_phrases(text_norm, given_map)]))

    def read(text: str) -> ParseResult | None:
        # "large vs small" offers both as "large or small" does (it read small where the
        # question names large: a question word competes only beside another candidate)
        text = _VERSUS_RE.sub(" or ", text)
        phrase = strip_lead_in(text)
        norm = normalize_phrase(phrase, prepared=syn)
        if not norm:
            return None
        if (whole := lookup(norm)) is not None:
            return ParseResult(value=whole)
        if (m := UNCERTAIN_RE.search(text)) is not None:
            return ParseResult.fail(f"the reply is uncertain ({m.group(0)!r})")
        listed = enumeration(phrase, syn, competes)
        if listed is not None:
            return listed if not listed.ok else read(str(listed.value))
        # "No, below." answers a question back: the "no" denies what came before, not "below"
        text_norm = normalize_phrase(_NO_INTERJECTION_RE.sub(" ", text), prepared=syn)
        hits = _maximal(find(text_norm))
        if hits:
            # "It is not red." names red only to deny it; "bigger than the red one" to compare
            said = [h for h in hits if not _denied(text_norm, h) and not compared_with(text_norm, h)]
            if not said:
                return ParseResult.fail(f"the reply says what the answer is not ({', '.join(hits)})")
            if target is not None and asked:
                # a question word stays out of the competition unless it is said bare beside
                # another candidate ("large small"), not as the question says it ("small star")
                rivals = competing(said, target, table, given, gold_set)
                asked_here = frozenset(h for h in asked if not (
                    beside(text_norm, h, [r for r in rivals if r != h]) and not echoes_question(text_norm, q_words, h)))
            else:
                asked_here = asked
            hits = said if target is None else competing(said, target, table, given, gold_set, asked_here)
        if len(hits) > 1:
            return ParseResult.fail(f"the reply names several candidates ({', '.join(lookup(h) or h for h in hits)})")
        if hits and target is not None and NAME in target and listed_names(text_norm, hits[0], table):
            return ParseResult.fail(f"the reply lists several objects ({text_norm[:80]!r})")
        if hits:
            return ParseResult(value=lookup(hits[0]) or hits[0])
        if closed:
            return ParseResult.fail("the reply names none of the allowed answers")
        if len(norm.split()) > _MAX_FREE_PHRASE_WORDS:
            return None
        return ParseResult(value=re.sub(r"^(?:a|an|the)\s+", "", phrase.lower()))

    return read


def set_reader(syn: Mapping[str, str], vocabulary: Sequence[str] | None,
               gold: Sequence[str] | None = None, rivals: Rivals | None = None) -> Reader:
    """The reader of a list of items in one text (`parse.parse_str_set` says what it reads)."""
    vocab_map = _normalized_vocab(tuple(vocabulary or ()), tuple(sorted(syn.items())))
    table = kind_table(syn, rivals)
    target = frozenset().union(*(gold_kinds([normalize_phrase(str(g), prepared=syn)], table) for g in gold)) \
        if gold else frozenset()

    def read(text: str) -> ParseResult | None:
        text = text.split(":", 1)[1] if re.search(r"\b(?:are|is|include|includes)\s*:", text) else text
        body = strip_lead_in(text)
        if not body:
            return None
        if (m := UNCERTAIN_RE.search(body)) is not None:
            return ParseResult.fail(f"the reply is uncertain ({m.group(0)!r})")
        if normalize_phrase(body, prepared=syn) in _EMPTY_SET or re.match(
                r"^(?:there\s+(?:are|is)\s+)?no(?:ne)?\s+[a-z]", fold(body)):
            return ParseResult(value=[])  # "none", "There are no unique objects", "No colors are shared."
        items: set[str] = set()
        for k, raw in enumerate(_SET_SPLIT_RE.split(body)):
            if _ALTERNATIVES_RE.search(raw) is not None:  # "gray, matte, small or blue, matte, small"
                return ParseResult.fail(f"the reply offers alternatives ({raw.strip()[:40]!r})")
            if _DENIED_ITEM_RE.match(strip_edges(_BULLET_RE.sub("", raw))) is not None:
                if k == 0:  # "Not brown, large and matte.": the whole list is denied
                    return ParseResult.fail(f"the reply says what the answer is not ({raw.strip()[:40]!r})")
                continue  # "small, gray and matte, not shiny": the denied item is no item
            item = _QUANTITY_RE.sub("", strip_edges(_BULLET_RE.sub("", raw)))
            norm = normalize_phrase(item, prepared=syn)
            if not norm:
                continue
            if vocab_map and norm not in vocab_map:
                hits = find_phrases(norm, vocab_map)
                norm = normalize_phrase(vocab_map[hits[0]], prepared=syn) if len(hits) == 1 else norm
            elif target and norm not in table:
                named = set_items(norm, table, target)
                if named is not None:
                    items.update(named)
                    continue
            items.add(norm)
        return ParseResult(value=sorted(items)) if items else None

    return read
