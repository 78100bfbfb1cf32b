"""Ways models wrap a short answer; `{x}` is the answer text. Shared by the table tests."""

from __future__ import annotations

WRAPPERS: tuple[str, ...] = (
    "{x}",
    "{x}.",
    "  {x}  \n",
    "{x}!",
    "**{x}**",
    "Answer: {x}",
    "answer: {x}.",
    "The answer is {x}.",
    "The answer is: {x}",
    "Final answer: {x}",
    "**Answer:** {x}",
    "My answer is {x}.",
    "<answer>{x}</answer>",
    "<answer> {x} </answer>",
    "<ANSWER>{x}</ANSWER>",
    "<think>Let me look. Maybe no, maybe yes, maybe 7 or 8.</think><answer>{x}</answer>",
    "<think>Long reasoning, 42 objects, no idea yet... yes?</think>\n{x}",
    "counting 17, 18... wait. </think> {x}",
    "<think>unterminated 5 yes no <answer>{x}</answer>",
    "\\boxed{{{x}}}",
    "The final answer is $\\boxed{{{x}}}$.",
)

# A smaller set for the slower or more combinatorial tables.
CORE_WRAPPERS: tuple[str, ...] = (
    "{x}", "{x}.", "**{x}**", "Answer: {x}", "The answer is {x}.", "<answer>{x}</answer>",
    "<think>maybe 3, maybe no</think><answer>{x}</answer>", "\\boxed{{{x}}}",
)


def wrap(x: str, wrappers: tuple[str, ...] = WRAPPERS) -> list[str]:
    return [w.format(x=x) for w in wrappers]
