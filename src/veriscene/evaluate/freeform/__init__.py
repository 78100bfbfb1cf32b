"""Free-form answers (descriptions, open questions) scored PROVE-style against scene graphs:
helpfulness (share of the scene graph's tuples the reply states), truthfulness (share of the
reply's claims the scene graph supports), their F1 (combined: 0 for a reply stating nothing) and
the list of unsupported claims (hallucinations).

`score_freeform(responses, scenes)` scores a JSONL file of replies; see `api`.
"""

from veriscene.evaluate.freeform.api import (
    FreeformItem,
    FreeformReport,
    score_freeform,
    score_records,
    score_texts,
)
from veriscene.evaluate.freeform.claims import Claim, Lexicon, Mention, RuleExtractor
from veriscene.evaluate.freeform.embed import LexicalMatcher, MiniLMMatcher, make_matcher
from veriscene.evaluate.freeform.score import ReplyScore, SceneFacts, lexicon_from_scenes

__all__ = [
    "Claim", "FreeformItem", "FreeformReport", "LexicalMatcher", "Lexicon", "Mention", "MiniLMMatcher", "ReplyScore",
    "RuleExtractor", "SceneFacts", "lexicon_from_scenes", "make_matcher", "score_freeform", "score_records",
    "score_texts",
]
