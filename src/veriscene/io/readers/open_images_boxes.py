"""Open Images box annotations (CSV): every boxed object of an image, with what else is known.

    ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,...
    0a1b,xclick,/m/01g317,1,0.1,0.5,0.2,0.9,0,0,0,0,0

Open Images boxes every instance of each class it verified present in an image, so the boxed
classes are complete; a box with ``IsGroupOf`` 1 covers a group of instances and becomes a crowd
region (``meta["crowd"]``). A box with ``IsDepiction`` 1 (a drawing, toy or statue of the class) is
left out and counted (`DEPICTIONS_LEFT_OUT`), and its class is then not taken as complete. Two optional files add to it, read in step with the boxes (all three
are sorted by ImageID as Open Images ships them; an unsorted file is grouped in a temporary file
first, `_spool`):

- `labels`: the human-verified image-level labels (``ImageID,Source,LabelName,Confidence``).
  A label verified absent (Confidence 0) is complete too: "Is there a dog?" can be answered "no"
  only for those. Every other class is left open (``meta["exhaustive"]``).
- `relationships`: the visual relationship file (see `open_images`). Its two boxes of a row are
  matched to the image's boxes by label and coordinates; "is" rows give attributes. An end with
  no matching box is added as an object, and its class is then no longer taken as complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext, SceneParts, bad
# not_utf8, groups and Rows are re-exported: they were defined here
from veriscene.io.readers._open_images_csv import (  # noqa: F401
    Rows,
    _InStep,
    _sorted_by_image,
    groups,
    not_utf8,
)
from veriscene.scene.model import Scene

BOX_COLUMNS = ("ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax", "IsGroupOf")
LABEL_COLUMNS = ("ImageID", "LabelName", "Confidence")


def is_boxes_header(columns: list[str] | None) -> bool:
    """Whether a CSV header is a box file's (LabelName, not a relationship's LabelName1); the
    columns it lacks are reported when it is read."""
    found = {c.strip() for c in columns or ()}
    return "LabelName" in found and "LabelName1" not in found


def coordinates(row: dict[str, str], suffix: str, field: str) -> tuple[float, float, float, float]:
    """(XMin, YMin, XMax, YMax) of a row, normalised; `suffix` '1'/'2' for a relationship's ends."""
    values = []
    for col in (f"XMin{suffix}", f"YMin{suffix}", f"XMax{suffix}", f"YMax{suffix}"):
        try:
            values.append(float(row[col]))
        except (TypeError, ValueError):
            raise bad(f"{col} must be a number in [0, 1], got {row.get(col)!r}", f"{field}.{col}") from None
    x0, y0, x1, y1 = values
    if any(v > _PIXELS or v < -_PIXELS for v in values):  # NaN passes, and is refused as a box
        raise bad(f"XMin{suffix}, YMin{suffix}, XMax{suffix}, YMax{suffix} = {x0:g}, {y0:g}, {x1:g}, {y1:g}: Open "
                  "Images coordinates are fractions of the image's width and height, in [0, 1] (pixels?)",
                  f"{field}.XMin{suffix}")
    for low, high, axis in ((x0, x1, "X"), (y0, y1, "Y")):
        if low > high:
            raise bad(f"{axis}Min{suffix} {low:g} is greater than {axis}Max{suffix} {high:g}", f"{field}.{axis}Min{suffix}")
    return x0, y0, x1, y1


_PIXELS = 2.0  # a coordinate beyond this is no fraction of the image slightly off, but a pixel


# Open Images' box flags: 1 present, 0 not, -1 unknown (its documentation). Anything else (2, "x",
# "yes") is a file written wrongly: refused, never read as a guess.
FLAG_COLUMNS = ("IsOccluded", "IsTruncated", "IsGroupOf", "IsDepiction", "IsInside")
DEPICTIONS_LEFT_OUT = "depictions_left_out"  # boxes with IsDepiction 1 (counted among the repairs)
DEPICTION_RELATIONS_LEFT_OUT = "relations_of_depictions_left_out"  # relationship rows with one at an end
_FLAG_VALUES = ("0", "1", "-1")


