"""A number after "the" with a word that picks some of the objects counts nothing (helper-185):
"the two smaller teddy bears" of three says no "2 x teddy bear"; "the two circles" still counts."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor


def _counts(text: str) -> set[str]:
    lex = Lexicon()
    lex.add(names=["circle", "star", "teddy bear"])
    return {c.text for c in RuleExtractor(lex).extract(text) if c.kind == "count"}


@pytest.mark.parametrize(("text", "counts"), [
    ("Behind the two smaller teddy bears is a larger one.", set()),
    ("The two largest stars are red.", set()),
    ("The three left circles are small.", set()),
    ("The two circles are red.", {"2 x circle"}),
    ("There are two small circles.", {"2 x small circle"}),
    ("Two smaller circles sit at the top.", {"2 x circle"}),  # no "the": a count
])
def test_counts(text: str, counts: set[str]) -> None:
    assert _counts(text) == counts
