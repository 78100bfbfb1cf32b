"""The decompression-bomb limit every command opens images under is the user's to set
(`VERISCENE_MAX_IMAGE_PIXELS`, `scene.image_files.set_max_image_pixels`): read once where
image_files is imported, so in a fresh process and in a pool's worker as in this one. The large
image is a PNG header alone (20000x10000, 200 Mpx: over twice Pillow's 89 Mpx), which Pillow
refuses or sizes without decoding a pixel."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from veriscene.scene import image_files
from veriscene.scene.image_files import MAX_PIXELS_ENV, ImageFileError, parse_max_image_pixels, set_max_image_pixels

SIZE_OF = ("import sys\nfrom veriscene.scene.image_files import ImageFileError, shown_size\n"
           "try:\n    print(shown_size(sys.argv[1]))\nexcept ImageFileError as exc:\n    print(exc.reason)\n")


def large_png(path: Path, width: int = 20000, height: int = 10000) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    return path


def _in_a_new_process(path: Path, limit: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != MAX_PIXELS_ENV}
    if limit is not None:
        env[MAX_PIXELS_ENV] = limit
    return subprocess.run([sys.executable, "-c", SIZE_OF, str(path)], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("limit, said", [
    (None, "Scale it down first, or if it is a real photo raise the limit: VERISCENE_MAX_IMAGE_PIXELS=PIXELS"),
    ("200_000_000", "(20000, 10000)"),  # over the limit, under twice it: sized (and warned of)
    ("none", "(20000, 10000)"),
    ("1000000", "over twice Pillow's decompression bomb limit (Image.MAX_IMAGE_PIXELS: 1000000)"),
])
def test_a_process_opens_images_under_the_limit_its_environment_sets(
        tmp_path: Path, limit: str | None, said: str) -> None:
    done = _in_a_new_process(large_png(tmp_path / "slide.png"), limit)
    assert done.returncode == 0, done.stderr
    assert said in done.stdout


@pytest.mark.parametrize("text", ["lots", "0", "-5", "1e9", "89.5"])
def test_a_limit_that_is_no_number_of_pixels_is_refused_naming_the_variable(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match=f"VERISCENE_MAX_IMAGE_PIXELS='{text}': expected a positive number"):
        parse_max_image_pixels(text)
    done = _in_a_new_process(large_png(tmp_path / "slide.png"), text)
    assert done.returncode != 0 and f"VERISCENE_MAX_IMAGE_PIXELS='{text}': expected a positive" in done.stderr


def test_the_setter_sets_pillow_s_limit_and_the_workers_started_after_it(tmp_path: Path, pillow_limit: None) -> None:
    from veriscene.engine.backends import ordered_map

    path = large_png(tmp_path / "slide.png")
    with pytest.raises(ImageFileError, match="decompression bomb"):
        image_files.shown_size(path)
    set_max_image_pixels(400_000_000)
    assert Image.MAX_IMAGE_PIXELS == 400_000_000 and os.environ[MAX_PIXELS_ENV] == "400000000"
    assert image_files.shown_size(path) == (20000, 10000)
    # a spawned worker imports image_files afresh: it reads the limit from the environment
    (size,) = ordered_map(image_files.shown_size, [(path,)], workers=1, start="spawn")
    assert size == (20000, 10000)
    set_max_image_pixels(None)
    assert Image.MAX_IMAGE_PIXELS is None and os.environ[MAX_PIXELS_ENV] == "none"
    with pytest.raises(ValueError, match="positive whole number or None"):
        set_max_image_pixels(0)


def test_a_bad_limit_is_said_in_one_line_by_every_command_before_any_work(tmp_path: Path) -> None:
    """Importing veriscene with a bad value raises nothing (a traceback before the command could
    speak); the command line says it as a usage error, exit 2, and Python raises it at the first
    image opened."""
    env = {**os.environ, MAX_PIXELS_ENV: "lots"}
    done = subprocess.run([sys.executable, "-m", "veriscene", "generators"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: VERISCENE_MAX_IMAGE_PIXELS='lots': expected a positive number")
    code = ("import veriscene, sys\nfrom veriscene.scene.image_files import shown_size\n"
            "try:\n    shown_size(sys.argv[1])\nexcept ValueError as exc:\n    print('raised:', exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(large_png(tmp_path / "slide.png"))], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "raised: VERISCENE_MAX_IMAGE_PIXELS='lots'" in done.stdout
