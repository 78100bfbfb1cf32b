"""Label tables of medical segmentation label maps: which structure each label value names.

    read_label_table("dataset.json")   # {1: "liver", 2: "kidney_left"}

Read from a JSON file (``{"1": "liver"}``, nnU-Net v2's ``{"liver": 1}``, or either under
``"labels"`` as in a Medical Segmentation Decathlon `dataset.json`), a CSV/TSV of value,name rows,
or an ITK-SNAP label description. `structure_name` turns a table's name into the words questions
use ("kidney_left" -> "left kidney").
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

import orjson

# the files a label map's folder may name its labels in, looked for in this order
LABEL_TABLE_FILES = ("dataset.json", "labels.json", "labels.csv", "labels.tsv", "labels.txt")
_SIDES = ("left", "right")
_ITK_ROW = re.compile(r"^\s*(\d+)\s+(?:\S+\s+){6}(.+?)\s*$")


def _label_value(raw: Any, where: str) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"{where}: label value {raw!r} is not an integer") from None
    if value < 0:
        raise ValueError(f"{where}: label value {value} is negative")
    return value


class _Table:
    """Label value -> name as a table's rows give them, with where each value was named: a value
    named twice with different names is refused (the last name would win silently)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.names: dict[int, str] = {}
        self._places: dict[int, str] = {}

    def add(self, value: int, name: str, place: str) -> None:
        earlier = self.names.get(value)
        if earlier is not None and earlier != name:
            raise ValueError(f"{self.where}: label value {value} is named twice, {earlier!r} ({self._places[value]}) "
                             f"and {name!r} ({place}); one value must name one structure")
        self.names[value] = name
        self._places.setdefault(value, place)


def _table_from_mapping(mapping: dict[str, Any], where: str) -> dict[int, str]:
    """{"1": "liver"} or nnU-Net v2's {"liver": 1} (a region's list of values is refused)."""
    table = _Table(where)
    for key, value in mapping.items():
        if isinstance(value, str) and not isinstance(key, bool):
            table.add(_label_value(key, where), value, f"key {key!r}")
        elif isinstance(value, int) and not isinstance(value, bool):
            table.add(_label_value(value, where), str(key), f"key {key!r}")
        else:
            raise ValueError(f"{where}: label {key!r} maps to {value!r}; expected a name or one integer value")
    return table.names


def _unquoted(text: str) -> str:
    """An ITK-SNAP label's name without its quotes ("Crohn's lesion" keeps its apostrophe;
    typographic quotes are taken off too)."""
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"\u201c" and text[-1] in "\"\u201d":
        text = text[1:-1]
    return text.strip()


def read_label_table(path: str | os.PathLike[str]) -> dict[int, str]:
    """Label value -> name from a JSON file (``{"1": "liver"}``, ``{"liver": 1}``, or either under
    ``"labels"`` as in a `dataset.json`), a CSV/TSV of value,name rows (a header row is skipped),
    or an ITK-SNAP label description. Background (value 0) is left out. ValueError names the file
    and row at fault."""
    path = Path(path)
    where = str(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{where}: malformed JSON: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("labels"), dict):
            data = data["labels"]
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected {{value: name}} or {{'labels': {{value: name}}}}")
        table = _table_from_mapping(data, where)
    elif path.suffix.lower() in (".csv", ".tsv"):
        rows = _Table(where)
        dialect = "excel-tab" if path.suffix.lower() == ".tsv" else "excel"
        for k, row in enumerate(csv.reader(text.splitlines(), dialect=dialect)):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{where}: row {k + 1}: expected value,name, got {row!r}")
            if k == 0 and not row[0].strip().isdigit():
                continue  # a header
            rows.add(_label_value(row[0], f"{where}: row {k + 1}"), row[1].strip(), f"row {k + 1}")
        table = rows.names
    else:  # ITK-SNAP: IDX R G B A VIS MSH "LABEL"
        rows = _Table(where)
        for k, line in enumerate(text.splitlines()):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            found = _ITK_ROW.match(line)
            if found is None:
                raise ValueError(f"{where}: line {k + 1}: expected 'value R G B A visible mesh \"name\"', got {line!r}")
            rows.add(int(found.group(1)), _unquoted(found.group(2)), f"line {k + 1}")
        table = rows.names
    table.pop(0, None)
    empty = sorted(v for v, name in table.items() if not name.strip())
    if empty:
        raise ValueError(f"{where}: label value {empty[0]} has an empty name")
    return table


def structure_name(raw: str) -> str:
    """'kidney_left' -> 'left kidney', 'adrenal_gland_right' -> 'right adrenal gland': underscores
    become spaces and a trailing side word moves to the front (the reader's normaliser then
    lower-cases and singularises)."""
    words = raw.replace("_", " ").split()
    if len(words) > 1 and words[-1].lower() in _SIDES:
        words = [words[-1], *words[:-1]]
    return " ".join(words)
