"""Label tables of medical segmentation label maps: which structure each label value names.

    read_label_table("dataset.json")   # {1: "liver", 2: "kidney_left"}

The tables medical users have, told by suffix and first row:
- JSON: ``{"1": "liver"}``, nnU-Net v2's ``{"liver": 1}``, either under ``"labels"`` as in a
  Medical Segmentation Decathlon `dataset.json`, or a list of rows ``[{"value": 1, "name": "liver"}]``;
- CSV / TSV (``.csv``, ``.tsv``, or a ``.txt`` of comma- or tab-separated rows): with a header,
  the value and name columns are found by name (``value``/``id``/``index``/``LabelValue``...,
  ``name``/``structure``/``description``...), so 3D Slicer's CSV colour tables (``LabelValue,Name,
  Color_R,...``, a missing Name given by its ``Type_CodeMeaning``) and BIDS ``dseg.tsv`` files
  (``index, name, ...``) read as they are; without one, rows are ``value,name``;
- ITK-SNAP label descriptions: ``value R G B A visible mesh "name"``;
- 3D Slicer colour tables (``.ctbl``, ``.txt``) and FreeSurfer lookup tables
  (``FreeSurferColorLUT.txt``): ``value name R G B [A]``, the name one word whose words are
  joined by underscores (Slicer) or hyphens (FreeSurfer: "Left-Cerebral-White-Matter").

A bad row raises ValueError naming the file and row (or line). `structure_name` turns a table's
name into the words questions use ("kidney_left" -> "left kidney", "rib_left_3" -> "left third
rib", "vertebrae_L1" -> "first lumbar vertebra").
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from veriscene.errors import DataError
from veriscene.io.readers._json_load import parse_json

# the files a label map's folder may name its labels in, looked for in this order
LABEL_TABLE_FILES = ("dataset.json", "labels.json", "labels.csv", "labels.tsv", "labels.txt", "labels.ctbl")
_SIDES = ("left", "right")
# ITK-SNAP: IDX R G B A VIS MSH "LABEL" (A may be fractional)
_ITK_ROW = re.compile(r"^\s*(\d+)\s+(?:\S+\s+){6}(.+?)\s*$")
# 3D Slicer colour table, FreeSurfer LUT: value name R G B [A]
_COLOUR_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+\d+\s+\d+\s+\d+(?:\s+\d+)?\s*$")
_FORMS = ('ITK-SNAP (value R G B A visible mesh "name"), 3D Slicer or FreeSurfer colour table '
          "(value name R G B A), or comma- or tab-separated value,name")

# header cells (lower case, letters and digits only) naming a table's value and name columns
_VALUE_COLUMNS = ("labelvalue", "value", "labelid", "id", "index", "idx", "no", "number", "intensity")
_NAME_COLUMNS = ("name", "labelname", "structure", "structurename", "description", "labeldescription",
                 "class", "classname", "organ", "region", "tissue", "label")


_MAX_LABEL = 2**64 - 1  # the largest value a label map holds (uint64)


def _label_value(raw: Any, where: str) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise DataError(f"{where}: label value {raw!r} is not an integer") from None
    if value < 0:
        raise DataError(f"{where}: label value {value} is negative")
    if value > _MAX_LABEL:  # it could name no structure: no label map holds it
        raise DataError(f"{where}: label value {value} is past the largest a label map holds (2**64 - 1)")
    return value


class _Table:
    """Label value -> name as a table's rows give them, with where each value was named: a value
    named twice with different names is refused (the last name would win silently)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.names: dict[int, str] = {}
        self._places: dict[int, str] = {}

    def add(self, value: int, name: str, place: str) -> None:
        if value == 0 and not name.strip():  # background needs no name
            return
        if not name.strip():
            raise DataError(f"{self.where}: {place}: label value {value} has an empty name")
        earlier = self.names.get(value)
        if earlier is not None and earlier != name:
            raise DataError(f"{self.where}: label value {value} is named twice, {earlier!r} ({self._places[value]}) "
                             f"and {name!r} ({place}); one value must name one structure")
        self.names[value] = name
        self._places.setdefault(value, place)


