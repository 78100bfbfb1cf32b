import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.scene.compressed import CompressedFileError, create_scene_file
from veriscene.scene.inputs import FileSpan, SceneStream, locate, open_scenes, plain_spans, scene_paths

SUFFIX = {None: "", "gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}


def _lines(first: int, n: int) -> bytes:
    return b"".join(b'{"image_id": "%d", "pad": "%s"}\n' % (i, b"y" * (i * 53 % 700)) for i in range(first, first + n))


# (content, compression) of each file: one without a final line end, an empty one, a blank line
FILES = [
    (_lines(0, 30), None),
    (_lines(30, 20).rstrip(b"\n"), "gzip"),  # a line end is added after it
    (b"", None),
    (_lines(50, 25), "zstd"),
    (b"\n" + _lines(75, 5), None),
    (_lines(80, 40), "bz2"),
]


def _expected(files=FILES) -> bytes:
    return b"".join(data + (b"\n" if data and not data.endswith(b"\n") else b"") for data, _ in files)


def _write(folder, files=FILES) -> list[str]:
    paths = []
    for k, (data, kind) in enumerate(files):
        path = folder / f"part-{k}.jsonl{SUFFIX[kind]}"
        with create_scene_file(path, kind) as fh:
            fh.write(data)
        paths.append(str(path))
    return paths


def test_the_files_read_as_their_concatenation_and_their_spans_are_learned(tmp_path) -> None:
    paths = _write(tmp_path)
    stream = SceneStream(paths)
    with io.BufferedReader(stream, buffer_size=4096) as fh:
        assert fh.read() == _expected()
        spans = stream.spans
    assert [s.path for s in spans] == paths
    expected = _expected()
    starts = [0]
    for data, _ in FILES:
        starts.append(starts[-1] + len(data) + (bool(data) and not data.endswith(b"\n")))
    assert [s.start for s in spans] == starts[:-1] and spans[-1].end == len(expected)
    assert [s.padded for s in spans] == [False, True, False, False, False, False]
    # every file's first line is numbered as in the concatenation
    for span in spans:
        assert span.first_line == expected[: span.start].count(b"\n") + 1
    assert locate(spans, 1) == (paths[0], 1)
    assert locate(spans, 31) == (paths[1], 1)
    assert locate(spans, 51) == (paths[3], 1)  # the empty file holds no line
    assert locate(spans, 76) == (paths[4], 1) and locate(spans, 77) == (paths[4], 2)
    assert locate(spans, 82) == (paths[5], 1)


def test_spans_are_known_only_after_the_end(tmp_path) -> None:
    stream = SceneStream(_write(tmp_path))
    stream.read(100)
    with pytest.raises(ValueError, match="read to the end"):
        stream.spans
    stream.close()


def _learned(folder) -> tuple[list[str], list[FileSpan]]:
    """The files written in `folder` and their spans, learned by reading them through once."""
    paths = _write(folder)
    learner = SceneStream(paths)
    while learner.read(1 << 16):
        pass
    return paths, learner.spans


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, len(_expected()) + 20), min_size=1, max_size=12),
       st.sampled_from(["lines", "pieces"]))
def test_seeking_with_spans_reads_what_the_concatenation_holds(tmp_path_factory, offsets, how) -> None:
    """Buffered (lines, then a block) or raw (pieces of 777 bytes that stop at each file's end)."""
    paths, spans = _learned(tmp_path_factory.mktemp("inputs"))
    expected = _expected()
    if how == "lines":
        with open_scenes(paths, spans) as fh:
            for offset in offsets:
                fh.seek(offset)
                assert fh.tell() == offset
                end = expected.find(b"\n", offset)
                assert fh.readline() == expected[offset : len(expected) if end < 0 else end + 1]
                at = fh.tell()
                assert fh.read(3000) == expected[at : at + 3000]
        return
    with SceneStream(paths, spans) as stream:
        for offset in offsets:
            stream.seek(offset)
            got = bytearray()
            while len(got) < 5000 and (piece := stream.read(777)):
                got += piece
            assert bytes(got) == expected[offset : offset + len(got)]
            assert len(got) >= 5000 or offset + len(got) >= len(expected)


def test_seeking_forward_without_spans_reads_on(tmp_path) -> None:
    paths = _write(tmp_path)
    expected = _expected()
    stream = SceneStream(paths)
    stream.seek(5000)
    assert stream.read(100) == expected[5000:5100]
    with pytest.raises(io.UnsupportedOperation, match="backward"):
        stream.seek(10)
    while stream.read(1 << 16):
        pass
    assert stream.spans[-1].end == len(expected)  # the spans are still learned
    stream.close()


