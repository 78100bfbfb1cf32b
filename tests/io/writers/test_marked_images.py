"""Exports of samples whose image carries marks (`veriscene.scene.marks`: points the question names
by label) hand on the image with its marks drawn: embedded as the marked image, or by path as a
marked copy in marked_images/ beside the export, never the unmarked file (`io.writers.marked`);
and the drawing is deterministic."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from veriscene.io.writers import write
from veriscene.io.writers.marked import MARKED_FOLDER
from veriscene.scene.mark_drawing import MARK_COLOUR, draw_marks

GREY = (128, 128, 128)
MARKS = [{"label": "A", "point": [20.5, 30.5]}, {"label": "B", "point": [100.25, 60.75]}]


def sample(sid: str, marks=None, question: str = "Which point is closer to the camera: A or B?") -> dict:
    image = {"id": "i0", "path": "images/grey.png"}
    if marks is not None:
        image["marks"] = marks
    program = [{"op": "marked_point", "inputs": [], "args": [m["label"], *m["point"]]} for m in marks or []]
    return {"id": sid, "task": "depth.map_points.v1", "family": "depth", "images": [image], "question": question,
            "answer": "A", "answer_type": "str", "choices": None, "program": program, "template_id": "closer_marks.0",
            "generator_version": 1, "seed": 1, "meta": {"mode": "qa", "mark_labels": ["A", "B"]}}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "run" / "images").mkdir(parents=True)
    Image.new("RGB", (160, 120), GREY).save(tmp_path / "run" / "images" / "grey.png")
    return tmp_path / "run"


def test_drawing_is_deterministic_and_sized_from_the_shorter_side() -> None:
    im = Image.new("RGB", (400, 200), (250, 250, 250))
    a, b = draw_marks(im, MARKS), draw_marks(im, MARKS)
    assert a.tobytes() == b.tobytes() and im.getpixel((20, 30)) == (250, 250, 250)  # a copy
    assert a.getpixel((20, 30)) == MARK_COLOUR and a.getpixel((100, 60)) == MARK_COLOUR
    small, large = draw_marks(Image.new("RGB", (400, 200)), MARKS[:1]), draw_marks(Image.new("RGB", (800, 400)), MARKS[:1])
    assert np.asarray(large).any(axis=2).sum() > 2 * np.asarray(small).any(axis=2).sum()  # pixels drawn


def test_llava_by_path_names_a_marked_copy(tmp_path: Path, root: Path) -> None:
    out = tmp_path / "out" / "llava.json"
    summary = write([sample("s1", MARKS), sample("s2", MARKS), sample("s3")], out, "llava", sample_root=root)
    records = json.loads(out.read_text())
    marked, plain = records[0]["image"], records[2]["image"]
    assert records[1]["image"] == marked and marked.startswith(f"{MARKED_FOLDER}/grey-") and marked.endswith(".png")
    assert plain == "../run/images/grey.png"  # an unmarked sample: the file itself, as before
    copy = Image.open(out.parent / marked).convert("RGB")
    assert copy.getpixel((20, 30)) == MARK_COLOUR and copy.getpixel((150, 5)) == GREY
    assert len(list((out.parent / MARKED_FOLDER).iterdir())) == 1  # one copy for the two samples
    assert summary.samples_written == 3 and summary.images_missing == 0
    assert any("1 marked image(s) written to" in w for w in summary.warnings)
    first = (out.parent / marked).read_bytes()
    write([sample("s1", MARKS)], out, "llava", sample_root=root)  # again: the same name, the same bytes
    assert (out.parent / marked).read_bytes() == first


def test_parquet_embeds_the_marked_image(tmp_path: Path, root: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "out.parquet"
    write([sample("s1", MARKS), sample("s2")], out, "parquet", sample_root=root, embed_images=True)
    rows = pq.read_table(out).to_pylist()
    cells = [r["images"][0] if isinstance(r["images"], list) else r["image"] for r in rows]
    marked, plain = (Image.open(io.BytesIO(c["bytes"])).convert("RGB") for c in cells)
    assert marked.getpixel((20, 30)) == MARK_COLOUR and plain.getpixel((20, 30)) == GREY
    assert not (tmp_path / MARKED_FOLDER).exists()  # embedded: no copies written


def test_a_bad_mark_skips_its_sample_named(tmp_path: Path, root: Path) -> None:
    out = tmp_path / "out" / "llava.json"
    summary = write([sample("s1", [{"label": "", "point": [1, 2]}]), sample("s2")], out, "llava", sample_root=root)
    assert summary.samples_written == 1 and summary.samples_skipped == 1
    assert "s1" in summary.errors[0] and "marks[0].label" in summary.errors[0]


def test_trl_conversations_keep_marked_and_plain_images_apart(tmp_path: Path, root: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "trl.parquet"
    samples = [sample("s1", MARKS), sample("s2", question="Is it grey?"), sample("s3", MARKS, "Which is farther: A or B?")]
    write(samples, out, "trl", sample_root=root, embed_images=True, turns=2)
    rows = {tuple(r["sample_ids"]): r for r in pq.read_table(out).to_pylist()}
    assert ("s2",) in rows and sorted(k for ids in rows for k in ids) == ["s1", "s2", "s3"]  # plain alone
    for ids, row in rows.items():
        shown = Image.open(io.BytesIO(row["images"][0]["bytes"])).convert("RGB").getpixel((20, 30))
        assert shown == (GREY if ids == ("s2",) else MARK_COLOUR)


def test_a_jpeg_is_marked_as_a_jpeg(tmp_path: Path, root: Path) -> None:
    """A photo's marked copy stays a JPEG (quality 95, no chroma subsampling): as PNG a 12 Mpx photo
    is tens of megabytes."""
    Image.new("RGB", (160, 120), GREY).save(root / "images" / "grey.jpg", quality=90)
    record = sample("s1", MARKS)
    record["images"][0]["path"] = "images/grey.jpg"
    out = tmp_path / "out" / "llava.json"
    write([record], out, "llava", sample_root=root)
    (path,) = [json.loads(out.read_text())[0]["image"]]
    assert path.endswith(".jpg") and (out.parent / path).read_bytes()[:3] == b"\xff\xd8\xff"
    shown = Image.open(out.parent / path).convert("RGB").getpixel((20, 30))
    assert all(abs(a - b) <= 8 for a, b in zip(shown, MARK_COLOUR))


def test_images_at_urls_are_marked_too(tmp_path: Path, memory) -> None:
    """An image named by URL (samples made from scenes read from s3://...): its marked copy is
    written from the store's bytes, and embedded conversations draw the marks on it."""
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), GREY).save(buffer, format="PNG")
    memory.pipe_file("/data/grey.png", buffer.getvalue())
    samples = [sample("s1", MARKS), sample("s2", MARKS, "Which is farther: A or B?")]
    for s in samples:
        s["images"][0]["path"] = "memory://data/grey.png"
    out = tmp_path / "out" / "llava.json"
    write(samples, out, "llava")
    path = json.loads(out.read_text())[0]["image"]
    assert path.startswith(f"{MARKED_FOLDER}/grey-")
    assert Image.open(out.parent / path).convert("RGB").getpixel((20, 30)) == MARK_COLOUR
    parquet = tmp_path / "trl.parquet"
    write(samples, parquet, "trl", embed_images=True, turns=2)
    for row in pq.read_table(parquet).to_pylist():
        assert Image.open(io.BytesIO(row["images"][0]["bytes"])).convert("RGB").getpixel((20, 30)) == MARK_COLOUR


