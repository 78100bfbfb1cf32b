"""A run over scenes with dense depth maps (depth.map_points.v1), end to end: maps named relative
to the scene file's folder are found from any working directory, a missing map is counted and
said while the other scenes go on, verify passes, and fails once a map file is changed."""

from pathlib import Path

import numpy as np
import orjson
import pytest

from veriscene import generate, verify
from veriscene.scene import write_scenes
from veriscene.scene.model import Scene

W, H = 64, 48
NAME = "depth.map_points.v1"


def floor_and_box(k: int) -> np.ndarray:
    """A floor from 2 m (bottom) to 6 m (top) and a box at 1 m, placed by `k`."""
    depth = np.repeat((6.0 - 4.0 * np.arange(H) / (H - 1))[:, None], W, axis=1)
    depth[10:30, 5 + 5 * k:25 + 5 * k] = 1.0
    return depth.astype(np.float32)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    data = tmp_path / "data"
    (data / "maps").mkdir(parents=True)
    scenes = []
    for k in range(4):
        if k != 2:  # s2's map is missing
            np.save(data / "maps" / f"s{k}.npy", floor_and_box(k))
        scenes.append(Scene.from_objects(f"s{k}", W, H, [{"name": "box", "box": [5 + 5 * k, 10, 25 + 5 * k, 30]}],
                                         depth_map=f"maps/s{k}.npy"))
    write_scenes(scenes, data / "scenes.jsonl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # relative map paths are read from the scene file's folder, not the cwd
    summary = generate(data / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    return tmp_path / "run", data, summary


def test_missing_map_is_counted_and_the_others_go_on(run) -> None:
    out, data, summary = run
    records = [orjson.loads(x) for x in (out / "samples.jsonl").read_bytes().splitlines()]
    assert {r["images"][0]["id"] for r in records} == {"s0", "s1", "s3"}
    assert {r["task"] for r in records} == {NAME}
    assert summary.generator_stats[f"failed:{NAME}"] == 1
    rejects = [orjson.loads(x) for x in (out / "rejects.jsonl").read_bytes().splitlines()]
    assert len(rejects) == 1 and rejects[0]["level"] == "generator" and rejects[0]["field"] == NAME
    assert f"depth map {data / 'maps' / 's2.npy'} of scene 's2': no such file" in rejects[0]["reason"]


@pytest.mark.parametrize("workers", [1, 2])
def test_verify_passes_and_fails_once_a_map_is_changed(run, workers) -> None:
    out, data, _ = run
    report = verify(out, workers=workers)
    assert report.ok and report.verified == report.samples > 0
    np.save(data / "maps" / "s1.npy", 10.0 - floor_and_box(1))  # the order of every pair reversed
    changed = verify(out, workers=workers)
    assert not changed.ok
    assert changed.mismatches == sum(1 for x in (out / "samples.jsonl").read_bytes().splitlines()
                                     if orjson.loads(x)["images"][0]["id"] == "s1") > 0
    (data / "maps" / "s1.npy").unlink()
    gone = verify(out, workers=workers)
    assert {p.kind for p in gone.problems} == {"program_error"}
    assert all("s1.npy of scene 's1': no such file" in p.detail for p in gone.problems)


@pytest.mark.parametrize("workers", [1, 2])
def test_scene_files_in_two_folders_each_read_their_own_maps(tmp_path: Path, workers) -> None:
    files = []
    for k, folder in enumerate(("a", "b")):
        (tmp_path / folder).mkdir()
        np.save(tmp_path / folder / "map.npy", floor_and_box(k))  # the same name, another map
        scene = Scene.from_objects(f"s{k}", W, H, [{"name": "box", "box": [5 + 5 * k, 10, 25 + 5 * k, 30]}],
                                   depth_map="map.npy")
        write_scenes([scene], tmp_path / folder / "scenes.jsonl")
        files.append(tmp_path / folder / "scenes.jsonl")
    summary = generate(files, tmp_path / "run", seed=1, generators=NAME)
    assert summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    assert verify(tmp_path / "run", workers=workers).ok
    np.save(tmp_path / "b" / "map.npy", 10.0 - floor_and_box(1))
    report = verify(tmp_path / "run", workers=workers)
    assert report.mismatches > 0
    lines = (tmp_path / "run" / "samples.jsonl").read_bytes().splitlines()
    bad_ids = {orjson.loads(lines[p.line - 1])["images"][0]["id"] for p in report.problems}
    assert bad_ids == {"s1"}


def test_scenes_read_with_reader_options_keep_their_maps(run) -> None:
    """veriscene JSONL given -r options is converted into the run folder: its relative map paths
    move with it (as image paths do), so the run asks the same questions."""
    _, data, _ = run
    out = data.parent / "run_sparse"
    summary = generate(data / "scenes.jsonl", out, seed=1, generators=NAME, reader_options={"sparse": False})
    assert summary.generator_stats[f"failed:{NAME}"] == 1  # s2's map, missing as before
    converted = [orjson.loads(x) for x in (out / "scenes.jsonl").read_bytes().splitlines()]
    assert converted[0]["depth_map"] == "../data/maps/s0.npy"
    assert verify(out).ok and verify(out).verified > 0


def test_a_png_map_over_the_pixel_limit_is_a_problem_not_a_crash(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A 16-bit PNG map over twice the decompression-bomb limit (set lower after the run): verify
    reports each sample of it as a program_error naming the file, instead of dying on Pillow's
    DecompressionBombError."""
    from PIL import Image

    Image.fromarray((floor_and_box(0) * 1000).astype(np.uint16)).save(tmp_path / "s0.png")
    write_scenes([Scene.from_objects("s0", W, H, [{"name": "box", "box": [5, 10, 25, 30]}], depth_map="s0.png")],
                 tmp_path / "scenes.jsonl")
    generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the map is 3,072 pixels
    report = verify(tmp_path / "run")
    assert report.samples > 0 and len(report.problems) == report.samples
    assert {p.kind for p in report.problems} == {"program_error"}
    assert all("s0.png of scene 's0': over twice Pillow's decompression-bomb limit" in p.detail for p in report.problems)
