"""Scene graphs from raw images: detect objects, then read their colours, depth and relations.

    from veriscene.annotate import annotate
    summary = annotate("photos/", "scenes.jsonl", detector="models/detr-resnet-50", depth="models/dpt")

Stages, per image (a folder of images, searched recursively and sorted; a text file listing image
paths, one per line; or one image):

1. **detect** (`detector`): objects with class names, boxes and scores, from a transformers
   object-detection model in a local folder (`models.TransformersDetector`), an open-vocabulary
   one prompted with `names` (`models.OpenVocabularyDetector`), or any `Detector` callable.
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
   (`attributes`, optional): words a vision-language model gives for each object's crop
   (`vlm.VLMAttributes`; when it is asked for colours, it gives them instead of the pixels).
5. **relations** (`relations`): "left of", "right of", "above" and "below" between objects
   whose boxes are clearly apart along the axis (by `margin` of the image's width or height);
   and (`relation_model`, optional) predicates a vision-language model gives for pairs of near
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
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import orjson
from PIL import Image

from veriscene.annotate.batches import Counted, StageFailure, call_stage, load_image, run_stage
from veriscene.annotate.colours import dominant_colour, dominant_colour_of
from veriscene.annotate.models import (
    DepthEstimator, Detector, OpenVocabularyDetector, Segmenter, TransformersDepth, TransformersDetector,
    TransformersSegmenter, describe,
)
from veriscene.errors import SceneValidationError
from veriscene.evaluate.adapters.base import ModelConfigError
from veriscene.io.convert import ConvertSummary
from veriscene.io.readers._base import ReadContext, SceneParts
from veriscene.io.rejects import Reject, RejectReport
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import SPARSE_KINDS, Scene

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")
# A run stops when each of its first images fails in a model stage: the model or its settings are
# wrong, not the images (after that, a failure rejects just its image)
FAILING_START = 3
FORMAT = "pipeline"
# the count of images rejected because a model's server failed (after its retries), not the image
SERVER_FAILED = "images_failed_on_the_server"
# the count of images written without some attributes or relations, their requests failed on the server
SERVER_PARTLY = "images_partly_failed_on_the_server"
_DIRECTIONS = (("left of", "right of", 0, 2), ("above", "below", 1, 3))


def _folder_images(folder: Path, skipped: list[tuple[str, str]]) -> list[Path]:
    """A folder's images, searched recursively (symbolic links to folders followed, each folder
    searched once), sorted; what is left out goes to `skipped` as (path, why)."""
    files: list[Path] = []
    seen: set[str] = set()
    for top, folders, names in os.walk(folder, followlinks=True):
        seen.add(os.path.realpath(top))
        for name in sorted(folders):
            inner = os.path.join(top, name)
            if os.path.realpath(inner) in seen or os.path.realpath(inner) == os.path.realpath(top):
                folders.remove(name)
                skipped.append((inner, "the same folder as one searched already (a link to it): left out"))
        folders.sort()
        for name in names:
            path = Path(top) / name
            if not path.exists():
                skipped.append((str(path), f"a broken symbolic link (to {os.readlink(path)!r}, which does not exist)"))
            elif not path.is_file():
                skipped.append((str(path), "not a regular file"))
            elif path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped.append((str(path), f"not an image of a format annotate reads ({', '.join(IMAGE_SUFFIXES)})"))
            else:
                files.append(path)
    return sorted(files)


def image_files(images: str | os.PathLike[str],
                skipped: list[tuple[str, str]] | None = None) -> tuple[Path, list[Path]]:
    """(root, image paths): a folder's images (recursive, sorted), a list file's, or one image.
    Image ids are the paths relative to the root, without the suffix. `skipped`: gets (path, why)
    of each file of a folder left out (another format, a broken link), for the run to report."""
    path = Path(images)
    skipped = [] if skipped is None else skipped
    if path.is_dir():
        files = _folder_images(path, skipped)
        if not files:
            raise FileNotFoundError(f"{path}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        return path, files
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return path.parent, [path]
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a list file saved with a byte order mark (Windows' Notepad)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text[:4096]:
        raise ValueError(f"{path}: not an image of a format annotate reads ({', '.join(IMAGE_SUFFIXES)}; "
                         f"{path.suffix or 'no suffix'} is not one of them: convert it, e.g. to JPEG or PNG) "
                         "nor a text file listing image paths")
    lines = [line.strip() for line in text.splitlines()]
    return path.parent, [path.parent / line for line in lines if line and not line.startswith("#")]


def report_skipped(report: RejectReport, images: str | os.PathLike[str], skipped: list[tuple[str, str]],
                   own: Sequence[Path] = ()) -> None:
    """Report each file of the folder `images` left out (`image_files`) as a rejected file (its
    path as the record), but the run's own (`own`: its output files, and their temporary files
    ``.<name>.*``)."""
    mine = {os.path.abspath(p) for p in own}
    hidden = tuple(f".{p.name}." for p in own)
    for path, why in skipped:
        if os.path.abspath(path) not in mine and not (hidden and Path(path).name.startswith(hidden)):
            report.record(Reject(file=str(images), record=path, field="image", reason=f"skipped: {why}", level="file"))


def written_path(path: Path, folder: str | None) -> str:
    """An image's path as a scene file in `folder` names it: relative to that folder (a scene's
    image path is read relative to its own file's folder), else absolute (another drive); as
    given when `folder` is None (scenes streamed, not written)."""
    if folder is None:
        return str(path)
    try:
        return Path(os.path.relpath(os.path.abspath(path), folder)).as_posix()
    except ValueError:  # another drive (Windows)
        return os.path.abspath(path)


def clear_relations(boxes: list[list[float]], width: int, height: int, margin: float) -> list[tuple[int, str, int]]:
    """(a, predicate, b) for every ordered pair whose boxes are apart by `margin` of the image's
    width ("left of", "right of") or height ("above", "below")."""
    out = []
    for first, second, lo, hi in _DIRECTIONS:
        gap = margin * (width if lo == 0 else height)
        for a, box_a in enumerate(boxes):
            for b, box_b in enumerate(boxes):
                if a != b and box_a[hi] + gap <= box_b[lo]:
                    out += [(a, first, b), (b, second, a)]
    return sorted(out)


def _object(ctx: ReadContext, detection: Any, k: int, width: int, height: int, hsv: np.ndarray | None,
            depth: np.ndarray | None, mask: np.ndarray | None) -> dict[str, Any]:
    field = f"detections[{k}]"
    if detection.problem is not None:
        raise SceneValidationError(detection.problem, field=field)
    if detection.name.strip().upper() == "N/A":  # the unused class ids of COCO detectors (DETR's id2label)
        raise SceneValidationError(f"the detector's class {detection.name!r} names no object", field=field + ".name")
    box = ctx.box_xyxy(list(detection.box), width, height, field + ".box")
    row: dict[str, Any] = {"name": ctx.name(detection.name, field + ".name"), "box": box, "attributes": []}
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    inside = (slice(y0, max(y1, y0 + 1)), slice(x0, max(x1, x0 + 1)))
    if mask is not None:
        within = np.zeros((height, width), dtype=bool)
        within[inside] = True
        if mask.any():
            mask = mask & within  # the object the box holds: a mask never spills out of its box
        if not mask.any():
            mask = within  # the segmenter found nothing in the box: the box stands for the object
            ctx.repair("masks_from_boxes")
        row["mask"] = encode_mask(mask)
    if hsv is not None:
        colour = dominant_colour(hsv, box) if mask is None else dominant_colour_of(hsv[mask])
        if colour is not None:
            row["attributes"] = [colour]
    if depth is not None:
        row["depth"] = float(np.median(depth[inside] if mask is None else depth[mask]))
    return row


@dataclass(frozen=True)
class Stages:
    """What to run on each image (module notes) and with which settings."""

    detector: Detector
    segmenter: Segmenter | None = None
    depth: DepthEstimator | None = None
    colours: bool = True
    relations: bool = True
    margin: float = 0.02
    duplicate_iou: float = 0.7
    attributes: Any = None  # an attribute stage (`vlm.VLMAttributes`): its `kinds` and a call per image
    relation_model: Any = None  # a relation stage (`vlm.VLMRelations`): (a, predicate, b) per image
    # the folder (absolute) of the scene file written: image paths are written relative to it
    # (`written_path`); None: as found. Not part of `provenance`
    image_folder: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.margin < 1.0:
            raise ValueError(f"margin must be in [0, 1), got {self.margin}")
        if not 0.0 < self.duplicate_iou <= 1.0:
            raise ValueError(f"duplicate_iou must be in (0, 1], got {self.duplicate_iou}")

    def provenance(self) -> dict[str, Any]:
        """``meta["annotated_by"]`` of the scenes: the stages, their models and settings."""
        return {"detector": describe(self.detector), "segmenter": describe(self.segmenter),
                "depth": describe(self.depth), "attributes": describe(self.attributes),
                "relation_model": describe(self.relation_model), "colours": self.colours,
                "relations": {"margin": self.margin} if self.relations else False,
                "duplicate_iou": self.duplicate_iou}

    def on(self, device: str) -> "Stages":
        """These stages with each model made with ``load=False`` loaded on `device` (the others as
        they are): what a worker runs (`parallel`)."""
        waiting = self._waiting()
        return replace(self, **{name: getattr(self, name).on(device) for name in waiting}) if waiting else self

    @property
    def unloaded(self) -> bool:
        """Whether a model stage waits to be loaded where it runs (`on`)."""
        return bool(self._waiting())

    def _waiting(self) -> list[str]:
        """The model stages made with ``load=False`` (their `loaded` is False)."""
        return [name for name in ("detector", "segmenter", "depth")
                if getattr(getattr(self, name), "loaded", True) is False]

    def batch_bound(self) -> bool:
        """Whether an image's detections, masks or depth may depend on the images batched with it:
        a stage that takes batches (padded together) does, unless it says otherwise
        (``batch_independent``: one request per image to a server, `vlm_detect.VLMDetector`)."""
        return any(callable(getattr(stage, "batch", None)) and not getattr(stage, "batch_independent", False)
                   for stage in (self.detector, self.segmenter, self.depth) if stage is not None)

    def sparse(self) -> list[str]:
        """``meta["sparse"]`` of the scenes: colours and relations, when read, are recorded in part."""
        attributes = self.colours or self.attributes is not None
        relations = self.relations or self.relation_model is not None
        return [k for k, on in zip(SPARSE_KINDS, (attributes, relations)) if on]


def _ordered(found: Any) -> Any:
    """The detections best first (a failure as it is; a `Counted` result's counts kept)."""
    if isinstance(found, SceneValidationError):
        return found
    ordered = sorted(found, key=lambda d: -d.score)
    return Counted(ordered, found.counts, found.problems, found.level) if isinstance(found, Counted) else ordered


def _counted(ctx: ReadContext, result: Any) -> None:
    """Add what a stage's `Counted` result left out to the run's counts, and report the parts it
    could not do as rejects of the image (at the result's level)."""
    if not isinstance(result, Counted):
        return
    for kind, n in result.counts.items():
        ctx.report.count(kind, n)  # now: what the stage did is done, even if the image is rejected later
    for field, reason in result.problems:
        ctx.drop(SceneValidationError(reason, field=field), result.level)


def _prompts(rgb: Image.Image, detections: list[Any]) -> list[tuple[float, float, float, float]]:
    """The boxes the mask model is prompted with: the detections' boxes, within the image."""
    width, height = rgb.size
    return [(min(max(x0, 0), width), min(max(y0, 0), height), min(max(x1, 0), width), min(max(y1, 0), height))
            for x0, y0, x1, y1 in (d.box for d in detections)]


def _masks(stages: Stages, loaded: list[Image.Image | SceneValidationError], found: list[Any]) -> list[Any]:
    """Each image's masks from the mask model, one per detection (None for a detection with a
    `problem`, which the model is not asked about); None without a mask model, or for an image
    that has no detections or failed before. Through the model a batch at a time
    (`batches.run_stage`)."""
    asked = [[d for d in dets if d.problem is None] if isinstance(dets, list) else [] for dets in found]
    wanted = [k for k, rgb in enumerate(loaded)
              if stages.segmenter is not None and isinstance(rgb, Image.Image) and asked[k]]
    out: list[Any] = [None] * len(loaded)
    made = run_stage("segmenter", stages.segmenter, [loaded[k] for k in wanted],
                     [_prompts(loaded[k], asked[k]) for k in wanted]) if wanted else []
    for k, masks in zip(wanted, made):
        if isinstance(masks, SceneValidationError):
            out[k] = masks
        elif len(masks) != len(asked[k]):
            out[k] = StageFailure(f"the segmenter gave {len(masks)} masks for {len(asked[k])} boxes", field="segmenter")
        else:
            given = iter(masks)
            out[k] = [None if d.problem is not None else next(given) for d in found[k]]
    return out


def _scene(ctx: ReadContext, stages: Stages, path: Path, image_id: str, provenance: dict[str, Any],
           rgb: Image.Image | SceneValidationError, detections: Any, depth_map: Any, made: Any = None) -> Scene:
    """The scene of one image, from the image (or the reject loading it gave) and its detector,
    depth and mask results (or their failures; detections best first)."""
    for given in (rgb, detections, depth_map, made):
        if isinstance(given, SceneValidationError):
            raise given
    assert isinstance(rgb, Image.Image)
    _counted(ctx, detections)
    width, height = rgb.size
    if depth_map is not None and depth_map.shape != (height, width):
        raise StageFailure(f"the depth map is {depth_map.shape[1]}x{depth_map.shape[0]}, the image {width}x{height}",
                           field="depth")
    pixel_colours = stages.colours and (stages.attributes is None or "color" not in stages.attributes.kinds)
    hsv = np.asarray(rgb.convert("HSV")) if pixel_colours else None
    masks: list[np.ndarray | None] = [None] * len(detections)
    if made is not None:
        masks = list(made)
        wrong = next((m.shape for m in masks if m is not None and m.shape != (height, width)), None)
        if wrong is not None:
            raise StageFailure(f"the segmenter gave a {wrong[1]}x{wrong[0]} mask for a {width}x{height} image",
                               field="segmenter")
    parts = SceneParts(ctx)
    for k, detection in enumerate(detections):
        parts.add(str(k), partial(_object, ctx, detection, k, width, height, hsv, depth_map, masks[k]),
                  f"detections[{k}]")
    parts.merge_duplicates(stages.duplicate_iou)  # best scored first: each keeps the first of its duplicates
    server_failed = 0  # requests of the attribute and relation stages the server failed on
    if stages.attributes is not None and parts.rows:
        read = call_stage("attributes", stages.attributes, rgb, [(r["name"], r["box"]) for r in parts.rows])
        _counted(ctx, read)
        server_failed += getattr(read, "server", 0)
        if len(read) != len(parts.rows):
            raise StageFailure(f"the attribute model gave {len(read)} lists for {len(parts.rows)} objects",
                               field="attributes")
        for row, words in zip(parts.rows, read):
            row["attributes"] = list(dict.fromkeys([*row["attributes"], *words]))
    if not parts.rows:
        ctx.repair("images_without_objects")
    ids = parts.ids
    if stages.relations:
        for a, predicate, b in clear_relations([r["box"] for r in parts.rows], width, height, stages.margin):
            parts.relate(ids[a], predicate, ids[b], "relations")
    if stages.relation_model is not None and len(parts.rows) > 1:
        told = call_stage("relation_model", stages.relation_model, rgb, [(r["name"], r["box"]) for r in parts.rows])
        _counted(ctx, told)
        server_failed += getattr(told, "server", 0)
        for a, predicate, b in told:
            parts.relate(ids[a], predicate, ids[b], "relation_model")
    if server_failed:
        ctx.repair(SERVER_PARTLY)  # counted once per image, if it is written: a resume does it again
    scores = {str(k): round(float(d.score), 4) for k, d in enumerate(detections)}
    meta = {"annotated_by": provenance, "scores": [scores[i] for i in parts.ids]}
    return parts.scene(image_id, width, height, image=written_path(path, stages.image_folder), meta=meta)


def image_ids(listing: tuple[Path, list[Path]]) -> list[str]:
    """Each image's id: its path relative to the root, without the suffix (else its stem)."""
    root, files = listing
    return [path.relative_to(root).with_suffix("").as_posix() if path.is_relative_to(root) else path.stem
            for path in files]


def duplicate_ids(ids: list[str], files: list[Path]) -> dict[int, str]:
    """Position -> the earlier image of the same id (``a.jpg`` and ``a.png`` are both ``a``)."""
    first: dict[str, int] = {}
    out = {}
    for position, image_id in enumerate(ids):
        earlier = first.setdefault(image_id, position)
        if earlier != position:
            out[position] = str(files[earlier])
    return out


class _Unusable(Exception):
    """Carries a `ModelConfigError` out of `ReadContext.scene`, which would take it (a ValueError)
    for a malformed record and reject the image: a refused key stops the run instead."""

    def __init__(self, error: ModelConfigError) -> None:
        super().__init__(str(error))
        self.error = error


class FailingStart:
    """Stops a run when each of its first `FAILING_START` images (or all, if fewer) failed in a
    model stage: the model or its settings are at fault, not the images. Told each image's
    outcome in order (`seen`: the failure's reason, or None)."""

    def __init__(self, images_left: int) -> None:
        self.limit = min(FAILING_START, images_left)
        self.reasons: list[str] = []
        self.watching = self.limit > 0

    def seen(self, failure: str | None) -> None:
        if not self.watching:
            return
        if failure is None:
            self.watching = False
            return
        self.reasons.append(failure)
        if len(self.reasons) == self.limit:
            raise RuntimeError(f"each of the first {self.limit} images failed in a model stage, so the model "
                               f"or its settings are at fault, not the images; the last: {failure}")


def annotated(images: str | os.PathLike[str], stages: Stages, report: RejectReport | None = None,
              strict: bool = False, start: int = 0, batch_size: int = 1,
              listing: tuple[Path, list[Path]] | None = None, stop: int | None = None,
              watch: bool = True, duplicates: dict[int, str] | None = None, sent: dict[str, bytes] | None = None,
              only: Collection[int] | None = None) -> Iterator[tuple[int, Scene | None, str | None]]:
    """(position, scene, failure) for each image of `images` from position `start` up to `stop`;
    the scene is None when the image was rejected (reported in `report`), and `failure` is then
    the reason when a model stage failed on it. `batch_size` images at a time go through the
    detector, mask and depth models (`batches`); `start` and `stop` may fall inside a batch (the batch
    is run whole). `listing`: `image_files(images)`, when the caller has it already (or a part of
    it, with `duplicates`: position -> the earlier image of the same id, `duplicate_ids`). With
    `watch`, the run stops when its first images all fail in a model stage (`FailingStart`).
    `sent`: the images' bytes by path, read from there instead of the files (`batches.load_image`).
    `only`: the positions to do, of those (images done again by a resume): the others of their
    batches go through the batch models with them only where the stages are `batch_bound`, so
    that an image comes out as it would have the first time, and are not yielded."""
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
    alone = only is not None and not stages.batch_bound()  # an image's results do not depend on its batch

    def build(position: int, *prepared: Any) -> Scene:
        if position in twice:  # checked here, after the models, so that the batches stay as they are
            raise SceneValidationError(f"duplicate image id {ids[position]!r} (the image {twice[position]} has it)",
                                       field="image_id")
        try:
            return _scene(ctx, stages, files[position], ids[position], provenance, *prepared)
        except StageFailure as exc:
            failure[:] = [exc.reason, exc.server]
            raise
        except ModelConfigError as exc:
            raise _Unusable(exc) from None

    # batches start at multiples of batch_size from the first image, a resumed run's too: an image
    # goes through the models with the same others (padded alike) whether or not the run was resumed
    for first in range(start - start % batch_size, stop, batch_size):
        positions = list(range(first, min(first + batch_size, len(files))))
        if only is not None:
            wanted = [p for p in positions if p in only and start <= p < stop]
            if not wanted:
                continue
            positions = wanted if alone else positions
        chunk = [files[p] for p in positions]
        loaded = [load_image(path, sent) for path in chunk]
        readable = [im for im in loaded if isinstance(im, Image.Image)]
        found = iter(run_stage("detector", stages.detector, readable))
        depths = iter(run_stage("depth", stages.depth, readable) if stages.depth is not None else [None] * len(readable))
        detected = [_ordered(next(found)) if isinstance(rgb, Image.Image) else None for rgb in loaded]
        masks = _masks(stages, loaded, detected)
        for k, (position, path, rgb) in enumerate(zip(positions, chunk, loaded)):
            prepared = (rgb, detected[k], next(depths), masks[k]) if isinstance(rgb, Image.Image) else (rgb, None, None)
            if not start <= position < stop or (only is not None and position not in only):
                continue  # done before the run was resumed, or another part's
            failure.clear()
            try:
                scene = ctx.scene(str(path), partial(build, position, *prepared))
            except _Unusable as stop_run:
                raise stop_run.error from None
            why = failure[0] if failure and scene is None else None
            if why is not None and failure[1]:
                ctx.report.count(SERVER_FAILED)
            if failing_start is not None:
                failing_start.seen(why)
            yield position, scene, why


def annotate_images(
    images: str | os.PathLike[str],
    *,
    detector: Detector,
    segmenter: Segmenter | None = None,
    depth: DepthEstimator | None = None,
    colours: bool = True,
    relations: bool = True,
    margin: float = 0.02,
    duplicate_iou: float = 0.7,
    report: RejectReport | None = None,
    strict: bool = False,
    batch_size: int = 1,
    attributes: Any = None,
    relation_model: Any = None,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
    threads: int | None = None,
    device: str | Sequence[str] = "cpu",
    gpus_per_worker: float = 1.0,
) -> Iterator[Scene]:
    """Stream one scene per image of `images` (module notes); bad images are reported in `report`.
    With several `workers` (or `backend="ray"`), as `annotate` runs them (`parallel`). Model stages
    made with ``load=False`` load on `device` (several: worker k on device k modulo their number;
    on Ray, each worker takes `gpus_per_worker` of a GPU on ``cuda``)."""
    stages = Stages(detector, segmenter, depth, colours, relations, margin, duplicate_iou, attributes, relation_model)
    devices = parse_devices(device)
    skipped: list[tuple[str, str]] = []
    listing = image_files(images, skipped)
    report = report if report is not None else RejectReport()
    report_skipped(report, images, skipped)
    if workers == 1 and backend == "local" and threads is None:
        for _, scene, _ in annotated(images, stages.on(devices[0]), report, strict, batch_size=batch_size,
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


def annotate(
    images: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    detector: str | os.PathLike[str] | Detector,
    segmenter: str | os.PathLike[str] | Segmenter | None = None,
    depth: str | os.PathLike[str] | DepthEstimator | None = None,
    names: list[str] | None = None,
    attributes: Any = None,
    relation_model: Any = None,
    threshold: float = 0.5,
    max_objects: int = 50,
    device: str | Sequence[str] = "cpu",
    colours: bool = True,
    relations: bool = True,
    margin: float = 0.02,
    duplicate_iou: float = 0.7,
    strict: bool = False,
    rejects_path: str | os.PathLike[str] | None = None,
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
    """Annotate `images` and write their scene graphs to `out` (veriscene JSONL), rejects beside it.
    `detector`, `segmenter` and `depth` are model folders (loaded with transformers; `threshold`,
    `max_objects` and `device` apply to them) or callables; with `names`, the detector is an
    open-vocabulary one prompted with them. `attributes` is an attribute stage
    (`vlm.VLMAttributes`: a vision-language model asked about each object's crop) and
    `relation_model` a relation stage (`vlm.VLMRelations`: asked about pairs of near objects). The output appears when every image
    is done; with `resume`, a run killed part-way goes on from the last image it finished, and
    the images a model's server failed on are done again, even once the run finished (`runfile`,
    `retry`). `progress(n)` is called as images are done. `batch_size` images at a time go
    through the detector, mask and depth models (faster on a GPU). `workers` processes annotate images
    at once, each with its own copy of the models: local ones, or Ray tasks with `backend="ray"`
    (on the cluster at `address`, else a local Ray); the output is the same whatever their number
    at the same number of torch `threads` per worker (default: `cpu_count // workers` with several
    local workers, else torch's own; `parallel`). `device` is one torch device or several
    (``"cuda:0,cuda:1"`` or a list): worker k runs on device k modulo their number and loads its
    own models there (`workers` defaults to the number of devices; on Ray with ``cuda``, to as many
    as the cluster's GPUs hold). With the CPU alone the models load once here and the workers share
    them. On Ray with ``device="cuda"``, each worker asks Ray for `gpus_per_worker` of a GPU (1: a
    GPU of its own; 0.5: two workers per GPU); workers the cluster cannot hold at once are refused
    rather than left waiting. `task_timeout` (seconds): a part of the run (a batch of images) that
    does not come back that long after it is awaited stops the run with
    `veriscene.engine.backends.WorkerHung`, its workers stopped; what was done before is kept for
    `resume` (None: wait for ever; a single local worker then runs in a process of its own)."""
    from veriscene.annotate.runfile import write_resumable

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
        # Models load here, once, when this process runs them or the workers share them on the CPU
        # (forked, or through Ray's object store); else each worker loads its own on its device (a
        # GPU's context survives neither a fork nor a pickle)
        here = devices == ["cpu"] or (len(devices) == 1 and workers == 1 and backend == "local")
        on = devices[0] if here else "cpu"
        find: Detector
        if not isinstance(detector, (str, os.PathLike)):
            find = detector
        elif names:
            find = OpenVocabularyDetector(detector, names, threshold=threshold, max_objects=max_objects, device=on,
                                          load=here)
        else:
            find = TransformersDetector(detector, threshold=threshold, max_objects=max_objects, device=on, load=here)
        estimate: DepthEstimator | None = (TransformersDepth(depth, device=on, load=here)
                                           if isinstance(depth, (str, os.PathLike)) else depth)
        outline: Segmenter | None = (TransformersSegmenter(segmenter, device=on, load=here)
                                     if isinstance(segmenter, (str, os.PathLike)) else segmenter)
        stages = Stages(find, outline, estimate, colours, relations, margin, duplicate_iou, attributes,
                        relation_model)
        return write_resumable(images, Path(out), stages, strict=strict, rejects_path=rejects_path, resume=resume,
                               progress=progress, batch_size=batch_size, workers=workers, backend=backend,
                               address=address, threads=threads, devices=devices, gpus_per_worker=gpus_per_worker,
                               task_timeout=task_timeout)


def parse_devices(device: str | Sequence[str]) -> list[str]:
    """torch devices from ``"cpu"``, ``"cuda:0,cuda:1"`` or a list of them (at least one)."""
    found = [d.strip() for d in (device.split(",") if isinstance(device, str) else device) if d.strip()]
    if not found:
        raise ValueError(f"no device given in {device!r} (e.g. cpu, cuda, or cuda:0,cuda:1)")
    return found