def test_marked_copies_of_long_or_odd_names_are_written(tmp_path: Path, root: Path) -> None:
    """A marked copy's name is made of the image's: a file name of 250 characters (Linux takes
    255) gave one of 267, which no file system takes (the export stopped: OSError), and a URL's
    query or a space went into it as they were."""
    from veriscene.io.writers.marked import marked_name

    long_name = "x" * 246 + ".png"
    Image.new("RGB", (160, 120), GREY).save(root / "images" / long_name)
    record = sample("s1", MARKS)
    record["images"][0]["path"] = f"images/{long_name}"
    out = tmp_path / "out" / "llava.json"
    summary = write([record], out, "llava", sample_root=root)
    (written,) = [r["image"] for r in json.loads(out.read_text())]
    assert summary.samples_written == 1 and len(Path(written).name) <= 120
    assert Image.open(out.parent / written).convert("RGB").getpixel((20, 30)) == MARK_COLOUR
    signed = marked_name("https://b.example.com/a/photo.jpg?X-Amz-Signature=ab12&v=1.2", MARKS, "image/jpeg")
    assert signed.startswith("photo-") and signed.endswith(".jpg") and "?" not in signed
    assert marked_name("images/a b&c.png", MARKS, "image/png").startswith("a_b_c-")
    assert marked_name("images/grey.png", MARKS, "image/png").startswith("grey-")  # plain names as before


