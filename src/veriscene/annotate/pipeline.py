"""Scene graphs from raw images: detect objects, then read their colours, depth and relations.

    from veriscene.annotate import annotate
    summary = annotate("photos/", "scenes.jsonl", detector="models/detr-resnet-50", depth="models/dpt")

Stages, per image (a folder of images, searched recursively and sorted; a text file listing image
paths, one per line; or one image):

1. **detect** (`detector`): objects with class names, boxes and scores, from a transformers
   object-detection model in a local folder (`models.TransformersDetector`), an open-vocabulary
   one prompted with `names` (`models.OpenVocabularyDetector`), a vision-language model served on
   `base_url` (`detector_model`: `vlm_detect.VLMDetector`, built in `stage_setup`), or any
   `Detector` callable.
   Detections of one name whose boxes overlap by IoU >= `duplicate_iou` are one object, the best
   scored kept (counted as ``duplicate_objects_merged``); one with no name or no area is dropped
   (an ``object`` reject).
2. **masks** (`segmenter`, optional): each object's mask, from a promptable mask model given its
   box (`models.TransformersSegmenter`: SAM) or any `Segmenter`, cut to the box; an empty one is
   replaced by the box (counted as ``masks_from_boxes``).
3. **depth** (`depth`, optional): a depth map (`models.TransformersDepth` or any
   `DepthEstimator`, smaller = closer); each object's depth is the median of the map over its mask,
   else its box.
4. **colours** (`colours`): the colour word most of the object's pixels have, if any: those of its
   mask, else those in the middle of its box (`colours.dominant_colour`); and **attributes**
   (`attributes_model`, optional): words a vision-language model gives for each object's crop
   (`vlm.VLMAttributes`; when it is asked for colours, it gives them instead of the pixels).
5. **relations** (`relations`): "left of", "right of", "above" and "below" between objects
   whose boxes are clearly apart along the axis (by `margin` of the image's width or height);
   and (`relations_model`, optional) predicates a vision-language model gives for pairs of near
   objects (`vlm.VLMRelations`).

A scene says how it was made (``meta["annotated_by"]``: the stages and their models) and keeps the
detection scores (``meta["scores"]``). Its names are the detector's, taken as complete (how many
cups there are is what the detector found: the data is as right as the model). Colours and
relations are recorded only in part (``meta["sparse"]``): an object may have other colours, and
boxes not clearly apart may stand in any relation, so programs never take an unrecorded one
for absent. An image that cannot be read, or on which a model stage fails, is reported
(`rejects.jsonl`, naming the stage) and the run goes on; when each of the first `FAILING_START`
images fails in a model stage, the run stops with the error (the model is at fault). Images a
model's server failed on (its requests timed out or failed after their retries: not the image's
fault) are counted apart: rejected ones as `SERVER_FAILED`, ones written without some attributes
or relations as `SERVER_PARTLY`; a resumed run does them again (`runfile`). A server that refuses
the key, URL or model (`ModelConfigError`) stops the run, at whichever stage it answers so.

The run is here (`annotated`, `annotate_images`, `annotate`); the images it reads are listed in
`inputs`, and each image's stages and scene are in `stages`.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import orjson
from PIL import Image

from veriscene.annotate.batches import (
    FAILING_START, Counted, FailingStart, StageFailure, call_stage, load_image, run_stage,
)
from veriscene.annotate.colours import dominant_colour, dominant_colour_of
# the parts of the pipeline, in modules of their own (re-exported: callers import them from here)
from veriscene.annotate.inputs import (
    IMAGE_SUFFIXES, _folder_images, check_not_input, duplicate_ids, image_files, image_ids, report_skipped, written_path,
)
from veriscene.annotate.models import (
    DepthEstimator, Detector, OpenVocabularyDetector, Segmenter, TransformersDepth, TransformersDetector,
    TransformersSegmenter, describe,
)
from veriscene.annotate.stage_setup import (
    DEFAULT_ATTRIBUTE_KINDS, DEFAULT_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, check_options, model_stages,
    parse_devices, served_stages,
)
from veriscene.annotate.stages import (
    _DIRECTIONS, SERVER_FAILED, SERVER_PARTLY, Answers, Stages, _counted, _masks, _object, _ordered, _prompts, _scene,
    clear_relations,
)
from veriscene.deprecated import renamed_keywords
from veriscene.engine.run_lock import holding_locks
from veriscene.errors import SceneValidationError
from veriscene.evaluate.adapters.base import ModelConfigError
from veriscene.io.convert import ConvertSummary
from veriscene.io.readers._base import ReadContext, SceneParts
from veriscene.io.rejects import Reject, RejectReport
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import SPARSE_KINDS, Scene

__all__ = [
    # defined here
    "FORMAT", "_Unusable", "annotate", "annotate_images", "annotated",
    # moved to `batches`, `inputs`, `stages` and `stage_setup`
    "FAILING_START", "FailingStart", "model_stages", "parse_devices",
    "IMAGE_SUFFIXES", "SERVER_FAILED", "SERVER_PARTLY", "Stages", "_DIRECTIONS", "_counted", "_folder_images",
    "_masks", "_object", "_ordered", "_prompts", "_scene", "clear_relations", "duplicate_ids", "image_files",
    "image_ids", "report_skipped", "written_path",
    # imported here before the split, kept importable for callers that took them from here
    "ConvertSummary", "Counted", "DepthEstimator", "Detector", "ModelConfigError", "OpenVocabularyDetector",
    "ReadContext", "Reject", "RejectReport", "SPARSE_KINDS", "Scene", "SceneParts", "SceneValidationError",
    "Segmenter", "StageFailure", "TransformersDepth", "TransformersDetector", "TransformersSegmenter",
    "call_stage", "describe", "dominant_colour", "dominant_colour_of", "encode_mask", "load_image", "run_stage",
]

FORMAT = "pipeline"


class _Unusable(Exception):
    """Carries a `ModelConfigError` out of `ReadContext.scene`, which would take it (a ValueError)
    for a malformed record and reject the image: a refused key stops the run instead."""

    def __init__(self, error: ModelConfigError) -> None:
        super().__init__(str(error))
        self.error = error


def annotated(images: str | os.PathLike[str], stages: Stages, report: RejectReport | None = None,
              strict: bool = False, start: int = 0, batch_size: int = 1,
              listing: tuple[Path, list[Path]] | None = None, stop: int | None = None,
              watch: bool = True, duplicates: dict[int, str] | None = None, sent: dict[str, bytes] | None = None,
              only: Collection[int] | None = None, known: Mapping[int, dict[str, str]] | None = None,
              ) -> Iterator[tuple[int, Scene | None, str | None, dict[str, str]]]:
    """(position, scene, failure, replies) for each image of `images` from position `start` up to
    `stop`; the scene is None when the image was rejected (reported in `report`), and `failure` is
    then the reason when a model stage failed on it; `replies`: those its attribute and relation
    requests got (`stages.Answers`). `batch_size` images at a time go through the detector, mask
    and depth models (`batches`); `start` and `stop` may fall inside a batch. `listing`:
    `image_files(images)`, when the caller has it already (or a part of it, with `duplicates`:
    position -> the earlier image of the same id, `duplicate_ids`). With `watch`, the run stops
    when its first images all fail in a model stage (`FailingStart`). `sent`: the images' bytes by
    path, read from there instead of the files (`batches.load_image`). `only`: the positions to
    do, of those (images done again by a resume), and `known`: the replies their requests got
    before, by position (handed on again, not asked). The other images of a batch (done already,
    or not to be done again) go through the batch models that are `Stages.batch_bound` with the
    images done, so that those come out as in their batch, and are not yielded."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    listing = listing if listing is not None else image_files(images)
    files = listing[1]
    ids = image_ids(listing)
    twice = duplicate_ids(ids, files) if duplicates is None else duplicates
    stop = len(files) if stop is None else min(stop, len(files))
    # a detection with no name or no area is dropped (reported as an object), not its image
    ctx = ReadContext(images, FORMAT, report=report, strict=strict, sparse=stages.sparse(), drop_bad_parts=True)
    provenance = stages.provenance()
    failing_start = FailingStart(stop - start) if watch else None
    failure: list[Any] = []  # [why, whether the server failed] when the image being built failed in a model stage
    # A batch model's results for an image differ (in the last bits: a score, a depth) from its
    # results for that image alone or in another batch, so an image done again goes through it
    # with its first batch-mates; a model that does not take batches, or whose results do not
    # depend on the batch (one request per image to a server), sees the images done alone
    bound = stages.batch_bound()

    def build(position: int, rgb: Any, found: Any, depth: Any, masks: Any, answers: Answers) -> Scene:
        if position in twice:  # checked here, after the models, so that the batches stay as they are
            raise SceneValidationError(f"duplicate image id {ids[position]!r} (the image {twice[position]} has it)",
                                       field="image_id")
        try:
            return _scene(ctx, stages, files[position], ids[position], provenance, rgb, found, depth, masks, answers)
        except StageFailure as exc:
            failure[:] = [exc.reason, exc.server]
            raise
        except ModelConfigError as exc:
            raise _Unusable(exc) from None

    # batches start at multiples of batch_size from the first image, a resumed run's too: an image
    # goes through the models with the same others (padded alike) whether or not the run was resumed
    for first in range(start - start % batch_size, stop, batch_size):
        positions = list(range(first, min(first + batch_size, len(files))))
        wanted = {p for p in positions if start <= p < stop and (only is None or p in only)}
        if not wanted:
            continue
        if not any(bound.values()):
            positions = [p for p in positions if p in wanted]
        chunk = [files[p] for p in positions]
        loaded = [load_image(path, sent) for path in chunk]
        readable = {k: rgb for k, rgb in enumerate(loaded) if isinstance(rgb, Image.Image)}
        # the images (by index in `loaded`) each model sees
        seen = {stage: [k for k in readable if on or positions[k] in wanted] for stage, on in bound.items()}
        detected: list[Any] = [None] * len(loaded)
        depths: list[Any] = [None] * len(loaded)
        for k, found in zip(seen["detector"], run_stage("detector", stages.detector,
                                                         [readable[k] for k in seen["detector"]])):
            detected[k] = _ordered(found)
        if stages.depth is not None:
            for k, depth in zip(seen["depth"], run_stage("depth", stages.depth, [readable[k] for k in seen["depth"]])):
                depths[k] = depth
        outlined = set(seen["segmenter"])
        masks = _masks(stages, loaded, [d if k in outlined else None for k, d in enumerate(detected)])
        for k, (position, path, rgb) in enumerate(zip(positions, chunk, loaded)):
            if position not in wanted:
                continue  # done before the run was resumed, another part's, or not to be done again
            answers = Answers(known.get(position) if known is not None else None)
            failure.clear()
            try:
                scene = ctx.scene(str(path), partial(build, position, rgb, detected[k], depths[k], masks[k], answers))
            except _Unusable as stop_run:
                raise stop_run.error from None
            why = failure[0] if failure and scene is None else None
            if why is not None and failure[1]:
                ctx.report.count(SERVER_FAILED)
            if failing_start is not None:
                failing_start.seen(why, bool(why is not None and failure[1]))
            yield position, scene, why, answers.got


