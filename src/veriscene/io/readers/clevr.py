"""CLEVR scenes: `CLEVR_<split>_scenes.json` (``{"info", "scenes": [...]}``), a single scene file,
or a folder of per-scene files.

    {"image_index": 0, "image_filename": "CLEVR_val_000000.png", "split": "val",
     "objects": [{"shape": "cube", "color": "red", "material": "rubber", "size": "large",
                  "pixel_coords": [x, y, depth], "3d_coords": [...], "bbox": [x, y, w, h]?}],
     "relationships": {"left": [[j, ...] per object i], "right": ..., "front": ..., "behind": ...}}

`relationships[direction][i]` lists the objects j that lie in that direction from object i, so
each j gives the relation (j, "left of", i). `pixel_coords[2]` is the distance from the camera
(smaller = closer), which is already the internal depth convention.

CLEVR scenes have no image size: it comes from the image header (`image_root`) or `image_size`
(CLEVR v1.0 renders are 480x320). Official scenes have no boxes either: unless `bbox` is present,
a box is approximated around `pixel_coords` from the object's size and depth with the pinhole
model of the CLEVR camera (counted as ``boxes_approximated``, and ``meta["box_source"]`` says so);
pass ``approximate_boxes=False`` to reject such objects instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from veriscene.io.readers._stored_pixels import AUTO
from veriscene.io.readers._base import (
    ReadContext,
    SceneParts,
    as_records,
    bad,
    is_number,
    load_json,
)
from veriscene.scene import archives
from veriscene.scene.compressed import data_files
from veriscene.scene.model import Scene

PREDICATES = {"left": "left of", "right": "right of", "front": "in front of", "behind": "behind"}
# Object radius in scene units (clevr-dataset-gen properties) and focal length / image width
# (Blender camera: 35 mm lens on a 32 mm sensor).
_RADIUS = {"large": 0.7, "small": 0.35}
_FOCAL_PER_WIDTH = 35.0 / 32.0
_MAX_INDEX = 2**63 - 1
_MAX_DEPTH = 3.4028234663852886e38  # the largest float32: a scene holds depth as float32


def _object_row(
    ctx: ReadContext, obj: Any, width: int, height: int, field: str, approximate: bool
) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise bad(f"object must be a JSON object, got {type(obj).__name__}", field)
    if "shape" not in obj:
        raise bad("object lacks shape", field)
    name = ctx.name(obj["shape"], field + ".shape")
    attrs = []
    for key in ("color", "material", "size"):
        if obj.get(key) is not None:
            attrs += ctx.attributes([obj[key]], f"{field}.{key}")
    coords = obj.get("pixel_coords")
    if coords is not None and (not isinstance(coords, list) or len(coords) != 3 or not all(is_number(v) for v in coords)):
        raise bad(f"pixel_coords must be [x, y, depth], got {coords!r}"[:200], field + ".pixel_coords")
    row: dict[str, Any] = {"name": name, "attributes": attrs}
    if coords is not None:
        if not 0 < coords[2] <= _MAX_DEPTH:
            raise bad(f"pixel_coords depth must be positive (camera distance) and at most {_MAX_DEPTH:.4g}, got "
                      f"{coords[2]}", field + ".pixel_coords")
        row["depth"] = float(coords[2])
    if obj.get("bbox") is not None:
        row["box"] = ctx.box_xywh(obj["bbox"], width, height, field + ".bbox")
    elif coords is None:
        raise bad("object has neither bbox nor pixel_coords", field)
    elif not approximate:
        raise bad("object has no bbox (approximate_boxes is off)", field + ".bbox")
    else:
        x, y, depth = (float(v) for v in coords)
        half = _FOCAL_PER_WIDTH * width * _RADIUS.get(str(obj.get("size")), 0.5) / depth
        row["box"] = ctx.box_xyxy([x - half, y - half, x + half, y + half], width, height, field + ".pixel_coords")
        row["_approx"] = True
    return row


def _scene(ctx: ReadContext, record: Any, approximate: bool) -> Scene:
    if not isinstance(record, dict):
        raise bad(f"a CLEVR scene must be a JSON object, got {type(record).__name__}")
    filename = record.get("image_filename")
    if filename is not None and not isinstance(filename, str):
        raise bad(f"image_filename must be a file name, got {type(filename).__name__} {filename!r}"[:200],
                  "image_filename")
    index = record.get("image_index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= _MAX_INDEX):
        # kept in meta: an int past 64 bits could not be written (JSON writers hold 64-bit ints)
        raise bad(f"image_index must be a non-negative integer below 2**63, got {type(index).__name__} {index!r}"[:200],
                  "image_index")
    if filename:
        image_id = Path(filename).stem
        if not image_id:
            raise bad(f"image_filename {filename!r} names no file", "image_filename")
    elif index is not None:
        image_id = str(index)
    else:
        raise bad("scene has neither image_filename nor image_index", "image_filename")
    split = record.get("split") if isinstance(record.get("split"), str) else ""
    candidates = [filename, f"{split}/{filename}", f"images/{split}/{filename}"] if filename else []
    width, height = ctx.image_size_of(record.get("width"), record.get("height"), candidates)

    objects = record.get("objects")
    if not isinstance(objects, list):
        raise bad(f"objects must be a list, got {type(objects).__name__}", "objects")
    parts = SceneParts(ctx)
    for i, obj in enumerate(objects):
        field = f"objects[{i}]"
        parts.add(str(i), partial(_object_row, ctx, obj, width, height, field, approximate), field)
    if 0 < sum("depth" in r for r in parts.rows) < len(parts.rows):
        raise bad("pixel_coords are given for some objects but not all", "objects")

    relationships = record.get("relationships")
    if relationships is None or relationships == []:  # none (0, "" and false are refused below)
        relationships = {}
    if not isinstance(relationships, dict):
        raise bad(f"relationships must be a JSON object {{direction: lists}}, got {type(relationships).__name__}", "relationships")
    for direction, lists in relationships.items():
        field = f"relationships.{direction}"
        if not isinstance(lists, list) or len(lists) != len(objects):
            n = len(lists) if isinstance(lists, list) else type(lists).__name__
            raise bad(f"expected one list per object ({len(objects)}), got {n}", field)
        predicate = PREDICATES.get(direction, direction)
        for i, related in enumerate(lists):
            if not isinstance(related, list):
                raise bad(f"expected a list of object indices, got {related!r}"[:200], f"{field}[{i}]")
            for j in related:
                if isinstance(j, bool) or not isinstance(j, int):
                    ctx.drop(bad(f"object index must be an integer, got {j!r}", f"{field}[{i}]"), "relation")
                    continue
                parts.relate(str(j), predicate, str(i), f"{field}[{i}]")

    approx = sum(bool(r.pop("_approx", False)) for r in parts.rows)
    meta: dict[str, Any] = {"image_index": index, "split": split or None}
    if approx:
        ctx.repair("boxes_approximated", approx)
        meta["box_source"] = "approximated from pixel_coords and size" if approx == len(parts.rows) else "mixed"
    return parts.scene(image_id, width, height, image=filename, meta=meta)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = data_files(path, ".json")
        if not files:
            raise FileNotFoundError(f"{path}: no CLEVR scene files (*.json, maybe compressed) in this directory")
        return files
    archives.require(path)  # on disk, or a file inside a zip archive
    return [path]


def read_clevr(
    path: str | os.PathLike[str], *, approximate_boxes: bool = True, drawn_on: str = AUTO, **options: Any
) -> Iterator[Scene]:
    """Stream scenes from CLEVR scene JSON (one file of scenes, one scene, or a folder of them).
    `drawn_on`: the pixels the annotation was drawn on, of a photo tagged with an EXIF orientation:
    "auto" (default), "shown" or "stored" (`_stored_pixels`; read from the images: `image_root`)."""
    path = Path(path)
    files = _files(path)
    ctx = ReadContext(path, "clevr", drawn_on=drawn_on, **options)
    for file in files:
        ctx.source = str(file)
        data = load_json(file, ctx)
        if data is None:
            continue
        records = as_records(data, "scenes", ("objects", "image_filename", "image_index"))
        if records is None:
            ctx.file_error(bad("expected {'scenes': [...]}, a list of scenes, or one scene"), str(file))
            continue
        for k, record in enumerate(records):
            key = record.get("image_filename", f"scenes[{k}]") if isinstance(record, dict) else f"scenes[{k}]"
            scene = ctx.scene(str(key), partial(_scene, ctx, record, approximate_boxes))
            if scene is not None:
                yield scene

