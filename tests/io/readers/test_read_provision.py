from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from veriscene.io.readers import detect_format
from veriscene.scene.masks import decode_mask

from .reader_helpers import assert_round_trip, fields, read_all, write_json

H, W = 12, 16


def stage(image_id: str, annotation: dict) -> dict:
    return {image_id: {"data_path": f"/data/{image_id}.jpg", "annotation": {"width": W, "height": H, **annotation}, "source": "test"}}


def masks() -> np.ndarray:
    m = np.zeros((2, H, W), bool)
    m[0, 1:5, 1:6] = True
    m[1, 6:11, 8:15] = True
    return m


def depth_map() -> np.ndarray:
    d = np.zeros((H, W), np.uint8)
    d[1:5, 1:6] = 255  # object 0: as close as it gets
    d[6:11, 8:15] = 51  # object 1: far
    return d


DET = {"labels": ["Dogs", "ball"], "bboxes": [[1, 1, 6, 5], [8, 6, 15, 11]], "det_scores": [0.9, 0.5]}


def write_set(root: Path, seg_name: str = "img1_mask.npy", **overrides: dict) -> Path:
    write_json(root / "object-detection-annotations.json", stage("img1", overrides.get("det", DET)))
    write_json(root / "segmentation-annotations.json", stage("img1", {**DET, "seg_mask_id": seg_name, **overrides.get("seg", {})}))
    write_json(root / "depth-estimation-annotations.json", stage("img1", {"depth_mask_id": "img1_depth.npy"}))
    write_json(root / "image-attributes-annotations.json", stage("img1", overrides.get("attr", {"attributes": [["brown and small"], []]})))
    write_json(root / "image-relations-annotations.json", stage("img1", overrides.get("rel", {"relations": [[0, "playing with", 1]]})))
    (root / "seg_masks").mkdir(exist_ok=True)
    (root / "depth_masks").mkdir(exist_ok=True)
    np.save(root / "depth_masks" / "img1_depth.npy", depth_map())
    return root


