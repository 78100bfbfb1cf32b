"""spatial.relation and size.compare: answers from boxes and areas, with margins."""

import pytest

from tests.conftest import make_scene
from tests.generators.helpers import qa


def test_left_right_above_below(street) -> None:
    got = qa(street, "spatial.relation.v1")
    assert got["Is the large circle to the left or to the right of the square?"] == "left"
    assert got["Is the square to the left or to the right of the large circle?"] == "right"
    assert got["Is the small circle above or below the triangle?"] == "below"
    assert got["Is the square above or below the small circle?"] == "above"
    # boxes overlap vertically (y 10-50 and 20-55): no above/below between large circle and square
    assert "Is the large circle above or below the square?" not in got
    assert set(got.values()) == {"left", "right", "above", "below"}


def test_a_name_plural_in_form_is_them_again() -> None:
    """It said "Relative to the pants, are the glasses above it or below it?"."""
    scene = make_scene([{"name": "glasses", "box": [10, 10, 50, 30]}, {"name": "pants", "box": [10, 60, 50, 95]}])
    got = qa(scene, "spatial.relation.v1", template=1)
    assert got["Relative to the pants, are the glasses above them or below them?"] == "above"
    assert got["Relative to the glasses, are the pants above them or below them?"] == "below"
    scene = make_scene([{"name": "cup", "box": [10, 10, 50, 30]}, {"name": "plate", "box": [10, 60, 50, 95]}])
    assert qa(scene, "spatial.relation.v1", template=1)["Relative to the plate, is the cup above it or below it?"] == "above"


def test_relation_needs_a_margin() -> None:
    scene = make_scene([{"name": "circle", "box": [10, 10, 50, 50]}, {"name": "square", "box": [52, 10, 90, 50]}])
    assert qa(scene, "spatial.relation.v1") == {}  # 2 px apart < 2% of the width
    assert qa(scene, "spatial.relation.v1", position_margin=0.0) == {
        "Is the circle to the left or to the right of the square?": "left",
        "Is the square to the left or to the right of the circle?": "right",
    }


def test_size_compare_never_describes_by_size(street) -> None:
    got = qa(street, "size.compare.v1")
    assert got["Is the shiny circle larger than the matte circle?"] is True
    assert got["Is the matte circle smaller than the square?"] is True
    assert got["Is the triangle larger than the matte circle?"] is True
    assert not any("large" in q.replace("larger", "") or "small " in q for q in got)
    # large circle (1600 px^2) vs square (1400): ratio below 1.5, never asked
    assert "Is the shiny circle larger than the square?" not in got
    assert sum(got.values()) == len(got) / 2


@pytest.mark.parametrize("ground", ["road", "street", "sand", "brick wall"])
def test_size_compare_leaves_substances_and_surfaces_out(ground: str) -> None:
    """"Is the road smaller than the traffic light?" is answered by the names alone: a substance,
    an area or a ground is never compared (Visual Genome- and GQA-shaped inputs asked road,
    street, sand and tile against things); two things still are."""
    scene = make_scene([{"name": ground, "box": [0, 50, 200, 100]}, {"name": "traffic light", "box": [10, 5, 20, 45]},
                        {"name": "car", "box": [60, 10, 140, 45]}])
    assert qa(scene, "size.compare.v1") == {"Is the traffic light larger than the car?": False,
                                            "Is the traffic light smaller than the car?": True,
                                            "Is the car larger than the traffic light?": True,
                                            "Is the car smaller than the traffic light?": False}


def test_dense_scenes_pair_up_a_bounded_random_subset() -> None:
    import re

    from tests.generators.helpers import candidates
    from veriscene.generators.common import MAX_PAIRED_OBJECTS

    # 24 objects in a row, each named apart, sizes alternating so every pair differs enough
    objects = [{"name": f"thing{k}", "box": [10 + 40 * k, 10, 40 + 40 * k, 40 + 30 * (k % 2)]} for k in range(24)]
    scene = make_scene(objects, width=1000, height=100)
    for name in ("spatial.relation.v1", "size.compare.v1"):
        used = [{int(n) for n in re.findall(r"thing(\d+)", " ".join(c.slots.values()))} for c, _ in candidates(scene, name)]
        objects_used = set().union(*used)
        assert len(objects_used) == MAX_PAIRED_OBJECTS
        other_seed = set().union(*[{int(n) for n in re.findall(r"thing(\d+)", " ".join(c.slots.values()))}
                                   for c, _ in candidates(scene, name, seed=1)])
        assert len(other_seed) == MAX_PAIRED_OBJECTS and other_seed != objects_used  # drawn at random


