"""Visual Genome scene graphs without sizes (its scene_graphs.json holds none) and no
image_data.json: the reject names image_data.json, the file that gives them, before the options
every reader takes (image_root, image_size)."""

from __future__ import annotations

from pathlib import Path

from .reader_helpers import read_all, write_json
from .test_read_visual_genome import IMAGE_DATA, SCENE_GRAPHS


def test_missing_sizes_name_image_data(tmp_path: Path) -> None:
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS)
    scenes, report = read_all(path, "visual_genome")
    assert scenes == [] and report.total == 2
    reason = report.entries[0].reason
    assert "no image_data.json was found beside the file nor given" in reason
    assert "-r image_data=FILE" in reason and "image_root=DIR" in reason
    assert report.entries[0].field == "width"


def test_with_image_data_beside_it_the_sizes_are_read(tmp_path: Path) -> None:
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS)
    write_json(tmp_path / "image_data.json", IMAGE_DATA)
    scenes, report = read_all(path, "visual_genome")
    assert [(s.width, s.height) for s in scenes] == [(100, 100), (100, 50)] and report.total == 0


def test_an_image_size_still_serves(tmp_path: Path) -> None:
    path = write_json(tmp_path / "scene_graphs.json", SCENE_GRAPHS)
    scenes, report = read_all(path, "visual_genome", image_size=(120, 100))
    assert len(scenes) == 2 and report.total == 0
