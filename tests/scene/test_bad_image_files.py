"""Image files that cannot be shown as their boxes were drawn (empty, not an image whatever the
suffix says, cut short, over the decompression-bomb limit), through every way veriscene decodes
or hands on an image: each says so naming the file, in the form its command reports failures
(a reject, a failed request, a missing image, a 404, a DataError), never a traceback and never a
picture silently other than the one annotated."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.scene.image_kinds import export_resolver, viewer_get
from veriscene.annotate.batches import load_image
from veriscene.errors import DataError, SceneValidationError
from veriscene.evaluate.adapters import transformers_local
from veriscene.evaluate.adapters.base import Request, image_payload
from veriscene.evaluate.adapters.openai_compat import OpenAIChatModel
from veriscene.evaluate.prompts import Prompt
from veriscene.io.readers._images import read_header
from veriscene.rewards.views import image_size_of, load_rgb
from veriscene.viewer.images import thumbnail

# what each kind of bad file is said to be (a part of the reason)
SAID = {"empty.jpg": "empty", "text_named.jpg": "cannot identify", "cut_scan.jpg": "cut short",
        "cut_progressive.jpg": "cut short", "cut.png": "cut short", "cut.webp": "cut short",
        "cut.gif": "cut short", "bomb.png": "decompression bomb"}
# Pillow cannot open these even for their size (its WebP plugin decodes when opening); the others'
# headers are whole: their sizes are read, their pixels refused when decoded
HEADER_BROKEN = ("empty.jpg", "text_named.jpg", "bomb.png", "cut.webp")


@pytest.fixture
def bad_file(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    name: str = request.param
    path = tmp_path / name
    noise = np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)
    if name == "empty.jpg":
        path.write_bytes(b"")
    elif name == "text_named.jpg":
        path.write_bytes(b"<html>404 not found</html>\n")  # a download that saved an error page
    elif name == "bomb.png":
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 200x150 is more than twice that
        Image.fromarray(noise).save(path)
    else:  # written whole, then cut at 70%: its header intact, its pixels not all there
        fmt, extra = {"cut_scan.jpg": ("JPEG", {}), "cut_progressive.jpg": ("JPEG", {"progressive": True}),
                      "cut.png": ("PNG", {}), "cut.webp": ("WEBP", {}), "cut.gif": ("GIF", {})}[name]
        whole = io.BytesIO()
        Image.fromarray(noise).save(whole, format=fmt, **extra)
        path.write_bytes(whole.getvalue()[: len(whole.getvalue()) * 7 // 10])
    return path


def _named(message: str, path: Path, name: str) -> None:
    assert str(path) in message, f"the file is not named: {message}"
    assert SAID[name] in message, f"not said to be {SAID[name]!r}: {message}"


BAD = pytest.mark.parametrize("bad_file", list(SAID), indirect=True)


@BAD
def test_annotate_rejects_it_naming_the_file(bad_file: Path) -> None:
    loaded = load_image(bad_file)
    assert isinstance(loaded, SceneValidationError) and loaded.field == "image"
    _named(loaded.reason, bad_file, bad_file.name)


@BAD
def test_the_viewer_shows_no_picture_and_says_why(bad_file: Path) -> None:
    assert thumbnail(bad_file) is None  # the html export's grey canvas, counted missing
    status, mime, body = viewer_get(bad_file)
    assert status == 404 and mime.startswith("text/html")
    _named(body.decode(), bad_file, bad_file.name)


@BAD
def test_the_rewards_environment_raises_a_data_error_naming_it(bad_file: Path) -> None:
    with pytest.raises(DataError) as raised:
        load_rgb(bad_file)
    _named(str(raised.value), bad_file, bad_file.name)
    if bad_file.name in HEADER_BROKEN:
        with pytest.raises(DataError) as raised:
            image_size_of(bad_file)
        _named(str(raised.value), bad_file, bad_file.name)


@BAD
def test_eval_fails_the_request_naming_it_and_sends_nothing(bad_file: Path) -> None:
    with pytest.raises(DataError) as raised:
        image_payload(bad_file)
    _named(str(raised.value), bad_file, bad_file.name)
    model = OpenAIChatModel("m", "http://127.0.0.1:9/v1", api_key="unused")
    request = Request(key="s1", prompt=Prompt(system=None, text="What is it?", images=(bad_file,)))
    done = asyncio.run(model._one(None, request))  # no client: nothing may be sent
    assert done.key == "s1" and done.text == "" and done.error is not None
    _named(done.error, bad_file, bad_file.name)
    with pytest.raises(DataError) as raised:  # a local transformers model: its request fails so
        transformers_local._rgb(bad_file)
    _named(str(raised.value), bad_file, bad_file.name)


@BAD
def test_an_export_embeds_nothing_and_counts_it_missing_with_the_reason(bad_file: Path) -> None:
    resolver = export_resolver(bad_file.parent)
    ref = resolver.resolve({"id": "x", "path": bad_file.name})
    assert ref.data is None and not ref.exists  # a null image cell (parquet, hf); verl skips the sample
    summary = resolver.summary
    assert summary.images_missing == 1 and summary.images_embedded == 0
    _named(summary.missing_examples[0], bad_file, bad_file.name)


@BAD
def test_readers_read_sizes_from_a_whole_header_and_name_a_broken_one(bad_file: Path) -> None:
    if bad_file.name not in HEADER_BROKEN:
        header = read_header(bad_file)
        assert header is not None and header.size == (200, 150)
        return
    with pytest.raises(SceneValidationError) as raised:
        read_header(bad_file)
    assert raised.value.field == "image"
    _named(str(raised.value), bad_file, bad_file.name)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's own, not naming the file
def test_an_image_over_the_limit_but_under_twice_it_is_decoded_and_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    path = tmp_path / "large.png"
    Image.new("RGB", (40, 40), (10, 20, 30)).save(path)  # 1,600 pixels: over 1,000, under 2,000
    with pytest.warns(UserWarning, match=rf"{path}: 40x40 pixels, over Pillow's decompression-bomb limit of 1,000"):
        assert load_rgb(path).size == (40, 40)
