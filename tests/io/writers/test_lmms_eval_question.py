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


def test_process_results_reads_the_program_and_images_as_eval_does() -> None:
    """A "which point" reply naming the question's reference point, 35 px from the answer, is
    wrong (the program's points: each option is told apart from the others), and "the last image"
    is read from the number of images: before, the hook left both out of the record it built, and
    lmms-eval scored the first 1 and the second a parse failure where eval scored 0 and 1."""
    program = [{"op": "scene", "inputs": [], "args": [0]}, {"op": "point", "inputs": [], "args": [67.68, 120.96]},
               {"op": "object_at_point", "inputs": [0, 1], "args": []},
               {"op": "point", "inputs": [], "args": [70.56, 155.52]},
               {"op": "point", "inputs": [], "args": [404.16, 180.0]},
               {"op": "point_on", "inputs": [2, 3, 4], "args": ["same"]}]
    meta = {"mode": "qa", "box_format": "norm1", "image_size": [480, 360]}
    question = ("The point [0.141, 0.336] is on an object. Which point is on that same object: "
                "[0.147, 0.432] or [0.842, 0.500]?")
    point = {"id": "p1", "answer": json.dumps([70.56, 155.52]), "answer_type": "point", "choices": None,
             "meta": json.dumps(meta), "question": question, "prompt": question, "program": json.dumps(program),
             "image_ids": ["demo-000000"]}
    images = [{"id": f"demo-{k}", "path": f"images/demo-{k}.png"} for k in range(3)]
    which = {"id": "i1", "answer": "2", "answer_type": "image_index", "choices": None,
             "meta": json.dumps({"mode": "qa"}), "question": "Which image has the most triangles?",
             "prompt": "Which image has the most triangles?", "program": "[]",
             "image_ids": [image["id"] for image in images]}
    sample_point = {"id": "p1", "answer": [70.56, 155.52], "answer_type": "point", "choices": None, "meta": meta,
                    "question": question, "program": program, "images": images[:1]}
    sample_which = {"id": "i1", "answer": 2, "answer_type": "image_index", "choices": None, "meta": {"mode": "qa"},
                    "question": which["question"], "program": [], "images": images}
    for doc, sample, reply, expected in ((point, sample_point, "[0.141, 0.336]", 0.0),
                                         (point, sample_point, "[0.147, 0.432]", 1.0),
                                         (which, sample_which, "the last image", 1.0)):
        assert score_sample(reply, sample).score == expected
        scored = lmms_eval_utils.process_results(doc, [reply])
        assert (scored["accuracy"], scored["parse_failure"]) == (expected, 0.0), (doc["id"], reply)
