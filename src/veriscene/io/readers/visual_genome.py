"""Visual Genome: `scene_graphs.json`, or the split layout (`objects.json`, `attributes.json`,
`relationships.json`, `image_data.json`), v1.0 to v1.4.

One image record, in any of these files:

    {"image_id": 1,                      # v1.0: "id"
     "objects": [{"object_id": 5, "x": 10, "y": 20, "w": 30, "h": 40,   # v1.0: "id"
                  "names": ["man"],       # v1.0: "name" or "object_names"
                  "synsets": ["man.n.01"], "attributes": ["tall"]}],
     "attributes": [{"object_id": 5, ..., "attributes": ["tall"]}],      # or {"attribute": {...}}
     "relationships": [{"predicate": "ON", "subject_id": 5, "object_id": 6}]}
                       # relationships.json embeds "subject"/"object" object dicts instead

Files are read one image record at a time (`_json.stream_json`), so memory stays flat however
large the file (`scene_graphs.json` is 0.7 GB). The split files list images in the same order and
are read in step; an image a file lists out of that order waits until its turn.

Boxes are [x, y, w, h] in pixels. An object named in the plural ("trees", "people", "clouds":
Visual Genome draws one box around a group) gets the singular name and is listed in
``meta["crowd"]``: it shows that trees are there, but is never counted as one tree or called "the
tree". Visual Genome annotates the objects its workers wrote about, not every object: the
`objects` option says what may be taken from that (`_base.OBJECT_COVERAGES`; default "present":
counts of the names an image annotates stand, the absence of any other name is unknown).
Object ids are resolved within an image (an id an object lists in
`merged_object_ids`, in objects.json or embedded in a relationship, names that object; v1.4
rewrote the relationships of merged objects, so one linking an object to itself is dropped and
counted); an object that only
appears embedded in an attribute or relationship entry (with its box and name) is added. An
object is read from the entry that first gives it (objects.json's, else the first attribute or
relationship entry embedding it); an entry giving its id again with another name or a box more
than `BOX_TOLERANCE` pixels off is counted (`conflicting_object_names_first_kept`,
`conflicting_object_boxes_first_kept`): the files of a release do not always agree. Objects
of one name whose boxes overlap by IoU >= 0.9 are merged (`merge_duplicates`, `DUPLICATE_IOU`):
raw Visual Genome annotates many objects twice. Image
sizes come from `image_data.json`, else the image header under `image_root`. A file may hold a
single image dict instead of a list.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from veriscene.errors import ReaderOptionError, SceneValidationError
from veriscene.io.readers._stored_pixels import AUTO
from veriscene.io.readers._base import (
    ReadContext,
    SceneParts,
    as_records,
    bad,
    is_number,
    json_records,
    load_json,
    object_id,
)
from veriscene.scene import archives
from veriscene.scene.compressed import find_data_file, plain_name
from veriscene.scene.model import Scene

SPLIT_FILES = ("objects", "attributes", "relationships")
# an image's (width, height) as `image_data.json` gives it, or why it is unknown (`_sizes`)
Size = tuple[Any, Any] | str
# Objects of one name with boxes this close are one object annotated twice: raw Visual Genome has
# many (its objects were parsed from region descriptions written one by one), which would make
# counts and "the man" questions wrong. 0.9 is the overlap at which the scene-graph generation
# work on Visual Genome (Xu et al. 2017 and the code built on it) merges them.
DUPLICATE_IOU = 0.9
_RECORD_KEYS = ("objects", "relationships", "attributes", "image_id", "id")
# Two entries giving one object id whose box corners are at most this many pixels apart give the
# same box (`_Given`): Visual Genome's coordinates are whole pixels, so 1 absorbs a corner rounded
# the other way by a tool that converted [x, y, w, h] to corners and back (a difference of
# rounding, not of annotation). Files that disagree do so by more: every box disagreement in the
# real v1.2/v1.4 excerpts checked is of 2 to 229 px.
BOX_TOLERANCE = 1.0


def _id_of(record: dict[str, Any], keys: tuple[str, ...], field: str) -> str:
    for key in keys:
        if key in record:
            return object_id(record[key], f"{field}.{key}")
    raise bad(f"missing id (expected one of {', '.join(keys)})", field)


def _image_id(record: Any) -> str:
    if not isinstance(record, dict):
        raise bad(f"an image record must be a JSON object, got {type(record).__name__}")
    return _id_of(record, ("image_id", "id"), "image")


def _object_id(obj: Any, field: str) -> str:
    if not isinstance(obj, dict):
        raise bad(f"object must be a JSON object, got {type(obj).__name__} {obj!r}"[:200], field)
    return _id_of(obj, ("object_id", "id"), field)


def _has_geometry(obj: dict[str, Any]) -> bool:
    return all(k in obj for k in ("x", "y", "w", "h")) and any(
        k in obj for k in ("names", "name", "object_names")
    )


def _raw_name(obj: dict[str, Any], field: str) -> Any:
    for key in ("names", "object_names"):
        if key in obj:
            names = obj[key]
            if not isinstance(names, list) or not names:
                raise bad(f"{key} must be a non-empty list of strings, got {names!r}"[:200], f"{field}.{key}")
            return names[0]
    if "name" in obj:
        return obj["name"]
    raise bad("object has no name (expected names, object_names or name)", field)


def _object_row(
    ctx: ReadContext, obj: dict[str, Any], width: int, height: int, field: str
) -> dict[str, Any]:
    missing = [k for k in ("x", "y", "w", "h") if k not in obj]
    if missing:
        raise bad(f"object lacks {', '.join(missing)}", field)
    synsets = obj.get("synsets")
    name, group = ctx.name_and_group(_raw_name(obj, field), field + ".names")
    return {
        "name": name,
        "crowd": group,
        "box": ctx.box_xywh([obj["x"], obj["y"], obj["w"], obj["h"]], width, height, field + ".box"),
        "attributes": ctx.attributes(obj.get("attributes"), field + ".attributes"),
        "synset": synsets[0] if isinstance(synsets, list) and synsets and isinstance(synsets[0], str) else None,
    }


class _Merges:
    """The `merged_object_ids` that objects embedded in attribute and relationship entries list
    (v1.4's relationships.json carries them, not only objects.json): id merged away -> the id of
    the object it was merged into, and where that object is given (its dict and field)."""

    def __init__(self, records: list[dict[str, Any]], ctx: ReadContext) -> None:
        self.into: dict[str, str] = {}
        self.merged: dict[str, list[str]] = {}  # object id -> the ids merged into it
        self.given: dict[str, tuple[dict[str, Any], str]] = {}
        for record in records:
            for k, entry in enumerate(_list(record, "attributes")):
                self._note(entry.get("attribute", entry) if isinstance(entry, dict) else entry, f"attributes[{k}]", ctx)
            for k, rel in enumerate(_list(record, "relationships")):
                for role in ("subject", "object"):
                    if isinstance(rel, dict):
                        self._note(rel.get(role), f"relationships[{k}].{role}", ctx)

    def _note(self, obj: Any, field: str, ctx: ReadContext) -> None:
        merged = obj.get("merged_object_ids") if isinstance(obj, dict) else None
        if not isinstance(merged, list) or not merged:
            return
        try:
            oid = _object_id(obj, field)
            others = [object_id(other, f"{field}.merged_object_ids[{k}]") for k, other in enumerate(merged)]
        except SceneValidationError as exc:
            ctx.drop(exc, "object")
            return
        if _has_geometry(obj):
            self.given.setdefault(oid, (obj, field))
        for other in others:
            if other != oid and other not in self.into:
                self.into[other] = oid
                self.merged.setdefault(oid, []).append(other)


_Corners = tuple[float, float, float, float]
_NUMBER_TYPES = frozenset((int, float))


def _name_or_none(obj: dict[str, Any]) -> Any:
    """An entry's raw name (`_raw_name`), None if it gives none; one it gives badly (an empty
    list) is returned as the list, which no name equals."""
    for key in ("names", "object_names"):
        if key in obj:
            names = obj[key]
            return names[0] if isinstance(names, list) and names else names
    return obj.get("name")


def _xywh(obj: dict[str, Any]) -> tuple[Any, ...] | None:
    """An entry's box as given, None if it gives none."""
    try:
        return obj["x"], obj["y"], obj["w"], obj["h"]
    except KeyError:
        return None


