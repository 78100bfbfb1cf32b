"""An annotation's own image size is checked against the image file when the images are given
(`image_root`): a size that is not the size shown (a resized copy, the wrong image root, a
sideways-stored photo annotated by its stored size) rejects the scene, naming file, record and
field, since every box of it would be misplaced. Without `image_root` no header is read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from .reader_helpers import read_all, write_json
from .test_upright_sizes import phone_photo

BOX = [2.0, 3.0, 20.0, 30.0]  # x0, y0, x1, y1: inside every size used here


def _coco(tmp_path: Path, w: int, h: int) -> Path:
    x0, y0, x1, y1 = BOX
    return write_json(tmp_path / "instances.json", {
        "images": [{"id": 1, "file_name": "pic.jpg", "width": w, "height": h}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 0}],
        "categories": [{"id": 1, "name": "cup"}]})


def _visual_genome(tmp_path: Path, w: int, h: int) -> Path:
    x0, y0, x1, y1 = BOX
    return write_json(tmp_path / "scene_graphs.json", [{"image_id": "pic", "width": w, "height": h,
        "objects": [{"object_id": 1, "names": ["cup"], "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}],
        "relationships": []}])


def _gqa(tmp_path: Path, w: int, h: int) -> Path:
    x0, y0, x1, y1 = BOX
    return write_json(tmp_path / "gqa.json", {"pic": {"width": w, "height": h, "objects": {"1": {
        "name": "cup", "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0, "attributes": [], "relations": []}}}})


def _provision(tmp_path: Path, w: int, h: int) -> Path:
    return write_json(tmp_path / "set" / "object-detection-annotations.json", {"pic": {
        "data_path": "/elsewhere/pic.jpg",
        "annotation": {"width": w, "height": h, "labels": ["cup"], "bboxes": [BOX]}}}).parent


def _clevr(tmp_path: Path, w: int, h: int) -> Path:
    x0, y0, x1, y1 = BOX
    return write_json(tmp_path / "CLEVR_val_scenes.json", {"scenes": [{
        "image_index": 0, "image_filename": "pic.jpg", "width": w, "height": h, "objects": [{
            "shape": "cube", "color": "red", "material": "rubber", "size": "large",
            "bbox": [x0, y0, x1 - x0, y1 - y0]}], "relationships": {}}]})


READERS: list[tuple[str, Callable[[Path, int, int], Path]]] = [
    ("coco", _coco), ("visual_genome", _visual_genome), ("gqa", _gqa), ("provision", _provision)]
# every reader whose annotation gives the image size
SIZED: list[tuple[str, Callable[[Path, int, int], Path]]] = [*READERS, ("clevr", _clevr)]


def _image(path: Path, size: tuple[int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size).save(path, format="JPEG")
    return path


@pytest.mark.parametrize("fmt, write", READERS)
def test_an_annotated_size_that_fits_the_image_is_kept(tmp_path: Path, fmt: str, write) -> None:
    _image(tmp_path / "images" / "pic.jpg", (64, 48))
    (scene,), report = read_all(write(tmp_path, 64, 48), fmt, image_root=tmp_path / "images")
    assert (scene.width, scene.height) == (64, 48) and report.entries == []
    assert report.repairs["sizes_from_image_header"] == 0  # the annotation's size, checked


@pytest.mark.parametrize("fmt, write", READERS)
@pytest.mark.parametrize("annotated, why", [
    ((64, 48), "not the size of the image file"),  # the file is a resized copy (32x24)
    ((48, 64), "not the size of the image file"),
])
def test_an_annotated_size_that_is_not_the_image_size_rejects_the_scene(
        tmp_path: Path, fmt: str, write, annotated: tuple[int, int], why: str) -> None:
    image = _image(tmp_path / "images" / "pic.jpg", (32, 24))
    scenes, report = read_all(write(tmp_path, *annotated), fmt, image_root=tmp_path / "images")
    assert scenes == []
    (entry,) = report.entries
    assert (entry.record, entry.field, entry.level) == ("pic" if fmt != "coco" else "1", "width", "scene")
    assert why in entry.reason and str(image) in entry.reason and "32x24" in entry.reason
    assert f"{annotated[0]}x{annotated[1]}" in entry.reason


@pytest.mark.parametrize("fmt, write", READERS)
def test_the_stored_size_of_a_sideways_photo_rejects_the_scene(tmp_path: Path, fmt: str, write) -> None:
    phone_photo(tmp_path / "images" / "pic.jpg", 6)  # stored 80x40, shown 40x80
    # taken as drawn on the photo shown (drawn_on=shown); by default (auto) mapped from the stored
    # pixels instead (tests/io/readers/test_drawn_on_stored.py)
    scenes, report = read_all(write(tmp_path, 80, 40), fmt, image_root=tmp_path / "images", drawn_on="shown")
    assert scenes == []
    (entry,) = report.entries
    assert entry.field == "width" and "stored size" in entry.reason and "EXIF orientation 6" in entry.reason
    assert "40x80" in entry.reason
    # the upright size is the right one
    (scene,), report = read_all(write(tmp_path, 40, 80), fmt, image_root=tmp_path / "images")
    assert (scene.width, scene.height) == (40, 80) and report.entries == []


@pytest.mark.parametrize("fmt, write", SIZED)
def test_no_check_without_an_image_root_or_an_image(tmp_path: Path, fmt: str, write) -> None:
    _image(tmp_path / "images" / "pic.jpg", (32, 24))
    path = write(tmp_path, 64, 48)
    for options in ({}, {"image_root": tmp_path / "elsewhere"}):  # no root given; no file under it
        (scene,), report = read_all(path, fmt, **options)
        assert (scene.width, scene.height) == (64, 48) and report.entries == []


@pytest.mark.parametrize("fmt, write", SIZED)
@pytest.mark.parametrize("root", ["elsewhere", "images/sub"])  # no such folder; a folder without the image
def test_an_image_not_found_under_the_image_root_is_counted(tmp_path: Path, fmt: str, write, root: str) -> None:
    """The wrong image root used to leave every size unchecked and say nothing of it."""
    _image(tmp_path / "images" / "pic.jpg", (32, 24))
    (tmp_path / "images" / "sub").mkdir()
    (scene,), report = read_all(write(tmp_path, 64, 48), fmt, image_root=tmp_path / root)
    assert (scene.width, scene.height) == (64, 48) and report.entries == []  # kept: it cannot be checked
    assert report.repairs["sizes_unchecked_image_not_found"] == 1
    # found, or not looked for: not counted
    for options in ({"image_root": tmp_path / "images"}, {}):
        _, report = read_all(write(tmp_path, 32, 24), fmt, **options)
        assert report.repairs["sizes_unchecked_image_not_found"] == 0


def test_only_the_images_not_found_are_counted(tmp_path: Path) -> None:
    """Three COCO images, one of them under the root: two sizes unchecked, counted."""
    _image(tmp_path / "images" / "b.jpg", (64, 48))
    path = write_json(tmp_path / "instances.json", {
        "images": [{"id": k, "file_name": f"{name}.jpg", "width": 64, "height": 48} for k, name in enumerate("abc")],
        "annotations": [], "categories": [{"id": 1, "name": "cup"}]})
    scenes, report = read_all(path, "coco", image_root=tmp_path / "images")
    assert len(scenes) == 3 and report.entries == []
    assert report.repairs["sizes_unchecked_image_not_found"] == 2


@pytest.mark.parametrize("fmt, write", SIZED)
def test_no_annotated_size_and_no_image_found_rejects_the_scene(tmp_path: Path, fmt: str, write) -> None:
    """Without the annotation's size, an image not under the root is a reject naming the field and
    the remedies; with `image_size` that size is taken, and counted as unchecked."""
    path = write(tmp_path, 64, 48)
    data = json.loads(path.read_text()) if path.is_file() else None
    if data is None:  # ProVision: a folder of stage files
        stage = path / "object-detection-annotations.json"
        data = json.loads(stage.read_text())
        del data["pic"]["annotation"]["width"], data["pic"]["annotation"]["height"]
        write_json(stage, data)
    else:
        records = (data["images"] if fmt == "coco" else data["scenes"] if fmt == "clevr"
                   else list(data.values()) if fmt == "gqa" else data)
        for record in records:
            del record["width"], record["height"]
        write_json(path, data)
    (tmp_path / "images").mkdir()
    scenes, report = read_all(path, fmt, image_root=tmp_path / "images")
    assert scenes == []
    (entry,) = report.entries
    assert (entry.field, entry.level) == ("width", "scene")
    assert "image size missing" in entry.reason and "no image file found under the image root" in entry.reason
    assert "--image-size" in entry.reason
    (scene,), report = read_all(path, fmt, image_root=tmp_path / "images", image_size=(64, 48))
    assert (scene.width, scene.height) == (64, 48) and report.entries == []
    assert report.repairs["sizes_unchecked_image_not_found"] == 1


def test_strict_mode_raises_naming_the_field(tmp_path: Path) -> None:
    from veriscene.errors import SceneValidationError

    _image(tmp_path / "images" / "pic.jpg", (32, 24))
    with pytest.raises(SceneValidationError, match="not the size of the image file") as info:
        read_all(_coco(tmp_path, 64, 48), "coco", image_root=tmp_path / "images", strict=True)
    assert info.value.field == "width"


@pytest.mark.parametrize("fmt, write", READERS)
def test_an_unreadable_image_leaves_the_size_unchecked_and_counted(tmp_path: Path, fmt: str, write) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "pic.jpg").write_bytes(b"not a jpeg")
    (scene,), report = read_all(write(tmp_path, 64, 48), fmt, image_root=tmp_path / "images")
    assert (scene.width, scene.height) == (64, 48) and report.entries == []
    assert report.repairs["sizes_unchecked_unreadable_image"] == 1


def test_images_not_found_are_in_the_convert_summary(tmp_path: Path) -> None:
    """`veriscene convert` with the wrong --image-root: the count is in the summary users read."""
    import typer
    from typer.testing import CliRunner

    from veriscene.commands.convert import register
    from veriscene.io.convert import convert

    _image(tmp_path / "images" / "pic.jpg", (64, 48))
    path = _coco(tmp_path, 64, 48)
    summary = convert(path, tmp_path / "out" / "scenes.jsonl", "coco", image_root=tmp_path / "wrong")
    assert summary.scenes_written == 1 and summary.repairs["sizes_unchecked_image_not_found"] == 1
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command, so `convert` is a subcommand as in the CLI
    result = CliRunner().invoke(app, ["convert", str(path), "--from", "coco", "--out", str(tmp_path / "o.jsonl"),
                                      "-r", f"image_root={tmp_path / 'wrong'}"], terminal_width=200)
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.output.splitlines() if "sizes unchecked image not found" in line]
    assert [cell.strip() for cell in row.split("│")[1:3]] == ["sizes unchecked image not found", "1"]
    assert "warning: every image not found under the image root" in " ".join(result.output.split())


def test_the_warning_says_how_many_images_were_not_found(tmp_path: Path) -> None:
    """One image found, one not: the warning gives the share; all found: no warning; and
    `generate --from` says it in its note."""
    from veriscene.engine.converted import converted_scenes
    from veriscene.io.convert import ConvertSummary

    summary = ConvertSummary(input="a", output="b", rejects="c", format="coco", format_detected=False,
                             detection_reason=None, scenes_read=2, scenes_written=2, scenes_rejected=0, rejected=0,
                             boxes_clipped=0, repairs={"sizes_unchecked_image_not_found": 1})
    (warning,) = summary.warnings
    assert warning.startswith("1 of 2 images not found under the image root")
    summary.repairs = {}
    assert summary.warnings == []
    _image(tmp_path / "images" / "pic.jpg", (64, 48))
    path = _coco(tmp_path, 64, 48)
    _, note = converted_scenes(path, tmp_path / "run", "coco", strict=False, options={"image_root": tmp_path / "wrong"},
                               version="test", reuse=False)
    assert "warning: every image not found under the image root" in note
    _, note = converted_scenes(path, tmp_path / "run2", "coco", strict=False,
                               options={"image_root": tmp_path / "images"}, version="test", reuse=False)
    assert "warning:" not in note
