"""ExecutionContext: the trusted constructor from lookup tables agrees with the checked one."""

import pytest

from tests.conftest import make_scene
from veriscene.program.context import ExecutionContext, SceneIndex

OBJECTS = [
    {"name": "cup", "box": [10, 10, 20, 20]},
    {"name": "person", "box": [30, 10, 60, 50]},
    {"name": "sky", "box": [0, 0, 100, 30]},
]


@pytest.mark.parametrize("metas", [
    [{}, {}],
    [{"crowd": [1]}, {}],
    [{}, {"stuff": [2]}],
    [{"crowd": []}, {"exhaustive": ["cup"]}],
    [{"exhaustive": []}, {"crowd": [1], "stuff": [2]}, {}],
])
def test_of_indexes_makes_the_context_the_constructor_makes(metas) -> None:
    scenes = [make_scene(OBJECTS, image_id=f"s{i}", meta=meta) for i, meta in enumerate(metas)]
    indexes = [SceneIndex(s) for s in scenes]
    checked, trusted = ExecutionContext(scenes, indexes), ExecutionContext.of_indexes(indexes)
    assert trusted.scenes == checked.scenes and all(a is b for a, b in zip(trusted.scenes, scenes))
    assert (trusted.has_regions, trusted.partial) == (checked.has_regions, checked.partial)
    assert [trusted.index(i) for i in range(len(scenes))] == indexes