def check_row(row: dict[str, str], field: str) -> None:
    """Refuse a box row whose flags (`FLAG_COLUMNS`, those it has) are not 0, 1 or -1, or whose
    Confidence (if it has one) is not a number in [0, 1], naming the column."""
    for col in FLAG_COLUMNS:
        value = row.get(col)
        if value is not None and value.strip() not in _FLAG_VALUES:
            raise bad(f"{col} must be 0, 1 or -1 (unknown), got {value!r}"[:200], f"{field}.{col}")
    if row.get("Confidence") is not None:
        confidence(row["Confidence"], f"{field}.Confidence")


def confidence(value: str, field: str) -> float:
    """A Confidence cell: a number in [0, 1] (human-verified labels: 0 absent, 1 present)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not 0.0 <= number <= 1.0:  # NaN fails too
        raise bad(f"Confidence must be a number in [0, 1], got {value!r}"[:200], field)
    return number


def _key(label: str, xyxy: tuple[float, float, float, float]) -> tuple[str, tuple[float, ...]]:
    """A box as the relationship file and the box file both write it (6 decimals)."""
    return label, tuple(round(v, 6) for v in xyxy)


def _scene(ctx: ReadContext, image_id: str, boxes: Rows, labels: Rows, relations: Rows,
           name_of: Callable[[str], str], sources: tuple[str, str]) -> Scene:
    """One image's scene; `sources` (labels file, relationships file) name the file a bad row of
    a side file is reported under."""
    labels_file, relations_file = sources
    width, height = ctx.image_size_of(None, None, [f"{image_id}.jpg", f"{image_id}.png"])
    parts = SceneParts(ctx)
    by_key: dict[tuple[str, tuple[float, ...]], str] = {}
    crowd_ids: set[str] = set()
    boxed: set[str] = set()
    added: set[str] = set()  # classes with an object only the relationship file names

    def add(oid: str, label: str, xyxy: tuple[float, float, float, float], field: str, source: str | None) -> None:
        x0, y0, x1, y1 = xyxy

        def build() -> dict[str, Any]:
            try:
                return {"name": ctx.name(name_of(label), f"{field}.LabelName"), "attributes": [],
                        "box": ctx.box_xyxy([x0 * width, y0 * height, x1 * width, y1 * height],
                                            width, height, f"{field}.box")}
            except SceneValidationError as exc:
                raise exc.located(source) from None

        parts.add(oid, build, field)

    unsure: set[str] = set()  # classes with a box row refused: no longer complete
    depicted: set[Any] = set()  # keys of the boxes left out as depictions: their relations too
    for line, row in boxes:
        field, label = f"line {line}", row["LabelName"].strip()
        try:
            check_row(row, field)
            xyxy = coordinates(row, "", field)
        except SceneValidationError as exc:
            ctx.drop(exc, "object")
            unsure.add(label)
            continue
        if row.get("IsDepiction", "").strip() == "1":
            # a drawing, toy or statue of the class: left out, as "How many dogs?" over a real dog
            # and a toy one has no one answer; its class is then no longer annotated in full, so
            # it is neither counted nor named alone ("the dog"), nor said absent
            ctx.report.count(DEPICTIONS_LEFT_OUT)
            unsure.add(label)
            depicted.add(_key(label, xyxy))
            continue
        oid = f"{label}@{line}"
        add(oid, label, xyxy, field, None)
        if oid in parts:
            by_key.setdefault(_key(label, xyxy), oid)
            boxed.add(label)
            if row["IsGroupOf"].strip() == "1":
                crowd_ids.add(oid)
        else:  # dropped (its name or box refused): reported by `parts.add`
            unsure.add(label)

    def end(row: dict[str, str], k: str, field: str) -> str | None:
        """The object at a relationship's end k, added when no box has it; None for a depiction."""
        label = (row.get(f"LabelName{k}") or "").strip()
        xyxy = coordinates(row, k, field)
        if _key(label, xyxy) in depicted:
            return None
        oid = by_key.get(_key(label, xyxy))
        if oid is None:
            oid = by_key[_key(label, xyxy)] = f"{label}@relationships {field}"
            add(oid, label, xyxy, field, relations_file)
            added.add(label)
        return oid

    for line, row in relations:
        field = f"line {line}"
        try:
            subject = end(row, "1", field)
            if subject is None:
                ctx.report.count(DEPICTION_RELATIONS_LEFT_OUT)
                continue
            relation = (row.get("RelationshipLabel") or "").strip()
            if subject not in parts:  # dropped (reported): what this row says of it goes with it, counted
                ctx.repair("attributes_dropped_with_object" if relation == "is" else "relations_dropped_with_object")
                continue
            if relation == "is":
                target = parts.rows[parts.index[subject]]
                value = (row.get("LabelName2") or "").strip()
                target["attributes"] += ctx.attributes([name_of(value)], f"{field}.LabelName2")
                continue
            ctx.predicate(relation, f"{field}.RelationshipLabel")  # a bad one is named in its file
            obj = end(row, "2", field)
        except SceneValidationError as exc:
            ctx.drop(exc.located(relations_file), "relation")
            continue
        if obj is None:
            ctx.report.count(DEPICTION_RELATIONS_LEFT_OUT)
            continue
        parts.relate(subject, relation, obj, field)

    complete = boxed - added - unsure
    for line, row in labels:
        try:
            verified = confidence(row["Confidence"], f"line {line}.Confidence")
        except SceneValidationError as exc:
            ctx.drop(exc.located(labels_file), "object")
            continue
        label = row["LabelName"].strip()
        if verified == 0 and label not in boxed and label not in added and label not in unsure:
            complete.add(label)  # verified absent (and no object of it here says otherwise)
    names = sorted({ctx.name(name_of(label), "LabelName") for label in complete})
    crowd = [parts.index[oid] for oid in parts.ids if oid in crowd_ids]
    return parts.scene(image_id, width, height, image=f"{image_id}.jpg", meta={"crowd": crowd, "exhaustive": names})


