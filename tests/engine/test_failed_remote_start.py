"""A run at a URL, or on Ray, that fails before it finished a shard (a damaged input found in its
scan, Ctrl-C there) uploads nothing and leaves its folders as it found them: the same command on
the input put right, or a run to another URL through the same staging folder, just runs. Before:
the staging folder kept the ledger naming the URL, and a run to another URL through it was
refused ("the staging folder ... holds the run of memory://bucket/typo")."""

from __future__ import annotations

import gzip
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fsspec
import orjson
import pytest

from tests.engine.test_failed_start import _interrupted_in_the_scan
from veriscene.engine.generate import generate
from veriscene.engine.remote import LEDGER

generate_module = importlib.import_module("veriscene.engine.generate")
OPTIONS: dict[str, Any] = {"generators": "counting", "shard_size": 4}  # 12 scenes: 3 shards


@pytest.fixture
def memory() -> Iterator[Any]:
    fs = fsspec.filesystem("memory")
    yield fs
    fs.store.clear()
    fs.pseudo_dirs.clear()
    fs.pseudo_dirs.append("")


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def _cut_short(scenes_file: Path) -> tuple[Path, bytes]:
    """A gzip copy of `scenes_file` cut in half (a download cut short), and the whole copy's bytes."""
    whole = gzip.compress(scenes_file.read_bytes())
    given = scenes_file.with_name("scenes.jsonl.gz")
    given.write_bytes(whole[: len(whole) // 2])
    return given, whole


def _uploaded(memory: Any, root: str) -> list[str]:
    return sorted(memory.find(root)) if memory.exists(root) else []


@pytest.mark.parametrize("staging_exists", [False, True])
def test_a_damaged_input_uploads_nothing_and_the_staging_folder_takes_any_run(
        tmp_path: Path, scenes_file: Path, memory: Any, staging_exists: bool) -> None:
    given, whole = _cut_short(scenes_file)
    staging = tmp_path / "stage"
    if staging_exists:
        staging.mkdir()
    with pytest.raises(ValueError, match="ends early"):
        generate(given, "memory://bucket/typo", staging=staging, **OPTIONS)
    assert _uploaded(memory, "/bucket") == []
    assert staging.exists() == staging_exists and _files(staging) == []  # no ledger naming memory://bucket/typo
    given.write_bytes(whole)  # fetched again, to the URL meant
    summary = generate(given, "memory://bucket/run", staging=staging, **OPTIONS)
    assert summary.samples > 0
    assert orjson.loads(memory.cat_file("/bucket/run/manifest.json"))["status"] == "complete"
    assert _uploaded(memory, "/bucket/typo") == []


def test_ctrl_c_in_the_scan_of_a_run_at_a_url_leaves_nothing_and_the_same_command_runs(
        tmp_path: Path, scenes_file: Path, memory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    staging = tmp_path / "stage"
    with monkeypatch.context() as patched:
        with pytest.raises(_interrupted_in_the_scan(patched)):
            generate(scenes_file, "memory://bucket/run", staging=staging, **OPTIONS)
    assert _uploaded(memory, "/bucket") == [] and not staging.exists()
    generate(scenes_file, "memory://bucket/run", staging=staging, **OPTIONS)  # no --overwrite, no --resume
    assert orjson.loads(memory.cat_file("/bucket/run/manifest.json"))["status"] == "complete"


def test_a_run_that_uploaded_a_shard_keeps_its_ledger_for_resume(tmp_path: Path, scenes_file: Path,
                                                                 memory: Any) -> None:
    staging = tmp_path / "stage"

    class Stop(Exception):
        pass

    def stop(sidecar: dict[str, Any]) -> None:
        raise Stop

    with pytest.raises(Stop):
        generate(scenes_file, "memory://bucket/run", staging=staging, on_shard=stop, **OPTIONS)
    assert (staging / LEDGER).exists() and (staging / "manifest.json").exists()
    assert "/bucket/run/shards/shard-00000.json" in _uploaded(memory, "/bucket")
    summary = generate(scenes_file, "memory://bucket/run", staging=staging, resume=True, **OPTIONS)
    assert any(note.startswith("resumed: 1 of 3 shard(s) kept") for note in summary.notes)


def test_a_damaged_input_on_the_ray_backend_leaves_the_folder_as_it_was(tmp_path: Path, scenes_file: Path,
                                                                        local_ray: Any) -> None:
    """(on the tests' shared local Ray, as a notebook's `ray.init()`: not two Ray start-ups of the
    runs' own; a run's own Ray is started and stopped by test_verify's and test_plugins' runs)"""
    given, whole = _cut_short(scenes_file)
    out = tmp_path / "run"
    out.mkdir()
    (out / ".hidden").write_bytes(b"the user's")
    with pytest.raises(ValueError, match="ends early"):
        generate(given, out, backend="ray", workers=1, scan_chunk=1024, **OPTIONS)
    assert _files(out) == [".hidden"]
    given.write_bytes(whole)
    summary = generate(given, out, backend="ray", workers=1, **OPTIONS)  # no --overwrite
    assert summary.samples > 0 and orjson.loads((out / "manifest.json").read_bytes())["status"] == "complete"
