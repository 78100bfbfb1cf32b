"""lmms-eval's hooks score a reply as `veriscene eval` does: with the sample's question, whose
words are no answer and which says what a count counts (`lmms_eval_utils.record`)."""

import json

from veriscene.answers import score_sample
from veriscene.io.writers import lmms_eval_utils


def row(answer, answer_type: str, question: str) -> dict:
    return {"id": "s1", "answer": json.dumps(answer), "answer_type": answer_type, "choices": None,
            "meta": json.dumps({"mode": "qa"}), "question": question, "prompt": question}


def test_process_results_reads_the_question_as_eval_does() -> None:
    cases = [(row("red", "str", "What color is the cube left of the blue sphere?"),
              "The cube left of the blue sphere is red."),
             (row(3, "int", "How many green hexagons are there?"),
              "I see 5 objects: 3 green hexagons and 2 red circles.")]
    for doc, reply in cases:
        sample = {"id": "s1", "answer": json.loads(doc["answer"]), "answer_type": doc["answer_type"],
                  "choices": None, "meta": {"mode": "qa"}, "question": doc["question"]}
        assert score_sample(reply, sample).score == 1.0
        assert lmms_eval_utils.process_results(doc, [reply])["accuracy"] == 1.0, reply
    # (a row without the column, as a task folder written by an older release: read without it)
    old = {k: v for k, v in cases[0][0].items() if k != "question"}
    assert lmms_eval_utils.process_results(old, ["red"])["accuracy"] == 1.0
