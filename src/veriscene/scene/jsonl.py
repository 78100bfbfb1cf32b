"""veriscene JSONL: one scene graph per line, row-wise objects, with a schema version.

    {"schema_version": 1, "image_id": "0001", "width": 640, "height": 480, "image": "images/0001.png",
     "objects": [{"name": "cup", "box": [x0, y0, x1, y1], "attributes": ["red"], "depth": 0.3,
                  "mask": {"size": [480, 640], "counts": "..."}}],
     "relations": [[0, "left of", 1]], "depth_map": null, "meta": {}}

Boxes are xyxy in absolute pixels. Reading is streaming and validates every line; errors name the
file, line and field. Boxes and depth, float32 in a Scene, are written as the shortest decimal that
reads back to the same float32 (12.3, not 12.300000190734863; see `veriscene.scene.floats`), so
writing and reading a scene gives its arrays back bit for bit.
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import orjson

from veriscene.errors import SceneValidationError
from veriscene.scene.box_units import looks_normalised, measured, normalised_error
from veriscene.scene.compressed import compression_for_name, create_scene_file, open_scene_file, read_errors
from veriscene.scene.floats import float32_json, shortest_float32
from veriscene.scene.model import SCHEMA_VERSION, Scene, shown_value

OnError = Callable[[SceneValidationError], None]


def _float_columns(scene: Scene) -> tuple[list[list[float]], list[float] | None]:
    """Boxes and depth as lists of floats that print as their shortest float32 decimals (not
    `.tolist()`, which prints 12.3 as 12.300000190734863); one call for both, since its cost is
    mostly per call."""
    if scene.depth is None:
        return float32_json(scene.boxes), None
    n = len(scene)
    both = shortest_float32(np.concatenate([scene.boxes.reshape(-1), scene.depth]))
    return both[: 4 * n].reshape(n, 4).tolist(), both[4 * n:].tolist()


def scene_to_dict(scene: Scene) -> dict[str, Any]:
    """The JSON record of one Scene (`scene_from_dict` reads it back)."""
    if not isinstance(scene, Scene):
        raise TypeError(f"scene must be a Scene, got {type(scene).__name__}"
                        + (" (a dict read from JSON becomes one with scene_from_dict)" if isinstance(scene, dict) else ""))
    boxes, depth = _float_columns(scene)
    return _scene_dict(scene, boxes, depth)


def _scene_dict(scene: Scene, boxes: list[list[float]], depth: list[float] | None) -> dict[str, Any]:
    """The JSON record of `scene`, its boxes and depth given as lists (see `_float_columns`)."""
    objects = []
    for i in range(len(scene)):
        obj: dict[str, Any] = {
            "name": scene.names[i],
            "box": boxes[i],
            "attributes": list(scene.attributes[i]),
        }
        if depth is not None:
            obj["depth"] = depth[i]
        if scene.masks is not None:
            obj["mask"] = scene.masks[i]
        objects.append(obj)
    return {
        "schema_version": SCHEMA_VERSION,
        "image_id": scene.image_id,
        "width": scene.width,
        "height": scene.height,
        "image": scene.image,
        "objects": objects,
        "relations": [list(r) for r in scene.relations],
        "depth_map": scene.depth_map,
        "meta": scene.meta,
    }


# The fields of a scene record and of its objects that `scene_from_dict` reads (and
# `scene_to_dict` writes); others are dropped, and a run counts them (`engine.scan_chunks`).
SCENE_FIELDS = frozenset({"schema_version", "image_id", "width", "height", "image", "objects", "relations",
                          "depth_map", "meta"})
OBJECT_FIELDS = frozenset({"name", "box", "attributes", "depth", "mask"})
_JSON_NUMBERS = frozenset((int, float))  # the types of JSON numbers as decoded (bool is not one)


def _require(d: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise SceneValidationError(f"missing required field '{key}'", field=where + key)
    value = d[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SceneValidationError(
            f"expected {names}, got {type(value).__name__} {shown_value(value)}", field=where + key
        )
    return value


def scene_from_dict(d: Any) -> Scene:
    """Validate one decoded JSON record and build a Scene (raises SceneValidationError).

    The objects' fields are gathered straight into columns (one pass over the objects; the
    usual field, of its exact JSON type, is taken without a further call): parsing is paid once
    per scene of every run, and partner scenes once more."""
    if not isinstance(d, dict):
        raise SceneValidationError(f"a scene must be a JSON object, got {type(d).__name__}")
    version = d.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or type(version) is not int:  # (true and 1.0 equal 1)
        raise SceneValidationError(
            f"unknown schema version {shown_value(version)} (this veriscene reads version {SCHEMA_VERSION})",
            field="schema_version",
        )
    image_id = d.get("image_id")
    if isinstance(image_id, int) and not isinstance(image_id, bool):
        image_id = str(image_id)
    objects = _require(d, "objects", list, "")
    boxes: list[list[Any]] = []
    names: list[str] = []
    attributes: list[tuple[str, ...]] = []
    depths: list[Any] = []  # None where an object gives none
    masks: list[Any] = []
    for i, obj in enumerate(objects):
        if type(obj) is not dict and not isinstance(obj, dict):
            raise SceneValidationError(f"object must be a JSON object, got {shown_value(obj)}", field=f"objects[{i}]")
        box = obj.get("box")
        if type(box) is not list:
            box = _require(obj, "box", list, f"objects[{i}].")
        if len(box) != 4 or not (set(map(type, box)) <= _JSON_NUMBERS
                                 or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)):
            raise SceneValidationError(f"box must be 4 numbers [x0, y0, x1, y1], got {shown_value(box)}",
                                       field=f"objects[{i}].box")
        name = obj.get("name")
        if type(name) is not str:
            name = _require(obj, "name", str, f"objects[{i}].")
        attrs = obj.get("attributes")
        if type(attrs) is not list and attrs is not None and not isinstance(attrs, list):
            raise SceneValidationError(f"expected a list of strings, got {shown_value(attrs)}",
                                       field=f"objects[{i}].attributes")
        depth = obj.get("depth")
        if depth is not None and (not isinstance(depth, (int, float)) or isinstance(depth, bool)):
            raise SceneValidationError(f"expected a number, got {shown_value(depth)}", field=f"objects[{i}].depth")
        boxes.append(box)
        names.append(name)
        attributes.append(tuple(attrs) if attrs is not None else ())
        depths.append(depth)
        masks.append(obj.get("mask"))
    relations = d.get("relations")
    if relations is None:
        relations = []
    elif not isinstance(relations, list):  # (0, "" and {} too: a wrong type, not "none")
        raise SceneValidationError(f"relations must be a list of [subject, predicate, object], got {shown_value(relations)}",
                                   field="relations")
    if not all(isinstance(r, list) for r in relations):
        k = next(k for k, r in enumerate(relations) if not isinstance(r, list))
        raise SceneValidationError(f"relation must be [subject, predicate, object], got {shown_value(relations[k])}",
                                   field=f"relations[{k}]")
    meta = d.get("meta")
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):
        raise SceneValidationError(f"meta must be a JSON object, got {shown_value(meta)}", field="meta")
    # Depth and masks are all-or-nothing per scene: a partial column is a data error.
    for key, column in (("depth", depths), ("mask", masks)):
        absent = column.count(None)
        if 0 < absent < len(column):
            missing = column.index(None)
            raise SceneValidationError(
                f"{key} is given for {len(column) - absent} of {len(column)} objects; give it for all or none",
                field=f"objects[{missing}].{key}",
            )
    for key in ("width", "height"):
        if key not in d:
            raise SceneValidationError(f"missing required field '{key}'", field=key)
    try:
        with np.errstate(over="ignore"):  # past float32's range (1e300): inf, refused by Scene, with no warning
            box_array = np.array(boxes, dtype=np.float32).reshape(-1, 4)
            depth_array = np.array(depths, dtype=np.float32) if depths and depths[0] is not None else None
    except OverflowError:  # an int past float64's range: a Python caller's (orjson reads one as a float)
        raise _past_floats(boxes, depths) from None
    scene = Scene(
        image_id=image_id,  # type: ignore[arg-type]
        width=d["width"],
        height=d["height"],
        boxes=box_array,
        names=tuple(names),
        attributes=tuple(attributes),
        relations=tuple(map(tuple, relations)),
        image=d.get("image"),
        masks=tuple(masks) if masks and masks[0] is not None else None,
        depth=depth_array,
        depth_map=d.get("depth_map"),
        meta=meta,
    )
    if looks_normalised(box_array, scene.width, scene.height) and not measured(meta):
        raise normalised_error(box_array, scene.width, scene.height, "objects[0].box")  # (`scene.box_units`)
    return scene


def _past_floats(boxes: list[list[Any]], depths: list[Any]) -> SceneValidationError:
    """The error naming the first box or depth that holds an int too large for a float."""
    for i, (box, depth) in enumerate(zip(boxes, depths)):
        for key, value in [*(("box", v) for v in box), ("depth", depth)]:
            if value is None:
                continue
            try:
                float(value)
            except OverflowError:
                return SceneValidationError(f"{key} holds an integer of {value.bit_length()} bits, too large for a "
                                            f"number", field=f"objects[{i}].{key}")
    raise AssertionError("no integer too large for a float")  # numpy raised OverflowError for one of them


def dumps_scene(scene: Scene) -> bytes:
    return orjson.dumps(scene_to_dict(scene))


BATCH = 64  # scenes whose float columns `write_scenes` converts in one call (per-call cost / 64)


def dumps_scenes(scenes: Sequence[Scene]) -> list[bytes]:
    """`dumps_scene` of each scene (the same bytes), the boxes and depth of all of them converted
    in one call: their cost is mostly per call, about 1 us a scene this way against 5 to 50."""
    if not scenes:
        return []
    boxes = float32_json(np.concatenate([s.boxes for s in scenes]))  # (sum of N, 4)
    with_depth = [s.depth for s in scenes if s.depth is not None]
    depth = float32_json(np.concatenate(with_depth)) if with_depth else []
    lines, at_box, at_depth = [], 0, 0
    for scene in scenes:
        n = len(scene)
        scene_depth = None
        if scene.depth is not None:
            scene_depth, at_depth = depth[at_depth: at_depth + n], at_depth + n
        lines.append(orjson.dumps(_scene_dict(scene, boxes[at_box: at_box + n], scene_depth)))
        at_box += n
    return lines


BOM = b"\xef\xbb\xbf"  # the UTF-8 byte order mark


def loads_line(line: bytes) -> Any:
    """A JSONL line's value; a line starting with a UTF-8 byte order mark (the first line of a
    file some editors wrote) is read without it. Raises orjson.JSONDecodeError."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        if line.startswith(BOM):
            return orjson.loads(line[len(BOM):])
        raise


