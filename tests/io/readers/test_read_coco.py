from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veriscene.io.readers import detect_format
from veriscene.scene.masks import decode_mask, encode_mask, mask_area

from .reader_helpers import assert_round_trip, fields, read_all, write_json

H, W = 20, 30


def square_rle() -> dict:
    m = np.zeros((H, W), bool)
    m[2:6, 3:9] = True
    return encode_mask(m)


def uncompressed(m: np.ndarray) -> dict:
    flat = m.flatten(order="F").astype(int)
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    return {"size": [H, W], "counts": counts}


def coco(annotations: list, images=None) -> dict:
    return {
        "images": images or [{"id": 1, "file_name": "a.jpg", "width": W, "height": H},
                             {"id": 2, "file_name": "b.jpg", "width": W, "height": H}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person"}, {"id": 18, "name": "Dogs"}, {"id": 90, "name": "toothbrush"}],
    }


def ann(aid: int, cat: int, bbox, seg, image_id=1, iscrowd=0) -> dict:
    return {"id": aid, "image_id": image_id, "category_id": cat, "bbox": bbox, "segmentation": seg,
            "area": 1.0, "iscrowd": iscrowd}


def test_polygons_rle_and_crowd(tmp_path: Path) -> None:
    crowd_mask = np.zeros((H, W), bool)
    crowd_mask[10:15, 0:30] = True
    path = write_json(tmp_path / "instances_val.json", coco([
        ann(1, 18, [3, 2, 6, 4], [[3, 2, 9, 2, 9, 6, 3, 6]]),           # polygon
        ann(2, 90, [3, 2, 6, 4], {**square_rle()}),                      # compressed RLE
        ann(3, 1, [0, 10, 30, 5], uncompressed(crowd_mask), iscrowd=1),  # uncompressed RLE, crowd
        ann(4, 1, [25, 1, 10, 3], [[25, 1, 29, 1, 29, 3]], image_id=2),  # box partly outside: clipped
    ]))
    assert detect_format(path) == "coco"
    scenes, report = read_all(path, "coco")
    a, b = scenes
    assert a.names == ("dog", "toothbrush", "person")
    assert a.meta["crowd"] == [2]
    assert mask_area(a.masks[1]) == 24 and a.masks[1]["size"] == [H, W]
    assert isinstance(a.masks[0]["counts"], str)
    np.testing.assert_array_equal(decode_mask(a.masks[2]), crowd_mask)
    np.testing.assert_allclose(b.boxes, [[25, 1, 30, 4]])
    assert report.total == 0 and report.boxes_clipped == 1
    assert_round_trip(scenes, tmp_path)

    scenes, report = read_all(path, "coco", skip_crowd=True)
    assert scenes[0].names == ("dog", "toothbrush") and report.repairs["crowd_skipped"] == 1


def test_empty_segmentation_drops_masks_of_that_scene(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", coco([ann(1, 18, [3, 2, 6, 4], square_rle()), ann(2, 1, [0, 0, 5, 5], [])]))
    scenes, report = read_all(path, "coco")
    assert scenes[0].masks is None and len(scenes[0]) == 2
    (entry,) = report.entries
    assert (entry.record, entry.field, entry.level) == ("1", "annotations[1] (id 2).segmentation", "mask")
    assert "as 1 of them have none (annotations[1] (id 2))" in entry.reason
    scenes, _ = read_all(path, "coco", masks=False)
    assert scenes[0].masks is None


@pytest.mark.parametrize(
    "bad, field, reason",
    [
        (ann(1, 5, [0, 0, 5, 5], []), "annotations[0] (id 1).category_id", "unknown category_id"),
        (ann(1, 1, [0, 0, 5, 5], [[1, 2, 3, 4, 5, 6, 7]]), "annotations[0] (id 1).segmentation[0]", "even number"),
        (ann(1, 1, [0, 0, 5, 5], {"size": [5, 5], "counts": "abc"}), "annotations[0] (id 1).segmentation.size", "does not match"),
        (ann(1, 1, [0, 0, 5, 5], {"size": [H, W], "counts": [1, 2]}), "annotations[0] (id 1).segmentation.counts", "sum to"),
        (ann(1, 1, [5, 5, -2, 3], []), "annotations[0] (id 1).bbox", "negative"),
        (ann(1, 1, [5, 5, 0, 3], []), "annotations[0] (id 1).bbox", "no area"),
        (ann(1, 1, "box", []), "annotations[0] (id 1).bbox", "4 numbers"),
        # a far-off vertex: pycocotools would draw a billion-pixel outline (gigabytes, or a crash)
        (ann(1, 1, [0, 0, 5, 5], [[0, 0, 1e9, 0, 5, 5]]), "annotations[0] (id 1).segmentation[0]", "far outside the 30x20"),
    ],
)
def test_bad_annotations(tmp_path: Path, bad: dict, field: str, reason: str) -> None:
    path = write_json(tmp_path / "c.json", coco([bad, ann(2, 1, [0, 0, 5, 5], [], image_id=2)]))
    scenes, report = read_all(path, "coco")
    assert [s.image_id for s in scenes] == ["2"]
    assert fields(report) == [("1", field)] and reason in report.entries[0].reason


def test_missing_size_duplicate_ids_and_orphans(tmp_path: Path, tiny_png) -> None:
    images = [{"id": 1, "file_name": "a.jpg"}, {"id": 1, "file_name": "a.jpg", "width": W, "height": H}]
    path = write_json(tmp_path / "c.json", coco([ann(1, 1, [0, 0, 5, 5], []), ann(2, 1, [0, 0, 5, 5], [], image_id=9)], images))
    scenes, report = read_all(path, "coco")
    reasons = [e.reason for e in report.entries]
    assert scenes == []  # the second entry of image 1 used to be read, without the annotation the first took
    assert any("image size missing" in r for r in reasons) and any("image id 9" in r for r in reasons)
    assert any("duplicate image id '1'" in r for r in reasons)
    tiny_png("imgs/a.jpg", W, H)
    scenes, report = read_all(path, "coco", image_root=tmp_path / "imgs")
    assert len(scenes) == 1 and any("duplicate image id" in e.reason for e in report.entries)


def panoptic_png(path: Path, ids: np.ndarray) -> None:
    rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)


def test_panoptic_with_and_without_pngs(tmp_path: Path) -> None:
    ids = np.zeros((H, W), np.int64)
    ids[0:10, 0:10] = 300  # > 255: exercises the G channel
    ids[12:20, 5:25] = 7
    data = coco([], images=[{"id": 1, "file_name": "a.jpg", "width": W, "height": H},
                            {"id": 2, "file_name": "b.jpg", "width": W, "height": H}])
    data["categories"][0]["isthing"] = 1
    data["categories"].append({"id": 200, "name": "grass", "isthing": 0})
    data["annotations"] = [
        {"image_id": 1, "file_name": "a.png", "segments_info": [
            {"id": 300, "category_id": 1, "bbox": [0, 0, 10, 10], "iscrowd": 0},
            {"id": 7, "category_id": 200, "bbox": [5, 12, 20, 8], "iscrowd": 0}]},
        {"image_id": 2, "file_name": "b.png", "segments_info": []},
    ]
    path = write_json(tmp_path / "panoptic_val.json", data)
    assert detect_format(path) == "coco"
    scenes, report = read_all(path, "coco")  # no PNG folder: boxes only
    assert scenes[0].names == ("person", "grass") and scenes[0].masks is None
    assert scenes[0].meta["stuff"] == [1]

    panoptic_png(tmp_path / "panoptic_val" / "a.png", ids)
    scenes, report = read_all(path, "coco")
    a = scenes[0]
    assert mask_area(a.masks[0]) == 100 and mask_area(a.masks[1]) == 160
    # b.png is missing while the folder exists: that scene is rejected
    assert [s.image_id for s in scenes] == ["1"]
    assert "missing mask file" in report.entries[0].reason and report.entries[0].record == "2"
    assert_round_trip(scenes, tmp_path)


def test_images_and_annotations_are_read_one_at_a_time_into_a_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from veriscene.io.readers import coco as coco_reader
    from veriscene.io.readers._base import ReadContext

    images = [{"id": 1, "file_name": "a.jpg", "width": W, "height": H}, {"id": 2, "file_name": "b.jpg"}]
    polygon = [[3, 2, 9, 2, 9, 6, 3, 6]]
    # annotations of image 2 before and after one of image 1, and one of an image not listed
    path = write_json(tmp_path / "c.json", coco([ann(1, 18, [3, 2, 6, 4], polygon, image_id=2),
                                                 ann(2, 18, [3, 2, 6, 4], polygon),
                                                 ann(3, 1, [1, 1, 2, 2], polygon, image_id=2),
                                                 ann(4, 1, [1, 1, 2, 2], polygon, image_id=7)], images))
    ctx = ReadContext(path, "coco")
    read = coco_reader._read_members(path, ctx, masks=True)
    assert read is not None
    spooled, by_image, _, panoptic = read
    assert [image["id"] for image in spooled] == [1, 2] and not panoptic
    # each image's annotations, in file order, as parsed, with their positions in the file
    assert [(k, a["id"]) for k, a in by_image.pop("2")] == [(0, 1), (2, 3)] and by_image.pop("2") == []
    assert by_image.pop("1")[0] == (1, ann(2, 18, [3, 2, 6, 4], polygon))
    assert by_image.remaining() == [("7", 1)]
    _, without, _, _ = coco_reader._read_members(path, ctx, masks=False)
    assert "segmentation" not in without.pop("1")[0][1]
    # and the scenes are the ones the polygons make
    scenes, report = read_all(path, "coco", image_size=(W, H))
    assert [s.image_id for s in scenes] == ["1", "2"] and scenes[0].masks[0] == scenes[1].masks[0]
    assert [(e.record, e.field) for e in report.entries] == [("7", "image_id")]
    assert "1 annotation(s) refer to image id 7" in report.entries[0].reason

    # the file is read element by element, never parsed whole
    monkeypatch.setattr(coco_reader, "load_json", lambda *a: pytest.fail("parsed whole"))
    assert len(read_all(path, "coco", image_size=(W, H))[0]) == 2


def test_truncated_file_is_one_file_reject(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", coco([ann(1, 18, [3, 2, 6, 4], [[3, 2, 9, 2, 9, 6, 3, 6]])]))
    text = path.read_text()
    path.write_text(text[: text.index('"annotations"') + 40])
    scenes, report = read_all(path, "coco")
    assert scenes == [] and dict(report.rejected) == {"file": 1}
    assert report.entries[0].reason.startswith("truncated or malformed JSON: ")
    assert "no scene is converted from the file" in report.entries[0].reason


@pytest.mark.parametrize("raw, plain", [
    ("sky-other-merged", "sky"), ("tree-merged", "tree"), ("wall-brick", "brick wall"), ("floor-wood", "wood floor"),
    ("ceiling-tile", "tile ceiling"), ("window-blind", "window blind"), ("window-other", "window"),
    ("door-stuff", "door"), ("playingfield", "playing field"), ("food-other-merged", "food"),
    # thing names, hyphenated or not, stay as they are
    ("t-shirt", "t-shirt"), ("floor-lamp", "floor-lamp"), ("dining table", "dining table"), ("-other", "-other"),
])
def test_stuff_names_are_made_plain(raw: str, plain: str) -> None:
    from veriscene.io.readers.coco import stuff_name

    assert stuff_name(raw) == plain


def test_panoptic_stuff_classes_get_plain_names_and_are_listed(tmp_path: Path) -> None:
    data = coco([], images=[{"id": 1, "file_name": "a.jpg", "width": W, "height": H}])
    data["categories"] = [{"id": 1, "name": "person", "isthing": 1},
                          {"id": 187, "name": "sky-other-merged", "isthing": 0},
                          {"id": 184, "name": "tree-merged", "isthing": 0},
                          {"id": 171, "name": "wall-brick", "isthing": 0}]
    data["annotations"] = [{"image_id": 1, "file_name": "a.png", "segments_info": [
        {"id": 1, "category_id": 187, "bbox": [0, 0, W, 5], "iscrowd": 0},
        {"id": 2, "category_id": 1, "bbox": [2, 6, 5, 10], "iscrowd": 0},
        {"id": 3, "category_id": 184, "bbox": [10, 6, 10, 10], "iscrowd": 0},
        {"id": 4, "category_id": 171, "bbox": [20, 6, 10, 10], "iscrowd": 1}]}]
    scenes, _ = read_all(write_json(tmp_path / "panoptic_val.json", data), "coco")
    assert scenes[0].names == ("sky", "person", "tree", "brick wall")
    assert scenes[0].meta["crowd"] == [3] and scenes[0].meta["stuff"] == [0, 2, 3]
    # an instances file whose categories mark stuff (COCO-Stuff's own files carry no isthing)
    inst = coco([ann(1, 1, [0, 0, 5, 5], []), ann(2, 2, [5, 5, 5, 5], [])],
                images=[{"id": 1, "file_name": "a.jpg", "width": W, "height": H}])
    inst["categories"] = [{"id": 1, "name": "grass-merged", "isthing": 0}, {"id": 2, "name": "dog"}]
    scenes, _ = read_all(write_json(tmp_path / "inst.json", inst), "coco")
    assert scenes[0].names == ("grass", "dog") and scenes[0].meta["stuff"] == [0]


def test_lvis_images_list_the_names_annotated_in_full(tmp_path: Path) -> None:
    images = [{"id": 1, "coco_url": "http://images.cocodataset.org/val2017/000000000001.jpg", "width": W,
               "height": H, "neg_category_ids": [3, 4],
               "not_exhaustive_category_ids": [2]},
              {"id": 2, "file_name": "b.jpg", "width": W, "height": H, "neg_category_ids": [],
               "not_exhaustive_category_ids": []},
              {"id": 3, "file_name": "c.jpg", "width": W, "height": H}]
    data = coco([ann(1, 1, [0, 0, 5, 5], []), ann(2, 2, [5, 5, 5, 5], []), ann(3, 2, [10, 5, 5, 5], []),
                 ann(4, 1, [0, 0, 5, 5], [], image_id=2), ann(5, 1, [0, 0, 5, 5], [], image_id=3),
                 ann(6, 1, [0, 0, 0, 5], [], image_id=2)], images)
    data["categories"] = [{"id": 1, "name": "dog"}, {"id": 2, "name": "cup"}, {"id": 3, "name": "giraffe"},
                          {"id": 4, "name": "fork"}]
    path = write_json(tmp_path / "lvis_v1_val.json", data)
    scenes, report = read_all(path, "coco", drop_bad_parts=True, image_size=(W, H))
    by_id = {s.image_id: s for s in scenes}
    # dogs annotated in full, cups not (LVIS says so), giraffes and forks verified absent
    assert by_id["1"].meta["exhaustive"] == ["dog", "fork", "giraffe"]
    assert by_id["1"].image == "val2017/000000000001.jpg"  # LVIS names images by their COCO address
    # image 2 lost a dog whose box was bad: dogs are no longer all there
    assert len(by_id["2"]) == 1 and by_id["2"].meta["exhaustive"] == []
    assert "exhaustive" not in by_id["3"].meta  # not an LVIS image: every name in full, as in COCO
    assert_round_trip(scenes, tmp_path)

    images[0]["neg_category_ids"] = [9]
    scenes, report = read_all(write_json(tmp_path / "bad.json", data), "coco", image_size=(W, H))
    entry = next(e for e in report.entries if e.record == "1")
    assert entry.field == "neg_category_ids[0]" and "unknown category_id 9" in entry.reason


def test_coco_stuff_files_mark_stuff_by_class_and_skip_the_merged_things(tmp_path: Path) -> None:
    """COCO-Stuff's own files (`stuff_train2017.json`) carry no `isthing`: its stuff classes (ids
    92-182) are known by id and name, and class 183 "other", every thing pixel of the image as one
    region, is not an object."""
    from veriscene.io.readers.coco import COCO_STUFF_CLASSES

    assert len(COCO_STUFF_CLASSES) == 91 and COCO_STUFF_CLASSES[157 - 92] == "sky-other"
    data = coco([ann(1, 157, [0, 0, W, 5], []), ann(2, 171, [0, 6, 10, 10], []), ann(3, 183, [10, 6, 10, 10], []),
                 ann(4, 165, [2, 12, 10, 5], [])],
                images=[{"id": 1, "file_name": "a.jpg", "width": W, "height": H}])
    data["categories"] = [{"id": 157, "name": "sky-other", "supercategory": "sky"},
                          {"id": 171, "name": "wall-brick", "supercategory": "wall"},
                          {"id": 183, "name": "other", "supercategory": "other"},
                          {"id": 165, "name": "table", "supercategory": "furniture-stuff"}]
    scenes, report = read_all(write_json(tmp_path / "stuff_val2017.json", data), "coco")
    assert scenes[0].names == ("sky", "brick wall", "table") and scenes[0].meta["stuff"] == [0, 1, 2]
    assert report.repairs["merged_things_skipped"] == 1 and report.total == 0
    # the same ids under other names (another data set in COCO's layout, e.g. LVIS) are things
    data["categories"] = [{"id": 157, "name": "sky"}, {"id": 171, "name": "brick"}, {"id": 183, "name": "otter"},
                          {"id": 165, "name": "tablecloth"}]
    scenes, report = read_all(write_json(tmp_path / "lvis_val.json", data), "coco")
    assert scenes[0].names == ("sky", "brick", "otter", "tablecloth") and "stuff" not in scenes[0].meta
    assert "merged_things_skipped" not in report.repairs


@pytest.mark.parametrize("iscrowd, crowd", [(0, []), (1, [0]), (False, []), (True, [0])])
def test_iscrowd_flags(tmp_path: Path, iscrowd: object, crowd: list[int]) -> None:
    path = write_json(tmp_path / "c.json", coco([ann(1, 1, [0, 0, 5, 5], [], iscrowd=iscrowd)]))
    scenes, report = read_all(path, "coco")
    assert scenes[0].meta["crowd"] == crowd and report.total == 0
    scenes, report = read_all(path, "coco", skip_crowd=True)
    assert len(scenes[0]) == 1 - len(crowd) and report.repairs["crowd_skipped"] == len(crowd)


@pytest.mark.parametrize("skip_crowd", [False, True])
@pytest.mark.parametrize("iscrowd", ["0", "1", 2, None, 1.0])
def test_iscrowd_other_than_0_or_1_is_refused(tmp_path: Path, iscrowd: object, skip_crowd: bool) -> None:
    """The string "0" is true to Python: it made a single person a crowd region (or, with
    skip_crowd, dropped it)."""
    path = write_json(tmp_path / "c.json", coco([ann(1, 1, [0, 0, 5, 5], [], iscrowd=iscrowd),
                                                  ann(2, 1, [0, 0, 5, 5], [], image_id=2)]))
    scenes, report = read_all(path, "coco", skip_crowd=skip_crowd)
    assert [s.image_id for s in scenes] == ["2"]
    assert fields(report) == [("1", "annotations[0] (id 1).iscrowd")] and "iscrowd must be 0 or 1" in report.entries[0].reason
    scenes, report = read_all(path, "coco", skip_crowd=skip_crowd, drop_bad_parts=True)
    assert [len(s) for s in scenes] == [0, 1] and report.rejected == {"object": 1}


def test_empty_images_list_is_a_file_without_scenes(tmp_path: Path) -> None:
    path = write_json(tmp_path / "c.json", {"info": {}, **coco([], images=None), "images": []})
    scenes, report = read_all(path, "coco")
    assert scenes == [] and report.total == 0


@pytest.mark.parametrize("annotations, repairs", [
    ("absent", 0),  # a test set: images without objects, legitimately
    (None, 1),      # an explicit null: read as none, and counted
    ([], 0),
])
def test_images_without_annotations(tmp_path: Path, annotations, repairs: int) -> None:
    data = coco([])
    if annotations == "absent":
        del data["annotations"]
    else:
        data["annotations"] = annotations
    scenes, report = read_all(write_json(tmp_path / "instances.json", data), "coco")
    assert [(s.image_id, len(s)) for s in scenes] == [("1", 0), ("2", 0)] and report.entries == []
    assert report.repairs["null_annotations_read_as_none"] == repairs


@pytest.mark.parametrize("annotations", [{}, "none", 0, {"id": 1}])
def test_annotations_that_are_not_a_list_refuse_the_file(tmp_path: Path, annotations) -> None:
    scenes, report = read_all(write_json(tmp_path / "instances.json", {**coco([]), "annotations": annotations}), "coco")
    assert scenes == []
    (entry,) = report.entries
    assert (entry.level, entry.field) == ("file", "annotations") and "'annotations' must be a list" in entry.reason
    assert type(annotations).__name__ in entry.reason


@pytest.mark.parametrize("key", ["neg_category_ids", "not_exhaustive_category_ids"])
@pytest.mark.parametrize("refused", [[{"id": 4, "name": None}], [{"id": 4, "name": ""}],
                                     [{"id": 4, "name": "cat"}, {"id": 4, "name": "horse"}]])  # two names
def test_lvis_lists_naming_a_refused_category_leave_it_out(tmp_path: Path, key: str, refused: list) -> None:
    """A category whose entry is refused has no name a question could say: an LVIS image listing
    it as verified absent (or not annotated in full) keeps its scene, its list without that
    category, and the reader counts it; before, the scene was rejected as naming an "unknown
    category_id 4 (not in categories)" (helper-253)."""
    images = [{"id": 1, "file_name": "a.jpg", "width": W, "height": H, "neg_category_ids": [3],
               "not_exhaustive_category_ids": []}]
    images[0][key] = [*images[0][key], 4]
    data = coco([ann(1, 1, [0, 0, 5, 5], [])], images)
    data["categories"] = [{"id": 1, "name": "dog"}, {"id": 3, "name": "giraffe"}, *refused]
    scenes, report = read_all(write_json(tmp_path / "lvis_v1_val.json", data), "coco", image_size=(W, H))
    assert [s.image_id for s in scenes] == ["1"]
    assert scenes[0].meta["exhaustive"] == ["dog", "giraffe"]
    assert not any(e.record == "1" for e in report.entries)
    assert report.repairs["lvis_refused_categories_listed"] == 1
