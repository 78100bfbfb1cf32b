"""Backends that run shard tasks: in-process, a local process pool, or Ray.

All three call the same `run_shard(spec, task)`, so the backend changes nothing in the output. At
most `2 x workers` shards are in flight, so memory does not grow with the input. `ordered_map` runs
any module-level function the same two ways (local processes or Ray tasks), results in order.

Connecting to Ray and checking its nodes is in `engine.ray_cluster`; workers that die or hang
(WorkerDied, WorkerHung) and local workers dying with the driver are in `engine.worker_faults`.
Both are imported here too, so their names stay importable from this module.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar

from veriscene.engine import collector
from veriscene.engine.interrupts import ignore_interrupts, stop_workers
from veriscene.engine.ray_cluster import (
    _sees, _token_auth, _versions, check_nodes, cluster_address, cluster_workers, nodes_without, on_each_node,
    ray_getter, ray_session,
)
from veriscene.engine.shards import RunSpec, ShardOutput, ShardTask, run_shard
from veriscene.engine.source_digest import WorkerCodeMismatch, check_worker_code, veriscene_digest
from veriscene.engine.worker_faults import (
    WorkerDied, WorkerHung, _died, _hung, check_timeout, die_with_parent, mark_started, started_flag,
)
from veriscene.text import inflect_engine

if TYPE_CHECKING:
    from veriscene.engine.task_settings import TaskSettings

__all__ = [
    # defined here
    "BACKENDS", "MAX_CLUSTER_WORKERS", "WORKERS_PER_CPU", "Progress", "check_workers", "in_order", "max_workers",
    "START_METHOD_ENV", "mp_context", "ordered_map", "pool_workers", "run_in_process", "run_local_pool", "run_ray",
    "run_tasks", "platform_start_method", "start_method", "pixel_limit", "driver_settings", "take_pixel_limit",
    "take_settings",
    # moved to `ray_cluster`
    "_sees", "_token_auth", "_versions", "check_nodes", "cluster_address", "cluster_workers", "nodes_without",
    "on_each_node", "ray_getter", "ray_session",
    # moved to `worker_faults`
    "WorkerDied", "WorkerHung", "_died", "_hung", "check_timeout", "die_with_parent",
]

BACKENDS = ("local", "ray")
R = TypeVar("R")
T = TypeVar("T")
# progress(scenes, samples): lines of the input done and samples made since the last call
Progress = Callable[[int, int], None]


def run_in_process(spec: RunSpec, tasks: Iterable[ShardTask], progress: Progress | None) -> Iterator[ShardOutput]:
    frozen = collector.frozen_before()
    try:
        for task in tasks:
            yield run_shard(spec, task, progress)
    finally:
        collector.release(frozen)  # the objects shards froze go back to this process's collector


_SPEC: RunSpec | None = None
_DRIVER_CODE = ""  # the driver's code digest (`source_digest.veriscene_digest`), which a worker's must be


def pixel_limit() -> Any:
    """This process's image pixel limit: Pillow's `Image.MAX_IMAGE_PIXELS`, which
    `VERISCENE_MAX_IMAGE_PIXELS` or `scene.image_files.set_max_image_pixels` set (None: no limit).
    Every worker a run or `ordered_map` uses takes it with the driver's other settings
    (`driver_settings`), so a limit set after the workers' environment was fixed still holds: a
    notebook's own `ray.init()`, a forkserver started by an earlier run."""
    from PIL import Image

    return Image.MAX_IMAGE_PIXELS


UNCHANGED = "unchanged"  # `take_pixel_limit` of this leaves the worker's limit as it is (no limit is None)


def take_pixel_limit(limit: Any) -> None:
    """Make `limit` (`pixel_limit` of the driver) this worker's, and its child processes' too;
    `UNCHANGED` leaves it. The workers' entry points take all the driver's settings
    (`take_settings`), this limit among them."""
    from veriscene.engine.task_settings import take_pixel_limit as take

    if not (isinstance(limit, str) and limit == UNCHANGED):
        take(limit)


def driver_settings() -> TaskSettings:
    """The settings this driver hands its workers with their work: its pixel limit, folders,
    ... (`engine.task_settings`: a worker's own environment may be of before they were set)."""
    from veriscene.engine.task_settings import task_settings

    return task_settings()


