"""TRL / verl rewards with the run's vocabulary, and ground truth that carries the question."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from veriscene.io.writers.records import ground_truth
from veriscene.rewards import WeightedReward, make_accuracy_reward
from veriscene.rewards.truth import GroundTruth
from veriscene.rewards.verl import compute_score

VOCAB = {"names": {"cat": 1, "dog": 1, "horse": 1, "sofa": 1}, "predicates": {"on": 1}, "attributes": {}}
HACK = "There is a cat. There is a dog. There is a horse."


def _sample(answer: str, question: str) -> dict:
    return {"id": "s", "task": "t", "images": [{"id": "a"}], "question": question, "answer": answer,
            "answer_type": "str", "choices": None, "meta": {"mode": "qa"}}


@pytest.fixture()
def vocab_file(tmp_path: Path) -> Path:
    path = tmp_path / "vocabulary.json"
    path.write_bytes(orjson.dumps(VOCAB))
    return path


def test_ground_truth_carries_the_question() -> None:
    truth = orjson.loads(ground_truth(_sample("dog", "What animal is on the sofa?")))
    assert truth["question"] == "What animal is on the sofa?"
    assert GroundTruth.from_json(ground_truth(_sample("dog", "Q?"))).record()["question"] == "Q?"


@pytest.mark.parametrize("gold", ["cat", "dog", "horse"])
def test_trl_reward_with_the_vocabulary_file(gold: str, vocab_file: Path) -> None:
    gt = [ground_truth(_sample(gold, "What animal is on the sofa?"))]
    reward = make_accuracy_reward(vocabulary_file=vocab_file)
    assert reward(prompts=["q"], completions=[HACK], ground_truth=gt) == [0.0]
    assert reward(prompts=["q"], completions=[f"There is a {gold} on the sofa."], ground_truth=gt) == [1.0]


@pytest.mark.parametrize("gold", ["cat", "dog", "horse"])
def test_verl_score_with_the_vocabulary_file(gold: str, vocab_file: Path) -> None:
    gt = ground_truth(_sample(gold, "What animal is on the sofa?"))
    assert compute_score("veriscene/t", HACK, gt, vocabulary_file=str(vocab_file))["score"] == 0.0
    assert compute_score("veriscene/t", f"A {gold} on the sofa.", gt, vocabulary_file=str(vocab_file))["score"] == 1.0


def test_old_ground_truth_takes_the_question_from_the_trl_prompt() -> None:
    """Ground truth written before it carried the question: the prompt's text stands for it."""
    old = orjson.dumps({"answer": "blue", "answer_type": "str", "choices": None, "mode": "qa"}).decode()
    reply = "The circle to the left of the red square is blue."
    prompt = [{"role": "user", "content": [{"type": "image"},
                                           {"type": "text", "text": "What color is the circle left of the red square?"}]}]
    reward = make_accuracy_reward()
    assert reward(prompts=[prompt], completions=[reply], ground_truth=[old]) == [1.0]
    assert compute_score("veriscene/t", reply, old)["score"] == 0.0  # verl has no prompt: read as before


def test_a_missing_vocabulary_file_says_where_one_comes_from(tmp_path: Path) -> None:
    missing = tmp_path / "train.vocabulary.json"
    with pytest.raises(FileNotFoundError, match=r"train\.vocabulary\.json.*vocabulary_file=.*veriscene export RUN"):
        make_accuracy_reward(vocabulary_file=missing)
    truth = orjson.dumps({"answer": "cat", "answer_type": "str"}).decode()
    with pytest.raises(FileNotFoundError, match=r"reward_kwargs\.vocabulary_file.*veriscene export RUN"):
        compute_score("veriscene/t", "cat", truth, None, vocabulary_file=str(missing))


def test_weighted_reward_takes_the_vocabulary_file(tmp_path: Path) -> None:
    """`WeightedReward(vocabulary_file=...)` scores its accuracy with the run's words, as
    `make_accuracy_reward(vocabulary_file=...)` does: before, WeightedReward() (the README's way to
    combine accuracy and format) had the plain accuracy_reward only, and a reply listing three
    of the data set's animals earned 1.1 for one of them."""
    path = tmp_path / "vocabulary.json"
    path.write_bytes(orjson.dumps({"names": {"okapi": 1, "tapir": 1, "capybara": 1}, "predicates": {},
                                   "attributes": {}}))
    gt = [ground_truth(_sample("okapi", "What animal is left of the tree?"))]
    hack = ["<think>x</think><answer>There is an okapi. There is a tapir. There is a capybara.</answer>"]
    right = ["<think>x</think><answer>an okapi</answer>"]
    assert WeightedReward()(completions=hack, ground_truth=gt) == [pytest.approx(1.1)]  # (built-in words only)
    weighted = WeightedReward(vocabulary_file=path)
    assert weighted(completions=hack, ground_truth=gt) == [pytest.approx(0.1)]
    assert weighted(completions=right, ground_truth=gt) == [pytest.approx(1.1)]
    with pytest.raises(ValueError, match="vocabulary_file or an 'accuracy' function"):
        WeightedReward(functions={"accuracy": make_accuracy_reward()}, vocabulary_file=path)
    with pytest.raises(FileNotFoundError, match="vocabulary"):
        WeightedReward(vocabulary_file=tmp_path / "missing.json")
