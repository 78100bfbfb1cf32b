"""Backends that run shard tasks: in-process, a local process pool, or Ray.

All three call the same `run_shard(spec, task)`, so the backend changes nothing in the output. At
most `2 x workers` shards are in flight, so memory does not grow with the input.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
import warnings
from collections import deque
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

from veriscene.engine import collector
from veriscene.engine.shards import RunSpec, ShardOutput, ShardTask, run_shard
from veriscene.text import inflect_engine

BACKENDS = ("local", "ray")
R = TypeVar("R")
T = TypeVar("T")
# progress(scenes, samples): lines of the input done and samples made since the last call
Progress = Callable[[int, int], None]


def run_in_process(spec: RunSpec, tasks: Iterable[ShardTask], progress: Progress | None) -> Iterator[ShardOutput]:
    try:
        for task in tasks:
            yield run_shard(spec, task, progress)
    finally:
        collector.release()  # the objects shards froze go back to this process's collector


_SPEC: RunSpec | None = None


def die_with_parent(parent: int) -> None:
    """In a local worker: ask Linux to kill this process when its parent dies (a driver killed
    with SIGKILL would otherwise leave its workers waiting for work forever, holding their memory)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _init_worker(spec: RunSpec, parent: int) -> None:
    global _SPEC
    die_with_parent(parent)
    _SPEC = spec


def _pool_task(task: ShardTask) -> ShardOutput:
    assert _SPEC is not None, "worker was not initialised"
    return run_shard(_SPEC, task)


def mp_context() -> Any:
    """The start method of local workers."""
    # fork shares the parent's imported modules (fast start); elsewhere spawn is the safe default
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


class WorkerDied(RuntimeError):
    """A local worker process died (killed: out of memory, say). What was finished before is
    kept (a run's shards, an annotation run's scenes), so the run completes with `resume=True`
    (`--resume`)."""


def _died(processes: list[Any]) -> str:
    """What is known of a local worker's death: its exit code or signal (from the pool's
    processes, once they have ended), and what to do."""
    for process in processes:
        process.join(1)
    # The pool's own thread joins them too: when both wait on one process, the one whose wait
    # loses the race sees no exit code until the other has recorded it, so ask again for a moment
    deadline = time.monotonic() + 2
    while any(p.exitcode is None for p in processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    codes = sorted({p.exitcode for p in processes if p.exitcode not in (None, 0)})
    codes = [c for c in codes if c != -signal.SIGTERM] or codes  # the pool ends the others with SIGTERM
    how = ""
    if codes:
        code = codes[0]
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
            how = f" (killed by {name}" + (", which the system's out-of-memory killer sends" if -code == signal.SIGKILL else "") + ")"
        else:
            how = f" (exit code {code})"
    return (f"a worker process died{how}. What was finished before it is kept: run the same command again "
            "with --resume (resume=True) to complete the run, with fewer workers (or a smaller --shard-size) "
            "if memory ran out")


class WorkerHung(RuntimeError):
    """No result came back from a worker within the task timeout (`ordered_map(timeout=...)`): the
    workers were stopped. What was finished before is kept, so the run completes with
    `resume=True` (`--resume`)."""


def _hung(timeout: float) -> str:
    return (f"no result came back from a worker within {timeout:g} s (a model, a device or a file read that "
            "hangs?); the workers were stopped. What was finished before it is kept: run the same command again "
            "with --resume (resume=True) to complete the run, with a larger --task-timeout if its parts are only slow")


def check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"a task timeout is a number of seconds above 0, got {timeout!r}")


def ray_getter(ray: Any, timeout: float | None, cancel: bool = True) -> Callable[[Any], Any]:
    """`ray.get` of one reference, within `timeout` seconds (None: no limit); past it the task is
    cancelled (`cancel`: a task's; an actor's is stopped by killing the actor) and WorkerHung raised."""
    if timeout is None:
        return ray.get  # type: ignore[no-any-return]
    from ray.exceptions import GetTimeoutError

    def get(ref: Any) -> Any:
        try:
            return ray.get(ref, timeout=timeout)
        except GetTimeoutError:
            if cancel:
                ray.cancel(ref, force=True)
            raise WorkerHung(_hung(timeout)) from None

    return get


