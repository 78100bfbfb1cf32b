"""The scene graph of one image, held column-wise.

Conventions (the one internal convention; readers convert to it):
- `boxes`: float32 array (N, 4), xyxy in absolute pixels, 0 <= x0 < x1 <= width, same for y.
- `depth`: optional float32 array (N,), relative depth, **smaller = closer** to the camera.
- `masks`: optional tuple of N COCO RLE dicts ``{"size": [height, width], "counts": str}``.
- `depth_map`: optional path of a dense depth map file, (H, W) of this scene's pixels: absolute, a
  URL, or relative to the folder of the scene's file as `image` is; ``meta["depth_map_encoding"]``
  says what its values are ("depth", the default, smaller = closer; "inverse"; "relative"; "relative_inverse": `scene.depth_maps`), and
  ``meta["depth_map_exif_orientation"]`` (1-8) that it holds the stored pixels of a photo of that
  EXIF orientation, read turned as the photo is shown. Read lazily by the generator that asks
  about it (`veriscene.scene.depth_maps`), not here.
- `relations`: tuple of ``(subject_index, predicate, object_index)``.
- `attributes`: per object, a sorted tuple of unique attribute words (sorted so that every
  iteration over them is deterministic).
- `meta["crowd"]` (optional): indices of objects that each stand for a group of instances
  annotated as one region (COCO's `iscrowd`, "a crowd of people"). They count as present, but
  never as one object: programs do not count them, single them out or name them as "the ..."
  (see `veriscene.program.ops`).
- `meta["exhaustive"]` (optional): the names of which every instance in the image is annotated,
  including names verified absent (LVIS's positive categories that are exhaustive, and its
  `neg_category_ids`). Without it, every name is (the usual assumption: COCO, CLEVR, synthetic
  scenes). With it, the count, absence and extremes of any other name are unknown, and programs
  refuse them (see `veriscene.program.ops`).
- `meta["category_set"]` (optional): the id of a list of categories (a non-empty string; COCO's
  reader writes how many and a digest of them, `veriscene.category_sets.category_set_id`): the
  image annotates every instance of those categories and nothing else (COCO, Objects365, COCO
  panoptic). `meta["categories"]` (optional, in the first scene of a file only, and of each
  `split` file): the sorted list itself, read through `veriscene.category_sets.listed_categories`
  (a list that is not its id's is not read: the scan counts it among the fields it does not
  read, scoring warns); without a list, the categories are the names of the scenes that carry
  the same id. Generators ask a scene of a set about the absence or count of its set's names
  only (`generators.vocabulary_draws.closed_names`); free-form scoring checks claims about them
  and leaves claims about other names open ("a window" on a COCO image: neither true nor false;
  see `veriscene.evaluate.freeform.score`). Programs take the set's names as annotated in full
  and refuse the absence or count of any other (`veriscene.program.ops`). Without it, every name
  is annotated in full; with `meta["exhaustive"]`, that list decides (for programs: within the set's).
- `meta["stuff"]` (optional): indices of objects that are "stuff" regions, amorphous areas such as
  sky, grass or a merged region of trees (COCO panoptic's ``isthing: 0``). Programs treat them as
  they treat crowd regions: present, never counted or singled out; captions name them without a
  number ("sky", "trees").
- `meta["sparse"]` (optional): what the annotation records only in part, a list of
  ``"attributes"`` and/or ``"relations"`` (`SPARSE_KINDS`; Visual Genome and GQA: annotators
  marked some attributes and relations of an object, not all that hold). What is annotated is
  true, but one not annotated may hold as well: a car without "red" may be red, a cup not "on"
  the table may be on it. Programs then refuse whatever takes an unannotated attribute or
  relation for absent (see `veriscene.program.ops`). Without it, both are taken as annotated in
  full (CLEVR, synthetic scenes).
- `meta["orientation"]` (optional): ``"radiological"`` when the image shows a patient as
  radiologists read it, the patient's right on the image's left (slices of medical volumes, chest
  radiographs). Directions in programs stay the image's; questions about left and right say so
  (`veriscene.generators.runner.IMAGE_SIDES_NOTE`).
- `meta["plane"]` (optional): ``"axial"``, ``"coronal"`` or ``"sagittal"``, the plane of a slice
  of a medical volume: on a sagittal slice the image's left is the patient's front, on an axial
  one its top is (`veriscene.generators.runner.direction_note`). `meta["pixel_size_mm"]`
  (optional): one pixel's width and height in mm.
- `meta["single"]` (optional): names of which the image holds at most one object by construction
  (a medical slice's structures that are not split into pieces, present or annotated absent):
  counting questions leave them out, since "How many livers?" would only ask whether there is one
  (`veriscene.generators.common.uncountable_names`).

A Scene is validated once, in ``__post_init__``; code downstream trusts it.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from veriscene.errors import SceneValidationError
from veriscene.scene.floats import float32_json

SCHEMA_VERSION = 1
# `meta` keys listing objects that are regions rather than single objects (see the module notes)
REGION_KEYS = ("crowd", "stuff")
# what `meta["sparse"]` may list: annotations recorded only in part (see the module notes)
SPARSE_KINDS = ("attributes", "relations")
# `meta["orientation"]` of an image showing the patient's right on its left (see the module notes)
RADIOLOGICAL = "radiological"
# Slack for float round-off when checking that boxes lie inside the image (pixels).
_BOX_EPS = 1e-3
# The widest (and tallest) image: the largest integer JSON readers hold as one (orjson reads larger
# ones as floats); a larger Python int is past what box checks compare with floats (10**400).
_MAX_SIDE = 2**64 - 1


class SceneObject(NamedTuple):
    """A row view of one object, for convenience outside hot loops."""

    index: int  # type: ignore[assignment]  # a field named like tuple.index (NamedTuple allows it)
    name: str
    box: tuple[float, float, float, float]
    attributes: tuple[str, ...]
    depth: float | None
    mask: dict[str, Any] | None


_STR = frozenset((str,))  # the type of names and attributes, exactly (a subclass takes the long way)


def _bad(message: str, field_name: str) -> SceneValidationError:
    return SceneValidationError(message, field=field_name)


def as_float32(values: Any) -> np.ndarray:
    """`values` (boxes or depth) as a float32 array. A value past float32's range (|v| > 3.4e38,
    which a float64 holds) becomes an infinity without numpy's overflow RuntimeWarning: the scene
    refuses it as not finite, naming its field. An int past float64's range raises OverflowError."""
    if type(values) is np.ndarray and values.dtype == np.float32:  # as `scene_from_dict` gives them
        return values
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float32)