@renamed_keywords(attributes="attributes_model", relation_model="relations_model")
def annotate_images(
    images: str | os.PathLike[str],
    *,
    detector: str | os.PathLike[str] | Detector | None = None,
    detector_model: str | None = None,
    box_format: str = "pixels",
    max_side: int | None = None,
    segmenter: str | os.PathLike[str] | Segmenter | None = None,
    depth: str | os.PathLike[str] | DepthEstimator | None = None,
    depth_maps: str | os.PathLike[str] | None = None,
    names: list[str] | None = None,
    threshold: float = 0.5,
    max_objects: int = 50,
    colours: bool = True,
    relations: bool = True,
    margin: float = 0.02,
    duplicate_iou: float = 0.7,
    report: RejectReport | None = None,
    strict: bool = False,
    batch_size: int = 1,
    attributes_model: Any = None,
    relations_model: Any = None,
    attribute_kinds: Sequence[str] = DEFAULT_ATTRIBUTE_KINDS,
    predicates: Sequence[str] | None = None,
    base_url: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
    threads: int | None = None,
    device: str | Sequence[str] = "cpu",
    gpus_per_worker: float = 1.0,
) -> Iterator[Scene]:
    """Stream one scene per image of `images` (module notes); bad images are reported in `report`.
    The stages are given as to `annotate` (model folders, with `names`, `threshold` and
    `max_objects`, or callables). With several `workers` (or `backend="ray"`), as `annotate` runs
    them (`parallel`). Model stages made with ``load=False`` load on `device` (several: worker k on
    device k modulo their number; on Ray, each worker takes `gpus_per_worker` of a GPU on ``cuda``).
    `depth_maps`: as `annotate`'s (a folder; needs `depth`), the scenes naming their maps by absolute
    paths (they are streamed, not written beside a scene file)."""
    if depth_maps is not None and depth is None:
        raise ValueError("depth_maps is where the depth model's maps are written: give a depth model (depth=)")
    detector, attributes_model, relations_model = served_stages(
        detector=detector, detector_model=detector_model, names=names, box_format=box_format, max_side=max_side,
        max_objects=max_objects, attributes_model=attributes_model, attribute_kinds=attribute_kinds,
        relations_model=relations_model, predicates=predicates, base_url=base_url, concurrency=concurrency,
        timeout=timeout, max_retries=max_retries)
    devices = parse_devices(device)
    models = model_stages(detector, segmenter, depth, names, threshold, max_objects, devices, workers, backend)
    stages = Stages(*models, colours, relations, margin, duplicate_iou, attributes_model, relations_model,
                    depth_maps=None if depth_maps is None else os.path.abspath(depth_maps))
    skipped: list[tuple[str, str]] = []
    listing = image_files(images, skipped)
    report = report if report is not None else RejectReport()
    report_skipped(report, images, skipped)
    if workers == 1 and backend == "local" and threads is None:
        for _, scene, _, _ in annotated(images, stages.on(devices[0]), report, strict, batch_size=batch_size,
                                        listing=listing):
            if scene is not None:
                yield scene
        return
    from veriscene.annotate.parallel import effective_threads, outcomes
    from veriscene.scene.jsonl import scene_from_dict

    for done in outcomes(images, stages, listing, report,
                         strict=strict, batch_size=batch_size, workers=workers, backend=backend, address=address,
                         threads=effective_threads(workers, backend, threads), devices=devices,
                         gpus_per_worker=gpus_per_worker):
        if done.line is not None:
            yield scene_from_dict(orjson.loads(done.line))


