"""Answer matching: one place that reads a model's raw reply as the sample's answer type and
scores it. Benchmarks and RL rewards both call it, so their scores can never disagree.

    >>> score_sample("<think>...</think><answer>Yes, there is.</answer>", record)
    MatchResult(score=1.0, correct=True, parse_failed=False, reason=None, parsed=True)

Modules: `extract` (think/answer tags, answer markers), `parse` (one reader per answer type),
`words` (words and lists), `choice` (option letters), `spatial` (boxes and points in replies),
`coords` (coordinate conventions shared with question rendering), `numbers`, `normalize`, `match`
(scores), `options` (checks of the scoring options, where they are given).
"""

from veriscene.answers.coords import (
    BOX_FORMATS,
    format_box,
    format_point,
    from_pixels,
    parse_box_format,
    to_pixels,
)
from veriscene.answers.extract import Reply, read_reply
from veriscene.answers.match import compare, match_answer, score_sample, set_f1
from veriscene.answers.normalize import DEFAULT_SYNONYMS, normalize_phrase
from veriscene.answers.parse import parse_answer
from veriscene.answers.result import NOT_SCORED_TYPES, SCORED_TYPES, MatchResult, ParseResult

__all__ = [
    "BOX_FORMATS",
    "DEFAULT_SYNONYMS",
    "NOT_SCORED_TYPES",
    "SCORED_TYPES",
    "MatchResult",
    "ParseResult",
    "Reply",
    "compare",
    "format_box",
    "format_point",
    "from_pixels",
    "match_answer",
    "normalize_phrase",
    "parse_answer",
    "parse_box_format",
    "read_reply",
    "score_sample",
    "set_f1",
    "to_pixels",
]
