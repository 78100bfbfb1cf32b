"""The scan in chunks: the same result for any chunking of a file whose co-occurrence rows stay
below the cut, and the same result for any worker count or backend for a given chunk size."""

import io
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.demo.world import iter_scene_graphs
from veriscene.engine.scan import STRIDE, ScanResult, chunk_bounds, copy_chunk, scan_scenes
from veriscene.generators.vocabulary import COOCCURRING_KEPT, Vocabulary
from veriscene.scene import write_scenes
from veriscene.scene.compressed import create_scene_file, open_scene_file
from veriscene.scene.jsonl import dumps_scene


def _state(scan: ScanResult) -> dict:
    return {
        "scenes": scan.scenes, "checkpoints": list(scan.checkpoints), "blank_after": list(scan.blank_after),
        "id_hashes": list(scan.id_hashes), "vocab": scan.vocab.to_dict(), "undecodable": scan.undecodable,
        "pool": [(e.image_id, e.line, e.names, e.attributes, e.predicates) for e in scan.pool],
    }


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """Demo scenes with blank, blank-looking and unreadable lines, and no newline at the end."""
    lines = [dumps_scene(s) for s in iter_scene_graphs(3 * STRIDE + 5, seed=4)]
    raw: list[bytes] = []
    for k, line in enumerate(lines):
        raw += [b""] * (k % 37 == 5) + [b"  "] * (k % 41 == 7) + [b"{not json"] * (k % 53 == 11) + [line]
    path = tmp_path_factory.mktemp("scan") / "scenes.jsonl"
    path.write_bytes(b"\n".join(raw))
    return path


@pytest.fixture(scope="module")
def many_names_file(tmp_path_factory):
    """Scenes of 30 names drawn from 300: co-occurrence rows reach the cut many times."""
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("names") / "scenes.jsonl"
    scenes = []
    for k in range(400):
        names = [f"name{rng.randrange(300):03d}" for _ in range(30)]
        scenes.append({"image_id": f"img{k}", "width": 100, "height": 100,
                       "objects": [{"name": n, "box": [1, 1, 9, 9]} for n in names]})
    import orjson

    path.write_bytes(b"\n".join(orjson.dumps(s) for s in scenes) + b"\n")
    return path


def test_chunk_bounds_cover_the_file_and_end_at_line_ends(demo_file) -> None:
    data = demo_file.read_bytes()
    for size in (1, 100, 4096, 50_000, len(data), 10 * len(data)):
        bounds = chunk_bounds(demo_file, size)
        assert bounds[0][0] == 0 and bounds[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        assert all(data[end - 1:end] == b"\n" for _, end in bounds[:-1])
        assert all(end >= (start // size + 1) * size or end == len(data) for start, end in bounds)
    assert chunk_bounds(demo_file, len(data)) == [(0, len(data))]
    with pytest.raises(ValueError, match="at least 1 byte"):
        chunk_bounds(demo_file, 0)


def test_chunking_changes_nothing_below_the_cut(demo_file) -> None:
    whole = _state(scan_scenes(demo_file, seed=3, pool_size=40))
    assert whole["scenes"] == 3 * STRIDE + 5 + sum(1 for k in range(3 * STRIDE + 5) if k % 53 == 11)
    assert whole["undecodable"] > 0 and whole["blank_after"] and len(whole["pool"]) == 40
    for size in (1, 700, 5000, 20_000):
        assert _state(scan_scenes(demo_file, seed=3, pool_size=40, chunk_bytes=size)) == whole, size


def test_chunked_scan_reads_every_scene_range(demo_file) -> None:
    scan = scan_scenes(demo_file, chunk_bytes=3000)
    expected = [(n, line) for n, line in enumerate(demo_file.read_bytes().split(b"\n"), start=1) if line.strip()]
    with open(demo_file, "rb") as fh:
        assert scan.read(fh, 0, scan.scenes) == expected
        assert scan.read(fh, STRIDE + 3, 2 * STRIDE + 1) == expected[STRIDE + 3:2 * STRIDE + 1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"", b"a", b"bb", b"ccccccc", b"  "]), max_size=40), st.booleans(),
       st.integers(1, 30))
