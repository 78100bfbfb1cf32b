"""Medical label maps: 2D maps, NIfTI and NumPy volumes, MSD folders, label tables, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from veriscene.errors import SceneValidationError
from veriscene.io.readers import detect_format
from veriscene.io.readers.label_map import plane
from veriscene.scene.masks import decode_mask
from veriscene.scene.model import Scene

from .reader_helpers import assert_round_trip, fields, read_all, write_json

nib = pytest.importorskip("nibabel")  # in the test extra: never skipped by `make test`
from PIL import Image  # noqa: E402


def disc(shape: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def organ_map() -> np.ndarray:
    """40x60 (rows x cols): a liver (1) holding a tumour (5), a spleen (2) touching nothing, a
    kidney (3) touching the liver."""
    labels = np.zeros((40, 60), np.uint8)
    labels[disc(labels.shape, 15, 15, 10)] = 1
    labels[disc(labels.shape, 15, 15, 3)] = 5
    labels[disc(labels.shape, 48, 12, 6)] = 2
    labels[disc(labels.shape, 15, 30, 5) & (labels == 0)] = 3
    return labels


def save_png(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path) if mode else Image.fromarray(array).save(path)
    return path


def test_2d_map_objects_masks_relations_and_image(tmp_path: Path) -> None:
    labels = organ_map()
    path = save_png(tmp_path / "maps" / "case1.png", labels)
    (tmp_path / "maps" / "labels.csv").write_text("value,name\n1,Liver\n2,spleen\n3,kidney_right\n5,liver_tumour\n")
    save_png(tmp_path / "images" / "case1.png", np.zeros((40, 60, 3), np.uint8))
    assert detect_format(path) == "label_map"
    (s,), report = read_all(path, "label_map", images=tmp_path / "images")
    assert not report.entries
    assert s.image_id == "case1" and (s.width, s.height) == (60, 40)
    assert s.image == str(tmp_path / "images" / "case1.png")
    assert s.names == ("liver", "spleen", "right kidney", "liver tumour")
    for i, value in enumerate((1, 2, 3, 5)):
        mask = decode_mask(s.masks[i])
        assert np.array_equal(mask, labels == value)
        rows, cols = np.nonzero(mask)
        assert s.boxes[i].tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
    liver, spleen, kidney, tumour = range(4)
    assert set(s.relations) == {
        (liver, "touching", kidney), (kidney, "touching", liver),
        (liver, "touching", tumour), (tumour, "touching", liver), (tumour, "surrounded by", liver),
    }
    assert s.meta["source_format"] == "label_map" and "sparse" not in s.meta  # computed for every pair
    assert_round_trip([s], tmp_path)


def test_components_split_counted_structures_and_small_pieces(tmp_path: Path) -> None:
    labels = np.zeros((30, 30), np.uint8)
    labels[2:8, 2:8] = 4  # a lesion
    labels[20:26, 20:26] = 4  # another
    labels[14:16, 14:15] = 4  # 2 pixels: below min_pixels
    labels[2:8, 20:28] = 1  # the organ, in one piece
    path = save_png(tmp_path / "m.png", labels)
    table = write_json(tmp_path / "t.json", {"1": "liver", "4": "lesion"})
    (whole,), _ = read_all(path, "label_map", labels=table, components="none")
    assert whole.names == ("liver", "lesion")  # one structure per label, all its pieces
    assert int(decode_mask(whole.masks[1]).sum()) == 36 + 36 + 2
    for given in ("lesion", "auto", None):  # lesions are counted by their pieces by default
        (split,), report = read_all(path, "label_map", labels=table, components=given)
        assert split.names == ("liver", "lesion", "lesion")
        assert [int(decode_mask(m).sum()) for m in split.masks] == [48, 36, 36]
        assert report.repairs["small_pieces_dropped"] == 1
        assert "lesion" not in split.meta["exhaustive"]  # a piece too small to keep: not counted to the last
    (alls,), _ = read_all(path, "label_map", labels=table, components="all", min_pixels="40")
    assert alls.names == ("liver",)  # the lesions (36 pixels each) fall under min_pixels=40


def test_unnamed_values_are_named_and_counted(tmp_path: Path) -> None:
    labels = np.zeros((10, 10), np.uint8)
    labels[1:5, 1:5] = 7
    (s,), report = read_all(save_png(tmp_path / "m.png", labels), "label_map")
    assert s.names == ("label 7",) and report.repairs["labels_without_name"] == 1


def nifti_case(root: Path, name: str, affine: np.ndarray, flip_x: bool = False) -> tuple[Path, Path]:
    """A 20x16x6 volume (x, y, z voxels): a liver on the patient's right (high x in RAS), a spleen
    on the left, both in anterior slices 2-4; slice 0, 1 and 5 are empty. With `flip_x` the voxel
    x axis runs the other way (an LPS-style affine), the anatomy staying where it is."""
    x, y, z = np.meshgrid(np.arange(20), np.arange(16), np.arange(6), indexing="ij")
    labels = np.zeros((20, 16, 6), np.uint8)
    labels[(x >= 14) & (y >= 8) & (z >= 2) & (z <= 4)] = 1  # right (high x), anterior (high y)
    labels[(x <= 4) & (y >= 10) & (z >= 2) & (z <= 4)] = 2
    image = labels.astype(np.float32) * 100 + x.astype(np.float32)
    if flip_x:
        labels, image = labels[::-1].copy(), image[::-1].copy()
    root.mkdir(parents=True, exist_ok=True)
    label_path, image_path = root / f"{name}.nii.gz", root / f"{name}_img.nii.gz"
    nib.save(nib.Nifti1Image(labels, affine), label_path)
    nib.save(nib.Nifti1Image(image, affine), image_path)
    return label_path, image_path


@pytest.mark.parametrize("flip_x", [False, True])
def test_nifti_slices_read_radiologically(tmp_path: Path, flip_x: bool) -> None:
    affine = np.diag([-1.0 if flip_x else 1.0, 1.0, 2.0, 1.0])
    label_path, image_path = nifti_case(tmp_path / "in", "ct", affine, flip_x)
    table = write_json(tmp_path / "labels.json", {"1": "liver", "2": "spleen"})
    scenes, report = read_all(label_path, "label_map", labels=table)
    assert [s.image_id for s in scenes] == ["ct_z0002", "ct_z0003", "ct_z0004"]
    assert report.repairs["empty_slices_skipped"] == 3
    assert report.repairs["scenes_without_image"] == 3
    s = scenes[0]
    assert (s.width, s.height) == (20, 16) and s.names == ("liver", "spleen")
    assert s.meta["orientation"] == "radiological" and s.meta["slice"] == 2
    liver, spleen = s.boxes.tolist()
    assert liver[2] <= spleen[0]  # the patient's right (liver) on the image's left
    assert liver[1] == 0 and spleen[1] == 0  # anterior at the top
    assert liver == [0.0, 0.0, 6.0, 8.0]


def test_msd_folder_slice_images_generate_and_verify(tmp_path: Path) -> None:
    from veriscene import generate, verify
    from veriscene.io.convert import convert

    root = tmp_path / "Task01"
    affine = np.diag([1.0, 1.0, 2.0, 1.0])
    cases = [nifti_case(root / "labelsTr", f"c{i}", affine) for i in range(2)]
    for label, image in cases:  # MSD keeps images in imagesTr
        (root / "imagesTr").mkdir(exist_ok=True)
        image.rename(root / "imagesTr" / image.name)
    write_json(root / "dataset.json", {
        "labels": {"0": "background", "1": "liver", "2": "spleen"},
        "training": [{"image": f"./imagesTr/{img.name}", "label": f"./labelsTr/{lab.name}"} for lab, img in cases],
    })
    assert detect_format(root) == "label_map"
    out = tmp_path / "scenes.jsonl"
    summary = convert(root, out, "auto", slice_images=tmp_path / "slices", step="2")
    assert summary.scenes_written == 4  # slices 2 and 4 of each case (step 2 over 0..5; 0 is empty)
    pngs = sorted(p.name for p in (tmp_path / "slices").iterdir())
    assert pngs == ["c0_z0002.png", "c0_z0004.png", "c1_z0002.png", "c1_z0004.png"]
    with Image.open(tmp_path / "slices" / "c0_z0002.png") as im:
        assert im.size == (20, 16) and im.mode == "L"
        pixels = np.asarray(im)
    # the slice image is turned as the labels are: the liver (bright) on the left, at the top
    assert pixels[:8, :6].mean() > pixels[8:, 10:].mean()
    run = generate(out, tmp_path / "run")
    assert run.samples > 0
    report = verify(tmp_path / "run")
    assert report.ok and report.verified == run.samples


@pytest.mark.parametrize("array, field, reason", [
    (np.full((8, 8), 1.5, np.float32), "pixels", "not integers"),
    (np.full((8, 8), -1, np.int16), "pixels", "negative label"),
    (np.zeros((2, 2, 2, 2), np.uint8) + np.arange(2).reshape(2, 1, 1, 1).astype(np.uint8), "pixels", "shape"),
])
def test_bad_arrays_are_reported_and_reading_goes_on(tmp_path: Path, array: np.ndarray, field: str, reason: str) -> None:
    folder = tmp_path / "maps"
    folder.mkdir()
    np.save(folder / "a_bad.npy", array)
    good = np.zeros((8, 8), np.uint8)
    good[2:6, 2:6] = 1
    np.save(folder / "b_good.npy", good)
    scenes, report = read_all(folder, "label_map")
    assert [s.image_id for s in scenes] == ["b_good"]
    (entry,) = report.entries
    assert entry.file == str(folder / "a_bad.npy") and entry.field == field and reason in entry.reason


def test_rgb_png_truncated_nifti_and_empty_map(tmp_path: Path) -> None:
    folder = tmp_path / "maps"
    save_png(folder / "a.png", np.zeros((6, 6, 3), np.uint8))
    (folder / "b.nii.gz").write_bytes(b"\x1f\x8b not really gzip")
    save_png(folder / "c.png", np.zeros((6, 6), np.uint8))
    scenes, report = read_all(folder, "label_map")
    assert scenes == []
    reasons = {Path(e.file).name: (e.field, e.reason) for e in report.entries}
    assert reasons["a.png"][0] == "pixels" and "RGB" in reasons["a.png"][1]
    assert "cannot read the label map" in reasons["b.nii.gz"][1]
    assert reasons["c.png"] == ("pixels", "no structure of at least 10 pixels")
    assert fields(report)[2] == ("c.png", "pixels")
    with pytest.raises(SceneValidationError):
        read_all(folder, "label_map", strict=True)


def test_image_volume_of_another_shape_is_reported(tmp_path: Path) -> None:
    affine = np.eye(4)
    label_path, _ = nifti_case(tmp_path, "ct", affine)
    (tmp_path / "images").mkdir()
    nib.save(nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), affine), tmp_path / "images" / "ct.nii.gz")
    scenes, report = read_all(label_path, "label_map", images=tmp_path / "images", slice_images=tmp_path / "s")
    assert scenes == []
    (entry,) = report.entries
    assert entry.field == "image" and "shape" in entry.reason


def test_numpy_volume_is_sliced_as_stored(tmp_path: Path) -> None:
    volume = np.zeros((3, 10, 12), np.uint8)
    volume[1, 2:5, 7:11] = 1
    np.save(tmp_path / "v.npy", volume)
    (s,), _ = read_all(tmp_path / "v.npy", "label_map", axis=0)
    assert s.image_id == "v_x0001" and "orientation" not in s.meta
    (r,), _ = read_all(tmp_path / "v.npy", "label_map", axis=0, orientation="radiological")
    assert r.meta["orientation"] == "radiological" and r.boxes.tolist() == s.boxes.tolist()
    assert s.boxes.tolist() == [[7.0, 2.0, 11.0, 5.0]]
    assert np.array_equal(plane(volume, 0, 1, False), volume[1])


def test_options_are_checked(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.ones((4, 4), np.uint8))
    for bad in ({"step": 0}, {"min_pixels": "x"}, {"axis": 5}, {"orientation": "neurological"}):
        with pytest.raises(ValueError):
            read_all(tmp_path / "v.npy", "label_map", **bad)


def test_msd_dataset_json_without_label_path(tmp_path: Path) -> None:
    """An entry naming no label map is a reject of that entry (naming dataset.json); the others
    are read. A case whose image is not there is read without it, counted."""
    save_png(tmp_path / "labelsTr" / "case1.png", organ_map())
    write_json(tmp_path / "dataset.json", {"labels": {"1": "liver"}, "training": [
        {"image": "x.nii.gz"}, None, {"image": "imagesTr/case1.png", "label": "labelsTr/case1.png"}]})
    scenes, report = read_all(tmp_path, "label_map")
    assert [s.image_id for s in scenes] == ["case1"] and scenes[0].image is None
    assert report.repairs["images_not_found"] == 1
    assert [(e.file, e.record, e.level) for e in report.entries] == [
        (str(tmp_path / "dataset.json"), "training[0]", "file"), (str(tmp_path / "dataset.json"), "training[1]", "file")]
    assert "has no 'label' path" in report.entries[0].reason
    write_json(tmp_path / "dataset.json", {"labels": {"1": "liver"}, "training": "labelsTr"})
    with pytest.raises(ValueError, match="'training' must be a list"):
        read_all(tmp_path, "label_map")


def test_folder_detection(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.ones((4, 4), np.uint8))
    (tmp_path / "labels.json").write_text(json.dumps({"1": "liver"}))
    assert detect_format(tmp_path) == "label_map"


def test_surrounded_and_touching_need_the_pixels_to_say_so(tmp_path: Path) -> None:
    labels = np.zeros((30, 40), np.uint8)
    labels[disc(labels.shape, 12, 15, 9)] = 1  # organ
    labels[disc(labels.shape, 12, 6, 3)] = 2  # a lesion on its upper edge: outside its outline in part
    labels[5:10, 30:34] = 3  # two pixels right of ...
    labels[5:10, 36:39] = 4  # ... this one: not touching
    labels[20:24, 30:39] = 5  # diagonal neighbour of 3? no: rows 20+ are far below
    labels[10:12, 34:36] = 6  # touches 3 and 4 at their corners (8-connected)
    path = save_png(tmp_path / "m.png", labels)
    (s,), _ = read_all(path, "label_map", min_pixels=1)
    rel = set(s.relations)
    organ, lesion, a, b, c, d = range(6)
    assert (lesion, "touching", organ) in rel and not any(p == "surrounded by" for _, p, _ in rel)
    assert (a, "touching", b) not in rel and (c, "touching", a) not in rel
    assert {(d, "touching", a), (d, "touching", b)} <= rel


def test_multichannel_image_volume_shows_its_first_channel(tmp_path: Path) -> None:
    affine = np.eye(4)
    label_path, image_path = nifti_case(tmp_path / "labels", "mr", affine)
    first = np.asanyarray(nib.load(image_path).dataobj)
    (tmp_path / "images").mkdir()
    nib.save(nib.Nifti1Image(np.stack([first, -first], axis=-1), affine), tmp_path / "images" / "mr_0000.nii.gz")
    scenes, report = read_all(label_path, "label_map", images=tmp_path / "images", slice_images=tmp_path / "s")
    assert len(scenes) == 3 and not report.entries
    with Image.open(scenes[0].image) as im:
        pixels = np.asarray(im).astype(int)
    assert pixels[:8, :6].mean() > pixels[8:, 10:].mean()  # the liver is bright in the first channel


def test_malformed_dataset_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "dataset.json").write_text('{"labels": {"1": "liver"}, "training": [')
    with pytest.raises(ValueError, match=r"dataset.json: malformed JSON"):
        read_all(tmp_path, "label_map")


def test_2d_map_beside_an_image_of_another_size_is_refused(tmp_path: Path) -> None:
    save_png(tmp_path / "maps" / "case1.png", organ_map())  # 60x40
    save_png(tmp_path / "maps" / "case2.png", organ_map())
    save_png(tmp_path / "images" / "case1.png", np.zeros((100, 200, 3), np.uint8))  # 200x100
    save_png(tmp_path / "images" / "case2.png", np.zeros((40, 60, 3), np.uint8))
    scenes, report = read_all(tmp_path / "maps", "label_map", images=tmp_path / "images")
    assert [s.image_id for s in scenes] == ["case2"]
    (entry,) = report.entries
    assert (entry.file, entry.record, entry.field) == (str(tmp_path / "maps" / "case1.png"), "case1.png", "image")
    assert "200x100" in entry.reason and "60x40" in entry.reason and str(tmp_path / "images" / "case1.png") in entry.reason


def test_volume_slices_holding_only_slivers_are_counted_not_rejected(tmp_path: Path) -> None:
    """An organ's last slices hold a few pixels of it: normal in a volume, not a bad record."""
    volume = np.zeros((20, 20, 4), np.uint8)
    volume[2:10, 2:10, 1:3] = 1  # 64 pixels in slices 1 and 2
    volume[5:7, 5:7, 3] = 1  # 4 pixels in slice 3
    np.save(tmp_path / "v.npy", volume)
    scenes, report = read_all(tmp_path / "v.npy", "label_map")
    assert [s.meta["slice"] for s in scenes] == [1, 2] and report.entries == []
    assert report.repairs["slices_below_min_pixels"] == 1 and report.repairs["empty_slices_skipped"] == 1


