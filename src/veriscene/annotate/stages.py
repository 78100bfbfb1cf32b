"""What runs on each image (`Stages`) and one image's scene from the stages' results: its objects
(boxes, masks, colours, depth; duplicates merged), attributes and relations (`pipeline` notes).

The replies an image's attribute and relation requests got are kept (`Answers`): when some of its
requests failed on the server, a resume hands those replies on again and sends only the requests
that failed. A request is told by its content (`evaluate.cache.request_key`: the model, the texts
and the bytes of its images), so a reply is only ever handed on for the very request it answered.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image

from veriscene.annotate.batches import Counted, StageFailure, call_stage, run_stage
from veriscene.annotate.colours import dominant_colour, dominant_colour_of
from veriscene.annotate.inputs import written_path
from veriscene.annotate.models import DepthEstimator, Detector, Segmenter, describe
from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext, SceneParts
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import SPARSE_KINDS, Scene

# the count of images rejected because a model's server failed (after its retries), not the image
SERVER_FAILED = "images_failed_on_the_server"
# the count of images written without some attributes or relations, their requests failed on the server
SERVER_PARTLY = "images_partly_failed_on_the_server"
_DIRECTIONS = (("left of", "right of", 0, 2), ("above", "below", 1, 3))


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
    # the folder (absolute) the depth model's maps are written into, one IMAGE_ID.npy each
    # (`write_depth_map`, ``annotate --depth-maps``); None: not written. Not part of `provenance`
    depth_maps: str | None = None

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

    def batch_bound(self) -> dict[str, bool]:
        """Which of the detector, mask and depth stages must see an image's batch-mates again for the
        image to come out as it did in its batch: a stage that takes batches (padded together:
        a model's results differ in the last bits from one image's) does, unless it says otherwise
        (``batch_independent``: one request per image to a server, `vlm_detect.VLMDetector`); and the
        detector does when the mask model does, which is prompted with the batch-mates' boxes."""
        def bound(stage: Any) -> bool:
            return (stage is not None and callable(getattr(stage, "batch", None))
                    and not getattr(stage, "batch_independent", False))

        masks = bound(self.segmenter)
        return {"detector": bound(self.detector) or masks, "segmenter": masks, "depth": bound(self.depth)}

    def sparse(self) -> list[str]:
        """``meta["sparse"]`` of the scenes: colours and relations, when read, are recorded in part."""
        attributes = self.colours or self.attributes is not None
        relations = self.relations or self.relation_model is not None
        return [k for k, on in zip(SPARSE_KINDS, (attributes, relations)) if on]


class Answers:
    """The replies to one image's attribute and relation requests (module notes): those `known`
    (request key -> reply text, from an earlier try of the image) are handed on without being sent,
    and every reply handed on is kept in `got`."""

    def __init__(self, known: dict[str, str] | None = None) -> None:
        self.known = dict(known or {})
        self.got: dict[str, str] = {}

    def stage(self, stage: Any) -> Any:
        """`stage` asking its model through these answers: a copy of it whose `model` (a
        `veriscene.evaluate.adapters` Model: `generate`, `identity`) is wrapped. A stage that asks
        no such model is given as it is (each of its requests is sent again on a resume)."""
        model = getattr(stage, "model", None)
        if not (callable(getattr(model, "generate", None)) and callable(getattr(model, "identity", None))):
            return stage
        twin = copy.copy(stage)
        try:
            twin.model = _Answering(model, self)
        except AttributeError:  # a read-only `model`: the stage asks as it is
            return stage
        return twin