# ---- JSON ----------------------------------------------------------------------------------


def _from_json(text: str, where: str) -> _Table:
    """{"1": "liver"}, {"liver": 1}, [{"value": 1, "name": "liver"}], each maybe under "labels".
    Integers are read exact (`parse_json`: orjson reads one of 2**64 or more as a float)."""
    try:
        data = parse_json(text.encode())
    except ValueError as exc:  # orjson's and the standard library's JSONDecodeError
        raise DataError(f"{where}: malformed JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("labels"), (dict, list)):
        data = data["labels"]
    table = _Table(where)
    if isinstance(data, list):
        for k, row in enumerate(data):
            place = f"labels[{k}]"
            if not isinstance(row, dict):
                raise DataError(f"{where}: {place}: expected {{\"value\": 1, \"name\": \"liver\"}}, got {row!r}"[:300])
            columns = {_column_key(key): key for key in row}
            value_key = next((columns[c] for c in _VALUE_COLUMNS if c in columns and c != "label"), None)
            name_key = next((columns[c] for c in _NAME_COLUMNS if c in columns and columns[c] != value_key), None)
            if value_key is None or name_key is None or not isinstance(row[name_key], str):
                raise DataError(f"{where}: {place}: expected a value (value, id or index) and a name, got {row!r}"[:300])
            table.add(_label_value(row[value_key], f"{where}: {place}"), row[name_key], place)
        return table
    if not isinstance(data, dict):
        raise DataError(f"{where}: expected {{value: name}}, {{name: value}} or a list of {{value, name}}, "
                         f"optionally under 'labels'; got {type(data).__name__}")
    for key, value in data.items():
        if isinstance(value, str):
            table.add(_label_value(key, f"{where}: key {key!r}"), value, f"key {key!r}")
        elif isinstance(value, int) and not isinstance(value, bool):
            table.add(_label_value(value, f"{where}: key {key!r}"), str(key), f"key {key!r}")
        else:
            raise DataError(f"{where}: label {key!r} maps to {value!r}; expected a name or one integer value")
    return table


# ---- CSV / TSV -----------------------------------------------------------------------------


def _column_key(cell: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(cell).lower())


def _is_int(cell: str) -> bool:
    return cell.strip().lstrip("-").isdigit()


def _data_rows(rows: list[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number from 1, cells) of the rows that are not blank or # comments."""
    for k, row in enumerate(rows):
        if row and "".join(row).strip() and not row[0].lstrip().startswith("#"):
            yield k + 1, row


def _from_rows(rows: list[list[str]], where: str) -> _Table:
    """Delimited rows: a header row (no cell an integer) names the value and name columns (else
    the first two are value, name)."""
    table = _Table(where)
    data = list(_data_rows(rows))
    value_col, name_col, fallback = 0, 1, None
    if data and not any(_is_int(cell) for cell in data[0][1]):  # a header
        header = [_column_key(cell) for cell in data[0][1]]
        data = data[1:]
        value_col = next((header.index(c) for c in _VALUE_COLUMNS if c in header and c != "label"), -1)
        if value_col < 0 and "label" in header:  # "label,name": the label is the value
            value_col = header.index("label")
        name_col = next((header.index(c) for c in _NAME_COLUMNS if c in header and header.index(c) != value_col), -1)
        if value_col < 0 or name_col < 0:
            value_col, name_col = 0, 1  # a header of other words: value, name by position
        # 3D Slicer's CSV colour tables may leave Name empty and say what a value is in terminology columns
        fallback = [header.index(c) for c in ("typemodifiercodemeaning", "typecodemeaning") if c in header]
    for number, row in data:
        place = f"row {number}"
        if len(row) <= max(value_col, name_col):
            raise DataError(f"{where}: {place}: expected value,name, got {row!r}"[:300])
        name = row[name_col].strip()
        if not name and fallback:
            name = " ".join(row[c].strip() for c in fallback if c < len(row) and row[c].strip())
        table.add(_label_value(row[value_col], f"{where}: {place}"), name, place)
    return table


# ---- colour tables: ITK-SNAP, 3D Slicer, FreeSurfer ----------------------------------------


def _unquoted(text: str) -> str:
    """An ITK-SNAP label's name without its quotes ("Crohn's lesion" keeps its apostrophe;
    typographic quotes are taken off too)."""
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"\u201c" and text[-1] in "\"\u201d":
        text = text[1:-1]
    return text.strip()


def _colour_name(token: str) -> str:
    """A Slicer or FreeSurfer name (one word) in words: Slicer joins words with underscores (which
    `structure_name` reads), FreeSurfer with hyphens ("Left-Cerebral-White-Matter"); a hyphen in
    a name that has underscores is part of a word ("cerebro-spinal_fluid")."""
    return token if "_" in token else token.replace("-", " ")


def _from_lines(text: str, where: str) -> _Table:
    """An ITK-SNAP label description, a Slicer colour table or a FreeSurfer LUT (told by the first
    row; every row must be of its kind), or delimited rows."""
    lines = text.splitlines()
    if any(line.lstrip().lower().startswith("# color procedural file") for line in lines[:5]):
        raise DataError(f"{where}: a 3D Slicer continuous colour scale ('# Color procedural file'), not a "
                         "table of label values and names")
    rows = [(k + 1, line) for k, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        return _Table(where)
    first = rows[0][1]
    if _ITK_ROW.match(first) is None and _COLOUR_ROW.match(first) is None and ("," in first or "\t" in first):
        return _from_rows(list(csv.reader(lines, dialect="excel-tab" if "\t" in first else "excel")), where)
    kind, pattern = ("ITK-SNAP", _ITK_ROW) if _ITK_ROW.match(first) else ("colour table", _COLOUR_ROW)
    expected = ('value R G B A visible mesh "name"' if kind == "ITK-SNAP" else "value name R G B A")
    table = _Table(where)
    for number, line in rows:
        found = pattern.match(line)
        if found is None:
            if number == rows[0][0]:
                raise DataError(f"{where}: line {number}: expected a label table row, one of {_FORMS}; got {line!r}"[:400])
            raise DataError(f"{where}: line {number}: expected '{expected}' as the {kind}'s first row is, "
                             f"got {line!r}"[:400])
        name = _unquoted(found.group(2)) if kind == "ITK-SNAP" else _colour_name(found.group(2))
        table.add(_label_value(found.group(1), f"{where}: line {number}"), name, f"line {number}")
    return table


# ---- reading -------------------------------------------------------------------------------


def _text(path: Path) -> str:
    """The file's text: UTF-8 (a byte order mark skipped), else Latin-1, which tables written by
    Windows tools in their code page usually are (every byte is a Latin-1 character)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_label_table(path: str | os.PathLike[str]) -> dict[int, str]:
    """Label value -> name from a table of any kind the module notes list. Background (value 0)
    is left out. ValueError names the file and row (or line) at fault; a file without one label
    row is refused."""
    path = Path(path)
    where = str(path)
    text = _text(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        table = _from_json(text, where)
    elif suffix in (".csv", ".tsv"):
        table = _from_rows(list(csv.reader(text.splitlines(), dialect="excel-tab" if suffix == ".tsv" else "excel")),
                           where)
    else:
        table = _from_lines(text, where)
    if not table.names:
        raise DataError(f"{where}: no label rows; expected JSON {{value: name}} or {_FORMS}")
    names = dict(table.names)
    names.pop(0, None)
    return names


_HEADER_TABLE_BYTES = 4_000_000  # a label table in a NIfTI header extension larger than this is not read


def nifti_header_table(header: Any, where: str) -> dict[int, str]:
    """Label value -> name from a NIfTI header's extensions: the label table TotalSegmentator's
    multi-label files (``--ml``) and Connectome Workbench write there, a CaretExtension XML of
    ``<Label Key="1" ...>spleen</Label>`` rows ({} when there is none). A table that is not
    well-formed raises ValueError naming `where`."""
    from xml.etree import ElementTree

    for extension in getattr(header, "extensions", ()):
        content = extension.get_content()
        if not isinstance(content, bytes) or b"<LabelTable" not in content[:_HEADER_TABLE_BYTES]:
            continue
        try:
            root = ElementTree.fromstring(content[:_HEADER_TABLE_BYTES].rstrip(b"\0 \n"))
        except ElementTree.ParseError as exc:
            raise DataError(f"{where}: the label table in the NIfTI header is not well-formed XML: {exc}") from None
        table = {}
        for k, row in enumerate(root.iter("Label")):
            value = _label_value(row.get("Key"), f"{where}: header label table, row {k + 1}")
            name = (row.text or "").strip()
            if value and name:
                table[value] = name
        return table
    return {}


# TotalSegmentator's vertebrae ("vertebrae_L1"): the letter of a level is its region of the spine
_SPINE_REGIONS = {"c": "cervical", "t": "thoracic", "l": "lumbar", "s": "sacral"}
_VERTEBRA = re.compile(r"^vertebrae?$", re.IGNORECASE)
_LEVEL = re.compile(r"^([CTLS])(\d{1,2})$", re.IGNORECASE)
# Abbreviations that label tables write as a word (FreeSurfer's "CSF", "WM-hypointensities"),
# said in full: "Is there a csf?" and "wm hypointensities" are no English
_ABBREVIATIONS = {"csf": "cerebrospinal fluid", "wm": "white matter", "gm": "grey matter",
                  "ivc": "inferior vena cava", "svc": "superior vena cava"}
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
             "eleventh", "twelfth")


def _ordinal(n: int) -> str:
    """1 -> 'first', ..., 12 -> 'twelfth' (the ribs, the thoracic vertebrae), then '13th', '21st'."""
    if 1 <= n <= len(_ORDINALS):
        return _ORDINALS[n - 1]
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@functools.lru_cache(maxsize=4096)  # asked per structure and slice: the same few names
def structure_name(raw: str) -> str:
    """'kidney_left' -> 'left kidney', 'adrenal_gland_right' -> 'right adrenal gland': underscores
    become spaces and a trailing side word moves to the front. A number after the side is the
    structure's ordinal, said as an anatomist says it (TotalSegmentator's 'rib_left_3' -> 'left
    third rib', never 'left rib 3', whose plural and article no English has), and a vertebra's
    level too ('vertebrae_L1' -> 'first lumbar vertebra', 'vertebrae_C7' -> 'seventh cervical
    vertebra'). The abbreviations of `_ABBREVIATIONS` are spelt out ('CSF' -> 'cerebrospinal
    fluid'). The reader's normaliser then lower-cases and singularises."""
    words = [_ABBREVIATIONS.get(word.lower(), word) for word in raw.replace("_", " ").split()]
    if len(words) > 1 and words[-1].lower() in _SIDES:
        words = [words[-1], *words[:-1]]
    elif len(words) > 2 and words[-2].lower() in _SIDES and words[-1].isdigit():
        number = int(words[-1])  # (0 is no ordinal: kept after the noun)
        words = [words[-2], _ordinal(number), *words[:-2]] if number else [words[-2], *words[:-2], words[-1]]
    elif len(words) == 2 and _VERTEBRA.match(words[0]) and (level := _LEVEL.match(words[1])) and int(level[2]) > 0:
        words = [_ordinal(int(level[2])), _SPINE_REGIONS[level[1].lower()], "vertebra"]
    return " ".join(words)