def test_merged_stages_with_npy_masks_and_depth(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    assert detect_format(root) == "provision"
    scenes, report = read_all(root, "provision")
    (s,) = scenes
    assert s.image_id == "img1" and s.names == ("dog", "ball")
    assert s.attributes == (("brown", "small"), ())
    assert s.relations == ((0, "playing with", 1),)
    np.testing.assert_array_equal(decode_mask(s.masks[1]), masks()[1])
    np.testing.assert_allclose(s.depth, [0.0, 0.8], atol=1e-6)  # 255 (closest) -> 0; 51 -> 0.8
    assert s.depth[0] < s.depth[1]
    assert s.meta["det_scores"] == [0.9, 0.5] and "larger = closer" in s.meta["source_depth_map"]["encoding"]
    assert report.total == 0
    assert_round_trip(scenes, tmp_path)


def test_attributes_and_relations_are_read_as_recorded_in_part(tmp_path: Path) -> None:
    """ProVision's attributes and relations are models' outputs, some of what holds: scenes say so
    (``meta["sparse"]``), as Visual Genome's, unless told otherwise; read as complete, "Is the lamp
    behind the sofa? no" was asked of a lamp farther than the sofa."""
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    (s,), _ = read_all(root, "provision")
    assert s.meta["sparse"] == ["attributes", "relations"]
    assert s.relations == ((0, "playing with", 1),)  # read as before
    (s,), _ = read_all(root, "provision", sparse=False)
    assert "sparse" not in s.meta


def test_pickled_masks_need_allow_pickle(tmp_path: Path) -> None:
    from scipy import sparse

    root = write_set(tmp_path, seg_name="img1_mask.pkl")
    with open(root / "seg_masks" / "img1_mask.pkl", "wb") as fh:
        pickle.dump([sparse.csr_matrix(m) for m in masks()], fh)
    scenes, report = read_all(root, "provision")
    assert scenes == [] and "--allow-pickle" in report.entries[0].reason
    assert report.entries[0].field == "seg_mask_id"
    scenes, report = read_all(root, "provision", allow_pickle=True)
    np.testing.assert_array_equal(decode_mask(scenes[0].masks[0]), masks()[0])


@pytest.mark.parametrize("absolute", [False, True])
def test_allow_pickle_unpickles_only_the_mask_folder(tmp_path: Path, absolute: bool) -> None:
    """The annotation names the mask file: "../" or an absolute path reached any pickle on the
    machine, unpickled (code run) under --allow-pickle."""
    from scipy import sparse

    outside = tmp_path / "elsewhere" / "img1_mask.pkl"
    outside.parent.mkdir()
    with open(outside, "wb") as fh:
        pickle.dump([sparse.csr_matrix(m) for m in masks()], fh)
    root = write_set(tmp_path / "set", seg_name=str(outside) if absolute else "../../elsewhere/img1_mask.pkl")
    scenes, report = read_all(root, "provision", allow_pickle=True)
    assert scenes == [] and report.entries[0].field == "seg_mask_id"
    assert "lies outside" in report.entries[0].reason and "unpickles the files of that folder only" in report.entries[0].reason


@pytest.mark.parametrize("dtype", [bool, np.uint8])
def test_pickled_sparse_masks_of_any_dtype_read_as_the_dense_ones(tmp_path: Path, dtype: type) -> None:
    """Sparse masks are stacked column by column (what RLE encoding reads, no transposing):
    the scene holds exactly the RLE of the same masks read densely (bool, or 0/255 bytes)."""
    from scipy import sparse

    from veriscene.io.readers.provision import _stack_sparse
    from veriscene.scene.masks import encode_mask

    values = (masks() * (1 if dtype is bool else 255)).astype(dtype)
    stacked = _stack_sparse([sparse.csr_matrix(m) for m in values])
    assert stacked.dtype == bool and all(m.flags.f_contiguous for m in stacked)
    np.testing.assert_array_equal(stacked, masks())
    root = write_set(tmp_path, seg_name="img1_mask.pkl")
    with open(root / "seg_masks" / "img1_mask.pkl", "wb") as fh:
        pickle.dump([sparse.csr_matrix(m) for m in values], fh)
    (scene,), report = read_all(root, "provision", allow_pickle=True)
    assert list(scene.masks) == [encode_mask(m) for m in masks()] and report.total == 0


def test_object_arrays_in_npy_are_refused(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    scenes, report = read_all(root, "provision")
    assert scenes == [] and "without unpickling" in report.entries[0].reason


def test_transposed_masks_are_accepted_and_counted(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", np.swapaxes(masks(), 1, 2))
    scenes, report = read_all(root, "provision")
    np.testing.assert_array_equal(decode_mask(scenes[0].masks[0]), masks()[0])
    assert report.repairs["maps_transposed"] == 1


@pytest.mark.parametrize(
    "overrides, field, reason",
    [
        ({"attr": {"attributes": [["red"]]}}, "attributes", "one entry per object"),
        ({"rel": {"relations": [[0, "on", 7]]}}, "relations[0]", "dangling"),
        ({"rel": {"relations": [["a", "on", 1]]}}, "relations[0]", "subject index"),
        ({"det": {**DET, "bboxes": [[6, 1, 1, 5], [8, 6, 15, 11]]}}, "bboxes", "disagree"),
        ({"det": {**DET, "bboxes": [[6, 1, 1, 5], [8, 6, 15, 11]]}, "seg": {"bboxes": [[6, 1, 1, 5], [8, 6, 15, 11]]}}, "objects[0].bbox", "inverted"),
        ({"det": {**DET, "det_scores": [0.3]}, "seg": {"det_scores": [0.3]}}, "det_scores", "one entry per object"),
        # any key two stages give differently: which is right cannot be told
        ({"det": {**DET, "det_scores": [0.3, 0.4]}}, "det_scores", "segmentation-annotations.json differs from "
                                                                   "object-detection-annotations.json"),
    ],
)
def test_bad_records(tmp_path: Path, overrides: dict, field: str, reason: str) -> None:
    root = write_set(tmp_path, **overrides)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    scenes, report = read_all(root, "provision")
    assert scenes == []
    assert fields(report) == [("img1", field)] and reason in report.entries[0].reason


def test_missing_mask_file(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    scenes, report = read_all(root, "provision")
    assert scenes == [] and "missing mask file" in report.entries[0].reason


def test_size_from_image_header_by_file_name(tmp_path: Path, tiny_png) -> None:
    root = tmp_path / "set"
    write_json(root / "object-detection-annotations.json", {"img1": {"data_path": "/elsewhere/img1.jpg",
               "annotation": {"labels": ["cup"], "bboxes": [[0, 0, 4, 4]]}}})
    scenes, report = read_all(root, "provision")
    assert scenes == [] and report.entries[0].field == "width"
    tiny_png("imgs/img1.jpg", 8, 6)
    scenes, report = read_all(root, "provision", image_root=tmp_path / "imgs")
    assert (scenes[0].width, scenes[0].height) == (8, 6) and scenes[0].names == ("cup",)


def test_nan_in_a_stage_file_rejects_only_its_record(tmp_path: Path) -> None:
    root = write_set(tmp_path)
    np.save(root / "seg_masks" / "img1_mask.npy", masks())
    det = root / "object-detection-annotations.json"
    data = {**json.loads(det.read_text()), **stage("img2", {"labels": ["cat"], "bboxes": [[1, 1, 5, 5]],
                                                             "det_scores": [float("nan")]})}
    det.write_text(json.dumps(data))  # NaN: a token orjson refuses
    scenes, report = read_all(root, "provision")
    assert [s.image_id for s in scenes] == ["img1"]
    assert fields(report) == [("img2", "det_scores")] and report.rejected == {"scene": 1}


def test_rejects_name_the_stage_file_holding_the_fault(tmp_path: Path) -> None:
    """Each stage is its own file: a reject names the one whose field is at fault, never just the
    folder (a folder of five stage files gives the user nothing to open)."""
    root = tmp_path / "set"
    write_json(root / "object-detection-annotations.json", {
        **stage("img1", {"labels": ["dog"], "bboxes": [[1, 1, 5, 5]]}),
        **stage("img2", {"labels": ["cat"], "bboxes": [[6, 1, 1, 5]]}),
        **stage("img3", {"labels": ["cup"], "bboxes": [[1, 1, 5, 5]]})})
    write_json(root / "image-relations-annotations.json", {**stage("img1", {"relations": [[0, "on", 5]]})})
    write_json(root / "segmentation-annotations.json", stage("img3", {"labels": ["mug"]}))
    scenes, report = read_all(root, "provision")
    assert scenes == []
    assert [(e.record, Path(e.file).name, e.field) for e in report.entries] == [
        ("img1", "image-relations-annotations.json", "relations[0]"),
        ("img2", "object-detection-annotations.json", "objects[0].bbox"),
        ("img3", "segmentation-annotations.json", "labels"),  # the stage that differs from the first
    ]
    # a part dropped (drop_bad_parts) names its stage file too
    scenes, report = read_all(root, "provision", drop_bad_parts=True)
    (entry,) = [e for e in report.entries if e.level == "relation"]
    assert Path(entry.file).name == "image-relations-annotations.json" and scenes[0].names == ("dog",)


def test_json_lines_stage_files(tmp_path: Path) -> None:
    """JSON Lines: a line is ProVision's {image_id: entry} object (one image or more) or one entry
    naming its image; a bad line is a reject naming its file and line, and reading goes on."""
    det = {"labels": ["dog"], "bboxes": [[1, 1, 5, 5]]}
    path = tmp_path / "annotations.jsonl"
    path.write_text("\n".join([
        json.dumps(stage("img1", det)),
        json.dumps({"image_id": "img2", "data_path": "/d/img2.jpg", "annotation": {"width": W, "height": H, **det}}),
        "{not json",
        "[1, 2]",
        "",
        json.dumps({**stage("img3", det), **stage("img4", det)}),
    ]) + "\n")
    assert detect_format(path) == "provision"
    scenes, report = read_all(path, "provision")
    assert [s.image_id for s in scenes] == ["img1", "img2", "img3", "img4"]
    assert [(e.record, e.file) for e in report.entries] == [("line 3", str(path)), ("line 4", str(path))]
    assert "malformed JSON line" in report.entries[0].reason
    # a folder of JSON Lines stage files, merged as JSON ones are
    root = tmp_path / "set"
    root.mkdir()
    (root / "object-detection-annotations.jsonl").write_text(json.dumps(stage("img1", det)) + "\n")
    (root / "image-relations-annotations.jsonl").write_text(
        json.dumps(stage("img1", {"relations": [[0, "on", 0]]})) + "\n")
    assert detect_format(root) == "provision"
    scenes, report = read_all(root, "provision")
    assert scenes == [] and Path(report.entries[0].file).name == "image-relations-annotations.jsonl"
    assert "to itself" in report.entries[0].reason


def test_a_list_of_entries_and_a_folder_named_like_a_file(tmp_path: Path) -> None:
    det = {"width": W, "height": H, "labels": ["dog"], "bboxes": [[1, 1, 5, 5]]}
    root = tmp_path / "provision_annotations.json"  # a folder, whatever its name says
    write_json(root / "object-detection-annotations.json", [{"image_id": "img1", "annotation": det}])
    assert detect_format(root) == "provision"
    scenes, report = read_all(root, "provision")
    assert [s.image_id for s in scenes] == ["img1"] and report.total == 0


def test_a_folder_without_stage_files_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no annotation here")
    with pytest.raises(FileNotFoundError, match="no ProVision stage file"):
        read_all(tmp_path, "provision")


@pytest.mark.parametrize("text, reason", [
    ('{"img1": 5}', "entry in bad.json is not a JSON object"),
    ('[{"annotation": {}}]', "a ProVision stage file holds a JSON object"),
    ('"text"', "a ProVision stage file holds a JSON object"),
])
def test_stage_files_of_another_shape_are_reported(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "bad.json").write_text(text)
    scenes, report = read_all(tmp_path / "bad.json", "provision")
    assert scenes == [] and reason in report.entries[0].reason and report.entries[0].file == str(tmp_path / "bad.json")


@pytest.mark.parametrize("name", ["object-detection-annotations.json", "object-detection-annotations.jsonl"])
def test_image_ids_past_64_bits_are_read_exactly(tmp_path: Path, name: str) -> None:
    """orjson read an id of 2**64 (or below -2**63) as a float: the entry was refused as naming no
    image ("got 1.8446744073709552e+19"; a list of them as a file of the wrong shape)."""
    annotation = {"width": W, "height": H, "labels": ["dog"], "bboxes": [[1, 1, 6, 5]]}
    entries = [{"image_id": image_id, "data_path": "/data/x.jpg", "annotation": annotation}
               for image_id in (2**64, -(2**63) - 1)]
    path = tmp_path / "set" / name
    path.parent.mkdir()
    path.write_text(json.dumps(entries) if name.endswith(".json") else "".join(json.dumps(e) + "\n" for e in entries))
    scenes, report = read_all(path.parent, "provision")
    assert [s.image_id for s in scenes] == ["18446744073709551616", "-9223372036854775809"]
    assert report.total == 0
