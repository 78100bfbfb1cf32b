import numpy as np
import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from veriscene.errors import SceneValidationError
from veriscene.scene import encode_mask, read_scenes, scene_from_dict, scene_to_dict, write_scenes
from veriscene.scene import jsonl
from veriscene.scene.box_units import NORMALISED_LIMIT
from veriscene.scene.jsonl import dumps_scene, dumps_scenes
from veriscene.scene.masks import decode_mask, mask_area, mask_to_box
from tests.conftest import make_scene


def _equal(a, b) -> bool:
    return scene_to_dict(a) == scene_to_dict(b)


def test_round_trip_with_masks_and_depth(tmp_path, street) -> None:
    binary = np.zeros((100, 200), dtype=bool)
    binary[10:50, 10:50] = True
    with_mask = make_scene(
        [{"name": "cup", "box": [10, 10, 50, 50], "attributes": ["red"], "depth": 0.5, "mask": encode_mask(binary)}],
        image_id="m", image="images/m.png", meta={"source": "test"},
    )
    path = tmp_path / "scenes.jsonl"
    assert write_scenes([street, with_mask], path) == 2
    back = list(read_scenes(path))
    assert [s.image_id for s in back] == ["street", "m"]
    assert _equal(back[0], street) and _equal(back[1], with_mask)
    assert decode_mask(back[1].masks[0]).sum() == 1600 == mask_area(back[1].masks[0])
    assert mask_to_box(back[1].masks[0]).tolist() == [10, 10, 50, 50]
    assert back[1].meta == {"source": "test"}


def test_schema_version_is_written_and_checked(street) -> None:
    d = scene_to_dict(street)
    assert d["schema_version"] == 1
    d["schema_version"] = 99
    with pytest.raises(SceneValidationError, match="unknown schema version 99"):
        scene_from_dict(d)


@pytest.mark.parametrize(
    ("line", "field", "text"),
    [
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [', None, "invalid JSON"),
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "x", "box": [0, 0, 50, 5]}]}',
         "objects[0].box", "outside"),
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "x", "box": [0, 0, 5, 5]}], '
         b'"relations": [[0, "on", 7]]}', "relations[0].object", "out of range"),
        (b'{"image_id": "a", "height": 10, "objects": []}', "width", "missing"),
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "x", "box": "0,0,5,5"}]}',
         "objects[0].box", "expected list"),
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "x", "box": [0, 0, 5]}]}',
         "objects[0].box", "4 numbers"),
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "x", "box": [0, 0, 5, true]}]}',
         "objects[0].box", "4 numbers"),
        (b'{"image_id": "a", "width": 10, "height": 10, "objects": [{"name": "x", "box": [0, 0, 5, "5"]}]}',
         "objects[0].box", "4 numbers"),
        (b'[1, 2]', None, "JSON object"),
    ],
)
def test_bad_line_names_file_line_and_field(tmp_path, street, line, field, text) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(orjson.dumps(scene_to_dict(street)) + b"\n" + line + b"\n")
    with pytest.raises(SceneValidationError) as info:
        list(read_scenes(path))
    err = info.value
    assert err.source == str(path) and err.record == 2 and err.field == field
    assert text in str(err)
    assert "\n" not in str(err) and str(err).startswith(f"{path}, line 2")


def test_on_error_collects_and_continues(tmp_path, street) -> None:
    path = tmp_path / "mixed.jsonl"
    good = orjson.dumps(scene_to_dict(street))
    path.write_bytes(good + b"\nnot json\n" + good + b"\n\n")
    errors = []
    scenes = list(read_scenes(path, on_error=errors.append))
    assert len(scenes) == 2 and len(errors) == 1 and errors[0].record == 2


def test_partial_depth_column_is_rejected() -> None:
    d = {"image_id": "a", "width": 10, "height": 10,
         "objects": [{"name": "x", "box": [0, 0, 5, 5], "depth": 1.0}, {"name": "y", "box": [0, 0, 5, 5]}]}
    with pytest.raises(SceneValidationError) as info:
        scene_from_dict(d)
    assert info.value.field == "objects[1].depth"


_RLE = {"size": [10, 10], "counts": "0d2"}


@pytest.mark.parametrize(("given", "field", "message"), [
    ([{"mask": _RLE}, {}, {"mask": _RLE}], "objects[1].mask", "mask is given for 2 of 3 objects"),
    ([{"mask": _RLE}, {"mask": _RLE}, {"mask": None}], "objects[2].mask", "mask is given for 2 of 3 objects"),
    ([{"depth": None}, {"depth": 2}, {"depth": 3.5}], "objects[0].depth", "depth is given for 2 of 3 objects"),
    ([{"depth": 1, "mask": None}, {"depth": 2, "mask": _RLE}, {}], "objects[2].depth", "depth is given for 2 of 3"),
])
def test_partial_columns_name_the_first_object_without(given, field, message) -> None:
    """A null depth or mask counts as none given; depth is checked before masks."""
    objects = [{"name": "x", "box": [0, 0, 5, 5], **extra} for extra in given]
    with pytest.raises(SceneValidationError) as info:
        scene_from_dict({"image_id": "a", "width": 10, "height": 10, "objects": objects})
    assert info.value.field == field
    assert message in str(info.value)