def shown_value(value: Any) -> str:
    """`repr(value)` cut to 80 characters: an error quotes the bad value, not a megabyte of it."""
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than Python converts (sys.int_info.str_digits_check_threshold)
        return f"an integer of {value.bit_length()} bits"
    return text if len(text) <= 80 else text[:77] + "..."



def _wide_int_hint(value: Any) -> str:
    """Why an id may have come as a float: JSON readers (orjson, used for scene files) read an
    integer outside [-2**63, 2**64 - 1] as one, and its digits are then lost."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 2**63:
        return (" (an integer of more than 64 bits in the file? JSON readers take such integers as floats: "
                "write the id as a string)")
    return ""

@dataclass(frozen=True, eq=False)
class Scene:
    image_id: str
    width: int
    height: int
    boxes: np.ndarray
    names: tuple[str, ...]
    attributes: tuple[tuple[str, ...], ...]
    relations: tuple[tuple[int, str, int], ...] = ()
    image: str | None = None
    masks: tuple[dict[str, Any], ...] | None = None
    depth: np.ndarray | None = None
    depth_map: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen dataclass: normalise fields once, here
        if not isinstance(self.image_id, str) or not self.image_id:
            raise _bad(f"image_id must be a non-empty string, got {shown_value(self.image_id)}"
                       f"{_wide_int_hint(self.image_id)}", "image_id")
        for name in ("width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise _bad(f"{name} must be a positive integer, got {shown_value(value)}", name)
            if value > _MAX_SIDE:
                raise _bad(f"{name} must be at most 2**64 - 1, got {shown_value(value)}", name)
            set_(self, name, int(value))

        for name in ("image", "depth_map"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise _bad(f"{name} must be a path (a string), got {shown_value(value)}", name)

        boxes = as_float32(self.boxes)
        if boxes.size == 0:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise _bad(f"boxes must have shape (N, 4), got {boxes.shape}", "boxes")
        set_(self, "boxes", boxes)
        n = boxes.shape[0]
        self._check_boxes(boxes)

        if isinstance(self.names, str):  # a text is a sequence of one-letter names: "cat" was ("c", "a", "t")
            raise _bad(f"names must be a list of object names, one per box, got the text {shown_value(self.names)}",
                       "names")
        names = tuple(self.names)
        if len(names) != n:
            raise _bad(f"names has {len(names)} entries but there are {n} boxes", "names")
        if not (set(map(type, names)) <= _STR and all(map(str.strip, names))):  # in C; else find the bad one
            for i, name in enumerate(names):
                if not isinstance(name, str) or not name.strip():
                    raise _bad(f"object name must be a non-empty string, got {shown_value(name)}", f"objects[{i}].name")
        set_(self, "names", names)

        attributes = tuple(self.attributes) if self.attributes is not None else ((),) * n
        if len(attributes) != n:
            raise _bad(
                f"attributes has {len(attributes)} entries but there are {n} objects", "attributes"
            )
        normalised = []
        for i, attrs in enumerate(attributes):
            if type(attrs) is tuple and set(map(type, attrs)) <= _STR and all(attrs):  # as parsed: checked in C
                normalised.append(tuple(sorted(set(attrs))))
                continue
            if isinstance(attrs, str) or not all(isinstance(a, str) and a for a in attrs):
                raise _bad(
                    f"attributes must be a list of non-empty strings, got {shown_value(attrs)}",
                    f"objects[{i}].attributes",
                )
            normalised.append(tuple(sorted(set(attrs))))
        set_(self, "attributes", tuple(normalised))

        relations = []
        for k, rel in enumerate(self.relations):
            if len(rel) == 3:
                s, p, o = rel
                # the usual relation, taken as it is (a third of a scene's validation went to these)
                if type(s) is int and type(o) is int and 0 <= s < n and 0 <= o < n and s != o \
                        and type(p) is str and p.strip():
                    relations.append((s, p, o))
                    continue
            relations.append(self._relation(k, rel, n))
        set_(self, "relations", tuple(relations))

        if self.masks is not None:
            masks = tuple(self.masks)
            if len(masks) != n:
                raise _bad(f"masks has {len(masks)} entries but there are {n} objects", "masks")
            size = [self.height, self.width]
            for i, rle in enumerate(masks):
                if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
                    raise _bad("mask must be a COCO RLE dict with 'size' and 'counts'", f"objects[{i}].mask")
                if not isinstance(rle["counts"], (str, bytes, list)) or not rle["counts"]:
                    raise _bad(f"mask counts must be a string (compressed RLE) or a list of ints, got "
                               f"{shown_value(rle['counts'])}", f"objects[{i}].mask.counts")
                if type(rle["size"]) is not list or rle["size"] != size:  # as parsed: a list; else the long way
                    self._check_mask_size(i, rle["size"], size)
            set_(self, "masks", masks)

        if self.depth is not None:
            depth = as_float32(self.depth).reshape(-1)
            if depth.shape[0] != n:
                raise _bad(f"depth has {depth.shape[0]} entries but there are {n} objects", "depth")
            if not np.isfinite(depth).all():
                i = int(np.flatnonzero(~np.isfinite(depth))[0])
                raise _bad(f"depth must be finite and within float32's range (±3.4e38), got {depth[i]}",
                           f"objects[{i}].depth")
            set_(self, "depth", depth)

        if self.meta is None:
            set_(self, "meta", {})
        elif not isinstance(self.meta, dict):
            raise _bad(f"meta must be a dict, got {type(self.meta).__name__}", "meta")
        for key in REGION_KEYS:
            listed = self.meta.get(key)
            if listed is not None:  # (0, "" and false too: a wrong type, not "none")
                self._check_indices(key, listed, n)
        exhaustive = self.meta.get("exhaustive")
        if exhaustive is not None:
            self._check_names(exhaustive)
        sparse = self.meta.get("sparse")
        if sparse is not None:
            self._check_sparse(sparse)
        category_set = self.meta.get("category_set")
        if category_set is not None and (not isinstance(category_set, str) or not category_set):
            raise _bad(f"category_set must be a non-empty string (the id of a category list), got "
                       f"{shown_value(category_set)}", "meta.category_set")

    @staticmethod
    def _relation(k: int, rel: Sequence[Any], n: int) -> tuple[int, str, int]:
        """Relation `k` checked in full, as (subject, predicate, object) with int indices."""
        if len(rel) != 3:
            raise _bad(f"relation must be [subject, predicate, object], got {shown_value(rel)}", f"relations[{k}]")
        s, p, o = rel
        for role, idx in (("subject", s), ("object", o)):
            if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)) or not 0 <= idx < n:
                raise _bad(f"{role} index {shown_value(idx)} out of range for {n} objects", f"relations[{k}].{role}")
        if not isinstance(p, str) or not p.strip():
            raise _bad(f"predicate must be a non-empty string, got {shown_value(p)}", f"relations[{k}].predicate")
        if s == o:
            raise _bad(f"relation links object {s} to itself", f"relations[{k}]")
        return int(s), p, int(o)

    @staticmethod
    def _check_mask_size(i: int, given: Any, size: list[int]) -> None:
        """Mask `i`'s ``size`` must be the image's [height, width] (a list or tuple; an array too)."""
        if isinstance(given, np.ndarray):
            given = given.tolist()
        if not isinstance(given, (list, tuple)) or list(given) != size:
            raise _bad(f"mask size {shown_value(given)} does not match image [height, width] {size}",
                       f"objects[{i}].mask.size")

    @staticmethod
    def _check_sparse(kinds: Any) -> None:
        """`meta["sparse"]` must be a list of distinct `SPARSE_KINDS`."""
        if not isinstance(kinds, (list, tuple)):
            raise _bad(f"sparse must be a list of {list(SPARSE_KINDS)}, got {shown_value(kinds)}", "meta.sparse")
        for k, kind in enumerate(kinds):
            if kind not in SPARSE_KINDS:
                raise _bad(f"sparse lists {shown_value(kind)}; it may list {list(SPARSE_KINDS)}", f"meta.sparse[{k}]")
            if kind in kinds[:k]:
                raise _bad(f"sparse lists {shown_value(kind)} twice", f"meta.sparse[{k}]")

    @staticmethod
    def _check_names(names: Any) -> None:
        """`meta["exhaustive"]` must be a list of distinct non-empty names."""
        if not isinstance(names, (list, tuple)):
            raise _bad(f"exhaustive must be a list of names, got {shown_value(names)}", "meta.exhaustive")
        seen: set[str] = set()
        for k, name in enumerate(names):
            if not isinstance(name, str) or not name:
                raise _bad(f"exhaustive name must be a non-empty string, got {shown_value(name)}", f"meta.exhaustive[{k}]")
            if name in seen:
                raise _bad(f"exhaustive name {shown_value(name)} is listed twice", f"meta.exhaustive[{k}]")
            seen.add(name)

    @staticmethod
    def _check_indices(key: str, listed: Any, n: int) -> None:
        """`meta[key]` must be a list of distinct object indices."""
        if not isinstance(listed, (list, tuple)):
            raise _bad(f"{key} must be a list of object indices, got {shown_value(listed)}", f"meta.{key}")
        seen: set[int] = set()
        for k, i in enumerate(listed):
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
                raise _bad(f"{key} index {shown_value(i)} out of range for {n} objects", f"meta.{key}[{k}]")
            if i in seen:
                raise _bad(f"{key} index {i} is listed twice", f"meta.{key}[{k}]")
            seen.add(int(i))

    def _check_boxes(self, boxes: np.ndarray) -> None:
        x0, y0, x1, y1 = boxes.T
        # every box right, in one mask (comparisons with NaN are false, and an infinite
        # coordinate lies outside): the checks below only find the first wrong box and say why
        right = ((x0 < x1) & (y0 < y1) & (x0 >= -_BOX_EPS) & (y0 >= -_BOX_EPS)
                 & (x1 <= self.width + _BOX_EPS) & (y1 <= self.height + _BOX_EPS))
        if right.all():
            return
        if not np.all(np.isfinite(boxes)):
            i = int(np.flatnonzero(~np.all(np.isfinite(boxes), axis=1))[0])
            raise _bad(f"box has non-finite values {float32_json(boxes[i])} (a value past float32's range, "
                       f"±3.4e38, is read as inf)", f"objects[{i}].box")
        x0, y0, x1, y1 = boxes.T
        inverted = (x1 <= x0) | (y1 <= y0)
        if inverted.any():
            i = int(np.flatnonzero(inverted)[0])
            bx0, by0, bw, bh = (float(v) for v in boxes[i])
            hint = ""
            if bw > 0 and bh > 0 and bx0 + bw <= self.width + _BOX_EPS and by0 + bh <= self.height + _BOX_EPS:
                # (a user's own scene file written with COCO's [x, y, width, height] boxes)
                hint = (f" (boxes are [x0, y0, x1, y1] in pixels; read as COCO's [x, y, width, height] it would be "
                        f"{float32_json(np.array([bx0, by0, bx0 + bw, by0 + bh], dtype=np.float32))})")
            raise _bad(
                f"box {float32_json(boxes[i])} is not xyxy with x0 < x1 and y0 < y1{hint}", f"objects[{i}].box"
            )
        outside = (
            (x0 < -_BOX_EPS) | (y0 < -_BOX_EPS)
            | (x1 > self.width + _BOX_EPS) | (y1 > self.height + _BOX_EPS)
        )
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise _bad(
                f"box {float32_json(boxes[i])} lies outside the {self.width}x{self.height} image",
                f"objects[{i}].box",
            )

    # ---- accessors -------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    @property
    def has_masks(self) -> bool:
        return self.masks is not None

    @property
    def has_depth(self) -> bool:
        return self.depth is not None

    def object(self, i: int) -> SceneObject:
        return SceneObject(
            index=i,
            name=self.names[i],
            box=tuple(float(v) for v in self.boxes[i]),  # type: ignore[arg-type]
            attributes=self.attributes[i],
            depth=None if self.depth is None else float(self.depth[i]),
            mask=None if self.masks is None else self.masks[i],
        )

    def objects(self) -> list[SceneObject]:
        return [self.object(i) for i in range(len(self))]

    @classmethod
    def from_objects(
        cls,
        image_id: str,
        width: int,
        height: int,
        objects: Sequence[dict[str, Any]],
        relations: Iterable[Sequence[Any]] = (),
        **kwargs: Any,
    ) -> "Scene":
        """Build a scene from row-wise dicts ``{"name", "box", "attributes"?, "depth"?, "mask"?}``
        (`OBJECT_KEYS`). Another key is refused, naming the one it looks like: a misspelt
        "atributes" was left out, and the object had none."""
        objects = _object_rows(objects)
        boxes = as_float32([o["box"] for o in objects]).reshape(-1, 4)
        has_depth = any("depth" in o for o in objects)
        has_masks = any("mask" in o for o in objects)
        depth = None
        if has_depth:
            depth = as_float32([o.get("depth", math.nan) for o in objects])
        masks = None
        if has_masks:
            masks = tuple(o.get("mask") for o in objects)
        return cls(
            image_id=image_id,
            width=width,
            height=height,
            boxes=boxes,
            names=tuple(o["name"] for o in objects),
            attributes=tuple(_attributes(o.get("attributes", ()), i) for i, o in enumerate(objects)),
            relations=tuple(tuple(r) for r in relations),
            depth=depth,
            masks=masks,  # unchecked: __post_init__ names a missing one
            **kwargs,
        )


OBJECT_KEYS = frozenset({"name", "box", "attributes", "depth", "mask"})  # of a `Scene.from_objects` row


def _object_rows(objects: Any) -> list[Any]:
    """The rows of `Scene.from_objects`, each a dict with a name and a box and no other key than
    `OBJECT_KEYS`: TypeError for `objects` that is no list, SceneValidationError naming the
    object and field at fault."""
    if isinstance(objects, (str, bytes, dict)) or not isinstance(objects, Iterable):
        raise TypeError(f"objects must be a list of object dicts {{'name': ..., 'box': [x0, y0, x1, y1], ...}}, "
                        f"got {shown_value(objects)}")
    rows = list(objects)
    for i, row in enumerate(rows):
        if type(row) is dict and "box" in row and "name" in row and OBJECT_KEYS.issuperset(row):
            continue  # (readers build every scene here: the usual row costs one line)
        if not isinstance(row, dict):
            raise _bad(f"object must be a dict {{'name', 'box', 'attributes'?, 'depth'?, 'mask'?}}, got "
                       f"{shown_value(row)}", f"objects[{i}]")
        if "box" not in row or "name" not in row:
            key = "box" if "box" not in row else "name"
            raise _bad(f"missing required field '{key}'", f"objects[{i}].{key}")
        if not OBJECT_KEYS.issuperset(row):
            key = min(str(k) for k in row if k not in OBJECT_KEYS)
            close = difflib.get_close_matches(key, sorted(OBJECT_KEYS), n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _bad(f"unknown field {key!r}{hint}; an object has {', '.join(sorted(OBJECT_KEYS))}",
                       f"objects[{i}].{key}")
    return rows


def _attributes(value: Any, i: int) -> Any:
    """An object's attributes as a tuple; a text ("red", not ["red"]: tuple("red") was the
    attributes r, e, d) or None is a SceneValidationError naming the object."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    raise _bad(f"attributes must be a list of non-empty strings, got {shown_value(value)}", f"objects[{i}].attributes")
