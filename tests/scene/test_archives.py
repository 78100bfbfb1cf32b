"""Paths that reach into zip archives (`a.zip/b/c.json`): found, listed, opened, fingerprinted."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from veriscene.scene import archives
from veriscene.scene.compressed import data_files, find_data_file, open_data_file


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_only_a_path_past_a_zip_file_reaches_into_it(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"d/x.json": b"{}"})
    (tmp_path / "plain.json").write_text("{}")
    assert archives.archive_member(archive / "d" / "x.json") == (archive, "d/x.json")
    assert archives.archive_member(archive) is None  # on disk
    assert archives.archive_member(tmp_path / "plain.json") is None
    assert archives.archive_member(tmp_path / "plain.json" / "x") is None  # past a file that is no archive
    assert archives.archive_member(tmp_path / "nowhere" / "x.json") is None  # past a real folder
    assert archives.is_file(archive / "d" / "x.json") and archives.is_file(archive / "x.json")
    assert not archives.is_file(archive / "d") and not archives.is_file(archive / "y.json")
    assert archives.exists(archive / "d" / "x.json") and archives.exists(tmp_path)


def test_an_exact_name_goes_before_an_ending(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"x.json": b"1", "d/x.json": b"2", "d/y.json": b"3"})
    with open_data_file(archive / "x.json") as fh:
        assert fh.read() == b"1"
    with open_data_file(archive / "y.json") as fh:  # the one member ending so
        assert fh.read() == b"3"


def test_files_of_a_folder_in_an_archive_are_listed_and_found(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "oi.zip", {
        "oi/relationships.csv": b"a", "oi/class-descriptions.csv.gz": b"b", "oi/sub/other.csv": b"c",
        "__MACOSX/oi/._relationships.csv": b"", "top.csv": b"d",
    })
    assert archives.folder_files(archive / "oi") == [archive / "oi" / "relationships.csv",
                                                    archive / "oi" / "class-descriptions.csv.gz"]
    assert sorted(data_files(archive / "oi", ".csv")) == sorted(archives.folder_files(archive / "oi"))
    assert data_files(archive, ".csv") == [archive / "top.csv"]  # the archive as a folder: its top level
    assert find_data_file(archive / "oi", "class-descriptions.csv") == archive / "oi" / "class-descriptions.csv.gz"
    assert archives.folder_files(tmp_path) == []  # a real folder is not one of an archive


def test_a_members_fingerprint_follows_its_content(tmp_path: Path) -> None:
    first = _zip(tmp_path / "a.zip", {"x.json": b'{"a": 1}', "y.json": b"{}"})
    same = _zip(tmp_path / "b.zip", {"x.json": b'{"a": 1}'})
    other = _zip(tmp_path / "c.zip", {"x.json": b'{"a": 2}'})
    fingerprints = [archives.member_fingerprint(p / "x.json") for p in (first, same, other)]
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]
    assert archives.member_fingerprint(first) is None


def test_what_is_missing_is_said(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {f"f{i}.json": b"{}" for i in range(12)})
    assert archives.missing(archive / "f3.json") is None
    assert archives.missing(tmp_path / "none.json") == f"{tmp_path / 'none.json'}: no such file or directory"
    said = archives.missing(archive / "g.json")
    assert said is not None and "holds no file 'g.json'; it holds f0.json, f1.json" in said and "(12 files)" in said
    with pytest.raises(FileNotFoundError, match="holds no file 'g.json'"):
        archives.require(archive / "g.json")
    with pytest.raises(FileNotFoundError, match="not a file"):
        archives.require_file(tmp_path)
