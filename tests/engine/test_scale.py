"""Engine at scale: identical output for any worker count, backend and resume; clear refusals."""

import importlib
import os
import signal
import subprocess
import sys
import time

import orjson
import pytest

from veriscene import generate, verify
from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.manifest import ResumeMismatchError, RunExistsError
from veriscene.scene import write_scenes


@pytest.fixture(scope="module")
def scenes_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "scenes.jsonl"
    write_scenes(iter_scene_graphs(30, seed=9), path)
    return path


@pytest.fixture(scope="module")
def reference(scenes_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    generate(scenes_file, out, seed=1, shard_size=4)
    return (out / "samples.jsonl").read_bytes()


def test_two_workers_give_identical_bytes(scenes_file, reference, tmp_path) -> None:
    summary = generate(scenes_file, tmp_path, seed=1, shard_size=4, workers=2)
    assert (tmp_path / "samples.jsonl").read_bytes() == reference
    assert summary.samples == reference.count(b"\n")
    assert summary.worker_peak_memory_mb > 20  # as the workers' shards reported it


def test_shard_size_does_not_change_samples(scenes_file, reference, tmp_path) -> None:
    summary = generate(scenes_file, tmp_path, seed=1, shard_size=13)
    assert (tmp_path / "samples.jsonl").read_bytes() == reference
    assert summary.worker_peak_memory_mb == 0.0 and summary.peak_memory_mb > 20  # in this process alone


def test_hash_seed_does_not_matter(scenes_file, reference, tmp_path_factory) -> None:
    code = (
        "import sys; from veriscene import generate; "
        "generate(sys.argv[1], sys.argv[2], seed=1, shard_size=4, overwrite=True)"
    )
    for hash_seed in ("0", "12345"):
        out = tmp_path_factory.mktemp(f"h{hash_seed}")  # same depth as the reference: image paths are relative
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", code, str(scenes_file), str(out)], check=True, env=env)
        assert (out / "samples.jsonl").read_bytes() == reference


@pytest.mark.parametrize("shard_format", ["zstd", "parquet"])
def test_kept_shards_round_trip(scenes_file, reference, tmp_path, shard_format) -> None:
    from veriscene.engine.runfiles import iter_sample_lines

    generate(scenes_file, tmp_path, seed=1, shard_size=4, shard_format=shard_format)
    assert not (tmp_path / "samples.jsonl").exists()
    assert b"".join(iter_sample_lines(tmp_path)) == reference
    assert verify(tmp_path).ok
    # every consumer reads a run kept as shards like a samples.jsonl run
    from veriscene.io.export import export
    from veriscene.stats import stats

    assert stats(tmp_path).samples == reference.count(b"\n")
    assert export(tmp_path, tmp_path / "export" / "llava.json", to="llava").samples_written == reference.count(b"\n")


def test_a_finished_zstd_run_resumed_does_nothing(scenes_file, tmp_path, monkeypatch) -> None:
    engine = importlib.import_module("veriscene.engine.generate")  # the module (the package exports the function)
    first = generate(scenes_file, tmp_path, seed=1, shard_size=4, shard_format="zstd")
    manifest = (tmp_path / "manifest.json").read_bytes()

    def no_scan(*args, **kwargs):
        raise AssertionError("a finished run was scanned again")

    with monkeypatch.context() as patched:
        patched.setattr(engine, "scan_scenes", no_scan)
        again = generate(scenes_file, tmp_path, seed=1, shard_size=4, shard_format="zstd", resume=True)
    assert again.per_task == first.per_task and again.samples == first.samples
    assert (tmp_path / "manifest.json").read_bytes() == manifest  # not rewritten
    # a shard lost from a finished run is made again on resume, and only it
    lost = tmp_path / "shards" / "shard-00003.jsonl.zst"
    data = lost.read_bytes()
    lost.unlink()
    generate(scenes_file, tmp_path, seed=1, shard_size=4, shard_format="zstd", resume=True)
    assert lost.read_bytes() == data and verify(tmp_path).ok


def test_existing_run_needs_resume_or_overwrite(scenes_file, tmp_path) -> None:
    generate(scenes_file, tmp_path, seed=1)
    with pytest.raises(RunExistsError, match="pass resume=True to complete it or overwrite=True to replace it"):
        generate(scenes_file, tmp_path, seed=1)
    again = generate(scenes_file, tmp_path, seed=1, resume=True)  # complete: nothing to do
    assert again.samples > 0
    with pytest.raises(ResumeMismatchError, match="seed: 1 -> 2"):
        generate(scenes_file, tmp_path, seed=2, resume=True)
    generate(scenes_file, tmp_path, seed=2, overwrite=True)


def test_resume_refuses_changed_input(scenes_file, tmp_path) -> None:  # noqa: D103
    copy = tmp_path / "in.jsonl"
    copy.write_bytes(scenes_file.read_bytes())
    out = tmp_path / "out"
    generate(copy, out, seed=1)
    copy.write_bytes(scenes_file.read_bytes().split(b"\n", 1)[1])
    with pytest.raises(ResumeMismatchError, match="sha256"):
        generate(copy, out, seed=1, resume=True)


_KILLABLE = """
import sys, time
import veriscene.engine.shards as shards
from veriscene import generate
real = shards.write_shard
def slow(*a, **k):
    out = real(*a, **k)
    time.sleep(0.05)
    return out
shards.write_shard = slow
import veriscene.engine.generate as g
g.write_shard = slow
generate(sys.argv[1], sys.argv[2], seed=1, shard_size=4, resume=sys.argv[3] == "1")
"""


def _kill_when(out, finished_shards: int, timeout: float = 60.0) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _KILLABLE, str(SCENES[0]), str(out), "0"])
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        shards = out / "shards"
        if finished_shards == 0 or (shards.exists() and len(list(shards.glob("*.json"))) >= finished_shards):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc


