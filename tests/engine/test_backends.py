"""Backends: the local process pool keeps nothing of a shard once its output is handed on."""

from __future__ import annotations

import gc
import weakref

import pytest

from veriscene.engine import backends
from veriscene.engine.shards import ShardOutput, ShardTask


def _fake_shard(task: ShardTask) -> ShardOutput:
    """Stands in for run_shard in the pool's workers (picklable by reference)."""
    return ShardOutput(task.index, b"x" * 1000, [], {"samples": 3}, task.lines[0][0], task.lines[-1][0])


@pytest.mark.parametrize("with_progress", [False, True])
def test_local_pool_drops_finished_outputs(monkeypatch: pytest.MonkeyPatch, with_progress: bool) -> None:
    # Workers are forked after the patch, so they run the fake too.
    monkeypatch.setattr(backends, "_pool_task", _fake_shard)
    tasks = [ShardTask(i, [(i, b"{}")], {}) for i in range(12)]
    seen: list[tuple[int, int]] = []
    progress = (lambda scenes, samples: seen.append((scenes, samples))) if with_progress else None
    outputs = backends.run_local_pool(None, tasks, 2, progress)  # type: ignore[arg-type]
    refs = []
    for n, output in enumerate(outputs):
        refs.append(weakref.ref(output))
        del output
        if n == 10:  # the run is still going: outputs handed on long ago must be gone
            gc.collect()
            assert [r() for r in refs[:4]] == [None] * 4
    assert len(refs) == 12
    assert seen == ([(1, 3)] * 12 if with_progress else [])