def test_a_single_file_is_opened_as_it_is(tmp_path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}')
    assert plain_spans(path) == [FileSpan(str(path), 0, 8, True, 1)]
    with open_scenes([path]) as fh:
        assert isinstance(fh, io.BufferedReader) and fh.read() == b'{"a": 1}'


def test_a_truncated_file_among_them_is_named(tmp_path) -> None:
    paths = _write(tmp_path)
    broken = paths[3]
    data = open(broken, "rb").read()
    with open(broken, "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(CompressedFileError, match=f"{os.path.basename(broken)}.*zstd"):
        with open_scenes(paths) as fh:
            fh.read()


def test_scene_paths_from_files_folders_patterns_and_lists(tmp_path) -> None:
    for name in ("b.jsonl", "a.jsonl.zst", "c.jsonl.gz", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "sub").mkdir()
    assert scene_paths(tmp_path) == [tmp_path / "a.jsonl.zst", tmp_path / "b.jsonl", tmp_path / "c.jsonl.gz"]
    assert scene_paths(str(tmp_path / "*.jsonl*")) == [tmp_path / "a.jsonl.zst", tmp_path / "b.jsonl",
                                                       tmp_path / "c.jsonl.gz"]
    assert scene_paths([tmp_path / "c.jsonl.gz", tmp_path / "b.jsonl"]) == [tmp_path / "c.jsonl.gz", tmp_path / "b.jsonl"]
    (tmp_path / "sub" / "d.jsonl").write_bytes(b"")
    assert scene_paths(str(tmp_path / "**" / "*.jsonl")) == [tmp_path / "b.jsonl", tmp_path / "sub" / "d.jsonl"]
    with pytest.raises(FileNotFoundError, match="missing.jsonl does not exist"):
        scene_paths([tmp_path / "b.jsonl", tmp_path / "missing.jsonl"])
    with pytest.raises(FileNotFoundError, match="no file matches it as a pattern"):
        scene_paths(str(tmp_path / "*.parquet"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="without scene files"):
        scene_paths(tmp_path / "empty")
    with pytest.raises(ValueError, match="given twice"):
        scene_paths([tmp_path / "b.jsonl", tmp_path])
    with pytest.raises(ValueError, match="no scene file given"):
        scene_paths([])


def test_scene_files_in_zip_archives_are_refused_saying_what_to_do(tmp_path) -> None:
    import zipfile

    archive = tmp_path / "scenes.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("scenes.jsonl", b'{"image_id": "a"}\n')
    with pytest.raises(ValueError, match=r"scenes.zip is a zip archive: scene files are read plain or compressed .*"
                                         r"unzip it, or, if it holds annotations of another format, pass --from auto"):
        scene_paths(archive)
    with pytest.raises(FileNotFoundError, match=r"scenes.zip/scenes.jsonl: scene files are not read from inside zip "
                                                r"archives; unzip .*scenes.zip first"):
        scene_paths(archive / "scenes.jsonl")


def test_read_scenes_reads_several_files_in_order(tmp_path) -> None:
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.errors import SceneValidationError
    from veriscene.scene import read_scenes, write_scenes

    scenes = list(iter_scene_graphs(5, seed=1))
    write_scenes(scenes[:2], tmp_path / "a.jsonl.gz")
    write_scenes(scenes[2:], tmp_path / "b.jsonl")
    assert [s.image_id for s in read_scenes(tmp_path)] == [s.image_id for s in scenes]
    assert [s.image_id for s in read_scenes([tmp_path / "b.jsonl", tmp_path / "a.jsonl.gz"])] == \
        [s.image_id for s in scenes[2:] + scenes[:2]]
    with open(tmp_path / "b.jsonl", "ab") as fh:
        fh.write(b"{broken\n")
    with pytest.raises(SceneValidationError, match=r"b\.jsonl.*line 4"):
        list(read_scenes(str(tmp_path / "*.jsonl*")))


def test_a_file_that_shrank_since_its_spans_were_learned_is_named(tmp_path) -> None:
    paths, spans = _learned(tmp_path)
    data = open(paths[0], "rb").read()
    with open(paths[0], "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match=rf"{os.path.basename(paths[0])} changed since it was scanned"):
        with open_scenes(paths, spans) as fh:
            fh.read()


# the JSONL files veriscene writes beside scene files that hold none (`compressed.not_scenes`)
REJECT_REPORTS = ["rejects.jsonl", "split_rejects.jsonl", "convert_rejects.jsonl", "rejects.jsonl.gz",
                  "split_rejects.jsonl.zst", "shard-00000.rejects.jsonl"]


@pytest.mark.parametrize("report", REJECT_REPORTS)
def test_a_folder_or_pattern_leaves_out_veriscenes_reject_reports_and_names_them(tmp_path, report) -> None:
    from veriscene.scene.inputs import input_files

    (tmp_path / "part-0.jsonl").write_bytes(b'{"image_id": "a"}\n')
    (tmp_path / report).write_bytes(b'{"file": "x.jsonl", "record": 1, "field": "objects", "reason": "missing"}\n')
    for named in (tmp_path, str(tmp_path / "*.jsonl*"), [tmp_path]):
        found = input_files(named)
        assert found.paths == [tmp_path / "part-0.jsonl"]
        assert found.left_out == [(tmp_path / report, "a reject report")]
        assert found.notes() == [f"left out of the input: {tmp_path / report} (a reject report): veriscene writes "
                                 "such files beside scene files, and they hold no scenes (give one by its own name "
                                 "to read it as scenes)"]
        assert scene_paths(named) == [tmp_path / "part-0.jsonl"]
    # named on its own, it is read
    assert scene_paths(tmp_path / report) == [tmp_path / report]
    assert input_files([tmp_path / "part-0.jsonl", tmp_path / report]).left_out == []


def test_an_empty_reject_report_is_left_out_without_a_note(tmp_path) -> None:
    from veriscene.scene.inputs import input_files

    (tmp_path / "part-0.jsonl").write_bytes(b'{"image_id": "a"}\n')
    (tmp_path / "rejects.jsonl").write_bytes(b"")  # convert writes one even with no reject
    found = input_files(tmp_path)
    assert found.paths == [tmp_path / "part-0.jsonl"] and found.left_out and found.notes() == []


def test_a_runs_samples_are_left_out_of_its_folder_its_scenes_read(tmp_path) -> None:
    """A run folder holding its scenes (the demo's; a converted input's): samples.jsonl beside
    manifest.json is no scene file; elsewhere a file of that name is read."""
    from veriscene.scene.inputs import input_files

    for name in ("scenes.jsonl", "samples.jsonl", "rejects.jsonl"):
        (tmp_path / name).write_bytes(b"{}\n")
    (tmp_path / "manifest.json").write_bytes(b"{}")
    (tmp_path / "vocabulary.json").write_bytes(b"{}")
    found = input_files(tmp_path)
    assert found.paths == [tmp_path / "scenes.jsonl"]
    assert found.left_out == [(tmp_path / "rejects.jsonl", "a reject report"),
                              (tmp_path / "samples.jsonl", "the samples of the run in its folder")]
    (tmp_path / "manifest.json").unlink()
    assert scene_paths(tmp_path) == [tmp_path / "samples.jsonl", tmp_path / "scenes.jsonl"]


def test_annotates_hidden_files_and_other_sidecars_are_not_read(tmp_path) -> None:
    """What `annotate --out scenes.jsonl` keeps beside its output while it runs (a hidden partial
    file, state, retry notes), temporary files and JSON sidecars: none is a scene file."""
    (tmp_path / "scenes.jsonl").write_bytes(b'{"image_id": "a"}\n')
    for name in (".scenes.jsonl.partial", ".scenes.jsonl.state.json", ".scenes.jsonl.retry.jsonl",
                 ".scenes.jsonl.tmp", ".part.jsonl.gz", "scenes.jsonl.tmp", "vocabulary.json", "manifest.json",
                 "split.json", "scenes.source.json"):
        (tmp_path / name).write_bytes(b"{}\n")
    assert scene_paths(tmp_path) == [tmp_path / "scenes.jsonl"]
    assert scene_paths(str(tmp_path / "*.jsonl")) == [tmp_path / "scenes.jsonl"]  # a pattern's `*` skips hidden files


@pytest.mark.parametrize("how", ["folder", "pattern"])
def test_a_folder_or_pattern_of_reject_reports_only_is_refused_naming_them(tmp_path, how) -> None:
    (tmp_path / "rejects.jsonl").write_bytes(b"{}\n")
    given = tmp_path if how == "folder" else str(tmp_path / "*.jsonl")
    with pytest.raises(FileNotFoundError, match=r"holds no scene file, only files veriscene writes beside scene "
                                                r"files, which hold none: rejects.jsonl \(a reject report\)"):
        scene_paths(given)


@pytest.mark.parametrize(("source", "got"), [(None, "None"), (7, "7"), (b"s.jsonl", "b's.jsonl'"),
                                             (["a.jsonl", None], "None in ['a.jsonl', None]")])
def test_scene_paths_names_what_is_no_scene_input(source, got) -> None:
    with pytest.raises(TypeError) as info:
        scene_paths(source)
    assert str(info.value) == ("scene files are given as a file, a folder or a glob pattern (a str or a path), or "
                               f"a list of them; got {got}")