def test_slices_list_the_names_they_annotate_in_full(tmp_path: Path) -> None:
    """A segmentation annotates its table's structures, not all a slice shows: only those are
    complete (`meta.exhaustive`), a stomach the table names but the slice lacks included, a tumour
    left out as a sliver under `min_pixels` not (it is there, unannotated)."""
    table = write_json(tmp_path / "labels.json", {"1": "liver", "2": "spleen", "3": "kidney", "5": "tumour",
                                                  "6": "stomach"})
    path = save_png(tmp_path / "m.png", organ_map())
    (s,), _ = read_all(path, "label_map", labels=table)
    assert s.meta["exhaustive"] == ["kidney", "liver", "spleen", "stomach", "tumour"]
    (s,), report = read_all(path, "label_map", labels=table, min_pixels=30)  # the tumour has 29 pixels
    assert s.names == ("liver", "spleen", "kidney") and report.repairs["small_pieces_dropped"] == 1
    assert s.meta["exhaustive"] == ["kidney", "liver", "spleen", "stomach"]


def test_absences_are_said_only_of_annotated_structures() -> None:
    """A liver-task slice beside a spleen-task slice of the same CT: the spleen is there in the
    first, unannotated. Nothing says it is absent, nor names "the leftmost object", nor counts every
    object."""
    from veriscene.generators import SceneRunner, Vocabulary, select_generators
    from veriscene.io.readers._base import ReadContext
    from veriscene.io.readers._structures import Options, Split, Structure, structure_scene

    def scene(image_id: str, names: dict[int, str]) -> Scene:
        ctx = ReadContext("x", "label_map")
        labels = organ_map()
        structures = [Structure(v, n, np.asfortranarray(labels == v)) for v, n in names.items()]
        return structure_scene(ctx, Options(names, Split(), 10), structures, labels.shape, image_id, None,
                               {"orientation": "radiological"}, names.values())

    liver_task = scene("liver_task", {1: "liver", 5: "tumour"})
    spleen_task = scene("spleen_task", {2: "spleen"})
    runner = SceneRunner([g() for g in select_generators("object.*,counting.*,spatial.extreme.v1,scene_graph.caption.v1")],
                         Vocabulary.from_scenes([liver_task, spleen_task]))
    samples = runner.run(liver_task)
    assert samples and not [s.question for s in samples if "spleen" in s.question]
    assert "spatial.extreme.v1" not in {s.task for s in samples}
    # the caption names what is annotated, not "The image shows 2 objects: ..."
    assert [s.answer for s in samples if s.task == "scene_graph.caption.v1"][0].startswith(
        "The image shows a liver and a tumour.")
    assert {s.answer for s in runner.run(spleen_task) if s.question.startswith("How many spleens")} <= {1}