def run_local_pool(spec: RunSpec, tasks: Iterable[ShardTask], workers: int,
                   progress: Progress | None) -> Iterator[ShardOutput]:
    inflect_engine()  # imported once here and inherited by forked workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context(), initializer=_init_worker,
                             initargs=(spec, os.getpid())) as pool:
        processes: dict[int, Any] = {}  # the pool's worker processes, to say how one died
        try:
            yield from _pool_outputs(pool, tasks, workers, progress, processes)
        except BrokenProcessPool as exc:  # from a result, or from a submission after the death
            raise WorkerDied(_died(list(processes.values()))) from exc


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


def cluster_address(address: str | None) -> str | None:
    """The Ray cluster to connect to: `address` (``"auto"``: the cluster ``ray start`` made on this
    machine), else the ``RAY_ADDRESS`` environment variable (``ray job submit`` sets it), else None:
    start a local Ray (``"local"`` says so too). A cluster that ``ray start`` left running on this
    machine is not joined unless asked for (``"auto"``), so a run without an address stays local."""
    chosen = address or os.environ.get("RAY_ADDRESS") or None
    return None if chosen == "local" else chosen


def _token_auth() -> None:
    """Send Ray's authentication token when one is at hand (``RAY_AUTH_TOKEN``,
    ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``) and ``RAY_AUTH_MODE`` is unset, as ``ray start``
    does when it starts the cluster. Ray 2.5x's ``ray.init(address=...)`` does not: against a
    cluster with token authentication it retries for about 20 s and fails. A cluster without
    authentication accepts the token and ignores it."""
    try:
        from ray._private.authentication.authentication_token_setup import (  # type: ignore[import-not-found]
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token authentication
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


@contextmanager
def ray_session(workers: int, address: str | None) -> Iterator[Any]:
    """The `ray` module, connected: to the cluster at `address` or ``RAY_ADDRESS``
    (`cluster_address`; its nodes checked to run this veriscene, `check_nodes`), or to a local Ray
    of `workers` CPUs started here (and shut down on leaving). An already connected Ray is used as
    it is."""
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise RuntimeError("the Ray backend needs Ray: pip install 'veriscene[ray]'") from exc
    if ray.is_initialized():
        yield ray
        return
    cluster = cluster_address(address)
    if cluster is None:
        # a Ray of this run's own: its start-up notes (token authentication on, instance started) are
        # not the user's business; its errors still show
        ray.init(address="local", num_cpus=workers, ignore_reinit_error=True, log_to_driver=False,
                 include_dashboard=False, logging_level=logging.ERROR)
    else:
        _token_auth()
        try:
            ray.init(address=cluster, ignore_reinit_error=True, log_to_driver=False)
        except ConnectionError as exc:
            raise RuntimeError(
                f"cannot connect to the Ray cluster at {cluster!r} ({exc}): is it up (ray status --address "
                f"{cluster})? A cluster with token authentication needs its token here: RAY_AUTH_TOKEN, "
                "RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token") from exc
    try:
        if cluster is not None:  # other machines: the same veriscene there, or no run
            for warning in check_nodes(ray):
                warnings.warn(warning, stacklevel=3)
        yield ray
    finally:
        ray.shutdown()


def cluster_workers(ray: Any) -> int:
    """How many tasks to keep busy on a connected Ray: its CPUs (at least 1)."""
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _init_local(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def ordered_map(fn: Callable[..., R], args: Iterable[tuple[Any, ...]], *, backend: str = "local",
                workers: int = 1, address: str | None = None, initializer: Callable[..., None] | None = None,
                initargs: tuple[Any, ...] = (), timeout: float | None = None) -> Iterator[R]:
    """`fn(*a)` for every `a` of `args`, results in the order of `args`: on `workers` local
    processes, or as Ray tasks. At most `2 x workers` calls are in flight, so `args` may be a lazy
    stream of large arguments. `fn` must be a module-level function. Local workers call
    `initializer(*initargs)` when they start. `timeout`: seconds to wait for the next result once
    it is the one awaited; past it the workers are stopped and WorkerHung is raised (None: wait
    for ever). A worker that dies raises WorkerDied."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    check_timeout(timeout)
    if backend == "ray":
        with ray_session(workers, address) as ray:
            remote = ray.remote(fn)
            yield from in_order(lambda a: remote.remote(*a), ray_getter(ray, timeout), args, workers)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context(), initializer=_init_local,
                                 initargs=(os.getpid(), initializer, initargs)) as pool:
            processes: dict[int, Any] = {}

            def submit(a: tuple[Any, ...]) -> Future[R]:
                future = pool.submit(fn, *a)
                processes.update(getattr(pool, "_processes", None) or {})  # to say how one died
                return future

            try:
                yield from in_order(submit, lambda f: f.result(timeout=timeout), args, workers)
            except BrokenProcessPool as exc:  # from a result, or from a submission after the death
                raise WorkerDied(_died(list(processes.values()))) from exc
            except FutureTimeout:
                assert timeout is not None
                for process in processes.values():  # a hung worker takes no request to stop
                    process.kill()
                raise WorkerHung(_hung(timeout)) from None
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


def _sees(path: str) -> tuple[str, bool]:
    return socket.gethostname(), os.path.exists(path)


def _versions() -> tuple[str, dict[str, str]]:
    import numpy

    from veriscene import __version__

    return socket.gethostname(), {"veriscene": __version__, "python": sys.version.split()[0],
                                  "numpy": numpy.__version__}


def on_each_node(ray: Any, fn: Callable[..., R], *args: Any) -> list[tuple[str, R | Exception]]:
    """(``node-id``, `fn(*args)` there, or the exception it raised) for each live node of a
    connected Ray that runs tasks (has CPUs): a task pinned to each. A node without CPUs (a head
    started with ``--num-cpus 0``) runs no task of a run, and is not asked. The tasks ask for no
    CPU, so they do not wait behind busy ones."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(num_cpus=0, max_retries=0)(fn)
    nodes = [node["NodeID"] for node in ray.nodes() if node.get("Alive") and node.get("Resources", {}).get("CPU")]
    refs = [remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(*args)
            for node in nodes]
    found: list[tuple[str, R | Exception]] = []
    for node, ref in zip(nodes, refs):
        try:
            found.append((node, ray.get(ref)))
        except Exception as exc:  # e.g. veriscene not importable there
            found.append((node, exc))
    return found


def nodes_without(ray: Any, path: str) -> list[str]:
    """The nodes that run tasks on which `path` does not exist (``node-id (host)``; `on_each_node`)."""
    missing = []
    for node, seen in on_each_node(ray, _sees, path):
        if isinstance(seen, Exception):
            raise seen
        if not seen[1]:
            missing.append(f"{node} ({seen[0]})")
    return missing


def check_nodes(ray: Any) -> list[str]:
    """Refuse a Ray cluster on which a node that runs tasks does not have this veriscene (not
    installed, or another version: its samples could differ); return warnings for other Python or
    numpy versions than here."""
    _, mine = _versions()
    wrong, warned = [], []
    for node, got in on_each_node(ray, _versions):
        if isinstance(got, Exception):
            first = (str(got).strip().splitlines() or [""])[-1][:200]
            wrong.append(f"{node}: cannot run veriscene ({type(got).__name__}: {first})")
            continue
        host, theirs = got
        if theirs["veriscene"] != mine["veriscene"]:
            wrong.append(f"{node} ({host}): veriscene {theirs['veriscene']}")
        differ = [k for k in ("python", "numpy") if theirs[k] != mine[k]]
        if differ:
            warned.append(f"node {node} ({host}) has {', '.join(f'{k} {theirs[k]}' for k in differ)} "
                          f"(here: {', '.join(f'{k} {mine[k]}' for k in differ)})")
    if wrong:
        raise RuntimeError(f"veriscene {mine['veriscene']} runs here, but not on {len(wrong)} node(s) of the Ray cluster: "
                           f"{'; '.join(wrong)}. Install the same version on every machine")
    return warned


def run_ray(spec: RunSpec, tasks: Iterable[ShardTask], workers: int, address: str | None,
            progress: Progress | None) -> Iterator[ShardOutput]:
    """Shard tasks as Ray tasks. Scene lines travel with the task. Results come back to the
    driver (in the shard format: encoded by the worker), which writes them, so workers need no
    shared file system; with `spec.shards_dir` set
    (by `generate` when every node sees the output) the workers write their shards there
    themselves, and only the sidecars come back. `address=None` starts a local Ray."""
    with ray_session(workers, address) as ray:
        remote = ray.remote(run_shard)
        spec_ref = ray.put(spec)
        submitted = in_order(lambda task: (remote.remote(spec_ref, task), len(task.lines)),
                              lambda pair: (ray.get(pair[0]), pair[1]), tasks, workers)
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
