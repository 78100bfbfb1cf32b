"""A scene as a reader assembles it: its objects and relations keyed by the source's ids
(`SceneParts`), and what its annotation covers (the `sparse` and `objects` reader options, which
`SceneParts.scene` writes into the scene's meta)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from veriscene.errors import ReaderOptionError, SceneValidationError
from veriscene.io.readers._fields import bad, text_fault
from veriscene.scene.model import SPARSE_KINDS, Scene

if TYPE_CHECKING:  # annotations only: `_base` imports this module
    from veriscene.io.readers._base import ReadContext


# Formats whose annotators recorded only some attributes and relations of an object (``meta["sparse"]``):
# Visual Genome's crowd workers wrote what they noticed; GQA cleaned those graphs but did not fill
# them in; Open Images annotated relationships (and "is" attributes) for some pairs only; ProVision's
# came from models that give some of them (`provision`'s notes).
SPARSE_DEFAULTS: dict[str, tuple[str, ...]] = {
    "visual_genome": SPARSE_KINDS, "gqa": SPARSE_KINDS, "open_images": SPARSE_KINDS, "provision": SPARSE_KINDS,
}


def sparse_kinds(value: bool | str | Sequence[str]) -> list[str]:
    """The `sparse` reader option as `meta["sparse"]`: true is both `SPARSE_KINDS`, false (or
    "none") neither, else the kinds named, in a list or comma-separated ("attributes")."""
    if isinstance(value, bool):
        return list(SPARSE_KINDS) if value else []
    words = value.split(",") if isinstance(value, str) else list(value)
    kinds = {str(w).strip().lower() for w in words} - {"", "none"}
    unknown = sorted(kinds - set(SPARSE_KINDS))
    if unknown:
        raise ReaderOptionError(f"sparse must be true, false, none or some of {', '.join(SPARSE_KINDS)}; got {unknown}",
                                option="sparse", value=value)
    return [k for k in SPARSE_KINDS if k in kinds]


# What a format's object annotation covers (the `objects` option of the readers that take it), as
# `meta["exhaustive"]` says it (`exhaustive_names`):
# - "complete": every object of the image is annotated (meta.exhaustive unset): a name without an
#   object is absent, counts are exact;
# - "present": every object of the names the image annotates, and nothing is known of any other
#   name (meta.exhaustive = the image's names): counts and "the man" stand, absences are unknown;
# - "sparse": some objects only, of any name (meta.exhaustive = []): what is annotated is there,
#   and neither absences nor counts nor "the man" (one of how many?) are known.
OBJECT_COVERAGES = ("complete", "present", "sparse")
# Visual Genome's crowd workers drew the objects they wrote about, not every object; GQA cleaned
# those graphs but did not complete them: a "car" not annotated may well be in the picture.
OBJECTS_DEFAULTS: dict[str, str] = {"visual_genome": "present", "gqa": "present"}


def objects_for(fmt: str, value: str | None) -> str:
    """The `objects` option: one of `OBJECT_COVERAGES` (any case), else the format's default
    (`OBJECTS_DEFAULTS`, "complete" for formats without one)."""
    if value is None:
        return OBJECTS_DEFAULTS.get(fmt, "complete")
    coverage = str(value).strip().lower()
    if coverage not in OBJECT_COVERAGES:
        raise ReaderOptionError(f"objects must be one of {', '.join(OBJECT_COVERAGES)}, got {value!r}", option="objects",
                                value=value)
    return coverage


def exhaustive_names(coverage: str, names: Iterable[str]) -> list[str] | None:
    """`meta["exhaustive"]` of a scene of objects `names` under `coverage` (`OBJECT_COVERAGES`)."""
    if coverage == "complete":
        return None
    return sorted(set(names)) if coverage == "present" else []


def sparse_for(fmt: str, value: bool | str | Sequence[str] | None) -> list[str]:
    """`meta["sparse"]` of a format's scenes: the `sparse` option when given, else the format's
    default (`SPARSE_DEFAULTS`)."""
    return sparse_kinds(SPARSE_DEFAULTS.get(fmt, ()) if value is None else value)


class SceneParts:
    """Objects and relations of one scene as they are read, keyed by the source's object ids.

    Object ids are resolved within the image. A relation to an id the image does not have is
    "dangling" (a reject); one to an object that was dropped goes with it (counted).
    """

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.dropped: set[str] = set()
        self.relations: list[tuple[int, str, int]] = []
        self._relation_set: set[tuple[int, str, int]] = set()

    def __contains__(self, oid: str) -> bool:
        return oid in self.index

    def add(self, oid: str, build: Callable[[], dict[str, Any]], field: str) -> None:
        """Add object `oid` from `build()` (a row dict); a bad object is dropped or rejects the scene."""
        try:
            if oid in self.index or oid in self.dropped:
                raise bad(f"duplicate object id {oid!r} in this image", field)
            row = build()
        except SceneValidationError as exc:
            if oid not in self.index:
                self.dropped.add(oid)
            self.ctx.drop(exc, "object")
            return
        self.index[oid] = len(self.rows)
        self.rows.append(row)
        self.ids.append(oid)

    def alias(self, other: str, oid: str) -> None:
        """Let id `other` name object `oid` too (Visual Genome's `merged_object_ids`: the ids of
        the objects merged into it, which relations may still use), unless `other` is an object
        of its own or one dropped."""
        if oid in self.index and other not in self.index and other not in self.dropped:
            self.index[other] = self.index[oid]

    def relate(self, subject: str, predicate: Any, obj: str, field: str) -> None:
        try:
            pred = self.ctx.predicate(predicate, field + ".predicate")
            if not pred:  # "and": says nothing of how the two relate
                self.ctx.repair("meaningless_relations_dropped")
                return
            for role, oid in (("subject", subject), ("object", obj)):
                if oid in self.dropped:
                    self.ctx.repair("relations_dropped_with_object")
                    return
                if oid not in self.index:
                    raise bad(f"dangling relation: {role} id {oid!r} is not an object of this image", field)
            s, o = self.index[subject], self.index[obj]
            if s == o:
                raise bad(f"relation links object {subject!r} to itself", field)
        except SceneValidationError as exc:
            self.ctx.drop(exc, "relation")
            return
        triple = (s, pred, o)
        if triple in self._relation_set:
            self.ctx.repair("duplicate_relations_merged")
            return
        self._relation_set.add(triple)
        self.relations.append(triple)

    def merge_duplicates(self, min_iou: float) -> None:
        """Merge objects of one name whose boxes overlap by at least `min_iou` (intersection over
        union): one object annotated twice, as raw Visual Genome often has it. Each object is
        compared with the objects of its name kept before it and merged into the first close
        enough; that one keeps its id and box and gains its attributes, and its relations move to
        that one (one that would relate it to itself is dropped). Each merge counts as the repair
        `duplicate_objects_merged`."""
        kept: dict[str, list[int]] = {}  # name -> its objects kept so far
        into: list[int] = []  # object -> the kept object it is merged into (itself if kept)
        for b, row in enumerate(self.rows):
            box = row["box"]
            same = kept.setdefault(row["name"], [])
            a = next((a for a in same if _iou(self.rows[a]["box"], box) >= min_iou), None)
            if a is None:
                same.append(b)
                into.append(b)
                continue
            into.append(a)
            first = self.rows[a]
            first["attributes"] = list(dict.fromkeys([*first["attributes"], *row["attributes"]]))
            if row.get("crowd"):  # "trees" over "tree": the box holds several
                first["crowd"] = True
            self.ctx.repair("duplicate_objects_merged")
        if into == list(range(len(self.rows))):
            return
        survivors = sorted(set(into))
        renumber = {old: new for new, old in enumerate(survivors)}
        self.rows = [self.rows[i] for i in survivors]
        self.ids = [self.ids[i] for i in survivors]
        self.index = {oid: renumber[into[i]] for oid, i in self.index.items()}
        relations, self._relation_set = self.relations, set()
        self.relations = []
        for s, pred, o in relations:
            triple = (renumber[into[s]], pred, renumber[into[o]])
            if triple[0] == triple[2]:
                self.ctx.repair("relations_within_merged_object_dropped")
            elif triple in self._relation_set:
                self.ctx.repair("duplicate_relations_merged")
            else:
                self._relation_set.add(triple)
                self.relations.append(triple)

    def scene(self, image_id: str, width: int, height: int, **kwargs: Any) -> Scene:
        meta = dict(kwargs.pop("meta", None) or {})
        meta.setdefault("source_format", self.ctx.fmt)
        meta["object_ids"] = list(self.ids)
        crowd = [i for i, row in enumerate(self.rows) if row.pop("crowd", False)]
        if crowd:  # objects named in the plural (`ReadContext.name_and_group`): several as one
            meta["crowd"] = crowd
        if self.ctx.sparse:
            meta["sparse"] = list(self.ctx.sparse)
        exhaustive = exhaustive_names(self.ctx.objects, (row["name"] for row in self.rows))
        if exhaustive is not None:
            meta["exhaustive"] = exhaustive
        _refuse_unwritable(image_id, kwargs.get("image"), meta)
        return Scene.from_objects(
            image_id=image_id,
            width=width,
            height=height,
            objects=self.rows,
            relations=self.relations,
            meta=meta,
            **kwargs,
        )


def _refuse_unwritable(image_id: str, image: Any, meta: dict[str, Any]) -> None:
    """Refuse a scene whose id, image path or meta a scene file cannot hold: text that is not
    text (`text_fault`: a lone surrogate) or an integer past 64 bits, which would kill the run
    that writes the scene. The scene's names, attributes and predicates are checked as they are
    read (`ReadContext.name`); these take one C call (orjson writes what a scene file will hold),
    and are gone through one by one only to name the one at fault."""
    try:
        orjson.dumps([image_id, image, meta])
    except TypeError as exc:  # orjson.JSONEncodeError
        for field, value in _values([("image_id", image_id), ("image", image), ("meta", meta)]):
            fault = text_fault(value) if isinstance(value, str) else None
            if isinstance(value, int) and not -(2**63) <= value < 2**64:
                fault = "is an integer past 64 bits (a scene file holds 64-bit integers)"
            if fault is not None:
                raise bad(f"{value!r} {fault}"[:300], field) from None
        raise bad(f"the scene cannot be written: {exc}"[:300], "meta") from None


def _values(items: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """(field, value) of every value in these JSON-like values, nested ones (and keys) too."""
    for field, value in items:
        if isinstance(value, dict):
            yield from ((f"{field}.{key}", key) for key in value)
            yield from _values((f"{field}.{key}", inner) for key, inner in value.items())
        elif isinstance(value, (list, tuple)):
            yield from _values((f"{field}[{k}]", inner) for k, inner in enumerate(value))
        else:
            yield field, value


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes of positive area (plain floats: for
    the few boxes of one name in a scene, cheaper than `scene.geometry.box_iou`'s arrays)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
