"""What the scenes written hold, summed (`io.contents.Contents`), as convert and annotate say it."""

from __future__ import annotations

from pathlib import Path

from veriscene.io.contents import Contents
from veriscene.scene.compressed import create_scene_file
from veriscene.scene.jsonl import dumps_scenes
from veriscene.scene.model import Scene

RLE = {"size": [40, 50], "counts": "PP?0"}


def scenes() -> list[Scene]:
    plain = Scene.from_objects("a", 50, 40, [{"name": "cup", "box": [0, 0, 5, 5]}, {"name": "dog", "box": [9, 9, 20, 20]}],
                               relations=[(0, "left of", 1), (1, "right of", 0)])
    masked = Scene.from_objects("b", 50, 40, [{"name": "cat", "box": [0, 0, 5, 5], "mask": RLE}], depth_map="b.npy")
    empty = Scene.from_objects("c", 50, 40, [])
    return [plain, masked, empty]


def test_scenes_and_their_lines_are_counted_alike(tmp_path: Path) -> None:
    counted = Contents()
    for scene in scenes():
        counted.add(scene)
    assert counted == Contents(objects=3, relations=2, masks=1, depth_maps=1)
    path = tmp_path / "scenes.jsonl.gz"
    with create_scene_file(path, "gzip", name=path.name) as fh:
        for line in dumps_scenes(scenes()):
            fh.write(line + b"\n")
    assert Contents.of_file(path) == counted


def test_a_line_that_is_no_scene_counts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b'{"objects": [{"name": "a"}], "relations": []}\nnot json\n[1, 2]\n\n')
    assert Contents.of_file(path) == Contents(objects=1)