def _corners(xywh: tuple[Any, ...]) -> _Corners | None:
    """[x0, y0, x1, y1] of a box [x, y, w, h] as given (before clipping); None if it is not 4
    finite numbers."""
    x, y, w, h = xywh
    if type(x) in _NUMBER_TYPES and type(y) in _NUMBER_TYPES and type(w) in _NUMBER_TYPES and type(h) in _NUMBER_TYPES:
        try:
            if math.isfinite(x + y + w + h):
                return x, y, x + w, y + h
        except OverflowError:  # an int past a float's range
            pass
    elif all(is_number(v) for v in xywh):  # a subclass of int or float: the long way
        return float(x), float(y), float(x) + float(w), float(y) + float(h)
    return None


def _corners_apart(a: _Corners | None, b: _Corners | None) -> bool:
    """Whether two boxes' corners are more than `BOX_TOLERANCE` px apart (a box that is not one is
    apart from any)."""
    if a is None or b is None:
        return True
    return (abs(a[0] - b[0]) > BOX_TOLERANCE or abs(a[1] - b[1]) > BOX_TOLERANCE
            or abs(a[2] - b[2]) > BOX_TOLERANCE or abs(a[3] - b[3]) > BOX_TOLERANCE)


class _Given:
    """The entry each object of an image is read from (the first to give its id: objects.json's,
    else the first attribute or relationship entry embedding it). An entry giving the id again with
    another name, or a box more than `BOX_TOLERANCE` px off, does not change the object: it is
    counted (repairs `conflicting_object_names_first_kept`, `conflicting_object_boxes_first_kept`,
    one per such entry). Real files have them: v1.2 attributes.json and v1.4 relationships.json
    call object 1060269 of image 3 "girl" and "woman", and give boxes tens of pixels apart."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        # object id -> (the entry it was read from, its raw name, its raw (x, y, w, h), its corners)
        self.first: dict[str, tuple[dict[str, Any], Any, tuple[Any, ...] | None, _Corners | None]] = {}

    def note(self, parts: SceneParts, oid: str, obj: dict[str, Any]) -> None:
        if oid in parts and oid not in self.first:
            xywh = _xywh(obj)
            self.first[oid] = (obj, _name_or_none(obj), xywh, _corners(xywh) if xywh is not None else None)

    def check(self, oid: str, obj: dict[str, Any]) -> None:
        """Count what entry `obj` (giving object `oid` again) says otherwise. An id merged into
        another object (an alias) is not that object's own, and has no entry here: its name and
        box are its own. (Called for every repeat of an id: millions in Visual Genome.)"""
        given = self.first.get(oid)
        if given is None:
            return
        first, name, xywh, corners = given
        if first is obj or first == obj:  # (one dict comparison, in C: most repeats are copies)
            return
        again = _name_or_none(obj)
        if again is not None and again != name and self._name(again) != self._name(name):
            self.ctx.repair("conflicting_object_names_first_kept")
        box = _xywh(obj)
        if box is not None and box != xywh and _corners_apart(corners, _corners(box)):
            self.ctx.repair("conflicting_object_boxes_first_kept")

    def _name(self, raw: Any) -> tuple[str, bool] | None:
        """A raw name as the object would be named ("Man" is "man"; "trees", a group, is not
        "tree"); None for one that is no name (which differs from any name)."""
        try:
            return self.ctx.name_and_group(raw, "names")
        except SceneValidationError:
            return None


def _add_embedded(parts: SceneParts, obj: Any, width: int, height: int, field: str, merges: _Merges,
                  given: _Given) -> str:
    """Id of an object embedded in an attribute/relationship entry, adding it when new (else
    counting what it says otherwise: `_Given`). An id merged into another object (`_Merges`) names
    that object, added when new."""
    oid = _object_id(obj, field)
    if oid in parts or oid in parts.dropped:
        given.check(oid, obj)
        return oid
    into = merges.into.get(oid)
    if into is not None and into not in parts and into not in parts.dropped and into in merges.given:
        survivor, survivor_field = merges.given[into]
        _add_object(parts, into, survivor, width, height, survivor_field, merges, given)
    if into is not None and into in parts:
        parts.alias(oid, into)
    elif _has_geometry(obj):
        _add_object(parts, oid, obj, width, height, field, merges, given)
    return oid


def _add_object(parts: SceneParts, oid: str, obj: dict[str, Any], width: int, height: int, field: str,
                merges: _Merges, given: _Given) -> None:
    parts.add(oid, partial(_object_row, parts.ctx, obj, width, height, field), field)
    given.note(parts, oid, obj)
    for other in merges.merged.get(oid, ()):
        parts.alias(other, oid)


def _list(record: dict[str, Any], key: str) -> list[Any]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad(f"{key} must be a list, got {type(value).__name__}", key)
    return value


def _scene(
    ctx: ReadContext, image_id: str, records: list[dict[str, Any]], sizes: dict[str, Size],
    merge_iou: float | None, sizes_file: str | None = None,
) -> Scene:
    first = records[0]
    size = sizes.get(image_id, (first.get("width"), first.get("height")))
    # a size image_data.json gives (`sizes_file`) is at fault there, not in the scene's file
    listed = sizes_file if image_id in sizes else None
    if isinstance(size, str):
        raise bad(size, "width").located(listed)
    if sizes and image_id not in sizes and size == (None, None) and ctx.image_root is None and ctx.image_size is None:
        raise bad(f"image size missing: image {image_id} is not listed in image_data.json (which gives the other "
                  "images' sizes) and its record has no width/height; pass image_root=DIR (--image-root, reads the "
                  "image header) or image_size=(W, H) (--image-size WxH), or the image_data.json of this release",
                  "width")
    if sizes_file is None and size == (None, None) and ctx.image_root is None and ctx.image_size is None:
        # Visual Genome's scene graphs hold no sizes: its image_data.json does (say that first)
        raise bad("image size missing: Visual Genome's scene graphs hold no width/height and no image_data.json "
                  "was found beside the file nor given; put image_data.json beside it or give -r "
                  "image_data=FILE (image_data=, which holds every image's size), or pass image_root=DIR "
                  "(--image-root, reads the image header) or image_size=(W, H) (--image-size WxH)", "width")
    width_raw, height_raw = size
    candidates = [f"{image_id}.jpg", f"VG_100K/{image_id}.jpg", f"VG_100K_2/{image_id}.jpg"]
    try:
        width, height = ctx.image_size_of(width_raw, height_raw, candidates)
    except SceneValidationError as exc:
        raise exc.located(listed) from None
    parts = SceneParts(ctx)
    given = _Given(ctx)

    for record in records:
        for k, obj in enumerate(_list(record, "objects")):
            try:
                oid = _object_id(obj, f"objects[{k}]")
            except SceneValidationError as exc:
                ctx.drop(exc, "object")
                continue
            field = f"objects[{oid}]"
            parts.add(oid, partial(_object_row, ctx, obj, width, height, field), field)
            given.note(parts, oid, obj)
    for record in records:  # ids merged into an object (v1.2+) name it, after every object's own id
        for obj in _list(record, "objects"):
            merged = obj.get("merged_object_ids") if isinstance(obj, dict) else None
            if isinstance(merged, list) and merged:
                try:
                    oid = _object_id(obj, "objects")
                    for k, other in enumerate(merged):
                        parts.alias(object_id(other, f"objects[{oid}].merged_object_ids[{k}]"), oid)
                except SceneValidationError as exc:
                    ctx.drop(exc, "object")

    merges = _Merges(records, ctx)
    for record in records:
        for k, entry in enumerate(_list(record, "attributes")):
            field = f"attributes[{k}]"
            try:
                inner = entry.get("attribute", entry) if isinstance(entry, dict) else entry
                oid = _add_embedded(parts, inner, width, height, field, merges, given)
                if oid in parts.dropped:  # its words go with it (the object's drop is reported), counted
                    words = inner.get("attributes")
                    ctx.repair("attributes_dropped_with_object", len(words) if isinstance(words, list) else 1)
                    continue
                if oid not in parts:
                    raise bad(f"attributes refer to object id {oid!r}, which this image does not have", field)
                row = parts.rows[parts.index[oid]]
                row["attributes"] = row["attributes"] + ctx.attributes(inner.get("attributes"), field + ".attributes")
            except SceneValidationError as exc:
                ctx.drop(exc, "attribute")

    for record in records:
        for k, rel in enumerate(_list(record, "relationships")):
            field = f"relationships[{k}]"
            try:
                if not isinstance(rel, dict):
                    raise bad(f"relationship must be a JSON object, got {rel!r}"[:200], field)
                ends = []
                for role in ("subject", "object"):
                    if f"{role}_id" in rel:
                        ends.append(object_id(rel[f"{role}_id"], f"{field}.{role}_id"))
                    elif role in rel:
                        ends.append(_add_embedded(parts, rel[role], width, height, f"{field}.{role}", merges, given))
                    else:
                        raise bad(f"relationship lacks {role}_id (or an embedded {role})", field)
                if "predicate" not in rel:
                    raise bad("relationship lacks predicate", field)
            except SceneValidationError as exc:
                ctx.drop(exc, "relation")
                continue
            if ends[0] in parts and ends[1] in parts and parts.index[ends[0]] == parts.index[ends[1]]:
                # v1.4 rewrote the relationships of merged objects to the surviving id: "walk sign
                # says walk sign" once "walk" was merged into the sign says nothing of two objects
                ctx.repair("relations_within_merged_object_dropped")
                continue
            parts.relate(ends[0], rel["predicate"], ends[1], field)

    if merge_iou is not None:
        parts.merge_duplicates(merge_iou)
    meta = {"synsets": [row.pop("synset", None) for row in parts.rows]}
    return parts.scene(image_id, width, height, image=f"{image_id}.jpg", meta=meta)


def _layout(path: Path) -> tuple[dict[str, Path], Path | None]:
    """Input path -> ({role: file}, image_data.json or None). Roles: "scene_graphs" or split names.
    Each file may be compressed (`objects.json.gz`, ...)."""
    folder = path if path.is_dir() else path.parent
    image_data_path = find_data_file(folder, "image_data.json")
    if path.is_dir():
        whole = find_data_file(path, "scene_graphs.json")
        if whole is not None:
            return {"scene_graphs": whole}, image_data_path
        split = _split_files(path)
        if not split:
            raise FileNotFoundError(
                f"{path}: no Visual Genome files (scene_graphs.json, objects.json, attributes.json, "
                "relationships.json, each maybe compressed) in this directory"
            )
        return split, image_data_path
    name = plain_name(path)
    if name == "image_data.json":
        return _layout(folder)
    role = Path(name).stem
    if role in SPLIT_FILES:
        return {**_split_files(folder), role: path}, image_data_path
    return {"scene_graphs": path}, image_data_path


def _split_files(folder: Path) -> dict[str, Path]:
    found = {name: find_data_file(folder, f"{name}.json") for name in SPLIT_FILES}
    return {name: file for name, file in found.items() if file is not None}


def _sizes(path: Path | None, ctx: ReadContext) -> dict[str, Size]:
    """Image id -> (width, height) from `image_data.json`. An id listed twice with different
    sizes maps to the reason its size is unknown (its scene is rejected with it); a repeat of the
    same size is harmless."""
    if path is None:
        return {}
    data = load_json(path, ctx)
    records = as_records(data, None, ("image_id", "id", "width")) if data is not None else []
    if records is None:  # its images' sizes are then unknown: their scenes are rejected saying so
        ctx.file_error(bad(f"expected a list of {{image_id, width, height}}, got {type(data).__name__}"), str(path))
        records = []
    sizes: dict[str, Size] = {}
    where: dict[str, int] = {}  # image id -> index of its first entry
    for k, rec in enumerate(records):
        try:
            image_id = _image_id(rec)
        except SceneValidationError as exc:
            ctx.file_error(exc.located(str(path), f"index {k}"))
            continue
        size, earlier = (rec.get("width"), rec.get("height")), sizes.get(image_id)
        if earlier is None:
            sizes[image_id], where[image_id] = size, k
        elif earlier != size and not isinstance(earlier, str):
            sizes[image_id] = (f"{path.name} lists image {image_id} twice with different sizes: "
                               f"{earlier[0]}x{earlier[1]} at index {where[image_id]}, {size[0]}x{size[1]} at index {k}")
    return sizes


def _records(path: Path, ctx: ReadContext) -> Iterator[tuple[str, dict[str, Any]]]:
    """(image id, record) of one file, in file order, read one at a time; records without a
    usable id, and repeats of an id, are rejected."""
    seen: set[str] = set()
    expected = "expected a list of image records or one image record {image_id, objects, ...}"
    for k, record in enumerate(json_records(path, ctx, None, _RECORD_KEYS, expected)):
        try:
            image_id = _image_id(record)
            if image_id in seen:
                raise bad(f"duplicate image id {image_id!r} in {path.name}", "image_id")
        except SceneValidationError as exc:
            ctx.reject(f"index {k}", exc.located(str(path)))
            continue
        seen.add(image_id)
        yield image_id, record


def _joined(files: list[Path], ctx: ReadContext) -> Iterator[tuple[str, list[dict[str, Any]], str]]:
    """(image id, its records in file order, the first file listing it) for every image of the
    files, in the order of the first file that lists each image. The split files of a release
    list images in the same order: they are read in step, one image at a time. Records a file
    lists ahead of the others wait in `ahead` until their image comes up (all of them, at worst)."""
    streams = [_records(f, ctx) for f in files]
    ahead: list[dict[str, dict[str, Any]]] = [{} for _ in files]

    def take(j: int, image_id: str) -> dict[str, Any] | None:
        """File j's record of the image: read ahead already, or read up to it."""
        found = ahead[j].pop(image_id, None)
        if found is not None:
            return found
        for other, record in streams[j]:
            if other == image_id:
                return record
            ahead[j][other] = record
        return None

    for i, file in enumerate(files):
        def own() -> Iterator[tuple[str, dict[str, Any]]]:
            while ahead[i]:  # read ahead of an earlier file's image: first in this file's order
                image_id = next(iter(ahead[i]))
                yield image_id, ahead[i].pop(image_id)
            yield from streams[i]

        for image_id, record in own():
            records = [record]
            for j in range(i + 1, len(files)):
                other = take(j, image_id)
                if other is not None:
                    records.append(other)
            yield image_id, records, str(file)


