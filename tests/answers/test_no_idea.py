""""No idea" is not knowing, not "no": it would be rewarded on every "no" and every count of 0."""

from __future__ import annotations

import pytest

from veriscene.answers import score_sample

BOOL = {"id": "b", "answer": False, "answer_type": "bool", "question": "Is there a cup?", "choices": None,
        "meta": {"mode": "qa"}}
COUNT = {"id": "c", "answer": 0, "answer_type": "int", "question": "How many cups are there?", "choices": None,
         "meta": {"mode": "qa"}}
CHOICE = {"id": "m", "answer": False, "answer_type": "bool", "question": "Is there a cup?\nOptions:\nA. yes\nB. no",
          "choices": ["yes", "no"], "meta": {"mode": "mc", "answer_letter": "B"}}


@pytest.mark.parametrize("reply", ["No idea.", "no idea at all", "I have no idea.", "No clue", "I have no clue "
                                   "how many", "There is no way of telling."])
@pytest.mark.parametrize("sample", [BOOL, COUNT, CHOICE], ids=["yes/no", "count", "choice"])
def test_not_knowing_scores_nothing(sample: dict, reply: str) -> None:
    match = score_sample(reply, sample)
    assert not match.correct and match.parse_failed, (reply, match.parsed)


@pytest.mark.parametrize("reply, sample", [("No.", BOOL), ("No, there is no cup.", BOOL), ("None.", COUNT),
                                           ("There are no cups.", COUNT), ("B", CHOICE)])
def test_a_plain_no_still_answers(reply: str, sample: dict) -> None:
    assert score_sample(reply, sample).correct
