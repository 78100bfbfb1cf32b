"""Every kind of image a data set holds, through every way veriscene decodes or hands one on: the
same size as the readers check boxes against, and the same pixels, those a viewer shows
(upright, transparency over white, the first frame). `scene.image_files` holds the rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.scene.image_kinds import DECODERS, HANDED_ON, KINDS, as_array, make_kind, naive_rgb
from veriscene.io.readers._images import read_header
from veriscene.rewards.views import image_size_of

# mean absolute difference allowed (0-255): JPEG sources and the viewer's JPEG thumbnails are lossy
TOLERANCE = 12.0


def _close(got: np.ndarray, expected: np.ndarray, where: str) -> None:
    assert got.shape == expected.shape, f"{where}: {got.shape[1]}x{got.shape[0]} shown, " \
                                        f"{expected.shape[1]}x{expected.shape[0]} expected"
    diff = np.abs(got.astype(int) - expected.astype(int)).mean()
    assert diff < TOLERANCE, f"{where}: other pixels (mean difference {diff:.1f})"


@pytest.mark.parametrize("kind", KINDS)
def test_every_decoder_shows_the_pixels_a_viewer_shows(tmp_path: Path, kind: str) -> None:
    path, expected = make_kind(kind, tmp_path)
    for name, decode in DECODERS.items():
        _close(as_array(decode(path)), expected, f"{kind} by {name}")


@pytest.mark.parametrize("kind", KINDS)
def test_what_is_handed_on_shows_those_pixels_to_any_loader(tmp_path: Path, kind: str) -> None:
    path, expected = make_kind(kind, tmp_path)
    for name, hand_on in HANDED_ON.items():
        data, mime = hand_on(path)
        _close(naive_rgb(data, mime), expected, f"{kind} handed on by {name}")


@pytest.mark.parametrize("kind", KINDS)
def test_the_size_readers_check_boxes_against_is_the_size_shown(tmp_path: Path, kind: str) -> None:
    path, expected = make_kind(kind, tmp_path)
    shown = (expected.shape[1], expected.shape[0])
    header = read_header(path)
    assert header is not None and header.size == shown
    assert image_size_of(path) == shown


def test_an_image_every_loader_reads_alike_is_handed_on_as_its_own_bytes(tmp_path: Path) -> None:
    from PIL import Image

    from tests.scene.image_kinds import quadrants

    for name in ("plain.jpg", "plain.png", "plain.webp"):
        Image.fromarray(quadrants()).save(tmp_path / name)
        for how, hand_on in HANDED_ON.items():
            data, _ = hand_on(tmp_path / name)
            assert data == (tmp_path / name).read_bytes(), f"{name} by {how}: re-encoded"


def test_an_export_says_how_many_embedded_images_it_re_encoded(tmp_path: Path) -> None:
    from tests.io.conftest import make_sample
    from veriscene.io.writers import write

    make_kind("phone_exif6.jpg", tmp_path)
    make_kind("transparent.png", tmp_path)
    make_kind("png_named.jpg", tmp_path)
    samples = [make_sample(f"s{k}", [name]) for k, name in
               enumerate(["phone_exif6.jpg", "phone_exif6.jpg", "transparent.png", "png_named.jpg"])]
    summary = write(samples, tmp_path / "o.parquet", "parquet", sample_root=tmp_path, embed_images=True)
    assert summary.images_embedded == 4 and summary.images_missing == 0
    (note,) = [w for w in summary.warnings if "re-encoded" in w]
    assert note.startswith("3 embedded image(s) re-encoded as upright RGB")
    assert "2 EXIF orientation 6, 1 transparent" in note and "phone_exif6.jpg (EXIF orientation 6)" in note


def test_an_export_by_path_says_which_images_a_loader_would_show_turned_or_fail_on(tmp_path: Path) -> None:
    from PIL import Image

    from tests.io.conftest import make_sample
    from tests.scene.image_kinds import quadrants
    from veriscene.io.writers import write

    make_kind("phone_exif6.jpg", tmp_path)
    make_kind("upside_down_exif3.jpg", tmp_path)
    Image.fromarray(quadrants()).save(tmp_path / "plain.jpg")
    (tmp_path / "page.jpg").write_bytes(b"<html>404</html>")  # a download that saved an error page
    names = ["phone_exif6.jpg", "phone_exif6.jpg", "upside_down_exif3.jpg", "plain.jpg", "page.jpg"]
    samples = [make_sample(f"s{k}", [name]) for k, name in enumerate(names)]
    summary = write(samples, tmp_path / "o.json", "llava", sample_root=tmp_path)
    assert summary.samples_written == 5 and summary.images_missing == 0
    turned = [w for w in summary.warnings if "stored turned" in w]
    assert turned == [w for w in turned if w.startswith(
        f"2 image(s) written by path are stored turned (first: {tmp_path / 'phone_exif6.jpg'}, EXIF orientation 6)")]
    assert len(turned) == 1 and "embed_images=True" in turned[0]  # write() is Python's: its option
    (failing,) = [w for w in summary.warnings if "cannot be opened" in w]
    assert failing.startswith(f"1 image(s) written by path cannot be opened as images (first: {tmp_path / 'page.jpg'}: ")
    embedded = write(samples[:4], tmp_path / "o.parquet", "parquet", sample_root=tmp_path, embed_images=True)
    assert not [w for w in embedded.warnings if "stored turned" in w]  # upright bytes embedded instead
