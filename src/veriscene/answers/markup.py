"""Markup models wrap answers in, turned into plain text before the answer is looked for
(`extract.read_reply` applies `plain` to the reply's body):

    code fences      ```json ... ```                       the content, fence lines dropped
    JSON answers     {"answer": "green"}                  "Answer: green" (a list of words
                     {"reasoning": "...", "answer": [..]} joined by commas, of numbers kept in
                                                          brackets; true / false as yes / no;
                                                          "reasoning: ..." kept as a line)
    answer headings  ### Answer\\ngreen                    "Answer: green"
    Markdown tables  | Size | small |                    "Size: small" (the header row and the
                                                          separator row dropped, bold cells
                                                          unbolded: "| **Total** | **5** |")

A JSON object is read when its other keys explain the answer ("reasoning", "explanation",
"confidence", ...) or offer other answers ("alternative", "alternatives", "other_answers",
"candidates", ...): {"answer": false, "alternatives": [true]} reads "Answer: no" then "It might
also be yes.", so the answer it hedges fails as a hedge said in words does (the object was left
as written, and its yes/no read as the answer alone: 1.0 for a hedge). Objects with other keys
stay as written. Qwen2.5-VL's grounding JSON ([{"bbox_2d": ...}]) has no
answer key and is left to `spatial`.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE_RE = re.compile(r"^[ \t]*```[\w+.-]*[ \t]*$\n?", re.MULTILINE)
_ANSWER_KEYS = frozenset({"answer", "final_answer", "final answer", "finalanswer"})
# Keys that explain an answer rather than give another one.
_EXPLAINING_KEYS = frozenset({
    "reasoning", "reason", "explanation", "rationale", "thought", "thoughts", "thinking", "analysis",
    "confidence", "justification", "evidence", "observation", "observations", "description",
})
# Keys that offer other answers besides the answer: each value is read as "It might also be ...".
_OFFERING_KEYS = frozenset({
    "alternative", "alternatives", "alternative_answer", "alternative_answers", "other", "others",
    "other_answer", "other_answers", "or", "candidates", "possible_answers", "possibilities", "second_choice",
    "second_guess", "backup", "fallback", "also_possible", "maybe",
})
_FLAT_OBJECT_RE = re.compile(r"\{[^{}]*\}")
_HEADING_RE = re.compile(r"^[ \t]*(?:#{1,6}|\*\*)[ \t]*(?:final[ \t]+)?answer[ \t]*:?[ \t]*(?:\*\*)?[ \t]*\n\s*",
                         re.IGNORECASE | re.MULTILINE)
_ROW_RE = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$")
_SEPARATOR_RE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|)+(?:[ \t]*:?-{2,}:?[ \t]*)?[ \t]*$")


def _render(value: Any) -> str | None:
    """A JSON answer value as answer text, or None when it is no plain answer."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value:
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return json.dumps(value)  # a box or point: "[0.1, 0.2, 0.5, 0.6]"
        if all(isinstance(v, str) for v in value):
            return ", ".join(v.strip() for v in value)
    return None


def _json_answer(text: str) -> str | None:
    """A JSON object ({"answer": ...}) whose other keys only explain the answer, as lines:
    "Answer: ..." and "key: value" for the others; None for any other text."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    keys = {str(k).strip().lower(): k for k in data}
    answers = [keys[k] for k in keys if k in _ANSWER_KEYS]
    if len(answers) != 1 or any(k not in _ANSWER_KEYS | _EXPLAINING_KEYS | _OFFERING_KEYS for k in keys):
        return None
    said = _render(data[answers[0]])
    if said is None or "\n" in said:
        return None
    # the explanations stay, in their order, so that one offering another answer still counts
    # (blank lines apart: a list answer ends at its line)
    lines = []
    for k, v in data.items():
        if k == answers[0]:
            lines.append(f"Answer: {said}")
        elif str(k).strip().lower() in _OFFERING_KEYS:
            lines += [f"It might also be {other}." for other in _offered(v)]
        else:
            lines.append(f"{k}: {v}")
    return "\n\n".join(lines)


def _offered(value: Any) -> list[str]:
    """The answers a JSON value offering alternatives holds: one, or each of a list (a list of
    numbers is one box or point); "something else" when none reads as a plain answer."""
    if isinstance(value, list) and value and not _render(value) or (
            isinstance(value, list) and value and all(isinstance(v, (list, bool)) for v in value)):
        return [_render(v) or "something else" for v in value]
    if value is None or value == [] or value == "":
        return []
    return [_render(value) or "something else"]


def _json_answers(text: str) -> str:
    """`text` with each JSON answer object replaced by its lines ("Answer: ...")."""
    whole = _json_answer(text.strip())
    if whole is not None:
        return whole

    def swap(m: re.Match[str]) -> str:
        said = _json_answer(m.group(0))
        return m.group(0) if said is None else f"\n{said}\n"
    return _FLAT_OBJECT_RE.sub(swap, text)


def _tables(text: str) -> str:
    """`text` with Markdown tables as "cell: cell" lines, header and separator rows dropped."""
    lines = text.split("\n")
    if not any(_SEPARATOR_RE.match(line) for line in lines):
        return text
    out: list[str] = []
    for k, line in enumerate(lines):
        if _SEPARATOR_RE.match(line):
            if out and k > 0 and _ROW_RE.match(lines[k - 1]):
                out.pop()  # the header row
            continue
        row = _ROW_RE.match(line)
        if row is not None and any(_SEPARATOR_RE.match(other) for other in lines):
            cells = [c.strip().strip("*_").strip() for c in row.group(1).split("|")]
            out.append(": ".join(c for c in cells if c))
        else:
            out.append(line)
    return "\n".join(out)


def plain(text: str) -> str:
    """`text` without the markup listed in the module docstring."""
    if "```" in text:
        text = _FENCE_RE.sub("", text)
    if "{" in text:
        text = _json_answers(text)
    if "|" in text:
        text = _tables(text)
    return _HEADING_RE.sub("Answer: ", text)