def _file_of(files: dict[str, str], field: str | None) -> str | None:
    """The split file a reject's field is in (`relationships[3].predicate` is in
    relationships.json), so a fault is looked for where it is; None (the file the image was read
    from first) for the image's own fields and for `scene_graphs.json`, which holds them all."""
    role = (field or "").partition("[")[0]
    return files.get(role) if role in SPLIT_FILES else None


def merge_threshold(value: bool | float | str) -> float | None:
    """The `merge_duplicates` option as an IoU threshold: true is `DUPLICATE_IOU`, false (None)
    keeps every object, a number in (0, 1] (or its text, from the command line) is the threshold."""
    if isinstance(value, bool):
        return DUPLICATE_IOU if value else None
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        threshold = math.nan
    if not 0 < threshold <= 1:
        raise ReaderOptionError(f"merge_duplicates must be true, false or an IoU threshold in (0, 1], got {value!r}",
                                option="merge_duplicates", value=value)
    return threshold


def read_visual_genome(
    path: str | os.PathLike[str], *, image_data: str | os.PathLike[str] | None = None,
    merge_duplicates: bool | float | str = True, objects: str | None = None, drawn_on: str = AUTO,
    **options: Any
) -> Iterator[Scene]:
    """Stream scenes from a Visual Genome file or directory (see the module docstring).
    `merge_duplicates`: merge objects of one name whose boxes overlap by IoU >= 0.9 (or the
    number given), one object annotated twice; false keeps every object as annotated.
    `objects`: what the object annotation covers, "present" (default), "sparse" or "complete"
    (`_base.OBJECT_COVERAGES`).
    `drawn_on`: the pixels the annotation was drawn on, of a photo tagged with an EXIF orientation:
    "auto" (default), "shown" or "stored" (`_stored_pixels`; read from the images: `image_root`)."""
    merge_iou = merge_threshold(merge_duplicates)
    path = Path(path)
    archives.require(path)  # on disk, or a file inside a zip archive (vg.zip/scene_graphs.json)
    files, found_image_data = _layout(path)
    ctx = ReadContext(path, "visual_genome", objects=objects, drawn_on=drawn_on, **options)
    sizes_path = Path(image_data) if image_data is not None else found_image_data
    sizes = _sizes(sizes_path, ctx)

    where = partial(_file_of, {role: str(file) for role, file in files.items()})
    for image_id, records, source in _joined(list(files.values()), ctx):
        ctx.source = source
        scene = ctx.scene(image_id, partial(_scene, ctx, image_id, records, sizes, merge_iou,
                                            str(sizes_path) if sizes_path is not None else None), where)
        if scene is not None:
            yield scene
