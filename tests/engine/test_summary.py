"""RunSummary: what shards report, merged in any order, gives one summary."""

import itertools

from veriscene.engine.summary import RunSummary


def _shard(answers: dict[str, int]) -> dict:
    n = sum(answers.values())
    return {"scenes": 1, "samples": n, "per_task": {"object.count.v1": n}, "per_family": {"counting": n},
            "per_mode": {"qa": n}, "answers": {"object.count.v1": answers}, "mc_positions": {},
            "generator_stats": {}}


def test_ties_are_ranked_by_answer_whatever_order_shards_arrive_in() -> None:
    shards = [_shard({"3": 2}), _shard({"1": 2, "2": 1}), _shard({"2": 1, "4": 2})]
    seen = set()
    for order in itertools.permutations(shards):
        summary = RunSummary()
        for counts in order:
            summary.merge_counts(counts)
        top = summary.top_answers("object.count.v1", k=3)
        seen.add((tuple(top), tuple(summary.to_dict()["answers"]["object.count.v1"].items())))
    assert len(seen) == 1
    (top, answers), = seen
    assert [a for a, _ in top] == ["1", "2", "3"]  # 2, 2 and 2 samples: by answer
    assert answers == (("1", 2), ("2", 2), ("3", 2), ("4", 2))


def test_image_index_answers_are_counted_as_questions_name_images() -> None:
    from veriscene.sample import Sample

    def sample(answer: object, answer_type: str) -> Sample:
        return Sample.from_dict({
            "id": f"s{answer}", "task": "multi.has_object.v1", "family": "multi_select", "images": [],
            "question": "Which image?", "answer": answer, "answer_type": answer_type, "choices": None,
            "program": [], "template_id": "d.0", "generator_version": 1, "seed": 0, "meta": {"mode": "qa"}})

    summary = RunSummary()
    for answer in (0, 1, 1):
        summary.add(sample(answer, "image_index"))
    summary.add(sample(2, "int"))
    assert dict(summary.answers["multi.has_object.v1"]) == {"Image 1": 1, "Image 2": 2, "2": 1}
    summary.remove(sample(1, "image_index"))
    assert dict(summary.answers["multi.has_object.v1"]) == {"Image 1": 1, "Image 2": 1, "2": 1}


def _sample(task: str, answer: object, answer_type: str, mode: str = "qa", choices: list[str] | None = None,
            letter: str | None = None):
    from veriscene.sample import Sample

    meta: dict = {"mode": mode}
    if letter is not None:
        meta["answer_letter"] = letter
    return Sample.from_dict({
        "id": f"{task}{answer}{mode}", "task": task, "family": task.split(".")[0], "images": [],
        "question": "?", "answer": answer, "answer_type": answer_type, "choices": choices, "program": [],
        "template_id": "t.0", "generator_version": 1, "seed": 0, "meta": meta})


def test_a_scene_counted_at_once_counts_as_sample_by_sample() -> None:
    """`add_all` (how shards count a scene's samples): the same counts, keys in the same order
    (the sidecars and manifest write them in that order)."""
    scene = [
        _sample("object.count.v1", 3, "int"), _sample("object.exists.v1", True, "bool"),
        _sample("object.count.v1", 3, "int", "mc", ["2", "3", "4"], "B"), _sample("object.count.v1", 12, "int"),
        _sample("attribute.query.v1", "red", "str"), _sample("object.exists.v1", False, "bool"),
        _sample("attribute.set.v1", ["red", "tall"], "str_set"), _sample("region.box.v1", [1, 2, 3, 4], "box"),
        _sample("multi.which.v1", 1, "image_index"), _sample("object.count.v1", 3, "int"),
        _sample("object.exists.v1", True, "bool", "mc", ["yes", "no"], "A"),
        _sample("caption.dense.v1", "a red cube", "text", "caption"),
    ]
    one_by_one, at_once = RunSummary(), RunSummary()
    for sample in scene:
        one_by_one.add(sample)
    at_once.add_all(scene[:5])
    at_once.add_all([])
    at_once.add_all(scene[5:])
    assert at_once.samples == one_by_one.samples == 12
    assert list(at_once.counts().items()) == list(one_by_one.counts().items())
    counts = at_once.counts()
    assert counts["per_task"] == {"object.count.v1": 4, "object.exists.v1": 3, "attribute.query.v1": 1,
                                  "attribute.set.v1": 1, "region.box.v1": 1, "multi.which.v1": 1, "caption.dense.v1": 1}
    assert list(counts["per_mode"].items()) == [("qa", 9), ("mc", 2), ("caption", 1)]
    assert counts["mc_positions"] == {"3:B": 1, "2:A": 1}
    assert list(counts["answers"]) == ["object.count.v1", "object.exists.v1", "attribute.query.v1",
                                       "attribute.set.v1", "multi.which.v1"]
    assert list(counts["answers"]["object.count.v1"].items()) == [("3", 2), ("12", 1)]
    assert counts["answers"]["object.exists.v1"] == {"yes": 1, "no": 1}
    assert counts["answers"]["attribute.set.v1"] == {'["red","tall"]': 1}
    assert counts["answers"]["multi.which.v1"] == {"Image 2": 1}
