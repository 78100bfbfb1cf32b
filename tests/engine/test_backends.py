"""Backends: the local process pool keeps nothing of a shard once its output is handed on."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
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


ORPHANS = """
import sys, time
from veriscene.engine import backends

def nap(k):
    time.sleep(60)
    return k

if sys.argv[1] == "ordered_map":
    list(backends.ordered_map(nap, [(k,) for k in range(4)], workers=2))
else:
    from veriscene import generate
    generate(sys.argv[2], sys.argv[3], workers=2, shard_size=1)
"""


def _children(pid: int) -> set[int]:
    from pathlib import Path

    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:  # a thread that ended since the listing (the pool's own come and go)
            pass
    return found


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("pool", ["ordered_map", "generate"])
def test_workers_die_with_a_driver_killed_with_sigkill(tmp_path, pool: str) -> None:
    """Killed alone (not its process group), a driver takes its local workers with it: none is
    left waiting for work, holding its memory."""
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(400, seed=0), scenes)  # a few seconds' work on two workers
    proc = subprocess.Popen([sys.executable, "-c", ORPHANS, pool, str(scenes), str(tmp_path / "run")])
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        workers = _children(proc.pid)
    assert len(workers) == 2, "the workers did not start"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 30  # a bound on the wait (loaded machines), not a timing check
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked (and so patched) on Linux")
def test_a_worker_killed_is_said_with_its_signal_and_the_run_resumes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal

    from veriscene import generate
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.scene import write_scenes

    monkeypatch.setenv(backends.START_METHOD_ENV, "fork")  # the workers inherit the patch below
    path = tmp_path / "scenes.jsonl"
    write_scenes(list(iter_scene_graphs(30, seed=3)), path)
    generate(path, tmp_path / "reference", seed=1, shard_size=5, workers=2)
    real = backends.run_shard

    def dying(spec, task, progress=None):  # as the out-of-memory killer would, in the worker
        if task.index == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(spec, task, progress)

    monkeypatch.setattr(backends, "run_shard", dying)  # inherited by the forked workers
    with pytest.raises(backends.WorkerDied, match=r"a worker process died \(killed by SIGKILL, which the system's "
                                                  r"out-of-memory killer sends\)\. What was finished before it is "
                                                  r"kept: run the same command again with --resume"):
        generate(path, tmp_path / "run", seed=1, shard_size=5, workers=2)
    monkeypatch.undo()
    generate(path, tmp_path / "run", seed=1, shard_size=5, workers=2, resume=True)
    assert (tmp_path / "run" / "samples.jsonl").read_bytes() == (tmp_path / "reference" / "samples.jsonl").read_bytes()


def _dies_on_three(n: int) -> int:
    import os
    import signal

    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a test-module function reaches forked workers")
def test_ordered_map_says_how_a_worker_died() -> None:
    assert list(backends.ordered_map(_dies_on_three, [(1,), (2,)], workers=2)) == [1, 4]
    with pytest.raises(backends.WorkerDied, match=r"a worker process died \(killed by SIGKILL") as died:
        list(backends.ordered_map(_dies_on_three, [(n,) for n in range(1, 7)], workers=2))
    assert "--resume" not in str(died.value)  # not asked for: verify, stats and card have no resume
    with pytest.raises(backends.WorkerDied, match=r"run the same command again with --resume"):
        list(backends.ordered_map(_dies_on_three, [(n,) for n in range(1, 7)], workers=2, resumable=True))


def _hangs_on_three(n: int) -> int:
    import time

    if n == 3:
        time.sleep(600)
    return n * n


def _hang_stopped_in_time(backend: str, timeout: float) -> None:
    import time

    done: list[int] = []
    started = time.monotonic()
    with pytest.raises(backends.WorkerHung, match=rf"no result came back from a worker within {timeout:g} s \(a model, "
                                                  r"a device or a file read that hangs\?\); the workers were stopped"):
        for value in backends.ordered_map(_hangs_on_three, [(n,) for n in range(1, 7)], backend=backend, workers=2,
                                          timeout=timeout):
            done.append(value)
    assert done == [1, 4]  # the results before the hang were handed on
    assert time.monotonic() - started < 60  # not the 600 s of the hang


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a test-module function reaches forked workers")
def test_ordered_map_stops_a_worker_that_hangs() -> None:
    _hang_stopped_in_time("local", 1.5)
    with pytest.raises(ValueError, match="a task timeout is a number of seconds above 0"):
        list(backends.ordered_map(_hangs_on_three, [(1,)], timeout=-1))


def _square(n: int) -> int:
    return n * n


def test_workers_are_bounded_by_the_machine_locally_and_by_a_sanity_limit_on_a_cluster(monkeypatch) -> None:
    monkeypatch.setattr(backends.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    backends.check_workers(8, "local", None)
    backends.check_workers(None, "local", None)
    with pytest.raises(ValueError, match=r"workers must be at most 8 \(4 x the 2 CPUs of this machine\), got 9"):
        backends.check_workers(9, "local", None)
    with pytest.raises(ValueError, match="at most 8"):
        backends.check_workers(9, "ray", None)  # a local Ray of 9 CPUs on this machine
    backends.check_workers(500, "ray", "10.0.0.1:6379")
    with pytest.raises(ValueError, match="workers must be at least 1, got 0"):
        backends.check_workers(0, "local", None)
    with pytest.raises(TypeError, match="workers must be an integer"):
        backends.check_workers(2.5, "local", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("workers, tasks, pool", [(8, 1, 1), (8, 3, 3), (2, 40, 2), (4, 0, 1)])
def test_a_local_pool_has_no_more_processes_than_shards(workers: int, tasks: int, pool: int) -> None:
    assert backends.pool_workers(workers, tasks) == pool


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked (and so patched) on Linux")
def test_a_worker_running_other_code_fails_its_shard_and_the_run_resumes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each shard's worker checks its own code digest against the driver's (`check_worker_code`):
    a worker of other code (another checkout on a Ray node, here a patched digest in the local
    pool's forked workers) makes no shard; the error names the worker's pid and both digests."""
    import os
    import re

    from veriscene import generate
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.engine import source_digest
    from veriscene.scene import write_scenes

    monkeypatch.setenv(backends.START_METHOD_ENV, "fork")  # the workers inherit the patched digest
    path = tmp_path / "scenes.jsonl"
    write_scenes(list(iter_scene_graphs(12, seed=3)), path)
    generate(path, tmp_path / "reference", seed=1, shard_size=4, workers=2)
    driver, real = os.getpid(), source_digest.veriscene_digest()
    monkeypatch.setattr(source_digest, "veriscene_digest", lambda: real if os.getpid() == driver else "0" * 16)
    with pytest.raises(source_digest.WorkerCodeMismatch) as info:
        generate(path, tmp_path / "run", seed=1, shard_size=4, workers=2)
    said = str(info.value)
    assert re.search(r"shard \d+ was not made: its worker \(host .+, pid \d+\) runs other veriscene code than this "
                     r"process \(code digest 0{16} there, [0-9a-f]{16} here", said), said
    assert f"{real} here" in said and f"pid {driver})" not in said
    assert not (tmp_path / "run" / "samples.jsonl").exists()
    monkeypatch.undo()
    generate(path, tmp_path / "run", seed=1, shard_size=4, workers=2, resume=True)
    assert (tmp_path / "run" / "samples.jsonl").read_bytes() == (tmp_path / "reference" / "samples.jsonl").read_bytes()


