"""depth.map_points.v1 and the ops it programs (`depth_at_point`, `closer_point_in_map`) on a
scene built here with a synthetic depth map: a floor whose depth grows from the bottom of the
image (2 m) to its top (6 m), and a box standing nearer (1 m) in the middle.

    rows 0..59, cols 0..79; box: rows 20..39, cols 30..49 at 1.0; elsewhere 6 - 4 * row / 59
"""

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import make_scene
from tests.generators.helpers import candidates
from veriscene.errors import ExecutionFailure
from veriscene.generators import SceneRunner, Vocabulary, select_generators
from veriscene.program import execute

W, H = 80, 60
NAME = "depth.map_points.v1"


def floor_and_box() -> np.ndarray:
    depth = np.repeat((6.0 - 4.0 * np.arange(H) / (H - 1))[:, None], W, axis=1)
    depth[20:40, 30:50] = 1.0
    return depth.astype(np.float32)


def scene_with(path: Path | str, image_id: str = "s0", **meta):
    return make_scene([{"name": "box", "box": [30, 20, 50, 40]}], image_id=image_id, width=W, height=H,
                      depth_map=str(path), meta=meta)


@pytest.fixture
def mapped(tmp_path: Path):
    np.save(tmp_path / "d.npy", floor_and_box())
    return scene_with(tmp_path / "d.npy")


def point_program(op: str, *points, which=None):
    program = [{"op": "point", "inputs": [], "args": list(p)} for p in points]
    program.append({"op": op, "inputs": list(range(len(points))), "args": [] if which is None else [which]})
    return program


def test_depth_at_point_reads_the_pixel(mapped) -> None:
    assert execute(point_program("depth_at_point", [40.5, 30.5]), mapped) == 1.0  # on the box
    assert execute(point_program("depth_at_point", [5.5, 59.5]), mapped) == pytest.approx(2.0)  # floor, bottom


def test_closer_point_in_map_on_the_background_too(mapped) -> None:
    box, top_floor, bottom_floor = [40.5, 30.5], [5.5, 0.5], [5.5, 59.5]
    assert execute(point_program("closer_point_in_map", top_floor, bottom_floor, which="closer"), mapped) == bottom_floor
    assert execute(point_program("closer_point_in_map", top_floor, box, which="farther"), mapped) == top_floor


def test_op_fails_without_depth_and_on_a_bad_file(tmp_path: Path) -> None:
    depth = floor_and_box()
    depth[0, 0] = 0.0
    np.save(tmp_path / "d.npy", depth)
    with pytest.raises(ExecutionFailure, match="has no depth"):
        execute(point_program("depth_at_point", [0.5, 0.5]), scene_with(tmp_path / "d.npy"))
    with pytest.raises(ExecutionFailure, match=r"gone\.npy of scene 's0': no such file"):
        execute(point_program("depth_at_point", [0.5, 0.5]), scene_with(tmp_path / "gone.npy"))


def test_generator_answers_are_the_maps_and_off_edges(mapped) -> None:
    depth = floor_and_box()
    found = candidates(mapped, NAME, box_format="pixel")
    assert len(found) > 20
    for cand, answer in found:
        p1, p2 = [n["args"] for n in cand.get_program() if n["op"] == "point"]
        d1, d2 = depth[int(p1[1]), int(p1[0])], depth[int(p2[1]), int(p2[0])]
        assert abs(d1 - d2) / min(d1, d2) >= 0.10  # the margin
        nearer = p1 if d1 < d2 else p2
        assert list(answer) == (nearer if cand.group == "closer" else (p2 if nearer is p1 else p1))
        for x, y in (p1, p2):  # 5x5 steady: never on the box's edge
            window = depth[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3]
            assert window.shape == (5, 5) and ((window == 1.0).all() or (window > 1.0).all())  # in the image too
    on_box = [c for c, _ in found if any(n["args"] == [40.5, 30.5] or (30 <= n["args"][0] < 50 and 20 <= n["args"][1] < 40)
                                         for n in c.get_program() if n["op"] == "point")]
    assert on_box, "the box, nearer than the floor, is asked about"


