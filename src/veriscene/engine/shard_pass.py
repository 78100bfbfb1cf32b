"""The pieces of `generate`'s shard pass: the shard tasks read from the input, the Ray workers
and whether they write their shards themselves, and the merge of the finished shards.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Any, Iterator, Sequence

from veriscene.engine.backends import cluster_workers, nodes_without
from veriscene.engine.disk_space import temporary_for
from veriscene.engine.scan import Cursor, ScanResult
from veriscene.engine.shards import ShardTask, shard_files, shard_path
from veriscene.scene.inputs import input_errors, open_scenes


def _tasks(paths: list[Path], scan: ScanResult, shard_size: int, todo: Sequence[int],
           skip: dict[int, str]) -> Iterator[ShardTask]:
    """Read the lines of each shard still to do, in order, never seeking backward (done shards
    are seeked past: they cost nothing, but in a compressed file, where seeking forward
    decompresses, their bytes are read)."""
    cursor = Cursor()
    with input_errors(paths), open_scenes(paths, scan.spans) as fh:
        for index in todo:
            start, end = index * shard_size, min((index + 1) * shard_size, scan.scenes)
            lines = scan.read(fh, start, end, cursor)
            own = {n: r for n, r in skip.items() if lines and lines[0][0] <= n <= lines[-1][0]}
            yield ShardTask(index, lines, own)


def _ray_run(ray: Any, workers: int | None, out_dir: Path, shared_output: bool | None,
             notes: list[str]) -> tuple[int, bool]:
    """On a connected Ray: the run's workers (None: the cluster's CPUs) and whether they write their
    shards themselves (`_output_shared`), both said in `notes`."""
    cpus = ray.cluster_resources().get("CPU", 0)
    if not cpus:
        warnings.warn("the Ray cluster has no CPU for tasks yet: the shards wait for nodes to join", stacklevel=3)
    workers = cluster_workers(ray) if workers is None else workers
    notes.append(f"Ray at {ray.get_runtime_context().gcs_address} ({cpus:g} CPU{'s' if cpus != 1 else ''}): "
                 f"{workers} worker{'s' if workers != 1 else ''}, at most {2 * workers} shards in flight")
    shared, note = _output_shared(ray, out_dir, shared_output)
    notes.append(note)
    return workers, shared


def _output_shared(ray: Any, out_dir: Path, shared_output: bool | None) -> tuple[bool, str]:
    """Whether the Ray workers write their shards into `out_dir` themselves, and the run's note
    saying so. They may when every node that runs tasks sees the folder: a file made here must be
    there, at the same path (a folder of the same name on another disk does not have it).
    `shared_output`: None decides so, True refuses a node that does not see it, False never."""
    if shared_output is False:
        return False, "Ray workers send their samples back to be written here (shared_output=False)"
    mark = out_dir.resolve() / f".visible-{uuid.uuid4().hex}"
    mark.touch()
    try:
        missing = nodes_without(ray, str(mark))
    finally:
        mark.unlink()
    if missing and shared_output:
        raise RuntimeError(f"shared_output: {out_dir.resolve()} is not seen by {len(missing)} node(s) of the Ray "
                           f"cluster: {', '.join(missing)}. Put the output on a file system every node mounts at "
                           "the same path, or run without it (the samples then come back to be written here)")
    if missing:
        return False, (f"Ray workers send their samples back to be written here: {len(missing)} node(s) do not see "
                       f"{out_dir.resolve()} ({', '.join(missing)})")
    return True, "Ray workers write their shards into the output folder, which every node sees"


def _merge(out_dir: Path, shards_dir: Path, n_shards: int, fmt: str) -> None:
    """Concatenate shard samples (jsonl format) and rejects, in shard order, atomically."""
    if fmt == "jsonl":  # (a full disk is said naming the file: it needs room for a copy of the shards)
        with temporary_for(out_dir / "samples.jsonl") as tmp:
            with open(tmp, "wb") as out:
                for index in range(n_shards):
                    with open(shard_path(shards_dir, index, fmt), "rb") as fh:
                        shutil.copyfileobj(fh, out)
            os.replace(tmp, out_dir / "samples.jsonl")
    with temporary_for(out_dir / "rejects.jsonl") as tmp:
        with open(tmp, "wb") as out:
            for index in range(n_shards):
                with open(shards_dir / shard_files(index, fmt)[1], "rb") as fh:
                    shutil.copyfileobj(fh, out)
        os.replace(tmp, out_dir / "rejects.jsonl")