def test_chunks_copied_from_a_stream_are_the_chunk_bounds(tmp_path_factory, lines, final_newline, size) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    path = tmp_path_factory.mktemp("bounds") / "x.jsonl"
    path.write_bytes(data)
    stream, streamed, start = io.BytesIO(data), [], 0
    while True:  # as the scan cuts a compressed file
        out = io.BytesIO()
        end = copy_chunk(stream, start, out, size)
        if end == start:
            break
        streamed.append((start, end, out.getvalue()))
        start = end
    assert [(a, b) for a, b, _ in streamed] == chunk_bounds(path, size)
    assert b"".join(chunk for _, _, chunk in streamed) == data
    assert all(len(chunk) == b - a for a, b, chunk in streamed)


@pytest.mark.parametrize("kind,suffix", [("gzip", ".gz"), ("zstd", ".zst"), ("xz", ".xz")])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_compressed_file_scans_as_the_plain_one(demo_file, tmp_path, kind, suffix, workers) -> None:
    """Offsets count decompressed bytes, so the chunks and everything found are the plain file's;
    the progress counts the compressed file's bytes."""
    packed = tmp_path / f"scenes.jsonl{suffix}"
    with create_scene_file(packed) as fh:
        fh.write(demo_file.read_bytes())
    for size in (700, 20_000, 10 << 20):
        seen: list[tuple[int, int]] = []
        found = scan_scenes(packed, seed=3, pool_size=40, chunk_bytes=size, workers=workers,
                            progress=lambda n, total: seen.append((n, total)))
        assert _state(found) == _state(scan_scenes(demo_file, seed=3, pool_size=40, chunk_bytes=size)), size
        assert sum(n for n, _ in seen) == packed.stat().st_size and {t for _, t in seen} == {packed.stat().st_size}
    expected = [(n, line) for n, line in enumerate(demo_file.read_bytes().split(b"\n"), start=1) if line.strip()]
    with open_scene_file(packed) as fh:  # shards are read in order; a backward seek starts again
        assert found.read(fh, STRIDE + 3, 2 * STRIDE + 1) == expected[STRIDE + 3:2 * STRIDE + 1]
        assert found.read(fh, 2 * STRIDE + 1, found.scenes) == expected[2 * STRIDE + 1:]
        assert found.read(fh, 0, 5) == expected[:5]


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_the_shard_pass_never_reads_a_compressed_file_again_from_its_top(demo_file, tmp_path, monkeypatch,
                                                                         suffix) -> None:
    """Shards that do not start at a checkpoint would seek back to it, and a compressed file
    seeked back is decompressed again from its top: for every shard, on a large file."""
    from veriscene.engine.generate import _tasks
    from veriscene.scene import decompress

    packed = tmp_path / f"scenes.jsonl{suffix}"
    with create_scene_file(packed) as fh:
        fh.write(demo_file.read_bytes())
    restarts: list[int] = []
    real_reset = decompress.Decompressed._reset
    monkeypatch.setattr(decompress.Decompressed, "_reset", lambda self: (restarts.append(1), real_reset(self))[1])
    monkeypatch.setattr(decompress, "_BUFFER", 4096)  # as for a file many times the buffer's size
    scan = scan_scenes(demo_file)
    expected = [(n, line) for n, line in enumerate(demo_file.read_bytes().split(b"\n"), start=1) if line.strip()]
    shard = 7  # not a multiple of STRIDE: every shard starts past a checkpoint
    for todo in (list(range(scan.scenes // shard + 1)), [0, 1, 3, 4, 12, 13, 14, 20, 21]):  # all; resumed, with gaps
        restarts.clear()
        tasks = list(_tasks([packed], scan, shard, todo, {}))
        assert [t.lines for t in tasks] == [expected[i * shard:(i + 1) * shard] for i in todo]
        assert len(restarts) == 1  # the reader's first opening only


def test_rows_at_the_cut_depend_on_the_chunks_not_the_workers(many_names_file) -> None:
    one = _state(scan_scenes(many_names_file, chunk_bytes=20_000))
    assert one != _state(scan_scenes(many_names_file))  # another chunking, other cut rows
    assert one == _state(scan_scenes(many_names_file, chunk_bytes=20_000, workers=2))
    rows = one["vocab"]["cooccurrence"].values()
    assert max(len(r) for r in rows) < 2 * COOCCURRING_KEPT and min(len(r) for r in rows) >= COOCCURRING_KEPT
    whole = scan_scenes(many_names_file).vocab
    assert one["vocab"]["names"] == whole.to_dict()["names"]  # word counts are exact


def test_ray_backend_scans_the_same(many_names_file, local_ray) -> None:
    assert (_state(scan_scenes(many_names_file, chunk_bytes=50_000, workers=2, backend="ray"))
            == _state(scan_scenes(many_names_file, chunk_bytes=50_000)))


def test_merge_adds_counts_and_copies_into_an_empty_vocabulary() -> None:
    a, b = Vocabulary(), Vocabulary()
    a.add_names(["cat", "dog"], ["red"], ["on"])
    b.add_names(["cat", "cat", "mat"], ["red", "blue"], [])
    merged = Vocabulary()
    merged.merge(a)
    assert merged.to_dict() == a.to_dict()
    merged.merge(b)
    assert merged.names == {"cat": 3, "dog": 1, "mat": 1}
    assert merged.attributes == {"red": 2, "blue": 1} and merged.predicates == {"on": 1}
    assert merged.cooccurrence["cat"] == {"dog": 1, "mat": 1}
    assert merged.name_list() == ["cat", "dog", "mat"]
    b.add_names(["zebra"], [], [])
    assert "zebra" not in merged.names  # a copy, not shared counters


def test_generate_with_a_chunked_scan_on_two_workers(tmp_path) -> None:
    from veriscene import generate

    path = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(24, seed=2), path)
    generate(path, tmp_path / "a", seed=1, shard_size=5)
    summary = generate(path, tmp_path / "b", seed=1, shard_size=5, scan_chunk=4000, workers=2)
    assert (tmp_path / "a" / "samples.jsonl").read_bytes() == (tmp_path / "b" / "samples.jsonl").read_bytes()
    assert summary.samples > 0
    with pytest.raises(ValueError, match="scan_chunk"):
        generate(path, tmp_path / "c", scan_chunk=0)


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reports_every_line_sample_and_byte(tmp_path, workers) -> None:
    from veriscene import generate

    path = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(12, seed=3), path)
    with open(path, "ab") as fh:
        fh.write(b"{broken\n")  # a rejected line is a line done, with no samples
    seen, read, counted = [0, 0], [], []
    summary = generate(path, tmp_path / "out", shard_size=5, workers=workers, scan_chunk=6000,
                       progress=lambda n, s: seen.__setitem__(slice(None), [seen[0] + n, seen[1] + s]),
                       scan_progress=lambda n, total: read.append((n, total)),
                       counted=lambda n: counted.append((n, seen[0])))
    assert seen == [13, summary.samples] and summary.samples > 0
    assert counted == [(13, 0)]  # the total, told once, before any line is done
    assert read[0] == (0, path.stat().st_size) and len(read) > 2 and sum(n for n, _ in read) == path.stat().st_size
    assert {total for _, total in read} == {path.stat().st_size}


def test_run_counts_column_shows_rates() -> None:
    from rich.progress import Progress

    from veriscene.console import RunCounts

    with Progress(RunCounts(), disable=True) as bar:
        scan = bar.add_task("scanning", total=4_000_000, unit="bytes")
        gen = bar.add_task("generating", total=100, samples=0)
        bar.update(scan, advance=2_000_000)
        bar.update(gen, advance=40, samples=3_200)
        column = RunCounts()
        assert str(column.render(bar.tasks[scan])).startswith("2/4 MB")
        text = str(column.render(bar.tasks[gen]))
        assert text.startswith("40/100 scenes") and "3,200 samples" in text and text.endswith("/s")


def test_pool_entries_carry_the_names_annotated_in_full(tmp_path) -> None:
    """`PoolEntry.complete` from `meta["exhaustive"]` (None without it), as `ScenePool.from_scenes`
    gives it, so that multi-image generators draw images known to lack a name."""
    import orjson

    from veriscene.engine.pool import ScenePool
    from veriscene.scene.jsonl import scene_from_dict

    records = [
        {"image_id": "full", "width": 10, "height": 10, "objects": [{"name": "cup", "box": [1, 1, 5, 5]}]},
        {"image_id": "some", "width": 10, "height": 10, "objects": [{"name": "cup", "box": [1, 1, 5, 5]}],
         "meta": {"exhaustive": ["fork", "cup"]}},
        {"image_id": "none", "width": 10, "height": 10, "objects": [], "meta": {"exhaustive": []}},
    ]
    path = tmp_path / "scenes.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    expected = {"full": None, "some": frozenset({"cup", "fork"}), "none": frozenset()}
    assert {e.image_id: e.complete for e in scan_scenes(path).pool} == expected
    pool = ScenePool.from_scenes([scene_from_dict(r) for r in records])
    assert {e.image_id: e.complete for e in pool.entries} == expected


def test_fields_no_reader_reads_are_counted_and_said(tmp_path) -> None:
    """A misspelt field ("attribute") was dropped without a word: the scan counts such fields,
    over every chunk, and the run's notes name them."""
    import orjson

    from veriscene import generate

    plain = tmp_path / "plain.jsonl"
    write_scenes(iter_scene_graphs(12, seed=2), plain)
    records = [orjson.loads(line) for line in plain.read_bytes().splitlines()]
    for k, record in enumerate(records):
        if k % 3 == 0:
            record["objects"][0]["attribute"] = ["red"]
            record["objects"][-1]["score"] = 0.5
        if k == 4:
            record["caption"] = "a scene"
    path = tmp_path / "typos.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    for chunk in (1 << 20, 2_000):
        scan = scan_scenes(path, chunk_bytes=chunk)
        assert scan.ignored == {"objects[].attribute": 4, "objects[].score": 4, "caption": 1}
    assert not scan_scenes(plain).ignored  # what veriscene writes holds none
    summary = generate(path, tmp_path / "run", seed=1)
    (note,) = [n for n in summary.notes if "does not read" in n]
    assert "'objects[].attribute' (4 objects)" in note and "'caption' (1 scene)" in note


def test_medical_slices_of_an_earlier_release_are_counted_and_said(tmp_path) -> None:
    """Slices a medical reader wrote before 0.22.0 lack meta["single"], so counting questions may
    ask "How many livers?" of them: the scan counts them, over every chunk, and the run says to
    convert again. Slices of this release (an empty list included) and other scenes are not counted."""
    import orjson

    from veriscene import generate

    plain = tmp_path / "plain.jsonl"
    write_scenes(iter_scene_graphs(12, seed=2), plain)
    records = [orjson.loads(line) for line in plain.read_bytes().splitlines()]
    for k, record in enumerate(records):
        key = ("label_map", "dicom_seg", "dicom_rtstruct", None)[k % 4]
        if key is not None:
            record["meta"] = {**record.get("meta", {}), key: f"/data/case_{k}"}
        if k in (0, 5):
            record["meta"]["single"] = [] if k else ["liver"]
    path = tmp_path / "slices.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    for chunk in (1 << 20, 2_000):
        assert scan_scenes(path, chunk_bytes=chunk).unmarked_slices == 7  # 9 slices, 2 with meta["single"]
    assert scan_scenes(plain).unmarked_slices == 0
    (note,) = [n for n in generate(path, tmp_path / "run", seed=1).notes if "meta['single']" in n]
    assert note.startswith("7 medical slice scene(s) lack meta['single']") and "convert the volumes again" in note
