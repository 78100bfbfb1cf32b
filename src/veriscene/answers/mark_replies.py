"""Replies to questions about points drawn on the image as labelled marks (`veriscene.scene.marks`:
"Which point is farther from the camera: A or B?"), read before their labels are read as option
letters (`match.score_sample`).

A label named after "than" (or "compared to", "unlike", "rather than", "instead of") is what the
answer is compared with, not the answer: "A is farther than B." and "Point A is farther from the
camera than point B." pick A, as `image_refs` reads "Image 1 has more stars than Image 3.". And a
label said not to be what the question asks is ruled out: "A is not closer, B is." and "A is not
closer than B." pick B, as "Not A, so B" does (`choice`). Read as letters alone such replies named
two options, and scored 0, though they are the plainest ways to answer. Each is taken only where
the reply says what the question asks (closer, nearer / farther, further / the same object / a
different object): a reply that compares or denies the other way round ("B is closer than A", "A
is not closer, B is" to "which is farther?") is left as it is, naming two options (unread, as
before): reading it would take the reply's meaning, not its words. Without the question (a
record that does not carry it) a reply is read as it is.
"""

from __future__ import annotations

import re

# a label compared with: "than B", "than point B", "compared to (B)"
_COMPARED = re.compile(
    r"(?P<lead>\b(?:than|compared\s+(?:to|with)|unlike|rather\s+than|instead\s+of)\s+(?:the\s+)?)"
    r"(?P<label>(?:(?i:point|mark|label)\s+)?[\(\[]?[A-H][\)\]]?)(?![\w'’-])")
# a label denied: "A is not", "point B isn't", "A does not"
_DENIED_LABEL = re.compile(
    r"(?<![\w'’-])(?P<label>(?:(?i:point|mark|label)\s+)?[\(\[]?[A-H][\)\]]?)"
    r"(?P<rest>\s+(?i:is\s+not|isn't|was\s+not|wasn't|does\s+not|doesn't|lies\s+not)\b)")
# what a question asks, and a reply says, of the labelled points
_PREDICATES = {
    "near": re.compile(r"\b(?:closer|nearer|closest|nearest)\b", re.IGNORECASE),
    "far": re.compile(r"\b(?:farther|further|farthest|furthest|more\s+distant)\b", re.IGNORECASE),
    "same": re.compile(r"\bsame\b", re.IGNORECASE),
    "different": re.compile(r"\b(?:different|another)\b", re.IGNORECASE),
}
_DENIED = re.compile(r"\b(?:not|never|no|nor|neither)\b|n't\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;!?\n,]")
OTHER = "the other one"  # what a label taken out is said as


def _predicate(text: str) -> str | None:
    """What `text` asks or says of a point (a `_PREDICATES` key), when it says one of them alone."""
    said = [key for key, pattern in _PREDICATES.items() if pattern.search(text)]
    return said[0] if len(said) == 1 else None


def _clause_before(reply: str, at: int) -> str:
    return reply[max((c.end() for c in _CLAUSE_END.finditer(reply, 0, at)), default=0):at]


def _clause_after(reply: str, at: int) -> str:
    end = _CLAUSE_END.search(reply, at)
    return reply[at:end.start() if end else len(reply)]


def without_compared_labels(reply: str, question: str | None) -> str:
    """`reply` with each label it compares the answer with, or says is not what `question`
    asks, said "the other one" (module notes)."""
    asked = _predicate(question or "")
    if asked is None:  # (no question, or one asking neither: the reply is read as it is)
        return reply

    def compared(m: re.Match[str]) -> str:
        clause = _clause_before(reply, m.start())
        said = _predicate(clause)
        if _DENIED.search(clause) or (said is not None and said != asked):
            return m.group(0)
        return f"{m.group('lead')}{OTHER}"

    def denied(m: re.Match[str]) -> str:
        if _predicate(_clause_after(reply, m.end())) != asked:
            return m.group(0)
        return f"{OTHER}{m.group('rest')}"

    reply = _COMPARED.sub(compared, reply)
    return _DENIED_LABEL.sub(denied, reply)
