"""Parsing a reply into an answer type: `parse_answer` and one reader per type.

Every reader looks at the marked answer (`Reply.focus`: answer tag, \\boxed{}, "answer is")
first and at the whole reply when the focus holds no candidate. A reader either returns the
value in the gold answer's JSON form or a failure with its reason; it never guesses between
conflicting candidates.

    bool         yes/no/true/false/correct/incorrect, hedges ("I think yes"), negated
                 statements ("There is no dog" -> False); uncertainty and contradictions fail
                 (`yes_no`)
    int, float   digits or number words; for int also "none" / "no dogs" -> 0; several
                 different numbers fail unless marked ("..., so the answer is 5"); bounds
                 ("at least 3", "3+", "≥3"), alternatives ("3 or 4", "3-4"), denied numbers
                 ("Not 3.") and, for int, approximations ("about 3") fail, marked or not
    image_index  "Image 2", "the second image", "image two", "2" -> 1 (0-based); "Image 1 or 2"
                 fails; "the last image" needs the number of images
    str          a word or phrase, normalised (`normalize`); a sentence counts when exactly one
                 candidate of the gold's kind occurs in it (`candidates`); an enumeration of
                 alternatives ("a circle, a star or a hexagon") or a run of names fails
    str_set      comma / "and" / line separated items -> sorted list of normalised items
    box, point   see `spatial`;  text: the cleaned reply, never a failure unless empty

A marked answer corrected later in the reply ("The answer is yes... actually no") fails, and so
does a reply offering another answer besides its own ("Probably large, though it could be
small."; "My best guess is no, but yes is also possible."; `extract.offered_alternatives`), and
one said unsure, in every type ("Possibly B.", "I'm not sure, maybe 3."; `yes_no.UNCERTAIN_RE`).
Numbers are read by `quantities`, image numbers by `image_refs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

from veriscene import vocab
from veriscene.answers.candidates import (
    NAME,
    RELATION,
    compared_with,
    competing,
    gold_kinds,
    gold_readings,
    kind_table,
    listed_names,
    set_items,
)
from veriscene.answers.choice import parse_choice
from veriscene.answers.coords import check_image_size, parse_box_format
from veriscene.answers.extract import (
    DEFAULT_ANSWER_TAGS,
    DEFAULT_THINK_TAGS,
    Reply,
    correction_after_focus,
    offered_alternatives,
    read_reply,
    strip_edges,
)
from veriscene.answers.normalize import find_phrases, fold, normalize_phrase, prepare_synonyms
from veriscene.answers.image_refs import asks_absence, read_image_index
from veriscene.answers.numbers import UNITS
from veriscene.answers.quantities import read_number
from veriscene.answers.phrases import enumeration, strip_lead_in
from veriscene.answers.result import ParseResult
from veriscene.answers.rivals import Rivals
from veriscene.answers.spatial import parse_box, parse_point
from veriscene.answers.yes_no import NOT_KNOWING_RE, UNCERTAIN_RE, against_statement, read_bool
from veriscene.sample import ANSWER_TYPES

_SET_SPLIT_RE = re.compile(r"\s*(?:,\s*or\b|,|;|\n|\band\b|&|\+|\|)\s*", re.IGNORECASE)  # ", or": Oxford comma
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_QUANTITY_RE = re.compile(
    rf"^(?:\d+|{'|'.join(UNITS)}|some|several|many|a\s+few|few|multiple|two\s+or\s+more)\s+", re.IGNORECASE)
# A part of a list that denies its item: "not shiny", "but not red", "never blue".
_DENIED_ITEM_RE = re.compile(r"^(?:but\s+)?(?:not|never)\b", re.IGNORECASE)
_EMPTY_SET = frozenset({"none", "nothing", "no object", "no one", "nobody", "empty", "empty set", "no"})
_MAX_FREE_PHRASE_WORDS = 5

Reader = Callable[[str], "ParseResult | None"]  # None: no candidate in this text


def _corrected(reply: Reply, read: Reader, marked: ParseResult) -> ParseResult | None:
    """A failure when the text after the marked answer corrects it to another value."""
    found = correction_after_focus(reply)
    if found is None:
        return None
    later = read(found[1])
    if later is not None and (not later.ok or later.value != marked.value):
        return ParseResult.fail(f"the reply changes its answer after marking it, or offers another ({found[0]!r})")
    return None


def _offered(text: str, read: Reader, said: ParseResult) -> ParseResult | None:
    """A failure when `text` offers another answer besides `said` ("Probably large, though it
    could be small."; "My best guess is no, but yes is also possible.")."""
    for words, clause in offered_alternatives(text):
        other = read(clause)
        if other is not None and (not other.ok or other.value != said.value):
            return ParseResult.fail(f"the reply offers another answer besides its own ({words!r})")
    return None


def _focus_then_body(reply: Reply, read: Reader, what: str) -> ParseResult:
    if reply.focus:
        result = read(reply.focus)
        if result is not None:
            return (_corrected(reply, read, result) or _offered(reply.focus, read, result) or result) \
                if result.ok else result
    result = read(reply.body)
    if result is not None:
        return (_offered(reply.body, read, result) or result) if result.ok else result
    return ParseResult.fail(f"no {what} found in the reply" if reply.body else "empty reply")


# --- numbers ------------------------------------------------------------------------------

def parse_number(reply: Reply, integer: bool, question: str | None = None) -> ParseResult:
    """A number; the first number of the marked answer wins over the rest of the reply; for a
    count `question`, the one number counting its noun (`quantities.read_number`)."""
    def read(text: str) -> ParseResult | None:
        return read_number(text, integer, first=reply.focus is not None and text is reply.focus, question=question)
    return _focus_then_body(reply, read, "whole number" if integer else "number")


# --- str ----------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _normalized_vocab(words: tuple[str, ...], syn_items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    syn = dict(syn_items)
    out: dict[str, str] = {}
    for w in words:
        out.setdefault(normalize_phrase(w, prepared=syn), w)
    out.pop("", None)
    return out


_NO_INTERJECTION_RE = re.compile(r"\b(?:no|nope)\s*[,.!;:]", re.IGNORECASE)
_NEGATIONS = frozenset({"not", "no", "never", "isnt", "arent", "wasnt", "doesnt", "dont", "nor", "neither"})
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


def parse_str(reply: Reply, syn: Mapping[str, str], vocabulary: Sequence[str] | None,
              closed: bool = False, answer: str | None = None, rivals: Rivals | None = None,
              question: str | None = None) -> ParseResult:
    """A word or phrase. With `closed`, only vocabulary entries are accepted.

    With the gold `answer`, only candidates of its kind compete, its readings count as one
    candidate, a gold name must head its phrase, and words of the `question` do not compete
    unless the gold is among them (`candidates`); `rivals` are the data set's words. Without
    it every vocabulary and built-in attribute or relation word competes.
    """
    table = kind_table(syn, rivals)
    syn_items = tuple(sorted(syn.items()))
    given_map = _normalized_vocab(tuple(vocabulary or ()), syn_items)
    given = frozenset(given_map)
    target: frozenset[str] | None = None
    gold_set: frozenset[str] = frozenset()
    asked: frozenset[str] = frozenset()
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
            hits = said if target is None else competing(said, target, table, given, gold_set, asked)
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

    return _focus_then_body(reply, read, "short answer")


def _has_phrase(text_norm: str, phrase: str) -> bool:
    return f" {phrase} " in f" {text_norm} "


def _maximal(hits: list[str]) -> list[str]:
    """Hits of the two searches (built-in and given words) without one inside another hit
    already found at the same place: find_phrases keeps maximal matches per search only."""
    return hits if len(hits) < 2 else [h for h in hits if not any(h != o and _has_phrase(o, h) for o in hits)]


# --- str_set ------------------------------------------------------------------------------

def parse_str_set(reply: Reply, syn: Mapping[str, str], vocabulary: Sequence[str] | None,
                  gold: Sequence[str] | None = None, rivals: Rivals | None = None) -> ParseResult:
    """A list of items -> sorted list of distinct normalised items ("none", "No objects are
    unique to Image 2." -> []); a denied item is left out ("small and gray, not shiny"), and a
    list whose first item is denied fails ("Not small, gray and shiny."). With the `gold`
    items, a part that is a clause or a bare run of words is read as the known words of the
    gold items' kinds it names (`candidates.set_items`: "Circles and squares appear in every
    image", "Color: gray, finish: matte", "small gray matte"); `rivals` are the data set's
    words."""
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
            if (denial := _DENIED_ITEM_RE.match(strip_edges(_BULLET_RE.sub("", raw)))) is not None:
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

    return _focus_then_body(replace(reply, focus=reply.list_focus), read, "list of items")


# --- dispatcher ---------------------------------------------------------------------------

_NO_OPTION = "no option letter or option text found in the reply"  # `choice.parse_choice`'s


def _unless_unsure(said: ParseResult, reply: Reply) -> ParseResult:
    """`said`, or a failure when the reply is uncertain ("I'm not sure, maybe 3.", "Possibly
    Image 2.": `UNCERTAIN_RE` in the marked answer, else in the whole reply), for the readers
    of numbers, images, boxes and points; those of yes/no, words and sets look for it
    themselves. A failure of the reader keeps its own reason ("offers another image")."""
    if said.ok and (m := UNCERTAIN_RE.search(reply.text)) is not None:
        return ParseResult.fail(f"the reply is uncertain ({m.group(0)!r})")
    return said


def _option_by_value(reply: str, answer_type: str, choices: Sequence[str], failed: ParseResult,
                     **kw: object) -> ParseResult:
    """The option whose value the reply states in words of its own type, when it names no
    letter or option text: "zero" for the option "0", "the second image" or "2" for "Image 2",
    "There are no purple objects." for "0". The reply must read as one value (`parse_answer`
    without options: hedges and lists fail) equal to exactly one option's; else `failed`."""
    said = parse_answer(reply, answer_type, **kw)  # type: ignore[arg-type]
    if not said.ok:
        return failed
    values = [_choice_value(str(c), answer_type, num_images=kw.get("num_images")) for c in choices]
    matching = [k for k, v in enumerate(values) if type(v) is type(said.value) and v == said.value]
    return ParseResult(value=said.value, choice_index=matching[0]) if len(matching) == 1 else failed


def _choice_value(choice: str, answer_type: str, **kw: object) -> object:
    """An option's text read as the answer type (options of a count question are "3", ...)."""
    if answer_type in ("text", "str"):
        return choice
    result = parse_answer(choice, answer_type, **kw)  # type: ignore[arg-type]
    return result.value if result.ok else choice


def parse_answer(reply: str, answer_type: str, *, choices: Sequence[str] | None = None,
                 box_format: str = "norm1", image_size: Sequence[int] | None = None,
                 synonyms: Mapping[str, str] | None = None, vocabulary: Sequence[str] | None = None,
                 think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
                 answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS,
                 auto_detect_box_format: bool = True, answer: str | None = None,
                 gold_items: Sequence[str] | None = None,
                 num_images: int | None = None, rivals: Rivals | None = None,
                 question: str | None = None) -> ParseResult:
    """Read a raw model reply as `answer_type` (one of `veriscene.sample.ANSWER_TYPES`).

    `answer`, the gold answer of a `str` question, decides which candidate words compete
    (`veriscene.answers.candidates`); without it every known word does. `rivals` (the data
    set's words, `veriscene.answers.rivals`) join the built-in candidates; words of the
    `question` do not compete unless the gold answer is among them. `num_images` (the
    sample's images) reads "the last image". `gold_items`, the gold answer of a `str_set`
    question, lets a sentence's items be read as known words of their kinds.

    With `choices` (multiple choice) the reply picks an option (`choice_index`) and `value` is
    that option read as `answer_type`; a pick said unsure ("Possibly B.") fails, unless an
    option holds the word ("unknown"). Boxes and points come back in absolute pixels; their
    values are read in `box_format`, which needs `image_size` = (width, height) unless "pixel".
    Raises ValueError for an unknown answer type or box format; bad replies are failures.
    """
    if answer_type not in ANSWER_TYPES:
        raise ValueError(f"unknown answer_type {answer_type!r}; expected one of {list(ANSWER_TYPES)}")
    fmt = parse_box_format(box_format)
    size = check_image_size(image_size, fmt) if answer_type in ("box", "point") else (
        check_image_size(image_size) if image_size is not None else None)
    syn = prepare_synonyms(synonyms)
    r = read_reply(reply, think_tags=think_tags, answer_tags=answer_tags)
    if answer_type != "text" and (m := NOT_KNOWING_RE.search(r.text)) is not None:
        return ParseResult.fail(f"the reply is uncertain: it does not know or will not say ({m.group(0)!r})")
    if choices:
        picked = parse_choice(r, [str(c) for c in choices], syn)
        if picked.reason == _NO_OPTION and answer_type in ("int", "float", "bool", "image_index"):
            picked = _option_by_value(reply, answer_type, choices, picked, think_tags=think_tags,
                                      answer_tags=answer_tags, num_images=num_images, question=question)
        if not picked.ok or picked.choice_index is None:
            return picked
        unsure = UNCERTAIN_RE.search(r.text)
        if unsure is not None and not any(unsure.group(0).lower() in str(c).lower() for c in choices):
            return ParseResult.fail(f"the reply is uncertain ({unsure.group(0)!r})")  # "Possibly B."
        value = _choice_value(str(choices[picked.choice_index]), answer_type, box_format=fmt,
                              image_size=size, synonyms=synonyms)
        return ParseResult(value=value, choice_index=picked.choice_index)
    if answer_type == "text":
        return ParseResult(value=r.body) if r.body else ParseResult.fail("empty reply")
    if answer_type == "bool":
        if r.source == "lead":  # "Yes\n\nExplanation: no brown circle is visible." is read whole
            r = replace(r, focus=None)
        said = _focus_then_body(r, lambda text: read_bool(text, question), "yes/no answer")
        return against_statement(said, r.body if r.focus is not None else None, question)
    if answer_type in ("int", "float"):
        return _unless_unsure(parse_number(r, integer=answer_type == "int", question=question), r)
    if answer_type == "image_index":
        absence = asks_absence(question)
        return _unless_unsure(
            _focus_then_body(r, lambda text: read_image_index(text, num_images, absence), "image number"), r)
    if answer_type == "str":
        return parse_str(r, syn, vocabulary, answer=answer, rivals=rivals, question=question)
    if answer_type == "str_set":
        return parse_str_set(r, syn, vocabulary, gold=gold_items, rivals=rivals)
    if answer_type == "box":
        return _unless_unsure(parse_box(r, box_format=fmt, image_size=size, auto_detect=auto_detect_box_format), r)
    return _unless_unsure(
        parse_point(r, box_format=fmt, image_size=size, auto_detect=auto_detect_box_format, question=question), r)
