"""Hedged and undecided claims (helper-185): "there might be a cup" is a hedged claim ("maybe
cup"), "I can't tell whether there is a car" states nothing, and an absence said with "n't" ("I
don't see any dogs") is an absence, not a dog."""

from __future__ import annotations

import pytest

from veriscene.evaluate.freeform import Lexicon, RuleExtractor, score_texts
from veriscene.evaluate.freeform.hedges import hedging
from veriscene.scene.model import Scene


def _extract(text: str) -> set[str]:
    lex = Lexicon()
    lex.add(names=["circle", "square", "cup", "table", "dog", "cat", "car", "man", "hat", "bed"], predicates=("on",))
    return {c.text for c in RuleExtractor(lex).extract(text)}


@pytest.mark.parametrize(("text", "claims"), [
    # a modal hedges its clause, the indefinite mentions before it too; not a definite one
    ("There might be a cup on the table.", {"maybe cup", "table", "maybe cup on table"}),
    ("A cup may be on the table, and a dog is near the bed.",
     {"maybe cup", "table", "maybe cup on table", "dog", "bed", "dog near bed"}),
    ("The man appears to be wearing a red hat.", {"man", "maybe hat", "maybe hat is red"}),
    ("It looks like a cat.", {"maybe cat"}),
    ("I think there is a dog.", {"maybe dog"}),
    # an adverb hedges what follows it in its clause
    ("Possibly a dog.", {"maybe dog"}),
    ("A circle, possibly next to a square.", {"circle", "maybe square", "maybe circle near square"}),
    ("A dog and probably a cat.", {"dog", "maybe cat"}),
    ("There might be no dog.", {"maybe no dog"}),
    # a whole sentence said to be unsure
    ("There is a cat on the bed, though it is hard to tell.", {"maybe cat", "bed", "maybe cat on bed"}),
    # how replies open, and how a thing looks: no hedge
    ("The image appears to show a red circle.", {"circle", "circle is red"}),
    ("The circle looks red.", {"circle", "circle is red"}),
    # said plainly elsewhere: plain
    ("There might be a dog. There is a dog.", {"dog"}),
    # a relation is hedged where its predicate is, its objects named definitely or not
    ("The cup might be on the table.", {"cup", "table", "maybe cup on table"}),
    ("The cup is possibly on the table.", {"cup", "table", "maybe cup on table"}),
    ("Maybe the cup is on the table.", {"cup", "table", "maybe cup on table"}),
    ("I believe the cup is on the table.", {"cup", "table", "maybe cup on table"}),
    ("It is possible that the cup is on the table.", {"cup", "table", "maybe cup on table"}),
    ("It is possible that a red cup is there.", {"maybe cup", "maybe cup is red"}),
    # a hedge after what it hedges: a clause of hedge words, an adverb ending its clause
    ("The cup is on the table, I think.", {"cup", "table", "maybe cup on table"}),
    ("The cup is on the table, or so it seems.", {"cup", "table", "maybe cup on table"}),
    ("The cup is on the table (probably).", {"cup", "table", "maybe cup on table"}),
    ("There is a dog, if I'm not mistaken.", {"maybe dog"}),
    ("There is a dog, and a cat.", {"dog", "cat"}),
    # attributes said with a hedged verb
    ("The cup might be red.", {"cup", "maybe cup is red"}),
    ("The cup is probably red and maybe small.", {"cup", "maybe cup is red", "maybe cup is small"}),
    ("The cup is red.", {"cup", "cup is red"}),
])
def test_hedged_claims(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize(("text", "claims"), [
    ("I can't tell whether there is a car.", set()),
    ("I'm not sure whether there are three cups.", set()),
    ("I can't tell if the dog is on the bed.", set()),
    ("There is a cat, but it is unclear whether a dog is there.", {"cat"}),
])
def test_undecided_claims_state_nothing(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize(("text", "claims"), [
    ("There isn't a dog.", {"no dog"}),
    ("I don't see any cats.", {"no cat"}),
    ("There are not any cats or dogs.", {"no cat"}),
    ("The picture doesn't contain a car.", {"no car"}),
    # not an absence
    ("The square is not next to the circle.", {"square"}),
    ("The cat isn't sleeping on the bed.", {"cat"}),
    ("There isn't a red car.", set()),
    ("It isn't a square, it is a circle.", {"circle"}),  # what a thing is
    ("The dog doesn't have a cat.", {"dog"}),  # whose it is
])
def test_absences_said_with_not(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize(("text", "claims"), [
    # typographic apostrophes, as chat models write them, read as ASCII ones
    ("There isn\u2019t a dog.", {"no dog"}),
    ("I don\u2019t see any cats.", {"no cat"}),
    ("I can\u2019t tell whether there is a car.", set()),
    ("There is a dog, I\u2019d say.", {"maybe dog"}),
    ("There is a dog, if I\u2019m not mistaken.", {"maybe dog"}),
])
def test_typographic_apostrophes(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize("text", [
    # a clause of hedge words that denies what the sentence says: it says nothing, surely not X
    "There is a dog, I think not.",
    "The cup is on the table, probably not.",
    "There is a cat on the bed, I guess not.",
    "There is a dog, or maybe not.",
    "There is a dog, I don't think so.",
])
def test_a_denying_tail_states_nothing(text: str) -> None:
    assert _extract(text) == set()


def test_hedging_marks_clauses() -> None:
    tokens = ["a", "cup", "might", "be", "here", ",", "possibly", "a", "dog"]
    hedge, undecided = hedging(tokens)
    assert hedge == [1, 1, 2, 2, 2, 2, 2, 2, 2]  # (the modal reaches over the comma: no verb after it)
    tokens = ["a", "cup", "might", "be", "here", ",", "and", "a", "dog", "is", "there"]
    assert hedging(tokens)[0] == [1, 1, 2, 2, 2, 0, 0, 0, 0, 0, 0]  # (a verb on both sides: a clause of its own)
    assert undecided == [False] * 9


def _scene() -> Scene:
    return Scene.from_objects("s", 400, 300, [
        {"name": "dog", "box": [10, 10, 100, 100], "attributes": ["brown"]},
        {"name": "bed", "box": [150, 100, 390, 290], "attributes": ["white"]},
    ])


def _score(text: str):  # type: ignore[no-untyped-def]
    (score,), _, _ = score_texts([("s", text)], {"s": _scene()}, matcher="lexical")
    return score


def test_undecided_existence_is_no_hallucination() -> None:
    assert _score("I can't tell whether there is a cat.").hallucinations == []
    assert _score("I don't see any cats.").hallucinations == []  # "no cat": true
    assert _score("I don't see any dogs.").hallucinations == ["no dog"]


def test_a_hedged_falsehood_costs_what_a_plain_one_does() -> None:
    # bed (true) and cat (false): the hedge excuses nothing (0.31.0 counted the cat a half: 1 / 1.5)
    assert _score("There is a bed. There might be a cat.").truthfulness == pytest.approx(0.5)
    assert _score("There is a bed. There is a cat.").truthfulness == pytest.approx(0.5)
    assert _score("There is a bed. There might be a cat.").hallucinations == ["maybe cat"]
    assert _score("There might be a bed.").truthfulness == 1.0  # a true claim hedged is no less true
    # a true claim hedged states half its tuple: 4 tuples (dog, bed, brown dog, white bed)
    assert _score("There might be a bed.").helpfulness == pytest.approx(0.5 / 4)
    assert _score("There is a bed.").helpfulness == pytest.approx(1 / 4)
    assert _score("There might be a bed, and there is a bed.").helpfulness == pytest.approx(1 / 4)


def _tuple_scene() -> Scene:
    return Scene.from_objects("s", 400, 300, [
        {"name": "dog", "box": [10, 10, 100, 100], "attributes": ["brown"]},
        {"name": "bed", "box": [150, 100, 390, 290], "attributes": ["white"]},
        {"name": "cat", "box": [160, 110, 200, 150], "attributes": ["black"]},
    ], relations=[(2, "on", 1)])


@pytest.mark.parametrize("claim", [
    "the cat is on the bed", "the dog is on the bed",  # a true relation, a false one
    "the cat is black", "the cat is white",  # a true attribute, a false one
    "there is a cat", "there is a horse",
])
@pytest.mark.parametrize("hedge", [
    "{} .", "maybe {}.", "{}, I think.", "{} (probably).", "it is possible that {}.",
])
def test_a_hedge_never_scores_more_than_saying_it(claim: str, hedge: str) -> None:
    """Beside true context, a hedged claim earns no more than the claim said plainly, true or false."""
    context = "There is a brown dog. There is a white bed. "
    (plain, hedged), _, _ = score_texts([("s", context + claim + "."), ("s", context + hedge.format(claim))],
                                        {"s": _tuple_scene()}, matcher="lexical")
    assert hedged.combined <= plain.combined + 1e-12
    assert hedged.truthfulness == plain.truthfulness
    if hedge != "{} .":
        assert any(c["text"].startswith("maybe ") for c in hedged.claims)


@pytest.mark.parametrize(("text", "claims"), [
    # "be" says attributes after a modal or "to": "will be red", "might also be red", "appears to be red"
    ("The cup will be red.", {"cup", "cup is red"}),
    ("The cup might also be red.", {"cup", "maybe cup is red"}),
    ("The cup appears to be small and red.", {"cup", "maybe cup is red", "maybe cup is small"}),
    # not elsewhere: a question (which states nothing at all), a wish, a quotation state nothing of the cup
    ("Will the cup be red?", set()),
    ("Let the cup be red.", {"cup"}),
    ('The cup is labelled "be red".', {"cup"}),
])
def test_be_says_attributes_after_a_modal(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize(("text", "claims"), [
    # a hedge reaches over the commas of a list and of a parenthesis, to its clause's end
    ("Maybe there is a dog, a cat and a bird.", {"maybe dog", "maybe cat", "maybe bird"}),
    ("There might be a dog, a cat and a bird.", {"maybe dog", "maybe cat", "maybe bird"}),
    ("I think there's a dog and, further back, a cat.", {"maybe dog", "maybe cat"}),
    ("I can't tell whether there is a dog, a cat or a car.", set()),
    # not past a comma opening a clause of its own (a verb on both sides), nor past "but"
    ("Maybe there is a dog, and a cat is on the bed.", {"maybe dog", "cat", "bed", "cat on bed"}),
    ("There might be a dog, but there is a cat.", {"maybe dog", "cat"}),
    # an adverb opening an item of a list hedges that item
    ("There is a dog, maybe a cat, and a bird.", {"dog", "maybe cat", "bird"}),
    ("There is a dog, a cat, and possibly a bird.", {"dog", "cat", "maybe bird"}),
    # a relative clause's modal hedges the relative clause alone
    ("A dog, which might be on the bed, and a cat.", {"dog", "bed", "maybe dog on bed", "cat"}),
    # ... said without commas too ("a dog that might be sleeping"): the modal is no noun ("might")
    ("There is a dog on the bed that might be sleeping.", {"dog", "bed", "dog on bed"}),
    ("There is a dog that could be on the bed.", {"dog", "bed", "maybe dog on bed"}),
    ("There is a man who may be wearing a hat.", {"man", "maybe hat"}),
    ("I think that might be a cat.", {"maybe cat"}),
    # "I think" inside a clause hedges what follows it; ending it, the clause
    # (the cat a new thing said to be there, as without "I think": `test_freeform_existential_lists`)
    ("There is a dog on the bed and I think a cat.", {"dog", "bed", "dog on bed", "maybe cat"}),
    ("There is a dog and I believe there is a cat.", {"dog", "maybe cat"}),
    ("There is a dog on the bed I think.", {"maybe dog", "bed", "maybe dog on bed"}),
    # a modal after "and" (or "since", "because") opening a clause of its own, the words before it
    # holding a verb, hedges that clause alone, not an indefinite mention before it (helper-281:
    # "a dog is on the bed and it may be sleeping" hedged the dog)
    ("A dog is on the bed and it may be sleeping.", {"dog", "bed", "dog on bed"}),
    ("A dog is on the bed since it might be tired.", {"dog", "bed", "dog on bed"}),
    ("There is a dog and there may be a cat.", {"dog", "maybe cat"}),
    ("A dog is on the bed and a cat might be on the table.",
     {"dog", "bed", "dog on bed", "maybe cat", "table", "maybe cat on table"}),
    # no verb before "and": one clause, as before
    ("A dog and a cat might be there.", {"maybe dog", "maybe cat"}),
    ("There might be a dog and a cat.", {"maybe dog", "maybe cat"}),
])
def test_a_hedge_reaches_to_its_clause_end(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize("verb", ["covers", "supports", "occupies", "fills", "stood", "lay", "does", "did",
                                  "really", "almost", "partially"])
def test_the_word_after_a_relative_that_is_no_object(verb: str) -> None:
    # "a dog on the bed that covers the table": "that" relative, not "that cover" (a hallucination)
    claims = _extract(f"There is a dog on the bed that {verb} the table.")
    assert claims <= {"dog", "bed", "dog on bed", "table", "bed on table", "dog on table"} and {"dog", "table"} <= claims


@pytest.mark.parametrize("text", [
    # how chat VLMs hedge (each read as a hedge of the dog)
    "It appears there is a dog.",
    "It seems that there is a dog.",
    "There seems to be a dog.",
    "There is likely a dog.",
    "What looks like a dog.",
    "It's hard to tell, but there is a dog.",
    "It is hard to make out, but there is a dog.",
    "Possibly a dog.",
    "I can't be sure, but there is a dog.",
    "There is a dog, though I can't be certain.",
    "There is a dog, I'm not entirely sure.",
    "I cannot say for sure, but there is a dog.",
    "It's not clear, but there is a dog.",
    "It's possible there is a dog.",
    "There is a possible dog.",
    "There is something resembling a dog.",
    "If I had to guess, there is a dog.",
    "My guess is there is a dog.",
    "I'd guess there is a dog.",
    "As far as I can tell, there is a dog.",
    "There is a dog, as far as I can tell.",
    "Chances are there is a dog.",
    "I feel like there is a dog.",
    "There is what appears to be a dog.",
    "It would seem there is a dog.",
])
def test_hedges_chat_models_say(text: str) -> None:
    assert _extract(text) == {"maybe dog"}


@pytest.mark.parametrize(("text", "claims"), [
    # not hedges: confidence, how a thing looks, how replies open
    ("I'm fairly confident there is a dog.", {"dog"}),
    ("I am sure there is a dog.", {"dog"}),
    ("The image appears to show a dog.", {"dog"}),
    ("It is clear that there is a dog.", {"dog"}),
    ("The dog is easy to see.", {"dog"}),
])
def test_not_hedges(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims


@pytest.mark.parametrize("text", ["The water is not clear, and a dog is on the bed.",
                                  "A dog is on the bed and the window isn't clear."])
def test_clear_said_of_a_thing_hedges_nothing(text: str) -> None:
    # "clear" said of a thing (transparent, cloudless), not of what the reply knows
    claims = _extract(text)
    assert {"dog", "bed", "dog on bed"} <= claims and not any(c.startswith("maybe") for c in claims)


@pytest.mark.parametrize(("text", "claims"), [
    # "X-like" says a likeness, not an X
    ("There is a dog-like shape.", set()),
    ("A cat-like figure is on the bed.", {"bed"}),
    ("A bird-like dog.", {"dog"}),
])
def test_a_likeness_is_no_object(text: str, claims: set[str]) -> None:
    assert _extract(text) == claims
