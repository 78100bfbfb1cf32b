"""Scene records fuzzed: valid records with fields replaced, deleted or added, read as JSONL reads them.

`scene_from_dict` either builds a Scene or raises SceneValidationError naming the field at fault
(a path into the record, such as ``objects[2].mask.size``); nothing else may escape it, since a
stray TypeError takes a whole run down where a SceneValidationError is reported and counted. A
record that parses is left as it was, parses again to the same scene, and the scene written and
read back is the same scene, bit for bit.

Values are those orjson decodes (ints within 64 bits, finite floats), as every reader gets them;
`test_python_values_...` adds what only a Python caller can pass (ints past 64 bits, NaN, inf).
"""

from __future__ import annotations

import copy
import re
import warnings
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from veriscene.errors import SceneValidationError
from veriscene.scene.jsonl import scene_from_dict, scene_to_dict
from veriscene.scene.masks import encode_mask
from veriscene.scene.model import RADIOLOGICAL, REGION_KEYS, SPARSE_KINDS, Scene

# kept small for the suite (about a second a test); hunt for bugs with 5000 and derandomize=False
FUZZ_EXAMPLES = 300
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NAMES = ("cup", "red", "traffic light", "x")
PREDICATES = ("left of", "on", "near")
# every key the format knows, for added and replaced keys
KEYS = ("schema_version", "image_id", "width", "height", "image", "objects", "relations", "depth_map",
        "meta", "name", "box", "attributes", "depth", "mask", "size", "counts", *REGION_KEYS, "exhaustive",
        "sparse", "orientation", "plane", "pixel_size_mm")

# ---- JSON values ----------------------------------------------------------------------------

# as orjson decodes them: ints from -2**63 to 2**64 - 1 (larger ones come as floats), finite floats
_INTS = st.integers(-3, 12) | st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, -2**63, 2**64 - 1])
_FLOATS = st.sampled_from([0.0, -0.0, 0.5, 2.0, 1e-45, 1e-320, 3.4e38, 3.5e38, 1e300, -1e300]) | st.floats(
    allow_nan=False, allow_infinity=False)
_TEXTS = st.sampled_from(["", " ", "\n", "red", "attributes", "relations", "sagittal", RADIOLOGICAL, "0d2"]) | st.text(
    max_size=4)
_SCALARS = st.none() | st.booleans() | _INTS | _FLOATS | _TEXTS
# near misses of the valid values: a box, an RLE dict, a relation, a list of indices
_SHAPES = st.sampled_from([[0, 0, 1, 1], [0, 0, 1], [[0, 0, 1, 1]], {"size": [1, 1], "counts": "1"},
                           {"size": [1, 1]}, [0, "on", 1], [[0, "on", 1]], [0, 1], [[0]], [0, 0], {}, [],
                           [0] * 300, "x" * 300])  # and values too long to quote whole
_JSON = st.recursive(
    _SCALARS | _SHAPES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=8,
)
# and what only a Python caller passes: ints past 64 bits, NaN and infinities
_PYTHON = st.sampled_from([2**64, 2**70, -2**70, 10**400, -10**400, float("nan"), float("inf"), float("-inf")])


# ---- valid records --------------------------------------------------------------------------

