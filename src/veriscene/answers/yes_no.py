"""Reading yes/no answers (`parse.parse_answer` for `bool`): yes/no/true/false/correct/incorrect
words, hedges ("I think yes"), negated statements ("There is no dog" -> False) and the clause
after "It is true that"; uncertainty and contradictions fail.

With the question, a clause restating it word for word ("Is the star smaller than the circle?":
"The star is smaller than the circle." yes, "... is not smaller ..." no; `restated`) is an
answer too, and a yes/no word it contradicts fails ("No, the star is smaller than the circle."),
also when the word is the marked answer and the clause comes after it ("The answer is no. The
star is smaller than the circle.", `against_statement`).
"""

from __future__ import annotations

import re

from veriscene.answers.normalize import fold, normalize_phrase
from veriscene.answers.result import ParseResult

UNCERTAIN_RE = re.compile(
    r"\b(?:not\s+(?:(?:entirely|completely|totally|quite|fully|really|very|too|so|100%)\s+)?(?:sure|certain|confident|"
    r"positive)|not\s+(?:clear|possible\s+to\s+(?:tell|say|determine|know))|unsure|uncertain|"
    r"maybe|possibly|perhaps|unclear|unknown|unanswerable|(?:can\s*not|can't|cant|unable\s+to|impossible\s+to|hard\s+to|"
    r"difficult\s+to|no\s+way\s+to)\s+(?:tell|say|determine|know|be\s+determined|answer)|"
    r"(?:don't|do\s+not|dont)\s+know|it\s+depends|not\s+enough\s+information|insufficient|"
    r"yes\s+or\s+no|either|"
    # both answers at once: "Both yes and no." was read as no, "Neither yes nor no." too
    r"both\s+(?:yes\s+and\s+no|no\s+and\s+yes)|neither\s+(?:yes\s+nor\s+no|no\s+nor\s+yes))\b", re.IGNORECASE)
# Not knowing and refusing are no "no": "No idea", "I cannot see the image", "No image was
# provided", "Sorry, I cannot help with that" were read as the word "no" or a denial, and scored
# on every "no", every count of 0 and every option "no" (`parse.parse_answer` checks this for
# every answer type). A denial about the scene stays one ("I cannot see any cup" is no).
_PICTURE = r"(?:image|picture|photo|photograph|attachment)s?"
NOT_KNOWING_RE = re.compile(
    r"\b(?:no\s+(?:idea|clue|way\s+of\s+(?:telling|knowing))|(?:nobody|no\s+one)\s+knows|"
    r"(?:can\s*not|can't|cant|unable\s+to|not\s+able\s+to|do\s+not|don't|dont)\s+(?:see|view|access|open|load|"
    r"process|analy[sz]e)\s+(?:the|an|any|this|that|your|these|those)?\s*" + _PICTURE + r"|"
    r"no\s+" + _PICTURE + r"\s+(?:(?:was|were|is|are|has\s+been|have\s+been)\s+)?(?:provided|attached|given|"
    r"uploaded|included|shared|available)|"
    r"(?:can\s*not|can't|cant|unable\s+to|not\s+able\s+to|won't|will\s+not)\s+(?:help|assist|answer|comply)|"
    r"(?:can\s*not|can't|cant|unable\s+to|not\s+able\s+to|impossible\s+to|no\s+way\s+to)\s+(?:tell|say|determine|"
    r"know|be\s+determined)|i\s+refuse|no\s+(?:answer|comment)|not\s+applicable|"
    r"no\s+(?:information|info|data)\s+(?:(?:is|was)\s+)?(?:available|provided|given))\b", re.IGNORECASE)