def take_settings(settings: TaskSettings | None) -> None:
    """Make the driver's `settings` this worker's (None, the default of the workers' entry points
    called without a driver's, leaves them; `engine.task_settings.take_settings`)."""
    from veriscene.engine.task_settings import take_settings as take

    take(settings)


def _init_worker(spec: RunSpec, parent: int, code: str = "", started: Any = None,
                 settings: TaskSettings | None = None) -> None:
    global _SPEC, _DRIVER_CODE
    die_with_parent(parent)
    ignore_interrupts()  # Ctrl-C reaches the whole process group: the driver stops the workers
    mark_started(started)
    take_settings(settings)
    _SPEC, _DRIVER_CODE = spec, code


def _pool_task(task: ShardTask) -> ShardOutput:
    assert _SPEC is not None, "worker was not initialised"
    check_worker_code(_DRIVER_CODE, task.index)  # a spawned worker imports the code again: it may differ
    return run_shard(_SPEC, task)


def _ray_task(spec: RunSpec, task: ShardTask, code: str, settings: TaskSettings | None = None) -> ShardOutput:
    """A shard as a Ray task, on a node whose code's digest must be the driver's (`code`), under
    the driver's `settings` (its image pixel limit, its folders on its own machine)."""
    import ray

    check_worker_code(code, task.index, ray.get_runtime_context().get_node_id())
    take_settings(settings)
    return run_shard(spec, task)


def _ray_call(fn: Callable[..., R], code: str, settings: TaskSettings | None, k: int, a: tuple[Any, ...]) -> R:
    """`fn(*a)` as the `k`-th Ray task of `ordered_map`, on a node whose code's digest must be the
    driver's (`code`): a scan or a verification made by other code would be silently wrong; under
    the driver's `settings`."""
    import ray

    check_worker_code(code, k, ray.get_runtime_context().get_node_id(), what=f"task {k} of {fn.__name__}")
    take_settings(settings)
    return fn(*a)


START_METHOD_ENV = "VERISCENE_START_METHOD"  # fork, forkserver or spawn: overrides `start_method()`
START_METHODS = ("fork", "forkserver", "spawn")


def start_method() -> str:
    """How local workers are started. `fork` on Linux (the workers share the parent's imported
    modules: a fast start), `spawn` elsewhere. On Linux, `forkserver` instead once this process
    has imported torch or connected to Ray: their native threads (torch's OpenMP pool, Ray's gRPC
    and core-worker threads) do not survive a fork, and a forked worker can hang or crash. The
    forkserver is started from a fresh interpreter, and workers fork from it (about 0.3 s more
    start-up per pool; the output is the same bytes). `VERISCENE_START_METHOD` (fork, forkserver
    or spawn) chooses otherwise. Generators defined in a notebook's `__main__` exist only in
    forked workers: with forkserver or spawn, put them in a module and pass it as `plugins`."""
    chosen = os.environ.get(START_METHOD_ENV, "").strip().lower()
    if chosen:
        if chosen not in START_METHODS:
            raise ValueError(f"{START_METHOD_ENV}={chosen!r}: expected one of {', '.join(START_METHODS)}")
        return chosen
    method = platform_start_method()
    return "forkserver" if method == "fork" and _native_threads() else method


