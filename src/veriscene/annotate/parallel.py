"""An annotation run in parts of consecutive images, on this process, local worker processes or Ray.

A part is a run of images starting at a multiple of the batch size, so every image goes through
the models with the same batch whatever the number of workers; each part returns, per image, its
scene line, the rejects and repairs it made and whether a model stage failed on it. Parts come
back in order (at most 2 x workers in flight), and the run file writes them image by image
(`runfile`), so the output is byte-identical for 1 or N workers and for either backend. A resumed
run may ask for some images again first (`redo`: those a server failed on, with the replies their
requests got): each batch holding some is then a part of its own, run as that batch would be
(`pipeline.annotated`), on the same workers as the parts of the rest of the run, which follow
them in one stream (so models load once per run: `first_images`, then `handed_on`).

The stages reach the workers once, not with every part: local workers are forked from this process
and inherit them (where processes are spawned instead, the stages travel with each part and must
pickle); on Ray they are put in the object store once and each worker process fetches them on its
first part and keeps them. So a model is loaded once per worker.

Threads: torch in each worker runs on `threads` threads, by default `cpu_count // workers` with
several local workers (so they do not fight over the cores) and torch's own number otherwise. A
model's float sums may round differently on another number of threads (in the last digits), so
the files are byte-identical for any number of workers *at the same number of threads*; the run
file records it (`effective_threads`), and a resume must keep it.

Devices: models on the CPU alone are loaded once by the caller and shared as above. On other
devices (``devices``: one or several, e.g. ``["cuda:0", "cuda:1"]``) the stages come unloaded
(``load=False``) and each worker loads its own copy on its device, once (`Stages.on`): local
worker k (in the order they start) takes device k modulo their number; on Ray each worker is an
actor holding its models, and one on ``"cuda"`` asks Ray for a GPU of its own.
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from veriscene.annotate.pipeline import (
    SERVER_FAILED, SERVER_PARTLY, FailingStart, Stages, annotated, duplicate_ids, image_ids,
)
from veriscene.engine.backends import BACKENDS, check_timeout, mp_context, ordered_map, platform_start_method
from veriscene.errors import SceneValidationError
from veriscene.io.rejects import Reject, RejectReport
from veriscene.scene.jsonl import dumps_scene
from veriscene.option_names import option

PART_IMAGES = 4  # with several workers, a part holds at least this many images (whole batches)
_STAGES: dict[str, Stages] = {}  # the run's stages in this process, by run token
_LOADED: dict[tuple[str, str], Stages] = {}  # the run's stages loaded in this process, by (token, device)
_THREADS: list[int] = []  # torch threads set in this process
_DEVICE: list[str] = []  # this worker's device (set when it starts; else the run's first device)


@dataclass(frozen=True)
class ImageDone:
    """One image of a part: its scene's JSON line (None when rejected), what it reported, the
    reason a model stage failed on it (if one did), and when a server failed on it, the replies
    its attribute and relation requests got (`answers`: request key -> text, `stages.Answers`)."""

    position: int
    line: bytes | None
    rejects: list[Reject]
    repairs: dict[str, int]
    failure: str | None
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def server(self) -> bool:
        """Whether a model's server failed on the image (rejected, or written without some
        attributes or relations): not the image's fault, so a resumed run does it again."""
        return bool(self.repairs.get(SERVER_FAILED) or self.repairs.get(SERVER_PARTLY))


@dataclass(frozen=True)
class Part:
    images: list[ImageDone]
    error: SceneValidationError | None = None  # strict: the reject that stopped the run, after `images`


