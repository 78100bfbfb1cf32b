"""Point and depth generators on a hand-built scene with masks and depth.

    index  name      visible mask (pixels, x1/y1 exclusive)   depth
    0      square    [20, 20, 60, 60) minus the circle           0.8  (far)
    1      circle    [50, 40, 80, 70)                            0.3  (in front of the square)
    2      star      [120, 20, 129, 29)  (interior with a 4 px margin: pixel (124, 24) only)   0.5
    3      triangle  [150, 50, 190, 90)                          0.6

Depth convention, pinned for every depth generator: smaller depth = closer to the camera.
"""

import re

import numpy as np
import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates, qa, rect_mask
from veriscene.program import execute

W, H = 200, 100


def scene(depth=(0.8, 0.3, 0.5, 0.6)):
    square = np.zeros((H, W), dtype=bool)
    square[20:60, 20:60] = True
    square[40:70, 50:80] = False
    from veriscene.scene.masks import encode_mask

    return make_scene(
        [
            {"name": "square", "box": [20, 20, 60, 60], "attributes": ["large", "red"], "depth": depth[0],
             "mask": encode_mask(square)},
            {"name": "circle", "box": [50, 40, 80, 70], "attributes": ["small", "blue"], "depth": depth[1],
             "mask": rect_mask(W, H, [[50, 40, 80, 70]])},
            {"name": "star", "box": [120, 20, 129, 29], "attributes": ["small", "green"], "depth": depth[2],
             "mask": rect_mask(W, H, [[120, 20, 129, 29]])},
            {"name": "triangle", "box": [150, 50, 190, 90], "attributes": ["large", "yellow"], "depth": depth[3],
             "mask": rect_mask(W, H, [[150, 50, 190, 90]])},
        ],
        [(1, "in front of", 0), (0, "behind", 1)],
        width=W, height=H,
    )


def owner(x: float, y: float) -> int:
    """Object under a pixel point, from the rectangles above (independent of the ops)."""
    col, row = int(x), int(y)
    for i, (x0, y0, x1, y1) in enumerate([(50, 40, 80, 70), (20, 20, 60, 60), (120, 20, 129, 29), (150, 50, 190, 90)]):
        if x0 <= col < x1 and y0 <= row < y1:
            return [1, 0, 2, 3][i]
    return -1


def points_of(program):
    return [n["args"] for n in program if n["op"] == "point"]


def test_point_object_exact() -> None:
    got = qa(scene(), "segmentation.point_object.v1", box_format="pixel")
    assert got["What object is at the point [124, 24]?"] == "star"
    assert got["What is the color of the object at the point [124, 24]?"] == "green"
    assert got["What is the size of the object at the point [124, 24]?"] == "small"
    for cand, answer in candidates(scene(), "segmentation.point_object.v1"):
        (p,) = points_of(cand.get_program())
        assert answer in (scene().names[owner(*p)], *scene().attributes[owner(*p)])
        assert answer not in cand.distractors


@pytest.mark.parametrize("name, side", [("segmentation.same_object.v1", "same"),
                                        ("segmentation.different_object.v1", "different")])
def test_same_and_different_object_points(name, side) -> None:
    found = candidates(scene(), name)
    assert found
    firsts = set()
    for cand, answer in found:
        pa, p1, p2 = points_of(cand.get_program())
        assert all(owner(*p) >= 0 for p in (pa, p1, p2))  # every point lies on an object
        target = [p for p in (p1, p2) if (owner(*p) == owner(*pa)) == (side == "same")]
        assert target == [answer] and cand.distractors == [p1 if answer == p2 else p2]
        assert re.fullmatch(r"\[0\.\d{3}, 0\.\d{3}\]", cand.slots["pa"])
        firsts.add(answer == p1)
    assert firsts == {True, False}  # the answer is listed first and second


def test_depth_points_closer_means_smaller_depth() -> None:
    found = candidates(scene(), "depth.points.v1")
    assert {c.group for c, _ in found} == {"closer", "farther"}
    for cand, answer in found:
        p1, p2 = points_of(cand.get_program())
        assert {owner(*p1), owner(*p2)} == {0, 1}  # only the overlapping pair
        assert owner(*answer) == (1 if cand.group == "closer" else 0)  # circle: depth 0.3 < 0.8


def test_depth_anchor_exact() -> None:
    assert qa(scene(), "depth.anchor.v1") == {
        "Which object overlaps the square and is closer to the camera than it?": "circle",
        "Which object overlaps the circle and is farther from the camera than it?": "square",
    }


def test_depth_anchor_refers_to_a_plural_name_as_them() -> None:
    jeans = scene()
    jeans = make_scene([{"name": "jeans" if n == "square" else n, "box": jeans.boxes[i].tolist(),
                         "attributes": list(jeans.attributes[i]), "depth": float(jeans.depth[i])}
                        for i, n in enumerate(jeans.names)])
    assert qa(jeans, "depth.anchor.v1") == {
        "Which object overlaps the jeans and is closer to the camera than them?": "circle",
        "Which object overlaps the circle and is farther from the camera than it?": "jeans",
    }


@pytest.mark.parametrize("name", ["depth.closer.v1", "depth.points.v1", "depth.anchor.v1"])
@pytest.mark.parametrize("circle_depth, closer", [(0.3, "circle"), (0.95, "square")])
def test_depth_convention_smaller_is_closer(name, circle_depth, closer) -> None:
    """Every depth generator: the object with the smaller depth value is the closer one."""
    s = scene(depth=(0.8, circle_depth, 0.5, 0.6))
    found = candidates(s, name)
    assert found
    for cand, answer in found:
        asks_closer = cand.group.endswith("closer") or cand.group == "closest"
        if name == "depth.closer.v1":
            first = cand.slots["the_a"].removeprefix("the ")
            assert answer is ((first == closer) == asks_closer)
        elif name == "depth.points.v1":
            assert s.names[owner(*answer)] == (closer if asks_closer else ({"circle", "square"} - {closer}).pop())
        else:
            assert answer == (closer if asks_closer else ({"circle", "square"} - {closer}).pop())
        assert execute(cand.get_program(), s) == answer


def test_scenes_without_masks_or_depth_are_skipped(street) -> None:
    from veriscene.generators import SceneRunner, Vocabulary, select_generators

    runner = SceneRunner([g() for g in select_generators("segmentation,depth")], Vocabulary.from_scenes([street]))
    bare = make_scene([{"name": "circle", "box": [10, 10, 50, 50]}])
    assert runner.run(bare) == []
    assert runner.stats["skipped_requirements:segmentation.same_object.v1"] == 1
    assert runner.stats["skipped_requirements:depth.points.v1"] == 1