@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record, as `scene_to_dict` writes one (some optional fields left out)."""
    width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    n = draw(st.integers(0, 4))
    with_masks, with_depth = draw(st.booleans()), draw(st.booleans())
    objects: list[dict[str, Any]] = []
    for _ in range(n):
        x0, y0 = draw(st.integers(0, width - 1)), draw(st.integers(0, height - 1))
        x1, y1 = draw(st.integers(x0 + 1, width)), draw(st.integers(y0 + 1, height))
        obj: dict[str, Any] = {"name": draw(st.sampled_from(NAMES)), "box": [x0, y0, x1, y1]}
        if draw(st.booleans()):
            obj["attributes"] = draw(st.lists(st.sampled_from(("red", "small", "red")), max_size=2))
        if with_depth:
            obj["depth"] = draw(st.floats(width=32, allow_nan=False, allow_infinity=False))
        if with_masks:
            binary = np.zeros((height, width), dtype=bool)
            binary[y0:y1, x0:x1] = True
            obj["mask"] = encode_mask(binary)
        objects.append(obj)
    pairs = [(s, o) for s in range(n) for o in range(n) if s != o]
    relations = [[s, draw(st.sampled_from(PREDICATES)), o]
                 for s, o in draw(st.lists(st.sampled_from(pairs), max_size=3))] if pairs else []
    meta: dict[str, Any] = draw(st.fixed_dictionaries({}, optional={
        "crowd": st.lists(st.integers(0, n - 1), unique=True, max_size=2) if n else st.just([]),
        "stuff": st.lists(st.integers(0, n - 1), unique=True, max_size=2) if n else st.just([]),
        "exhaustive": st.lists(st.sampled_from(NAMES), unique=True, max_size=2),
        "sparse": st.lists(st.sampled_from(SPARSE_KINDS), unique=True),
        "orientation": st.just(RADIOLOGICAL),
        "plane": st.sampled_from(["axial", "coronal", "sagittal"]),
        "pixel_size_mm": st.just([0.8, 5.0]),
        "source": st.text(max_size=3),
    }))
    record: dict[str, Any] = {
        "image_id": draw(st.sampled_from(["s0", "img 1"]) | st.integers(0, 2**63 - 1)),
        "width": width, "height": height, "objects": objects, "relations": relations, "meta": meta,
    }
    for key, value in (("schema_version", st.just(1)), ("image", st.just("images/s0.png")),
                       ("depth_map", st.just("depth/s0.png"))):
        if draw(st.booleans()):
            record[key] = draw(value)
    return record


# ---- mutations ------------------------------------------------------------------------------

Path = tuple[Any, ...]


def _paths(value: Any, path: Path = ()) -> list[Path]:
    """The path of `value` and of everything inside it (dict keys and list indices)."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*path, i))
    return found


def _at(record: Any, path: Path) -> Any:
    for step in path:
        record = record[step]
    return record


def _mutate(draw: st.DrawFn, record: dict[str, Any], values: st.SearchStrategy[Any]) -> None:
    """Replace, delete or add one value somewhere in `record` (in place)."""
    values = values.map(copy.deepcopy)  # not a value `sampled_from` hands out again, changed
    path = draw(st.sampled_from(_paths(record)))
    target = _at(record, path)
    kind = draw(st.sampled_from(["replace", "delete", "add"]))
    if kind == "add" and isinstance(target, (dict, list)):
        if isinstance(target, dict):
            target[draw(st.sampled_from(KEYS) | st.text(max_size=3))] = draw(values)
        else:
            target.insert(draw(st.integers(0, len(target))), draw(values))
    elif path and kind == "delete":
        del _at(record, path[:-1])[path[-1]]
    elif path:
        _at(record, path[:-1])[path[-1]] = draw(values)


@st.composite
def mutated(draw: st.DrawFn, values: st.SearchStrategy[Any] = _JSON) -> dict[str, Any]:
    """A valid record with one to three values replaced, deleted or added."""
    record = copy.deepcopy(draw(records()))
    for _ in range(draw(st.integers(1, 3))):
        _mutate(draw, record, values)
    return record


# ---- checks ---------------------------------------------------------------------------------

_STEP = re.compile(r"\.?([a-z_]+)|\[(\d+)\]")
_RELATION_ROLES = {"subject": 0, "predicate": 1, "object": 2}