def test_null_depth_and_masks_on_every_object_mean_none() -> None:
    objects = [{"name": n, "box": [0, 0, 5, 5], "depth": None, "mask": None, "attributes": ["b", "a", "b"]}
               for n in ("x", "y")]
    scene = scene_from_dict({"image_id": "a", "width": 10, "height": 10, "objects": objects})
    assert scene.depth is None and scene.masks is None
    assert scene.attributes == (("a", "b"), ("a", "b"))
    assert scene.boxes.dtype == np.float32 and scene.boxes.tolist() == [[0, 0, 5, 5], [0, 0, 5, 5]]


@pytest.mark.parametrize("suffix", [".gz", ".zst", ".bz2", ".xz"])
def test_write_and_read_compressed_scene_files(tmp_path, suffix) -> None:
    from veriscene.scene.compressed import CompressedFileError, compression

    scenes = [make_scene([{"name": "cat", "box": [1, 1, 9, 9]}], image_id=f"s{k}") for k in range(50)]
    path = tmp_path / f"scenes.jsonl{suffix}"
    assert write_scenes(scenes, path) == 50 and compression(path) is not None
    assert not list(tmp_path.glob("*.tmp"))
    assert [s.image_id for s in read_scenes(path)] == [s.image_id for s in scenes]
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CompressedFileError, match="cannot read the .*-compressed scene file to its end"):
        list(read_scenes(path))


def _bits(values) -> list[int]:
    return np.asarray(values, dtype=np.float32).view(np.uint32).ravel().tolist()


@pytest.mark.parametrize(("box", "depth", "written"), [
    ([12.3, 4.56, 100.1, 200.7], 0.3, b'"box":[12.3,4.56,100.1,200.7],"attributes":[],"depth":0.3'),
    # (not every coordinate within [0, 1.5]: a scene of such boxes on a 640x480 image looks normalised)
    ([0.1, 0.2, 0.7, 2.9], 1e-7, b'"box":[0.1,0.2,0.7,2.9],"attributes":[],"depth":1e-7'),
    ([10, 10, 50, 50], -0.0, b'"box":[10.0,10.0,50.0,50.0],"attributes":[],"depth":-0.0'),  # as before
    ([199.99, 0, 200, 99.5], 3.4028235e38, b'"box":[199.99,0.0,200.0,99.5],"attributes":[],"depth":3.4028235e+38'),
])
def test_float32_values_are_written_as_their_shortest_decimal(tmp_path, box, depth, written) -> None:
    scene = make_scene([{"name": "cup", "box": box, "depth": depth}], width=640, height=480)
    path = tmp_path / "scenes.jsonl"
    write_scenes([scene], path)
    assert written in path.read_bytes()  # not 12.300000190734863
    back = next(read_scenes(path))
    assert _bits(back.boxes) == _bits(scene.boxes) and _bits(back.depth) == _bits(scene.depth)


_coordinate = st.floats(0, 1000, width=32)
_depth = st.floats(width=32, allow_nan=False, allow_infinity=False)  # tiny, huge, -0.0 included


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_coordinate, _coordinate, _coordinate, _coordinate, _depth), min_size=1, max_size=8))
def test_written_scenes_read_back_bit_for_bit(tmp_path_factory, objects) -> None:
    rows = []
    for x0, y0, x1, y1, depth in objects:
        (x0, x1), (y0, y1) = sorted((x0, x1)), sorted((y0, y1))
        assume(x0 < x1 and y0 < y1)
        rows.append({"name": "thing", "box": [x0, y0, x1, y1], "depth": depth})
    assume(max(max(row["box"]) for row in rows) > NORMALISED_LIMIT)  # else refused as normalised boxes
    scene = make_scene(rows, width=1000, height=1000)
    path = tmp_path_factory.mktemp("scenes") / "s.jsonl"
    write_scenes([scene], path)
    back = next(read_scenes(path))
    assert _bits(back.boxes) == _bits(scene.boxes) and _bits(back.depth) == _bits(scene.depth)
    written = orjson.loads(path.read_bytes())["objects"]
    for obj, box, depth in zip(written, scene.boxes, scene.depth):
        # as short as numpy's own shortest repr of each float32 (str(np.float32(v)))
        for number, value in zip([*obj["box"], obj["depth"]], [*box, depth]):
            assert _digits(repr(number)) <= _digits(str(value))


def _digits(text: str) -> int:
    return max(len(text.lstrip("-").split("e")[0].replace(".", "").strip("0")), 1)


def test_dumps_scenes_gives_the_bytes_of_dumps_scene_in_batches(street) -> None:
    plain = make_scene([{"name": "cup", "box": [0.5, 1.25, 12.3, 40.7]}, {"name": "mug", "box": [1, 2, 3, 4]}])
    deep = make_scene([{"name": "cup", "box": [10.1, 10.2, 20.3, 20.4], "depth": 0.35}], image_id="d")
    empty = make_scene([], image_id="e")
    scenes = [street, plain, empty, deep, plain, empty]
    assert dumps_scenes(scenes) == [dumps_scene(s) for s in scenes]
    assert dumps_scenes([]) == [] and dumps_scenes([empty]) == [dumps_scene(empty)]
    assert b'"box":[0.5,1.25,12.3,40.7]' in dumps_scenes(scenes)[1]


