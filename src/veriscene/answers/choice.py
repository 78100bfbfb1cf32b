"""Multiple choice: which option a reply picks.

Options are labelled A, B, C, ... (`veriscene.sample.OPTION_LETTERS`). A reply picks an option
by letter or by the option's text, read in tiers; the first tier that finds something decides:

1. the whole answer is a letter: "B", "b", "(B)", "B.", "**B**"
2. an explicit label: "Option B", "choice (b)", "answer is B", "(B)", "[B]", "B." / "B)" / "B:"
   at the start of a line
3. a capital letter standing alone in a sentence: "I'd go with B here". "A" starting a
   sentence and followed by a lowercase word is the article ("A red circle"), not option A.
4. the text of an option: equal to it after normalisation, or containing exactly one option
   as whole words

Two different letters in the deciding tier are a parse failure, and so is a label whose
following text is exactly another option ("B. blue square" when B is "red circle").
The marked answer (`Reply.focus`) is read before the whole reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from veriscene.answers.extract import Reply, strip_edges
from veriscene.answers.normalize import find_phrases, normalize_phrase
from veriscene.answers.result import ParseResult
from veriscene.sample import OPTION_LETTERS

_WHOLE_RE = re.compile(r"^\W*(?:option|choice)?\s*[\(\[]?\s*([A-Za-z])\s*[\)\]]?\W*$", re.IGNORECASE)
_LABELLED_RE = re.compile(
    r"\b(?:option|choice|answer|letter)\s*(?:is|would be|:)?\s*[:\-]?\s*[\(\[]?\s*([A-Ha-h])\b(?![\w'’-])"
    r"|(?<![\w])[\(\[]\s*([A-Ha-h])\s*[\)\]]"
    r"|(?m:^)[\s>*#\-]*([A-H])\s*[.):](?!\w)", re.IGNORECASE)
_BARE_RE = re.compile(r"(?<![\w'’\-./])([A-H])(?![\w'’\-])(?!\.\w)")
_ARTICLE_EXCEPTIONS = re.compile(
    r"\s+(?:is|was|would|should|seems|appears|fits|matches|and|or|nor|vs|versus|then|because|since)\b")
_LEADING_LABEL_RE = re.compile(r"^\W*[\(\[]?([A-Ha-h])\s*[.):\]]\s*(.+)$", re.DOTALL)


def _letter_index(letter: str, n: int) -> int | None:
    i = OPTION_LETTERS.find(letter.upper())
    return i if 0 <= i < n else None


def _decide(indices: list[int], what: str) -> ParseResult | None:
    distinct = sorted(set(indices))
    if not distinct:
        return None
    if len(distinct) > 1:
        names = ", ".join(OPTION_LETTERS[i] for i in distinct)
        return ParseResult.fail(f"the reply names several options ({names}) {what}")
    return ParseResult(value=None, choice_index=distinct[0])


def _is_article(after: str) -> bool:
    """Whether "A" followed by `after` reads as the article ("A red circle", not "A is right")."""
    return bool(re.match(r"\s+[a-z]", after)) and not _ARTICLE_EXCEPTIONS.match(after)


def _bare_letters(text: str, n: int) -> list[int]:
    out: list[int] = []
    for m in _BARE_RE.finditer(text):
        at_sentence_start = not text[:m.start()].strip() or re.search(r"[.!?:\n]\s*$", text[:m.start()])
        if m.group(1) == "A" and at_sentence_start and _is_article(text[m.end():]):
            continue  # "A red circle." but not "I would go with A here."
        i = _letter_index(m.group(1), n)
        if i is not None:
            out.append(i)
    return out


def _by_text(text: str, norm_choices: list[str], syn: Mapping[str, str]) -> ParseResult | None:
    norm = normalize_phrase(strip_edges(text), prepared=syn)
    exact = [i for i, c in enumerate(norm_choices) if c and c == norm]
    if exact:
        return ParseResult(value=None, choice_index=exact[0])
    hits = find_phrases(norm, norm_choices)
    return _decide([i for i, c in enumerate(norm_choices) if c in hits], "by their text")


def _in_text(text: str, choices: Sequence[str], norm_choices: list[str],
             syn: Mapping[str, str]) -> ParseResult | None:
    n = len(choices)
    whole = _WHOLE_RE.match(strip_edges(text))
    if whole:
        i = _letter_index(whole.group(1), n)
        if i is not None:
            return ParseResult(value=None, choice_index=i)
        if whole.group(1).upper() in OPTION_LETTERS:
            return ParseResult.fail(f"option {whole.group(1).upper()} does not exist ({n} options)")
    labelled: list[int] = []
    for m in _LABELLED_RE.finditer(text):
        letter = next(g for g in m.groups() if g)
        if m.group(1) and letter in "aA" and _is_article(text[m.end():]):
            continue  # "the answer is a red circle"
        i = _letter_index(letter, n)
        if i is not None:
            labelled.append(i)
    decided = _decide(labelled, "by letter")
    if decided is None:
        decided = _decide(_bare_letters(text, n), "by letter")
    if decided is not None and decided.ok and decided.choice_index is not None:
        lead = _LEADING_LABEL_RE.match(text.strip())
        if lead:
            rest = normalize_phrase(strip_edges(lead.group(2)), prepared=syn)
            others = [i for i, c in enumerate(norm_choices) if c == rest and i != decided.choice_index]
            if rest and others and rest != norm_choices[decided.choice_index]:
                return ParseResult.fail(
                    f"option letter {OPTION_LETTERS[decided.choice_index]} disagrees with the option "
                    f"text that follows it ({choices[others[0]]!r} is option {OPTION_LETTERS[others[0]]})")
        return decided
    if decided is not None:
        return decided
    return _by_text(text, norm_choices, syn)


def parse_choice(reply: Reply, choices: Sequence[str], syn: Mapping[str, str]) -> ParseResult:
    """The option a reply picks: `choice_index` set and `value` the option's text."""
    if not choices:
        raise ValueError("multiple choice needs a non-empty list of choices")
    if len(choices) > len(OPTION_LETTERS):
        raise ValueError(f"at most {len(OPTION_LETTERS)} choices are supported, got {len(choices)}")
    norm_choices = [normalize_phrase(str(c), prepared=syn) for c in choices]
    for text in ([reply.focus] if reply.focus else []) + [reply.body]:
        result = _in_text(text, choices, norm_choices, syn)
        if result is not None:
            if result.ok and result.choice_index is not None:
                return ParseResult(value=choices[result.choice_index], choice_index=result.choice_index)
            return result
    return ParseResult.fail("no option letter or option text found in the reply")