def test_answers_are_balanced_between_first_and_second(mapped) -> None:
    runner = SceneRunner([g() for g in select_generators(NAME)], Vocabulary.from_scenes([mapped]))
    firsts = 0
    samples = []
    for seed in range(30):
        runner.seed = seed
        for s in runner.run(mapped):
            samples.append(s)
            p1 = [n for n in s.program if n["op"] == "point"][0]["args"]
            firsts += list(s.answer) == p1 if s.choices is None else 0
    qa_samples = [s for s in samples if s.choices is None]
    assert {s.choices is None for s in samples} == {True, False}  # qa and mc
    assert 0.3 <= firsts / len(qa_samples) <= 0.7


def test_scene_without_a_map_is_skipped_and_a_bad_map_counted(tmp_path: Path, mapped) -> None:
    runner = SceneRunner([g() for g in select_generators(NAME)], Vocabulary.from_scenes([mapped]), raise_errors=False)
    bare = make_scene([{"name": "box", "box": [30, 20, 50, 40]}], width=W, height=H)
    assert runner.run(bare) == []
    assert runner.stats[f"skipped_requirements:{NAME}"] == 1
    np.save(tmp_path / "small.npy", np.ones((10, 10)))
    assert runner.run(scene_with(tmp_path / "small.npy", image_id="s1")) == []
    assert runner.stats[f"failed:{NAME}"] == 1
    assert "small.npy of scene 's1': the map is 10x10, the scene 80x60" in runner.failures[0][1]
    assert runner.run(mapped)  # the next scene goes on


def test_a_relative_map_compares_by_share_of_its_range(tmp_path: Path) -> None:
    """The map flipped and shifted as annotate writes it (max - v of inverse depth): the same
    order; gaps are a share of the map's range, so points 10 % of the range apart are asked."""
    depth = floor_and_box()
    relative = depth - depth.max()  # <= 0 everywhere: read as no depth by "depth"
    np.save(tmp_path / "r.npy", relative)
    found = candidates(scene_with(tmp_path / "r.npy", depth_map_encoding="relative"), NAME, box_format="pixel")
    assert len(found) > 20
    spread = np.percentile(relative, 98) - np.percentile(relative, 2)
    for cand, answer in found:
        p1, p2 = [n["args"] for n in cand.get_program() if n["op"] == "point"]
        d1, d2 = depth[int(p1[1]), int(p1[0])], depth[int(p2[1]), int(p2[0])]
        assert abs(d1 - d2) >= 0.10 * spread
        nearer = p1 if d1 < d2 else p2
        assert list(answer) == (nearer if cand.group == "closer" else (p2 if nearer is p1 else p1))
    np.save(tmp_path / "d.npy", relative)
    assert candidates(scene_with(tmp_path / "d.npy"), NAME) == []  # as "depth": nothing above 0


def boxes_before_a_wall() -> np.ndarray:
    """640x480 depth: a wall at 8 m, twelve boxes of 100x110 px before it (4 x 3), 40-50 px apart,
    at 3 m and 4.5 m in turn."""
    depth = np.full((480, 640), 8.0)
    for k, r in enumerate((40, 190, 340)):
        for j, c in enumerate((40, 190, 340, 490)):
            depth[r:r + 100, c:c + 110] = (3.0, 4.5)[(k + j) % 2]
    return depth


@pytest.mark.parametrize("marks", [False, True])
def test_points_are_not_on_the_ramp_a_depth_model_makes_of_a_step(tmp_path: Path, marks: bool) -> None:
    """Each step blurred over 22 px in inverse depth, as Depth Anything or MiDaS blur it: a point in
    the ramp has a depth of neither surface (between a box at 3 m and the wall at 8 m: 3.5-6.9 m),
    so the order asked may be wrong. (The wall, in gaps of 40-50 px, has no point 22 px or more
    from every step: its points are left out, `surface_scales`' centred square.)"""
    from tests.scene.test_depth_surfaces import blurred

    sharp = boxes_before_a_wall()
    blurry = blurred(sharp, "ramp", 22)
    np.save(tmp_path / "d.npy", blurry)
    scene = make_scene([{"name": "box", "box": [40, 40, 150, 140]}], width=640, height=480,
                       depth_map=str(tmp_path / "d.npy"))
    points = set()
    for seed in range(5):
        for cand, answer in candidates(scene, NAME, seed=seed, box_format="pixel", marks=marks):
            ps = [n["args"][-2:] for n in cand.get_program() if n["op"] in ("point", "marked_point")]
            points.update((int(p[0]), int(p[1])) for p in ps)
            if marks:
                assert answer in ("A", "B")
    assert len(points) > 60
    off = [(x, y, float(blurry[y, x])) for x, y in points if abs(blurry[y, x] - sharp[y, x]) / sharp[y, x] > 0.10]
    assert off == []


