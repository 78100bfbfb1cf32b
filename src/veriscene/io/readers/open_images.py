"""Open Images visual relationship annotations (CSV); box files are read by `open_images_boxes`.

    ImageID,LabelName1,LabelName2,XMin1,XMax1,YMin1,YMax1,XMin2,XMax2,YMin2,YMax2,RelationshipLabel
    0a1b,/m/01g317,/m/04bcr3,0.1,0.5,0.2,0.9,0.4,0.8,0.6,0.95,at
    0a1b,/m/04bcr3,/m/083vt,0.4,0.8,0.6,0.95,0.4,0.8,0.6,0.95,is

Coordinates are normalised to [0, 1]: they become pixels once the image size is known (from the
image header under `image_root`, named ImageID.jpg, or `image_size`). A row whose relationship is
``is`` gives object 1 the attribute LabelName2. The two ends of a relation are objects identified
by (label, box); the same label and box on several rows is one object.

The file lists only the objects that take part in a relationship: a man beside a guitarist, in
no relationship, is not there. Each scene says so (``meta["exhaustive"]`` empty), and programs
refuse to count any name, to state its absence or to single out "the man"; questions about an
object shown by its box, its relations and attributes stay.

Label ids (/m/...) become names through the class-description tables: `class_names` (one path
or several), else the files in the same folder whose names contain "class-descriptions" or
"attributes-description". Without a table, the label id itself is the name; so it is for a label id
the tables given or found lack, whose ids are counted (`label_ids_not_in_class_table`, each id
once): the questions then say "/m/0xyz", and the summary says how many ids the tables lack.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from veriscene.errors import ReaderOptionError, SceneValidationError
from veriscene.io.readers._stored_pixels import AUTO
from veriscene.io.readers._base import ReadContext, SceneParts, bad
from veriscene.io.readers.open_images_boxes import coordinates, is_boxes_header, not_utf8, read_boxes
from veriscene.scene import archives
from veriscene.scene.compressed import READ_ERRORS, data_error, data_files, open_text, read_errors, unreadable
from veriscene.scene.model import Scene

COLUMNS = (
    "ImageID", "LabelName1", "LabelName2", "XMin1", "XMax1", "YMin1", "YMax1",
    "XMin2", "XMax2", "YMin2", "YMax2", "RelationshipLabel",
)
_TABLE_HINTS = ("class-descriptions", "class_descriptions", "attributes-description", "attributes_description")


# Display names that do not read as the name of one object: the attribute table's "(made of)Textile"
# (a material: "textile") and the class "Luggage and bags" ("a luggage and bag": "a piece of luggage").
_MADE_OF = "(made of)"
_DISPLAY_NAMES = {"luggage and bags": "Luggage"}


def _display_name(raw: str) -> str:
    """'(made of)Leather' -> 'Leather', 'Luggage and bags' -> 'Luggage'; any other as it is."""
    name = raw[len(_MADE_OF):].strip() if raw.lower().startswith(_MADE_OF) else raw
    return _DISPLAY_NAMES.get(name.strip().lower(), name) or raw


def _load_names(paths: Sequence[Path]) -> dict[str, str]:
    names: dict[str, str] = {}
    for path in paths:
        try:
            with open_text(path, encoding="utf-8-sig", newline="") as fh, read_errors(path, "class-name table"):
                for row in csv.reader(fh):
                    if len(row) >= 2 and row[0] and row[0] != "LabelName":
                        names[row[0]] = _display_name(row[1])
        except UnicodeDecodeError as exc:  # the names go into every question: refuse, naming the file
            raise ValueError(f"{path}: class-name table is not UTF-8 text ({exc}); save it as UTF-8") from None
    return names


NOT_IN_TABLE = "label_ids_not_in_class_table"


def _namer(names: dict[str, str], ctx: ReadContext) -> Callable[[str], str]:
    """A label id's name from the class tables; a label id they lack is its own name, and counted
    once (`NOT_IN_TABLE`: how many ids the tables lack) when there is a table (without one, every
    label is named so: said above)."""
    lacking: set[str] = set()

    def name_of(label: str) -> str:
        name = names.get(label)
        if name is None:
            if names and label not in lacking:
                lacking.add(label)
                ctx.report.count(NOT_IN_TABLE)
            return label
        return name
    return name_of


def _table_paths(folder: Path, class_names: Any) -> list[Path]:
    if class_names is None:
        return [p for p in data_files(folder, ".csv") if any(h in p.name for h in _TABLE_HINTS)]
    paths = [class_names] if isinstance(class_names, (str, os.PathLike)) else list(class_names)
    for p in paths:
        if not archives.is_file(p):
            raise FileNotFoundError(f"{p}: class-name table not found")
    return [Path(p) for p in paths]


def _box(ctx: ReadContext, row: dict[str, str], k: str, width: int, height: int, field: str) -> list[float]:
    x0, y0, x1, y1 = coordinates(row, k, field)
    return ctx.box_xyxy([x0 * width, y0 * height, x1 * width, y1 * height], width, height, f"{field}.box{k}")


def _scene(
    ctx: ReadContext, image_id: str, rows: list[tuple[int, dict[str, str]]], name_of: Callable[[str], str]
) -> Scene:
    width, height = ctx.image_size_of(None, None, [f"{image_id}.jpg", f"{image_id}.png"])
    parts = SceneParts(ctx)

    def end(row: dict[str, str], k: str, field: str) -> str:
        label = row.get(f"LabelName{k}") or ""
        box = _box(ctx, row, k, width, height, field)
        oid = f"{label}@" + ",".join(f"{v:.2f}" for v in box)
        if oid not in parts and oid not in parts.dropped:  # one dropped is reported once, at its first row
            parts.add(oid, lambda: {"name": ctx.name(name_of(label), f"{field}.LabelName{k}"),
                                    "box": box, "attributes": []}, field)
        return oid

    for lineno, row in rows:
        field = f"line {lineno}"
        try:
            subject = end(row, "1", field)
            relation = (row.get("RelationshipLabel") or "").strip()
            if subject not in parts:  # dropped (reported): what this row says of it goes with it, counted
                ctx.repair("attributes_dropped_with_object" if relation == "is" else "relations_dropped_with_object")
                continue
            if relation == "is":
                label = row.get("LabelName2") or ""
                target = parts.rows[parts.index[subject]]
                target["attributes"] += ctx.attributes([name_of(label)], f"{field}.LabelName2")
                continue
            obj = end(row, "2", field)
        except SceneValidationError as exc:
            ctx.drop(exc, "relation")
            continue
        parts.relate(subject, relation, obj, field)
    # only the objects in a relationship are listed: no name is annotated in full
    return parts.scene(image_id, width, height, image=f"{image_id}.jpg", meta={"exhaustive": []})


def read_open_images(
    path: str | os.PathLike[str], *, class_names: Any = None, labels: str | os.PathLike[str] | None = None,
    relationships: str | os.PathLike[str] | None = None, drawn_on: str = AUTO,
    **options: Any
) -> Iterator[Scene]:
    """Stream scenes from an Open Images relationship CSV (rows grouped by ImageID), or from a
    box CSV with optional human-verified `labels` and `relationships` files
    (`open_images_boxes`). Boxes are normalised: an image's size and orientation come from its
    file (`image_root`); `drawn_on` "stored" maps them from its stored pixels, "auto" (default)
    and "shown" take them as of the photo shown (`_stored_pixels`)."""
    path = Path(path)
    archives.require_file(path)  # on disk, or a file inside a zip archive
    names = _load_names(_table_paths(path.parent, class_names))
    ctx = ReadContext(path, "open_images", drawn_on=drawn_on, **options)
    try:
        with open_text(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as fh:
            header = next(csv.reader(fh), None)
    except READ_ERRORS as exc:  # compressed, and cut short before its header
        if not data_error(exc):
            raise
        ctx.file_error(bad(unreadable(path, exc)))
        return
    if is_boxes_header(header):
        yield from read_boxes(path, ctx, _namer(names, ctx), labels=labels,
                              relationships=relationships, relationship_columns=COLUMNS)
        return
    if labels is not None or relationships is not None:
        given = "labels" if labels is not None else "relationships"
        raise ReaderOptionError(f"{path}: labels and relationships files go with an Open Images box file "
                                "(ImageID,Source,LabelName,...,IsGroupOf); this is a relationship file",
                                option=given, value=str(labels if labels is not None else relationships))
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
    with open_text(path, encoding="utf-8-sig", newline="", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            ctx.file_error(bad(f"CSV header lacks column(s) {', '.join(missing)}", "header"))
            return
        try:
            for row in reader:
                image_id = (row.get("ImageID") or "").strip()
                if not image_id or None in row or any(row.get(c) is None for c in COLUMNS):
                    ctx.reject(f"line {reader.line_num}", bad("malformed row (missing ImageID or wrong number of columns)"))
                    continue
                encoding = not_utf8(row)
                if encoding is not None:
                    ctx.reject(f"line {reader.line_num}", bad(encoding))
                    continue
                grouped.setdefault(image_id, []).append((reader.line_num, row))
        except csv.Error as exc:
            ctx.file_error(bad(f"malformed CSV at line {reader.line_num}: {exc}"))
        except READ_ERRORS as exc:
            if not data_error(exc):
                raise  # the system's error (a disk), not the data's
            ctx.file_error(bad(f"{unreadable(path, exc)} (it stops after line {reader.line_num})"))
    name_of = _namer(names, ctx)
    for image_id in list(grouped):
        rows = grouped.pop(image_id)
        scene = ctx.scene(image_id, partial(_scene, ctx, image_id, rows, name_of))
        if scene is not None:
            yield scene