def test_write_scenes_writes_batches_in_order(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(jsonl, "BATCH", 3)  # 7 scenes: batches of 3, 3 and 1
    scenes = [make_scene([{"name": "cat", "box": [1.1 * k, 1, 9.9, 9]}], image_id=f"s{k}") for k in range(7)]
    path = tmp_path / "scenes.jsonl"
    assert write_scenes(iter(scenes), path) == 7
    assert path.read_bytes() == b"".join(dumps_scene(s) + b"\n" for s in scenes)


@pytest.mark.parametrize("name", ["x.jsonl", "x.jsonl.gz", "x.jsonl.zst"])
def test_write_scenes_makes_missing_folders(tmp_path, street, name) -> None:
    """As the command line does: `write_scenes(scenes, "newdir/x.jsonl.gz")` makes newdir."""
    path = tmp_path / "newdir" / "deeper" / name
    assert write_scenes([street], path) == 1
    assert [s.image_id for s in read_scenes(path)] == ["street"]
    assert sorted(p.name for p in path.parent.iterdir()) == [name]  # no temporary file left


def _bad_scene_lists(scene):
    return [
        (scene, "x.jsonl", TypeError, ("scenes must be an iterable of Scene (a list, a generator), got one Scene: "
                                       "write_scenes([scene], path)")),
        ([scene, scene_to_dict(scene)], "x.jsonl", TypeError,
         "scenes[1] is a dict, not a Scene (a dict read from JSON becomes one with veriscene.scene.scene_from_dict)"),
        ([scene], "folder", IsADirectoryError, ("path {t}/folder is a folder: give the file to write "
                                                "(e.g. {t}/folder/scenes.jsonl)")),
        ([scene], "afile/x.jsonl", ValueError, "path {t}/afile/x.jsonl: cannot write there: {t}/afile is a file, not a folder"),
        (None, "x.jsonl", TypeError, "scenes must be an iterable of Scene (a list, a generator), got None"),
        ([scene], None, TypeError, "path must be the scene file to write, a str or a path; got None"),
    ]


def test_write_scenes_refuses_a_path_ending_in_a_separator(tmp_path, street) -> None:
    # before: write_scenes(scenes, "out/") wrote a file named `out` (pathlib drops the separator)
    with pytest.raises(IsADirectoryError) as info:
        write_scenes([street], str(tmp_path / "out") + "/")
    assert str(info.value) == (f"path {tmp_path / 'out'}/ names a folder (it ends in /): give the file to write "
                               f"(e.g. {tmp_path / 'out' / 'scenes.jsonl'})")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("case", range(6))
def test_write_scenes_refuses_bad_input_and_leaves_nothing(tmp_path, street, case) -> None:
    # before: AttributeError / "'Scene' object is not iterable" / errno messages, with x.jsonl.tmp left behind
    scenes, where, error, said = _bad_scene_lists(street)[case]
    (tmp_path / "folder").mkdir()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(error) as info:
        write_scenes(scenes, tmp_path / where if where is not None else None)
    assert str(info.value) == said.format(t=tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["afile", "folder"]


def test_read_scenes_refuses_an_on_error_that_is_no_function(tmp_path, street) -> None:
    # before: called at the first bad line only ("'int' object is not callable")
    write_scenes([street], tmp_path / "x.jsonl")
    with pytest.raises(TypeError) as info:
        list(read_scenes(tmp_path / "x.jsonl", on_error=1))
    assert str(info.value) == "on_error must be a function, called as on_error(error), or None; got 1"


def test_write_scenes_rebases_relative_paths_into_another_folder(tmp_path) -> None:
    source = tmp_path / "data" / "scenes.jsonl"
    source.parent.mkdir()
    record = {"image_id": "x", "width": 64, "height": 64, "image": "img/x.png", "depth_map": "depth/x.npy",
              "objects": [{"name": "cat", "box": [1, 2, 30, 40]}]}
    far = dict(record, image_id="y", image="/abs/y.png", depth_map=None)
    source.write_text(orjson.dumps(record).decode() + "\n" + orjson.dumps(far).decode() + "\n")
    scenes = list(read_scenes(source))
    out = tmp_path / "out" / "sub" / "scenes.jsonl"
    write_scenes(scenes, out)  # as they are: out/sub/img/x.png, which is not there
    assert [s.image for s in read_scenes(out)] == ["img/x.png", "/abs/y.png"]
    write_scenes(scenes, out, relative_to=source.parent)
    again = list(read_scenes(out))
    assert [(s.image, s.depth_map) for s in again] == [("../../data/img/x.png", "../../data/depth/x.npy"),
                                                      ("/abs/y.png", None)]
    assert (out.parent / again[0].image).resolve() == (source.parent / "img" / "x.png").resolve()