@renamed_keywords(attributes="attributes_model", relation_model="relations_model", rejects_path="rejects")
@holding_locks  # its scene file and reject report, locked before any model loads (`runfile.lock_outputs`)
def annotate(
    images: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    detector: str | os.PathLike[str] | Detector | None = None,
    detector_model: str | None = None,
    box_format: str = "pixels",
    max_side: int | None = None,
    segmenter: str | os.PathLike[str] | Segmenter | None = None,
    depth: str | os.PathLike[str] | DepthEstimator | None = None,
    depth_maps: str | os.PathLike[str] | None = None,
    names: list[str] | None = None,
    attributes_model: Any = None,
    relations_model: Any = None,
    attribute_kinds: Sequence[str] = DEFAULT_ATTRIBUTE_KINDS,
    predicates: Sequence[str] | None = None,
    base_url: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    threshold: float = 0.5,
    max_objects: int = 50,
    device: str | Sequence[str] = "cpu",
    colours: bool = True,
    relations: bool = True,
    margin: float = 0.02,
    duplicate_iou: float = 0.7,
    strict: bool = False,
    rejects: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 1,
    workers: int | None = None,
    backend: str = "local",
    address: str | None = None,
    threads: int | None = None,
    gpus_per_worker: float = 1.0,
    task_timeout: float | None = None,
) -> ConvertSummary:
    """Annotate `images` and write their scene graphs to `out` (veriscene JSONL), rejects to `rejects`
    (default: beside `out`). `detector`, `segmenter` and `depth` are model folders (loaded with
    transformers; `threshold`, `max_objects` and `device` apply to them) or callables; with `depth_maps`
    (a folder; needs `depth`), the depth model's map of each image is written there as IMAGE_ID.npy and
    named by its scene (`depth_map`, encoding "relative"; `stages.write_depth_map`), for
    depth.map_points to ask about points anywhere in it. With `names`, the
    detector is an open-vocabulary one prompted with them. `detector_model`, `attributes_model` and
    `relations_model` name vision-language models on the OpenAI-compatible server at `base_url` (a
    detector listing the objects with their boxes in `box_format`, its images scaled to `max_side`; the
    `attribute_kinds` of each object's crop; the `predicates` of pairs of near objects; `concurrency`,
    `timeout` and `max_retries` for the requests), or are such stages already made
    (`vlm_detect.VLMDetector`, `vlm.VLMAttributes`, `vlm.VLMRelations`; `stage_setup`). The keywords are
    the CLI's options (`--rejects` is `rejects=`; `attributes`, `relation_model`, `rejects_path` are
    deprecated names). The output appears when every image is done; with `resume`, a run killed part-way
    goes on from the last image it finished, and the images a model's server failed on are done again,
    even once the run finished (`runfile`, `retry`); a finished run with nothing to do again is left as
    it is (the summary's `notes` say it had finished), and a run with other images, models or settings
    is refused (ValueError naming what differs). `progress(n)` is called as images are done.
    `batch_size` images at a time go through the detector, mask and depth models (faster on a GPU).
    `workers` processes annotate images at once, each with its own copy of the models: local ones, or
    Ray tasks with `backend="ray"` (on the cluster at `address`, else a local Ray); the output is the
    same whatever their number at the same number of torch `threads` per worker (default: `cpu_count //
    workers` with several local workers, else torch's own; `parallel`). `device` is one torch device or
    several (``"cuda:0,cuda:1"`` or a list): worker k runs on device k modulo their number and loads its
    own models there (`workers` defaults to the number of devices; on Ray with ``cuda``, to as many as
    the cluster's GPUs hold). With the CPU alone the models load once here and the workers share them.
    On Ray with ``device="cuda"``, each worker asks Ray for `gpus_per_worker` of a GPU (1: a GPU of its
    own; 0.5: two workers per GPU); workers the cluster cannot hold at once are refused rather than left
    waiting. `task_timeout` (seconds): a part of the run (a batch of images) that does not come back
    that long after it is awaited stops the run with `veriscene.engine.backends.WorkerHung`, its workers
    stopped; what was done before is kept for `resume` (None: wait for ever; a single local worker then
    runs in a process of its own). `out` and the reject report are locked while the run writes them:
    another run writing either meanwhile raises `engine.run_lock.RunLockedError`, before it loads
    a model or writes anything."""
    from veriscene.annotate.runfile import lock_outputs, write_resumable

    check_options(out, rejects, batch_size=batch_size, max_objects=max_objects, threshold=threshold, names=names,
                  attribute_kinds=attribute_kinds, predicates=predicates, backend=backend, address=address)
    check_not_input(images, out, rejects)  # (the paths alone: a list file, an image, a folder's image)
    if depth_maps is not None and depth is None:
        raise ValueError("depth_maps is where the depth model's maps are written: give a depth model (depth=)")
    lock_outputs(Path(out), rejects)  # another run writing either: refused before any model loads
    detector, attributes_model, relations_model = served_stages(
        detector=detector, detector_model=detector_model, names=names, box_format=box_format, max_side=max_side,
        max_objects=max_objects, attributes_model=attributes_model, attribute_kinds=attribute_kinds,
        relations_model=relations_model, predicates=predicates, base_url=base_url, concurrency=concurrency,
        timeout=timeout, max_retries=max_retries)
    devices = parse_devices(device)
    on_ray_devices = backend == "ray" and devices != ["cpu"]  # each Ray worker loads its own models
    if on_ray_devices:
        from veriscene.annotate.parallel import ray_options

        for one in devices:
            ray_options(one, gpus_per_worker)  # before anything is written: Ray places the workers, on cpu or cuda
    elif gpus_per_worker != 1.0:
        raise ValueError("gpus_per_worker is a Ray worker's share of a GPU (backend='ray', device='cuda'); local "
                         "workers on one GPU share it as they come (device='cuda', workers=N)")
    with ExitStack() as session:
        if workers is None and on_ray_devices and "cuda" in devices:
            # as many workers as the cluster's GPUs hold (the run goes on in this Ray session)
            from veriscene.annotate.parallel import gpu_workers
            from veriscene.engine.backends import ray_session

            workers = gpu_workers(session.enter_context(ray_session(os.cpu_count() or 1, address)), gpus_per_worker)
        workers = len(devices) if workers is None else workers
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if workers < len(devices):
            raise ValueError(f"{len(devices)} devices need at least as many workers, got workers={workers}")
        find, outline, estimate = model_stages(detector, segmenter, depth, names, threshold, max_objects,
                                               devices, workers, backend)
        stages = Stages(find, outline, estimate, colours, relations, margin, duplicate_iou, attributes_model,
                        relations_model, depth_maps=None if depth_maps is None else os.path.abspath(depth_maps))
        return write_resumable(images, Path(out), stages, strict=strict, rejects_path=rejects, resume=resume,
                               progress=progress, batch_size=batch_size, workers=workers, backend=backend,
                               address=address, threads=threads, devices=devices, gpus_per_worker=gpus_per_worker,
                               task_timeout=task_timeout)
