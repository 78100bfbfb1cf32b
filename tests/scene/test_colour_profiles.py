"""Images whose files embed an ICC colour profile (`scene.colour_profiles`): every way veriscene
decodes or hands on an image shows the colours a browser shows, converted to sRGB; a profile that
changes nothing (a camera's sRGB), a broken one and one of another colour space leave the file as
it is. Test profiles are built from LittleCMS's own sRGB profile (`ImageCms.createProfile`) with
its red and green primaries swapped: pure red stored is green shown, so no rounding can hide a
conversion left out (and none is needed). The CMYK profile, which LittleCMS cannot build, is
written out byte by byte (`tests.scene.cmyk_profile`), its red and green swapped likewise."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from tests.scene.image_kinds import DECODERS, HANDED_ON, as_array, naive_rgb, quadrants
from veriscene.io.readers._images import read_header
from veriscene.scene.colour_profiles import conversion
from veriscene.scene.image_files import payload, read_rgb

COLOUR_PROFILE = "images_shown_in_srgb_from_their_colour_profile"
TOLERANCE = 12.0  # mean absolute difference (0-255): JPEG sources and thumbnails are lossy


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def swapped_icc() -> bytes:
    """An RGB profile whose red primary is sRGB's green and green primary sRGB's red: its tag
    table's rXYZ and gXYZ entries point at each other's data."""
    icc = bytearray(srgb_icc())
    (count,) = struct.unpack(">I", icc[128:132])
    entry = {bytes(icc[132 + 12 * i:136 + 12 * i]): 132 + 12 * i for i in range(count)}
    r, g = entry[b"rXYZ"], entry[b"gXYZ"]
    icc[r + 4:r + 12], icc[g + 4:g + 12] = icc[g + 4:g + 12], icc[r + 4:r + 12]
    return bytes(icc)


def linear_grey_icc() -> bytes:
    """A grey profile of linear light (a `curv` of no points: the identity), from sRGB's: its
    colour space GRAY, its red curve's entry renamed kTRC and pointed at that curve."""
    icc = bytearray(srgb_icc())
    (count,) = struct.unpack(">I", icc[128:132])
    curve_at = len(icc)
    icc += b"curv" + bytes(4) + struct.pack(">I", 0)
    for i in range(count):
        at = 132 + 12 * i
        if icc[at:at + 4] == b"rTRC":
            icc[at:at + 12] = b"kTRC" + struct.pack(">II", curve_at, 12)
    icc[16:20], icc[0:4] = b"GRAY", struct.pack(">I", len(icc))
    return bytes(icc)


def _swapped(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., [1, 0, 2]]


def _close(got: np.ndarray, expected: np.ndarray, where: str) -> None:
    assert got.shape == expected.shape, where
    diff = np.abs(got.astype(int) - expected.astype(int)).mean()
    assert diff < TOLERANCE, f"{where}: other colours (mean difference {diff:.1f})"


