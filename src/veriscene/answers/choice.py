"""Multiple choice: which option a reply picks.

Options are labelled A, B, C, ... (`veriscene.sample.OPTION_LETTERS`). A reply picks an option
by letter or by the option's text, read in tiers; the first tier that finds something decides:

1. the whole answer is a letter: "B", "b", "(B)", "B.", "**B**"
2. a letter leading the reply on its own line or sentence, followed by an explanation:
   "B\n\nExplanation: A is red, C is blue", "B. The hexagon is green; option A is red." The
   explanation may name other options to describe them, not to offer them: a rival letter
   on a line or sentence of its own ("B. C."), after "answer is", "or", "also", "maybe", ...,
   or followed by "is correct", "is also possible", ... fails.
3. an explicit label: "Option B", "choice (b)", "answer is B", "I choose B", "(B)", "[B]",
   "B." / "B)" / "B:" at the start of a line; letters joined to a label ("answer is A or B",
   "choose A/B") count too
4. a capital letter standing alone in a sentence: "I'd go with B here". "A" starting a
   sentence and followed by a lowercase word is the article ("A red circle"), not option A.
5. the text of an option: equal to it after normalisation, or containing exactly one option
   as whole words

Two different letters in the deciding tier are a parse failure ("A/B/C/D" names four), and so
is a label whose following text is exactly another option ("B. blue square" when B is "red
circle"), a reply that repeats three or more option labels with their text ("A) 1 B) 9 C) 0"),
a reply that repeats every option with its text ("A. no\nB. yes"), a reply picking none or all of
them ("None of the above.", "All of these"; unless an option says so),
a marked answer corrected or hedged after it ("The answer is A... actually C", "The answer is
B. It could also be C.", `extract.correction_after_focus`), another option offered anywhere
("Option B (or possibly C)", `extract.offered_alternatives`), and a reply whose only letters
are denied ("Definitely not C."; "Not A, so C" and "It is not A. It is not C. So B." pick the
one left).
Fullwidth letters ("Ｃ") read as their ASCII forms.
The marked answer (`Reply.focus`) is read before the whole reply.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from veriscene.answers.extract import (
    Reply,
    correction_after_focus,
    last_correction,
    offered_alternatives,
    strip_edges,
)
from veriscene.answers.normalize import find_phrases, normalize_phrase
from veriscene.answers.result import ParseResult
from veriscene.sample import OPTION_LETTERS

# (no two quantifiers over the same characters side by side: "\\s*[)]?\\W*" read "C", 2,000 spaces and
# "x" in 7.6 s, backtracking over every split of the spaces)
_WHOLE_RE = re.compile(r"^\W*(?:(?:option|choice)\W*)?([A-Za-z])\W*$", re.IGNORECASE)
_LABELLED_RE = re.compile(
    r"\b(?:option|choice|answer|letter)\s*(?:is|would be|:)?\s*[:\-]?\s*[\(\[]?\s*([A-Ha-h])\b(?![\w'’-])"
    r"|\b(?:i\s+(?:would\s+|will\s+|'ll\s+)?(?:choose|chose|pick|select|go\s+with|opt\s+for))\s+"
    r"(?:(?:option|choice)\s*)?[\(\[]?\s*([A-H])\b(?![\w'’-])"
    r"|(?<![\w])[\(\[]\s*([A-Ha-h])\s*[\)\]]"
    r"|(?m:^)[\s>*#\-]*([A-H])\s*[.):](?!\w)", re.IGNORECASE)
_BARE_RE = re.compile(r"(?<![\w'’\-./])([A-H])(?![\w'’\-/])(?!\.\w)")
# Letters joined by slashes: "A/B/C/D", "B / C".
_SLASHED_RE = re.compile(r"(?<![\w/])[A-H](?:\s*/\s*[A-H])+(?![\w/])")
# A negation right before a letter: "not C", "isn't (B)", "definitely not option A".
_DENIED_BEFORE_RE = re.compile(
    r"(?:\bnot|n't|\bno|\bnor|\bexcept|\brule\s+out)\s*(?:(?:option|choice)\s*)?[\(\[]?\s*$", re.IGNORECASE)
# Option labels followed by option text, several on one line: "A) 1 B) 9 C) 0 D) 3".
_INLINE_LABEL_RE = re.compile(r"(?<![\w'’])([A-H])\s*[.)]\s+(?=\S)")
# More letters joined to a labelled one: "answer is A or B", "choose A/B", "option A, B and C".
# (The patterns here never put two quantifiers over the same characters side by side: "\\s*[)]?\\s*"
# backtracked over every split of a run of spaces, and "C", 1,000 spaces and "x" took 1 s, 2,000
# spaces 7.6 s.)
_JOINED_RE = re.compile(
    r"\s*(?:[\)\]]\s*)?(?:,\s*(?:(?:or|and)\b\s*)?|/\s*|\bor\b\s*|\band\b\s*|&\s*)(?:(?:option|choice)\s*)?"
    r"(?:[\(\[]\s*)?([A-H])\b(?![\w'’-])")
# Two letters offered as the whole reply, either in lower case: "C or d", "c/D", "(C) or (d)".
_LETTER_PAIR_RE = re.compile(r"^[^\w/]*([A-Ha-h])[^\w/]*(?:or\b|vs\b|/)\W*([A-Ha-h])\W*$", re.IGNORECASE)
# A letter leading the reply on its own line or sentence: "B\n\nExplanation: ...", "B. The ...".
_LEAD_PICK_RE = re.compile(
    r"^[\s>#*_\-]*(?:(?:[Oo]ption|[Cc]hoice|OPTION|CHOICE)\s*)?(?:[\(\[]\s*)?([A-Ha-h])(?:\s*[\)\]])?[*_]*"
    r"(?:\s*$|[ \t]*(?:[.:)][ \t]*)?\n|[ \t]*[.:)][*_]*\s+(?=[A-Z]))")
# Another option offered in the explanation after a leading letter: "B. Or C.", "C is also
# correct", "the answer could be C".
_RIVAL_BEFORE_RE = re.compile(
    r"(?:\banswers?\s*(?:is|:|would\s+be|could\s+be|might\s+be|may\s+be)?|\b(?:choose|chose|pick|picked|select|"
    r"selected|go\s+with|opt\s+for)|\bor|\balso|\bmaybe|\bperhaps|\bpossibly|/)\s*(?:(?:option|choice)\s*)?"
    r"[\(\[]?\s*$", re.IGNORECASE)
_RIVAL_AFTER_RE = re.compile(
    r"^\s*[\)\]]?\s*(?:is|was|would\s+be|could\s+be|might\s+be|may\s+be|seems|also|too)?\s*"
    r"(?:also\s+|too\s+|equally\s+)?(?:correct|right|true|valid|possible|plausible|likely|acceptable|"
    r"the\s+(?:answer|best|right|correct)|an?\s+(?:option|answer|possibility|candidate)|works|fits|"
    r"matches|too|as\s+well)\b", re.IGNORECASE)
_ARTICLE_EXCEPTIONS = re.compile(
    r"\s+(?:is|was|would|should|seems|appears|fits|matches|and|or|nor|vs|versus|then|because|since)\b")
# A reply that picks no single option: "None of the above.", "All of these", "Neither option".
_NO_PICK_RE = re.compile(
    r"\b(?:(?:none|all|neither|both|each)\s+of\s+(?:the\s+)?(?:above|these|those|them|options|choices|answers)"
    r"|(?:neither|none)\s+(?:option|choice|answer)s?)\b", re.IGNORECASE)
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


def _denied_at(text: str, start: int) -> bool:
    """Whether the letter at `start` follows a negation: "not C", "isn't (A)", "no B"."""
    return _DENIED_BEFORE_RE.search(text[max(0, start - 24):start]) is not None


def _bare_letters(text: str, n: int) -> list[int]:
    """Letters standing alone, in order; "A/B/C/D" counts each of them. A denied letter ("not
    C") is -1 - its index, so that callers can tell "names only denied options" apart."""
    out: list[int] = []
    first = len(text) - len(text.lstrip())
    for m in _BARE_RE.finditer(text):
        window = text[max(0, m.start() - 8):m.start()]
        at_sentence_start = m.start() <= first or re.search(r"[.!?:\n]\s*$", window)
        if m.group(1) == "A" and at_sentence_start and _is_article(text[m.end():]):
            continue  # "A red circle." but not "I would go with A here."
        i = _letter_index(m.group(1), n)
        if i is not None:
            out.append(-1 - i if _denied_at(text, m.start()) else i)
    for m in _SLASHED_RE.finditer(text):
        out.extend(i for i in (_letter_index(c, n) for c in re.findall(r"[A-H]", m.group(0))) if i is not None)
    return out


def _said(indices: list[int], what: str) -> ParseResult | None:
    """`_decide` over the letters not denied; a failure when every letter named is denied."""
    said = [i for i in indices if i >= 0]
    if indices and not said:
        names = ", ".join(sorted({OPTION_LETTERS[-1 - i] for i in indices}))
        return ParseResult.fail(f"the reply names only options it rules out ({names})")
    return _decide(said, what)


def _labelled_letters(text: str, n: int) -> list[int]:
    """Labelled letters in order (tier 3), with the letters joined to them; a denied letter is
    -1 - its index (see `_bare_letters`)."""
    labelled: list[int] = []
    for m in _LABELLED_RE.finditer(text):
        letter = next(g for g in m.groups() if g)
        if m.group(1) and letter in "aA" and _is_article(text[m.end():]):
            continue  # "the answer is a red circle"
        at, letters = m.end(), [(letter, m.start(m.lastindex or 0))]
        while (j := _JOINED_RE.match(text, at)) is not None:
            letters.append((j.group(1), j.start(1)))
            at = j.end()
        for letter, start in letters:
            i = _letter_index(letter, n)
            if i is not None:
                labelled.append(-1 - i if _denied_at(text, start) else i)
    return labelled


def _rival_letters(rest: str, n: int, picked: int) -> list[int]:
    """Options other than `picked` that the explanation `rest` offers as answers (tier 2)."""
    out: list[int] = []
    for piece in re.split(r"(?<=[.!?])\s+|\n+", rest):
        whole = _WHOLE_RE.match(strip_edges(piece))
        if whole and whole.group(1).isupper() and (i := _letter_index(whole.group(1), n)) not in (None, picked):
            out.append(i)  # "B. C." or "B\nC": a bare letter on its own
    for m in re.finditer(r"(?<![\w'’\-./])([A-H])(?![\w'’\-/])", rest):
        i = _letter_index(m.group(1), n)
        if i is None or i == picked or _denied_at(rest, m.start()):
            continue
        if m.group(1) == "A" and _is_article(rest[m.end():]):
            continue  # "A red circle is ..."
        if _RIVAL_BEFORE_RE.search(rest[max(0, m.start() - 30):m.start()]) or _RIVAL_AFTER_RE.match(rest[m.end():]):
            out.append(i)
    return out


def _leading_pick(text: str, n: int) -> ParseResult | None:
    """A letter leading the reply on its own line or sentence (tier 2), unless its explanation
    offers another option; None when the reply does not start so."""
    m = _LEAD_PICK_RE.match(text)
    if m is None or (i := _letter_index(m.group(1), n)) is None:
        return None
    if m.group(1).islower() and m.end() < len(text.rstrip()):
        return None  # "a. the ..." or "b\n..." is no capital label
    rivals = _rival_letters(text[m.end():], n, i)
    if rivals:
        return _decide([i, *rivals], "(the explanation offers another)")
    return ParseResult(value=None, choice_index=i)


def _offers_another(text: str, choices: Sequence[str], norm_choices: list[str], syn: Mapping[str, str],
                    picked: int) -> ParseResult | None:
    """A failure when `text` offers another option than `picked`: "Option B (or possibly C)"."""
    for words, clause in offered_alternatives(text):
        other = _in_text(clause, choices, norm_choices, syn)
        if other is not None and (not other.ok or other.choice_index != picked):
            return ParseResult.fail(f"the reply offers another option besides {OPTION_LETTERS[picked]} ({words!r})")
    found = last_correction(text)  # "C. Wait, actually D." picked C (the letter leading the reply)
    if found is not None:
        later = _in_text(found[2], choices, norm_choices, syn)
        if later is not None and later.ok and later.choice_index is not None and later.choice_index != picked:
            return ParseResult.fail(f"the reply changes its answer from {OPTION_LETTERS[picked]} ({found[1]!r})")
    return None


def _by_text(text: str, norm_choices: list[str], syn: Mapping[str, str]) -> ParseResult | None:
    norm = normalize_phrase(strip_edges(text), prepared=syn)
    exact = [i for i, c in enumerate(norm_choices) if c and c == norm]
    if exact:
        return ParseResult(value=None, choice_index=exact[0])
    hits = find_phrases(norm, norm_choices)
    return _decide([i for i, c in enumerate(norm_choices) if c in hits], "by their text")


def _lists_every_option(text: str, norm_choices: list[str], syn: Mapping[str, str]) -> bool:
    """Whether `text` repeats every option, each label with its own text ("A. no\nB. yes"): a
    list of two options picks neither, though three labels are needed to call a list so."""
    labels = list(_INLINE_LABEL_RE.finditer(text))
    listed: set[int] = set()
    for m, nxt in zip(labels, [*labels[1:], None]):
        said = text[m.end():nxt.start() if nxt is not None else len(text)].split("\n")[0]
        i = _letter_index(m.group(1), len(norm_choices))
        if i is not None and normalize_phrase(strip_edges(said), prepared=syn) == norm_choices[i]:
            listed.add(i)
    return len(norm_choices) > 1 and len(listed) == len(norm_choices)


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
    if (m := _NO_PICK_RE.search(text)) is not None and not any(
            normalize_phrase(m.group(0), prepared=syn) in c for c in norm_choices):
        return ParseResult.fail(f"the reply picks no single option ({m.group(0)!r})")
    pair = _LETTER_PAIR_RE.match(strip_edges(text))
    if pair and pair.group(1).upper() != pair.group(2).upper():  # "C or d" was read as C
        return ParseResult.fail(f"the reply names several options ({pair.group(0)!r})")
    # "It is not A. It is not C." denies letters, it does not list the options
    if len({m.group(1) for m in _INLINE_LABEL_RE.finditer(text) if not _denied_at(text, m.start())}) > 2 \
            or _lists_every_option(text, norm_choices, syn):
        return ParseResult.fail("the reply repeats the list of options instead of picking one")
    decided = _leading_pick(text, n)
    if decided is not None and not decided.ok:
        return decided
    if decided is None:
        decided = _said(_labelled_letters(text, n), "by letter")
    if decided is None:
        decided = _said(_bare_letters(text, n), "by letter")
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


def _corrected(reply: Reply, choices: Sequence[str], norm_choices: list[str], syn: Mapping[str, str],
               marked: ParseResult) -> ParseResult:
    """`marked`, or a failure when the reply corrects it after marking it ("(A)... actually C")."""
    found = correction_after_focus(reply)
    if found is None:
        return marked
    later = _in_text(unicodedata.normalize("NFKC", found[1]), choices, norm_choices, syn)
    if later is not None and (not later.ok or later.choice_index != marked.choice_index):
        return ParseResult.fail(f"the reply changes its answer after marking it, or offers another ({found[0]!r})")
    return marked


def parse_choice(reply: Reply, choices: Sequence[str], syn: Mapping[str, str]) -> ParseResult:
    """The option a reply picks: `choice_index` set and `value` the option's text."""
    if not choices:
        raise ValueError("multiple choice needs a non-empty list of choices")
    if len(choices) > len(OPTION_LETTERS):
        raise ValueError(f"at most {len(OPTION_LETTERS)} choices are supported, got {len(choices)}")
    norm_choices = [normalize_phrase(str(c), prepared=syn) for c in choices]
    for text in ([reply.focus] if reply.focus else []) + [reply.body]:
        result = _in_text(unicodedata.normalize("NFKC", text), choices, norm_choices, syn)
        if result is not None and result.ok and text is reply.focus:
            result = _corrected(reply, choices, norm_choices, syn, result)
        elif result is not None and result.ok and result.choice_index is not None:
            result = _offers_another(unicodedata.normalize("NFKC", text), choices, norm_choices, syn,
                                     result.choice_index) or result
        if result is not None:
            if result.ok and result.choice_index is not None:
                return ParseResult(value=choices[result.choice_index], choice_index=result.choice_index)
            return result
    return ParseResult.fail("no option letter or option text found in the reply")
