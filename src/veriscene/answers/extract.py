"""Pre-processing of raw model replies: reasoning blocks, answer tags and answer markers.

`read_reply` turns a raw reply into a `Reply`:

    body   the reply without reasoning blocks (``<think>...</think>``, an unterminated
           ``<think>`` up to the end or to an answer tag, everything before a lone
           ``</think>``) and, when an answer tag is present, only the content of the last
           ``<answer>...</answer>`` (an unterminated ``<answer>`` runs to the end)
    focus  the explicit final answer inside the body, when the model marked one, in priority
           order: the last LaTeX ``\\boxed{...}``, the text after the last "answer is" /
           "Answer:" / "Final answer:" marker, or the only **bold** span; trimmed to its
           sentence and cut before "because", "since", ... ; None when nothing is marked

Parsers read `focus` first and fall back to `body` when the focus holds no candidate value.
Tag names are configurable (e.g. ``answer_tags=("answer", "final")``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_THINK_TAGS = ("think", "thinking")
DEFAULT_ANSWER_TAGS = ("answer",)

_MARKER_RE = re.compile(
    r"(?:\b(?:final|correct|right|short|my|best)\s+)?\banswers?\s*(?:is|would be|will be|should be|:|=|-)\s*:?"
    r"|\b(?:final\s+)?(?:answer|result|output|response|solution)\s*:",
    re.IGNORECASE)
# Where a marked answer's explanation starts.
_CUT_RE = re.compile(
    r"\s+(?:because|since|as it|as there|as the|given that|due to|which|so that|but|although|"
    r"though|while|whereas|considering)\b|\s+-\s+|;|\n",
    re.IGNORECASE)
# End of sentence: . ! ? followed by space or end; not a decimal point, nor an option label
# "B." followed by the option's lowercase text ("B. blue square").
_SENTENCE_END_RE = re.compile(r"(?<!\b[A-Ha-h])[.!?](?=\s|$)|(?<=\b[A-Ha-h])[.!?](?=\s+[A-Z0-9(\[]|\s*$)")
_LIST_END_RE = re.compile(r"[.!?]\s+(?=[A-Z])|[.!?]\s*$|\n\s*\n")
_BOLD_RE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    raw: str
    body: str
    focus: str | None
    list_focus: str | None = None  # the marked answer trimmed for lists: not cut at ";" or lines

    @property
    def text(self) -> str:
        """The focus when the model marked an answer, else the whole body."""
        return self.focus if self.focus is not None else self.body


def _tag_re(tag: str, closing: bool) -> str:
    return rf"<\s*{'/' if closing else ''}\s*{re.escape(tag)}\s*>"


def strip_reasoning(text: str, think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
                    answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> str:
    """Remove reasoning blocks: closed, unterminated, and ones whose opening tag was in the prompt."""
    answer_open = "|".join(_tag_re(t, False) for t in answer_tags) or r"(?!)"
    for tag in think_tags:
        open_re, close_re = _tag_re(tag, False), _tag_re(tag, True)
        text = re.sub(rf"{open_re}.*?{close_re}", " ", text, flags=re.IGNORECASE | re.DOTALL)
        # Lone closing tag: the opening one was part of the prompt (R1 / Qwen3 chat templates).
        closes = list(re.finditer(close_re, text, flags=re.IGNORECASE))
        if closes:
            text = text[closes[-1].end():]
        # Unterminated block: drop up to an answer tag, or to the end.
        m = re.search(open_re, text, flags=re.IGNORECASE)
        if m:
            rest = text[m.end():]
            a = re.search(answer_open, rest, flags=re.IGNORECASE)
            text = text[:m.start()] + (rest[a.start():] if a else "")
    return text


def answer_tag_content(text: str, answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> str | None:
    """Content of the last answer tag (an unterminated one runs to the end), or None."""
    best: tuple[int, str] | None = None
    for tag in answer_tags:
        open_re, close_re = _tag_re(tag, False), _tag_re(tag, True)
        for m in re.finditer(rf"{open_re}(.*?)(?:{close_re}|$)", text, flags=re.IGNORECASE | re.DOTALL):
            if best is None or m.start() > best[0]:
                best = (m.start(), m.group(1))
    return None if best is None else best[1]


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` / ``\\fbox{...}`` (balanced braces), ``\\text{}`` unwrapped."""
    starts = [m.end() for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text)]
    if not starts:
        return None
    i, depth = starts[-1], 1
    j = i
    while j < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        j += 1
    content = text[i:j - 1] if depth == 0 else text[i:]
    content = re.sub(r"\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}", r"\1", content)
    return content.replace("\\,", "").replace("\\%", "%").strip()


