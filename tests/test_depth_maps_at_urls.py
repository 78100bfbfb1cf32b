"""Dense depth maps named by URL, end to end (depth.map_points.v1): a scene file read from a URL
(``memory://``, standing for object storage as in tests/engine/test_fetch.py; S3 against moto's
local server; HTTP from a local server) names its maps relative to its folder there, or a map's
path is a URL itself. They are read as images at URLs are (their local copies, downloaded again
only when the object changes) by generate and verify, and a map missing there is a reject naming
the scene and the URL."""

from __future__ import annotations

import functools
import http.server
import io
import sys
import threading
from pathlib import Path

import numpy as np
import orjson
import pytest

from tests.engine.test_remote import s3, s3_server  # noqa: F401  (fixtures: moto's S3 server)
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


def npy(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, values)
    return buffer.getvalue()


def scenes(maps: list[str]) -> list[Scene]:
    return [Scene.from_objects(f"s{k}", W, H, [{"name": "box", "box": [5 + 5 * k, 10, 25 + 5 * k, 30]}],
                               depth_map=path) for k, path in enumerate(maps)]


def answers(run: Path) -> list[tuple[str, str, str]]:
    return sorted((r["images"][0]["id"], r["question"], str(r["answer"]))
                  for r in map(orjson.loads, (run / "samples.jsonl").read_bytes().splitlines()))


@pytest.fixture
def local_run(tmp_path: Path) -> Path:
    """The same scenes and maps read from local files: the samples a URL must give."""
    folder = tmp_path / "local"
    (folder / "maps").mkdir(parents=True)
    for k in range(3):
        np.save(folder / "maps" / f"s{k}.npy", floor_and_box(k))
    write_scenes(scenes([f"maps/s{k}.npy" for k in range(3)]), folder / "scenes.jsonl")
    summary = generate(folder / "scenes.jsonl", tmp_path / "local-run", seed=1, generators=NAME)
    assert summary.samples > 0 and summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    return tmp_path / "local-run"


@pytest.fixture
def store(tmp_path: Path, memory, monkeypatch: pytest.MonkeyPatch):
    # memory:// lives in this process, and these variables are this test's: local workers fork from
    # it (a forkserver started by an earlier test, as once torch is imported, has neither)
    monkeypatch.setenv("VERISCENE_START_METHOD", "fork")
    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "downloads"))
    monkeypatch.setenv("VERISCENE_STAGING", str(tmp_path / "staging"))
    monkeypatch.chdir(tmp_path)
    return memory


@pytest.mark.parametrize("workers", [1, 2])
def test_a_scene_file_at_a_url_reads_its_maps_there(tmp_path: Path, store, local_run: Path, workers: int) -> None:
    for k in range(3):
        store.pipe_file(f"/data/maps/s{k}.npy", npy(floor_and_box(k)))
    write_scenes(scenes([f"maps/s{k}.npy" for k in range(3)]), tmp_path / "scenes.jsonl")
    store.pipe_file("/data/scenes.jsonl", (tmp_path / "scenes.jsonl").read_bytes())
    np.save(tmp_path / "maps.npy", floor_and_box(0))  # (nothing of that name is read here)
    summary = generate("memory://data/scenes.jsonl", tmp_path / "run", seed=1, generators=NAME, workers=workers)
    assert summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    assert answers(tmp_path / "run") == answers(local_run)
    # verify reads the run's input through its local copy, and the maps at the copy's URL
    report = verify(tmp_path / "run", workers=workers)
    assert report.ok and report.verified == report.samples == summary.samples
    store.pipe_file("/data/maps/s1.npy", npy(10.0 - floor_and_box(1)))  # replaced: downloaded again
    changed = verify(tmp_path / "run", workers=workers)
    assert not changed.ok and changed.mismatches == sum(1 for a in answers(tmp_path / "run") if a[0] == "s1") > 0


def test_scenes_at_a_url_converted_keep_their_maps_there(tmp_path: Path, store, local_run: Path) -> None:
    # reader options convert the scene file into the run folder: its relative maps become URLs
    for k in range(3):
        store.pipe_file(f"/data/maps/s{k}.npy", npy(floor_and_box(k)))
    write_scenes(scenes([f"maps/s{k}.npy" for k in range(3)]), tmp_path / "scenes.jsonl")
    store.pipe_file("/data/scenes.jsonl", (tmp_path / "scenes.jsonl").read_bytes())
    summary = generate("memory://data/scenes.jsonl", tmp_path / "run", seed=1, generators=NAME,
                       reader_options={"sparse": False})
    assert summary.generator_stats.get(f"failed:{NAME}", 0) == 0 and summary.samples > 0
    converted = [orjson.loads(x) for x in (tmp_path / "run" / "scenes.jsonl").read_bytes().splitlines()]
    assert [c["depth_map"] for c in converted] == [f"memory://data/maps/s{k}.npy" for k in range(3)]
    assert verify(tmp_path / "run").ok


