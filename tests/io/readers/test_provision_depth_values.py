"""What ProVision's 0-255 depth maps mean, read right: Depth Anything V2's relative inverse depth
stretched per image to 0-255 (provision/annotation/depth_estimation.py), so 0 is the image's
farthest pixel, not a missing one, and only the order and shares of the range mean anything
(encoding "relative_inverse"). Read as "inverse" (1 / v), the farthest pixels were "no depth"
and two far values 20 and 23 of 255 were "15 % apart"."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.generators.helpers import candidates
from veriscene.scene.depth_maps import load_depth_map

from .reader_helpers import read_all

W, H = 96, 64
NAME = "depth.map_points.v1"


def _set(tmp_path: Path, depth: np.ndarray) -> Path:
    """A ProVision folder of one image whose depth stage names `depth` (uint8, H x W)."""
    folder = tmp_path / "set"
    (folder / "depth_masks").mkdir(parents=True)
    np.save(folder / "depth_masks" / "pic_depth.npy", depth)
    (folder / "object-detection-annotations.json").write_text(json.dumps({"pic": {
        "data_path": "/data/pic.jpg", "annotation": {
            "width": W, "height": H, "labels": ["box"], "bboxes": [[64, 8, 90, 56]],
            "depth_mask_id": "pic_depth.npy"}}}))
    return folder


def _bands(*values: int) -> np.ndarray:
    """Vertical bands of the given values, left to right, equally wide."""
    depth = np.zeros((H, W), np.uint8)
    width = W // len(values)
    for k, value in enumerate(values):
        depth[:, k * width:(k + 1) * width] = value
    return depth


def _points(cand) -> list[list[float]]:
    return [n["args"] for n in cand.get_program() if n["op"] == "point"]


def test_zero_is_the_farthest_pixel_and_is_asked_about(tmp_path: Path) -> None:
    (scene,), report = read_all(_set(tmp_path, _bands(0, 120, 255)), "provision")
    assert report.entries == [] and scene.meta["depth_map_encoding"] == "relative_inverse"
    depth = load_depth_map(scene)
    assert np.isfinite(depth).all() and depth[0, 0] == 0 and depth[0, 40] == -120 and depth[0, 90] == -255
    found = candidates(scene, NAME, box_format="pixel")
    on_zero = [(cand, answer) for cand, answer in found if any(p[0] < 32 for p in _points(cand))]
    assert len(on_zero) > 10  # (read as "inverse", 0 was "no depth": the far band never asked about)
    for cand, answer in on_zero:
        far = next(p for p in _points(cand) if p[0] < 32)
        assert (list(answer) == far) == (cand.group == "farther")  # the far band: the farther point


def test_two_far_values_a_few_levels_apart_are_not_asked_as_ordered(tmp_path: Path) -> None:
    """20 and 23 of 255 differ by 1.3 % of the map's range, within a model's error: never asked
    (read as "inverse", 1/20 and 1/23 were 15 % apart, and such pairs were asked)."""
    (scene,), _ = read_all(_set(tmp_path, _bands(20, 23, 255)), "provision")
    found = candidates(scene, NAME, box_format="pixel")
    assert found  # the near band against either far one
    for cand, _ in found:
        assert sum(p[0] < 64 for p in _points(cand)) == 1  # one point of the far bands, never both
