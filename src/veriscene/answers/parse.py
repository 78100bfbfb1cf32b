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
Numbers are read by `quantities`, image numbers by `image_refs`, words and lists by `words`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from veriscene.answers.choice import parse_choice
from veriscene.answers.coords import check_image_size, parse_box_format
from veriscene.answers.extract import (
    DEFAULT_ANSWER_TAGS,
    DEFAULT_THINK_TAGS,
    Reply,
    correction_after_focus,
    last_correction,
    offered_alternatives,
    read_reply,
)
from veriscene.answers.image_refs import asks_absence, read_image_index
from veriscene.answers.normalize import prepare_synonyms, tokens
from veriscene.answers.options import check_flag, check_texts
from veriscene.answers.quantities import read_number
from veriscene.answers.result import ParseResult
from veriscene.answers.rivals import Rivals
from veriscene.answers.spatial import parse_box, parse_point
from veriscene.answers.words import Reader, default_vocabulary, set_reader, str_reader
from veriscene.answers.yes_no import NOT_KNOWING_RE, UNCERTAIN_RE, against_statement, read_bool
from veriscene.sample import ANSWER_TYPES

__all__ = ["Reader", "default_vocabulary", "parse_answer", "parse_number", "parse_str", "parse_str_set"]


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

def parse_str(reply: Reply, syn: Mapping[str, str], vocabulary: Sequence[str] | None,
              closed: bool = False, answer: str | None = None, rivals: Rivals | None = None,
              question: str | None = None) -> ParseResult:
    """A word or phrase. With `closed`, only vocabulary entries are accepted.

    With the gold `answer`, only candidates of its kind compete, its readings count as one
    candidate, a gold name must head its phrase, and words of the `question` do not compete
    unless the gold is among them (`candidates`); `rivals` are the data set's words. Without
    it every vocabulary and built-in attribute or relation word competes.
    """
    return _focus_then_body(reply, str_reader(syn, vocabulary, closed, answer, rivals, question),
                            "short answer")


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
    read = set_reader(syn, vocabulary, gold, rivals)
    # several answer tags, the last unmarked: the last is the focus, the others its rivals (the
    # list focus ignored them: "<answer>blue, matte</answer><answer>gray, matte</answer>" scored 1.0)
    focus = reply.focus if reply.list_focus is None and reply.rivals else reply.list_focus
    said = _focus_then_body(replace(reply, focus=focus), read, "list of items")
    if said.ok and focus is None:
        return _changed(reply.body, read, said) or said
    return said


def _changed(body: str, read: Reader, said: ParseResult) -> ParseResult | None:
    """A failure when a reply without a marked answer changes it ("circle, star. Wait, actually
    circle, square.": read as the union of both lists before, 0.86 on a near miss)."""
    found = last_correction(body)
    if found is None:
        return None
    before, later = read(found[0]), read(found[2])
    if before is not None and before.ok and later is not None and (not later.ok or later.value != before.value):
        return ParseResult.fail(f"the reply changes its answer ({found[1]!r})")
    return None


# --- dispatcher ---------------------------------------------------------------------------

def repeats_question(text: str, question: str | None) -> bool:
    """Whether `text` is the question copied back, its words alone (its first line: a multiple
    choice question's options follow it). Its words are no answer: "How many green hexagons are
    there in the two images altogether?" was read as 2, "What size is the object the large star
    is in front of?" as large."""
    if not question or not text:
        return False
    said = tokens(text)
    return bool(said) and said in (tokens(question), tokens(question.strip().split("\n", 1)[0]))


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
    if auto_detect_box_format is not True:
        check_flag("auto_detect_box_format", auto_detect_box_format)  # "no" would detect
    if choices is not None:
        check_texts("choices", choices)  # "AB" would be the options "A" and "B"
    fmt = parse_box_format(box_format)
    size = check_image_size(image_size, fmt) if answer_type in ("box", "point") else (
        check_image_size(image_size) if image_size is not None else None)
    syn = prepare_synonyms(synonyms)
    r = read_reply(reply, think_tags=think_tags, answer_tags=answer_tags)
    if answer_type != "text" and (m := NOT_KNOWING_RE.search(r.text)) is not None:
        return ParseResult.fail(f"the reply is uncertain: it does not know or will not say ({m.group(0)!r})")
    if answer_type != "text" and repeats_question(r.text, question):
        return ParseResult.fail("the reply repeats the question")
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
