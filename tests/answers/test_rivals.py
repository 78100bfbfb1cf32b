"""The data set's words as rivals of a `str` gold answer, question words, comparisons,
relation spellings, set partial credit and two yes/no misreadings (audit of 651 replies)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.answers import match_answer, normalize_phrase, parse_answer, score_sample
from veriscene.answers.match import set_score
from veriscene.answers.rivals import NAME, RELATION, Rivals, as_rivals, load_rivals, run_rivals

ANIMALS = ["cat", "dog", "horse", "bird", "sheep", "cow"]
PREDICATES = ["on", "under", "holding", "wearing", "sitting on", "next to", "holds", "has"]
VOCAB = {"names": {w: 1 for w in [*ANIMALS, "sofa", "man", "hat", "table", "cup"]},
         "predicates": {p: 1 for p in PREDICATES},
         "attributes": {"red": 3, "fluffy": 1, "teal": 2}, "scenes": 3}


def _str(answer: str, question: str = "") -> dict:
    return {"id": "s", "question": question, "answer": answer, "answer_type": "str", "choices": None,
            "meta": {"mode": "qa"}, "images": [{"id": "a"}]}


@pytest.fixture()
def vocab_file(tmp_path: Path) -> Path:
    path = tmp_path / "vocabulary.json"
    path.write_bytes(orjson.dumps(VOCAB))
    return path


# --- 1. rivals from vocabulary.json --------------------------------------------------------

def test_rivals_kinds_from_the_vocabulary() -> None:
    kinds = dict(Rivals.from_vocabulary(VOCAB).words)
    assert kinds["dog"] == NAME and kinds["holding"] == RELATION
    assert kinds["red"] == "color" and kinds["fluffy"] == "attribute"  # untyped: vocab.attribute_type


def test_load_rivals_reads_once_and_finds_the_run_folder(vocab_file: Path) -> None:
    first = load_rivals(vocab_file)
    assert load_rivals(vocab_file) is first and load_rivals(vocab_file.parent) is first
    assert as_rivals(str(vocab_file)) is first and run_rivals(vocab_file.parent / "samples.jsonl") is first
    assert run_rivals(vocab_file.parent / "sub" / "samples.jsonl") is None
    assert run_rivals(vocab_file.parent) is first  # the run folder itself
    with pytest.raises(FileNotFoundError, match="no vocabulary file"):
        load_rivals(vocab_file.parent / "missing.json")
    bad = vocab_file.parent / "bad.json"
    bad.write_bytes(b"[1, 2]")
    with pytest.raises(ValueError, match="bad.json"):
        load_rivals(bad)


HACKS = [
    ("There is a cat. There is a dog. There is a horse. There is a bird.", ["cat", "dog", "horse", "bird"]),
    ("It might be a cat. It might be a dog. It might be a horse.", ["cat", "dog", "horse"]),
    ("It is on it. It is under it. It is holding it. It is wearing it. It is sitting on it.",
     ["on", "under", "holding", "wearing", "sitting on"]),
]


@pytest.mark.parametrize(("reply", "golds"), HACKS)
def test_a_reply_naming_several_data_set_words_earns_nothing(reply: str, golds: list[str], vocab_file: Path) -> None:
    for rivals in (vocab_file, VOCAB, load_rivals(vocab_file)):
        scores = [score_sample(reply, _str(g), rivals=rivals).score for g in golds]
        assert scores == [0.0] * len(golds)


@pytest.mark.parametrize(("reply", "gold", "question"), [
    ("There is a dog on the sofa.", "dog", "What animal is on the sofa?"),
    ("A fluffy dog.", "dog", "What animal is this?"),
    ("The cat is wearing a hat.", "wearing", "What is the relation between the cat and the hat?"),
    ("The car is teal.", "teal", "What color is the car?"),
])
def test_one_data_set_word_is_still_read(reply: str, gold: str, question: str, vocab_file: Path) -> None:
    assert score_sample(reply, _str(gold, question), rivals=vocab_file).score == 1.0


# --- 2. words of the question do not compete -----------------------------------------------

ECHOES = [
    ("The circle to the left of the red square is blue.", "blue", "What color is the circle to the left of the red square?"),
    ("The circle below the small circle is large.", "large", "What is the size of the circle below the small circle?"),
    ("The star is near the triangle.", "star", "Which object is near the triangle?"),
    ("A yellow star, located near the triangle.", "star", "Which object is near the triangle?"),
]


@pytest.mark.parametrize(("reply", "gold", "question"), ECHOES)
def test_restating_the_question_keeps_a_right_answer(reply: str, gold: str, question: str) -> None:
    res = score_sample(reply, _str(gold, question))
    assert res.score == 1.0 and normalize_phrase(res.parsed) == normalize_phrase(gold)


@pytest.mark.parametrize(("reply", "gold", "question"), ECHOES)
def test_repeating_question_words_earns_nothing(reply: str, gold: str, question: str) -> None:
    """Question words are never the gold under the rule, so echoing them scores 0."""
    for echo in (question, question.rstrip("?") + ".", "red square", "triangle"):
        assert score_sample(echo, _str(gold, question)).score == 0.0


def test_when_the_gold_is_in_the_question_every_candidate_competes(vocab_file: Path) -> None:
    question = "Is the animal on the sofa a cat or a dog?"
    assert score_sample("It is a dog.", _str("dog", question), rivals=vocab_file).score == 1.0
    res = score_sample("There is a cat. There is a dog.", _str("dog", question), rivals=vocab_file)
    assert res.score == 0.0 and res.parse_failed


# --- 4. a word after "than" is what the answer is compared with ------------------------------

@pytest.mark.parametrize(("reply", "gold", "score"), [
    ("It's bigger than the small circle.", "small", 0.0),
    ("It is darker than the red square.", "red", 0.0),
    ("Large, bigger than the small circle.", "large", 1.0),
    ("Large (compared to the small circle above it).", "large", 1.0),
    ("It is blue, darker than the red square.", "blue", 1.0),
])
def test_a_word_after_than_is_not_the_answer(reply: str, gold: str, score: float) -> None:
    assert score_sample(reply, _str(gold, "What is it?")).score == score


# --- 5. relation spellings and synonyms ---------------------------------------------------

@pytest.mark.parametrize(("reply", "gold"), [
    ("holding", "holds"), ("The man is holding it.", "holds"), ("holds", "holding"), ("hold", "holding"),
    ("with", "has"), ("The man with the hat.", "has"), ("has", "with"),
    ("beneath", "below"), ("underneath", "below"), ("under the square", "below"),
    ("The hexagon is underneath the square.", "below"), ("It is next to the cup.", "near"),
    ("sits on", "sitting on"), ("The cat sits on the sofa.", "sitting on"),
])
def test_relation_spellings_read_as_the_gold(reply: str, gold: str, vocab_file: Path) -> None:
    assert match_answer(reply, gold, "str").score == 1.0
    assert match_answer(reply, gold, "str", rivals=vocab_file).score == 1.0


@pytest.mark.parametrize(("reply", "gold"), [
    ("He is holding it. He is wearing it.", "holds"), ("above", "below"), ("holding", "wearing"),
    ("dogging", "dog"),
])
def test_other_relations_are_not_the_gold(reply: str, gold: str, vocab_file: Path) -> None:
    assert match_answer(reply, gold, "str", rivals=vocab_file).score == 0.0


# --- 3. set partial credit ----------------------------------------------------------------

SHAPES = ["circle", "square", "triangle", "star", "hexagon", "diamond"]


@pytest.mark.parametrize(("said", "gold", "score"), [
    (SHAPES, ["circle", "square", "triangle"], 0.0),  # every candidate: no credit
    (SHAPES, ["circle", "square"], 0.0),
    (["circle", "square", "triangle", "star"], ["circle", "square"], 0.0),  # two extra
    (["circle"], ["circle", "square", "triangle"], 1 / 3),  # two missing
    (["circle"], ["circle", "square"], 0.5),  # one missing
    (["circle", "square"], ["circle", "square", "triangle"], 2 / 3),
    (["circle", "square", "star"], ["circle", "square"], 0.5),  # one extra
    (["circle", "square", "triangle", "star", "hexagon"], ["circle", "square", "triangle", "star"], 3 / 4),
    (["circle", "square", "star"], ["circle", "square", "triangle"], 1 / 3),  # one swapped
    (["circle", "square"], ["circle"], 0.0),  # a hedge between two for one answer
    (["square"], ["circle"], 0.0), (["circle"], [], 0.0), ([], [], 1.0), (["b", "a"], ["a", "b"], 1.0),
])
def test_set_score_right_items_earn_and_wrong_items_cost(said: list[str], gold: list[str], score: float) -> None:
    assert set_score(said, gold) == pytest.approx(score)


def test_listing_every_candidate_scores_no_more_than_one_guess() -> None:
    golds = [["circle"], ["circle", "square"], ["square", "star"], ["circle", "square", "triangle"],
             ["star", "hexagon", "diamond", "circle"]]
    every = sum(match_answer(", ".join(SHAPES), g, "str_set").score for g in golds)
    guess = sum(match_answer("circle", g, "str_set").score for g in golds)
    # each shape wrong costs what a right one earns: the six shapes earn only against the gold of
    # four ((4 - 2) / 4), the guess "circle" 1 + 1/2 + 1/3 + 1/4
    assert every == pytest.approx(0.5) and guess == pytest.approx(1 + 1 / 2 + 1 / 3 + 1 / 4)


# --- 6. yes/no --------------------------------------------------------------------------

@pytest.mark.parametrize(("reply", "value"), [
    ("Yes.\n\nExplanation: There is a brown circle. No other shapes are brown.", True),
    ("Yes, there is. No other circles are brown.", True),
    ("It is true that there is no brown circle.", False),
    ("It is true that there is a brown circle.", True),
    ("It is false that there is no brown circle.", True),
    ("No, there is no brown circle.", False),
    ("No. There is no brown circle.", False),
])
def test_yes_no_readings(reply: str, value: bool) -> None:
    res = parse_answer(reply, "bool")
    assert res.ok and res.value is value
