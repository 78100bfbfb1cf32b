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
