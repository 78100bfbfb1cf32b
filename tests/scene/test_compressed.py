import builtins
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.scene.compressed import (
    READ_ERRORS, CompressedFileError, compression, compression_for_name, create_scene_file, data_files,
    decompressing, find_data_file, jsonl_files, open_scene_file, open_text, plain_name, read_errors,
)

KINDS = ["gzip", "zstd", "bz2", "xz"]
SUFFIX = {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}
# lines of uneven length, long enough that a zstd reader decompresses it in several pieces
DATA = b"".join(b'{"image_id": "%d", "pad": "%s"}\n' % (i, b"x" * (i * 37 % 2900)) for i in range(400))


def _write(path, data=DATA, kind=None):
    with create_scene_file(path, kind) as fh:
        fh.write(data)
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_and_detection_by_content(tmp_path, kind) -> None:
    path = _write(tmp_path / f"s.jsonl{SUFFIX[kind]}")
    assert compression_for_name(path) == kind and compression(path) == kind
    assert path.read_bytes() != DATA and len(path.read_bytes()) < len(DATA) / 5
    with open_scene_file(path) as fh:
        assert fh.read() == DATA
    with open_scene_file(path) as fh:
        assert b"".join(fh) == DATA  # line by line
    # the compression is read from the first bytes, not the name
    renamed = tmp_path / "scenes.jsonl"
    os.replace(path, renamed)
    assert compression(renamed) == kind and compression_for_name(renamed) is None
    with open_scene_file(renamed) as fh:
        assert fh.read() == DATA


@pytest.mark.parametrize("kind", KINDS)
def test_seeking_forward_and_backward_counts_decompressed_bytes(tmp_path, kind) -> None:
    path = _write(tmp_path / f"s.jsonl{SUFFIX[kind]}")
    with open_scene_file(path) as fh:
        for offset in (1000, 250_000, 17, len(DATA) - 5, 0, 300_001):  # backward seeks start again
            fh.seek(offset)
            assert fh.tell() == offset
            end = DATA.index(b"\n", offset) + 1 if b"\n" in DATA[offset:] else len(DATA)
            assert fh.readline() == DATA[offset:end]
        fh.seek(len(DATA) + 10)
        assert fh.read() == b""


def test_plain_files_are_opened_as_they_are(tmp_path) -> None:
    path = _write(tmp_path / "s.jsonl")
    assert path.read_bytes() == DATA and compression(path) is None
    with open_scene_file(path) as fh:
        assert isinstance(fh, io.BufferedReader) and fh.read() == DATA


def test_zstd_files_of_several_frames(tmp_path) -> None:
    import zstandard

    path = tmp_path / "s.jsonl.zst"
    cut = 123_457
    path.write_bytes(zstandard.ZstdCompressor().compress(DATA[:cut]) + zstandard.ZstdCompressor(level=9).compress(DATA[cut:]))
    with open_scene_file(path) as fh:
        assert fh.read() == DATA
        fh.seek(cut - 3)
        assert fh.read(6) == DATA[cut - 3 : cut + 3]


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_and_corrupt_files_raise(tmp_path, kind) -> None:
    whole = _write(tmp_path / f"s.jsonl{SUFFIX[kind]}").read_bytes()
    truncated = tmp_path / f"t.jsonl{SUFFIX[kind]}"
    truncated.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(EOFError), open_scene_file(truncated) as fh:
        fh.read()  # zstandard's own stream reader would end here without a word
    corrupt = tmp_path / f"c.jsonl{SUFFIX[kind]}"
    corrupt.write_bytes(whole[:40] + bytes(200) + whole[240:])
    with pytest.raises(READ_ERRORS), open_scene_file(corrupt) as fh:
        fh.read()
    # named, and said to be compressed, by read_errors
    with pytest.raises(CompressedFileError, match=rf"{truncated}: cannot read the {kind}-compressed scene file"):
        with read_errors(truncated), open_scene_file(truncated) as fh:
            fh.read()


