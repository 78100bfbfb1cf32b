"""What the runner works out once per generator (`runner._Settings`), as its samples show it."""

import pytest

from veriscene.generators import SceneRunner, Vocabulary, select_generators


def _samples(scene, names, modes):
    runner = SceneRunner([g() for g in select_generators(names)], Vocabulary.from_scenes([scene]), modes=modes)
    return runner.run(scene), runner


@pytest.mark.parametrize("modes, expected", [
    (("qa",), {"object.count.v1": ["qa"], "scene_graph.caption.v1": ["caption"]}),
    (("qa", "mc"), {"object.count.v1": ["qa", "mc"], "scene_graph.caption.v1": ["caption"]}),
    (("mc",), {"object.count.v1": ["mc"], "scene_graph.caption.v1": ["caption"]}),
])
def test_each_generator_is_asked_in_its_modes_of_the_run(street, modes, expected) -> None:
    samples, _ = _samples(street, "object.count.v1,scene_graph.caption.v1", modes)
    asked: dict[str, list[str]] = {}
    for s in samples:
        asked.setdefault(s.task, []).append(s.meta["mode"])
    assert asked == expected


def test_coordinate_answers_say_their_format_and_image_size(street) -> None:
    samples, _ = _samples(street, "grounding.box.v1,object.count.v1", ("qa",))
    by_task = {s.task: s for s in samples}
    box = by_task["grounding.box.v1"].meta
    assert box["box_format"] == "norm1" and box["image_size"] == [street.width, street.height]
    assert "box_format" not in by_task["object.count.v1"].meta and "image_size" not in by_task["object.count.v1"].meta


def test_each_sample_has_its_own_copy_of_the_config(street) -> None:
    samples, runner = _samples(street, "object.count.v1", ("qa", "mc"))
    first, second = samples
    assert first.meta["config"] == second.meta["config"] == {"per_scene": 1, "num_choices": 4, "box_format": "norm1"}
    first.meta["config"]["per_scene"] = 99  # a caller editing one sample's record
    assert second.meta["config"]["per_scene"] == 1
    assert runner.run(street)[0].meta["config"]["per_scene"] == 1


def test_multi_image_generators_are_skipped_without_a_pool(street) -> None:
    samples, runner = _samples(street, "multi.count_total.v1,object.count.v1", ("qa",))
    assert {s.task for s in samples} == {"object.count.v1"}
    assert runner.stats["skipped_no_pool:multi.count_total.v1"] == 1
