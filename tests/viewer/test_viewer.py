"""The viewer: catalog of a run, pages served over real HTTP, the static export, the command."""

from __future__ import annotations

import io
import re
import shutil
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import orjson
import pytest
from PIL import Image
from typer.testing import CliRunner

from veriscene.cli import app
from veriscene.demo.pipeline import run_demo
from veriscene.scene.jsonl import scene_from_dict
from veriscene.scene.masks import decode_mask
from veriscene.viewer import Catalog, Filters, make_server, write_html
from veriscene.viewer.images import mask_overlay
from veriscene.viewer.pages import PALETTE, show_value
from veriscene.program.types import Obj, Objs


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("view")
    run_demo(out, scenes=5, seed=2)
    return out


def records(run: Path) -> list[dict]:
    return [orjson.loads(line) for line in (run / "samples.jsonl").read_bytes().splitlines() if line.strip()]


class _Parser(HTMLParser):
    """Collects tags with their attributes; fails the test on an unclosed <svg> or <table>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("svg", "table", "tr"):
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("svg", "table", "tr"):
            assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
            self.open.pop()


def parse(text: str) -> _Parser:
    p = _Parser()
    p.feed(text)
    assert not p.open, f"unclosed {p.open}"
    return p


@contextmanager
def serving(catalog: Catalog) -> Iterator[str]:
    """The catalog served on a free port, for the block: its base URL."""
    srv = make_server(catalog, port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        catalog.close()


@pytest.fixture(scope="module")
def server(run: Path) -> Iterator[str]:
    with serving(Catalog.open(run)) as base:
        yield base


def get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_reads_every_sample_and_every_trace_matches(run: Path) -> None:
    catalog = Catalog.open(run)
    expected = records(run)
    assert [e.record["id"] for e in catalog.entries] == [r["id"] for r in expected]
    assert not catalog.problems and not catalog.truncated
    for entry in catalog.entries:
        scenes, trace = catalog.trace(entry)
        assert trace.failure is None and trace.matches, (entry.record["task"], trace)
        assert len(trace.values) == len(entry.record["program"])
        assert [s.image_id for s in scenes if s is not None] == list(entry.image_ids)
    catalog.close()


def test_catalog_filters_and_counts(run: Path) -> None:
    catalog = Catalog.open(run)
    expected = records(run)
    chosen = catalog.select(Filters(task="object.count.v1", mode="mc"))
    assert chosen and all(catalog.entries[k].record["task"] == "object.count.v1" for k in chosen)
    assert len(chosen) == sum(r["task"] == "object.count.v1" and r["meta"]["mode"] == "mc" for r in expected)
    word = "how many"
    assert len(catalog.select(Filters(text=word.upper()))) == sum(word in r["question"].lower() for r in expected)
    image = expected[0]["images"][0]["id"]
    assert catalog.select(Filters(image=image)) == catalog.of_image(image)
    assert sum(catalog.counts("family").values()) == len(expected)
    assert catalog.counts("mode")["qa"] == sum(r["meta"]["mode"] == "qa" for r in expected)


def test_catalog_limit_and_bad_lines_are_reported(run: Path, tmp_path: Path) -> None:
    lines = (run / "samples.jsonl").read_bytes().splitlines()
    broken = tmp_path / "samples.jsonl"
    broken.write_bytes(b"\n".join([lines[0], b"{not json", b'{"id": "x"}', lines[1], lines[2]]) + b"\n")
    catalog = Catalog.open(broken, scenes=run / "scenes.jsonl")
    assert len(catalog.entries) == 3 and [p.line for p in catalog.problems] == [2, 3]
    assert "missing field(s): task" in catalog.problems[1].reason
    nodes = orjson.loads(lines[0])
    not_nodes = tmp_path / "not_nodes.jsonl"
    not_nodes.write_bytes(orjson.dumps({**nodes, "program": ["scene", 0]}) + b"\n" + lines[1] + b"\n")
    catalog = Catalog.open(not_nodes, scenes=run / "scenes.jsonl")
    assert len(catalog.entries) == 1 and [p.line for p in catalog.problems] == [1]
    assert "field 'program' must be a list of node objects" in catalog.problems[0].reason
    limited = Catalog.open(run, limit=4)
    assert len(limited.entries) == 4 and limited.truncated


def test_missing_scene_is_shown_not_raised(run: Path, tmp_path: Path) -> None:
    record = records(run)[0]
    record["images"][0]["id"] = "no-such-image"
    path = tmp_path / "samples.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    catalog = Catalog.open(path, scenes=run / "scenes.jsonl")
    _, trace = catalog.trace(catalog.entries[0])
    assert trace.failure is not None and "no-such-image" in trace.failure


def test_mismatch_is_flagged(run: Path, tmp_path: Path) -> None:
    record = next(r for r in records(run) if r["answer_type"] == "int")
    record["answer"] += 1
    path = tmp_path / "samples.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")
    catalog = Catalog.open(path, scenes=run / "scenes.jsonl")
    _, trace = catalog.trace(catalog.entries[0])
    assert trace.matches is False and trace.answer == record["answer"] - 1


def test_image_file_resolution(run: Path, tmp_path: Path) -> None:
    catalog = Catalog.open(run)
    image_id = catalog.entries[0].image_ids[0]
    assert catalog.image_file(image_id) == run / catalog.entries[0].record["images"][0]["path"]
    # a samples file elsewhere: the scene's own image path, relative to the scenes file
    copy = tmp_path / "elsewhere.jsonl"
    shutil.copy(run / "samples.jsonl", copy)
    moved = Catalog.open(copy, scenes=run / "scenes.jsonl")
    assert moved.image_file(image_id) == run / moved.scene(image_id).image
    assert moved.image_file("no-such-image") is None


# --- pictures --------------------------------------------------------------------------------


def test_mask_overlay_paints_exactly_the_masks_asked(run: Path) -> None:
    line = (run / "scenes.jsonl").read_bytes().splitlines()[0]
    scene = scene_from_dict(orjson.loads(line))
    png = mask_overlay(scene, [0, 2], PALETTE)
    rgba = np.asarray(Image.open(io.BytesIO(png)))
    assert rgba.shape == (scene.height, scene.width, 4)
    painted = rgba[..., 3] > 0
    expected = decode_mask(scene.masks[0]) | decode_mask(scene.masks[2])
    assert np.array_equal(painted, expected)
    only_2 = decode_mask(scene.masks[2])
    assert tuple(rgba[only_2][0][:3]) == tuple(int(PALETTE[2][k:k + 2], 16) for k in (1, 3, 5))


def test_show_value() -> None:
    from tests.conftest import make_scene

    scene = make_scene([{"name": "cat", "box": [0, 0, 5, 5]}, {"name": "dog", "box": [5, 5, 9, 9]}])
    assert show_value(Objs(0, (0, 1)), [scene]) == "2 object(s): #0 cat, #1 dog"
    assert "may be incomplete" in show_value(Objs(0, (1,), complete=False), [scene])
    assert show_value(Obj(1, 0), [scene, scene]) == "image 2 #0 cat"
    assert show_value(frozenset({"b", "a"}), [scene]) == "{a, b}"
    assert show_value((1.0, 2.25), [scene]) == "[1.0, 2.2]"


# --- server ----------------------------------------------------------------------------------


def test_listing_page(server: str, run: Path) -> None:
    status, mime, body = get(server + "/?task=object.count.v1&mode=qa")
    assert status == 200 and mime.startswith("text/html")
    text = body.decode()
    parse(text)
    wanted = [r for r in records(run) if r["task"] == "object.count.v1" and r["meta"]["mode"] == "qa"]
    assert f"({len(wanted):,} samples)" in text
    for r in wanted:
        assert r["question"].split("\n")[0].replace("'", "&#x27;") in text


def test_listing_pages_through_all_samples(server: str, run: Path) -> None:
    total = len(records(run))
    first = get(server + "/")[2].decode()
    pages = -(-total // 100)
    assert f"page 1 of {pages} ({total:,} samples)" in first
    links = set()
    for n in range(pages):
        text = get(server + f"/?page={n}")[2].decode()
        links |= set(re.findall(r"href='/sample/(\d+)'", text))
    assert links == {str(k) for k in range(total)}


def test_sample_page_draws_the_answer_objects_and_trace(server: str, run: Path) -> None:
    rows = records(run)
    k = next(i for i, r in enumerate(rows) if r["task"] == "grounding.box.v1")
    status, _, body = get(server + f"/sample/{k}")
    text = body.decode()
    tags = parse(text).tags
    assert status == 200 and "the program computes the stored answer" in text
    steps = [a for t, a in tags if t == "tr" and a.get("class") == "step"]
    assert len(steps) == len(rows[k]["program"])
    lit = [a for t, a in tags if t == "rect" and a.get("class") == "obj"]
    assert len(lit) == 1  # the one object whose box is asked
    answer = [a for t, a in tags if t == "rect" and a.get("class") == "answer"]
    x0, y0, x1, y1 = rows[k]["answer"]
    assert len(answer) == 1 and float(answer[0]["x"]) == pytest.approx(x0, abs=0.05)
    assert float(answer[0]["width"]) == pytest.approx(x1 - x0, abs=0.1)
    images = [a["href"] for t, a in tags if t == "image"]
    assert images[0] == "/image/" + rows[k]["images"][0]["id"]
    mask_href = images[1]
    index = lit[0]["data-key"].split(":")[1]
    assert mask_href.endswith(f"?o={index}")
    status, mime, png = get(server + mask_href)
    assert status == 200 and mime == "image/png" and png.startswith(b"\x89PNG")


def test_multi_image_sample_has_one_figure_per_image(server: str, run: Path) -> None:
    rows = records(run)
    k = next(i for i, r in enumerate(rows) if len(r["images"]) >= 2)
    tags = parse(get(server + f"/sample/{k}")[2].decode()).tags
    assert sum(t == "svg" for t, _ in tags) == len(rows[k]["images"])


def test_scene_page_lists_objects_relations_and_samples(server: str, run: Path) -> None:
    line = (run / "scenes.jsonl").read_bytes().splitlines()[0]
    scene = scene_from_dict(orjson.loads(line))
    status, _, body = get(server + f"/scene/{scene.image_id}")
    text = body.decode()
    tags = parse(text).tags
    assert status == 200
    assert sum(t == "rect" and a.get("class") == "obj" for t, a in tags) == len(scene)
    rows = [a for t, a in tags if t == "tr" and a.get("data-rel")]
    arrows = [a for t, a in tags if t == "g" and a.get("class") == "rel"]
    assert len(rows) == len(arrows) == len(scene.relations) > 0
    assert [r["data-rel"] for r in rows] == [a["data-rel"] for a in arrows]
    assert [r["data-objs"] for r in rows] == [f"0:{s} 0:{o}" for s, _, o in scene.relations]
    assert "id='all-rels'" in text
    shown = sum(scene.image_id in [i["id"] for i in r["images"]] for r in records(run))
    assert f"Samples showing it ({shown})" in text


def test_image_route_serves_the_file(server: str, run: Path) -> None:
    rows = records(run)
    status, mime, body = get(server + "/image/" + rows[0]["images"][0]["id"])
    assert status == 200 and mime == "image/png"
    assert body == (run / rows[0]["images"][0]["path"]).read_bytes()


@pytest.mark.parametrize("path", ["/sample/999999", "/sample/x", "/nothing", "/image/nope", "/masks/nope?o=1"])
def test_unknown_pages_are_404_with_a_message(server: str, path: str) -> None:
    status, mime, body = get(server + path)
    assert status == 404 and mime.startswith("text/html") and b"all samples" in body


def test_relation_arrows_leave_the_subjects_box_towards_the_objects() -> None:
    from veriscene.scene.model import Scene
    from veriscene.viewer.pages import _arrows

    scene = Scene.from_objects("s", 200, 100, [{"name": "cup", "box": [10, 10, 50, 50]},
                                               {"name": "table", "box": [120, 10, 180, 90]},
                                               {"name": "plate", "box": [20, 20, 40, 40]}])
    svg = _arrows(scene, [(0, "left of", 1), (2, "in", 0)], 0)
    lines = re.findall(r"<line x1='([\d.]+)' y1='([\d.]+)' x2='([\d.]+)' y2='([\d.]+)'", svg)
    # on the line between the centres (30, 30) and (150, 50): out of the cup at x = 50, into the table at x = 120
    assert tuple(map(float, lines[0])) == (50.0, 33.3, 120.0, 45.0)
    assert tuple(map(float, lines[1])) == (30.0, 30.0, 30.0 + 200 / 40, 30.0 - 200 / 40)  # same centre: a tick
    assert ">left of<" in svg and ">in<" in svg


def test_scene_page_of_an_unknown_image(server: str) -> None:
    status, _, body = get(server + "/scene/nope")
    assert status == 404 and b"No valid scene graph for image nope" in body


# --- static export and command ---------------------------------------------------------------


def test_write_html_embeds_everything(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "page" / "samples.html"
    summary = write_html(run, out, count=5, filters=Filters(family="segmentation"))
    text = out.read_text()
    tags = parse(text).tags
    assert summary.samples_written == 5 and summary.missing_images == 0
    assert summary.samples_matching == sum(r["family"] == "segmentation" for r in records(run))
    hrefs = [a["href"] for t, a in tags if t == "image"]
    assert hrefs and all(h.startswith("data:image/") for h in hrefs)
    assert "http" not in "".join(a.get("href", "") + a.get("src", "") for _, a in tags)
    assert text.count("the program computes the stored answer") == 5


def test_write_html_without_images(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run" / "samples.jsonl"
    copy.parent.mkdir()
    shutil.copy(run / "samples.jsonl", copy)
    scenes = tmp_path / "run" / "scenes.jsonl"
    scenes.write_bytes(b"".join(
        orjson.dumps({**orjson.loads(line), "image": None}) + b"\n"
        for line in (run / "scenes.jsonl").read_bytes().splitlines()))
    summary = write_html(copy, tmp_path / "out.html", scenes, count=3)
    assert summary.missing_images >= 1 and "no image file for" in (tmp_path / "out.html").read_text()


def test_view_command_html_and_errors(run: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "v.html"
    result = runner.invoke(app, ["view", str(run), "--html", str(out), "--count", "3", "--task", "object.count.v1"])
    assert result.exit_code == 0, result.output
    assert "wrote 3 of" in result.output and out.exists()
    assert "no sample matches" not in result.output
    # a task no generator has is a misspelling: exit 2 (tests/viewer/test_filter_names.py)
    none = runner.invoke(app, ["view", str(run), "--html", str(out), "--task", "object.count.v9"])
    assert none.exit_code == 2 and "did you mean 'object.count.v1'" in " ".join(none.output.split())
    missing = runner.invoke(app, ["view", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in " ".join(missing.output.split())
    assert "view" in runner.invoke(app, ["--help"]).output


def test_view_html_below_a_file_is_said_as_a_write_error(run: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "v.html"
    result = CliRunner().invoke(app, ["view", str(run), "--html", str(out), "--count", "1"])
    assert result.exit_code == 2
    # it said 'cannot serve on 127.0.0.1:8000', then 'cannot write ...: [Errno 17] File exists' once the samples were read
    assert result.stderr == f"error: out {out}: cannot write there: {tmp_path / 'file'} is a file, not a folder\n"



@pytest.mark.parametrize("given", ["folder", "new/"])
def test_view_html_naming_a_folder_is_refused_before_the_samples_are_read(run: Path, tmp_path: Path,
                                                                            given: str) -> None:
    """A folder (or a name ending in /) where the page goes: refused, naming the file to give.
    Before, `--html pages/` wrote a file named `pages` (the separator dropped) and an existing
    folder was "cannot write folder: [Errno 21] Is a directory" once every sample was drawn."""
    (tmp_path / "folder").mkdir()
    out = f"{tmp_path}/{given}"
    said = (f"out {out} is a folder" if given == "folder" else f"out {out} names a folder (it ends in /)") + \
        f": give the file to write (e.g. {Path(out) / 'samples.html'})"
    with pytest.raises(IsADirectoryError) as info:
        write_html(run, out, count=1)
    assert str(info.value) == said
    result = CliRunner().invoke(app, ["view", str(run), "--html", out, "--count", "1"], env={"COLUMNS": "1000"})
    assert result.exit_code == 2 and result.stderr == f"error: {said}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"] and not any((tmp_path / "folder").iterdir())

# --- evaluation results ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def evaluated(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.evaluate.conftest import answer_table
    from tests.evaluate.fake_server import FakeServer
    from veriscene.evaluate import evaluate

    out = tmp_path_factory.mktemp("eval")
    table = answer_table(run)
    with FakeServer(lambda text, images: table[(text, tuple(images))]) as fake:
        evaluate(run, "openai:fake", out, base_url=fake.url, freeform="off", reports=False)
    return out


def results_of(out: Path) -> dict[str, dict]:
    return {r["id"]: r for r in (orjson.loads(line) for line in (out / "results.jsonl").read_bytes().splitlines())}


def test_catalog_outcomes_follow_the_results(run: Path, evaluated: Path) -> None:
    catalog = Catalog.open(run, results=evaluated)
    results = results_of(evaluated)
    for e in catalog.entries:
        r = results[e.id]
        expected = {"scored": "correct" if r["correct"] else "wrong"}.get(r["status"], r["status"])
        assert e.outcome == expected
    correct, scored = catalog.accuracy()
    assert correct == sum(bool(r["correct"]) for r in results.values())
    assert scored == sum(r["status"] in ("scored", "parse_failed") for r in results.values())
    wrong = catalog.select(Filters(outcome="incorrect"))
    assert {catalog.entries[k].outcome for k in wrong} == {"wrong", "parse_failed"}
    assert {catalog.entries[k].outcome for k in catalog.select(Filters(outcome="wrong"))} == {"wrong"}
    with pytest.raises(ValueError, match="outcome must be one of"):
        Filters(outcome="bad")


def test_results_of_a_running_evaluation_are_taken_up_as_they_come(run: Path, evaluated: Path,
                                                                    tmp_path: Path) -> None:
    lines = (evaluated / "results.jsonl").read_bytes().splitlines(keepends=True)
    growing = tmp_path / "results.jsonl"
    half = len(lines) // 2
    growing.write_bytes(b"".join(lines[:half]))
    catalog = Catalog.open(run, results=growing)
    assert catalog.counts("outcome")["unanswered"] == len(catalog.entries) - half
    torn = lines[half][: len(lines[half]) // 2]
    with open(growing, "ab") as fh:
        fh.write(torn)  # a line still being written
    assert catalog.refresh() == 0 and catalog.counts("outcome")["unanswered"] == len(catalog.entries) - half
    with open(growing, "ab") as fh:
        fh.write(lines[half][len(torn):] + b"".join(lines[half + 1:]))
    assert catalog.refresh() == len(lines) - half
    fresh = Catalog.open(run, results=evaluated)
    assert [e.outcome for e in catalog.entries] == [e.outcome for e in fresh.entries]
    assert catalog.accuracy() == fresh.accuracy() and not catalog.problems


def test_the_server_shows_results_added_while_it_runs(run: Path, evaluated: Path, tmp_path: Path) -> None:
    lines = (evaluated / "results.jsonl").read_bytes().splitlines(keepends=True)
    growing = tmp_path / "results.jsonl"
    growing.write_bytes(lines[0])
    catalog = Catalog.open(run, results=growing)
    with serving(catalog) as base:
        before = get(base + "/?outcome=unanswered")[2].decode()
        with open(growing, "ab") as fh:
            fh.write(b"".join(lines[1:]))
        after = get(base + "/?outcome=unanswered")[2].decode()
    assert f"unanswered ({len(catalog.entries) - 1})" in before
    assert "unanswered (" not in after  # every sample has its result now


def test_results_shown_on_pages(run: Path, evaluated: Path) -> None:
    catalog = Catalog.open(run, results=evaluated)
    with serving(catalog) as base:
        listing = get(base + "/?outcome=parse_failed")[2].decode()
        parse(listing)
        failed = catalog.select(Filters(outcome="parse_failed"))
        assert failed and f"({len(failed):,} samples)" in listing and "model's reply" in listing
        rows = records(run)
        results = results_of(evaluated)
        k = next(i for i, r in enumerate(rows) if r["answer_type"] == "box" and not r["choices"]
                 and results[r["id"]]["status"] == "scored")
        text = get(base + f"/sample/{k}")[2].decode()
        tags = parse(text).tags
        assert "model's reply" in text and "score " in text
        predicted = [a for t, a in tags if t == "rect" and a.get("class") == "predicted"]
        x0, y0, _, _ = results[rows[k]["id"]]["parsed"]
        assert len(predicted) == 1 and float(predicted[0]["x"]) == pytest.approx(x0, abs=0.05)
        assert get(base + "/?outcome=nonsense")[0] == 404


def test_write_html_of_the_failures(run: Path, evaluated: Path, tmp_path: Path) -> None:
    out = tmp_path / "wrong.html"
    summary = write_html(run, out, count=1000, results=evaluated, filters=Filters(outcome="incorrect"))
    results = results_of(evaluated)
    assert summary.samples_written == sum(r["status"] == "parse_failed" or (r["status"] == "scored" and not r["correct"])
                                          for r in results.values())
    text = out.read_text()
    assert text.count("model's reply:") == summary.samples_written
    result = CliRunner().invoke(app, ["view", str(run), "--html", str(tmp_path / "x.html"), "--outcome", "wrong"])
    assert result.exit_code == 2 and "--results" in result.output


def test_scene_page_says_when_a_slice_is_shown_radiologically(tmp_path: Path) -> None:
    from veriscene.scene.jsonl import scene_to_dict
    from veriscene.viewer.server import ServerLinks
    from veriscene.viewer.pages import scene_page
    from tests.conftest import make_scene

    scene = make_scene([{"name": "liver", "box": [0, 0, 50, 40]}, {"name": "spleen", "box": [60, 10, 90, 40]}],
                       image_id="ct_z0001", meta={"orientation": "radiological"})
    scenes = tmp_path / "scenes.jsonl"
    scenes.write_bytes(orjson.dumps(scene_to_dict(scene)) + b"\n")
    samples = tmp_path / "samples.jsonl"
    samples.write_bytes(b"")
    catalog = Catalog.open(samples, scenes=scenes)
    text = scene_page(catalog, "ct_z0001", ServerLinks(catalog))
    assert "the patient&#x27;s right is on the image&#x27;s left" in text or "the patient's right is on the image's left" in text


def test_a_scenes_file_alone(run: Path, tmp_path: Path) -> None:
    scenes = run / "scenes.jsonl"
    lines = scenes.read_bytes().splitlines()
    broken = tmp_path / "scenes.jsonl"
    broken.write_bytes(b"\n".join([lines[0], b'{"image_id": "x"}', *lines[1:]]) + b"\n")
    catalog = Catalog.open(broken)
    assert catalog.scene_rows is not None and len(catalog.scene_rows) == len(lines)
    assert [p.line for p in catalog.problems] == [2]
    first = orjson.loads(lines[0])
    assert catalog.scene_rows[0].image_id == first["image_id"] and catalog.scene_rows[0].objects == len(first["objects"])
    with serving(Catalog.open(scenes)) as base:
        listing = get(base + "/")[2].decode()
        parse(listing)
        assert f"({len(lines):,} scenes)" in listing and "no samples" in listing
        name = first["objects"][0]["name"]
        wanted = sum(any(o["name"] == name for o in orjson.loads(line)["objects"]) for line in lines)
        assert f"({wanted:,} scenes)" in get(base + f"/?text={name}")[2].decode()
        status, _, body = get(base + f"/scene/{first['image_id']}")
        assert status == 200 and body.decode().count("class='obj'") == len(first["objects"])
        assert get(base + f"/image/{first['image_id']}")[0] == 200  # the scene's own image path
    with pytest.raises(ValueError, match="scenes file"):
        write_html(scenes, tmp_path / "x.html")
    result = CliRunner().invoke(app, ["view", str(scenes), "--html", str(tmp_path / "x.html")])
    assert result.exit_code == 2 and "scenes file" in " ".join(result.output.split())


def test_a_folder_of_scene_files_alone(run: Path, tmp_path: Path) -> None:
    """Several scene files browsed before generating: every scene, named by file and line; each
    opens with its image (found beside its own file)."""
    from veriscene.scene.compressed import create_scene_file

    lines = (run / "scenes.jsonl").read_bytes().splitlines()
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "images").symlink_to(run / "images")
    with create_scene_file(folder / "a.jsonl.gz") as fh:
        fh.write(b"\n".join(lines[:2]) + b"\n")
    (folder / "b.jsonl").write_bytes(b"\n".join([*lines[2:], b'{"image_id": "x"}']) + b"\n")
    catalog = Catalog.open(folder)
    assert catalog.scene_rows is not None and len(catalog.scene_rows) == len(lines)
    assert len(lines) > 3
    assert [(r.file, r.line) for r in catalog.scene_rows[1:3]] == [("a.jsonl.gz", 2), ("b.jsonl", 1)]
    assert [p.line for p in catalog.problems] == [len(lines) - 1] and "b.jsonl" in catalog.problems[0].reason
    last = orjson.loads(lines[-1])
    with serving(catalog) as base:
        listing = get(base + "/")[2].decode()
        parse(listing)
        assert "(2 scene files)" in listing and "<th>file</th>" in listing and f"({len(lines):,} scenes)" in listing
        status, _, body = get(base + f"/scene/{last['image_id']}")
        assert status == 200 and body.decode().count("class='obj'") == len(last["objects"])
        assert get(base + f"/image/{last['image_id']}")[0] == 200
    # a folder holding a run is the run, not its scene files
    assert Catalog.open(run).scene_rows is None


def test_an_unfinished_run_is_read_shard_by_shard_as_its_shards_finish(run: Path, tmp_path: Path) -> None:
    pytest.importorskip("zstandard")  # in the core install: never skipped
    from veriscene.engine.generate import generate
    from veriscene.engine.shards import sidecar_path

    out = tmp_path / "zrun"
    generate(run / "scenes.jsonl", out, shard_size=2, shard_format="zstd")  # 5 scenes: shards 0, 1, 2
    complete = Catalog.open(out)
    finished = (out / "manifest.json").read_bytes()
    manifest = orjson.loads(finished)
    # as the run stood while generating: the manifest says "running", shard 0 done, 1 and 2 not yet
    (out / "manifest.json").write_bytes(orjson.dumps({"config": manifest["config"], "key": manifest["key"],
                                                      "status": "running"}))
    sidecars = {k: sidecar_path(out / "shards", k).read_bytes() for k in (1, 2)}
    for k in (1, 2):
        sidecar_path(out / "shards", k).unlink()
    catalog = Catalog.open(out)
    first = manifest["shards"][0]["samples"]
    assert catalog.unfinished == "zstd" and catalog.shards_read == 1 and len(catalog.entries) == first
    assert [e.id for e in catalog.entries] == [e.id for e in complete.entries[:first]]
    assert catalog.refresh() == 0
    with pytest.raises(ValueError, match="has not finished"):
        Catalog.open(out, results=tmp_path)
    with serving(catalog) as base:
        status, _, body = get(base + "/")
        text = body.decode()
        assert status == 200 and "This run has not finished" in text and "first 1 shard(s)" in text
        assert catalog.counts("task")  # counted now; counted again when shards come
        sidecar_path(out / "shards", 2).write_bytes(sidecars[2])  # shard 2 before 1: read after 1 only
        get(base + "/")
        assert catalog.shards_read == 1
        sidecar_path(out / "shards", 1).write_bytes(sidecars[1])
        status, _, body = get(base + "/")
        text = body.decode()
        assert catalog.shards_read == 3 and "first 3 shard(s)" in text
        assert [e.line for e in catalog.entries] == [e.line for e in complete.entries]
        assert sum(catalog.counts("task").values()) == len(complete.entries)
        (out / "manifest.json").write_bytes(finished)  # the run completes
        status, _, body = get(base + "/")
        text = body.decode()
        assert catalog.unfinished is None and "This run has not finished" not in text
        assert [e.id for e in catalog.entries] == [e.id for e in complete.entries]


def test_a_compressed_scenes_file_alone(run: Path, tmp_path: Path) -> None:
    from veriscene.scene.compressed import create_scene_file
    from veriscene.viewer.catalog import is_scene_file

    lines = (run / "scenes.jsonl").read_bytes().splitlines()
    packed = tmp_path / "scenes.jsonl.gz"
    with create_scene_file(packed) as fh:
        fh.write(b"\n".join(lines) + b"\n")
    assert is_scene_file(packed)
    catalog = Catalog.open(packed)
    assert catalog.scene_rows is not None and len(catalog.scene_rows) == len(lines) and not catalog.problems
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(packed.read_bytes()[:20])
    assert not is_scene_file(broken)  # not readable as a scenes file: opened as a samples file, which says why
    # samples checked against scenes kept compressed
    samples = Catalog.open(run, scenes=packed)
    assert samples.entries
    for entry in samples.entries[:40]:
        trace = samples.trace(entry)[1]
        assert trace.failure is None and trace.matches
    samples.close()
