"""What annotate reads: which files of a folder or list, how each image is loaded (upright,
8-bit, first frame), and how scenes name their images."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veriscene.annotate import Detection, annotate, annotate_images, image_files
from veriscene.annotate.batches import load_image
from veriscene.errors import SceneValidationError
from veriscene.io.rejects import RejectReport

from .test_pipeline import draw_scene, fake_detector


def one_box(image: Image.Image) -> list[Detection]:
    """A box over the image's top-left quarter, in the image's own (displayed) pixels."""
    return [Detection("cup", (0, 0, image.width / 2, image.height / 2), 0.9)]


def test_scene_image_paths_are_relative_to_the_scene_files_folder(tmp_path: Path, monkeypatch) -> None:
    draw_scene(tmp_path / "imgs" / "a.png")
    monkeypatch.chdir(tmp_path)  # the run starts here: images given relative to this folder
    annotate("imgs", "run1/scenes.jsonl", detector=fake_detector)
    scene = json.loads((tmp_path / "run1" / "scenes.jsonl").read_text())
    assert scene["image"] == "../imgs/a.png"  # as generate reads it: from run1/
    assert (tmp_path / "run1" / scene["image"]).is_file()
    annotate(str(tmp_path / "imgs"), tmp_path / "run2" / "deep" / "s.jsonl", detector=fake_detector)
    scene = json.loads((tmp_path / "run2" / "deep" / "s.jsonl").read_text())
    assert scene["image"] == "../../imgs/a.png"  # an absolute input: relative all the same


def test_exif_orientation_is_applied_before_sizing_and_boxing(tmp_path: Path) -> None:
    stored = Image.new("RGB", (80, 40), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display: 40 wide, 80 high
    stored.save(tmp_path / "r.jpg", exif=exif)
    (scene,) = annotate_images(tmp_path / "r.jpg", detector=one_box, relations=False)
    assert (scene.width, scene.height) == (40, 80)  # as a viewer shows it
    assert scene.boxes.tolist() == [[0, 0, 20, 40]]
    loaded = load_image(tmp_path / "r.jpg")
    assert isinstance(loaded, Image.Image) and loaded.size == (40, 80)


def test_a_16_bit_grey_png_is_scaled_to_8_bits(tmp_path: Path) -> None:
    values = np.tile(np.array([0, 16384, 32768, 65535], dtype=np.uint16), (4, 1))
    Image.fromarray(values).save(tmp_path / "g16.png")  # a 16-bit grey PNG
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    loaded = load_image(tmp_path / "g16.png")
    assert isinstance(loaded, Image.Image) and loaded.mode == "RGB"
    assert np.asarray(loaded)[0, :, 0].tolist() == [0, 64, 128, 255]  # not all white


def test_a_gif_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (30, 20), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    assert image_files(tmp_path / "anim.gif") == (tmp_path, [tmp_path / "anim.gif"])
    (scene,) = annotate_images(tmp_path / "anim.gif", detector=one_box, relations=False)
    assert (scene.width, scene.height) == (30, 20) and scene.attributes == (("red",),)


def test_a_decompression_bomb_is_a_reject_and_the_run_goes_on(tmp_path: Path) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    photos = tmp_path / "photos"
    photos.mkdir()
    header = struct.pack(">IIBBBBB", 20000, 10000, 8, 2, 0, 0, 0)  # 20000x10000 RGB: 200 Mpx, a header only
    (photos / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    draw_scene(photos / "ok.png")
    summary = annotate(photos, tmp_path / "s.jsonl", detector=fake_detector)
    assert summary.scenes_written == 1 and summary.scenes_rejected == 1
    (reject,) = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert reject["field"] == "image" and reject["record"] == str(photos / "bomb.png")
    assert "decompression bomb" in reject["reason"] and "Scale it down" in reject["reason"]


def test_files_left_out_of_a_folder_are_reported_links_to_folders_followed(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    draw_scene(photos / "a.png")
    draw_scene(tmp_path / "elsewhere" / "b.png")
    os.symlink(tmp_path / "elsewhere", photos / "linked")  # a linked folder: searched
    os.symlink(tmp_path / "gone.png", photos / "broken.png")  # a broken link: reported
    os.symlink(photos, photos / "linked" / "loop")  # a loop: searched once, reported
    (photos / "photo.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")  # another format: reported
    report = RejectReport()
    scenes = list(annotate_images(photos, detector=fake_detector, report=report))
    assert [s.image_id for s in scenes] == ["a", "linked/b"]
    skipped = sorted((Path(e.record).name, e.level, e.field, e.reason.split(" (")[0]) for e in report.entries)
    assert skipped == [("broken.png", "file", "image", "skipped: a broken symbolic link"),
                       ("loop", "file", "image", "skipped: the same folder as one searched already"),
                       ("photo.heic", "file", "image", "skipped: not an image of a format annotate reads")]
    summary = annotate(photos, tmp_path / "out" / "s.jsonl", detector=fake_detector)
    assert summary.rejected_by_level == {"file": 3} and summary.scenes_written == 2


def test_a_list_file_with_a_byte_order_mark_keeps_its_first_image(tmp_path: Path) -> None:
    draw_scene(tmp_path / "a.png")
    draw_scene(tmp_path / "b.png")
    (tmp_path / "list.txt").write_text("a.png\nb.png\n", encoding="utf-8-sig")
    assert image_files(tmp_path / "list.txt") == (tmp_path, [tmp_path / "a.png", tmp_path / "b.png"])


@pytest.mark.parametrize("name", ["photo.HEIC", "scan.jp2x"])
def test_one_image_of_a_format_not_read_is_said_so(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"\x00\x00\x00\x18ftypheic\x00\xff\xfe")
    with pytest.raises(ValueError, match=rf"{name}: not an image of a format annotate reads .*is not one of them"):
        image_files(tmp_path / name)


def test_an_unreadable_image_is_a_reject_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"not a png")
    failed = load_image(tmp_path / "x.png")
    assert isinstance(failed, SceneValidationError) and str(tmp_path / "x.png") in failed.reason
