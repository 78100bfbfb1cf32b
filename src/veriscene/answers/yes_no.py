"""Reading yes/no answers (`parse.parse_answer` for `bool`): yes/no/true/false/correct/incorrect
words, hedges ("I think yes"), negated statements ("There is no dog" -> False) and the clause
after "It is true that"; uncertainty and contradictions fail."""

from __future__ import annotations

import re

from veriscene.answers.normalize import fold
from veriscene.answers.result import ParseResult

UNCERTAIN_RE = re.compile(
    r"\b(?:not\s+(?:sure|certain|clear|possible\s+to\s+(?:tell|say|determine|know))|unsure|uncertain|"
    r"maybe|unclear|unknown|unanswerable|(?:can\s*not|can't|cant|unable\s+to|impossible\s+to|hard\s+to|"
    r"difficult\s+to|no\s+way\s+to)\s+(?:tell|say|determine|know|be\s+determined|answer)|"
    r"(?:don't|do\s+not|dont)\s+know|it\s+depends|not\s+enough\s+information|insufficient|"
    r"yes\s+or\s+no|either)\b", re.IGNORECASE)
_YES = frozenset({"yes", "yeah", "yep", "yup", "yea", "true", "correct", "affirmative", "indeed"})
_NO = frozenset({"no", "nope", "nah", "false", "incorrect", "negative"})
_FLIPPABLE = frozenset({"true", "correct", "false", "incorrect"})
_BOOL_WORD_RE = re.compile(r"\b(" + "|".join(sorted(_YES | _NO)) + r")\b", re.IGNORECASE)
_HEDGE_BEFORE_RE = re.compile(
    r"(?:^|[.!?;:,(\n\"'*]|\b(?:i\s+think|i\s+believe|i\s+guess|i'd\s+say|i\s+would\s+say|probably|"
    r"likely|definitely|certainly|absolutely|surely|clearly|answer\s+is|answer|so|then|well|oh|"
    r"actually|hmm|that's|that\s+is|it's|it\s+is|seems|looks))\s*$", re.IGNORECASE)
_CLAUSE_END_RE = re.compile(r"^\s*(?:$|[.!?;:,)\n\"'*])")
_NEGATION_RE = re.compile(
    r"\b(?:no|not|none|nothing|nobody|never|neither|nor|without|cannot)\b|n't\b|\bnt\b", re.IGNORECASE)
_EXISTENTIAL_RE = re.compile(r"^\W*(?:there\s+(?:is|are|was|were)|there's|there're)\b", re.IGNORECASE)
# "no" as a determiner, not an answer: "No other shapes are brown.", "No more circles."
_DETERMINER_NO_RE = re.compile(r"^\s+(?:other|others|more|further|additional|such|single|extra)\b", re.IGNORECASE)
# "true that ..." / "correct that ...": the statement the yes/no word is about, to its sentence end
_THAT_CLAUSE_RE = re.compile(r"^\s+that\s+([^.!?;\n]*)", re.IGNORECASE)
_SO_RE = re.compile(r"\b(?:(don't|do\s+not)\s+)?(?:think|believe|guess|suppose)\s+so\b", re.IGNORECASE)


def read_bool(text: str) -> ParseResult | None:
    """yes/no in `text` (a marked answer or the whole reply): a yes/no word, or a negated or
    existential statement ("There is no dog" -> False); None when it holds none; a failure when
    it is uncertain, negates its yes/no word ("not yes") or says both."""
    text = fold(text).replace("*", " ")
    if not text.strip():
        return None
    if (m := UNCERTAIN_RE.search(text)) is not None:
        return ParseResult.fail(f"the reply is uncertain ({m.group(0)!r})")
    polarities: set[bool] = set()
    for m in _SO_RE.finditer(text):
        polarities.add(m.group(1) is None)
    for m in _BOOL_WORD_RE.finditer(text):
        word = m.group(1).lower()
        before, after = text[:m.start()], text[m.end():]
        if not (_HEDGE_BEFORE_RE.search(before) or _CLAUSE_END_RE.match(after)):
            continue  # "no" as a determiner ("has no collar"), "correct" as an adjective
        if word == "no" and _DETERMINER_NO_RE.match(after):
            continue  # "No other shapes are brown.": a determiner starting a sentence
        positive = word in _YES
        if re.search(r"(?:\bnot|n't)\s*$", before):
            if word not in _FLIPPABLE:
                return ParseResult.fail(f"the reply negates its yes/no word ('not {word}')")
            positive = not positive  # "not correct", "isn't true"
        if word in _FLIPPABLE and (clause := _THAT_CLAUSE_RE.match(after)) is not None:
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