SCENES: list = []


@pytest.mark.parametrize("finished_shards", [0, 2, 7])
def test_kill_9_then_resume_is_identical(scenes_file, reference, tmp_path, finished_shards) -> None:
    """Killed with SIGKILL at several points (before the manifest, between shards, mid-run), then
    resumed: the result is byte-identical to an uninterrupted run."""
    SCENES[:] = [scenes_file]
    out = tmp_path  # same depth as the reference run: sample image paths are relative to it
    _kill_when(out, finished_shards)
    subprocess.run([sys.executable, "-c", _KILLABLE, str(scenes_file), str(out), "1"], check=True)
    assert (out / "samples.jsonl").read_bytes() == reference
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["status"] == "complete" and manifest["counts"]["samples"] == reference.count(b"\n")


def _compressed(scenes_file, kind: str):
    """A compressed copy beside the scene file (sample image paths are relative to its folder)."""
    from veriscene.scene.compressed import create_scene_file

    path = scenes_file.with_name(scenes_file.name + {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}[kind])
    if not path.exists():
        with create_scene_file(path) as fh:
            fh.write(scenes_file.read_bytes())
    return path


@pytest.mark.parametrize("kind", ["gzip", "zstd", "bz2", "xz"])
def test_compressed_input_gives_identical_bytes(scenes_file, reference, tmp_path, kind) -> None:
    packed = _compressed(scenes_file, kind)
    assert packed.stat().st_size < scenes_file.stat().st_size / 4
    summary = generate(packed, tmp_path, seed=1, shard_size=4, workers=2, scan_chunk=20_000)
    assert (tmp_path / "samples.jsonl").read_bytes() == reference and summary.scenes == 30
    manifest = orjson.loads((tmp_path / "manifest.json").read_bytes())
    from veriscene.engine.manifest import file_sha256

    assert manifest["config"]["scenes"]["path"].endswith(packed.name)
    assert manifest["config"]["scenes"]["sha256"] == file_sha256(packed)  # of the file as stored
    report = verify(tmp_path)  # finds the scenes in the compressed file (copied aside to seek in)
    assert report.ok and report.verified == summary.samples


def test_kill_9_then_resume_compressed_input(scenes_file, reference, tmp_path) -> None:
    """Resuming reads on past the finished shards of a file that cannot be seeked in."""
    SCENES[:] = [_compressed(scenes_file, "gzip")]
    _kill_when(tmp_path, 3)
    assert 3 <= len(list((tmp_path / "shards").glob("*.json"))) < 8
    subprocess.run([sys.executable, "-c", _KILLABLE, str(SCENES[0]), str(tmp_path), "1"], check=True)
    assert (tmp_path / "samples.jsonl").read_bytes() == reference