def platform_start_method() -> str:
    """`fork` on Linux, `spawn` elsewhere, whatever this process has loaded: for pools whose
    parent sets up its native threads for forking itself (`annotate` limits torch's threads and
    hands each worker its device)."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _native_threads() -> bool:
    """Whether this process may run threads a fork would not carry: torch imported, Ray connected."""
    if "torch" in sys.modules:
        return True
    ray = sys.modules.get("ray")
    return bool(ray is not None and getattr(ray, "is_initialized", lambda: False)())


def mp_context(method: str | None = None) -> Any:
    """The multiprocessing context of local workers: `method`, else `start_method()`. A
    forkserver imports the shard code once, and its workers fork from it with that code loaded."""
    context = multiprocessing.get_context(method or start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(["veriscene.engine.shards", "veriscene.generators"])
    return context


def run_local_pool(spec: RunSpec, tasks: Iterable[ShardTask], workers: int,
                   progress: Progress | None) -> Iterator[ShardOutput]:
    inflect_engine()  # imported once here and inherited by forked workers
    context = mp_context()
    started = started_flag(context)  # to tell workers that died starting (`worker_faults`)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(spec, os.getpid(), veriscene_digest(), started, driver_settings())) as pool:
        processes: dict[int, Any] = {}  # the pool's worker processes, to say how one died
        try:
            yield from _pool_outputs(pool, tasks, workers, progress, processes)
        except BrokenProcessPool as exc:  # from a result, or from a submission after the death
            raise WorkerDied(_died(list(processes.values()), started=bool(started.value),
                                   method=context.get_start_method())) from exc
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM (`engine.interrupts`): not after the shards in hand
            processes.update(getattr(pool, "_processes", None) or {})
            stop_workers(processes.values(), spec.shards_dir)
            raise


def _pool_outputs(pool: ProcessPoolExecutor, tasks: Iterable[ShardTask], workers: int,
                  progress: Progress | None, processes: dict[int, Any]) -> Iterator[ShardOutput]:
    pending: set[Future[ShardOutput]] = set()
    sizes: dict[Future[ShardOutput], int] = {}
    source = iter(tasks)
    exhausted = False
    while True:
        while not exhausted and len(pending) < 2 * workers:
            task = next(source, None)
            if task is None:
                exhausted = True
                break
            future = pool.submit(_pool_task, task)
            sizes[future] = len(task.lines)
            pending.add(future)
        processes.update(getattr(pool, "_processes", None) or {})  # (the executor's own record)
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            size = sizes.pop(future)  # always: a future kept here keeps its shard's output
            output = future.result()
            if progress is not None:
                progress(size, output.counts["samples"])
            yield output


def _init_local(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...],
                started: Any = None, settings: TaskSettings | None = None) -> None:
    die_with_parent(parent)
    ignore_interrupts()  # Ctrl-C reaches the whole process group: the driver stops the workers
    mark_started(started)
    take_settings(settings)
    if initializer is not None:
        initializer(*initargs)


def ordered_map(fn: Callable[..., R], args: Iterable[tuple[Any, ...]], *, backend: str = "local",
                workers: int = 1, address: str | None = None, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = (), timeout: float | None = None,
                start: str | None = None, resumable: bool = False) -> Iterator[R]:
    """`fn(*a)` for every `a` of `args`, results in the order of `args`: on `workers` local
    processes, or as Ray tasks. At most `2 x workers` calls are in flight, so `args` may be a lazy
    stream of large arguments. `fn` must be a module-level function. Local workers call
    `initializer(*initargs)` when they start. `timeout`: seconds to wait for the next result once
    it is the one awaited; past it the workers are stopped and WorkerHung is raised (None: wait
    for ever). A worker that dies raises WorkerDied. `start`: the local workers' start method
    (default `start_method()`). `resumable`: the caller's command goes on with `--resume` (generate,
    annotate), which WorkerDied and WorkerHung then advise; else they say to run it again. A Ray
    node whose veriscene code is not the driver's runs none of the calls (WorkerCodeMismatch), as
    for shards (`run_ray`)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    check_timeout(timeout)
    if backend == "ray":
        with ray_session(workers, address) as ray:
            remote, code, get = ray.remote(_ray_call), veriscene_digest(), ray_getter(ray, timeout,
                                                                                    resumable=resumable)

            def result(ref: Any) -> R:
                try:
                    return get(ref)
                except WorkerCodeMismatch as exc:  # Ray's RayTaskError of it: its message, not Ray's traceback
                    raise WorkerCodeMismatch(str(getattr(exc, "cause", exc))) from None

            taken = driver_settings()
            yield from in_order(lambda ka: remote.remote(fn, code, taken, *ka), result, enumerate(args), workers)
    else:
        context = mp_context(start)
        started = started_flag(context)  # to tell workers that died starting (`worker_faults`)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_local,
                                 initargs=(os.getpid(), initializer, initargs, started, driver_settings())) as pool:
            processes: dict[int, Any] = {}

            def submit(a: tuple[Any, ...]) -> Future[R]:
                future = pool.submit(fn, *a)
                processes.update(getattr(pool, "_processes", None) or {})  # to say how one died
                return future

            try:
                yield from in_order(submit, lambda f: f.result(timeout=timeout), args, workers)
            except BrokenProcessPool as exc:  # from a result, or from a submission after the death
                raise WorkerDied(_died(list(processes.values()), started=bool(started.value),
                                       method=context.get_start_method(), resumable=resumable)) from exc
            except FutureTimeout:
                assert timeout is not None
                for process in processes.values():  # a hung worker takes no request to stop
                    process.kill()
                raise WorkerHung(_hung(timeout, resumable)) from None
            except KeyboardInterrupt:  # Ctrl-C, SIGTERM (`engine.interrupts`): not after the calls in hand
                processes.update(getattr(pool, "_processes", None) or {})
                stop_workers(processes.values())
                raise
            finally:  # stopped early (an error, or the caller is done): calls not started are dropped
                pool.shutdown(wait=True, cancel_futures=True)


