"""Open Images box annotations (CSV): every boxed object of an image, with what else is known.

    ImageID,Source,LabelName,Confidence,XMin,XMax,YMin,YMax,IsOccluded,IsTruncated,IsGroupOf,...
    0a1b,xclick,/m/01g317,1,0.1,0.5,0.2,0.9,0,0,0,0,0

Open Images boxes every instance of each class it verified present in an image, so the boxed
classes are complete; a box with ``IsGroupOf`` 1 covers a group of instances and becomes a crowd
region (``meta["crowd"]``). Two optional files add to it, read in step with the boxes (all three
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

import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from veriscene.errors import SceneValidationError
from veriscene.io.readers._base import ReadContext, SceneParts, bad
from veriscene.io.readers._spool import GroupedSpool
from veriscene.scene import archives
from veriscene.scene.compressed import READ_ERRORS, data_error, open_data_file, open_text, unreadable
from veriscene.scene.model import Scene

BOX_COLUMNS = ("ImageID", "LabelName", "XMin", "XMax", "YMin", "YMax", "IsGroupOf")
LABEL_COLUMNS = ("ImageID", "LabelName", "Confidence")
Rows = list[tuple[int, dict[str, str]]]


def is_boxes_header(columns: list[str] | None) -> bool:
    """Whether a CSV header is a box file's (LabelName, not a relationship's LabelName1); the
    columns it lacks are reported when it is read."""
    found = {c.strip() for c in columns or ()}
    return "LabelName" in found and "LabelName1" not in found


def _sorted_by_image(path: Path) -> bool:
    """Whether the rows (after the header) come in ImageID order: one cheap pass over the first column."""
    previous = b""
    with open_data_file(path) as fh:
        try:
            fh.readline()
            for line in fh:
                key = line.split(b",", 1)[0]
                if key < previous:
                    return False
                previous = key
        except READ_ERRORS as exc:  # compressed and cut short: `_rows` reports it where it stops
            if not data_error(exc):
                raise
            return False
    return True


def _rows(path: Path, columns: tuple[str, ...], ctx: ReadContext) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(ImageID, line, row) of a CSV. A file without `columns` is a file-level reject; a malformed
    row is reported and skipped."""
    archives.require_file(path)  # on disk, or a file inside a zip archive
    with open_text(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            ctx.file_error(bad(f"CSV header lacks column(s) {', '.join(missing)}", "header"), str(path))
            return
        try:
            for row in reader:
                image_id = (row.get("ImageID") or "").strip()
                if not image_id or None in row or any(row.get(c) is None for c in columns):
                    ctx.reject(f"{path.name} line {reader.line_num}",
                               bad("malformed row (missing ImageID or wrong number of columns)"))
                    continue
                yield image_id, reader.line_num, row
        except csv.Error as exc:
            ctx.file_error(bad(f"malformed CSV at line {reader.line_num}: {exc}"), str(path))
        except READ_ERRORS as exc:
            if not data_error(exc):
                raise  # the system's error (a disk), not the data's
            ctx.file_error(bad(f"{unreadable(path, exc)} (it stops after line {reader.line_num})"), str(path))


def _spooled(path: Path, columns: tuple[str, ...], ctx: ReadContext) -> GroupedSpool:
    """Every row of the file grouped by ImageID in a temporary file (`_spool`)."""
    spool = GroupedSpool()
    for image_id, line, row in _rows(path, columns, ctx):
        spool.add(image_id, (line, row))
    return spool


def groups(path: Path, columns: tuple[str, ...], ctx: ReadContext,
           streamed: bool | None = None) -> Iterator[tuple[str, Rows]]:
    """(ImageID, [(line, row)]) of a CSV, one image at a time: streamed when the file is sorted
    by ImageID (`streamed`, checked when None), else grouped in a temporary file first, in order
    of first appearance."""
    if streamed is None:
        streamed = _sorted_by_image(path) if archives.is_file(path) else True
    if not streamed:
        spool = _spooled(path, columns, ctx)
        try:
            for image_id, _ in spool.remaining():
                yield image_id, spool.pop(image_id)
        finally:
            spool.close()
        return
    current, rows = "", []
    for image_id, line, row in _rows(path, columns, ctx):
        if image_id != current and rows:
            yield current, rows
            rows = []
        current = image_id
        rows.append((line, row))
    if rows:
        yield current, rows


class _InStep:
    """The rows of a side file for one image at a time. Read in step with the main file when
    both are sorted by ImageID (`asked_in_order`: the main file asks in that order), else
    grouped in a temporary file first."""

    def __init__(self, path: Path, columns: tuple[str, ...], ctx: ReadContext, asked_in_order: bool) -> None:
        archives.require_file(path)
        self._in_step = asked_in_order and _sorted_by_image(path)
        self._spool = None if self._in_step else _spooled(path, columns, ctx)
        self._groups = groups(path, columns, ctx, True) if self._in_step else iter(())
        self._next = next(self._groups, None)

    def take(self, image_id: str) -> Rows:
        if self._spool is not None:
            return self._spool.pop(image_id)
        while self._next is not None and self._next[0] < image_id:
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == image_id:
            rows, self._next = self._next[1], next(self._groups, None)
            return rows
        return []

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


def coordinates(row: dict[str, str], suffix: str, field: str) -> tuple[float, float, float, float]:
    """(XMin, YMin, XMax, YMax) of a row, normalised; `suffix` '1'/'2' for a relationship's ends."""
    values = []
    for col in (f"XMin{suffix}", f"YMin{suffix}", f"XMax{suffix}", f"YMax{suffix}"):
        try:
            values.append(float(row[col]))
        except (TypeError, ValueError):
            raise bad(f"{col} must be a number in [0, 1], got {row.get(col)!r}", f"{field}.{col}") from None
    x0, y0, x1, y1 = values
    return x0, y0, x1, y1


def _key(label: str, xyxy: tuple[float, float, float, float]) -> tuple[str, tuple[float, ...]]:
    """A box as the relationship file and the box file both write it (6 decimals)."""
    return label, tuple(round(v, 6) for v in xyxy)


def _scene(ctx: ReadContext, image_id: str, boxes: Rows, labels: Rows, relations: Rows,
           name_of: Callable[[str], str]) -> Scene:
    width, height = ctx.image_size_of(None, None, [f"{image_id}.jpg", f"{image_id}.png"])
    parts = SceneParts(ctx)
    by_key: dict[tuple[str, tuple[float, ...]], str] = {}
    crowd_ids: set[str] = set()
    boxed: set[str] = set()
    added: set[str] = set()  # classes with an object only the relationship file names

    def add(oid: str, label: str, xyxy: tuple[float, float, float, float], field: str) -> None:
        x0, y0, x1, y1 = xyxy
        parts.add(oid, lambda: {"name": ctx.name(name_of(label), f"{field}.LabelName"), "attributes": [],
                                "box": ctx.box_xyxy([x0 * width, y0 * height, x1 * width, y1 * height],
                                                    width, height, f"{field}.box")}, field)

    for line, row in boxes:
        field, label = f"line {line}", row["LabelName"].strip()
        try:
            xyxy = coordinates(row, "", field)
        except SceneValidationError as exc:
            ctx.drop(exc, "object")
            continue
        oid = f"{label}@{line}"
        add(oid, label, xyxy, field)
        if oid in parts:
            by_key.setdefault(_key(label, xyxy), oid)
            boxed.add(label)
            if row["IsGroupOf"].strip() == "1":
                crowd_ids.add(oid)

    def end(row: dict[str, str], k: str, field: str) -> str:
        label = (row.get(f"LabelName{k}") or "").strip()
        xyxy = coordinates(row, k, field)
        oid = by_key.get(_key(label, xyxy))
        if oid is None:
            oid = by_key[_key(label, xyxy)] = f"{label}@relationships {field}"
            add(oid, label, xyxy, field)
            added.add(label)
        return oid

    for line, row in relations:
        field = f"relationships line {line}"
        try:
            subject = end(row, "1", field)
            if subject not in parts:
                continue
            relation = (row.get("RelationshipLabel") or "").strip()
            if relation == "is":
                target = parts.rows[parts.index[subject]]
                value = (row.get("LabelName2") or "").strip()
                target["attributes"] += ctx.attributes([name_of(value)], f"{field}.LabelName2")
                continue
            parts.relate(subject, relation, end(row, "2", field), field)
        except SceneValidationError as exc:
            ctx.drop(exc, "relation")

    complete = boxed - added
    for line, row in labels:
        try:
            verified = float(row["Confidence"])
        except (TypeError, ValueError):
            ctx.drop(bad(f"Confidence must be 0 or 1, got {row['Confidence']!r}", f"labels line {line}.Confidence"),
                     "object")
            continue
        label = row["LabelName"].strip()
        if verified == 0 and label not in boxed and label not in added:
            complete.add(label)  # verified absent (and no object of it here says otherwise)
    names = sorted({ctx.name(name_of(label), "LabelName") for label in complete})
    crowd = [parts.index[oid] for oid in parts.ids if oid in crowd_ids]
    return parts.scene(image_id, width, height, image=f"{image_id}.jpg", meta={"crowd": crowd, "exhaustive": names})


def read_boxes(path: Path, ctx: ReadContext, name_of: Callable[[str], str], *,
               labels: str | os.PathLike[str] | None, relationships: str | os.PathLike[str] | None,
               relationship_columns: tuple[str, ...]) -> Iterator[Scene]:
    """Scenes of an Open Images box file (see the module docstring)."""
    in_order = _sorted_by_image(path)
    side_labels = _InStep(Path(labels), LABEL_COLUMNS, ctx, in_order) if labels is not None else None
    side_relations = (_InStep(Path(relationships), relationship_columns, ctx, in_order)
                      if relationships is not None else None)
    try:
        yield from _scenes(path, ctx, name_of, in_order, side_labels, side_relations)
    finally:
        for side in (side_labels, side_relations):
            if side is not None:
                side.close()


def _scenes(path: Path, ctx: ReadContext, name_of: Callable[[str], str], in_order: bool,
            side_labels: _InStep | None, side_relations: _InStep | None) -> Iterator[Scene]:
    for image_id, boxes in groups(path, BOX_COLUMNS, ctx, in_order):
        label_rows = side_labels.take(image_id) if side_labels is not None else []
        relation_rows = side_relations.take(image_id) if side_relations is not None else []

        def build(image_id: str = image_id, boxes: Rows = boxes, label_rows: Rows = label_rows,
                  relation_rows: Rows = relation_rows) -> Scene:
            return _scene(ctx, image_id, boxes, label_rows, relation_rows, name_of)

        scene = ctx.scene(image_id, build)
        if scene is not None:
            yield scene
