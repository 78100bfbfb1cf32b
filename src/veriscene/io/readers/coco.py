"""COCO instances and COCO panoptic annotation files.

Instances: ``{"images": [{id, file_name, width, height}], "annotations": [{id, image_id,
category_id, bbox: [x, y, w, h], segmentation, iscrowd}], "categories": [{id, name}]}``.
Category ids need not be contiguous. `segmentation` is a list of polygons, an uncompressed RLE
(``counts`` a list of ints, usual for crowd regions), a compressed RLE (``counts`` a string) or
empty. Masks go through pycocotools and come out as compressed RLE with string counts.

Panoptic: annotations are ``{image_id, file_name, segments_info: [{id, category_id, bbox,
iscrowd}]}`` with PNG id maps (id = R + 256 G + 256^2 B) in `panoptic_root` (default: the folder
named like the JSON file). Without that folder, panoptic scenes have boxes but no masks.

Stuff classes (``isthing: 0`` in a category, as panoptic files have: sky, grass, a merged region
of trees) are listed in ``meta["stuff"]``: present, never counted or singled out, like crowd
regions. Their names are made plain: 'sky-other-merged' -> 'sky', 'wall-brick' -> 'brick wall'
(`stuff_name`). COCO-Stuff's files carry no ``isthing``: their stuff classes are known by id and
name (`COCO_STUFF_CLASSES`), and their class 183 "other", every thing pixel of an image merged
into one region, is skipped (counted as `merged_things_skipped`).

Crowd regions (``iscrowd``: several instances annotated as one region) are kept and their indices
listed in ``meta["crowd"]``: questions treat them as showing that such objects are there, but never
count them, single one out or point at one as a single object (see `veriscene.program.ops`).
`skip_crowd` drops them instead, which makes "Is there a person?" wrongly "no" on an image whose
only people are a crowd region.
The file is read member by member, its images and annotations one at a time
(`_json.stream_json`), each put in a temporary file as it is read (`_spool`) and grouped by image
there, as the categories, which come last, must name them first: memory holds a few numbers per
annotation whatever the file's size (Objects365 or LVIS in COCO's layout). A polygon with a
vertex far outside its image is refused before pycocotools draws it (one such vertex would take
gigabytes).

COCO annotates every instance of its categories and nothing else (so do Objects365 and other
detection sets in its layout): a window or a shelf in the picture is not annotated, whether there
or not. Each scene says so by ``meta["category_set"]``, the id of the file's category list
(`_coco_categories.category_set`), and the first scene read from the file carries the list
itself, ``meta["categories"]`` (sorted; in every scene it would weigh gigabytes over Objects365's
1.7 M scenes; `veriscene.category_sets`). Generators ask such a scene about the absence or count
of its set's names only (a run mixing COCO with Visual Genome never asks a COCO image "Is there
a window?"), and free-form scoring leaves claims about other names open (neither true nor false)
and checks those about the categories.

LVIS files (COCO's layout, with per-image `neg_category_ids` and `not_exhaustive_category_ids`,
and images named by `coco_url` only: their path becomes "train2017/000000391895.jpg")
annotate only some categories in full on each image: ``meta["exhaustive"]`` lists them (the
annotated categories not marked non-exhaustive, and those verified absent; no
``meta["category_set"]``: the list says more), and programs refuse the count, absence or
uniqueness of any other (see `veriscene.scene.model.Scene`). A category whose entry is refused
(no name, two names for one id) has no name a question could say soundly: the lists leave it out
and the image is kept (counted as lvis_refused_categories_listed; `_exhaustive`).

A scene holds masks for all its objects or none: if some objects have no segmentation, the masks
of that scene are dropped, and a reject entry of level "mask" names the scene and the first
object without one (the scene is kept, with its boxes). A polygon of one or two points outlines
nothing: it is left out, its annotation kept with its other polygons and its box, and a "mask"
entry names it (``annotations[0] (id 10).segmentation[1]``); an empty one (``[[]]``, as box-only
exporters write for "no mask") is only counted (``empty_polygons_dropped``). Neither stops a strict
run, which stops at records refused; a scene rejected reports neither.

A reject names an annotation by its position in the file's ``annotations`` list and its id, as
``annotations[0] (id 10).bbox`` (a panoptic segment: ``annotations[0].segments_info[2] (id 7)``),
so `jq '.annotations[0]'` shows it whatever its id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pycocotools import mask as mask_utils

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import (
    ReadContext, SceneParts, bad, load_json, object_id,
)
# the categories (stuff names, COCO-Stuff's classes, LVIS's categories in full), in a module of
# their own (re-exported: callers import `stuff_name` and `COCO_STUFF_CLASSES` from here)
from veriscene.io.readers._coco_categories import (
    _LVIS_KEYS, _MERGED_THINGS, COCO_STUFF_CLASSES, _categories, _exhaustive, _merged_things, category_names,
    category_set, stuff_name,
)
# _numbers is re-exported: it was defined here
from veriscene.io.readers._coco_masks import (  # noqa: F401
    EMPTY, _numbers, _panoptic_ids, _rle_from_segmentation,
)
from veriscene.io.readers._json import Element, JsonStreamError, stream_json, top_level
from veriscene.io.readers._spool import GroupedSpool, Spool
from veriscene.io.readers._stored_pixels import AUTO
from veriscene.scene.compressed import plain_name
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import Scene

__all__ = ["COCO_STUFF_CLASSES", "read_coco", "stuff_name"]

_NOT_COCO = "a COCO file must be a JSON object with an 'images' list"


def annotation_field(index: int, ann: Any, within: str = "annotations") -> str:
    """How a reject names an annotation: its position in its list (`within`), and its id when it
    has one, as `annotations[0] (id 10)`: an id is no list index (COCO's are any integers)."""
    field = f"{within}[{index}]"
    if isinstance(ann, dict) and "id" in ann:
        field += f" (id {str(ann['id'])[:40]})"
    return field


def _iscrowd(ann: dict[str, Any], field: str) -> bool:
    """An annotation's `iscrowd`: 0 or 1 (false or true; 0 when absent). Anything else (the
    string "0" would be true to Python) is refused, naming the field."""
    value = ann.get("iscrowd", 0)
    if value in (0, 1) and isinstance(value, (int, bool)):
        return bool(value)
    raise bad(f"iscrowd must be 0 or 1 (or false/true), got {type(value).__name__} {value!r}"[:200], field + ".iscrowd")


def _scene(
    ctx: ReadContext,
    image: dict[str, Any],
    indexed: list[tuple[int, Any]],
    cats: dict[str, tuple[str, bool]],
    opts: dict[str, Any],
) -> Scene:
    # (position in the file's annotations list, annotation): the position names it in rejects
    positions, anns = [k for k, _ in indexed], [ann for _, ann in indexed]
    image_id = object_id(image.get("id"), "id")
    file_name = image.get("file_name")
    file_name = file_name if isinstance(file_name, str) else _from_url(image.get("coco_url"))
    width, height = ctx.image_size_of(image.get("width"), image.get("height"), [file_name] if file_name else [])
    ids_map = None
    fields = [annotation_field(k, ann) for k, ann in indexed]
    if opts["panoptic"]:
        if len(anns) > 1:
            raise bad(f"{len(anns)} panoptic annotations for this image; expected one", "annotations")
        ann = anns[0] if anns else {"segments_info": []}  # an image without annotation: nothing segmented
        segments = ann.get("segments_info")
        within = f"annotations[{positions[0]}].segments_info" if positions else "segments_info"
        if not isinstance(segments, list):  # absent or null too: its segments are unknown, not none
            got = f"{type(segments).__name__} {segments!r}" if "segments_info" in ann else "none"
            raise bad(f"segments_info must be a list of segments, got {got}"[:200], within)
        fields = [annotation_field(k, segment, within) for k, segment in enumerate(segments)]
        if opts["panoptic_root"] is not None and isinstance(ann.get("file_name"), str):
            ids_map = _panoptic_ids(opts["panoptic_root"] / ann["file_name"], height, width)
        anns = segments
    parts = SceneParts(ctx)
    crowd, stuff = [], []

    def degenerate(where: str, points: int) -> None:
        if not points:  # [[]]: a box-only exporter's "no mask", nothing left out
            ctx.repair(EMPTY)
            return
        ctx.left_out(bad(f"polygon of {points} point{'' if points == 1 else 's'} left out: fewer than 3 outline "
                         "nothing (the annotation is kept, with its box and any other polygon)", where))

    def row(ann: Any, field: str) -> dict[str, Any]:
        if not isinstance(ann, dict):
            raise bad(f"annotation must be a JSON object, got {type(ann).__name__}", field)
        cid = object_id(ann.get("category_id"), field + ".category_id")
        if cid not in cats:
            raise bad(opts["conflicts"].get(cid, f"unknown category_id {cid} (not in categories)"), field + ".category_id")
        name, isthing = cats[cid]
        out: dict[str, Any] = {"name": name, "attributes": []}
        mask = None
        if ids_map is not None:
            binary = ids_map == int(ann["id"])
            if not binary.any():
                raise bad(f"segment id {ann['id']} does not occur in the PNG id map", field + ".id")
            mask = encode_mask(binary)
        elif opts["masks"] and not opts["panoptic"]:
            mask = _rle_from_segmentation(ann.get("segmentation"), height, width, field + ".segmentation",
                                          degenerate)
        bbox = ann.get("bbox")
        if bbox is None and mask is not None:
            x, y, w, h = mask_utils.toBbox({"size": mask["size"], "counts": mask["counts"].encode()}).tolist()
            bbox = [x, y, w, h]
        out["box"] = ctx.box_xywh(bbox, width, height, field + ".bbox")
        if mask is not None:
            out["mask"] = mask
        out["_crowd"], out["_stuff"], out["_field"] = _iscrowd(ann, field), not isthing, field
        return out

    for k, ann in enumerate(anns):
        raw_id = ann.get("id", k) if isinstance(ann, dict) else k
        field = fields[k]
        if opts["skip_crowd"] and isinstance(ann, dict):
            try:
                if _iscrowd(ann, field):
                    ctx.repair("crowd_skipped")
                    continue
            except SceneValidationError as exc:
                ctx.drop(exc, "object")
                continue
        if opts["merged_things"] and isinstance(ann, dict) and str(ann.get("category_id")) == _MERGED_THINGS[0]:
            ctx.repair("merged_things_skipped")
            continue
        try:
            oid = object_id(raw_id, field + ".id")
        except SceneValidationError as exc:
            ctx.drop(exc, "object")
            continue
        parts.add(oid, partial(row, ann, field), field)

    with_mask = sum("mask" in r for r in parts.rows)
    if 0 < with_mask < len(parts.rows):
        without = [r["_field"] for r in parts.rows if "mask" not in r]
        for r in parts.rows:
            r.pop("mask", None)
        shown = ", ".join(without[:3]) + (f" and {len(without) - 3} more" if len(without) > 3 else "")
        ctx.left_out(bad(f"the masks of this scene's {len(parts.rows)} objects are dropped, as {len(without)} of them "
                         f"have none ({shown}): a scene holds masks for all its objects or none (the scene is kept, "
                         "with its boxes)"[:500], without[0] + ".segmentation"))
    for i, r in enumerate(parts.rows):
        del r["_field"]
        if r.pop("_crowd"):
            crowd.append(i)
        if r.pop("_stuff"):
            stuff.append(i)
    meta: dict[str, Any] = {"crowd": crowd}
    if opts["panoptic"] or stuff:
        meta["stuff"] = stuff
    if _LVIS_KEYS[0] in image or _LVIS_KEYS[1] in image:
        meta["exhaustive"], refused = _exhaustive(image, anns, [r["name"] for r in parts.rows], cats, opts["conflicts"])
        if refused:  # (categories of refused entries, left out of the lists: `_exhaustive`)
            ctx.report.count("lvis_refused_categories_listed", refused)
    else:  # every instance of the file's categories, nothing else (see the module docstring)
        meta["category_set"] = opts["category_set"]
        if opts["list_pending"]:  # the list itself, in the file's first scene only
            meta["categories"] = list(opts["categories"])
    return parts.scene(image_id, width, height, image=file_name, meta=meta)


def _from_url(url: Any) -> str | None:
    """LVIS names an image by its COCO address only: ".../train2017/000000391895.jpg" ->
    "train2017/000000391895.jpg", the path under a COCO images folder."""
    if not isinstance(url, str) or "/" not in url:
        return None
    try:
        parts = urlparse(url).path.strip("/").split("/")
    except ValueError:  # not a URL ("http://[x/...": a bracket opens an IPv6 address)
        return None
    return "/".join(parts[-2:]) if parts and parts[-1] else None


def read_coco(
    path: str | os.PathLike[str],
    *,
    masks: bool = True,
    skip_crowd: bool = False,
    panoptic_root: str | os.PathLike[str] | None = None,
    drawn_on: str = AUTO,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from a COCO instances or panoptic JSON file (see the module docstring).
    `drawn_on`: the pixels the annotation was drawn on, of a photo tagged with an EXIF orientation:
    "auto" (default), "shown" or "stored" (`_stored_pixels`; read from the images: `image_root`)."""
    path = Path(path)
    ctx = ReadContext(path, "coco", drawn_on=drawn_on, **options)
    if top_level(path) != "{":
        if load_json(path, ctx) is not None:
            ctx.file_error(bad(_NOT_COCO, "images"))
        return
    read = _read_members(path, ctx, masks)
    if read is None:
        return
    images, by_image, categories, panoptic = read
    try:  # the spools are closed however reading ends (a strict reject, an option refused)
        cats, conflicts = _categories({"categories": categories}, ctx)
        # default: panoptic_val2017/ beside panoptic_val2017.json (or .json.gz, ...)
        root = Path(panoptic_root) if panoptic_root is not None else path.parent / Path(plain_name(path)).stem
        opts = {
            "merged_things": isinstance(categories, list) and any(map(_merged_things, categories)),
            "masks": masks,
            "skip_crowd": skip_crowd,
            "panoptic": panoptic,
            "panoptic_root": root if panoptic and root.is_dir() else None,
            "conflicts": conflicts,  # category ids listed twice with two names: why their annotations are refused
            "category_set": category_set(cats),  # the id of the categories, in every scene's meta
            "categories": category_names(cats),  # the categories, in the first scene's meta
            "list_pending": True,  # no scene given yet has carried them
        }
        if panoptic and panoptic_root is not None and not root.is_dir():
            raise FileNotFoundError(f"{root}: panoptic PNG folder not found")
        for k, image in enumerate(images):
            record = str(image.get("id")) if isinstance(image, dict) and "id" in image else f"images[{k}]"
            if not isinstance(image, dict):
                ctx.reject(record, bad(f"image entry must be a JSON object, got {type(image).__name__}"))
                continue
            if by_image.popped(record):  # the image listed again, its annotations gone with its first entry
                # (one with none would read as an image without objects, even when the first is rejected)
                ctx.reject(record, bad(f"duplicate image id {record!r} (an earlier entry of 'images' has it, and "
                                       "took its annotations)", "id"))
                continue
            indexed = by_image.pop(record)  # (position in the file, annotation)
            scene = ctx.scene(record, partial(_scene, ctx, image, indexed, cats, opts))
            if scene is not None:
                if "categories" in scene.meta:
                    opts["list_pending"] = False
                yield scene
        for image_id, n in by_image.remaining():
            err = bad(f"{n} annotation(s) refer to image id {image_id}, which is not in 'images'", "image_id")
            ctx.reject(image_id, err, level="object")
    finally:
        images.close()
        by_image.close()


def _read_members(path: Path, ctx: ReadContext, masks: bool) -> tuple[Spool, GroupedSpool, Any, bool] | None:
    """`_spool_members` into new temporary files, closed when none is given back (a file-level
    reject, or the first reject raised in strict mode): else they stay open until collected."""
    images, by_image = Spool(), GroupedSpool()
    read = None
    try:
        read = _spool_members(path, ctx, masks, images, by_image)
    finally:
        if read is None:
            images.close()
            by_image.close()
    return read


def _spool_members(path: Path, ctx: ReadContext, masks: bool, images: Spool,
                   by_image: GroupedSpool) -> tuple[Spool, GroupedSpool, Any, bool] | None:
    """(images, annotations by image id, categories, panoptic) of a COCO file, read member by
    member, image by image and annotation by annotation (`_json.stream_json`), each image and
    annotation put in a temporary file as it is read (`_spool`): memory holds a few numbers per
    annotation, whatever the file's size. Without masks, segmentations are dropped at once. None
    after a file-level reject."""
    listed = False  # whether "images" is a list (a non-list one is a file-level reject)
    categories: Any = []
    annotations: Any = []  # a non-list "annotations" member (an error), else unused
    panoptic = False
    count = 0
    try:
        for key, value in stream_json(path, expand=("images", "annotations")):
            if isinstance(key, Element):
                if key.key == "images":
                    listed = True
                    images.add(value)
                    continue
                count += 1
                k = key.index
                if k < 10 and isinstance(value, dict) and "segments_info" in value:
                    panoptic = True
                field = annotation_field(k, value)
                try:
                    if not isinstance(value, dict):
                        raise bad(f"annotation must be a JSON object, got {type(value).__name__}", field)
                    image_id = object_id(value.get("image_id"), f"{field}.image_id")
                except SceneValidationError as exc:
                    ctx.reject(field, exc, level="object")
                    continue
                if not masks:
                    value.pop("segmentation", None)
                by_image.add(image_id, (k, value))
            elif key == "images":
                listed = isinstance(value, list)  # an empty list, or not a list
            elif key == "annotations":
                annotations = value
            elif key == "categories":
                categories = value
    except (JsonStreamError, UnicodeDecodeError) as exc:
        # the scenes need the whole file (its categories come last): none is converted
        what = getattr(exc, "what", "truncated or malformed JSON")
        ctx.file_error(bad(f"{what}: {exc}; no scene is converted from the file "
                           f"(its categories come last; {count} annotation(s) were read before the fault)"[:500]),
                       str(path))
        return None
    if not listed:
        ctx.file_error(bad(_NOT_COCO, "images"))
        return None
    if annotations is None:
        # a test set has no "annotations" at all (images without objects are legitimate); an
        # explicit null is read the same way, but counted: it may be a writer's failure
        ctx.report.count("null_annotations_read_as_none")
    elif not isinstance(annotations, list):
        ctx.file_error(bad(f"'annotations' must be a list (or absent), got {type(annotations).__name__}",
                           "annotations"))
        return None
    return images, by_image, categories, panoptic