@pytest.mark.parametrize("name", ["p.jpg", "p.png", "p.webp"])
def test_every_decoder_and_every_hand_on_shows_the_colours_the_profile_says(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    Image.fromarray(quadrants()).save(path, icc_profile=swapped_icc(), quality=95)
    with Image.open(path) as im:  # (what Pillow alone, transformers and vLLM read: the numbers stored)
        _close(np.asarray(im.convert("RGB")), quadrants(), f"{name} read naively")
    for how, decode in DECODERS.items():
        _close(as_array(decode(path)), _swapped(quadrants()), f"{name} by {how}")
    for how, hand_on in HANDED_ON.items():
        data, mime = hand_on(path)
        assert data != path.read_bytes(), f"{name} by {how}: sent as its own bytes"
        _close(naive_rgb(data, mime), _swapped(quadrants()), f"{name} handed on by {how}")


def test_pure_colours_are_converted_exactly(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    Image.fromarray(quadrants()).save(path, icc_profile=swapped_icc())
    shown = np.asarray(read_rgb(path))
    assert tuple(shown[0, 0]) == (0, 255, 0) and tuple(shown[0, -1]) == (255, 0, 0)  # red, green swapped
    assert tuple(shown[-1, 0]) == (0, 0, 255) and tuple(shown[-1, -1]) == (255, 255, 0)  # blue, yellow kept
    data, mime, why = payload(path)
    assert mime == "image/png" and why == "colour profile sRGB built-in"
    with Image.open(io.BytesIO(data)) as sent:  # sRGB, saying no other profile (a browser would convert again)
        assert "icc_profile" not in sent.info
        np.testing.assert_array_equal(np.asarray(sent), shown)
    assert "icc_profile" not in read_rgb(path).info


def test_transparency_is_composited_after_the_colours_are_converted(tmp_path: Path) -> None:
    rgba = np.dstack([quadrants(), np.full((24, 48), 255, np.uint8)])
    rgba[:, :24, 3] = 0  # the left half (red over blue) clear
    path = tmp_path / "t.png"
    Image.fromarray(rgba, "RGBA").save(path, icc_profile=swapped_icc())
    shown = np.asarray(read_rgb(path))
    assert tuple(shown[0, 0]) == (255, 255, 255) and tuple(shown[0, -1]) == (255, 0, 0)


def test_a_palette_image_s_colours_are_converted(tmp_path: Path) -> None:
    path = tmp_path / "p.png"
    Image.fromarray(quadrants()).quantize(4).save(path, icc_profile=swapped_icc())
    assert tuple(np.asarray(read_rgb(path))[0, 0]) == (0, 255, 0)


@pytest.mark.parametrize("mode", ["L", "LA"])
def test_a_grey_image_s_profile_is_applied_too(tmp_path: Path, mode: str) -> None:
    # linear-light greys shown in sRGB: 128 is 188 (sRGB's curve, worked out here)
    levels = np.arange(0, 256, 16, dtype=np.uint8)
    grey = np.tile(levels, (4, 1))
    pixels = grey if mode == "L" else np.dstack([grey, np.full_like(grey, 255)])
    Image.fromarray(pixels, mode).save(tmp_path / "g.png", icc_profile=linear_grey_icc())
    light = levels / 255.0
    srgb = np.where(light <= 0.0031308, 12.92 * light, 1.055 * light ** (1 / 2.4) - 0.055)
    shown = np.asarray(read_rgb(tmp_path / "g.png")).astype(int)
    assert np.abs(shown[0, :, 0] - np.round(srgb * 255)).max() <= 1 and (shown[..., 0] == shown[..., 2]).all()
    assert payload(tmp_path / "g.png")[2] == ("colour profile sRGB built-in" if mode == "L" else "transparent")


@pytest.mark.parametrize("icc", ["srgb", "broken", "lab"])
def test_a_profile_that_changes_nothing_or_cannot_apply_leaves_the_file_as_it_is(tmp_path: Path, icc: str) -> None:
    # an sRGB profile (cameras embed one); a broken one and a Lab profile in an RGB file are ignored,
    # as browsers ignore them
    embedded = {"srgb": srgb_icc(), "broken": b"not a profile" * 20,
                "lab": ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()}[icc]
    path = tmp_path / "p.jpg"
    Image.fromarray(quadrants()).save(path, icc_profile=embedded, quality=95)
    with Image.open(path) as im:
        assert im.info["icc_profile"] == embedded and conversion(im) is None
        stored = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(np.asarray(read_rgb(path)), stored)
    for how, hand_on in HANDED_ON.items():
        assert hand_on(path)[0] == path.read_bytes(), f"{icc} by {how}: re-encoded"
    header = read_header(path)
    assert header is not None and header.profile is None


@pytest.mark.parametrize("name", ["c.jpg", "c.tif"])
def test_a_cmyk_file_s_profile_is_applied(tmp_path: Path, name: str) -> None:
    # a print file: CMYK numbers (Pillow's naive CMYK of the quadrants) in a press profile
    from tests.scene.cmyk_profile import cmyk_icc

    path = tmp_path / name
    Image.fromarray(quadrants()).convert("CMYK").save(path, icc_profile=cmyk_icc(), quality=95)
    with Image.open(path) as im:  # what Pillow alone reads: the numbers turned into RGB as they are
        found = conversion(im)
        assert im.mode == "CMYK" and found is not None and found.name == "CMYK test"
        _close(np.asarray(im.convert("RGB")), quadrants(), f"{name} read naively")
    for how, decode in DECODERS.items():
        _close(as_array(decode(path)), _swapped(quadrants()), f"{name} by {how}")
    for how, hand_on in HANDED_ON.items():
        data, mime = hand_on(path)
        _close(naive_rgb(data, mime), _swapped(quadrants()), f"{name} handed on by {how}")
    if name.endswith(".tif"):  # lossless: the corners of the ink cube come out as the profile says
        shown = np.asarray(read_rgb(path)).astype(int)  # (within 12 levels: the profile's table is 8-bit Lab)
        for (row, col), colour in {(0, 0): (0, 255, 0), (0, -1): (255, 0, 0), (-1, 0): (0, 0, 255),
                                   (-1, -1): (255, 255, 0)}.items():
            assert np.abs(shown[row, col] - colour).max() <= 12, (row, col, shown[row, col])


def test_a_file_turned_and_in_another_profile_is_both_turned_and_converted(tmp_path: Path) -> None:
    from tests.scene.image_kinds import exif

    path = tmp_path / "phone.jpg"
    Image.fromarray(quadrants()).save(path, icc_profile=swapped_icc(), exif=exif(6), quality=95)
    _close(np.asarray(read_rgb(path)), np.rot90(_swapped(quadrants()), k=-1), "turned and converted")
    data, _, why = payload(path)
    assert why == "EXIF orientation 6"
    _close(naive_rgb(data, "image/jpeg"), np.rot90(_swapped(quadrants()), k=-1), "handed on")


def test_an_export_says_it_re_encoded_for_the_profile(tmp_path: Path) -> None:
    from tests.io.conftest import make_sample
    from veriscene.io.writers import write

    Image.fromarray(quadrants()).save(tmp_path / "p3.jpg", icc_profile=swapped_icc(), quality=95)
    summary = write([make_sample("s0", ["p3.jpg"])], tmp_path / "o.parquet", "parquet", sample_root=tmp_path,
                    embed_images=True)
    (note,) = [w for w in summary.warnings if "re-encoded" in w]
    assert "1 colour profile sRGB built-in" in note


def test_readers_count_the_images_shown_converted(tmp_path: Path) -> None:
    from tests.io.readers.reader_helpers import read_all, write_json

    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(quadrants()).save(images / "1.jpg", icc_profile=swapped_icc(), quality=95)
    Image.fromarray(quadrants()).save(images / "2.jpg", icc_profile=srgb_icc(), quality=95)
    Image.fromarray(quadrants()).save(images / "3.jpg", quality=95)
    path = write_json(tmp_path / "instances.json", {
        "images": [{"id": k, "file_name": f"{k}.jpg", "width": 48, "height": 24} for k in (1, 2, 3)],
        "annotations": [], "categories": [{"id": 1, "name": "cup"}]})
    scenes, report = read_all(path, "coco", image_root=images)
    assert len(scenes) == 3 and report.repairs[COLOUR_PROFILE] == 1


@pytest.mark.parametrize("fmt, out", [("llava", "o.json"), ("parquet", "o.parquet")])
def test_an_export_by_path_says_which_images_a_loader_would_show_in_other_colours(tmp_path: Path, fmt: str,
                                                                                  out: str) -> None:
    # a trainer given the path reads the numbers as sRGB: red stored is green shown here
    from tests.io.conftest import make_sample
    from veriscene.io.writers import write

    Image.fromarray(quadrants()).save(tmp_path / "p3.jpg", icc_profile=swapped_icc(), quality=95)
    Image.fromarray(quadrants()).save(tmp_path / "p3.png", icc_profile=swapped_icc())
    Image.fromarray(quadrants()).save(tmp_path / "camera.jpg", icc_profile=srgb_icc(), quality=95)
    Image.fromarray(quadrants()).save(tmp_path / "plain.jpg", quality=95)
    names = ["p3.jpg", "p3.jpg", "camera.jpg", "p3.png", "plain.jpg"]
    samples = [make_sample(f"s{k}", [name]) for k, name in enumerate(names)]
    summary = write(samples, tmp_path / out, fmt, sample_root=tmp_path)
    assert summary.samples_written == 5
    (note,) = [w for w in summary.warnings if "colour profile" in w]
    assert note.startswith(f"2 image(s) written by path carry a colour profile other than sRGB (first: "
                           f"{tmp_path / 'p3.jpg'}, 'sRGB built-in'): ")
    assert "embed_images=True" in note  # write() is Python's: its option
    # an sRGB profile (a camera's) or none: nothing to say
    plain = write(samples[2:3] + samples[4:], tmp_path / ("plain_" + out), fmt, sample_root=tmp_path)
    assert not [w for w in plain.warnings if "colour profile" in w]


def test_an_export_embedding_images_does_not_warn_of_their_profiles_by_path(tmp_path: Path) -> None:
    from tests.io.conftest import make_sample
    from veriscene.io.writers import write

    Image.fromarray(quadrants()).save(tmp_path / "p3.jpg", icc_profile=swapped_icc(), quality=95)
    summary = write([make_sample("s0", ["p3.jpg"])], tmp_path / "o.parquet", "parquet", sample_root=tmp_path,
                    embed_images=True)
    assert not [w for w in summary.warnings if "written by path" in w]
