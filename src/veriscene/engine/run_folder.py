"""A run's output folder before `generate` writes into it: checked, cleared with `overwrite`,
or found to hold the run to resume; and the run's own files kept out of its input.

(Reading a finished run's samples is `veriscene.engine.runfiles`.)
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from veriscene.engine import converted
from veriscene.engine.converted import STAMP
from veriscene.engine.manifest import RunExistsError, read_manifest
from veriscene.engine.run_lock import lock_folder
from veriscene.engine.shards import shard_path
from veriscene.option_names import option

# What a run writes in its folder, removed by `overwrite` (a converted input's scenes.jsonl is
# kept: the folder may hold the input itself, as the demo's does).
RUN_FILES = ("samples.jsonl", "manifest.json", "vocabulary.json", "rejects.jsonl", STAMP, converted.REJECTS)
RUN_FOLDERS = ("shards",)
# What other commands write into a run folder by default (--to's export, `card`, `stats`), which
# describes the run: removed by `overwrite` when the folder held a run.
DERIVED = ("export", "README.md", "stats.png")
_SHARD_FILE = re.compile(r"shard-\d{5,}\.")


def _check_out_path(out_dir: Path) -> None:
    """Refuse an output that is a file, or lies under one (NotADirectoryError)."""
    for path in (out_dir, *out_dir.parents):
        if not path.exists():
            continue
        if not path.is_dir():
            where = "is a file" if path == out_dir else f"lies under {path}, which is a file"
            raise NotADirectoryError(f"the output {out_dir} {where}, not a folder: give a folder ({option('out', '--out')})")
        return


def _not_run_files(out_dir: Path) -> list[str]:
    """What a folder holding no manifest has besides what a run leaves before writing its manifest
    (its input's conversion, temporary and hidden files, shard files)."""
    others = []
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        if name.startswith(".") or name.endswith(".tmp") or name in converted.FILES:
            continue
        if name == "shards" and entry.is_dir() and all(_SHARD_FILE.match(p.name) for p in entry.iterdir()):
            continue
        others.append(name + "/" if entry.is_dir() else name)
    return others


def _check_no_run_files(out_dir: Path) -> None:
    """Refuse (RunExistsError) a folder holding no manifest but other files than a run leaves
    before its manifest: a run's files without it (it cannot be resumed), or the user's."""
    others = _not_run_files(out_dir)
    if not others:
        return
    listed = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    if all(name.rstrip("/") in (*RUN_FILES, *DERIVED) for name in others):
        raise RunExistsError(f"{out_dir} holds a run's files ({listed}) but no manifest.json, so it cannot be "
                             f"resumed or added to: pass {option('overwrite=True', '--overwrite')} to start the run again")
    raise RunExistsError(f"{out_dir} holds files but no veriscene run (no manifest.json): {listed}. Give an "
                         f"empty or new folder, or pass {option('overwrite=True', '--overwrite')} to write the run there (replacing the files a "
                         f"run writes: {', '.join(RUN_FILES[:4])}, shards/)")


def _clear_run(out_dir: Path) -> None:
    """Remove every file a run writes in `out_dir`, and what other commands derived from the run
    it held (`DERIVED`); nothing else."""
    held_run = (out_dir / "manifest.json").exists()
    for name in (*RUN_FILES, *RUN_FOLDERS, *(DERIVED if held_run else ())):
        for path in (out_dir / name, out_dir / f"{name}.tmp"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def _prepare_folder(out_dir: Path, resume: bool, overwrite: bool) -> dict[str, Any] | None:
    """Check (and with `overwrite` clear) the output folder before the run writes into it; returns
    the manifest of the run to resume (None: the run starts from scratch, shards/ cleared).

    Without `overwrite`, a folder holding no manifest must be empty or hold only what a run leaves
    before its manifest (RunExistsError), so that no file of the user's is replaced; a folder
    holding a run needs `resume`, but for one that stopped before it finished a shard, which has
    nothing to resume or keep: its files are removed, and the run starts afresh (`_started`).
    `overwrite` replaces whatever run the folder holds, an unreadable manifest included. The
    folder is locked first (made if need be): another run writing there is refused
    (`engine.run_lock`)."""
    _check_out_path(out_dir)
    lock_folder(out_dir)
    if not out_dir.exists():  # (not made by `lock_folder` where nothing is locked: Windows)
        return None
    if overwrite:
        _clear_run(out_dir)
        return None
    manifest = read_manifest(out_dir)
    if manifest is not None and not _started(out_dir, manifest):
        _take_back(out_dir)  # nothing to resume, and nothing of it to keep: not in the way of a new start
        manifest = None
    if manifest is None:
        _check_no_run_files(out_dir)
        shutil.rmtree(out_dir / "shards", ignore_errors=True)  # of a run whose manifest is gone
        return None
    if not resume:
        raise RunExistsError(
            f"{out_dir} already holds a run (manifest.json); pass {option('resume=True', '--resume')} to complete it "
            f"or {option('overwrite=True', '--overwrite')} to replace it"
        )
    return manifest


@contextmanager
def taken_back_unless_sharded(out_dir: Path, fresh: bool) -> Iterator[None]:
    """A run that fails in the block (an error, Ctrl-C) before it finished a shard, in a folder
    that held no run when it started (`fresh`), takes back what it wrote there (its manifest,
    vocabulary.json, shards/): the folder is left as it was, so the same command, or the
    same command on an input put right since, starts afresh without --resume or --overwrite. A
    run that finished a shard (a sidecar in shards/), or one resumed, keeps its files for --resume."""
    try:
        yield
    except BaseException:
        if fresh and not _finished_a_shard(out_dir):
            _take_back(out_dir)
        raise


def _finished_a_shard(out_dir: Path) -> bool:
    """Whether shards/ holds a finished shard's sidecar (written last, `engine.shards.write_shard`)."""
    return any((out_dir / "shards").glob("shard-*.json"))


def _started(out_dir: Path, manifest: dict[str, Any]) -> bool:
    """Whether the run whose `manifest` the folder holds may have anything to keep: its manifest
    says other than running, or it finished a shard, or it was merging them (samples.jsonl or
    rejects.jsonl there). One that stopped before its first shard (killed in its scan, or made by
    a release that left its manifest when the scan failed) has not."""
    return (manifest.get("status") != "running" or _finished_a_shard(out_dir)
            or any((out_dir / name).exists() for name in ("samples.jsonl", "rejects.jsonl")))


def _take_back(out_dir: Path) -> None:
    """Remove what a run writes before its first shard is finished: its manifest, vocabulary.json
    and shards/ (temporary files of shards begun)."""
    for name in ("manifest.json", "vocabulary.json"):
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / "shards", ignore_errors=True)


def _own_files_left_out(paths: list[Path], out_dir: Path, notes: list[str]) -> list[Path]:
    """`paths` without the files this run writes in its folder (an input folder or pattern that is,
    or holds, the output folder would otherwise read the run's own samples and rejects)."""
    run = out_dir.resolve()
    own = {run / name for name in RUN_FILES}

    def is_own(path: Path) -> bool:
        path = path.resolve()
        return path in own or any(path.is_relative_to(run / folder) for folder in (*RUN_FOLDERS, *DERIVED))

    kept = [p for p in paths if not is_own(p)]
    if len(kept) < len(paths):
        names = sorted({os.path.relpath(p.resolve(), run) for p in paths if is_own(p)})
        if not kept:
            raise ValueError(f"the input holds only files this run writes in its output folder {out_dir} "
                             f"({', '.join(names)}): give the scene files")
        notes.append(f"left out of the input: {', '.join(names)} (files this run writes in its output folder)")
    return kept


def _finished(out_dir: Path, manifest: dict[str, Any]) -> bool:
    """Whether a run's manifest says complete and its samples are all there: `samples.jsonl` for a
    jsonl run, every shard's samples for a zstd or parquet run (which never write samples.jsonl)."""
    if manifest.get("status") != "complete":
        return False
    fmt = manifest["config"].get("shard_format", "jsonl")
    if fmt == "jsonl":
        return (out_dir / "samples.jsonl").exists()
    return all(shard_path(out_dir / "shards", shard["index"], fmt).exists() for shard in manifest.get("shards", []))
