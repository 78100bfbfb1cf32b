"""Every generator on random scene graphs: nothing raises, and every sample holds.

Hypothesis builds small scene graphs of the kinds real annotations hold and hand-made tests rarely
do: repeated names, synonyms and plurals ("man" and "men", "jeans"), substances ("grass"),
untyped and contradicting attributes ("red" and "blue" on one object), relations both ways,
boxes on the image's edges or one pixel wide, masks that miss their box or are empty, equal
depths, crowd and stuff regions, sparse and exhaustive annotations, radiological orientation.
All generators run on each scene (with partners for the multi-image ones), and every sample must:

- verify: its program, run again on the scenes written to JSON and read back, gives its answer,
  and a multiple-choice sample's options hold that answer once, under its letter;
- read as a question: no slot left unfilled, no "None", no doubled spaces or blank words;
- come out the same from the scene as read back from its JSON record (what the engine runs on)
  and on a second run (determinism), with ids that are unique.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scene_strategies import scenes
from veriscene.engine.pool import ScenePool
from veriscene.generators import Generator, SceneRunner, Vocabulary, select_generators
from veriscene.program import ExecutionContext, execute
from veriscene.sample import Sample
from veriscene.scene import Scene
from veriscene.scene.jsonl import scene_from_dict, scene_to_dict
from veriscene.verify import _check_choice, answers_equal


def _configured(cls: type[Generator], **options: Any) -> Generator:
    fields = {f.name for f in dataclasses.fields(cls.Config)}
    return cls(cls.Config(**{k: v for k, v in options.items() if k in fields}))


# every generator as configured by default, and with another box format, more questions per
# scene and fewer options
SETUPS = {
    "default": [cls() for cls in select_generators("*")],
    "pixel-3-of-3": [_configured(cls, box_format="pixel", per_scene=3, num_choices=3) for cls in select_generators("*")],
}


def _run(anchor: Scene, partners: list[Scene], setup: str = "default") -> list[Sample]:
    everything = [anchor, *partners]
    pool = ScenePool.from_scenes(everything)
    runner = SceneRunner(SETUPS[setup], Vocabulary.from_scenes(everything), seed=7, pool=pool)
    return runner.run(anchor)  # raise_errors: a generator that raises fails the test


def _read_back(scene: Scene) -> Scene:
    return scene_from_dict(orjson.loads(orjson.dumps(scene_to_dict(scene))))


def _check_sample(sample: Sample, scenes_by_id: dict[str, Scene]) -> None:
    where = f"{sample.task}: {sample.question!r}"
    record = orjson.loads(orjson.dumps(sample.to_dict()))
    assert Sample.from_dict(record).to_dict() == record, where
    read = [scenes_by_id[image["id"]] for image in sample.images]
    found = execute(sample.program, ExecutionContext(read))
    assert answers_equal(sample.answer, found, sample.answer_type), (where, sample.answer, found)
    if sample.choices is not None:
        assert _check_choice(sample, found, read[0]) is None, (where, sample.choices, _check_choice(sample, found, read[0]))
    question = sample.question.split("\nOptions:")[0]
    assert "{" not in question and "}" not in question, where
    assert "None" not in question and "  " not in question, where
    assert " ?" not in question and " ." not in question and " ," not in question, where
    assert question == question.strip() and question[:1].isupper() or question[:1] in "[\"'", where


@pytest.mark.parametrize("setup", sorted(SETUPS))
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_every_generator_on_random_scenes(setup: str, data: st.DataObject) -> None:
    anchor = data.draw(scenes())
    partners = [data.draw(scenes(image_id=f"p{k}")) for k in range(data.draw(st.integers(0, 4)))]
    samples = _run(anchor, partners, setup)
    read_anchor, read_partners = _read_back(anchor), [_read_back(p) for p in partners]
    by_id = {s.image_id: s for s in (read_anchor, *read_partners)}
    ids = [s.id for s in samples]
    assert len(ids) == len(set(ids))
    for sample in samples:
        _check_sample(sample, by_id)
    # the engine runs on scenes read from JSON: the same samples; and again, the same
    again = _run(read_anchor, read_partners, setup)
    assert [s.to_dict() for s in again] == [s.to_dict() for s in samples]
