"""A run that fails before it finished a shard (a damaged or unreadable input, Ctrl-C in the scan,
`strict` at the first shard) leaves its folder as it was, so the same command on the input put
right starts afresh; a run that finished a shard keeps it for --resume, as before."""

from __future__ import annotations

import gzip
import importlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from veriscene.engine.generate import generate
from veriscene.engine.manifest import ResumeMismatchError, RunExistsError
from veriscene.errors import SceneValidationError

generate_module = importlib.import_module("veriscene.engine.generate")  # the module (the package names the function so)
OPTIONS: dict[str, Any] = {"generators": "counting", "shard_size": 4}  # 12 scenes: 3 shards


class Stop(Exception):
    pass


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (but the lock file, which the run removes when it ends)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".veriscene-lock")}


def _with_bad_line(scenes_file: Path, line: int) -> Path:
    """The scene file with a line that is not JSON inserted as line `line` (1-based)."""
    lines = scenes_file.read_bytes().splitlines()
    lines.insert(line - 1, b"{truncated")
    bad = scenes_file.with_name("bad.jsonl")
    bad.write_bytes(b"\n".join(lines) + b"\n")
    return bad


@pytest.fixture
def reference(tmp_path: Path, scenes_file: Path) -> dict[str, bytes]:
    out = tmp_path / "reference"
    generate(scenes_file, out, **OPTIONS)
    return {k: v for k, v in _files(out).items() if k != "manifest.json"}