def trim_marked(text: str, for_list: bool = False) -> str:
    """A marked answer up to the end of its sentence and before its explanation. For lists
    (`for_list`) only a new capitalised sentence or a blank line ends it ("cat; dog\n- cow")."""
    text = text.strip().lstrip(":").strip()
    m = (_LIST_END_RE if for_list else _SENTENCE_END_RE).search(text)
    if m and m.start() > 0:
        text = text[:m.start()]
    m = None if for_list else _CUT_RE.search(text)
    if m and m.start() > 0:
        text = text[:m.start()]
    return text.strip().strip("*_`\"' ").strip()


def _marked_answer(body: str, for_list: bool = False) -> str | None:
    boxed = last_boxed(body)
    if boxed is not None:
        return boxed
    unbold = body.replace("**", "").replace("__", "")
    markers = list(_MARKER_RE.finditer(unbold))
    if markers:
        after = trim_marked(unbold[markers[-1].end():], for_list)
        if after:
            return after
    bold = [b for b in (m.group(1) or m.group(2) for m in _BOLD_RE.finditer(body))
            if b.strip() and not b.strip().endswith(":")]
    if len({b.strip().lower() for b in bold}) == 1:
        return trim_marked(bold[0], for_list)
    return None


def read_reply(reply: str, *, think_tags: Sequence[str] = DEFAULT_THINK_TAGS,
               answer_tags: Sequence[str] = DEFAULT_ANSWER_TAGS) -> Reply:
    """Split a raw reply into its body and the explicitly marked answer (see module docstring)."""
    if not isinstance(reply, str):
        raise TypeError(f"reply must be a string, got {type(reply).__name__}")
    body = strip_reasoning(reply, think_tags, answer_tags)
    tagged = answer_tag_content(body, answer_tags)
    if tagged is not None:
        body = tagged
    body = body.strip()
    focus = _marked_answer(body)
    list_focus = _marked_answer(body, for_list=True)
    return Reply(raw=reply, body=body, focus=focus or None, list_focus=list_focus or None)


# A self-correction after the marked answer: "The answer is yes... actually no".
_CORRECTION_RE = re.compile(
    r"\b(?:actually|wait|sorry|correction|i\s+mean|or\s+rather|rather|on\s+second\s+thought|scratch\s+that|"
    r"hmm+|no,?\s+wait)\b", re.IGNORECASE)


def correction_after_focus(reply: Reply) -> tuple[str, str] | None:
    """(the correcting words, the text after them) when the body goes on after the marked
    answer with a self-correction ("The answer is 3... actually 4"), else None."""
    if reply.focus is None:
        return None
    at = reply.body.rfind(reply.focus)
    tail = reply.body[at + len(reply.focus):] if at >= 0 else ""
    m = _CORRECTION_RE.search(tail)
    return None if m is None else (tail[m.start():][:60].strip(), tail[m.end():])


def strip_edges(text: str) -> str:
    """Remove surrounding quotes, markdown and trailing punctuation: '"**Red.**"' -> 'Red'."""
    text = text.replace("**", "").replace("__", "").strip()
    return re.sub(r"^[\s\"'`*_>#\-:]+|[\s\"'`*_.!?,;:]+$", "", text)
