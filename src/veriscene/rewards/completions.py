"""The text a reward reads from a completion: a string, bytes, or chat messages.

TRL hands reward functions strings (standard data sets) or message lists (conversational ones),
verl a decoded string, the environment whatever the policy acted with. `completion_text` turns
each into the one text `veriscene.answers` reads, and never raises on garbage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _content_text(content: Any) -> str:
    """Text of a message `content`: a string, or a list of parts {"type": "text", "text": ...}."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or "")
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and part.get("type", "text") == "text":
                parts.append(str(part.get("text") or ""))
        return "".join(parts)
    return str(content)


# Message keys where chat parsers put the reasoning they cut out of `content`: TRL's
# `parse_response` (transformers >= 5 with a response template, e.g. Qwen3) writes "reasoning_content"
# (LFM2 "thinking"); OpenAI-compatible servers write "reasoning_content" or "reasoning".
REASONING_KEYS = ("reasoning_content", "thinking", "reasoning")


def _message_text(message: Mapping[str, Any], think_tag: str) -> str:
    """A message's content, with the reasoning a chat parser split off put back in front as a
    think block, so the format check and process rewards see the completion the model wrote."""
    content = _content_text(message.get("content"))
    for key in REASONING_KEYS:
        reasoning = message.get(key)
        if isinstance(reasoning, str) and reasoning.strip():
            return f"<{think_tag}>{reasoning}</{think_tag}>{content}"
    return content


def completion_text(completion: Any, think_tag: str = "think") -> str:
    """The text a reward reads from one completion.

    A plain string is used as is, bytes are decoded as UTF-8. A conversational completion (a list of messages
    {"role", "content"}) gives the content of its last assistant message (the final answer
    after any tool turns); content may be a string or a list of typed parts. Reasoning a chat
    parser moved out of the content (`REASONING_KEYS`: TRL's `parse_response` on Qwen3-style
    templates) is put back in front as ``<think_tag>...</think_tag>``. Anything else
    (None, numbers) becomes "" or its string form, so garbage never raises.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, (bytes, bytearray)):
        return bytes(completion).decode("utf-8", errors="replace")
    if isinstance(completion, Mapping):
        return _message_text(completion, think_tag)
    if isinstance(completion, Sequence):
        messages = [m for m in completion if isinstance(m, Mapping)]
        if not messages:
            return "".join(str(m) for m in completion if isinstance(m, str))
        assistant = [m for m in messages if m.get("role", "assistant") == "assistant"]
        return _message_text((assistant or messages)[-1], think_tag)
    return "" if completion is None else str(completion)


def check_completions(completions: Any) -> None:
    """TypeError unless `completions` is a batch, one entry per completion (a list, or a numpy
    array of them): a single string or None is the caller's mistake, said here rather than as
    "object of type 'NoneType' has no len()" or rewards for each letter of one string."""
    if isinstance(completions, (str, bytes)):
        raise TypeError("completions must be a list (one entry per completion), got a single string")
    if not isinstance(completions, Sequence) and not (hasattr(completions, "__len__") and hasattr(completions, "dtype")):
        raise TypeError(f"completions must be a list (one entry per completion: a str or chat messages), "
                        f"got {type(completions).__name__}")