def _stages(token: str, holder: Any, device: str) -> Stages:
    """The run's stages, loaded on `device` (once per process and run)."""
    loaded = _LOADED.get((token, device))
    if loaded is not None:
        return loaded
    if isinstance(holder, Stages):
        stages = holder
    elif token in _STAGES:  # inherited by a forked worker
        stages = _STAGES[token]
    else:  # a Ray worker's first part of this run: fetch the stages once
        import ray

        stages = ray.get(holder[0])
    _LOADED.clear()  # an earlier run's models go
    try:
        loaded = stages.on(device)
    except Exception as exc:  # no such device, no room on it, ...: the run cannot go on
        raise RuntimeError(f"cannot load the models on device {device!r}: {type(exc).__name__}: {exc}"[:500]) from exc
    _LOADED[(token, device)] = loaded
    return loaded


def _take_device(counter: Any, devices: tuple[str, ...]) -> None:
    """A local worker starting: take the next slot, and its device."""
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    _DEVICE[:] = [devices[slot % len(devices)]]


class Annotator:
    """A Ray actor: one worker of a run whose models load where they run, on its `device`."""

    def __init__(self, device: str, settings: Any = None) -> None:
        from veriscene.engine.backends import take_settings

        _DEVICE[:] = [device]
        take_settings(settings)  # the driver's pixel limit, folders, ... (`engine.task_settings`)

    def part(self, *task: Any) -> "Part":
        return annotate_part(*task)


def _limit_threads(threads: int | None) -> None:
    if threads is None or _THREADS == [threads] or "torch" not in sys.modules:
        return
    sys.modules["torch"].set_num_threads(threads)
    _THREADS[:] = [threads]


def annotate_part(token: str, holder: Any, images: str, root: Path, files: list[Path], first: int,
                  duplicates: dict[int, str], start: int, stop: int, strict: bool, batch_size: int,
                  threads: int | None, devices: tuple[str, ...] = ("cpu",), cwd: str | None = None,
                  sent: dict[str, bytes] | None = None, only: tuple[int, ...] | None = None,
                  known: dict[int, dict[str, str]] | None = None) -> Part:
    """Images `start` to `stop` of the run; `files` are the run's images from position `first` (a
    multiple of `batch_size`) on, `duplicates` their repeated ids (by position within `files`).
    Models not loaded yet load on this worker's device (the first of `devices` in the caller's
    process). `cwd`: the run's working folder, which relative image and model paths are read
    from (a Ray worker starts in a folder of Ray's). `sent`: the part's images' bytes by path, sent
    to a node that does not have the images. `only`: the run's positions to do, of those, and
    `known`: the replies their requests got before, by position (module notes)."""
    if cwd is not None and os.getcwd() != cwd:
        os.chdir(cwd)
    _limit_threads(threads)  # a model loads with the threads it will run on
    stages = _stages(token, holder, _DEVICE[0] if _DEVICE else devices[0])
    _limit_threads(threads)  # (where torch came in with the models)
    report = RejectReport(keep=sys.maxsize)  # drained after each image: what that image reported
    done: list[ImageDone] = []
    try:
        for k, scene, failure, got in annotated(images, stages, report, strict, start - first, batch_size,
                                                (root, files), stop - first, watch=False, duplicates=duplicates,
                                                sent=sent, only=None if only is None else {p - first for p in only},
                                                known={p - first: a for p, a in (known or {}).items()}):
            image = ImageDone(first + k, None if scene is None else dumps_scene(scene) + b"\n",
                              list(report.entries), dict(report.repairs), failure)
            # the replies are kept (and sent back) only for an image a resume is to do again
            done.append(image if not image.server or not got else replace(image, answers=got))
            report.entries.clear()
            report.repairs.clear()
    except SceneValidationError as exc:
        return Part(done, exc)
    return Part(done, None)


