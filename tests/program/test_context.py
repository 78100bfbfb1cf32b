"""ExecutionContext: the trusted constructor from lookup tables agrees with the checked one; the
index's tables are computed once."""

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


def _layout(kind: str, n: int, seed: int) -> list[dict]:
    """Boxes of a 400 x 300 image: random sizes (some over the whole image), a grid of small
    squares with touching edges, or sizes on whole pixels (ties)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if kind == "grid":
        return [{"name": "thing", "box": [(k % 30) * 10, (k // 30) * 10, (k % 30) * 10 + 10, (k // 30) * 10 + 10]}
                for k in range(n)]
    objects = []
    for _ in range(n):
        x0, y0 = rng.uniform(0, 380), rng.uniform(0, 280)
        side = float(rng.choice([1.0, 8.0, 60.0, 400.0]) * rng.uniform(0.3, 1.0))
        box = [x0, y0, min(400.0, x0 + side), min(300.0, y0 + side)]
        objects.append({"name": "thing", "box": [round(v) for v in box] if kind == "pixels" else box})
    return [o for o in objects if o["box"][0] < o["box"][2] and o["box"][1] < o["box"][3]]


@pytest.mark.parametrize("kind", ["random", "pixels", "grid"])
@pytest.mark.parametrize("n", [0, 1, 2, 40, 300, 700])
def test_overlap_tables_are_the_whole_table(kind: str, n: int) -> None:
    """`overlap_pairs`, `overlapping` and `overlaps`, measured a block of nearby boxes at a time,
    are what the whole (N, N) table of intersection areas gives."""
    import numpy as np

    from veriscene.program.context import true_rows
    from veriscene.scene.geometry import box_intersection_area

    scene = make_scene(_layout(kind, n, n), width=400, height=300)
    index = SceneIndex(scene)
    whole = box_intersection_area(scene.boxes, scene.boxes) > 0
    assert np.array_equal(index.overlaps, whole)
    others = whole & ~np.eye(len(scene), dtype=bool)
    i, j = index.overlap_pairs
    assert (i.tolist(), j.tolist()) == tuple(side.tolist() for side in np.nonzero(others))
    assert index.overlapping == true_rows(others)


def test_a_context_of_its_indexes_alone_needs_every_index() -> None:
    scene = make_scene(OBJECTS, image_id="s0", meta={"crowd": [1]})
    made = ExecutionContext(None, [SceneIndex(scene)])
    assert made.scenes == (scene,) and made.has_regions and not made.partial
    for indexes in ([], [SceneIndex(scene), None]):
        with pytest.raises(ValueError, match="one index for each scene"):
            ExecutionContext(None, indexes)


def test_an_index_table_is_computed_once_and_kept() -> None:
    """`computed_once` (not functools.cached_property, which mypyc builds as a property computed on
    every read): the first read computes the table and keeps it in the instance's __dict__."""
    from veriscene.program.context import computed_once

    index = SceneIndex(make_scene(OBJECTS, image_id="s0"))
    assert isinstance(SceneIndex.__dict__["by_name"], computed_once) and "by_name" not in index.__dict__
    first = index.by_name
    assert first == {"cup": (0,), "person": (1,), "sky": (2,)} and index.__dict__["by_name"] is first
    assert index.by_name is first and index.box_list is index.box_list
    assert SceneIndex.having_attribute.__doc__.startswith("Attribute word -> sorted objects it holds of")
