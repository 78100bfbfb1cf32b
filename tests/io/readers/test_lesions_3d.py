"""Lesions of a volume counted by their 3D connected pieces (`_structures.volume_pieces`): one id
per lesion on every slice, one object where a slice cuts a lesion in two."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from veriscene.scene.masks import decode_mask

from .reader_helpers import read_all, write_json

nib = pytest.importorskip("nibabel")
pytest.importorskip("scipy")

SHAPE = (30, 20, 6)  # x (toward the patient's left), y (toward the front), z (toward the head)


def u_and_box(liver: bool = True) -> np.ndarray:
    """Labels: a liver (1) holding a U-shaped tumour (5: two columns on slices 1-4 joined by a bar
    on slice 1, so slices 2-4 cut it in two pieces of 12 pixels) and a box tumour (5) on slices 2-3."""
    labels = np.zeros(SHAPE, np.uint8)
    if liver:
        labels[2:28, 2:18, :] = 1
    labels[4:7, 5:9, 1:5] = 5
    labels[11:14, 5:9, 1:5] = 5
    labels[4:14, 5:9, 1] = 5
    labels[20:24, 10:14, 2:4] = 5
    return labels


def save_case(folder: Path, labels: np.ndarray) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(labels, np.diag([0.8, 0.8, 0.8, 1.0])), folder / "case.nii.gz")
    return folder / "case.nii.gz", write_json(folder / "labels.json", {"1": "liver", "5": "liver_tumour"})


def objects(scene: object) -> list[tuple[str, str, int]]:
    """(id, name, pixels) of each object of a scene."""
    return [(i, n, int(decode_mask(m).sum()))  # type: ignore[attr-defined]
            for i, n, m in zip(scene.meta["object_ids"], scene.names, scene.masks)]  # type: ignore[attr-defined]


def test_a_lesion_keeps_its_id_and_is_one_object_where_a_slice_cuts_it_in_two(tmp_path: Path) -> None:
    path, table = save_case(tmp_path, u_and_box())
    scenes, report = read_all(path, "label_map", labels=table)
    by_slice = {s.meta["slice"]: objects(s)[1:] for s in scenes}  # the liver first
    assert by_slice == {
        0: [],
        1: [("5.1", "liver tumour", 40)],  # the bar: one piece
        2: [("5.1", "liver tumour", 24), ("5.2", "liver tumour", 16)],  # two columns, one lesion
        3: [("5.1", "liver tumour", 24), ("5.2", "liver tumour", 16)],
        4: [("5.1", "liver tumour", 24)],
        5: [],
    }
    (z2,) = [s for s in scenes if s.meta["slice"] == 2]
    # its box holds both columns (x 4-13, y 5-8, shown radiologically: columns and rows reversed)
    assert z2.boxes[1].tolist() == [16.0, 11.0, 26.0, 15.0]
    assert "small_pieces_dropped" not in report.repairs and "liver tumour" in z2.meta["exhaustive"]


def test_how_many_tumours_counts_lesions_not_pieces(tmp_path: Path) -> None:
    from veriscene.generators import SceneRunner, Vocabulary, select_generators

    path, table = save_case(tmp_path, u_and_box())
    scenes, _ = read_all(path, "label_map", labels=table)
    (z2,) = [s for s in scenes if s.meta["slice"] == 2]
    runner = SceneRunner([g() for g in select_generators("object.count.v1")], Vocabulary.from_scenes([z2]))
    asked = {s.question: str(s.answer) for s in runner.run(z2)}
    assert [a for q, a in asked.items() if "liver tumours" in q] == ["2"]  # 3 when pieces of the slice were counted


def test_min_pixels_is_a_lesions_pixels_on_the_slice(tmp_path: Path) -> None:
    """Each column of the U has 12 pixels: under min_pixels=13 alone, kept together (24)."""
    path, table = save_case(tmp_path, u_and_box())
    scenes, report = read_all(path, "label_map", labels=table, min_pixels=13)
    (z4,) = [s for s in scenes if s.meta["slice"] == 4]
    assert objects(z4)[1:] == [("5.1", "liver tumour", 24)]
    assert "small_pieces_dropped" not in report.repairs
    scenes, report = read_all(path, "label_map", labels=table, min_pixels=17)
    (z2,) = [s for s in scenes if s.meta["slice"] == 2]
    assert objects(z2)[1:] == [("5.1", "liver tumour", 24)]  # the box tumour's 16 pixels are dropped
    assert report.repairs["small_pieces_dropped"] == 2 and "liver tumour" not in z2.meta["exhaustive"]


def test_one_lesion_in_the_volume_keeps_the_label_as_its_id(tmp_path: Path) -> None:
    labels = u_and_box()
    labels[20:24, 10:14, 2:4] = 1  # the box tumour gone
    path, table = save_case(tmp_path, labels)
    scenes, _ = read_all(path, "label_map", labels=table)
    assert {o for s in scenes for o in objects(s)[1:]} == {("5", "liver tumour", 40), ("5", "liver tumour", 24)}


def test_components_none_and_numpy_volumes(tmp_path: Path) -> None:
    path, table = save_case(tmp_path, u_and_box())
    scenes, _ = read_all(path, "label_map", labels=table, components="none")
    (z2,) = [s for s in scenes if s.meta["slice"] == 2]
    assert objects(z2)[1:] == [("5", "liver tumour", 40)]  # one object for the label: both lesions
    np.save(tmp_path / "case.npy", u_and_box())
    scenes, _ = read_all(tmp_path / "case.npy", "label_map", labels=table)  # sliced as stored
    (z3,) = [s for s in scenes if s.meta["slice"] == 3]
    assert objects(z3)[1:] == [("5.1", "liver tumour", 24), ("5.2", "liver tumour", 16)]


def test_lesions_along_another_axis_keep_the_volumes_ids(tmp_path: Path) -> None:
    """Sagittal slices (axis 0) of the same volume: the lesions are the same, so are their ids."""
    path, table = save_case(tmp_path, u_and_box())
    scenes, _ = read_all(path, "label_map", labels=table, axis=0, min_pixels=1)
    ids = {s.meta["slice"]: [o[0] for o in objects(s)[1:]] for s in scenes}
    assert ids[5] == ["5.1"] and ids[21] == ["5.2"] and ids[8] == ["5.1"]  # x=8: the bar only


def test_structure_files_split_a_lesion_mask_by_its_3d_pieces(tmp_path: Path) -> None:
    labels = u_and_box()
    folder = tmp_path / "s0001" / "segmentations"
    folder.mkdir(parents=True)
    affine = np.diag([0.8, 0.8, 0.8, 1.0])
    nib.save(nib.Nifti1Image((labels == 1).astype(np.uint8), affine), folder / "liver.nii.gz")
    nib.save(nib.Nifti1Image((labels == 5).astype(np.uint8), affine), folder / "liver_tumour.nii.gz")
    scenes, _ = read_all(tmp_path / "s0001", "label_map")
    by_slice = {s.meta["slice"]: objects(s) for s in scenes}
    assert by_slice[2] == [("1", "liver", 26 * 16 - 40), ("2.1", "liver tumour", 24), ("2.2", "liver tumour", 16)]
    assert by_slice[4][1:] == [("2.1", "liver tumour", 24)] and by_slice[1][1:] == [("2.1", "liver tumour", 40)]