def read_scenes(path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                on_error: OnError | None = None) -> Iterator[Scene]:
    """Stream scenes from a JSONL file, plain or compressed (gzip, zstd, bz2, xz: see
    `veriscene.scene.compressed`), or from several one after another, as `generate` reads them:
    a folder, a glob pattern or a list of files (`veriscene.scene.inputs.scene_paths`).

    A bad line raises SceneValidationError naming file, line and field, unless `on_error` is given:
    then the error is passed to it and reading goes on (so long runs count bad records, not die).
    """
    from veriscene.engine.options import check_callback  # (engine imports scene: not at the top)

    check_callback("on_error(error)", on_error)  # a number was called at the first bad line only
    if not isinstance(path, (str, os.PathLike)) or not Path(path).is_file():
        from veriscene.scene.inputs import scene_paths

        for file in scene_paths(path):
            yield from read_scenes(file, on_error)
        return
    for scene, _, _, _ in _file_lines(path, on_error):
        yield scene


def scene_lines(path: str | os.PathLike[str], on_error: OnError | None = None) -> Iterator[tuple[Scene, bytes, int]]:
    """(scene, its line, where the line starts in the file's bytes, decompressed) of each valid
    scene of one file, as `read_scenes` reads them (a bad line raises, or goes to `on_error`)."""
    for scene, line, start, _ in _file_lines(path, on_error):
        yield scene, line, start