def _field_path(field: str) -> Path:
    """``objects[2].mask.size`` -> ("objects", 2, "mask", "size"); a relation's roles as positions."""
    steps: list[Any] = []
    at = 0
    while at < len(field):
        match = _STEP.match(field, at)
        assert match, f"field {field!r} is not a path"
        key, index = match.groups()
        if index is not None:
            steps.append(int(index))
        elif steps and steps[0] == "relations" and len(steps) == 2:
            steps.append(_RELATION_ROLES[key])
        else:
            steps.append(key)
        at = match.end()
    return tuple(steps)


def _assert_names_the_field(error: SceneValidationError, record: dict[str, Any]) -> None:
    """The error names a field of the record, every step but the last there (a missing field is
    named too), in a one-line message of reasonable length."""
    assert error.field, f"no field named: {error}"
    path = _field_path(error.field)
    parent = _at(record, path[:-1])  # a KeyError or IndexError here: the field named is not in the record
    assert isinstance(parent, (dict, list)), f"field {error.field!r}: {parent!r} has no fields"
    assert "\n" not in str(error) and len(error.reason) <= 200, str(error)[:1000]


def _bits(array: np.ndarray | None) -> list[int] | None:
    return None if array is None else array.view(np.uint32).tolist()


def _assert_same(a: Scene, b: Scene) -> None:
    assert (a.image_id, a.width, a.height, a.image, a.depth_map) == (b.image_id, b.width, b.height, b.image,
                                                                    b.depth_map)
    assert a.boxes.dtype == b.boxes.dtype == np.float32 and a.boxes.shape == b.boxes.shape
    assert _bits(a.boxes) == _bits(b.boxes) and _bits(a.depth) == _bits(b.depth)
    assert (a.names, a.attributes, a.relations) == (b.names, b.attributes, b.relations)
    assert a.masks == b.masks and a.meta == b.meta


def _parse(record: dict[str, Any]) -> Scene | None:
    """The scene of `record`, or None after checking the error that it raised names the field."""
    try:
        return scene_from_dict(record)
    except SceneValidationError as error:
        _assert_names_the_field(error, record)
        event("refused", re.sub(r"\[\d+\]", "[k]", str(error.field)))  # --hypothesis-show-statistics
        return None


# ---- properties -----------------------------------------------------------------------------

def _float32(values: Any) -> list[int]:
    return np.asarray(values, dtype=np.float32).view(np.uint32).tolist()


@FUZZ
@given(records())
def test_valid_records_lose_nothing_and_read_back_the_same(record: dict[str, Any]) -> None:
    scene = scene_from_dict(orjson.loads(orjson.dumps(record)))
    written = orjson.loads(orjson.dumps(scene_to_dict(scene)))
    for given_, out in zip(record["objects"], written["objects"], strict=True):
        assert out["name"] == given_["name"] and out["attributes"] == sorted(set(given_.get("attributes", ())))
        assert _float32(out["box"]) == _float32(given_["box"])
        assert _float32(out.get("depth", 0.0)) == _float32(given_.get("depth", 0.0))
        assert out.get("mask") == given_.get("mask")
    assert written["image_id"] == str(record["image_id"])
    for key in ("width", "height", "relations", "meta"):
        assert written[key] == record[key]
    assert (written["image"], written["depth_map"]) == (record.get("image"), record.get("depth_map"))
    _assert_same(scene, scene_from_dict(written))


@pytest.mark.filterwarnings("error")  # 1e300 as float32 is inf, refused without numpy's RuntimeWarning
@FUZZ
@given(mutated())
def test_mutated_records_parse_or_name_the_field(record: dict[str, Any]) -> None:
    record = orjson.loads(orjson.dumps(record))  # as read from a file
    written = orjson.dumps(record)
    scene = _parse(record)
    if scene is None:
        return
    assert orjson.dumps(record) == written  # parsing leaves the record as it was
    _assert_same(scene, scene_from_dict(record))
    _assert_same(scene, scene_from_dict(orjson.loads(orjson.dumps(scene_to_dict(scene)))))


