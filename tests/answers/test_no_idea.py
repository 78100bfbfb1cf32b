""""No idea" and refusals are not "no": they would be rewarded on every "no" and every count of 0."""

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
                                   "how many", "There is no way of telling.", "Nobody knows.",
                                   "I cannot see the image.", "I do not see an image attached.",
                                   "Sorry, I can't view images.", "No image was provided.", "No picture is available.",
                                   "Sorry, I cannot help with that.", "I won't answer that.", "No answer.",
                                   "No comment.", "Not applicable.", "No information is available.",
                                   "I'm not able to determine that from the image.", "It is impossible to tell."])
@pytest.mark.parametrize("sample", [BOOL, COUNT, CHOICE], ids=["yes/no", "count", "choice"])
def test_not_knowing_scores_nothing(sample: dict, reply: str) -> None:
    match = score_sample(reply, sample)
    assert not match.correct and match.parse_failed, (reply, match.parsed)


@pytest.mark.parametrize("reply, sample", [("No.", BOOL), ("No, there is no cup.", BOOL), ("None.", COUNT),
                                           ("There are no cups.", COUNT), ("B", CHOICE),
                                           ("I cannot see any cup.", BOOL), ("No, I do not see a cup in the image.", BOOL),
                                           ("There are no cups in the picture.", COUNT),
                                           ("No image shows a cup.", BOOL)])
def test_a_plain_no_still_answers(reply: str, sample: dict) -> None:
    assert score_sample(reply, sample).correct