_YES = frozenset({"yes", "yeah", "yep", "yup", "yea", "true", "correct", "affirmative", "indeed"})
_NO = frozenset({"no", "nope", "nah", "false", "incorrect", "negative"})
_FLIPPABLE = frozenset({"true", "correct", "false", "incorrect"})
_BOOL_WORD_RE = re.compile(r"\b(" + "|".join(sorted(_YES | _NO)) + r")\b", re.IGNORECASE)
_HEDGE_BEFORE_RE = re.compile(
    r"(?:^|[.!?;:,(\n\"'*]|\b(?:i\s+think|i\s+believe|i\s+guess|i'd\s+say|i\s+would\s+say|probably|"
    r"likely|definitely|certainly|absolutely|surely|clearly|answer\s+is|answer|so|then|well|oh|"
    r"actually|hmm|that's|that\s+is|it's|it\s+is|seems|looks))\s*$", re.IGNORECASE)
# (the patterns read around a yes/no word, at its position in the reply: `_read_words`)
# a yes/no word ends a clause at punctuation, and at markup closing round it ("no or yes]",
# "no or yes<br>", "no or `yes`" were read as no: "yes" followed by "]", "<" or "`" was skipped)
_CLAUSE_END_RE = re.compile(r"\s*(?:$|[.!?;:,)\n\"'*\]}<>|])")
_EMPHASIS_RE = re.compile(r"[*_~`]")
_NOT_BEFORE_RE = re.compile(r"(?:\bnot|n't)\s*$")
_NEGATION_RE = re.compile(
    r"\b(?:no|not|none|nothing|nobody|never|neither|nor|without|cannot)\b|n't\b|\bnt\b", re.IGNORECASE)
_EXISTENTIAL_RE = re.compile(r"^\W*(?:there\s+(?:is|are|was|were)|there's|there're)\b", re.IGNORECASE)
# "no" as a determiner, not an answer: "No other shapes are brown.", "No more circles."
_DETERMINER_NO_RE = re.compile(r"\s+(?:other|others|more|further|additional|such|single|extra)\b", re.IGNORECASE)
# "true that ..." / "correct that ...": the statement the yes/no word is about, to its sentence end
_THAT_CLAUSE_RE = re.compile(r"\s+that\s+([^.!?;\n]*)", re.IGNORECASE)
_SO_RE = re.compile(r"\b(?:(don't|do\s+not)\s+)?(?:think|believe|guess|suppose)\s+so\b", re.IGNORECASE)


# Words a statement and its question share without meaning: auxiliaries, "there", yes/no.
_FILLER = frozenset({"is", "are", "was", "were", "be", "do", "does", "did", "there", "it", "yes", "no", "yeah",
                     "nope"})
_NEGATORS = frozenset({"not", "no", "never", "none", "isnt", "arent", "wasnt", "werent", "doesnt", "dont", "didnt",
                       "cannot", "cant", "hasnt", "havent"})
_CLAUSE_SPLIT_RE = re.compile(r"[.!;:,\n]+")
_ASKING_RE = re.compile(r"^\s*(?:would\s+you\s+say|can\s+you\s+tell\s+me|is\s+it\s+true)\s+(?:that\s+|whether\s+)?",
                        re.IGNORECASE)


def _content(clause: str) -> tuple[tuple[str, ...], int]:
    """(the clause's words without fillers and negations, the number of negations)."""
    words = normalize_phrase(clause).split()
    negations = sum(w in _NEGATORS for w in words)
    return tuple(w for w in words if w not in _FILLER and w not in _NEGATORS), negations


def restated(text: str, question: str | None) -> set[bool]:
    """The answers that clauses of `text` give by restating the yes/no `question` word for word
    (fillers aside): True for the question's statement, False for it negated; empty when no
    clause restates it. A clause asking it again ("Is there a dog?") restates nothing."""
    if not question or "?" not in question:
        return set()
    asked = _ASKING_RE.sub("", _CLAUSE_SPLIT_RE.split(question.split("?")[0])[-1])
    words, negations = _content(asked)
    if len(words) < 2:
        return set()
    out: set[bool] = set()
    for sentence in re.split(r"(?<=[.!?;\n])", text):
        if sentence.strip().endswith("?"):
            continue
        for clause in _CLAUSE_SPLIT_RE.split(sentence):
            said, said_negations = _content(clause)
            if said == words:
                out.add(said_negations % 2 == negations % 2)
    return out


