"""`annotate --depth-maps DIR`: the depth model's map of each image written as DIR/IMAGE_ID.npy,
named by its scene relative to the scene file (encoding "relative"), so a run of the annotated
scenes asks depth.map_points questions that verify."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.annotate.test_pipeline import draw_scene, fake_detector
from veriscene import generate, verify
from veriscene.annotate import annotate, annotate_images
from veriscene.cli import app
from veriscene.scene.depth_maps import anchored, load_depth_map
from veriscene.scene.jsonl import scene_from_dict


def floor_depth(image: Image.Image) -> np.ndarray:
    """Smaller = closer, up to a shift (as a model's inverse depth flipped): 0 at the bottom row,
    growing upwards, with the left square nearer than the floor behind it."""
    rows = np.arange(image.height, dtype=np.float64)[::-1, None] * 0.05
    depth = np.repeat(rows, image.width, axis=1)
    depth[20:51, 10:41] = -1.0
    return depth


def test_maps_are_written_named_and_asked_about(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "a" / "one.png")
    out = tmp_path / "scenes" / "scenes.jsonl"
    summary = annotate(tmp_path / "photos", out, detector=fake_detector, depth=floor_depth, depth_maps=tmp_path / "maps")
    (line,) = out.read_bytes().splitlines()
    record = orjson.loads(line)
    assert (summary.scenes_written, summary.objects_written, summary.relations_written, summary.masks_written,
            summary.depth_maps_written) == (1, len(record["objects"]), len(record["relations"]), 0, 1)
    assert record["depth_map"] == "../maps/a/one.npy" and record["meta"]["depth_map_encoding"] == "relative"
    written = np.load(tmp_path / "maps" / "a" / "one.npy")
    assert written.dtype == np.float32 and written.shape == (80, 120)
    np.testing.assert_array_equal(written, floor_depth(Image.new("RGB", (120, 80))).astype(np.float32))
    read = load_depth_map(anchored(scene_from_dict(record), out.parent))  # relative to the scene file
    np.testing.assert_array_equal(read, written)  # (relative: 0 and less are depth too)
    generate(out, tmp_path / "run", generators="depth.map_points.v1")
    samples = (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()
    assert samples and all(orjson.loads(x)["task"] == "depth.map_points.v1" for x in samples)
    assert verify(tmp_path / "run").ok


def test_without_depth_maps_no_map_is_named(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "one.png")
    annotate(tmp_path / "photos", tmp_path / "scenes.jsonl", detector=fake_detector, depth=floor_depth)
    record = orjson.loads((tmp_path / "scenes.jsonl").read_bytes())
    assert record["depth_map"] is None and "depth_map_encoding" not in record["meta"]


def test_depth_maps_need_a_depth_model(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "one.png")
    with pytest.raises(ValueError, match="give a depth model"):
        annotate(tmp_path / "photos", tmp_path / "scenes.jsonl", detector=fake_detector, depth_maps=tmp_path / "maps")
    result = CliRunner().invoke(app, ["annotate", str(tmp_path / "photos"), "--out", str(tmp_path / "s.jsonl"),
                                      "--detector", str(tmp_path), "--depth-maps", str(tmp_path / "maps")])
    assert result.exit_code == 2 and "--depth-maps" in result.output and "--depth too" in result.output


def test_a_run_resumed_with_other_depth_maps_is_refused(tmp_path: Path) -> None:
    draw_scene(tmp_path / "photos" / "one.png")
    out = tmp_path / "scenes.jsonl"
    annotate(tmp_path / "photos", out, detector=fake_detector, depth=floor_depth, depth_maps=tmp_path / "maps")
    with pytest.raises(ValueError, match="cannot resume a different run .*depth_maps"):
        annotate(tmp_path / "photos", out, detector=fake_detector, depth=floor_depth, resume=True)
    annotate(tmp_path / "photos", out, detector=fake_detector, depth=floor_depth, depth_maps=tmp_path / "maps",
             resume=True)  # the same: left as it is


def test_streamed_scenes_name_their_maps_too(tmp_path: Path) -> None:
    """`annotate_images` (the streaming API) takes `depth_maps` as `annotate` and the command do;
    its scenes, written nowhere, name their maps by absolute paths."""
    draw_scene(tmp_path / "photos" / "a" / "one.png")
    (scene,) = annotate_images(tmp_path / "photos", detector=fake_detector, depth=floor_depth,
                               depth_maps=tmp_path / "maps")
    assert scene.depth_map == str(tmp_path / "maps" / "a" / "one.npy")
    assert scene.meta["depth_map_encoding"] == "relative"
    np.testing.assert_array_equal(load_depth_map(scene), floor_depth(Image.new("RGB", (120, 80))).astype(np.float32))
    with pytest.raises(ValueError, match="give a depth model"):
        list(annotate_images(tmp_path / "photos", detector=fake_detector, depth_maps=tmp_path / "maps"))


def test_on_ray_a_maps_folder_a_node_does_not_see_is_refused(tmp_path: Path, local_ray,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The maps are written on the node that runs the depth model: a cluster node without the
    folder (no shared storage; its images may be sent with the parts) would keep them, or fail
    on each image, while the scenes written here name them. Refused before any image."""
    import veriscene.engine.backends as backends

    draw_scene(tmp_path / "photos" / "one.png")
    maps = tmp_path / "maps"
    monkeypatch.setattr(backends, "nodes_without", lambda ray, path: ["c0ffee (node-3)"] if path == str(maps) else [])
    with pytest.raises(RuntimeError, match=r"the depth maps folder .*maps is not on 1 node\(s\) of the Ray cluster "
                                           r"\(c0ffee \(node-3\)\): .* a folder every node shares"):
        annotate(tmp_path / "photos", tmp_path / "scenes.jsonl", detector=fake_detector, depth=floor_depth,
                 depth_maps=maps, backend="ray", workers=2)
    annotate(tmp_path / "photos", tmp_path / "ok.jsonl", detector=fake_detector, depth=floor_depth,
             depth_maps=tmp_path / "shared", backend="ray", workers=2)  # seen by every node: written
    assert (tmp_path / "shared" / "one.npy").is_file()
