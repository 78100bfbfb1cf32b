"""The evaluate runner scores `str` replies with the run's vocabulary.json as rivals."""

from __future__ import annotations

import orjson

from veriscene.evaluate.runner import evaluate

from tests.evaluate.conftest import samples


def test_the_runs_vocabulary_makes_its_words_compete(demo_run, tmp_path) -> None:
    record = dict(samples(demo_run)[0])
    record.update(id="animal", question="What animal is on the sofa?", answer="dog", answer_type="str",
                  choices=None, meta={"mode": "qa"},
                  images=[{**im, "path": str(demo_run / im["path"])} for im in record["images"]])
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples.jsonl").write_bytes(orjson.dumps(record) + b"\n")
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(orjson.dumps({"id": "animal", "reply": "There is a cat. There is a dog."}) + b"\n")
    before = evaluate(run / "samples.jsonl", f"replay:{replies}", tmp_path / "a", freeform="off", cache=False,
                      reports=False)
    assert before.summary["scoring_vocabulary"] is None and before.accuracy == 1.0  # cat unknown: not a rival
    (run / "vocabulary.json").write_bytes(orjson.dumps({"names": {"cat": 1, "dog": 1, "sofa": 1}}))
    after = evaluate(run / "samples.jsonl", f"replay:{replies}", tmp_path / "b", freeform="off", cache=False,
                     reports=False)
    assert after.summary["scoring_vocabulary"] == str((run / "vocabulary.json").resolve())
    assert after.accuracy == 0.0 and after.counts["parse_failed"] == 1


def test_a_run_folder_is_scored_with_its_vocabulary_as_its_samples_file_is(demo_run, tmp_path) -> None:
    """`eval RUN` and `eval RUN/samples.jsonl` load the same vocabulary.json and give the same
    scores (a folder was looked up one level too high: no vocabulary, other scores)."""
    record = dict(samples(demo_run)[0])
    record.update(id="animal", question="What animal is on the sofa?", answer="dog", answer_type="str",
                  choices=None, meta={"mode": "qa"},
                  images=[{**im, "path": str(demo_run / im["path"])} for im in record["images"]])
    run = tmp_path / "run"
    run.mkdir()
    (run / "samples.jsonl").write_bytes(orjson.dumps(record) + b"\n")
    (run / "vocabulary.json").write_bytes(orjson.dumps({"names": {"cat": 1, "dog": 1, "sofa": 1}}))
    replies = tmp_path / "replies.jsonl"
    replies.write_bytes(orjson.dumps({"id": "animal", "reply": "There is a cat. There is a dog."}) + b"\n")
    by_file = evaluate(run / "samples.jsonl", f"replay:{replies}", tmp_path / "a", freeform="off", cache=False,
                       reports=False)
    by_folder = evaluate(run, f"replay:{replies}", tmp_path / "b", freeform="off", cache=False, reports=False)
    vocabulary = str((run / "vocabulary.json").resolve())
    assert by_folder.summary["scoring_vocabulary"] == by_file.summary["scoring_vocabulary"] == vocabulary
    assert by_folder.accuracy == by_file.accuracy == 0.0 and by_folder.counts["parse_failed"] == 1
