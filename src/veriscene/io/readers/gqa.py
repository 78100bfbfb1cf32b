"""GQA scene graphs: ``{imageId: {width, height, objects: {objId: {...}}}}``.

    {"2370799": {"width": 500, "height": 333, "location": "outdoors",
                 "objects": {"1": {"name": "man", "x": 10, "y": 20, "w": 50, "h": 120,
                                   "attributes": ["standing"],
                                   "relations": [{"name": "to the left of", "object": "2"}]}}}}

The file is read one scene graph at a time (`_json.stream_json`), so memory stays flat however
large it is. Boxes are [x, y, w, h] in pixels (top-left corner). A relation listed under object A with
``"object": B`` reads "A <name> B".

As for Visual Genome (whose graphs GQA cleaned): an object named in the plural ("trees",
"people") is one box around several, named in the singular and listed in ``meta["crowd"]``; and
the `objects` option (default "present", `_base.OBJECT_COVERAGES`) leaves the absence of names an
image does not annotate unknown.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from typing import Any

from veriscene.errors import SceneValidationError
from veriscene.io.readers._stored_pixels import AUTO
from veriscene.io.readers._base import ReadContext, SceneParts, bad, load_json, object_id, stream_fault
from veriscene.io.readers._json import JsonStreamError, repeated_keys, stream_json, top_level
from veriscene.scene.model import Scene

_SCENE_META = ("location", "weather")


def _object_row(ctx: ReadContext, obj: Any, width: int, height: int, field: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise bad(f"object must be a JSON object, got {type(obj).__name__}", field)
    _refuse_repeated(obj, field)
    missing = [k for k in ("name", "x", "y", "w", "h") if k not in obj]
    if missing:
        raise bad(f"object lacks {', '.join(missing)}", field)
    name, group = ctx.name_and_group(obj["name"], field + ".name")
    return {
        "name": name,
        "crowd": group,
        "box": ctx.box_xywh([obj["x"], obj["y"], obj["w"], obj["h"]], width, height, field + ".box"),
        "attributes": ctx.attributes(obj.get("attributes"), field + ".attributes"),
    }


def _refuse_repeated(value: dict[str, Any], field: str | None) -> None:
    """A JSON object whose keys repeat keeps only the last value of each: refuse it, naming them."""
    repeated = repeated_keys(value)
    if repeated:
        raise bad(f"key(s) {', '.join(map(repr, repeated))} appear more than once (only the last would be kept)",
                  field)


def _scene(ctx: ReadContext, image_id: str, record: Any) -> Scene:
    if not isinstance(record, dict):
        raise bad(f"a GQA scene must be a JSON object, got {type(record).__name__}")
    _refuse_repeated(record, None)
    width, height = ctx.image_size_of(
        record.get("width"), record.get("height"), [f"{image_id}.jpg", f"images/{image_id}.jpg"]
    )
    objects = record.get("objects")
    if objects is None:
        # an explicit null, or no key at all, is read as no objects, and counted: GQA writes the key
        # in every scene graph (`{}` for none), so either is a writer's failure or another layout
        ctx.repair("null_objects_read_as_none" if "objects" in record else "missing_objects_read_as_none")
        objects = {}
    if not isinstance(objects, dict):
        raise bad(f"objects must be a JSON object {{objId: object}}, got {type(objects).__name__}", "objects")

    parts = SceneParts(ctx)
    for raw_id in repeated_keys(objects):  # which of its objects is meant is unknown: dropped
        parts.dropped.add(raw_id)
        ctx.drop(bad(f"object id {raw_id!r} appears more than once in this image's objects (only the last "
                     "would be kept, and relations to it re-pointed)", f"objects[{raw_id}]"), "object")
    for raw_id, obj in objects.items():
        field = f"objects[{raw_id}]"
        if raw_id not in parts.dropped:
            parts.add(str(raw_id), partial(_object_row, ctx, obj, width, height, field), field)
    for raw_id, obj in objects.items():
        if str(raw_id) not in parts:
            if isinstance(obj, dict) and isinstance(obj.get("relations"), list):
                ctx.repair("relations_dropped_with_object", len(obj["relations"]))
            continue
        relations = obj.get("relations")
        if relations is None:  # (an empty value of another type, "" or {}, is refused below)
            relations = []
        if not isinstance(relations, list):
            ctx.drop(bad("relations must be a list", f"objects[{raw_id}].relations"), "relation")
            continue
        for k, rel in enumerate(relations):
            field = f"objects[{raw_id}].relations[{k}]"
            if not isinstance(rel, dict) or "name" not in rel or "object" not in rel:
                ctx.drop(bad(f"relation must be {{name, object}}, got {rel!r}"[:200], field), "relation")
                continue
            try:
                target = object_id(rel["object"], field + ".object")
            except SceneValidationError as exc:
                ctx.drop(exc, "relation")
                continue
            parts.relate(str(raw_id), rel["name"], target, field)

    meta = {k: record[k] for k in _SCENE_META if isinstance(record.get(k), str)}
    return parts.scene(image_id, width, height, image=f"{image_id}.jpg", meta=meta)


def read_gqa(path: str | os.PathLike[str], *, objects: str | None = None, drawn_on: str = AUTO,
             **options: Any) -> Iterator[Scene]:
    """Stream scenes from a GQA scene-graph JSON file (`train_sceneGraphs.json`, ...). `objects`:
    what the object annotation covers, "present" (default), "sparse" or "complete"
    (`_base.OBJECT_COVERAGES`).
    `drawn_on`: the pixels the annotation was drawn on, of a photo tagged with an EXIF orientation:
    "auto" (default), "shown" or "stored" (`_stored_pixels`; read from the images: `image_root`)."""
    ctx = ReadContext(path, "gqa", objects=objects, drawn_on=drawn_on, **options)
    if top_level(path) == "{":  # the usual layout, read one scene graph at a time (0.4 GB for train)
        count = 0
        try:
            for image_id, record in stream_json(path):
                count += 1
                scene = ctx.scene(str(image_id), partial(_scene, ctx, str(image_id), record))
                if scene is not None:
                    yield scene
        except (JsonStreamError, UnicodeDecodeError) as exc:
            ctx.file_error(bad(stream_fault(exc, count, "scene graphs")))
        return
    data = load_json(path, ctx)
    if data is None:
        return
    ctx.file_error(bad(f"GQA scene graphs must be a JSON object {{imageId: scene}}, got {type(data).__name__}"))