@pytest.mark.parametrize("kind", ["exif6", "palette", "grey16", "swapped"])
def test_marks_are_drawn_on_the_image_as_shown(tmp_path: Path, root: Path, kind: str) -> None:
    """(guard) The marked copy is the image as veriscene shows it, upright and in sRGB, 8-bit RGB,
    with the mark at the coordinates the question names (those of the scene graph, upright): a
    photo stored sideways (EXIF orientation 6), a palette PNG, a 16-bit grey PNG and a JPEG whose
    colour profile swaps red and green (its stored red quarter is shown green)."""
    from tests.scene.test_colour_profiles import swapped_icc

    upright = Image.new("RGB", (160, 120), GREY)
    upright.paste((0, 0, 255), (0, 0, 80, 60))  # the top-left quarter blue, as shown
    name = {"exif6": "turned.jpg", "palette": "p.png", "grey16": "g.png", "swapped": "swapped.jpg"}[kind]
    path = root / "images" / name
    if kind == "exif6":  # stored turned a quarter back: shown upright once EXIF orientation 6 is applied
        exif = Image.Exif()
        exif[0x0112] = 6
        upright.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif.tobytes(), quality=95)
    elif kind == "palette":
        upright.convert("P").save(path)
    elif kind == "grey16":
        Image.fromarray((np.asarray(upright.convert("L"), dtype=np.uint16) * 257)).save(path)
    else:  # the quarter stored red, shown green
        stored = upright.copy()
        stored.paste((255, 0, 0), (0, 0, 80, 60))
        stored.save(path, icc_profile=swapped_icc(), quality=95)
    record = sample("s1", MARKS)
    record["images"][0]["path"] = f"images/{name}"
    out = tmp_path / "out" / "llava.json"
    write([record], out, "llava", sample_root=root)
    copy = Image.open(out.parent / json.loads(out.read_text())[0]["image"])
    assert copy.size == (160, 120) and copy.mode == "RGB" and "exif" not in copy.info
    for (x, y), colour in [((20, 30), MARK_COLOUR), ((100, 60), MARK_COLOUR)]:
        assert all(abs(a - b) <= 12 for a, b in zip(copy.getpixel((x, y)), colour)), (kind, x, y)
    shown = {"exif6": (0, 0, 255), "palette": (0, 0, 255), "swapped": (0, 255, 0)}.get(kind)
    if shown is not None:  # the top-left quarter's colour where it is shown (no mark covers (70, 5))
        assert all(abs(a - b) <= 40 for a, b in zip(copy.getpixel((70, 5)), shown)), (kind, copy.getpixel((70, 5)))


def test_each_image_of_a_sample_is_marked_with_its_own_marks(tmp_path: Path, root: Path) -> None:
    # multi.marked_point.v1: one mark an image ("A" on Image 1, "B" on Image 2), TRL ground truth
    # listing them with their image
    import pyarrow.parquet as pq

    images = [{"id": f"i{k}", "path": "images/grey.png", "marks": [mark]} for k, mark in enumerate(MARKS)]
    program = [{"op": "image_marked_point", "inputs": [], "args": [k, m["label"], *m["point"]]}
               for k, m in enumerate(MARKS)]
    multi = {**sample("m1"), "task": "multi.marked_point.v1", "family": "multi_select", "images": images,
             "question": "In which image is the marked point on a dog?", "answer": 1, "answer_type": "image_index",
             "program": program, "template_id": "default.1", "meta": {"mode": "qa"}}
    out = tmp_path / "out" / "llava.json"
    write([multi], out, "llava", sample_root=root)
    first, second = (Image.open(out.parent / p).convert("RGB") for p in json.loads(out.read_text())[0]["image"])
    assert first.getpixel((20, 30)) == MARK_COLOUR and first.getpixel((100, 60)) == GREY
    assert second.getpixel((100, 60)) == MARK_COLOUR and second.getpixel((20, 30)) == GREY
    trl = tmp_path / "trl.parquet"
    write([multi], trl, "trl", sample_root=root, embed_images=True)
    row = pq.read_table(trl).to_pylist()[0]
    assert json.loads(row["ground_truth"])["marks"] == [{**m, "image": k} for k, m in enumerate(MARKS)]