def test_local_workers_fork_unless_torch_or_ray_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux local workers fork, unless this process imported torch or connected to Ray
    (threads a fork does not carry): then a forkserver. The environment variable chooses otherwise,
    and a wrong value is refused by name."""
    import types

    monkeypatch.delenv(backends.START_METHOD_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(is_initialized=lambda: False))
    assert backends.start_method() == "fork"
    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(is_initialized=lambda: True))
    assert backends.start_method() == "forkserver"
    monkeypatch.delitem(sys.modules, "ray")
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    assert backends.start_method() == "forkserver"
    assert backends.platform_start_method() == "fork"  # annotate's pool sets torch up for a fork itself
    monkeypatch.setenv(backends.START_METHOD_ENV, "Spawn")
    assert backends.start_method() == "spawn"
    monkeypatch.setenv(backends.START_METHOD_ENV, "thread")
    with pytest.raises(ValueError, match="VERISCENE_START_METHOD='thread': expected one of fork, forkserver, spawn"):
        backends.start_method()
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.delenv(backends.START_METHOD_ENV)
    assert backends.start_method() == "spawn"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver is compared with fork on Linux")
def test_forkserver_workers_give_the_bytes_of_forked_ones(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers started from a forkserver (a parent running torch's or Ray's threads) make the same
    samples as forked ones, with a generator defined outside veriscene (in a test module, which
    they import: `RunSpec.generator_modules`)."""
    import importlib

    from veriscene import generate
    from veriscene.demo.world import iter_scene_graphs
    from veriscene.engine.shards import generator_modules
    from veriscene.generators import get_generator
    from veriscene.generators.registry import GENERATORS
    from veriscene.scene import write_scenes

    module = "tests.engine._plain_generator"
    plain = importlib.import_module(module)  # registers its generator
    try:
        assert generator_modules([plain.Plain()]) == (module,)
        assert generator_modules([get_generator("object.count.v1")()]) == ()
        path = tmp_path / "scenes.jsonl"
        write_scenes(list(iter_scene_graphs(16, seed=4)), path)
        made = {}
        for method in ("fork", "forkserver"):
            monkeypatch.setenv(backends.START_METHOD_ENV, method)
            generate(path, tmp_path / method, seed=2, shard_size=4, workers=2, generators=f"object.count.v1,{plain.NAME}")
            made[method] = (tmp_path / method / "samples.jsonl").read_bytes()
        assert made["fork"] == made["forkserver"]
        assert plain.NAME.encode() in made["fork"]
    finally:  # tests that list every generator must not see it
        GENERATORS.pop(plain.NAME, None)
        sys.modules.pop(module, None)