def _tasks(token: str, holder: Any, images: str, listing: tuple[Path, list[Path]], start: int, strict: bool,
           batch_size: int, part: int, threads: int | None, devices: tuple[str, ...],
           send: bool = False, redo: Mapping[int, dict[str, str]] | None = None) -> Iterator[tuple[Any, ...]]:
    """The run's parts as `annotate_part`'s arguments; with `send`, each with its images' bytes.
    `redo` (position -> replies known): first, the batches holding these positions, each a part
    doing them alone; then the parts from `start` on."""
    root, files = listing
    twice = duplicate_ids(image_ids(listing), files)
    batches: dict[int, list[int]] = {}
    for position in sorted(redo or ()):
        batches.setdefault(position - position % batch_size, []).append(position)
    for first, wanted in batches.items():
        stop = min(first + batch_size, len(files))
        ours = {p - first: earlier for p, earlier in twice.items() if first <= p < stop}
        yield (token, holder, images, root, files[first:stop], first, ours, wanted[0], wanted[-1] + 1, strict,
               batch_size, threads, devices, os.getcwd(), _read(files[first:stop]) if send else None,
               tuple(wanted), {p: redo[p] for p in wanted if redo[p]} if redo else None)
    if start >= len(files):  # the run was done: only images to do again
        return
    for first in range(start - start % batch_size, len(files), part):
        stop = min(first + part, len(files))
        ours = {p - first: earlier for p, earlier in twice.items() if first <= p < stop} if twice else {}
        yield (token, holder, images, root, files[first:stop], first, ours, max(start, first), stop, strict,
               batch_size, threads, devices, os.getcwd(), _read(files[first:stop]) if send else None)


def _read(files: list[Path]) -> dict[str, bytes]:
    """The bytes of each file that can be read here, by path (the others are reported where
    they are tried, as without sending)."""
    sent = {}
    for path in files:
        try:
            sent[str(path)] = path.read_bytes()
        except OSError:
            continue
    return sent


