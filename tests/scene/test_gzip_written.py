"""gzip scene files veriscene writes record the output's name (not the temporary file's they are
written under) and time 0: the same lines make the same bytes, whenever and by whichever writer."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from veriscene.demo.world import iter_scene_graphs
from veriscene.io.convert import convert
from veriscene.io.split import split
from veriscene.scene import read_scenes, write_scenes
from veriscene.scene.compressed import create_scene_file


def _header_name(path: Path) -> bytes:
    """The FNAME field of a gzip file's first member (RFC 1952), or b"" without one."""
    data = path.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    if not data[3] & 0x08:
        return b""
    return data[10:data.index(b"\0", 10)]


def _mtime(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[4:8], "little")


def test_write_scenes_makes_the_same_bytes_at_another_time_and_place(tmp_path: Path) -> None:
    first, second = tmp_path / "scenes.jsonl.gz", tmp_path / "later" / "scenes.jsonl.gz"
    write_scenes(iter_scene_graphs(4, seed=3), first)
    time.sleep(1.1)  # gzip's time field has whole seconds
    write_scenes(iter_scene_graphs(4, seed=3), second)
    assert first.read_bytes() == second.read_bytes()
    assert (_header_name(first), _mtime(first)) == (b"scenes.jsonl", 0)
    assert [s.image_id for s in read_scenes(first)] == [s.image_id for s in iter_scene_graphs(4, seed=3)]


def test_convert_and_split_record_their_outputs_names(tmp_path: Path) -> None:
    given = tmp_path / "in.jsonl"
    write_scenes(iter_scene_graphs(12, seed=5), given)
    out = tmp_path / "conv" / "converted.jsonl.gz"
    convert(given, out)
    assert (_header_name(out), _mtime(out)) == (b"converted.jsonl", 0)
    split(out, tmp_path / "parts", compress="gz")
    written = sorted((tmp_path / "parts").glob("*.jsonl.gz"))
    assert written and all((_header_name(p), _mtime(p)) == (p.name[:-3].encode(), 0) for p in written)


def test_a_gzip_writer_closes_its_file_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / ".x.jsonl.gz.123.tmp"
    with create_scene_file(path, "gzip", name="x.jsonl.gz") as fh:
        fh.write(b'{"a": 1}\n')
    assert fh.closed
    assert gzip.decompress(path.read_bytes()) == b'{"a": 1}\n'
    assert _header_name(path) == b"x.jsonl"


def test_a_gzip_writer_onto_a_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "folder.gz"
    path.mkdir()
    with pytest.raises(IsADirectoryError):
        create_scene_file(path, "gzip")