def read_boxes(path: Path, ctx: ReadContext, name_of: Callable[[str], str], *,
               labels: str | os.PathLike[str] | None, relationships: str | os.PathLike[str] | None,
               relationship_columns: tuple[str, ...]) -> Iterator[Scene]:
    """Scenes of an Open Images box file (see the module docstring)."""
    in_order = _sorted_by_image(path)
    side_labels = (_InStep(Path(labels), LABEL_COLUMNS, ctx, in_order, "object")
                   if labels is not None else None)
    side_relations = (_InStep(Path(relationships), relationship_columns, ctx, in_order, "relation")
                      if relationships is not None else None)
    broken: set[str] = set()
    try:
        yield from _scenes(path, ctx, name_of, in_order, side_labels, side_relations, broken)
        if not broken:  # a box file refused or cut short is reported already: not its side rows
            for side in (side_labels, side_relations):
                if side is not None:
                    side.finish()
    finally:
        for side in (side_labels, side_relations):
            if side is not None:
                side.close()


def _scenes(path: Path, ctx: ReadContext, name_of: Callable[[str], str], in_order: bool,
            side_labels: _InStep | None, side_relations: _InStep | None, broken: set[str]) -> Iterator[Scene]:
    sources = (side_labels.source if side_labels is not None else "",
               side_relations.source if side_relations is not None else "")
    for image_id, boxes in groups(path, BOX_COLUMNS, ctx, in_order, broken):
        label_rows = side_labels.take(image_id) if side_labels is not None else []
        relation_rows = side_relations.take(image_id) if side_relations is not None else []

        def build(image_id: str = image_id, boxes: Rows = boxes, label_rows: Rows = label_rows,
                  relation_rows: Rows = relation_rows) -> Scene:
            return _scene(ctx, image_id, boxes, label_rows, relation_rows, name_of, sources)

        scene = ctx.scene(image_id, build)
        if scene is not None:
            yield scene
