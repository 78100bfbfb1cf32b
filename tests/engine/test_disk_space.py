"""A disk that fills up mid-run: said as that, naming the file, with nothing half-written left; the
resume once there is room gives the uninterrupted run's bytes."""

from __future__ import annotations

import errno
import gzip
import pickle
from pathlib import Path
from typing import Any

import pytest

from veriscene.engine import scan, shard_pass, shards
from veriscene.engine.backends import START_METHOD_ENV
from veriscene.engine.disk_space import DiskFullError, temporary_for
from veriscene.engine.generate import generate

OPTIONS = dict(generators="counting,attribute.*", shard_size=3)


def _no_space(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


class _FillingFile:
    """A file whose writes fail as on a full disk."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, data: bytes) -> int:
        self._fh.write(bytes(data)[:10])  # part of it made it to the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> "_FillingFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def test_a_failed_write_removes_its_temporary_file_and_says_the_disk_is_full(tmp_path: Path) -> None:
    path = tmp_path / "shard-00003.jsonl"
    with pytest.raises(DiskFullError) as info:
        with temporary_for(path) as tmp:
            tmp.write_bytes(b"part of it")
            _no_space()
    said = str(info.value)
    assert said.startswith(f"the disk is full: no space left to write {path} (")
    assert " free of " in said and said.endswith("What was finished is kept: free some space there, then run the "
                                                 "same command again with --resume (resume=True) to go on from it")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert list(tmp_path.iterdir()) == []  # the partial copy does not take the space
    again = pickle.loads(pickle.dumps(info.value))  # as a worker process sends it back
    assert type(again) is DiskFullError and str(again) == said and again.errno == errno.ENOSPC


def test_a_quota_is_said_as_a_quota(tmp_path: Path) -> None:
    with pytest.raises(DiskFullError, match=r"^the disk quota is exceeded: no more may be written to .*manifest\.json"):
        with temporary_for(tmp_path / "manifest.json"):
            raise OSError(errno.EDQUOT, "Disk quota exceeded")


def test_other_errors_are_left_as_they_are(tmp_path: Path) -> None:
    with pytest.raises(PermissionError):
        with temporary_for(tmp_path / "x") as tmp:
            tmp.write_bytes(b"x")
            raise PermissionError(errno.EACCES, "Permission denied")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("where", "workers"), [("shard", 1), ("shard", 2), ("merge", 1)])
def test_a_run_that_fills_the_disk_resumes_to_the_uninterrupted_run(tmp_path: Path, scenes_file: Path,
                                                                    monkeypatch: pytest.MonkeyPatch, where: str,
                                                                    workers: int) -> None:
    """Before: "[Errno 28] No space left on device", no file named, its partial file left."""
    generate(scenes_file, tmp_path / "whole", workers=workers, **OPTIONS)
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        if where == "shard":  # the third shard's samples (forked workers are patched too)
            def filling(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
                fh = open(path, mode, *args, **kwargs)
                return _FillingFile(fh) if Path(path).name == "shard-00002.jsonl.tmp" else fh

            m.setattr(shards, "open", filling, raising=False)
            # the workers must be forked to carry the patch: once an earlier test of this process has
            # imported torch, veriscene would start them from a forkserver, unpatched
            m.setenv(START_METHOD_ENV, "fork")
            full = out.resolve() / "shards" / "shard-00002.jsonl"  # (workers are given the folder resolved)
        else:
            m.setattr(shard_pass.shutil, "copyfileobj", _no_space)
            full = out / "samples.jsonl"
        with pytest.raises(DiskFullError) as info:
            generate(scenes_file, out, workers=workers, **OPTIONS)
    assert str(info.value).startswith(f"the disk is full: no space left to write {full} (")
    assert "--resume" in str(info.value)
    assert not list(out.rglob("*.tmp"))  # no partial file left taking space
    summary = generate(scenes_file, out, workers=workers, resume=True, **OPTIONS)
    # kept: the shards before the third (and with two workers, maybe the fourth), or all for the merge
    kept = {("shard", 1): (2,), ("shard", 2): (2, 3), ("merge", 1): (4,)}[where, workers]
    assert any(f"resumed: {k} of 4 shard(s) kept from the interrupted run, {4 - k} run now" in summary.notes
               for k in kept), summary.notes
    for name in ("samples.jsonl", "rejects.jsonl", "vocabulary.json"):
        assert (out / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()


def test_a_full_temporary_folder_is_said_with_tmpdir(tmp_path: Path, scenes_file: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan copies the chunks of a compressed input into the temporary folder."""
    packed = tmp_path / "scenes.jsonl.gz"
    packed.write_bytes(gzip.compress(scenes_file.read_bytes()))
    monkeypatch.setattr(scan, "copy_chunk", _no_space)
    with pytest.raises(DiskFullError) as info:
        generate(packed, tmp_path / "run", **OPTIONS)
    assert "chunk-0" in str(info.value) and "the temporary folder (TMPDIR: set it to a folder on a disk with room" \
        in str(info.value)
