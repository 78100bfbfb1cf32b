"""Referring expressions: one object alone in one image, and one description shared by two."""

from __future__ import annotations

from typing import Any

from veriscene.program import ExecutionContext, SceneIndex
from veriscene.program.executor import run_nodes
from veriscene.scene import Scene
from veriscene.scene.describe import refer_by_attributes, shared_description


def _scene(image_id: str, *objects: tuple[str, tuple[str, ...]]) -> SceneIndex:
    rows: list[dict[str, Any]] = [
        {"name": name, "box": [10 * i, 0, 10 * i + 5, 5], "attributes": list(attrs)}
        for i, (name, attrs) in enumerate(objects)
    ]
    return SceneIndex(Scene.from_objects(image_id, 100, 100, rows))


A = _scene("a", ("car", ("red", "large", "wooden")), ("car", ("blue", "large", "metal")), ("tree", ("green",)))
B = _scene("b", ("car", ("red", "small", "wooden")), ("car", ("red", "large", "metal")), ("tree", ()))


def test_unique_names_need_no_description() -> None:
    assert shared_description(A, 2, B, 2) == ()


def test_fewest_shared_attributes_that_pick_each_alone() -> None:
    # A's red car: "red" picks it alone in A, but B has two red cars; "wooden" does both
    assert shared_description(A, 0, B, 0) == ("wooden",)
    # A's red car and B's large metal car share red and large; neither alone picks both
    assert shared_description(A, 0, B, 1) == ("large", "red")
    assert shared_description(A, 0, B, 1, max_attributes=1) is None


def test_excluded_types_are_never_used() -> None:
    assert shared_description(A, 0, B, 0, exclude_types=("material",)) is None
    assert shared_description(A, 1, B, 1, exclude_types=("material",)) is None
    assert shared_description(A, 1, B, 1) == ("metal",)


def test_description_selects_in_both_images() -> None:
    # the program the multi-image generators build from it finds exactly the two objects
    for i, k in [(0, 0), (0, 1), (1, 1)]:
        description = shared_description(A, i, B, k)
        assert description is not None
        for image, (index, wanted) in enumerate([(A, i), (B, k)]):
            nodes: list[dict[str, Any]] = [{"op": "scene", "inputs": [], "args": [image]},
                                           {"op": "filter_name", "inputs": [0], "args": ["car"]}]
            for a in description:
                nodes.append({"op": "filter_attribute", "inputs": [len(nodes) - 1], "args": [a]})
            nodes.append({"op": "unique", "inputs": [len(nodes) - 1], "args": []})
            found = run_nodes(nodes, ExecutionContext([A.scene, B.scene]))[-1]
            assert (found.image, found.index) == (image, wanted)


def test_single_image_description_is_shortest() -> None:
    ref = refer_by_attributes(A, 0)
    assert ref is not None and ref.phrase in ("red car", "wooden car")
    assert refer_by_attributes(A, 2) is not None and refer_by_attributes(A, 2).phrase == "tree"  # type: ignore[union-attr]
