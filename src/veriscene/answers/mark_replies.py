"""Replies to questions about points drawn on the image as labelled marks (`veriscene.scene.marks`:
"Which point is farther from the camera: A or B?"), read before their labels are read as option
letters (`match.score_sample`).

A label named after "than" (or "compared to", "unlike", "rather than", "instead of") is what the
answer is compared with, not the answer: "A is farther than B." and "Point A is farther from the
camera than point B." pick A, as `image_refs` reads "Image 1 has more stars than Image 3.". Read
as letters alone they named two options, and scored 0, though they are the plainest way to answer.
The compared label is taken out (said "the other one") only where the comparison agrees with the
question: a reply that compares the other way round ("B is closer than A" to "which is farther?")
or denies ("A is not farther than B") is left as it is, naming two options (unread, as before):
reading it would take the reply's meaning, not its words.
"""

from __future__ import annotations

import re

# a label compared with: "than B", "than point B", "compared to (B)"
_COMPARED = re.compile(
    r"(?P<lead>\b(?:than|compared\s+(?:to|with)|unlike|rather\s+than|instead\s+of)\s+(?:the\s+)?)"
    r"(?P<label>(?:(?i:point|mark|label)\s+)?[\(\[]?[A-H][\)\]]?)(?![\w'’-])")
_NEAR = re.compile(r"\b(?:closer|nearer)\b", re.IGNORECASE)
_FAR = re.compile(r"\b(?:farther|further|more\s+distant)\b", re.IGNORECASE)
_DENIED = re.compile(r"\b(?:not|never|no|nor|neither)\b|n't\b", re.IGNORECASE)
_CLAUSE_START = re.compile(r"[.;!?\n]")


def _direction(text: str) -> str | None:
    """"near" or "far": the comparison `text` makes, when it makes one of them alone."""
    near, far = _NEAR.search(text) is not None, _FAR.search(text) is not None
    return "near" if near and not far else "far" if far and not near else None


def without_compared_labels(reply: str, question: str | None) -> str:
    """`reply` with each label it compares the answer with said "the other one" (module notes),
    where its clause neither denies nor compares the other way round from `question`."""
    asked = _direction(question or "")

    def replace(m: re.Match[str]) -> str:
        start = max((c.end() for c in _CLAUSE_START.finditer(reply, 0, m.start())), default=0)
        clause = reply[start:m.start()]
        said = _direction(clause)
        if _DENIED.search(clause) or (asked is not None and said is not None and said != asked):
            return m.group(0)
        return f"{m.group('lead')}the other one"

    return _COMPARED.sub(replace, reply)
