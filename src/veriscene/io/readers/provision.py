"""ProVision annotation sets: one JSON file per annotation stage, keyed by image id, merged.

    {"IMAGE_ID": {"data_path": "/path/IMAGE_ID.jpg", "source": "...",
                  "annotation": {"width": 640, "height": 480,
                                 "labels": ["dog", ...], "bboxes": [[x0, y0, x1, y1], ...],
                                 "det_scores": [0.9, ...],                 # detection stage
                                 "seg_mask_id": "IMAGE_ID_mask.pkl",       # segmentation stage
                                 "depth_mask_id": "IMAGE_ID_depth.npy",    # depth stage
                                 "attributes": [["brown", "small"], ...],  # attribute stage
                                 "relations": [[0, "next to", 1], ...]}}}  # relation stage

Input: the folder of stage files (every *.json and *.jsonl in it, compressed or not, merged by
image id), or one stage file. A JSON stage file holds the object above (or a list of entries
naming their image: ``[{"image_id": "IMAGE_ID", "data_path": ..., "annotation": {...}}]``); a
JSON Lines one holds, a line, such an object (one image or more) or one such entry. Stages that
give one key different values (labels, boxes, size, relations, ...) reject the image, naming both
files; every reject names the stage file holding the field at fault, not the folder.

Boxes are xyxy pixels. Segmentation files are either `.npy` (N, H, W) arrays, read with
``allow_pickle=False``, or `.pkl` pickles of scipy sparse matrices: unpickling runs code from the
file, so those are read only with ``allow_pickle=True`` (``--allow-pickle``), and need scipy.
Depth maps are (H, W) arrays in 0-255 with larger = closer; each object's depth is the median
over its mask (else its box), converted to the internal convention ``1 - v / 255`` (smaller =
closer, in [0, 1]). What the values are: ProVision's depth stage (``provision/annotation/
depth_estimation.py``) runs Depth Anything V2 through transformers' depth-estimation pipeline,
whose ``depth`` is the model's relative inverse depth (disparity known up to a scale and a shift)
as an 8-bit image, and stretches it per image, ``(d - min) / (max - min) * 255``, to uint8. So
every pixel has a value: 0 is the image's farthest pixel (a sky, a far wall), 255 its nearest,
none is missing; and neither the scale nor the shift is known, so ``1 / v`` is no depth (a 0
would be "infinitely far", and two far pixels 20 and 23 "15 % apart" where they differ by 1.2 % of
the map's range). The dense map is not converted: its path is kept in ``meta["source_depth_map"]``
with its encoding, and as the scene's ``depth_map`` with ``meta["depth_map_encoding"]``
"relative_inverse" (larger = closer, up to a scale and a shift: only the order and shares of
the map's range are read, 0 a value like any other), which depth.map_points reads
(`veriscene.scene.depth_maps`), unless it was transposed here (ProVision's [w, h] layout). Scenes
converted before this was read so name "inverse": their maps are refused, naming the fix, until
they are converted again (`veriscene convert OLD.jsonl --out NEW.jsonl` rewrites them:
`scene.provision_depth`). The reader gives the map's path absolute; a conversion (`veriscene
convert`, or generate's of a ProVision input) writes it relative to the scene file's folder
(`io.convert.relative_depth_map`), as a scene file's maps are read, so that a folder holding the
scene file and the maps can be moved; scenes converted before, with absolute paths, are read as
they are. The note's path stays the file read, as it was found at the conversion. A depth model
that read a phone's sideways photo without its EXIF orientation (Pillow alone) made a map of the
stored pixels: one of the stored shape, beside annotation of the photo shown, is turned as the
photo is (`_upright_depth`, counted `depth_maps_turned_by_exif_orientation`) before objects' depths
are read from it; a map of stored pixels says so in ``meta["source_depth_map"]["exif_orientation"]``,
and the scene's ``depth_map`` is read turned so (``meta["depth_map_exif_orientation"]``, counted
`depth_maps_of_stored_pixels_read_turned`; the file is not rewritten), as is the map of a scene
drawn on the stored pixels (``drawn_on``), mapped onto the photo shown with it.

Attributes and relations are read as recorded in part (``meta["sparse"]``, as for Visual Genome;
``-r sparse=false`` reads them as complete). ProVision's stages are models' outputs: an attribute
model gives the words it is confident of for each object, and a scene-graph model the relations
it scores highest for some pairs, not every one that holds. A missing word or relation is then no
evidence of absence, and read as complete it was taken for one: "Is the lamp behind the sofa?
no" for a lamp farther than the sofa, "Which object is in front of the fence?" with a rider in
front of it too, counts of the objects with an attribute. Sparse, programs never take an unrecorded
one for absent (`veriscene.program.ops`): the price is fewer questions (none that needs relations
in full, "no" only of a spatial relation the boxes rule out), the same stance as veriscene's own
`annotate` takes of model-made colours and relations. Objects are taken as complete, as there:
what the detector found is the data (its scores are kept in ``meta["det_scores"]``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.io.readers._images import SIDEWAYS, ImageHeader, read_header, upright_array
from veriscene.io.readers._stored_pixels import AUTO, DEPTH_MAP_TURNED
from veriscene.io.readers._base import ReadContext, SceneParts, bad, is_number, load_json, parse_json
from veriscene.scene import archives, provision_depth
from veriscene.scene.compressed import READ_ERRORS, data_error, data_files, open_data_file, plain_name, unreadable
from veriscene.scene.depth_maps import ORIENTATION_KEY
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import Scene


def _array_file(folder: Path, name: str, field: str) -> Path:
    """The file `name` of `folder` names: itself, else the same name as .pkl or .npy (the file
    `_load_array` reads, and a depth map's path kept); SceneValidationError when none is."""
    path = folder / name
    if not path.name:  # "/": no file has a suffix to swap
        raise bad(f"{field} names no file: {str(path)!r}", field)
    candidates = [path, path.with_suffix(".pkl"), path.with_suffix(".npy")]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise bad(f"missing mask file {path}", field)
    return found


def _load_array(folder: Path, name: str, allow_pickle: bool, field: str) -> np.ndarray:
    """The mask or depth file `name` of `folder` -> numpy array; every failure is a
    SceneValidationError. A pickle is unpickled (`allow_pickle`) only when it lies in `folder`:
    the annotation names the file, and "../..." or an absolute path would reach any pickle."""
    found = _array_file(folder, name, field)
    if found.suffix == ".npy":
        try:
            return np.load(found, allow_pickle=False)
        except ValueError as exc:  # object arrays need pickle: refuse
            raise bad(f"cannot read {found} without unpickling ({exc})", field) from None
        except OSError as exc:
            raise bad(f"cannot read {found}: {exc}", field) from None
    if found.suffix != ".pkl":
        raise bad(f"unsupported mask file {found} (expected .npy or .pkl)", field)
    if not allow_pickle:
        raise bad(
            f"{found} is a pickle: unpickling runs code stored in the file, so it is read only with "
            "--allow-pickle (allow_pickle=True); use that only for files you trust",
            field,
        )
    if not found.resolve().is_relative_to(folder.resolve()):
        raise bad(f"{found} lies outside {folder}: --allow-pickle unpickles the files of that folder only", field)
    try:
        with open(found, "rb") as fh:
            data = pickle.load(fh)
    except ModuleNotFoundError as exc:
        raise bad(f"{found} needs the '{exc.name}' package to unpickle (pip install scipy)", field) from None
    except Exception as exc:  # noqa: BLE001 - unpickling a damaged file can fail in any way
        raise bad(f"cannot unpickle {found}: {type(exc).__name__}: {exc}", field) from None
    if hasattr(data, "toarray"):
        data = [data]
    try:
        if data and all(hasattr(m, "toarray") for m in data) and len({m.shape for m in data}) == 1:
            return _stack_sparse(data)
        return np.stack([np.asarray(m.toarray() if hasattr(m, "toarray") else m) for m in data]).astype(bool)
    except (TypeError, ValueError) as exc:
        raise bad(f"{found} does not hold a list of 2-D masks ({exc})", field) from None


def _stack_sparse(matrices: list[Any]) -> np.ndarray:
    """(N, H, W) bool masks from N sparse (H, W) matrices, each mask laid out column by column
    (what pycocotools encodes from without transposing it: `encode_mask`)."""
    h, w = matrices[0].shape
    stacked = np.empty((len(matrices), w, h), dtype=bool).transpose(0, 2, 1)  # [i] is Fortran-ordered
    for i, matrix in enumerate(matrices):
        if matrix.dtype == bool:
            matrix.toarray(out=stacked[i])  # written in place, in the slice's (Fortran) order
        else:
            stacked[i] = matrix.toarray(order="F") != 0
    return stacked


def _orient(array: np.ndarray, height: int, width: int, ctx: ReadContext, field: str) -> np.ndarray:
    """Masks are documented as [.., w, h] but usually stored [.., h, w]: accept both, count swaps."""
    if array.shape[-2:] == (height, width):
        return array
    if array.shape[-2:] == (width, height):
        ctx.repair("maps_transposed")
        return np.swapaxes(array, -1, -2)
    raise bad(f"array of shape {array.shape} does not match the {width}x{height} image", field)


DEPTH_TURNED = "depth_maps_turned_by_exif_orientation"


def _upright_depth(ctx: ReadContext, depth: np.ndarray, candidates: list[str], height: int,
                   width: int) -> tuple[np.ndarray, int]:
    """(the depth map in the scene's pixels, the EXIF orientation of the photo whose stored pixels
    the file holds, 1 for none). A scene read in its photo's stored pixels (`ctx.turn`, drawn_on)
    takes the map as it is: turned with the scene. A scene of the photo shown, beside a map of the
    stored shape of a photo turned a quarter (read from its file under `image_root`), takes it
    turned as the photo is (`upright_array`): a depth model reading the file with Pillow alone saw
    the stored pixels. Transposed, as `_orient` reads ProVision's [w, h] layout, it would set each
    object's depth from the wrong part of the map."""
    if ctx.turn != 1:
        return depth, ctx.turn
    if ctx.image_root is None or depth.ndim != 2 or depth.shape == (height, width) or depth.shape != (width, height):
        return depth, 1
    header = _header(ctx.image_root, candidates)
    if header is None or header.orientation not in SIDEWAYS:
        return depth, 1
    ctx.repair(DEPTH_TURNED)
    return upright_array(depth, header.orientation), header.orientation


def _header(root: Path, candidates: list[str]) -> ImageHeader | None:
    """The header of the first of `candidates` (relative to `root`, or absolute) that is a file
    (None: none is, or it cannot be read: `image_size_of` has said so)."""
    for candidate in candidates:
        path = Path(candidate)
        try:
            header = read_header(path if path.is_absolute() else root / path)
        except SceneValidationError:
            return None
        if header is not None:
            return header
    return None


def _object_depth(depth: np.ndarray, box: list[float], mask: np.ndarray | None) -> float:
    """Median of the 0-255 depth map over the object's mask (else its box), made internal."""
    if mask is not None and mask.any():
        region = depth[mask]
    else:
        x0, y0 = int(box[0]), int(box[1])
        x1, y1 = max(int(np.ceil(box[2])), x0 + 1), max(int(np.ceil(box[3])), y0 + 1)
        region = depth[y0:y1, x0:x1]
    value = float(np.median(region))
    return 1.0 - value / 255.0  # 0-255 larger = closer -> [0, 1] smaller = closer


@dataclass
class _Merged:
    """One image's annotation merged over the stage files, and where each of its keys came from
    (kept apart from the annotation: a stage file may hold any key, "_origin" too)."""

    ann: dict[str, Any] = field(default_factory=dict)  # annotation key -> value, as the stages give it
    origin: dict[str, str] = field(default_factory=dict)  # annotation key -> the stage file giving it
    files: list[str] = field(default_factory=list)  # the stage files holding the image
    conflict: tuple[str, str, str] | None = None  # the first disagreement: (key, why, the file)
    data_path: str | None = None
    source: str | None = None


def _scene(ctx: ReadContext, image_id: str, merged: _Merged, opts: dict[str, Any]) -> Scene:
    if merged.conflict is not None:
        key, detail, _ = merged.conflict
        raise bad(f"stage files disagree on {key}: {detail}", key)
    ann, data_path = merged.ann, merged.data_path
    candidates = [data_path, Path(data_path).name] if data_path else []
    width, height = ctx.image_size_of(ann.get("width"), ann.get("height"), candidates)
    labels, boxes = ann.get("labels"), ann.get("bboxes")
    if "labels" not in ann and "bboxes" not in ann:
        raise bad("no labels or bboxes: no detection stage file holds this image", "labels")
    if not isinstance(labels, list) or not isinstance(boxes, list):  # (named in the file giving the other: `_field_file`)
        wrong = "bboxes" if isinstance(labels, list) else "labels"
        said = "it is missing" if wrong not in ann else f"got {type(ann[wrong]).__name__}"
        raise bad(f"{wrong} (detection stage) must be a list; {said}", wrong)
    n = len(labels)
    if len(boxes) != n:
        raise bad(f"bboxes has {len(boxes)} entries but labels has {n}", "bboxes")
    lists: dict[str, list[Any] | None] = {}
    for key in ("det_scores", "attributes"):
        value = ann.get(key)
        if key == "attributes" and value is None and isinstance(ann.get("annotations"), list):
            value = ann["annotations"]
        if value is not None and (not isinstance(value, list) or len(value) != n):
            got = len(value) if isinstance(value, list) else type(value).__name__
            raise bad(f"{key} must have one entry per object ({n}), got {got}", key)
        lists[key] = value
    scores = lists["det_scores"]
    if scores is not None and not all(is_number(s) for s in scores):
        raise bad("det_scores must be numbers", "det_scores")

    masks = depth = None
    for key in ("seg_mask_id", "depth_mask_id"):
        if ann.get(key) is not None and not isinstance(ann[key], str):
            raise bad(f"{key} must be a file name, got {type(ann[key]).__name__} {ann[key]!r}"[:200], key)
    if isinstance(ann.get("seg_mask_id"), str):
        masks = _orient(_load_array(opts["seg_dir"], ann["seg_mask_id"], opts["allow_pickle"], "seg_mask_id"), height, width, ctx, "seg_mask_id")
        if masks.ndim != 3 or masks.shape[0] != n:
            raise bad(f"segmentation holds {masks.shape[0] if masks.ndim == 3 else masks.shape} masks for {n} objects", "seg_mask_id")
        masks = masks.astype(bool, copy=False)
    depth_turn = ctx.turn  # the EXIF orientation of the photo whose stored pixels the depth map holds (1: none)
    fits = False  # whether the file, as stored, lays on the scene's pixels (its path is then kept)
    if isinstance(ann.get("depth_mask_id"), str):
        depth_file = _array_file(opts["depth_dir"], ann["depth_mask_id"], "depth_mask_id")  # (the file read)
        depth = _load_array(opts["depth_dir"], ann["depth_mask_id"], False, "depth_mask_id")
        # (a scene read in the stored pixels, `ctx.turn`: so is its map, read turned with it once
        # the scene is mapped, `_stored_pixels.shown_scene`)
        fits = depth.shape == (height, width)
        depth, depth_turn = _upright_depth(ctx, depth, candidates, height, width)
        depth = _orient(depth, height, width, ctx, "depth_mask_id")
        if depth.ndim != 2:
            raise bad(f"depth map must be 2-D (H, W), got shape {depth.shape}", "depth_mask_id")
        if depth.dtype.kind not in "uif":
            raise bad(f"depth map must hold numbers (0-255), got {depth.dtype} values", "depth_mask_id")

    def row(i: int, field: str) -> dict[str, Any]:
        out: dict[str, Any] = {"name": ctx.name(labels[i], field + ".label")}
        out["box"] = ctx.box_xyxy(boxes[i], width, height, field + ".bbox")
        attrs = lists["attributes"][i] if lists["attributes"] is not None else []
        if not isinstance(attrs, list) or not all(isinstance(a, str) for a in attrs):
            raise bad(f"attributes must be a list of strings, got {attrs!r}"[:200], field + ".attributes")
        # The attribute model answers "red and shiny": one attribute per conjunct.
        out["attributes"] = ctx.attributes([w for a in attrs for w in a.split(" and ")], field + ".attributes")
        if masks is not None:
            out["mask"] = encode_mask(masks[i])
        if depth is not None:
            out["depth"] = _object_depth(depth, out["box"], None if masks is None else masks[i])
        out["_score"] = None if scores is None else float(scores[i])
        return out

    parts = SceneParts(ctx)
    for i in range(n):
        parts.add(str(i), partial(row, i, f"objects[{i}]"), f"objects[{i}]")
    relations = ann.get("relations")
    if relations is None:  # (0, "" and {} are refused below)
        relations = []
    if isinstance(relations, list) and len(relations) == 3 and isinstance(relations[1], str):
        relations = [relations]  # a single triple, as the stage documentation shows it
    if not isinstance(relations, list):
        raise bad(f"relations must be a list of [subject, predicate, object], got {type(relations).__name__}", "relations")
    for k, rel in enumerate(relations):
        field = f"relations[{k}]"
        if not isinstance(rel, list) or len(rel) != 3 or not all(isinstance(rel[j], int) and not isinstance(rel[j], bool) for j in (0, 2)):
            ctx.drop(bad(f"relation must be [subject index, predicate, object index], got {rel!r}"[:200], field), "relation")
            continue
        parts.relate(str(rel[0]), rel[1], str(rel[2]), field)

    meta: dict[str, Any] = {"data_path": data_path, "source": merged.source}
    if scores is not None:
        meta["det_scores"] = [r["_score"] for r in parts.rows]
    for r in parts.rows:
        r.pop("_score")
    if depth is not None:
        meta["source_depth_map"] = {
            "path": str(depth_file),
            "encoding": provision_depth.NOTE,  # "uint8 0-255, larger = closer (internal depth = 1 - v / 255)"
        }
        if depth_turn != 1:  # the file holds the stored pixels of a photo shown turned
            meta["source_depth_map"]["exif_orientation"] = depth_turn
    dense = None
    # the dense map, for depth.map_points (`scene.depth_maps`): 0-255, larger = closer, up to a
    # scale and a shift (module notes): "relative_inverse"; absolute here, made relative to the
    # scene file a conversion writes (`io.convert.relative_depth_map`). One of a
    # sideways photo's stored pixels (turned here) is read turned as the photo is; one transposed
    # here (`_orient`: ProVision's [w, h] layout) is not the file's, and kept only as the note.
    turned = depth is not None and not fits and ctx.turn == 1 and depth_turn != 1
    if depth is not None and (fits or turned):
        dense = os.path.abspath(depth_file)  # (the file read: "x.pkl" or "x" in the annotation may be x.npy)
        meta["depth_map_encoding"] = "relative_inverse"
        if turned:
            meta[ORIENTATION_KEY] = depth_turn
            ctx.repair(DEPTH_MAP_TURNED)
    return parts.scene(image_id, width, height, image=data_path, depth_map=dense, meta=meta)


_ENTRY_KEYS = ("data_path", "source", "image_id", "id")  # beside the annotation, not in it


def _named_entry(value: Any) -> tuple[str, Any] | None:
    """(image id, entry) of one entry naming its image (``{"image_id": ..., "annotation": {...}}``)."""
    if not isinstance(value, dict) or not isinstance(value.get("annotation"), dict):
        return None
    named = value.get("image_id", value.get("id"))
    if isinstance(named, bool) or not isinstance(named, (str, int)) or named == "":
        return None
    return str(named), value


def _entries(value: Any) -> list[tuple[str | None, Any]] | None:
    """(image id, entry) pairs of one JSON value: ProVision's {image_id: entry} object, one entry
    naming its image (`_named_entry`), or a list of such entries. An entry that names no image
    has None for its id: one reject, not the whole value's. None when the value is none of these
    (a list of which no element names its image)."""
    if isinstance(value, dict):
        if isinstance(value.get("annotation"), dict):  # one entry, not {image_id: entry}
            return [_named_entry(value) or (None, value)]
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, list):
        named: list[tuple[str | None, Any]] = [_named_entry(item) or (None, item) for item in value]
        return None if named and all(image_id is None for image_id, _ in named) else named
    return None