def read_bool(text: str, question: str | None = None) -> ParseResult | None:
    """yes/no in `text` (a marked answer or the whole reply): a yes/no word, or a negated or
    existential statement ("There is no dog" -> False), or a clause restating the `question`
    (`restated`); None when it holds none; a failure when it is uncertain, negates its yes/no
    word ("not yes"), says both, or restates the question against its yes/no word."""
    found = _read_words(text)
    said = restated(text, question)
    if len(said) > 1:
        return ParseResult.fail("the reply states both the question's statement and its negation")
    if found is None or not said:
        return ParseResult(value=said.pop()) if found is None and said else found
    if found.ok and found.value not in said:
        return ParseResult.fail(f"the reply says {'yes' if found.value else 'no'} but states the opposite")
    return found


def _read_words(text: str) -> ParseResult | None:
    """`read_bool` without the question."""
    text = _EMPHASIS_RE.sub(" ", fold(text))  # "**yes**", "__yes__", "~~yes~~", "`yes`"
    if not text.strip():
        return None
    if (m := UNCERTAIN_RE.search(text)) is not None:
        return ParseResult.fail(f"the reply is uncertain ({m.group(0)!r})")
    polarities: set[bool] = set()
    for m in _SO_RE.finditer(text):
        polarities.add(m.group(1) is None)
    for m in _BOOL_WORD_RE.finditer(text):
        word = m.group(1).lower()
        # What comes before the word is read in a window ending at it: the hedges and "not"
        # that end there are short (their whitespace aside), and searching the whole text
        # before each word made a long reply of many yes/no words quadratic (seconds).
        start, end = m.start(), m.end()
        lo = _window_start(text, start)
        if not (_CLAUSE_END_RE.match(text, end) or _HEDGE_BEFORE_RE.search(text, lo, start)):
            continue  # "no" as a determiner ("has no collar"), "correct" as an adjective
        if word == "no" and _DETERMINER_NO_RE.match(text, end):
            continue  # "No other shapes are brown.": a determiner starting a sentence
        positive = word in _YES
        if _NOT_BEFORE_RE.search(text, lo, start):
            if word not in _FLIPPABLE:
                return ParseResult.fail(f"the reply negates its yes/no word ('not {word}')")
            positive = not positive  # "not correct", "isn't true"
        if word in _FLIPPABLE and (clause := _THAT_CLAUSE_RE.match(text, end)) is not None:
            # "It is true that there is no brown circle": the clause is the statement
            if _NEGATION_RE.search(clause.group(1)):
                positive = not positive
        polarities.add(positive)
    if len(polarities) > 1:
        return ParseResult.fail("the reply says both yes and no")
    if polarities:
        return ParseResult(value=polarities.pop())
    if _NEGATION_RE.search(text):
        return ParseResult(value=False)
    if _EXISTENTIAL_RE.search(text):
        return ParseResult(value=True)
    return None


_BEFORE_WINDOW = 64  # characters before a yes/no word (and its whitespace) that can hedge it


def _window_start(text: str, start: int) -> int:
    """Where the window of text read before a yes/no word at `start` begins: `_BEFORE_WINDOW`
    characters before the whitespace that precedes the word."""
    j = start
    while j > 0 and text[j - 1].isspace():
        j -= 1
    return max(0, j - _BEFORE_WINDOW)


def against_statement(said: ParseResult, body: str | None, question: str | None) -> ParseResult:
    """`said` (a marked answer read), or a failure when a clause of the reply's `body` restating
    the `question` contradicts it ("The answer is no. There is a brown circle in the image.");
    `body` None: nothing was marked, `read_bool` read the whole reply already."""
    if not said.ok or body is None:
        return said
    stated = restated(body, question)
    if stated and said.value not in stated:
        return ParseResult.fail(f"the reply says {'yes' if said.value else 'no'} but states the opposite")
    return said
