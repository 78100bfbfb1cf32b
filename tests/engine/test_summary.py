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