def _bad_entry(entry: Any) -> SceneValidationError:
    """Why an element of a list of entries is not one (`_named_entry`)."""
    if not isinstance(entry, dict):
        return bad(f"an entry must be a JSON object {{image_id, annotation}}, got {type(entry).__name__} {entry!r}"[:200])
    if not isinstance(entry.get("annotation"), dict):
        return bad(f"annotation must be a JSON object, got {entry.get('annotation')!r}"[:200], "annotation")
    named = entry.get("image_id", entry.get("id"))
    return bad(f"image_id must be an integer or a non-empty string, got {named!r}"[:200], "image_id")


_SHAPE = ("a ProVision stage file holds a JSON object {image_id: {data_path, annotation}} (JSON Lines: one "
          "such object, or one entry with an image_id, a line)")


def _stage_entries(file: Path, ctx: ReadContext) -> Iterator[tuple[str, Any]]:
    """(image id, entry) of every image of one stage file, JSON or JSON Lines (`_entries`). A
    file or line of another shape is reported, naming it."""
    if not plain_name(file).lower().endswith(".jsonl"):
        data = load_json(file, ctx)
        found = None if data is None else _entries(data)
        if data is not None and found is None:
            ctx.file_error(bad(f"{_SHAPE}; got {type(data).__name__}"), str(file))
        for k, (image_id, entry) in enumerate(found or []):
            if image_id is None:
                ctx.reject(f"index {k}" if isinstance(data, list) else "entry", _bad_entry(entry).located(str(file)))
            else:
                yield image_id, entry
        return
    try:
        with open_data_file(file) as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    value = parse_json(line)
                except ValueError as exc:  # JSON syntax, or text that is not UTF-8
                    found, why = None, f"malformed JSON line: {exc}"
                else:
                    found, why = _entries(value), f"{_SHAPE}; this line is not one"
                if found is None:
                    ctx.reject(f"line {number}", bad(why[:300]).located(str(file)), "scene")
                    continue
                for k, (image_id, entry) in enumerate(found):
                    if image_id is None:
                        where = f"line {number}, index {k}" if isinstance(value, list) else f"line {number}"
                        ctx.reject(where, _bad_entry(entry).located(str(file)))
                    else:
                        yield image_id, entry
    except READ_ERRORS as exc:
        if not data_error(exc):
            raise  # the system's error (a disk), not the data's
        ctx.file_error(bad(unreadable(file, exc)), str(file))


