"""The JSON annotation readers on mutated files: bad input is a reject, never a traceback.

Each format gets a small valid input (2-4 images, every kind of field its reader takes), which
hypothesis mutates: a field anywhere (an image entry, an annotation, an object, a relation, a
category, a box, a polygon or RLE, an attribute list, a synset...) replaced by an arbitrary JSON
value (null, bools, 2**70, 10**400, 1e308, 1e400, which JSON readers take for infinity, empty
strings, lists and objects, nested lists, text for numbers and numbers for text, a lone surrogate
"\\ud800"), a key deleted, a known or unknown key added, a record or object given twice; or a
file's text cut short. Reading must then finish, and:

- every scene read is valid: it is written as a JSONL record (as `convert` writes it) and read back;
- every record is read or rejected: scenes + scene rejects == records, in the reader's unit (COCO
  images, Visual Genome image records, GQA scene graphs, CLEVR scenes, ProVision image ids); and
  for COCO and GQA, every annotation of a scene read is one of its objects, or an object reject;
- every reject is written to the report, naming its file (an input file) and record, with a reason
  of the reader's own (not `ReadContext.scene`'s "malformed record (TypeError: ...)" catch-all,
  which names no field);
- in strict mode, the first reject is raised as a SceneValidationError naming the file.

`settings(max_examples=...)` is kept small here; a hunt for bugs runs thousands.
"""

from __future__ import annotations

import copy
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veriscene.errors import SceneValidationError
from veriscene.io.readers import read
from veriscene.io.rejects import KEPT_RECORD_LEVELS, RejectReport
from veriscene.scene.jsonl import dumps_scene, loads_line, scene_from_dict
from veriscene.scene.model import Scene

from .fuzz_inputs import CASES, INFINITE, Case

# ---- mutations ------------------------------------------------------------------------------

_NUMBERS = st.sampled_from([0, 1, -1, 2**31, 2**63, 2**64, 2**70, -(2**70), 10**400, 1e308, -1e308, 5e-324,
                            -0.0, 0.5, 1e-300, INFINITE])
_TEXTS = st.sampled_from(["", " ", "0", "1", "3", "man", "and", "Dogs", "ON", "man.n.01", "a/b.jpg", "/", "..",
                          "http://[x/a.jpg", "\x00", "\ud800"])  # a lone surrogate: no UTF-8 file holds it
_SCALARS = (st.none() | st.booleans() | _NUMBERS | st.integers() | _TEXTS | st.text(max_size=6)
            | st.floats(allow_nan=False, allow_infinity=False))
_JSON = st.recursive(
    _SCALARS | st.lists(_NUMBERS | st.integers(-50, 50), max_size=8),  # box- and polygon-like lists
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4) | _TEXTS, inner, max_size=3),
    max_leaves=8,
)

Place = tuple[Any, ...]  # where a value is: its file's name, then keys and list indices


def _places(files: dict[str, Any]) -> list[Place]:
    """Every value of every file (a .jsonl file's lines, not the file's list of them)."""
    out: list[Place] = []

    def walk(value: Any, place: Place) -> None:
        out.append(place)
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, inner in items:
            walk(inner, (*place, key))

    for name, doc in files.items():
        if name.endswith(".jsonl"):
            for k, line in enumerate(doc):
                walk(line, (name, k))
        else:
            walk(doc, (name,))
    return out


@dataclass(frozen=True)
class Mutation:
    # "replace"; "delete" (a key or list element); "add" (a key, or a list element); "copy" (the
    # value again, after the last of its list or under another key: a record or object twice)
    action: str
    place: Place
    key: str = ""
    value: Any = None


@st.composite
def _mutation(draw: st.DrawFn, case: Case) -> Mutation:
    place = draw(st.sampled_from(_places(case.files())))
    action = draw(st.sampled_from(["replace", "replace", "delete", "add", "copy"]))
    key = draw(st.sampled_from([*case.keys, "extra", ""]))
    return Mutation(action, place, key, draw(_JSON))


