"""The depth generators' pair tables, computed in numpy, against their plain definitions, on
random scenes of many overlapping boxes with tied depths and gaps at the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import make_scene
from tests.generators.helpers import VOCAB, candidates
from veriscene.generators import GenContext
from veriscene.generators.single_image.depth_points import depth_pairs
from veriscene.program import ExecutionContext, SceneIndex


def _scene(n: int, seed: int, names: int = 9):
    rng = np.random.default_rng(seed)
    objects = []
    for k in range(n):
        x0, y0 = rng.uniform(0, 155), rng.uniform(0, 65)
        depth = float(rng.choice([0.1, 0.2, 0.25, 0.5, 0.9])) if rng.random() < 0.6 else float(rng.uniform(0, 1))
        objects.append({"name": f"thing{k % names}", "box": [x0, y0, x0 + rng.uniform(1, 40), y0 + rng.uniform(1, 30)],
                        "depth": depth, "attributes": [str(rng.choice(["red", "blue", "big"]))]})
    return make_scene(objects)


def _plain_pairs(scene, min_depth_gap: float, require_overlap: bool) -> list[list[int]]:
    depth = scene.depth.tolist()
    gap = min_depth_gap * ((max(depth) - min(depth)) or 1.0)
    boxes = scene.boxes.tolist()

    def meet(a, b):
        w = min(a[2], b[2]) - max(a[0], b[0])
        h = min(a[3], b[3]) - max(a[1], b[1])
        return max(w, 0) * max(h, 0) > 0

    n = len(depth)
    return [[b for b in range(n) if a != b and abs(depth[a] - depth[b]) >= gap
             and (not require_overlap or meet(boxes[a], boxes[b]))] for a in range(n)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("require_overlap", [True, False])
@pytest.mark.parametrize("n", [1, 5, 60])
def test_depth_pairs_are_their_definition(seed, require_overlap, n) -> None:
    scene = _scene(n, seed)
    ctx = GenContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(0), VOCAB)
    for gap in (0.05, 0.25):
        assert depth_pairs(ctx, gap, require_overlap) == _plain_pairs(scene, gap, require_overlap)


def test_overlapping_lists_the_other_boxes_met() -> None:
    scene = _scene(50, 3)
    index = SceneIndex(scene)
    boxes = scene.boxes.tolist()
    for i, others in enumerate(index.overlapping):
        expected = [j for j in range(len(boxes)) if j != i
                    and min(boxes[i][2], boxes[j][2]) > max(boxes[i][0], boxes[j][0])
                    and min(boxes[i][3], boxes[j][3]) > max(boxes[i][1], boxes[j][1])]
        assert others == expected


@pytest.mark.parametrize("name", ["depth.closer.v1", "depth.anchor.v1"])
@pytest.mark.parametrize("seed", range(4))
def test_depth_candidates_hold_on_dense_scenes(name, seed) -> None:
    """Every candidate of a 60-object scene asks about a pair whose order shows: its program
    gives its answer (`candidates` runs each)."""
    scene = _scene(60, seed, names=60)
    made = candidates(scene, name, seed=seed)
    assert made, name