def _merge(files: list[Path], ctx: ReadContext) -> dict[str, _Merged]:
    """Merge the stage files by image id. A stage that contradicts another on any annotation key
    (labels, boxes, size, relations, ...) marks the image, which is then rejected naming both
    files: which stage holds the truth cannot be told. Each image keeps which file gave each key
    (`_Merged.origin`) and the files that hold it, for its rejects to name."""
    merged: dict[str, _Merged] = {}
    for file in files:
        name = str(file)
        for image_id, entry in _stage_entries(file, ctx):
            target = merged.setdefault(image_id, _Merged())
            if name not in target.files:
                target.files.append(name)
            ann = entry.get("annotation", entry) if isinstance(entry, dict) else None
            if not isinstance(ann, dict):
                what = "entry" if not isinstance(entry, dict) else "annotation"
                if target.conflict is None:
                    target.conflict = ("annotation", f"the {what} in {file.name} is not a JSON object", name)
                continue
            for key, value in ann.items():
                if ann is entry and key in _ENTRY_KEYS:
                    continue
                if key in target.ann and target.ann[key] != value:
                    if target.conflict is None:
                        target.conflict = (key, f"{file.name} differs from {Path(target.origin[key]).name}", name)
                    continue
                target.ann.setdefault(key, value)
                target.origin.setdefault(key, name)
            if isinstance(entry.get("data_path"), str) and target.data_path is None:
                target.data_path = entry["data_path"]
            if isinstance(entry.get("source"), str) and target.source is None:
                target.source = entry["source"]
    return merged