def test_size_compare_asks_every_ordered_pair_with_a_clear_ratio() -> None:
    import random

    import numpy as np

    from veriscene.generators.base import GenContext
    from veriscene.generators.common import paired_objects
    from veriscene.generators.registry import get_generator
    from veriscene.generators.vocabulary import Vocabulary
    from veriscene.program.context import ExecutionContext
    from veriscene.scene.describe import referents

    r = random.Random(6)
    for trial in range(60):
        objects = []
        for k in range(r.randrange(2, 20)):  # equal sizes are common: coarse boxes
            x0, y0 = r.randrange(0, 10) * 20, r.randrange(0, 8) * 20
            objects.append({"name": f"thing{k}", "box": [x0, y0, x0 + r.randrange(1, 4) * 20, y0 + r.randrange(1, 4) * 20]})
        scene = make_scene(objects, width=300, height=240)
        ratio = r.choice([1.0, 1.2, 1.5])
        cls = get_generator("size.compare.v1")
        gen = cls(cls.Config(area_ratio=ratio))
        exec_ctx = ExecutionContext(scene)
        ctx = GenContext(scene, exec_ctx.index(0), exec_ctx, np.random.default_rng(trial), Vocabulary.from_scenes([scene]))
        (batch,) = gen.propose(ctx)
        # what the generator proposes, pair by pair: the same random subset of objects, then
        # every ordered pair of distinct ones whose areas differ by the ratio, both questions
        refs = referents(ctx.index, allow_relations=False, exclude_types=("size",))
        chosen = paired_objects(np.random.default_rng(trial), list(refs))
        areas = ctx.index.area_list
        expected = []
        for a in chosen:
            for o in chosen:
                low, high = min(areas[a], areas[o]), max(areas[a], areas[o])
                if a != o and low > 0 and high / low >= ratio:
                    expected += [("largest", a, o, areas[a] > areas[o]), ("smallest", a, o, areas[a] < areas[o])]
        made = [batch.make(i) for i in range(len(batch.keys))]
        assert list(batch.keys) == [truth for *_, truth in expected], trial
        assert [(c.group, c.slots["the_a"], c.slots["the_b"]) for c in made] == [
            (which, refs[a].the, refs[o].the) for which, a, o, _ in expected]


def _shapes_scene(square_side: int):
    """A star drawn as a diamond filling half of its 60x60 box (1,800 px visible) beside a square
    of `square_side` filling all of its box, and a small circle far smaller than both."""
    import numpy as np

    from veriscene.scene.masks import encode_mask

    W, H = 300, 120
    diamond = np.zeros((H, W), dtype=bool)
    yy, xx = np.mgrid[0:H, 0:W]
    diamond[(abs(xx - 40) + abs(yy - 40)) < 30] = True
    square = np.zeros((H, W), dtype=bool)
    square[10:10 + square_side, 120:120 + square_side] = True
    circle = np.zeros((H, W), dtype=bool)
    circle[100:106, 250:256] = True
    return make_scene([
        {"name": "star", "box": [10, 10, 70, 70], "mask": encode_mask(diamond)},
        {"name": "square", "box": [120, 10, 120 + square_side, 10 + square_side], "mask": encode_mask(square)},
        {"name": "circle", "box": [250, 100, 256, 106], "mask": encode_mask(circle)},
    ], width=W, height=H)


def test_size_compare_asks_only_pairs_whose_boxes_agree_with_their_areas() -> None:
    # the 50x50 square covers 2,500 px against the star's 1,800 (ratio 1.39) and its box is smaller
    # (2,500 against 3,600): a person sees the star as large or larger, so the pair is never asked
    got = qa(_shapes_scene(50), "size.compare.v1", area_ratio=1.3)
    assert not any("star" in q and "square" in q for q in got)
    assert got["Is the star larger than the circle?"] is True  # both measures agree
    # a 66x66 square: larger by area (4,356 against 1,800) and by box (4,356 against 3,600)
    assert qa(_shapes_scene(66), "size.compare.v1")["Is the square larger than the star?"] is True


def test_largest_is_asked_only_when_the_boxes_agree() -> None:
    import numpy as np

    from tests.generators.helpers import VOCAB
    from veriscene.generators.base import GenContext
    from veriscene.generators.single_image.spatial import SpatialConfig, clear_extremes
    from veriscene.program.context import ExecutionContext

    for side, expected in ((50, []), (66, ["largest"])):
        scene = _shapes_scene(side)
        exec_ctx = ExecutionContext(scene)
        ctx = GenContext(scene, exec_ctx.index(0), exec_ctx, np.random.default_rng(0), VOCAB)
        assert clear_extremes(ctx, [0, 1], ["largest"], SpatialConfig(area_ratio=1.3)) == expected


def test_extreme_attribute_questions_need_the_extreme() -> None:
    """Two green hexagons, one above the other: "What color is the topmost hexagon?" would be
    answered by any hexagon, so it is not asked; their finishes differ, so that is."""
    scene = make_scene([
        {"name": "hexagon", "box": [10, 5, 40, 30], "attributes": ["green", "shiny"]},
        {"name": "hexagon", "box": [10, 60, 40, 90], "attributes": ["green", "matte"]},
    ])
    got = qa(scene, "spatial.extreme.v1")
    assert "What color is the topmost hexagon?" not in got and "What color is the bottommost hexagon?" not in got
    assert got["What kind of surface does the topmost hexagon have?"] == "shiny"


@pytest.mark.parametrize("ratio", [1.5, 1.0, 0.8])
def test_clear_size_pairs_in_python_match_numpy(monkeypatch, ratio: float) -> None:
    import random

    from veriscene.generators.single_image import geometry

    r = random.Random(ratio)
    for trial in range(300):
        n = r.randrange(0, 9)
        # coarse values: equal areas, equal box areas and zero areas are common
        areas = [float(r.choice([0, 1, 2, 3, 6])) for _ in range(n)]
        boxed = [a * r.choice([1, 2]) + r.choice([0, 0, 1]) for a in areas]
        objects = sorted(r.sample(range(n), r.randrange(0, n + 1)))
        monkeypatch.setattr(geometry, "_FEW_SIZED", 16)
        in_python = geometry.clear_size_pairs(objects, areas, boxed, ratio)
        monkeypatch.setattr(geometry, "_FEW_SIZED", 0)
        assert in_python == geometry.clear_size_pairs(objects, areas, boxed, ratio), trial