@pytest.mark.filterwarnings("error")  # 1e300 as float32 is inf, refused without numpy's RuntimeWarning
@FUZZ
@given(mutated(_PYTHON | _JSON))
def test_python_values_give_a_scene_or_name_the_field(record: dict[str, Any]) -> None:
    """What orjson cannot decode, passed by a Python caller: a scene or a SceneValidationError."""
    _parse(record)


@pytest.mark.parametrize("record", [None, [], "scene", 3, [{"image_id": "a"}]])
def test_a_record_that_is_no_object_is_refused(record: Any) -> None:
    with pytest.raises(SceneValidationError, match="a scene must be a JSON object"):
        scene_from_dict(record)


# ---- regressions: records the fuzzing found ---------------------------------------------------

def _record(**changes: Any) -> dict[str, Any]:
    """A valid record of two 6x4 objects with masks and depth, with `changes` to its top level or,
    given as ``object_<field>=...``, to its first object."""
    mask = encode_mask(np.ones((4, 6), dtype=bool))
    objects = [{"name": n, "box": [0, 0, 6, 4], "mask": mask, "depth": 0.5} for n in ("cup", "mug")]
    record: dict[str, Any] = {"image_id": "a", "width": 6, "height": 4, "objects": objects,
                              "relations": [[0, "near", 1]], "meta": {}}
    for key, value in changes.items():
        if key.startswith("object_"):
            objects[0][key.removeprefix("object_")] = value
        else:
            record[key] = value
    return record


def test_the_regression_record_is_valid() -> None:
    scene = scene_from_dict(_record())
    assert len(scene) == 2 and scene.masks is not None and scene.depth is not None


def test_null_stands_for_none() -> None:
    scene = scene_from_dict(_record(relations=None, meta=None, object_attributes=None))
    assert scene.relations == () and scene.meta == {} and scene.attributes[0] == ()
    assert scene_from_dict(_record(meta={"crowd": None, "stuff": []})).meta == {"crowd": None, "stuff": []}