def effective_threads(workers: int, backend: str = "local", threads: int | None = None) -> int | None:
    """Torch threads per worker (None: torch's own number; module notes)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        return threads
    return max(1, (os.cpu_count() or 1) // workers) if workers > 1 and backend == "local" else None


def annotated_parts(images: str | os.PathLike[str], stages: Stages, listing: tuple[Path, list[Path]], *,
                    start: int = 0, strict: bool = False, batch_size: int = 1, workers: int = 1,
                    backend: str = "local", address: str | None = None, threads: int | None = None,
                    devices: Sequence[str] = ("cpu",), gpus_per_worker: float = 1.0,
                    task_timeout: float | None = None,
                    redo: Mapping[int, dict[str, str]] | None = None) -> Generator[Part, None, None]:
    """The run's parts from image `start` on, in order, after those of the images to do again
    (`redo`: position -> the replies their requests got; module notes); `threads`:
    `effective_threads(workers, backend, threads)`; `devices`: where unloaded models load;
    `gpus_per_worker`: on Ray, each worker's share of a GPU on ``cuda`` (`ray_options`).
    `task_timeout`: seconds to wait for the next part once it is the one awaited, past which the
    workers are stopped and `WorkerHung` raised (the run resumes from the parts done); a single
    local worker then runs in a process of its own, so that it can be stopped."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    devices = tuple(devices)
    if not devices:
        raise ValueError("at least one device is needed")
    token = uuid.uuid4().hex
    part = batch_size * -(-PART_IMAGES // batch_size) if workers > 1 or backend == "ray" else batch_size
    check_timeout(task_timeout)
    if backend == "local" and workers == 1 and task_timeout is None:
        torch = sys.modules.get("torch")
        before = torch.get_num_threads() if torch is not None and threads is not None else None
        try:
            for task in _tasks(token, stages, str(images), listing, start, strict, batch_size, part, threads, devices,
                               redo=redo):
                yield annotate_part(*task)
        finally:  # this process's torch threads as they were, and models it loaded let go
            if before is not None and sys.modules.get("torch") is not None:
                sys.modules["torch"].set_num_threads(before)
            _THREADS.clear()
            _LOADED.clear()
        return
    if backend == "ray":
        yield from _on_ray(token, stages, images, listing, start, strict, batch_size, part, workers, address,
                           threads, devices, gpus_per_worker, task_timeout, redo)
        return
    method = platform_start_method()  # this pool sets torch's threads up for a fork itself
    forked = method == "fork"
    _STAGES[token] = stages  # inherited by the forked workers
    slots = mp_context(method).Value("i", 0)
    try:
        yield from ordered_map(annotate_part, _tasks(token, None if forked else stages, str(images), listing, start,
                                                     strict, batch_size, part, threads, devices, redo=redo),
                               workers=workers,
                               initializer=_take_device, initargs=(slots, devices), timeout=task_timeout,
                               start=method, resumable=True)
    finally:
        _STAGES.pop(token, None)


def ray_options(device: str, gpus: float = 1.0) -> dict[str, Any]:
    """What a Ray worker on `device` asks for: on ``cuda``, `gpus` GPUs (1: a GPU of its own; a
    fraction: Ray puts as many workers on one GPU as fit, 0.5 two)."""
    if not 0 < gpus <= 1:
        raise ValueError(f"a worker's share of a GPU is more than 0 and at most 1, got {gpus}")
    if device == "cpu":
        return {"num_cpus": 1}
    if device == "cuda":
        return {"num_cpus": 1, "num_gpus": gpus}
    raise ValueError(f"on Ray, a worker's device is cpu or cuda (Ray gives each worker on cuda a GPU of its own), "
                     f"got {device!r}")


def _on_ray(token: str, stages: Stages, images: str | os.PathLike[str], listing: tuple[Path, list[Path]], start: int,
            strict: bool, batch_size: int, part: int, workers: int, address: str | None, threads: int | None,
            devices: tuple[str, ...], gpus: float, timeout: float | None = None,
            redo: Mapping[int, dict[str, str]] | None = None) -> Iterator[Part]:
    from veriscene.engine.backends import driver_settings, in_order, ray_getter, ray_session

    with ray_session(workers, address) as ray:
        todo = [listing[1][p] for p in sorted(redo or ())] + listing[1][start:]
        missing = nodes_without_images(ray, todo)
        if missing:  # the images go with the parts, read here
            warnings.warn(f"the images are not on {len(missing)} node(s) of the Ray cluster ({', '.join(missing)}): "
                          "each part's images are sent with it", stacklevel=2)
        if stages.depth_maps is not None:
            _check_maps_folder(ray, stages.depth_maps)
        holder: Any = [ray.put(stages)]  # in a list: a worker fetches it itself, on its first part only
        tasks = _tasks(token, holder, str(images), listing, start, strict, batch_size, part, threads, devices,
                       send=bool(missing), redo=redo)
        if not stages.unloaded:  # shared models: tasks, on any Ray worker
            yield from ordered_map(annotate_part, tasks, backend="ray", workers=workers, timeout=timeout,
                                   resumable=True)
            return
        # models loaded where they run: an actor per worker keeps its own, on its device
        options = [ray_options(devices[k % len(devices)], gpus) for k in range(workers)]
        _check_room(ray, options)
        actor, settings = ray.remote(Annotator), driver_settings()
        actors = [actor.options(**options[k]).remote(devices[k % len(devices)], settings) for k in range(workers)]
        turn = iter(range(sys.maxsize))
        try:
            yield from in_order(lambda task: actors[next(turn) % workers].part.remote(*task),
                                ray_getter(ray, timeout, cancel=False), tasks, workers)  # actors killed below
        finally:
            for one in actors:
                ray.kill(one)


def gpu_workers(ray: Any, gpus: float = 1.0) -> int:
    """How many workers of `gpus` of a GPU each (and a CPU) a connected Ray holds at once (at least 1)."""
    have = ray.cluster_resources()
    return max(1, min(int(have.get("CPU", 1)), int(have.get("GPU", 0) / gpus + 1e-9)))


def nodes_without_images(ray: Any, files: list[Path]) -> list[str]:
    """The nodes of a Ray cluster that run tasks and do not have the images at the same path (the
    first one is looked for on each; `engine.backends.nodes_without`)."""
    from veriscene.engine.backends import nodes_without

    return nodes_without(ray, str(Path(files[0]).resolve())) if files else []


def _check_maps_folder(ray: Any, folder: str) -> None:
    """Refuse `annotate --depth-maps` on a Ray cluster of which a node that runs tasks does not
    see the maps folder (made here first): the maps are written where the depth model runs, and
    there they would be lost (scenes naming files that are not here) or not written at all."""
    from veriscene.engine.backends import nodes_without

    os.makedirs(folder, exist_ok=True)
    missing = nodes_without(ray, folder)
    if missing:
        raise RuntimeError(f"the depth maps folder {folder} is not on {len(missing)} node(s) of the Ray cluster "
                           f"({', '.join(missing)}): each map is written on the node that runs the depth model, "
                           f"so give {option('depth_maps', '--depth-maps')} a folder every node shares")


def _check_room(ray: Any, options: list[dict[str, Any]]) -> None:
    """Refuse workers the Ray cluster cannot hold all at once: Ray would leave the others waiting
    for room, and the run waiting for them, for ever."""
    have = ray.cluster_resources()
    cpus = sum(o["num_cpus"] for o in options)
    gpus = sum(o.get("num_gpus", 0) for o in options)
    if cpus > have.get("CPU", 0) or gpus > have.get("GPU", 0) + 1e-9:
        share = max((o.get("num_gpus", 0) for o in options), default=0)
        raise RuntimeError(
            f"{len(options)} workers need {cpus} CPUs" + (f" and {gpus:g} GPUs ({share:g} each)" if gpus else "")
            + f"; the Ray cluster has {have.get('CPU', 0):g} CPUs and {have.get('GPU', 0):g} GPUs: give fewer "
            "workers" + (f", or a smaller share of a GPU to each ({option('gpus_per_worker', '--gpus-per-worker')})"
                         if gpus else ""))


def outcomes(images: str | os.PathLike[str], stages: Stages, listing: tuple[Path, list[Path]],
             report: RejectReport | None, *, start: int = 0, strict: bool = False, batch_size: int = 1,
             workers: int = 1, backend: str = "local", address: str | None = None, threads: int | None = None,
             devices: Sequence[str] = ("cpu",), gpus_per_worker: float = 1.0,
             task_timeout: float | None = None) -> Iterator[ImageDone]:
    """Each image's outcome from `start` on, in order (`handed_on`)."""
    parts = annotated_parts(images, stages, listing, start=start, strict=strict, batch_size=batch_size,
                            workers=workers, backend=backend, address=address, threads=threads, devices=devices,
                            gpus_per_worker=gpus_per_worker, task_timeout=task_timeout)
    return handed_on(parts, report, FailingStart(len(listing[1]) - start))


def handed_on(parts: Iterator[Part], report: RejectReport | None, failing_start: FailingStart | None
              ) -> Iterator[ImageDone]:
    """The images of `parts`, their rejects and repairs recorded in `report` as each is handed on
    (None: left to the caller). The run stops as `failing_start` says (once the image is
    recorded), and in strict mode with the reject that stopped it (recorded, then raised)."""
    for part in parts:
        for done in part.images:
            if report is not None:
                for reject in done.rejects:
                    report.record(reject)
                for kind, n in done.repairs.items():
                    report.count(kind, n)
            if failing_start is not None:
                failing_start.seen(done.failure, done.server)
            yield done
        if part.error is not None:
            if report is not None:
                report.add(part.error, "scene")
            raise part.error


def first_images(parts: Iterator[Part], n: int) -> Iterator[ImageDone]:
    """The first `n` images of `parts`, which end where a part does: the images a resume does
    again (`annotated_parts`' `redo`), handed on as they are (neither recorded nor watched: they
    are put in their places, `retry`). In strict mode, the reject that stopped the run is raised."""
    if n <= 0:
        return
    for part in parts:
        yield from part.images
        if part.error is not None:
            raise part.error
        n -= len(part.images)
        if n <= 0:
            return