def _apply(files: dict[str, Any], mutation: Mutation) -> None:
    """Apply `mutation` where its place still is (an earlier mutation may have moved it)."""
    parent: Any = files
    for step in mutation.place[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
        if not isinstance(parent, (dict, list)):
            return
    last = mutation.place[-1]
    if isinstance(parent, list) and not (isinstance(last, int) and last < len(parent)) or \
            isinstance(parent, dict) and last not in parent:
        return
    if mutation.action == "replace":
        parent[last] = mutation.value
    elif mutation.action == "delete" and (isinstance(parent, list) or len(mutation.place) > 1):
        del parent[last]
    elif mutation.action == "copy" and len(mutation.place) > 1:
        if isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        else:
            parent.setdefault(mutation.key, copy.deepcopy(parent[last]))
    elif mutation.action == "add":
        target = parent[last]
        if isinstance(target, dict):
            target.setdefault(mutation.key, mutation.value)
        elif isinstance(target, list):
            target.append(mutation.value)


def _text(value: Any) -> str:
    return json.dumps(value).replace(json.dumps(INFINITE), "1e400")


def _write(folder: Path, files: dict[str, Any]) -> None:
    folder.mkdir()
    for name, doc in files.items():
        lines = [_text(line) for line in doc] if name.endswith(".jsonl") else [_text(doc)]
        (folder / name).write_text("\n".join(lines) + "\n")


def _written(folder: Path, files: dict[str, Any]) -> dict[str, Any]:
    """The files as written, read back (1e400 an infinity, as the readers take it)."""
    text = {name: (folder / name).read_text() for name in files}
    return {name: [json.loads(line) for line in text[name].splitlines() if line] if name.endswith(".jsonl")
            else json.loads(text[name]) for name in files}


# ---- the property ---------------------------------------------------------------------------

CATCH_ALL = "malformed record ("  # `ReadContext.scene`'s reason for an exception no check foresaw


def _read(folder: Path, case: Case, **options: Any) -> tuple[list[Scene], RejectReport]:
    """The scenes and rejects of the input in `folder`; the rejects are written beside it, as a
    run writes them (a reject that cannot be written would end the run)."""
    path = folder / case.target if case.target else folder
    with RejectReport(folder.parent / "rejects.jsonl") as report:
        return list(read(path, case.fmt, report=report, **case.options, **options)), report


def check_reading(folder: Path, case: Case, files: dict[str, Any], garbled: bool = False,
                  drop_bad_parts: bool = False) -> None:
    """The property, on `files` written in `folder` (`garbled`: one of them cut short)."""
    scenes, report = _read(folder, case, drop_bad_parts=drop_bad_parts)
    names = {str(folder / name) for name in files}
    for entry in report.entries:
        assert entry.file in names, entry
        assert entry.record is not None or entry.level == "file", entry
        assert entry.reason and not entry.reason.startswith(CATCH_ALL), entry
    for scene in scenes:
        assert isinstance(scene, Scene)
        again = scene_from_dict(loads_line(dumps_scene(scene)))
        assert (again.image_id, len(again), again.relations) == (scene.image_id, len(scene), scene.relations)
    if garbled:
        assert report.rejected["file"] >= 1
    else:
        files = _written(folder, files)
        expected = case.records(files)
        if expected is None:
            assert scenes == [] and report.rejected["file"] >= 1, report.entries
        else:
            assert len(scenes) + report.rejected["scene"] == expected, report.entries
        for scene in scenes if case.objects is not None else ():
            dropped = sum(e.level == "object" and e.record == scene.image_id for e in report.entries)
            assert len(scene) + dropped == case.objects(files, scene.image_id), (scene.image_id, report.entries)
    try:
        strict = _read(folder, case, strict=True, drop_bad_parts=drop_bad_parts)[0]
    except SceneValidationError as exc:
        assert report.total and exc.source in names, exc
    else:  # (a part left out of a record kept, a "mask" reject, is never raised: KEPT_RECORD_LEVELS)
        kept = sum(report.rejected[level] for level in KEPT_RECORD_LEVELS)
        assert report.total == kept and len(strict) == len(scenes), report.entries


@pytest.mark.parametrize("name", CASES)
def test_the_valid_inputs_read_without_rejects(name: str) -> None:
    case = CASES[name]
    files = case.files()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "input")
        _write(folder, files)
        scenes, report = _read(folder, case)
    assert report.entries == [] and len(scenes) == case.records(files) and sum(map(len, scenes)) >= 2


