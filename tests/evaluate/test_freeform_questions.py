"""Questions inside a free-form reply assert nothing (`claims.RuleExtractor`): "Is that a dog?"
states no dog, "What could that be — a cat?" no cat; and a reply asking where it would be wrong
earns no more than one leaving it out (below the gold: benchmarks/reward_gaming.py measures it)."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor, score_texts
from veriscene.scene.model import Scene


def _extract(text: str) -> set[str]:
    lex = Lexicon()
    lex.add(names=["circle", "square", "cup", "table", "dog", "cat", "car", "bed"], predicates=("on",))
    return {c.text for c in RuleExtractor(lex).extract(text)}


@pytest.mark.parametrize(("text", "claims"), [
    ("Is that a dog?", set()),
    ("What could that be \u2014 a cat?", set()),
    ("There is a cup on the table. Is that a dog?", {"cup", "table", "cup on table"}),
    ("Is that a dog? There is a cat on the bed.", {"cat", "bed", "cat on bed"}),
    ("Is there a red car?There is a cat.", {"cat"}),  # (no space after the question mark)
    ("There is a cup; is it on the table?", {"cup"}),
    ("Will the cup be red?", set()),
    ("**Is that a dog?** A cat is on the bed.", {"cat", "bed", "cat on bed"}),
    # a question in parentheses: the parenthesis alone
    ("There is a dog (a cat?) on the bed.", {"dog", "bed", "dog on bed"}),
    # not questions
    ("There is a dog. Is it? Yes: a dog on the bed.", {"dog", "bed", "dog on bed"}),
])
def test_questions_assert_nothing(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize(("text", "without"), [
    # a quoted name or sign text holding "?", the sentence going on: the rest of the sentence claims
    ('There is a dog on the bed next to a sign saying "Why?" and a red car.',
     "There is a dog on the bed next to a sign saying and a red car."),
    ("A sign reading \u201cOpen?\u201d hangs above the table, near a cat.",
     "A sign reading hangs above the table, near a cat."),
    ('A sign reading "Is there a cat?", and a dog on the bed.', "A sign reading, and a dog on the bed."),
    # a question between dashes: the aside alone
    ("There is a dog on the bed - is it red? - and a red car.", "There is a dog on the bed and a red car."),
    ("There is a dog on the bed \u2014 a cat? \u2014 and a red car.", "There is a dog on the bed and a red car."),
    # a sentence ending in a quoted question, the next one starting: a question, as before
    ('He asks "is that a cat?" There is a dog.', "There is a dog."),
    # a fullwidth question mark ends a question too
    ("Is that a cat\uff1f There is a dog.", "There is a dog."),
])
def test_a_question_inside_a_sentence_drops_only_the_question(text: str, without: str) -> None:
    lex = Lexicon()
    lex.add(names=["sign", "table", "dog", "cat", "car", "bed"], attributes=["red"], predicates=("on",))
    extractor = RuleExtractor(lex)
    claims = {c.text for c in extractor.extract(text)}
    assert claims and claims == {c.text for c in extractor.extract(without)}


@pytest.mark.parametrize(("text", "claims"), [
    # a tag question asks the reader to agree with what the sentence says: said, with a hedge
    ("There is a dog on the bed, isn't there?", {"maybe dog", "bed", "maybe dog on bed"}),
    ("The cup is on the table, right?", {"cup", "table", "maybe cup on table"}),
    ("There is a cat, isn't there? There is a dog.", {"maybe cat", "dog"}),
    # a question with a comma is no tag: nothing said
    ("Is that a dog, or a cat?", set()),
])
def test_a_tag_question_says_its_sentence_hedged(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


def _scene() -> Scene:
    return Scene.from_objects("s", 400, 300, [
        {"name": "dog", "box": [10, 10, 100, 100], "attributes": ["brown"]},
        {"name": "bed", "box": [150, 100, 390, 290], "attributes": ["white"]},
    ])


def test_asking_scores_as_leaving_out_never_above_the_gold() -> None:
    gold = "There is a brown dog. There is a white bed."
    replies = [gold, "There is a brown dog. Is there a cat?", "There is a brown dog.",
               "There is a brown dog. There is a cat.", "Is there a brown dog? Is there a white bed?"]
    scores, _, _ = score_texts([("s", r) for r in replies], {"s": _scene()}, matcher="lexical")
    gold_score, asked, left_out, said, only_questions = scores
    assert asked.combined == left_out.combined < gold_score.combined
    assert asked.hallucinations == [] and said.hallucinations == ["cat"]
    assert only_questions.combined == 0.0 and only_questions.claims == []
