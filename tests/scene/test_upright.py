"""Photos stored turned (EXIF orientation) are shown, read and sent upright everywhere, as
`annotate` reads them: their scene graphs' boxes are of the upright image."""

import base64
import io

import numpy as np
from PIL import Image

from veriscene.evaluate.adapters.base import image_payload
from veriscene.rewards.views import image_size_of, load_rgb
from veriscene.scene.upright import displayed_size, orientation, upright
from veriscene.viewer.images import thumbnail


def _photo(path, turn: int) -> np.ndarray:
    """An 80x40 JPEG whose left half is red, stored with EXIF orientation `turn`; returns the
    pixels a viewer shows."""
    pixels = np.zeros((40, 80, 3), np.uint8)
    pixels[:, :40] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = turn
    Image.fromarray(pixels).save(path, format="JPEG", quality=95, exif=exif)
    with Image.open(path) as im:
        return np.asarray(upright(im).convert("RGB"))


def test_a_photo_stored_sideways_is_upright_everywhere(tmp_path) -> None:
    path = tmp_path / "phone.jpg"
    shown = _photo(path, 6)  # turned a quarter: shown 40 wide, 80 high
    assert shown.shape[:2] == (80, 40)
    assert displayed_size(path) == image_size_of(path) == (40, 80)
    assert load_rgb(path).size == (40, 80)
    with Image.open(io.BytesIO(thumbnail(path, max_side=640))) as im:
        assert im.size == (40, 80)
    _, url = image_payload(path)
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as sent:
        assert sent.size == (40, 80) and orientation(sent) == 1
        assert np.abs(np.asarray(sent.convert("RGB")).astype(int) - shown).mean() < 8  # the same picture


def test_a_photo_stored_upright_is_sent_as_it_is(tmp_path) -> None:
    path = tmp_path / "plain.jpg"
    _photo(path, 1)
    digest, url = image_payload(path)
    assert base64.b64decode(url.split(",", 1)[1]) == path.read_bytes()  # untouched bytes
    assert displayed_size(path) == (80, 40)