def numbered_scenes(path: str | os.PathLike[str], on_error: OnError | None = None) -> Iterator[tuple[Scene, int]]:
    """(scene, its line number, from 1) of each valid scene of one file, as `read_scenes` reads
    them: what a reader's own rejects of a valid scene (an image id twice) name, as a bad line's
    name its number."""
    for scene, _, _, lineno in _file_lines(path, on_error):
        yield scene, lineno


def _file_lines(path: str | os.PathLike[str], on_error: OnError | None) -> Iterator[tuple[Scene, bytes, int, int]]:
    """(scene, its line, where the line starts in the decompressed bytes, its line number) of
    each valid scene of one file; a bad line raises, or goes to `on_error`."""
    source, offset = str(path), 0
    with read_errors(path), open_scene_file(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            start, offset = offset, offset + len(raw)
            line = raw.removeprefix(BOM) if lineno == 1 else raw  # (a BOM: written by some editors; not JSON)
            if not line.strip():
                continue
            try:
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise SceneValidationError(f"invalid JSON ({exc})") from None
                scene = scene_from_dict(record)
            except SceneValidationError as exc:
                located = exc.located(source, lineno)
                if on_error is None:
                    raise located from None
                on_error(located)
                continue
            yield scene, line, start, lineno


def _rebased(scenes: Iterable[Scene], root: str | os.PathLike[str], folder: Path) -> Iterator[Scene]:
    """`scenes` with relative image and depth map paths, relative to `root`, made relative to
    `folder` (`io.convert.placed`, `placed_depth_map`); what is no Scene is passed on (refused by
    the writer, naming it)."""
    from veriscene.io.convert import placed, placed_depth_map  # (io imports scene: not at the top)

    root = os.fspath(root)
    for scene in scenes:
        yield placed_depth_map(placed(scene, root, folder), root, folder) if isinstance(scene, Scene) else scene


def write_scenes(scenes: Iterable[Scene], path: str | os.PathLike[str], *,
                 relative_to: str | os.PathLike[str] | None = None) -> int:
    """Write scenes as JSONL (atomically: to a temporary name of its own beside `path`, then
    renamed), compressed when the name ends in .gz, .zst, .bz2 or .xz; missing folders above it
    are made. Returns the count. Two processes (or threads) writing one `path` each write a whole
    copy, the last renamed in place wins (`io.writers.files.temporary_sibling`; a fixed
    `<name>.tmp` made them write one file between them, and one's failure removed the other's).
    A `path` that is a folder or below a file is refused before anything is written; an item that
    is no Scene raises TypeError naming it, and nothing is left behind.

    A scene's image and dense depth map paths, when relative, are relative to the folder of its
    file, and are written as they are: scenes read from one folder's file and written into another
    folder name images that are not there. `relative_to`: the folder those paths are relative to
    (that of the file they were read from, `read_scenes(f)` -> `relative_to=Path(f).parent`); each
    relative one is then written relative to `path`'s folder, as `convert` moves them. Absolute
    paths and URLs are kept."""
    from veriscene.engine.options import check_path  # (io and engine import scene: not at the top)
    from veriscene.io.writers.files import check_file, temporary_sibling

    if isinstance(scenes, Scene):
        raise TypeError("scenes must be an iterable of Scene (a list, a generator), got one Scene: "
                        "write_scenes([scene], path)")
    if not isinstance(scenes, Iterable):
        raise TypeError(f"scenes must be an iterable of Scene (a list, a generator), got {scenes!r}")
    check_path("path", path, "the scene file to write")
    check_file("path", path, "scenes.jsonl")  # a folder (`scenes/` too), or below a file: refused before writing
    path = Path(path)
    if relative_to is not None:
        scenes = _rebased(scenes, relative_to, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(path)
    count = 0
    try:
        with create_scene_file(tmp, compression_for_name(path), name=path.name) as fh:
            scenes = iter(scenes)
            while batch := list(islice(scenes, BATCH)):
                for k, scene in enumerate(batch):
                    if not isinstance(scene, Scene):
                        raise TypeError(f"scenes[{count + k}] is a {type(scene).__name__}, not a Scene (a dict "
                                        "read from JSON becomes one with veriscene.scene.scene_from_dict)")
                for line in dumps_scenes(batch):
                    fh.write(line)
                    fh.write(b"\n")
                count += len(batch)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone after the rename; never left behind by a failure
    return count
