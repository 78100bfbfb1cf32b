"""Images at URLs in an export (samples made from scenes read from a URL), as local images are
treated: embedded, their colour profile converted to sRGB and their EXIF orientation applied
(`scene.image_files.payload` of the bytes read from the store); written by path with
``check_urls``, their headers read (the first 64 KB: `engine.fetch_many.read_heads`, the whole
file when the header runs past them) and the ones a loader would show otherwise warned of, as
local files are (`ImageResolver.by_path_warnings`). ``memory://`` stands for object storage."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import orjson
import pytest
from PIL import Image

from tests.scene.image_kinds import quadrants
from tests.scene.test_colour_profiles import swapped_icc
from veriscene import generate
from veriscene.demo.world import iter_scene_graphs
from veriscene.io.export import export
from veriscene.scene import write_scenes


def _jpeg(icc: bytes | None = None, turn: int | None = None, long_header: bool = False) -> bytes:
    exif = Image.Exif()
    if turn is not None:
        exif[0x0112] = turn
    if long_header:  # a 65 KB EXIF block: the profile after it starts past the first 64 KB read
        exif[0x010E] = "x" * 65300
    pixels = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8) if long_header else quadrants()
    buffer = io.BytesIO()
    options = {"icc_profile": icc} if icc is not None else {}
    Image.fromarray(pixels).save(buffer, format="JPEG", exif=exif.tobytes(), quality=95, **options)
    return buffer.getvalue()


KINDS = {  # image k of the run -> its file
    0: _jpeg(icc=swapped_icc()),
    1: _jpeg(turn=6),
    2: _jpeg(),
    3: _jpeg(icc=swapped_icc(), long_header=True),
}


@pytest.fixture
def run(tmp_path: Path, memory, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[int, str]]:
    """A run over 4 scenes read from memory://data, their images there (`KINDS`): (run, image URLs)."""
    monkeypatch.setenv("VERISCENE_DOWNLOADS", str(tmp_path / "downloads"))
    scenes = tmp_path / "scenes.jsonl"
    write_scenes(iter_scene_graphs(4, seed=3), scenes)
    memory.pipe_file("/data/scenes.jsonl", scenes.read_bytes())
    urls = {}
    for k, line in enumerate(scenes.read_bytes().splitlines()):
        name = orjson.loads(line)["image"]
        memory.pipe_file(f"/data/{name}", KINDS[k])
        urls[k] = f"memory://data/{name}"
    generate("memory://data/scenes.jsonl", tmp_path / "run", seed=1, generators="counting")
    return tmp_path / "run", urls


def test_images_at_urls_written_by_path_are_warned_of_as_local_files_are(tmp_path: Path, run) -> None:
    out, urls = run
    summary = export(out, tmp_path / "llava.json", to="llava", check_urls=True)
    assert summary.images_missing == 0 and summary.images_checked == summary.images_at_urls > 0
    turned = [w for w in summary.warnings if "stored turned" in w]
    profiled = [w for w in summary.warnings if "colour profile other than sRGB" in w]
    assert len(turned) == 1 and turned[0].startswith("1 image(s) written by path are stored turned (first: "
                                                      f"{urls[1]}, EXIF orientation 6)")
    # the one whose profile starts past the first 64 KB read too (read whole)
    assert len(profiled) == 1 and profiled[0].startswith("2 image(s) written by path carry a colour profile other "
                                                         f"than sRGB (first: {urls[0]}, 'sRGB built-in')"), profiled
    assert not [w for w in summary.warnings if "cannot be opened" in w]


def test_unchecked_images_at_urls_are_not_read(tmp_path: Path, run, memory, monkeypatch) -> None:
    out, _ = run

    def refuse(*args, **kwargs):
        raise AssertionError("read from the store")

    monkeypatch.setattr(type(memory), "cat_file", refuse)
    summary = export(out, tmp_path / "llava.json", to="llava")
    assert summary.images_checked == 0 and not [w for w in summary.warnings if "written by path" in w]


def test_an_image_at_a_url_that_is_no_image_is_said_and_a_missing_one_counted(tmp_path: Path, run, memory) -> None:
    out, urls = run
    memory.pipe_file(urls[2].removeprefix("memory:/"), b"not an image at all")
    memory.rm_file(urls[1].removeprefix("memory:/"))
    summary = export(out, tmp_path / "llava.json", to="llava", check_urls=True)
    assert summary.images_missing == 1 and summary.missing_examples == [urls[1]]
    (unopenable,) = [w for w in summary.warnings if "cannot be opened" in w]
    assert unopenable.startswith(f"1 image(s) written by path cannot be opened as images (first: {urls[2]}: ")


def test_images_at_urls_embedded_are_shown_in_srgb_and_upright(tmp_path: Path, run) -> None:
    # (guards what local images get: the bytes read from the store go through the same payload)
    import pyarrow.parquet as pq

    out, urls = run
    summary = export(out, tmp_path / "t.parquet", to="parquet", embed_images=True)
    assert summary.images_embedded == summary.images_at_urls > 0
    cells = {im["path"]: im["bytes"] for row in pq.read_table(tmp_path / "t.parquet").to_pylist() for im in row["images"]}
    with Image.open(io.BytesIO(cells[urls[0]])) as sent:
        assert "icc_profile" not in sent.info
        assert tuple(np.asarray(sent.convert("RGB"))[2, 2] // 64) == (0, 3, 0)  # red stored, green shown
    with Image.open(io.BytesIO(cells[urls[1]])) as sent:
        assert sent.size == (24, 48)  # stored 48 x 24, orientation 6: upright
    assert cells[urls[2]] == KINDS[2]  # as it is
    assert any("re-encoded" in w and "colour profile sRGB built-in" in w for w in summary.warnings)


def test_images_at_urls_shown_and_sent_to_models_are_in_srgb_and_upright(tmp_path: Path, run) -> None:
    # (guards what local images get: the viewer's /image and eval's requests hand on the local
    # copy of an image at a URL through the same payload)
    import base64

    from veriscene.evaluate.adapters.base import image_payload
    from veriscene.scene.image_files import payload
    from veriscene.viewer.catalog import Catalog

    out, urls = run
    catalog = Catalog.open(out)
    for k, expected in ((0, (0, 3, 0)), (1, None)):
        image_id = urls[k].rsplit("/", 1)[1].rsplit(".", 1)[0]
        copy = catalog.image_file(image_id)
        assert copy is not None and copy.read_bytes() == KINDS[k]  # the local copy, as stored
        shown, _, why = payload(copy)  # the viewer's /image
        sent = base64.b64decode(image_payload(copy)[1].split(",", 1)[1])  # an eval request's data URL
        assert why is not None and sent == shown
        with Image.open(io.BytesIO(sent)) as im:
            if expected is not None:
                assert "icc_profile" not in im.info and tuple(np.asarray(im.convert("RGB"))[2, 2] // 64) == expected
            else:
                assert im.size == (24, 48)