def test_small_objects_on_a_sharp_or_lightly_blurred_map_get_points(tmp_path: Path) -> None:
    """Boxes of 10-24 px before a wall: on a sharp map (a sensor's) their points are drawn (the
    surface test takes 4 x 4 squares there: `depth_surfaces.surface_scales`), where a 33 x 33
    square fitted on none of them; blurred over 3 px, squares of 7 (corners) and 7 (centred) px,
    twice and once the blur, where 0.30.0's test (``blur_window: 0``) took 33 px; blurred over 8 px,
    none (squares of 17 px: the boxes' ramps fill them), and no point is off its surface."""
    from tests.scene.test_depth_surfaces import blurred

    sharp = np.full((480, 640), 8.0)
    sizes = (10, 14, 18, 24)
    for k, s in enumerate(sizes * 3):
        r, c = 60 + 140 * (k // len(sizes)), 60 + 140 * (k % len(sizes))
        sharp[r:r + s, c:c + s] = 2.0 + 0.5 * (k % 3)
    for blur, blur_window, wanted in ((0, 1.0, True), (3, 1.0, True), (3, 0.0, False), (8, 1.0, False)):
        depth = sharp.astype(np.float32) if blur == 0 else blurred(sharp, "ramp", blur)
        np.save(tmp_path / "d.npy", depth)
        scene = make_scene([{"name": "box", "box": [40, 40, 150, 140]}], width=640, height=480,
                           depth_map=str(tmp_path / "d.npy"))
        points = set()
        for seed in range(30):
            for cand, _ in candidates(scene, NAME, seed=seed, box_format="pixel", candidate_points=48,
                                      blur_window=blur_window):
                points.update((int(p[0]), int(p[1])) for n in cand.get_program() if n["op"] == "point"
                              for p in [n["args"]])
        on_boxes = [(x, y) for x, y in points if sharp[y, x] < 8.0]
        assert bool(on_boxes) == wanted, (blur, blur_window, len(points))
        assert not [p for p in points if abs(depth[p[1], p[0]] - sharp[p[1], p[0]]) / sharp[p[1], p[0]] > 0.10]


def test_no_point_in_a_box_narrower_than_the_blurs_window(tmp_path: Path) -> None:
    """A map with no big step to measure its blur by (a floor alone) is taken as blurred over half
    the corner radius (16 px of 480): the boxes of 32 px listed may be objects the blur smoothed
    into the floor (`depth_surfaces.in_small_boxes`; the figures in its notes), so no point is
    drawn in them; with ``blur_window: 0`` (0.30.0's test) points are."""
    depth = np.repeat(np.linspace(8.0, 2.0, 480)[:, None], 640, axis=1).astype(np.float32)
    np.save(tmp_path / "d.npy", depth)
    boxes = [[x, y, x + 32, y + 32] for x in (60, 200, 340, 480) for y in (100, 300)]
    scene = make_scene([{"name": "cup", "box": box} for box in boxes], width=640, height=480,
                       depth_map=str(tmp_path / "d.npy"))
    for blur_window in (1.0, 0.0):
        points = set()
        for seed in range(10):
            for cand, _ in candidates(scene, NAME, seed=seed, box_format="pixel", candidate_points=48,
                                      blur_window=blur_window):
                points.update((int(p[0]), int(p[1])) for n in cand.get_program() if n["op"] == "point"
                              for p in [n["args"]])
        inside = [p for p in points if any(x0 <= p[0] < x1 and y0 <= p[1] < y1 for x0, y0, x1, y1 in boxes)]
        assert len(points) > 100 and bool(inside) == (blur_window == 0.0), (blur_window, len(points), len(inside))
