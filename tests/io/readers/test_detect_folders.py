"""`--from auto` given a folder of annotation files read one at a time names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veriscene.io.readers import FormatDetectionError, detect_format


def test_folder_of_single_file_annotations_names_them(tmp_path: Path) -> None:
    coco = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "cup"}]}
    (tmp_path / "instances_val2017.json").write_text(json.dumps(coco))
    (tmp_path / "captions_val2017.json").write_text(json.dumps({"images": [], "annotations": [{"caption": "x"}]}))
    (tmp_path / "val_sceneGraphs.json").write_text(json.dumps({"1": {"width": 5, "height": 5, "objects": {
        "7": {"name": "cup", "x": 1, "y": 1, "w": 2, "h": 2, "attributes": [], "relations": []}}}}))
    with pytest.raises(FormatDetectionError) as caught:
        detect_format(tmp_path)
    said = str(caught.value)
    assert said.startswith(f"{tmp_path}: a folder of annotation files read one at a time (")
    assert "instances_val2017.json (coco)" in said and "val_sceneGraphs.json (gqa)" in said
    assert "captions" not in said and said.endswith(f"as in {(tmp_path / 'instances_val2017.json').as_posix()}")


def test_folder_of_nothing_known_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("[1, 2]")
    with pytest.raises(FormatDetectionError, match="cannot tell the annotation format of this folder"):
        detect_format(tmp_path)


def test_coco_download_folder_names_its_annotations_folder(tmp_path: Path) -> None:
    """`convert coco/` (annotations/ beside val2017/) said 'pass --from FORMAT', and --from coco
    then 'coco is a folder: the coco reader reads an annotation file'."""
    coco = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "cup"}]}
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "instances_val2017.json").write_text(json.dumps(coco))
    (tmp_path / "val2017").mkdir()
    (tmp_path / "val2017" / "000000000139.jpg").write_bytes(b"jpeg")
    with pytest.raises(FormatDetectionError) as caught:
        detect_format(tmp_path)
    file = (tmp_path / "annotations" / "instances_val2017.json").as_posix()
    assert str(caught.value) == (f"{tmp_path}: cannot tell the annotation format of this folder, whose annotation "
                                 f"files are in a folder of it ({file} (coco)); give the file to convert, as in "
                                 f"{file} (with --image-root naming the folder of its images)")