def test_a_map_named_by_url_in_a_local_scene_file_and_one_missing_there(tmp_path: Path, store) -> None:
    store.pipe_file("/maps/s0.npy", npy(floor_and_box(0)))
    write_scenes(scenes(["memory://maps/s0.npy", "memory://maps/gone.npy"]), tmp_path / "scenes.jsonl")
    summary = generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    assert {a[0] for a in answers(tmp_path / "run")} == {"s0"}
    assert summary.generator_stats[f"failed:{NAME}"] == 1
    (reject,) = [orjson.loads(x) for x in (tmp_path / "run" / "rejects.jsonl").read_bytes().splitlines()]
    assert "depth map memory://maps/gone.npy of scene 's1': no such file at the URL" in reject["reason"]
    assert verify(tmp_path / "run").ok


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_folder(tmp_path: Path):
    """(a folder, the URL of a local HTTP server serving it)."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_maps_at_http_urls(tmp_path: Path, http_folder, local_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("aiohttp")  # fsspec's HTTP file system
    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "downloads"))
    folder, url = http_folder
    (folder / "maps").mkdir()
    for k in range(3):
        np.save(folder / "maps" / f"s{k}.npy", floor_and_box(k))
    write_scenes(scenes([f"{url}/maps/s{k}.npy" for k in range(3)]), tmp_path / "scenes.jsonl")
    summary = generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    assert summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    assert answers(tmp_path / "run") == answers(local_run)
    assert verify(tmp_path / "run").ok
    # the scene file served too, its maps relative to it
    monkeypatch.setenv("VERISCENE_STAGING", str(tmp_path / "staging"))
    write_scenes(scenes([f"maps/s{k}.npy" for k in range(3)]), folder / "scenes.jsonl")
    summary = generate(f"{url}/scenes.jsonl", tmp_path / "run-served", seed=1, generators=NAME)
    assert summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    assert answers(tmp_path / "run-served") == answers(local_run)
    assert verify(tmp_path / "run-served").ok


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a forkserver is a Linux start method")
def test_a_downloads_folder_set_after_a_forkserver_started_is_its_workers(tmp_path: Path, http_folder,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a notebook: a first run with two workers starts the forkserver, whose environment is
    fixed then; `VERISCENE_DOWNLOADS` set since is where the next run's workers keep the maps
    (`engine.task_settings`), not the folder of the forkserver's start."""
    pytest.importorskip("aiohttp")  # fsspec's HTTP file system
    monkeypatch.setenv("VERISCENE_START_METHOD", "forkserver")
    folder, url = http_folder
    (folder / "maps").mkdir()
    for k in range(4):
        np.save(folder / "maps" / f"s{k}.npy", floor_and_box(k % 3))
    write_scenes(scenes([f"{url}/maps/s{k}.npy" for k in range(4)]), tmp_path / "scenes.jsonl")

    def kept(downloads: Path) -> list[str]:
        return sorted(path.name for path in downloads.rglob("*.npy"))

    for name in ("first", "then"):
        monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / name))
        summary = generate(tmp_path / "scenes.jsonl", tmp_path / f"run-{name}", seed=1, generators=NAME, workers=2,
                           shard_size=2)
        assert summary.samples > 0 and summary.generator_stats.get(f"failed:{NAME}", 0) == 0
        assert kept(tmp_path / name) == [f"s{k}.npy" for k in range(4)]


def test_a_scene_file_on_s3_reads_its_maps_there(tmp_path: Path, s3, local_run: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, client = s3
    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "downloads"))
    monkeypatch.setenv("VERISCENE_STAGING", str(tmp_path / "staging"))
    for k in range(3):
        client.put_object(Bucket="runs", Key=f"dm/maps/s{k}.npy", Body=npy(floor_and_box(k)))
    write_scenes(scenes([f"maps/s{k}.npy" for k in range(3)]), tmp_path / "scenes.jsonl")
    client.put_object(Bucket="runs", Key="dm/scenes.jsonl", Body=(tmp_path / "scenes.jsonl").read_bytes())
    summary = generate("s3://runs/dm/scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    assert summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    assert answers(tmp_path / "run") == answers(local_run)
    assert verify(tmp_path / "run").ok


def test_a_scene_s_map_at_a_url_is_asked_for_once_in_a_run(tmp_path: Path, store, monkeypatch) -> None:
    # the generator reads the map whole, its programs' ops a pixel at a time: from the map read,
    # not from the store again (each read asks the store whether the object changed)
    from veriscene.engine import downloads

    asked: list[str] = []
    fetch = downloads.fetch_file
    monkeypatch.setattr(downloads, "fetch_file", lambda url, *a, **k: asked.append(url) or fetch(url, *a, **k))
    for k in range(3):
        store.pipe_file(f"/data/maps/s{k}.npy", npy(floor_and_box(k)))
    write_scenes(scenes([f"memory://data/maps/s{k}.npy" for k in range(3)]), tmp_path / "scenes.jsonl")
    summary = generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME, workers=1)
    assert summary.samples > 0 and sorted(asked) == [f"memory://data/maps/s{k}.npy" for k in range(3)]


def test_a_provision_folder_at_a_url_names_its_depth_maps_by_url(tmp_path: Path, store) -> None:
    # converted through the folder's local copy (`engine.fetch`): the scene named the map by its
    # place in the downloads cache, a path of this machine only; now by its URL
    from tests.io.readers.test_provision_depth_turned import STORED_BOXES, H as PH, W as PW, _set
    from veriscene.io.convert import convert

    folder = _set(tmp_path / "made", None, (PW, PH), STORED_BOXES)
    for path in folder.rglob("*"):
        if path.is_file():
            store.pipe_file(f"/prov/{path.relative_to(folder).as_posix()}", path.read_bytes())
    convert("memory://prov/", tmp_path / "scenes.jsonl", from_format="provision")
    (scene,) = [orjson.loads(x) for x in (tmp_path / "scenes.jsonl").read_bytes().splitlines()]
    assert scene["depth_map"] == scene["meta"]["source_depth_map"]["path"] == "memory://prov/depth_masks/pic_depth.npy"
    summary = generate(tmp_path / "scenes.jsonl", tmp_path / "run", seed=1, generators=NAME)
    assert summary.samples > 0 and summary.generator_stats.get(f"failed:{NAME}", 0) == 0
    assert verify(tmp_path / "run").ok