def _pixel_limit_here(_: int) -> object:
    """Pillow's pixel limit in the worker that runs this (picklable by reference)."""
    from PIL import Image

    return Image.MAX_IMAGE_PIXELS


def _downloads_here(_: int) -> str | None:
    """`VERISCENE_DOWNLOADS` in the worker that runs this."""
    import os

    return os.environ.get("VERISCENE_DOWNLOADS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a forkserver is a Linux start method")
@pytest.mark.usefixtures("pillow_limit")
def test_a_pixel_limit_set_after_a_forkserver_started_reaches_its_workers() -> None:
    """A forkserver keeps the environment and modules of its start (an earlier run's): the limit
    set since goes with the pool's work (`backends.take_settings`)."""
    from veriscene.scene.image_files import set_max_image_pixels

    set_max_image_pixels(111_000_000)
    first = list(backends.ordered_map(_pixel_limit_here, [(0,), (1,)], workers=2, start="forkserver"))
    set_max_image_pixels(222_000_000)
    then = list(backends.ordered_map(_pixel_limit_here, [(0,), (1,)], workers=2, start="forkserver"))
    set_max_image_pixels(None)
    unlimited = list(backends.ordered_map(_pixel_limit_here, [(0,), (1,)], workers=2, start="forkserver"))
    assert (first, then, unlimited) == ([111_000_000] * 2, [222_000_000] * 2, [None, None])