_DETECTION = {"labels": "bboxes", "bboxes": "labels"}  # the detection stage's two parallel lists


def _field_file(merged: _Merged) -> Callable[[str | None], str | None]:
    """The stage file holding a field of a merged image (`ReadContext.scene`'s `where`): the
    file that gave its key (``objects[3].bbox``: bboxes), else the first file holding the image."""
    origin, files = merged.origin, merged.files

    def where(field: str | None) -> str | None:
        conflict = merged.conflict
        if conflict is not None and field == conflict[0]:
            return conflict[2]
        key = (field or "").split("[")[0].split(".")[0]
        if key == "objects":
            key = {"label": "labels", "bbox": "bboxes"}.get(field.rsplit(".", 1)[-1], "attributes")  # type: ignore[union-attr]
        if key == "attributes" and key not in origin:
            key = "annotations"  # the attribute stage's own name for them
        if key in _DETECTION and key not in origin:  # missing: in the file giving its partner
            key = _DETECTION[key]
        return origin.get(key, files[0] if files else None)

    return where


def read_provision(
    path: str | os.PathLike[str],
    *,
    allow_pickle: bool = False,
    seg_dir: str | os.PathLike[str] | None = None,
    depth_dir: str | os.PathLike[str] | None = None,
    drawn_on: str = AUTO,
    **options: Any,
) -> Iterator[Scene]:
    """Stream scenes from a ProVision annotation folder (every *.json and *.jsonl in it is a
    stage file, compressed or not) or from one stage file (JSON, or JSON Lines of one image or
    more a line). Masks are looked up in `seg_dir` (default: FOLDER/seg_masks, else the folder)
    and depth maps in `depth_dir` (default: FOLDER/depth_masks, else the folder). A reject names
    the stage file holding the field at fault.
    `drawn_on`: the pixels the annotation was drawn on, of a photo tagged with an EXIF orientation:
    "auto" (default), "shown" or "stored" (`_stored_pixels`; read from the images: `image_root`)."""
    path = Path(path)
    archives.require(path)  # on disk, or a file inside a zip archive
    folder = path if path.is_dir() else path.parent
    files = sorted({*data_files(folder, ".json"), *data_files(folder, ".jsonl")}) if path.is_dir() else [path]
    if not files:
        raise FileNotFoundError(f"{path}: no ProVision stage file (*.json, *.jsonl, compressed or not) in this folder")
    ctx = ReadContext(path, "provision", drawn_on=drawn_on, **options)
    opts = {
        "allow_pickle": allow_pickle,
        "seg_dir": Path(seg_dir) if seg_dir else (folder / "seg_masks" if (folder / "seg_masks").is_dir() else folder),
        "depth_dir": Path(depth_dir) if depth_dir else (folder / "depth_masks" if (folder / "depth_masks").is_dir() else folder),
    }
    merged = _merge(files, ctx)
    for image_id in list(merged):
        image = merged.pop(image_id)
        scene = ctx.scene(image_id, partial(_scene, ctx, image_id, image, opts), where=_field_file(image))
        if scene is not None:
            yield scene