def test_truncated_compressed_input_stops_the_run_naming_the_file(scenes_file, tmp_path) -> None:
    from veriscene.scene.compressed import CompressedFileError

    whole = _compressed(scenes_file, "xz").read_bytes()
    broken = tmp_path / "in" / "scenes.jsonl.xz"
    broken.parent.mkdir()
    broken.write_bytes(whole[: len(whole) * 2 // 3])
    with pytest.raises(CompressedFileError, match=rf"{broken}: cannot read the xz-compressed scene file to its end") as caught:
        generate(broken, tmp_path / "out", workers=2, scan_chunk=20_000)
    assert not (tmp_path / "out" / "samples.jsonl").exists() and not list((tmp_path / "out").glob("shards/*"))
    # how far it was read: the lines of the plain file before the cut, and the one it cuts off
    damage, plain = caught.value.damage, scenes_file.read_bytes()
    assert (damage.offset, damage.size) == (len(whole) * 2 // 3, len(whole) * 2 // 3)
    assert 0 < damage.produced < len(plain) and damage.lines == plain[: damage.produced].count(b"\n")
    assert damage.partial == damage.produced - plain.rfind(b"\n", 0, damage.produced) - 1 > 0
    assert (f"after {damage.produced:,} decompressed bytes: {damage.lines:,} complete lines, then line "
            f"{damage.lines + 1:,} cut off after {damage.partial:,} bytes") in str(caught.value)


def test_duplicate_image_ids_are_rejected_once(tmp_path) -> None:
    scenes = list(iter_scene_graphs(3, seed=0))
    path = tmp_path / "dup.jsonl"
    write_scenes(scenes + [scenes[1]], path)
    summary = generate(path, tmp_path / "out")
    assert summary.scenes == 3 and summary.rejects["rejected"] == 1
    (reject,) = [orjson.loads(l) for l in (tmp_path / "out" / "rejects.jsonl").read_bytes().splitlines()]
    assert reject["record"] == 4 and "first seen on line 2" in reject["reason"]


def test_duplicate_lines_many_repeats_blank_and_unreadable_lines(tmp_path) -> None:
    from veriscene.engine.scan import duplicate_lines, scan_scenes
    from veriscene.scene.jsonl import dumps_scene

    a, b = iter_scene_graphs(2, seed=5)
    lines = [dumps_scene(a), b"", dumps_scene(b), dumps_scene(a), b"not json", dumps_scene(a), b"not json", dumps_scene(b)]
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    found = duplicate_lines(scan_scenes(path))
    assert found == {
        4: "duplicate image_id (first seen on line 1)",
        6: "duplicate image_id (first seen on line 1)",
        8: "duplicate image_id (first seen on line 3)",
    }


def test_scan_reads_any_scene_range_with_its_line_numbers(tmp_path) -> None:
    """Scenes are found from sparse checkpoints: every range, across checkpoints and blank
    lines, reads the same lines with the same line numbers as a plain enumeration."""
    from veriscene.engine.scan import STRIDE, scan_scenes
    from veriscene.scene.jsonl import dumps_scene

    base = [dumps_scene(s) for s in iter_scene_graphs(5, seed=6)]
    raw: list[bytes] = []
    for k in range(3 * STRIDE + 7):
        line = base[k % 5].replace(b'"image_id":"', f'"image_id":"{k}-'.encode(), 1)
        raw += [b"", b"  "] * (k % 29 == 3) + [line]
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"\n".join(raw))  # no newline after the last line
    expected = [(n, line) for n, line in enumerate(raw, start=1) if line.strip()]
    scan = scan_scenes(path)
    assert scan.scenes == len(expected) == 3 * STRIDE + 7
    with open(path, "rb") as fh:
        for start, end in [(0, 1), (0, len(expected)), (STRIDE - 1, STRIDE + 1), (70, 150), (len(expected) - 1, len(expected))]:
            assert scan.read(fh, start, end) == expected[start:end]
    assert [scan.line_number(k) for k in range(len(expected))] == [n for n, _ in expected]


# ---- several files read as one input --------------------------------------------------------


def _parts(scenes_file):
    """The scene file cut into 3 files beside it (image paths are relative to their folder): plain
    without a final line end, gzip, zstd; then the same for a folder run, in a folder of its own."""
    from veriscene.scene.compressed import create_scene_file

    lines = scenes_file.read_bytes().splitlines(keepends=True)
    cuts = [(0, 11, "parts-0.jsonl"), (11, 23, "parts-1.jsonl.gz"), (23, 30, "parts-2.jsonl.zst")]
    paths = []
    for first, last, name in cuts:
        path = scenes_file.with_name(name)
        if not path.exists():
            data = b"".join(lines[first:last])
            with create_scene_file(path) as fh:
                fh.write(data.rstrip(b"\n") if first == 0 else data)
        paths.append(path)
    return paths


@pytest.mark.parametrize("workers", [1, 2])
def test_several_files_give_the_samples_of_their_concatenation(scenes_file, reference, tmp_path, workers) -> None:
    from veriscene.engine.manifest import file_sha256, scene_inputs

    parts = _parts(scenes_file)
    # chunks of the first pass cross the files' bounds
    summary = generate(parts, tmp_path, seed=1, shard_size=4, workers=workers, scan_chunk=20_000)
    assert (tmp_path / "samples.jsonl").read_bytes() == reference and summary.scenes == 30
    inputs = scene_inputs(orjson.loads((tmp_path / "manifest.json").read_bytes())["config"])
    assert [os.path.basename(i["path"]) for i in inputs] == [p.name for p in parts]
    assert [i["sha256"] for i in inputs] == [file_sha256(p) for p in parts]
    report = verify(tmp_path)  # finds every scene in the files the manifest names
    assert report.ok and report.verified == summary.samples
    # the same files as a glob pattern
    generate(str(scenes_file.parent / "parts-*"), tmp_path / "glob", seed=1, shard_size=7)
    assert (tmp_path / "glob" / "samples.jsonl").read_bytes().count(b"\n") == summary.samples


def test_kill_9_then_resume_several_files(scenes_file, reference, tmp_path) -> None:
    _parts(scenes_file)
    SCENES[:] = [scenes_file.parent / "parts-*"]  # a glob pattern, expanded by generate
    _kill_when(tmp_path, 3)
    assert 3 <= len(list((tmp_path / "shards").glob("*.json"))) < 8
    subprocess.run([sys.executable, "-c", _KILLABLE, str(SCENES[0]), str(tmp_path), "1"], check=True)
    assert (tmp_path / "samples.jsonl").read_bytes() == reference


def test_resume_refuses_another_set_of_files(scenes_file, tmp_path) -> None:
    parts = _parts(scenes_file)
    generate(parts[:2], tmp_path, seed=1)
    with pytest.raises(ResumeMismatchError, match="scenes"):
        generate(parts, tmp_path, seed=1, resume=True)
    with pytest.raises(ResumeMismatchError, match="scenes"):
        generate(parts[1::-1], tmp_path, seed=1, resume=True)  # another order is another input
    generate(parts[:2], tmp_path, seed=1, resume=True)  # the same: nothing to do


def test_annotations_read_as_scenes_are_named_with_the_way_to_convert_them(tmp_path) -> None:
    import gzip

    coco = {"images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}], "annotations": [],
            "categories": [{"id": 1, "name": "cat"}]}
    packed = tmp_path / "instances_val.json.gz"
    packed.write_bytes(gzip.compress(orjson.dumps(coco)))
    with pytest.raises(ValueError) as refused:  # before the run (tests/engine/test_input_format_first.py)
        generate(packed, tmp_path / "run", seed=1)
    assert str(refused.value) == (f"{packed}: not veriscene scene JSONL; it looks like coco annotations (COCO key "
                                  "'categories' (gzip-compressed)): pass from_format='auto' (or from_format='coco') to "
                                  "convert it")
    assert not (tmp_path / "run").exists()
    converted = generate(packed, tmp_path / "converted", seed=1, from_format="auto")
    assert converted.scenes == 1 and not any("looks like" in note for note in converted.notes)


def test_a_folder_of_scene_files_is_read_in_name_order(tmp_path) -> None:
    from veriscene.scene.jsonl import dumps_scene

    scenes = list(iter_scene_graphs(9, seed=4))
    folder = tmp_path / "in"
    folder.mkdir()
    for k, name in enumerate(["b.jsonl", "a.jsonl.gz", "c.jsonl.zst"]):
        from veriscene.scene.compressed import create_scene_file

        with create_scene_file(folder / name) as fh:
            fh.write(b"".join(dumps_scene(s) + b"\n" for s in scenes[3 * k : 3 * k + 3]))
    (folder / "README.md").write_text("not a scene file")
    by_folder = generate(folder, tmp_path / "folder", seed=2)
    assert by_folder.notes == [f"{folder}: read its scene files (*.jsonl, compressed or not), not its 1 other file(s) "
                               "(README.md); to convert annotation files from it, pass from_format='auto'"]
    by_list = generate([folder / "a.jsonl.gz", folder / "b.jsonl", folder / "c.jsonl.zst"], tmp_path / "list", seed=2)
    assert by_folder.scenes == 9 and by_folder.samples == by_list.samples
    assert (tmp_path / "folder" / "samples.jsonl").read_bytes() == (tmp_path / "list" / "samples.jsonl").read_bytes()
    records = [orjson.loads(line) for line in (tmp_path / "folder" / "samples.jsonl").read_bytes().splitlines()]
    anchors = [r["images"][0]["id"] for r in records if len(r["images"]) == 1]
    assert list(dict.fromkeys(anchors)) == [s.image_id for s in scenes[3:6] + scenes[:3] + scenes[6:]]  # by name


def test_rejects_name_each_file_and_its_own_line(tmp_path) -> None:
    from veriscene.scene.jsonl import dumps_scene

    a, b, c, d = iter_scene_graphs(4, seed=3)
    first, second = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first.write_bytes(dumps_scene(a) + b"\n\n" + dumps_scene(b) + b"\n")
    second.write_bytes(dumps_scene(c) + b"\n" + b'{"image_id": "x", "width": 5}\n' + dumps_scene(b) + b"\n"
                       + dumps_scene(d) + b"\n")
    summary = generate([first, second], tmp_path / "out", workers=2, shard_size=2)
    assert summary.scenes == 4 and summary.rejects["rejected"] == 2
    rejects = [orjson.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_bytes().splitlines()]
    assert [(r["file"], r["record"], r["field"]) for r in rejects] == [(str(second), 2, "objects"),
                                                                        (str(second), 3, "image_id")]
    assert rejects[1]["reason"] == f"duplicate image_id (first seen on line 3 of {first})"
    with pytest.raises(Exception, match=rf"{second}.*line 2.*objects"):
        generate([first, second], tmp_path / "strict", strict=True)


def test_images_are_found_beside_each_file(tmp_path) -> None:
    """A scene's image path is relative to its own file's folder, for anchors and pooled partners."""
    from veriscene.scene.jsonl import dumps_scene

    scenes = list(iter_scene_graphs(12, seed=8))
    here, there = tmp_path / "here", tmp_path / "far" / "there"
    there.mkdir(parents=True)
    here.mkdir()
    (here / "a.jsonl").write_bytes(b"".join(dumps_scene(s) + b"\n" for s in scenes[:6]))
    (there / "b.jsonl").write_bytes(b"".join(dumps_scene(s) + b"\n" for s in scenes[6:]))
    out = tmp_path / "out"
    generate([here / "a.jsonl", there / "b.jsonl"], out, seed=1)
    folder_of = {s.image_id: ("here" if k < 6 else os.path.join("far", "there")) for k, s in enumerate(scenes)}
    multi = 0
    for line in (out / "samples.jsonl").read_bytes().splitlines():
        images = orjson.loads(line)["images"]
        multi += len(images) > 1
        for image in images:
            assert image["path"] == os.path.join("..", folder_of[image["id"]], "images", f"{image['id']}.png")
    assert multi > 0  # partners from both files


@pytest.mark.usefixtures("local_ray")
class TestOnALocalRay:
    """The same bytes on Ray (`local_ray`, shared: tests/conftest.py; the Ray a run starts for itself:
    test_verify.py, generators/test_plugins.py, annotate/test_server_retry.py)."""

    def test_ray_backend_identical(self, scenes_file, reference, tmp_path) -> None:
        # the scan in several chunks too (Ray tasks sent the chunks' bytes), in the same Ray session
        assert scenes_file.stat().st_size > 3 * 20_000
        summary = generate(scenes_file, tmp_path, seed=1, shard_size=4, workers=2, backend="ray", scan_chunk=20_000)
        assert (tmp_path / "samples.jsonl").read_bytes() == reference
        assert summary.worker_peak_memory_mb > 20  # Ray's workers are no children of this process: their shards say

    def test_compressed_input_on_ray(self, scenes_file, reference, tmp_path) -> None:
        # the scan's chunks decompressed by the driver and sent to the Ray tasks
        summary = generate(_compressed(scenes_file, "zstd"), tmp_path, seed=1, shard_size=4, workers=2, backend="ray",
                           scan_chunk=20_000)
        assert (tmp_path / "samples.jsonl").read_bytes() == reference and summary.scenes == 30

    def test_several_files_on_ray(self, scenes_file, reference, tmp_path) -> None:
        summary = generate(_parts(scenes_file), tmp_path, seed=1, shard_size=4, workers=2, backend="ray",
                           scan_chunk=20_000)
        assert (tmp_path / "samples.jsonl").read_bytes() == reference and summary.scenes == 30