@pytest.mark.usefixtures("local_ray")
class TestOnALocalRay:
    """Tasks and runs on a Ray this process started (`local_ray`, shared: tests/conftest.py)."""

    @pytest.mark.usefixtures("pillow_limit")
    def test_a_pixel_limit_set_after_ray_started_reaches_its_tasks(self) -> None:
        """As in a notebook: `ray.init()` first, then the limit: its workers started from Ray's
        environment of before, and take the limit with each task (`backends.take_settings`)."""
        from veriscene.scene.image_files import set_max_image_pixels

        set_max_image_pixels(444_000_000)
        assert list(backends.ordered_map(_pixel_limit_here, [(0,), (1,), (2,)], backend="ray",
                                         workers=2)) == [444_000_000] * 3
        set_max_image_pixels(None)
        assert list(backends.ordered_map(_pixel_limit_here, [(0,), (1,)], backend="ray", workers=2)) == [None, None]

    def test_a_folder_set_after_ray_started_reaches_its_tasks(self, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The folders too (`engine.task_settings`): `VERISCENE_DOWNLOADS` set, then unset, after
        `ray.init()`."""
        monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "downloads"))
        assert list(backends.ordered_map(_downloads_here, [(0,), (1,)], backend="ray",
                                         workers=2)) == [str(tmp_path / "downloads")] * 2
        monkeypatch.delenv("VERISCENE_DOWNLOADS")
        assert list(backends.ordered_map(_downloads_here, [(0,), (1,)], backend="ray", workers=2)) == [None, None]

    def test_a_ray_node_running_other_code_fails_its_shard(self, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
        """On Ray the error comes back as raised on the node (not Ray's traceback), naming the node.
        The driver's digest is patched here: the Ray workers compute their own."""
        pytest.importorskip("ray")
        from veriscene import generate
        from veriscene.demo.world import iter_scene_graphs
        from veriscene.engine import source_digest
        from veriscene.scene import write_scenes

        path = tmp_path / "scenes.jsonl"
        write_scenes(list(iter_scene_graphs(6, seed=3)), path)
        monkeypatch.setattr(backends, "veriscene_digest", lambda: "f" * 16)
        with pytest.raises(source_digest.WorkerCodeMismatch, match=r"its worker \(host .+, Ray node [0-9a-f]+, pid \d+\) "
                           r"runs other veriscene code than this process \(code digest [0-9a-f]{16} there, f{16} here") as info:
            generate(path, tmp_path / "run", seed=1, shard_size=3, workers=2, backend="ray")
        assert "Traceback" not in str(info.value)

    def test_ray_tasks_of_ordered_map_check_the_code_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The scan's and `verify`'s Ray tasks (`ordered_map(backend="ray")`) run no call on a node of
        other code; with the same code their results come back in order."""
        pytest.importorskip("ray")
        import operator

        from veriscene.engine import source_digest

        assert list(backends.ordered_map(operator.neg, [(k,) for k in range(5)], backend="ray", workers=2)) == [0, -1, -2, -3, -4]
        monkeypatch.setattr(backends, "veriscene_digest", lambda: "f" * 16)
        with pytest.raises(source_digest.WorkerCodeMismatch, match=r"^task 0 of neg was not made: its worker \(host .+, Ray "
                           r"node [0-9a-f]+, pid \d+\) runs other veriscene code .* f{16} here.* run the same command again\.$"):
            list(backends.ordered_map(operator.neg, [(k,) for k in range(5)], backend="ray", workers=2))

    def test_ordered_map_on_ray_cancels_a_task_that_hangs(self, local_ray) -> None:
        # The first result also waits for Ray's worker processes to start (over 10 s on a loaded
        # machine) and to import veriscene and digest its code (ordered_map's tasks check it). Both
        # are done here first, by an ordered_map on the Ray it joins again below: the timeout, waited
        # out in full on the hang, is then 5 s, not 10.
        assert list(backends.ordered_map(_square, [(n,) for n in range(4)], backend="ray", workers=2)) == [0, 1, 4, 9]
        _hang_stopped_in_time("ray", 5)