def test_a_damaged_input_leaves_no_run_and_the_retry_on_the_whole_file_just_runs(
        tmp_path: Path, scenes_file: Path, reference: dict[str, bytes]) -> None:
    whole = gzip.compress(scenes_file.read_bytes())
    given = tmp_path / "in" / "scenes.jsonl.gz"
    given.write_bytes(whole[: len(whole) // 2])  # a download cut short
    out = tmp_path / "run"
    with pytest.raises(ValueError, match="ends early"):
        generate(given, out, **OPTIONS)
    assert _files(out) == {}
    given.write_bytes(whole)  # fetched again: another sha256, but no run in the way
    generate(given, out, **OPTIONS)
    assert {k: v for k, v in _files(out).items() if k != "manifest.json"} == reference


def _unreadable(monkeypatch: pytest.MonkeyPatch) -> type[BaseException]:
    def scan(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(generate_module, "scan_scenes", scan)
    return PermissionError


def _interrupted_in_the_scan(monkeypatch: pytest.MonkeyPatch) -> type[BaseException]:
    real = generate_module.scan_scenes

    def scan(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def stop(done: int, total: int) -> None:
            if done:
                raise KeyboardInterrupt
        return real(*args, progress=stop, **kwargs)

    monkeypatch.setattr(generate_module, "scan_scenes", scan)
    return KeyboardInterrupt


def _interrupted_before_the_first_shard(monkeypatch: pytest.MonkeyPatch) -> type[BaseException]:
    def run_tasks(*args: Any, **kwargs: Any) -> Any:  # Ctrl-C while the first shard is made
        raise KeyboardInterrupt

    monkeypatch.setattr(generate_module, "run_tasks", run_tasks)
    return KeyboardInterrupt


@pytest.mark.parametrize("cause", [_unreadable, _interrupted_in_the_scan, _interrupted_before_the_first_shard])
@pytest.mark.parametrize("shard_format", ["jsonl", "zstd"])
def test_a_run_stopped_before_its_first_shard_leaves_the_folder_as_it_was(
        tmp_path: Path, scenes_file: Path, monkeypatch: pytest.MonkeyPatch, cause: Any, shard_format: str) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / ".hidden").write_bytes(b"the user's")
    with monkeypatch.context() as patched:
        raised = cause(patched)
        with pytest.raises(raised):
            generate(scenes_file, out, shard_format=shard_format, **OPTIONS)
    assert _files(out) == {".hidden": b"the user's"}
    generate(scenes_file, out, shard_format=shard_format, seed=3, **OPTIONS)  # another configuration: no refusal
    assert orjson.loads((out / "manifest.json").read_bytes())["status"] == "complete"


def test_strict_failing_at_the_first_shard_leaves_no_run(tmp_path: Path, scenes_file: Path,
                                                         reference: dict[str, bytes]) -> None:
    bad = _with_bad_line(scenes_file, 2)
    out = tmp_path / "run"
    with pytest.raises(SceneValidationError, match="line 2"):
        generate(bad, out, strict=True, **OPTIONS)
    assert _files(out) == {}
    bad.write_bytes(scenes_file.read_bytes())  # put right
    generate(bad, out, strict=True, **OPTIONS)
    made = _files(out)
    assert made["samples.jsonl"] == reference["samples.jsonl"]


def test_a_run_left_running_before_its_first_shard_does_not_block_a_new_start(
        tmp_path: Path, scenes_file: Path) -> None:
    """As a release that wrote its manifest before the scan left a folder whose input it found
    damaged (or a run killed in the scan does): nothing to resume, so nothing in the way."""
    out = tmp_path / "run"
    generate(scenes_file, out, **OPTIONS)
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    left = {**manifest, "status": "running",  # of an input since fetched again: another sha256
            "config": {**manifest["config"], "scenes": {"path": "in/scenes.jsonl", "sha256": "0" * 64}}}
    for resume in (False, True):  # as the same command was given, and as the refusal told
        for name in ("samples.jsonl", "rejects.jsonl"):
            (out / name).unlink()
        (out / "manifest.json").write_bytes(orjson.dumps(left))
        (out / "shards").mkdir()
        (out / "shards" / "shard-00000.jsonl.tmp").write_bytes(b"begun")
        summary = generate(scenes_file, out, resume=resume, **OPTIONS)
        assert not any(note.startswith("resumed") for note in summary.notes)
        assert orjson.loads((out / "manifest.json").read_bytes())["status"] == "complete"
        assert not (out / "shards").exists()


def _stopped_after_its_first_shard(scenes_file: Path, out: Path) -> dict[str, bytes]:
    """A zstd run into `out` stopped once its first shard is finished: the files it keeps."""
    def stop_after_first(sidecar: dict[str, Any]) -> None:
        raise Stop

    with pytest.raises(Stop):
        generate(scenes_file, out, shard_format="zstd", on_shard=stop_after_first, **OPTIONS)
    return _files(out)


def test_a_run_that_finished_a_shard_keeps_it_and_still_needs_resume(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    kept = _stopped_after_its_first_shard(scenes_file, out)
    assert orjson.loads(kept["manifest.json"])["status"] == "running" and "shards/shard-00000.json" in kept
    with pytest.raises(RunExistsError, match="pass resume=True to complete it"):
        generate(scenes_file, out, shard_format="zstd", **OPTIONS)
    scenes_file.write_bytes(scenes_file.read_bytes() + b"\n")  # the same scenes, other bytes
    with pytest.raises(ResumeMismatchError, match="has changed"):
        generate(scenes_file, out, shard_format="zstd", resume=True, **OPTIONS)
    assert _files(out) == kept


def test_a_resumed_run_whose_input_turns_out_damaged_keeps_its_manifest(tmp_path: Path, scenes_file: Path) -> None:
    out = tmp_path / "run"
    kept = _stopped_after_its_first_shard(scenes_file, out)

    def scan(*args: Any, **kwargs: Any) -> Any:
        raise OSError(5, "Input/output error")

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(generate_module, "scan_scenes", scan)
        with pytest.raises(OSError, match="Input/output"):
            generate(scenes_file, out, shard_format="zstd", resume=True, **OPTIONS)
    assert _files(out) == kept


def test_strict_does_not_keep_the_shard_of_its_failure(tmp_path: Path, scenes_file: Path) -> None:
    """The shard holding the bad record is not kept: a resume with --strict fails on it again,
    rather than going past it to a run that completes with a rejected record."""
    bad = _with_bad_line(scenes_file, 6)  # in the second shard (lines 5 to 8)
    out = tmp_path / "run"
    for _ in range(2):
        with pytest.raises(SceneValidationError, match="line 6"):
            generate(bad, out, strict=True, resume=True, **OPTIONS)
        assert sorted(p.name for p in (out / "shards").glob("*.json")) == ["shard-00000.json"]


def test_strict_resume_refuses_a_kept_shard_with_rejects(tmp_path: Path, scenes_file: Path) -> None:
    bad = _with_bad_line(scenes_file, 2)
    out = tmp_path / "run"

    def stop_after_first(sidecar: dict[str, Any]) -> None:
        raise Stop

    with pytest.raises(Stop):  # a run without --strict: its first shard kept, with its reject
        generate(bad, out, on_shard=stop_after_first, **OPTIONS)
    with pytest.raises(SceneValidationError, match="line 2"):
        generate(bad, out, strict=True, resume=True, **OPTIONS)
    summary = generate(bad, out, resume=True, **OPTIONS)  # without it, the run completes as it began
    assert summary.rejects["rejected"] == 1