def in_order(submit: Callable[[T], Any], result: Callable[[Any], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`result(submit(item))` for every item, in order, with at most `2 x workers` submitted and
    not yet handed on."""
    pending: deque[Any] = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= 2 * workers:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())


def run_ray(spec: RunSpec, tasks: Iterable[ShardTask], workers: int, address: str | None,
            progress: Progress | None) -> Iterator[ShardOutput]:
    """Shard tasks as Ray tasks. Scene lines travel with the task. Results come back to the
    driver (in the shard format: encoded by the worker), which writes them, so workers need no
    shared file system; with `spec.shards_dir` set
    (by `generate` when every node sees the output) the workers write their shards there
    themselves, and only the sidecars come back. `address=None` starts a local Ray. A node whose
    veriscene code is not the driver's fails its shard (WorkerCodeMismatch, said as raised there)."""
    with ray_session(workers, address) as ray:
        remote = ray.remote(_ray_task)
        spec_ref, code, taken = ray.put(spec), veriscene_digest(), driver_settings()

        def result(pair: tuple[Any, int]) -> tuple[ShardOutput, int]:
            try:
                return ray.get(pair[0]), pair[1]
            except WorkerCodeMismatch as exc:  # Ray's RayTaskError of it: its message, not Ray's traceback
                raise WorkerCodeMismatch(str(getattr(exc, "cause", exc))) from None

        submitted = in_order(lambda task: (remote.remote(spec_ref, task, code, taken), len(task.lines)), result, tasks,
                             workers)
        for output, size in submitted:
            if progress is not None:
                progress(size, output.counts["samples"])
            yield output


# Workers beyond this many per CPU of the machine are refused (more processes than that only
# share the same cores, each holding its own copy of the run's state); a Ray cluster may be far
# larger than this machine, so there the bound is a fixed sanity limit.
WORKERS_PER_CPU = 4
MAX_CLUSTER_WORKERS = 65536


def max_workers(backend: str, address: str | None) -> tuple[int, str]:
    """The most workers a run may ask for, and what that bound is, said for an error message:
    `WORKERS_PER_CPU` x this machine's CPUs for local processes and a local Ray, else
    `MAX_CLUSTER_WORKERS` (a Ray cluster, at `address` or ``RAY_ADDRESS``)."""
    if backend == "ray" and cluster_address(address) is not None:
        return MAX_CLUSTER_WORKERS, "for a Ray cluster"
    cpus = os.cpu_count() or 1
    return WORKERS_PER_CPU * cpus, f"{WORKERS_PER_CPU} x the {cpus} CPU{'s' if cpus != 1 else ''} of this machine"


def check_workers(workers: int | None, backend: str, address: str | None) -> None:
    """Refuse a number of workers that is not a whole number from 1 to `max_workers` (ValueError)."""
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be an integer, got {workers!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    limit, why = max_workers(backend, address)
    if workers > limit:
        raise ValueError(f"workers must be at most {limit} ({why}), got {workers}")


def pool_workers(workers: int, tasks: int) -> int:
    """Local worker processes for `tasks` shards: no more than there are shards to run (a process
    pool starts all its processes at once), at least 1."""
    return max(1, min(workers, tasks))


def run_tasks(spec: RunSpec, tasks: Iterable[ShardTask], *, backend: str = "local", workers: int = 1,
              address: str | None = None, progress: Progress | None = None) -> Iterator[ShardOutput]:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if backend == "ray":
        return run_ray(spec, tasks, workers, address, progress)
    if workers == 1:
        return run_in_process(spec, tasks, progress)
    return run_local_pool(spec, tasks, workers, progress)