def test_read_errors_leaves_other_errors_alone(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        with read_errors(tmp_path / "none.jsonl.gz"):
            open_scene_file(tmp_path / "none.jsonl.gz")
    with pytest.raises(KeyError):
        with read_errors(tmp_path / "x"):
            raise KeyError("x")
    with pytest.raises(OSError, match="No space left") as caught:  # the system's error, not the file's
        with read_errors(tmp_path / "x"):
            raise OSError(28, "No space left on device")
    assert not isinstance(caught.value, CompressedFileError)
    assert issubclass(CompressedFileError, ValueError)  # the CLI reports ValueErrors as errors


def test_streaming_reader_leaves_its_file_open_and_tells_progress(tmp_path) -> None:
    path = _write(tmp_path / "s.jsonl.zst")
    with open(path, "rb") as raw:
        with decompressing(raw, "zstd") as fh:
            fh.read(1000)
            assert 0 < raw.tell() <= path.stat().st_size
            assert fh.read() == DATA[1000:]
        assert not raw.closed and raw.tell() == path.stat().st_size
    with pytest.raises(ValueError, match="unknown compression 'lz4'"):
        decompressing(io.BytesIO(), "lz4")


def test_zstd_needs_zstandard(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "s.jsonl.zst")
    real_import = builtins.__import__

    def no_zstandard(name, *args, **kwargs):
        if name == "zstandard":
            raise ImportError("No module named 'zstandard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_zstandard)
    with pytest.raises(ImportError, match=r"pip install 'veriscene\[zstd\]'"):
        open_scene_file(path)
    with pytest.raises(ImportError, match=r"veriscene\[zstd\]"):
        create_scene_file(tmp_path / "w.jsonl.zst")
    assert not (tmp_path / "w.jsonl.zst").exists() or (tmp_path / "w.jsonl.zst").stat().st_size == 0


def test_names_and_folders(tmp_path) -> None:
    assert plain_name("a/scenes.jsonl.gz") == "scenes.jsonl" and plain_name("scenes.jsonl") == "scenes.jsonl"
    assert plain_name("x.ZST") == "x" and compression_for_name("x.ZST") == "zstd"
    for name in ("b.jsonl.gz", "a.jsonl", "c.jsonl.zst", "d.json", "e.jsonl.tmp", "f.json.xz", "g.json.bz2.part"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "h.jsonl").mkdir()  # a folder of that name is not a file of scenes
    (tmp_path / "i.jsonl.zip").write_bytes(b"")  # scene files are not read from zip archives
    assert [p.name for p in jsonl_files(tmp_path)] == ["a.jsonl", "b.jsonl.gz", "c.jsonl.zst"]
    assert [p.name for p in data_files(tmp_path, ".json")] == ["d.json", "f.json.xz"]
    assert find_data_file(tmp_path, "d.json") == tmp_path / "d.json"
    assert find_data_file(tmp_path, "f.json") == tmp_path / "f.json.xz"
    assert find_data_file(tmp_path, "g.json") is None


@pytest.mark.parametrize("kind", ["gzip", "zstd", "bz2", "xz", None])
def test_open_text_reads_any_compression(tmp_path, kind) -> None:
    text = "\ufeffImageID,LabelName\r\nimg\u00e9,/m/01\r\n"
    path = tmp_path / ("t.csv" + {"gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz", None: ""}[kind])
    with create_scene_file(path) as fh:
        fh.write(text.encode("utf-8"))
    assert compression(path) == kind
    with open_text(path, encoding="utf-8-sig", newline="") as fh:
        assert fh.read() == text[1:]  # newline="" keeps the CSV's line ends, as open() would


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, len(DATA)), min_size=1, max_size=12))
def test_any_seeks_read_what_a_plain_file_reads(tmp_path_factory, offsets) -> None:
    folder = tmp_path_factory.mktemp("seeks")
    plain = _write(folder / "s.jsonl")
    packed = _write(folder / "s.jsonl.zst")
    with open(plain, "rb") as a, open_scene_file(packed) as b:
        for offset in offsets:
            a.seek(offset)
            b.seek(offset)
            assert b.readline() == a.readline() and b.tell() == a.tell()


@pytest.mark.parametrize("kind", [None, *KINDS])
def test_create_scene_file_makes_missing_folders(tmp_path, kind) -> None:
    path = _write(tmp_path / "new" / "dir" / f"s.jsonl{SUFFIX.get(kind, '')}", kind=kind)
    with open_scene_file(path) as fh:
        assert fh.read() == DATA


def test_jsonl_files_of_a_folder_are_its_scene_files_only(tmp_path) -> None:
    """Not hidden files (annotate's partial output and retry notes), not the reject reports and run
    samples veriscene writes beside scene files; JSON sidecars never matched *.jsonl."""
    from veriscene.scene.compressed import not_scenes

    names = ["a.jsonl", "b.jsonl.gz", "rejects.jsonl", "split_rejects.jsonl.gz", "convert_rejects.jsonl",
             "shard-00001.rejects.jsonl", "samples.jsonl", ".a.jsonl.retry.jsonl", ".a.jsonl.partial",
             ".a.jsonl.state.json", "vocabulary.json", "manifest.json"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert jsonl_files(tmp_path) == [tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"]  # samples.jsonl: beside a manifest
    assert [n for n in names if not_scenes(tmp_path / n) == "a reject report"] == names[2:6]
    assert not_scenes(tmp_path / "samples.jsonl") == "the samples of the run in its folder"
    (tmp_path / "manifest.json").unlink()
    assert not_scenes(tmp_path / "samples.jsonl") is None and tmp_path / "samples.jsonl" in jsonl_files(tmp_path)
