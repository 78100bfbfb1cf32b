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

import csv
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


def not_utf8(row: dict[str, Any]) -> str | None:
    """The reject reason of a CSV row read with ``errors="surrogateescape"`` that holds bytes
    that are not UTF-8 (each became a lone surrogate), else None: that row is refused, the file
    read on (a strict decoder would end the whole run at it)."""
    for column, cell in row.items():
        text = cell if isinstance(cell, str) else " ".join(map(str, cell or ()))
        bad_chars = [c for c in text if "\udc80" <= c <= "\udcff"]
        if bad_chars:
            return (f"{column or 'a column'} is not UTF-8 text (byte 0x{ord(bad_chars[0]) - 0xDC00:02x}): "
                    "the CSV must be saved as UTF-8")
    return None


def _rows(path: Path, columns: tuple[str, ...], ctx: ReadContext,
          broken: set[str] | None = None) -> Iterator[tuple[str, int, dict[str, str]]]:
    """(ImageID, line, row) of a CSV. A file without `columns`, or one that stops part-way, is a
    file-level reject (its path added to `broken`); a malformed row is reported and skipped."""
    archives.require_file(path)  # on disk, or a file inside a zip archive
    with open_text(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            _broken(broken, path)
            ctx.file_error(bad(f"CSV header lacks column(s) {', '.join(missing)}", "header"), str(path))
            return
        try:
            for row in reader:
                image_id = (row.get("ImageID") or "").strip()
                if not image_id or None in row or any(row.get(c) is None for c in columns):
                    ctx.reject(f"line {reader.line_num}",
                               bad("malformed row (missing ImageID or wrong number of columns)").located(str(path)))
                    continue
                encoding = not_utf8(row)
                if encoding is not None:
                    ctx.reject(f"line {reader.line_num}", bad(encoding).located(str(path)))
                    continue
                yield image_id, reader.line_num, row
        except csv.Error as exc:
            _broken(broken, path)
            ctx.file_error(bad(f"malformed CSV at line {reader.line_num}: {exc}"), str(path))
        except READ_ERRORS as exc:
            if not data_error(exc):
                raise  # the system's error (a disk), not the data's
            _broken(broken, path)
            ctx.file_error(bad(f"{unreadable(path, exc)} (it stops after line {reader.line_num})"), str(path))


def _broken(broken: set[str] | None, path: Path) -> None:
    if broken is not None:
        broken.add(str(path))


def _spooled(path: Path, columns: tuple[str, ...], ctx: ReadContext, broken: set[str] | None = None) -> GroupedSpool:
    """Every row of the file grouped by ImageID in a temporary file (`_spool`)."""
    spool = GroupedSpool()
    for image_id, line, row in _rows(path, columns, ctx, broken):
        spool.add(image_id, (line, row))
    return spool


def groups(path: Path, columns: tuple[str, ...], ctx: ReadContext,
           streamed: bool | None = None, broken: set[str] | None = None) -> Iterator[tuple[str, Rows]]:
    """(ImageID, [(line, row)]) of a CSV, one image at a time: streamed when the file is sorted
    by ImageID (`streamed`, checked when None), else grouped in a temporary file first, in order
    of first appearance."""
    if streamed is None:
        streamed = _sorted_by_image(path) if archives.is_file(path) else True
    if not streamed:
        spool = _spooled(path, columns, ctx, broken)
        try:
            for image_id, _ in spool.remaining():
                yield image_id, spool.pop(image_id)
        finally:
            spool.close()
        return
    current, rows = "", []
    for image_id, line, row in _rows(path, columns, ctx, broken):
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
    grouped in a temporary file first. Rows of an image the main file does not have are reported
    (`report_unasked`, `finish`), never dropped silently."""

    def __init__(self, path: Path, columns: tuple[str, ...], ctx: ReadContext, asked_in_order: bool,
                 level: str) -> None:
        archives.require_file(path)
        self.path, self._ctx, self._level = path, ctx, level
        self._in_step = asked_in_order and _sorted_by_image(path)
        self._spool = None if self._in_step else _spooled(path, columns, ctx)
        self._groups = groups(path, columns, ctx, True) if self._in_step else iter(())
        self._next = next(self._groups, None)

    @property
    def source(self) -> str:
        return str(self.path)

    def take(self, image_id: str) -> Rows:
        if self._spool is not None:
            return self._spool.pop(image_id)
        while self._next is not None and self._next[0] < image_id:
            self.report_unasked(*self._next)
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == image_id:
            rows, self._next = self._next[1], next(self._groups, None)
            return rows
        return []

    def finish(self) -> None:
        """Report the rows of every image the main file never asked for (once it has ended)."""
        if self._spool is not None:
            for image_id, _ in self._spool.remaining():
                self.report_unasked(image_id, self._spool.pop(image_id))
            return
        while self._next is not None:
            self.report_unasked(*self._next)
            self._next = next(self._groups, None)

    def report_unasked(self, image_id: str, rows: Rows) -> None:
        """One reject for an image of this file that the main file has no box for."""
        lines = [line for line, _ in rows]
        shown = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
        error = bad(f"image {image_id!r} has no box in the box file: its {len(lines)} row(s) here "
                    f"(line {shown}) are not read", "ImageID")
        self._ctx.reject(image_id, error.located(self.source), self._level)

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
            if subject not in parts:
                continue
            relation = (row.get("RelationshipLabel") or "").strip()
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