class _Answering:
    """A model adapter answering the requests `answers` knows, sending the others to `model`."""

    def __init__(self, model: Any, answers: Answers) -> None:
        self.model, self.answers = model, answers

    def __getattr__(self, name: str) -> Any:  # the adapter's other attributes (name, params, ...)
        if name in ("model", "answers"):
            raise AttributeError(name)
        return getattr(self.model, name)

    def generate(self, requests: Sequence[Any], on_done: Callable[[Any], None]) -> None:
        from veriscene.evaluate.adapters.base import Completion
        from veriscene.evaluate.cache import request_key

        identity = self.model.identity()
        keys: dict[str, str] = {}  # a request's own key (unique in a call) -> its content's
        ask = []
        for request in requests:
            key = request_key(identity, request)
            text = self.answers.known.get(key)
            if text is None:
                keys[request.key] = key
                ask.append(request)
            else:
                self.answers.got[key] = text
                on_done(Completion(key=request.key, text=text, cached=True))

        def done(completion: Any) -> None:
            if completion.ok and completion.key in keys:
                self.answers.got[keys[completion.key]] = completion.text
            on_done(completion)

        if ask:
            self.model.generate(ask, done)


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
    segmenter = stages.segmenter
    wanted = [(k, rgb) for k, rgb in enumerate(loaded)
              if segmenter is not None and isinstance(rgb, Image.Image) and asked[k]]
    out: list[Any] = [None] * len(loaded)
    made = run_stage("segmenter", segmenter, [rgb for _, rgb in wanted],
                     [_prompts(rgb, asked[k]) for k, rgb in wanted]) if segmenter is not None and wanted else []
    for (k, _), masks in zip(wanted, made):
        if isinstance(masks, SceneValidationError):
            out[k] = masks
        elif len(masks) != len(asked[k]):
            out[k] = StageFailure(f"the segmenter gave {len(masks)} masks for {len(asked[k])} boxes", field="segmenter")
        else:
            given = iter(masks)
            out[k] = [None if d.problem is not None else next(given) for d in found[k]]
    return out


def _scene(ctx: ReadContext, stages: Stages, path: Path, image_id: str, provenance: dict[str, Any],
           rgb: Image.Image | SceneValidationError, detections: Any, depth_map: Any, made: Any = None,
           answers: Answers | None = None) -> Scene:
    """The scene of one image, from the image (or the reject loading it gave) and its detector,
    depth and mask results (or their failures; detections best first). `answers`: the attribute
    and relation models' replies, kept there (and those known there not asked again)."""
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
        reader = stages.attributes if answers is None else answers.stage(stages.attributes)
        read = call_stage("attributes", reader, rgb, [(r["name"], r["box"]) for r in parts.rows])
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
        relater = stages.relation_model if answers is None else answers.stage(stages.relation_model)
        told = call_stage("relation_model", relater, rgb, [(r["name"], r["box"]) for r in parts.rows])
        _counted(ctx, told)
        server_failed += getattr(told, "server", 0)
        for a, predicate, b in told:
            parts.relate(ids[a], predicate, ids[b], "relation_model")
    if server_failed:
        ctx.repair(SERVER_PARTLY)  # counted once per image, if it is written: a resume does it again
    scores = {str(k): round(float(d.score), 4) for k, d in enumerate(detections)}
    meta = {"annotated_by": provenance, "scores": [scores[i] for i in parts.ids]}
    dense = None
    if stages.depth_maps is not None and depth_map is not None:
        dense = written_path(write_depth_map(Path(stages.depth_maps), image_id, depth_map), stages.image_folder)
        meta["depth_map_encoding"] = "relative"  # the estimator's smaller = closer, up to scale and shift
    return parts.scene(image_id, width, height, image=written_path(path, stages.image_folder), depth_map=dense,
                       meta=meta)


def write_depth_map(folder: Path, image_id: str, depth_map: np.ndarray) -> Path:
    """Write an image's (H, W) depth map as FOLDER/IMAGE_ID.npy (float32; the image id is its path
    under the images' root without its suffix, so subfolders are kept), whole or not at all (a
    temporary file moved into place); the file written. SceneValidationError (the image is
    rejected) when it cannot be written. The map is the depth stage's: smaller = closer, known up
    to scale and shift (a model's inverse depth flipped), read back as encoding "relative"
    (`veriscene.scene.depth_maps`)."""
    target = folder / f"{image_id}.npy"
    if ".." in Path(image_id).parts or Path(image_id).is_absolute():  # (ids are relative paths: never)
        raise SceneValidationError(f"image id {image_id!r} does not name a file under {folder}", field="depth_map")
    tmp = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            np.save(fh, np.asarray(depth_map, dtype=np.float32))
        os.replace(tmp, target)
    except OSError as exc:
        raise SceneValidationError(f"cannot write the depth map {target}: {exc}"[:300], field="depth_map") from None
    return target