@pytest.mark.parametrize(("changes", "field", "text"), [
    # a mask's size not a list raised TypeError ('NoneType' object is not iterable)
    ({"object_mask": {"size": None, "counts": "0d0"}}, "objects[0].mask.size",
     "mask size None does not match image [height, width] [4, 6]"),
    ({"object_mask": {"size": 24, "counts": "0d0"}}, "objects[0].mask.size", "mask size 24 does not match"),
    ({"object_mask": {"size": True, "counts": "0d0"}}, "objects[0].mask.size", "mask size True does not match"),
    ({"object_mask": {"size": "46", "counts": "0d0"}}, "objects[0].mask.size", "mask size '46' does not match"),
    # a relation that is no list was named as "relations", not as the one at fault
    ({"relations": [[0, "near", 1], "1 near 0"]}, "relations[1]", "relation must be [subject, predicate, object]"),
    ({"relations": {"0": [0, "near", 1]}}, "relations", "relations must be a list"),
    # empty values of the wrong type were read as "none" (`or []`): a wrong type is named
    ({"relations": {}}, "relations", "relations must be a list"),
    ({"relations": 0}, "relations", "relations must be a list"),
    ({"object_attributes": ""}, "objects[0].attributes", "expected a list of strings"),
    ({"object_attributes": {}}, "objects[0].attributes", "expected a list of strings"),
    ({"meta": []}, "meta", "meta must be a JSON object"),
    ({"meta": {"crowd": 0}}, "meta.crowd", "crowd must be a list of object indices"),
    ({"meta": {"stuff": ""}}, "meta.stuff", "stuff must be a list of object indices"),
    ({"schema_version": True}, "schema_version", "unknown schema version True"),
    ({"schema_version": 1.0}, "schema_version", "unknown schema version 1.0"),
])
def test_json_records_found_by_fuzzing_name_the_field(changes: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(SceneValidationError) as info:
        scene_from_dict(orjson.loads(orjson.dumps(_record(**changes))))
    assert info.value.field == field and text in str(info.value)


@pytest.mark.parametrize(("changes", "field", "text"), [
    # ints past float64's range raised OverflowError (int too large to convert to float)
    ({"width": 10**400}, "width", "width must be at most 2**64 - 1, got 1000000000"),
    ({"height": 2**64}, "height", "height must be at most 2**64 - 1, got 18446744073709551616"),
    ({"object_box": [0, 0, 10**400, 4]}, "objects[0].box", "box holds an integer of 1329 bits, too large"),
    ({"object_depth": -(10**400)}, "objects[0].depth", "depth holds an integer of 1329 bits, too large"),
])
def test_python_values_found_by_fuzzing_name_the_field(changes: dict[str, Any], field: str, text: str) -> None:
    """What only a Python caller passes (orjson reads no int past 64 bits)."""
    with pytest.raises(SceneValidationError) as info:
        scene_from_dict(_record(**changes))
    assert info.value.field == field and text in str(info.value)


@pytest.mark.parametrize(("changes", "field", "text"), [
    # numpy printed "RuntimeWarning: overflow encountered in cast" before each of these rejects
    ({"object_box": [0, 0, 1e300, 1e300]}, "objects[0].box", "box has non-finite values [0.0, 0.0, inf, inf]"),
    ({"object_box": [-4e38, 0, 6, 4]}, "objects[0].box", "box has non-finite values [-inf, 0.0, 6.0, 4.0]"),
    ({"object_depth": 1e300}, "objects[0].depth", "depth must be finite and within float32's range (±3.4e38), got inf"),
    ({"object_depth": -1e39}, "objects[0].depth", "got -inf"),
    ({"width": 1e300, "object_box": [0, 0, 1e300, 1e300]}, "width", "width must be a positive integer, got 1e+300"),
])
def test_values_past_float32_are_refused_without_a_warning(changes: dict[str, Any], field: str, text: str) -> None:
    record = orjson.loads(orjson.dumps(_record(**changes)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SceneValidationError) as info:
            scene_from_dict(record)
    assert info.value.field == field and text in str(info.value)


def test_values_near_their_limits_are_read_without_a_warning() -> None:
    big = 3.4e38  # a depth just below float32's largest, 3.4028235e38
    record = {"image_id": "a", "width": 2**64 - 1, "height": 2**64 - 1,  # the largest image
              "objects": [{"name": "cup", "box": [0, 0, 1e19, 1.8e19], "depth": big},
                          {"name": "mug", "box": [1e19, 0.5, 1.8e19, 1e19], "depth": -big}]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scene = scene_from_dict(orjson.loads(orjson.dumps(record)))
    assert scene.boxes.tolist() == np.array([[0, 0, 1e19, 1.8e19], [1e19, 0.5, 1.8e19, 1e19]], np.float32).tolist()
    assert scene.depth is not None and scene.depth.tolist() == [np.float32(big), -np.float32(big)]


@pytest.mark.parametrize(("changes", "field"), [
    ({"object_box": [0] * 300}, "objects[0].box"),
    ({"object_attributes": [0] * 300}, "objects[0].attributes"),
    ({"schema_version": "9" * 300}, "schema_version"),
    ({"relations": [[0, "near", "1" * 300]]}, "relations[0].object"),
    ({"meta": {"exhaustive": ["x" * 300, "x" * 300]}}, "meta.exhaustive[1]"),
    ({"object_mask": {"size": [4] * 300, "counts": "0d0"}}, "objects[0].mask.size"),
    ({"width": 10**400}, "width"),
])
def test_errors_quote_a_long_value_cut_short(changes: dict[str, Any], field: str) -> None:
    """An error quotes the start of a long value, not all of it (it was quoted whole)."""
    with pytest.raises(SceneValidationError) as info:
        scene_from_dict(_record(**changes))
    assert info.value.field == field and len(info.value.reason) <= 200
