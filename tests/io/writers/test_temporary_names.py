"""A writer writes its file through a temporary name of its own beside it: two writing one file
(which no run lock stops when a writer is called from Python) each write a whole copy, the last
renamed into place, and a failure leaves no temporary file behind."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from veriscene.io.writers.files import AtomicTextFile, temporary_sibling

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from veriscene.io.writers.arrow import BatchedArrowWriter


def test_two_writers_of_one_file_each_write_a_whole_copy(tmp_path: Path) -> None:
    """With one fixed `o.json.tmp` the second truncated the first's file, and the first's rename
    then failed (FileNotFoundError: the second had renamed it away)."""
    path = tmp_path / "o.json"
    with AtomicTextFile(path) as first:
        first.write('["first", ')
        with AtomicTextFile(path) as second:
            second.write('["second"]\n')
        assert orjson.loads(path.read_bytes()) == ["second"]
        first.write('"whole"]\n')
    assert orjson.loads(path.read_bytes()) == ["first", "whole"]
    assert [p.name for p in tmp_path.iterdir()] == ["o.json"]


def test_a_temporary_name_is_hidden_new_and_has_the_mode_of_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    (tmp_path / "o.json.tmp").write_text("left by a run killed before")
    before = os.umask(0o022)
    try:
        names = {temporary_sibling(path) for _ in range(20)}
        with AtomicTextFile(path) as fh:
            fh.write("[]\n")
    finally:
        os.umask(before)
    assert len(names) == 20 and all(p.name.startswith(".o.json.") and p.name.endswith(".tmp") for p in names)
    assert all(p.stat().st_size == 0 for p in names)
    assert path.stat().st_mode & 0o777 == 0o644  # (not mkstemp's 0600: the rename keeps the mode)
    assert (tmp_path / "o.json.tmp").read_text() == "left by a run killed before"  # another's: not touched


def _rows(writer: BatchedArrowWriter, start: int, n: int) -> None:
    for i in range(start, start + n):
        writer.add({"i": i})
    writer.flush()


@pytest.mark.parametrize("kind", ["parquet", "arrow"])
def test_two_arrow_writers_of_one_file_each_write_a_whole_copy(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"o.{kind}"
    schema = pa.schema([("i", pa.int64())])
    first = BatchedArrowWriter(path, schema, kind=kind, batch_rows=2)
    _rows(first, 0, 3)
    second = BatchedArrowWriter(path, schema, kind=kind, batch_rows=2)
    _rows(second, 100, 5)
    second.close()
    _rows(first, 3, 3)
    first.close()
    if kind == "parquet":
        table = pq.read_table(path)
    else:
        with pa.OSFile(str(path), "rb") as fh:
            table = pa.ipc.open_stream(fh).read_all()
    assert table.column("i").to_pylist() == list(range(6))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_an_arrow_writer_that_fails_to_close_leaves_no_temporary_file(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.io.writers import arrow

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(f"cannot replace {dst}")

    writer = BatchedArrowWriter(tmp_path / "o.parquet", pa.schema([("i", pa.int64())]))
    _rows(writer, 0, 3)
    monkeypatch.setattr(arrow.os, "replace", refuse)
    with pytest.raises(PermissionError):
        writer.close()
    assert list(tmp_path.iterdir()) == []
