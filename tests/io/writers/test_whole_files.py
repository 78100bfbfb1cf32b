"""A file written whole or not at all (`AtomicTextFile`, `written_whole`), and the folders made for
it taken back (`new_folders`): a write failing part-way, at its last flush, or stopped (Ctrl-C)
leaves an existing file as it was, no temporary beside it and no empty folder of its own; a
failure names the file meant, not its temporary name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.file_limit import listing, posix_only, writes_cut_at
from veriscene.io.writers.files import AtomicTextFile, new_folders, written_whole


@posix_only
def test_a_disk_full_at_the_last_flush_leaves_no_temporary(tmp_path: Path) -> None:
    """The few bytes written are held in the buffer until the file closes: its close fails.
    Before, the close was outside the clean-up, and the temporary stayed."""
    (tmp_path / "a.json").write_bytes(b"earlier")
    with writes_cut_at(10), pytest.raises(OSError, match="File too large"), \
            AtomicTextFile(tmp_path / "a.json") as fh:
        fh.write("x" * 100)
    assert listing(tmp_path) == {"a.json": b"earlier"}


def test_a_file_written_by_name_is_put_in_place_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    target.write_bytes(b"earlier")
    with pytest.raises(KeyboardInterrupt), written_whole(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".chart.png.") and tmp.name.endswith(".tmp")
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert listing(tmp_path) == {"chart.png": b"earlier"}
    with written_whole(target) as tmp:
        tmp.write_bytes(b"whole")
    assert listing(tmp_path) == {"chart.png": b"whole"}


def test_the_folders_made_for_a_file_go_again_when_it_is_not_written(tmp_path: Path) -> None:
    (tmp_path / "kept").mkdir()
    with pytest.raises(KeyboardInterrupt), new_folders(tmp_path / "kept" / "a" / "b" / "page.html"):
        assert (tmp_path / "kept" / "a" / "b").is_dir()
        raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["kept"] and not any((tmp_path / "kept").iterdir())
    # a folder another writer put a file in meanwhile is not empty: kept, with those above it
    with pytest.raises(ValueError), new_folders(tmp_path / "x" / "y" / "page.html"):
        (tmp_path / "x" / "other.txt").write_text("another's")
        raise ValueError("failed")
    assert (tmp_path / "x" / "other.txt").is_file() and not (tmp_path / "x" / "y").exists()
    with new_folders(tmp_path / "z" / "page.html"):
        pass
    assert (tmp_path / "z").is_dir()


def test_a_failure_names_the_file_meant_not_its_temporary_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info, written_whole(tmp_path / "no" / "a.jsonl"):
        pass
    assert str(info.value) == f"[Errno 2] No such file or directory: '{tmp_path / 'no' / 'a.jsonl'}'"
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError) as info, AtomicTextFile(tmp_path / "folder") as fh:
        fh.write("text")
    assert str(info.value) == f"[Errno 21] Is a directory: '{tmp_path / 'folder'}'"
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]
