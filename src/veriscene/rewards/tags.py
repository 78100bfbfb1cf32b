"""The reasoning format ``<think>...</think><answer>...</answer>`` and its strict check.

A completion is well formed when, after stripping surrounding whitespace, it is exactly

    <think> non-empty reasoning </think>  <answer> non-empty answer </answer>

with whitespace allowed between the two blocks, each tag appearing exactly once, and no tag of
either kind nested inside a block. Tag names are configurable (``think_tag="reasoning"``,
``answer_tag="final"``). With ``require_think=False`` the think block may be absent (the chat
template opened it in the prompt, or the task does not ask for reasoning); a completion that
starts with the reasoning and a lone ``</think>`` is then accepted too.

Two answer blocks, a think block after the answer, text outside the blocks or empty blocks all
fail, so that the format reward cannot be collected by repeating tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FormatCheck:
    """ok: the completion is well formed; reason: why not (None when ok); think / answer: the
    contents of the two blocks when ok (think is "" when absent and not required)."""

    ok: bool
    reason: str | None = None
    think: str = ""
    answer: str = ""


def _count(tag: str, text: str) -> tuple[int, int]:
    opens = len(re.findall(rf"<\s*{re.escape(tag)}\s*>", text, flags=re.IGNORECASE))
    closes = len(re.findall(rf"<\s*/\s*{re.escape(tag)}\s*>", text, flags=re.IGNORECASE))
    return opens, closes


def check_tag_names(think_tag: Any, answer_tag: Any, require_think: Any = True) -> None:
    """TypeError for a tag name that is no text or a `require_think` that is no flag ("no" is
    true), ValueError for an empty name or the same name twice."""
    for name, tag in (("think_tag", think_tag), ("answer_tag", answer_tag)):
        if not isinstance(tag, str):
            raise TypeError(f"{name} must be a tag name (a str, e.g. {name.split('_')[0]!r}), got {tag!r}")
    if not isinstance(require_think, bool):
        raise TypeError(f"require_think must be True or False, got {require_think!r}")
    if not think_tag or not answer_tag or think_tag.lower() == answer_tag.lower():
        raise ValueError(f"think_tag and answer_tag must be two different names, got {think_tag!r}, {answer_tag!r}")


def check_format(text: str, *, think_tag: str = "think", answer_tag: str = "answer",
                 require_think: bool = True) -> FormatCheck:
    """Check the reasoning format of one completion text (see the module docstring)."""
    check_tag_names(think_tag, answer_tag, require_think)  # a bad tag is never hidden by a bad completion
    if not isinstance(text, str):
        return FormatCheck(False, f"completion is not text ({type(text).__name__})")
    t_open, t_close = _count(think_tag, text)
    a_open, a_close = _count(answer_tag, text)
    if (a_open, a_close) != (1, 1):
        return FormatCheck(False, f"expected one <{answer_tag}>...</{answer_tag}> block, found "
                                  f"{a_open} opening and {a_close} closing tags")
    if require_think and (t_open, t_close) != (1, 1):
        return FormatCheck(False, f"expected one <{think_tag}>...</{think_tag}> block, found "
                                  f"{t_open} opening and {t_close} closing tags")
    if t_open > 1 or t_close > 1 or t_open > t_close:
        return FormatCheck(False, f"malformed <{think_tag}> block ({t_open} opening, {t_close} closing tags)")
    t, a = re.escape(think_tag), re.escape(answer_tag)
    if t_open == 1:
        think_part = rf"<\s*{t}\s*>(?P<think>.*?)<\s*/\s*{t}\s*>"
    elif t_close == 1:
        think_part = rf"(?P<think>.*?)<\s*/\s*{t}\s*>"  # opened by the prompt
    else:
        think_part = r"(?P<think>)"
    pattern = rf"\s*{think_part}\s*<\s*{a}\s*>(?P<answer>.*?)<\s*/\s*{a}\s*>\s*"
    m = re.fullmatch(pattern, text, flags=re.IGNORECASE | re.DOTALL)
    if m is None:
        return FormatCheck(False, f"text outside the <{think_tag}> and <{answer_tag}> blocks, or the blocks "
                                  "are out of order")
    think, answer = m.group("think").strip(), m.group("answer").strip()
    if (t_open or t_close) and not think:
        return FormatCheck(False, f"empty <{think_tag}> block")
    if not answer:
        return FormatCheck(False, f"empty <{answer_tag}> block")
    return FormatCheck(True, None, think, answer)


def think_text(text: str, think_tag: str = "think") -> str:
    """The reasoning of a completion: the content of its first think block (or everything before
    a lone closing tag); "" when there is none. Used by process checks."""
    if not isinstance(text, str):
        return ""
    t = re.escape(think_tag)
    m = re.search(rf"<\s*{t}\s*>(.*?)(?:<\s*/\s*{t}\s*>|$)", text, flags=re.IGNORECASE | re.DOTALL)
    if m:
        return m.group(1)
    m = re.search(rf"^(.*?)<\s*/\s*{t}\s*>", text, flags=re.IGNORECASE | re.DOTALL)
    return m.group(1) if m else ""