def test_a_nifti_names_its_labels_in_its_header(tmp_path: Path) -> None:
    """TotalSegmentator's multi-label file (--ml) carries its label table in a header extension."""
    labels = np.zeros((6, 6, 2), np.uint8)
    labels[4:6, 0:3, 1] = 1  # high x (RAS): the patient's right
    labels[0:2, 0:3, 1] = 2
    img = nib.Nifti1Image(labels, np.eye(4))
    xml = ('<CaretExtension><VolumeInformation Index="0"><LabelTable>'
           '<Label Key="1"><![CDATA[kidney_right]]></Label><Label Key="2"><![CDATA[kidney_left]]></Label>'
           '</LabelTable></VolumeInformation></CaretExtension>')
    img.header.extensions.append(nib.nifti1.Nifti1Extension(0, xml.encode()))
    nib.save(img, tmp_path / "seg.nii.gz")
    (s,), report = read_all(tmp_path / "seg.nii.gz", "label_map", min_pixels=1)
    assert s.names == ("right kidney", "left kidney") and report.repairs["label_tables_from_nifti_headers"] == 1
    assert s.boxes.tolist() == [[0.0, 3.0, 2.0, 6.0], [4.0, 3.0, 6.0, 6.0]]  # the right kidney on the image's left
    table = write_json(tmp_path / "labels.json", {"1": "liver", "2": "spleen"})
    (s,), _ = read_all(tmp_path / "seg.nii.gz", "label_map", min_pixels=1, labels=table)
    assert s.names == ("liver", "spleen")  # a table given wins


def test_structures_are_named_as_anatomy_says_them(tmp_path: Path) -> None:
    """Label tables' names as the public sets write them become the words a radiologist uses:
    no "pancrea" or "right iliopsoa" (singularised), no "left rib 3" or "vertebrae l1"."""
    labels = np.zeros((40, 60), np.uint8)
    for value, (cx, cy) in enumerate([(8, 8), (24, 8), (40, 8), (8, 28), (24, 28), (44, 28)], start=1):
        labels[disc(labels.shape, cx, cy, 5)] = value
    path = save_png(tmp_path / "maps" / "case1.png", labels)
    write_json(tmp_path / "maps" / "dataset.json", {"labels": {
        "background": 0, "pancreas": 1, "iliopsoas_right": 2, "rib_left_3": 3, "vertebrae_L1": 4, "white matter": 5,
        "cerebrospinal fluid": 6}})
    (s,), report = read_all(path, "label_map")
    assert not report.entries
    assert s.names == ("pancreas", "right iliopsoas", "left third rib", "first lumbar vertebra", "white matter",
                       "cerebrospinal fluid")
    assert s.meta["exhaustive"] == sorted(s.names)