@pytest.mark.parametrize("name", CASES)
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_inputs_are_read_or_rejected(name: str, data: st.DataObject) -> None:
    case = CASES[name]
    files = copy.deepcopy(case.files())
    for mutation in data.draw(st.lists(_mutation(case), min_size=1, max_size=3), label="mutations"):
        _apply(files, mutation)
    drop_bad_parts = data.draw(st.booleans(), label="drop_bad_parts")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "input")
        _write(folder, files)
        garbled = data.draw(st.booleans(), label="cut short") and data.draw(st.booleans()) and _cut_short(folder, data)
        check_reading(folder, case, files, garbled=garbled, drop_bad_parts=drop_bad_parts)


def _cut_short(folder: Path, data: st.DataObject) -> bool:
    """Cut one JSON file of `folder` short: whether it is no longer JSON (a file-level reject; the
    other files, and the records before the cut of a file read record by record, are read)."""
    path = data.draw(st.sampled_from(sorted(folder.glob("*.json"))), label="file cut short")
    text = path.read_text()
    cut = data.draw(st.integers(0, len(text) - 2), label="cut at")
    try:
        json.loads(text[:cut])
    except ValueError:
        path.write_text(text[:cut])
        return True
    return False  # still JSON (a number cut to a shorter one)


def _set_gqa(files: dict[str, Any], value: Any) -> None:
    graphs = files["val_sceneGraphs.json"]
    graphs[next(iter(graphs))]["objects"]["1"]["relations"] = value


def _set_clevr(files: dict[str, Any], value: Any) -> None:
    files["CLEVR_val_scenes.json"]["scenes"][0]["relationships"] = value


def _set_provision(files: dict[str, Any], value: Any) -> None:
    files["image-relations-annotations.jsonl"][0]["img1"]["annotation"]["relations"] = value


def _set_lvis(files: dict[str, Any], value: Any) -> None:
    files["instances.json"]["images"][0]["neg_category_ids"] = value


_EMPTY_FIELDS = [("gqa", _set_gqa, "relations"), ("clevr", _set_clevr, "relationships"),
                 ("provision", _set_provision, "relations"), ("coco", _set_lvis, "neg_category_ids")]


# (CLEVR's relationships are an object: {} is none there)
@pytest.mark.parametrize(("name", "put", "field", "value"), [
    (*where, value) for where in _EMPTY_FIELDS for value in (0, "", False, {}) if (where[0], value) != ("clevr", {})])
def test_an_empty_value_of_another_type_is_a_reject(tmp_path: Path, name: str, put: Any, field: str,
                                                    value: Any) -> None:
    """`x or []` read 0, "", false and {} as "none": the field's wrong type went unsaid."""
    case = CASES[name]
    files = case.files()
    put(files, value)
    _write(tmp_path / "in", files)
    _, report = _read(tmp_path / "in", case)
    assert any(field in (r.field or "") for r in report.entries), [(r.field, r.reason) for r in report.entries]


@pytest.mark.parametrize(("name", "put", "field"), _EMPTY_FIELDS)
@pytest.mark.parametrize("value", [None, []])
def test_null_and_an_empty_list_are_none(tmp_path: Path, name: str, put: Any, field: str, value: Any) -> None:
    case = CASES[name]
    files = case.files()
    put(files, value)
    _write(tmp_path / "in", files)
    scenes, report = _read(tmp_path / "in", case)
    assert report.total == 0 and scenes
