"""Sample pages: previous / next within the list a sample was opened from, what the question
shows drawn and labelled as the question writes it, a box or point answer in the question's
convention, and a missing image said with where it was looked for."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import orjson
import pytest

from tests.viewer.test_viewer import get, parse, records, serving
from veriscene.answers.coords import format_box
from veriscene.demo.pipeline import run_demo
from veriscene.evaluate import evaluate
from veriscene.viewer import Catalog, Filters
from veriscene.viewer.figures import question_marks
from veriscene.viewer.pages import sample_card
from veriscene.viewer.static import EmbeddedLinks


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pages")
    run_demo(out, scenes=4, seed=3)
    return out


def reply(k: int, sample: dict) -> str:
    """Every third sample answered wrong, and every multiple-choice box; the others right."""
    wrong = k % 3 == 0 or (sample["task"] == "grounding.box.v1" and bool(sample.get("choices")))
    if sample.get("choices"):
        gold = "ABCDEFGH".index(sample["meta"]["answer_letter"])
        return "ABCDEFGH"[(gold + wrong) % len(sample["choices"])]
    answer = sample["answer"]
    if sample["answer_type"] == "box":
        w, h = sample["meta"]["image_size"]
        shift = 30.0 if wrong else 0.0
        return format_box([answer[0] + shift, answer[1], answer[2] + shift, answer[3]], (w, h), "norm1")
    if sample["answer_type"] == "int":
        return str(answer + wrong)
    return "nonsense" if wrong else str(answer)


@pytest.fixture(scope="module")
def evaluated(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pages_eval")
    replies = out / "replies.jsonl"
    replies.write_bytes(b"".join(orjson.dumps({"id": s["id"], "reply": reply(k, s)}) + b"\n"
                                 for k, s in enumerate(records(run))))
    evaluate(run, f"replay:{replies}", out / "eval", freeform="off", reports=False)
    return out / "eval"


def nav(text: str) -> str:
    return html.unescape(re.search(r"<main><p>(.*?)</p>", text).group(1))


def test_previous_and_next_stay_within_the_list_opened(run: Path, evaluated: Path) -> None:
    catalog = Catalog.open(run, results=evaluated)
    wrong = list(catalog.select(Filters(outcome="wrong", mode="qa")))
    assert len(wrong) >= 3
    with serving(catalog) as base:
        listing = html.unescape(get(base + "/?outcome=wrong&mode=qa")[2].decode())
        assert f"/sample/{wrong[0]}?mode=qa&outcome=wrong" in listing
        middle = nav(get(base + f"/sample/{wrong[1]}?mode=qa&outcome=wrong")[2].decode())
        assert f"/sample/{wrong[0]}?mode=qa&outcome=wrong'>&larr; previous" in middle.replace("←", "&larr;")
        assert f"/sample/{wrong[2]}?mode=qa&outcome=wrong'>next" in middle
        assert f"sample 2 of {len(wrong)} matching mode qa, outcome wrong" in middle
        first = nav(get(base + f"/sample/{wrong[0]}?mode=qa&outcome=wrong")[2].decode())
        assert "previous" not in first
        # a sample not in the list: its neighbours in the list around it
        outside = next(k for k in range(wrong[0] + 1, wrong[1]))
        text = nav(get(base + f"/sample/{outside}?mode=qa&outcome=wrong")[2].decode())
        assert f"not among the {len(wrong)} matching" in text
        assert f"/sample/{wrong[0]}?" in text and f"/sample/{wrong[1]}?" in text
        plain = nav(get(base + f"/sample/{wrong[1]}")[2].decode())  # no filter: every sample
        assert f"/sample/{wrong[1] - 1}'" in plain and f"/sample/{wrong[1] + 1}'" in plain
        assert get(base + f"/sample/{wrong[1]}?outcome=nonsense")[0] == 404
        # from a scene page, the samples of that image
        image = catalog.entries[0].image_ids[0]
        scene = html.unescape(get(base + f"/scene/{image}")[2].decode())
        assert f"/sample/0?image={image}" in scene
        of_image = catalog.of_image(image)
        assert f"/sample/{of_image[1]}?image={image}'>next" in nav(get(base + f"/sample/0?image={image}")[2].decode())


def test_the_selection_follows_new_results(run: Path, evaluated: Path, tmp_path: Path) -> None:
    lines = (evaluated / "results.jsonl").read_bytes().splitlines(keepends=True)
    growing = tmp_path / "results.jsonl"
    growing.write_bytes(b"".join(lines[:10]))
    catalog = Catalog.open(run, results=growing)
    before = list(catalog.select(Filters(outcome="wrong")))
    with open(growing, "ab") as fh:
        fh.write(b"".join(lines[10:]))
    catalog.refresh()
    after = list(catalog.select(Filters(outcome="wrong")))
    assert after == [k for k, e in enumerate(catalog.entries) if e.outcome == "wrong"] and len(after) > len(before)


def sample_of(catalog: Catalog, task: str, mode: str) -> int:
    return next(k for k, e in enumerate(catalog.entries) if e.task == task and e.mode == mode)


def test_a_region_the_question_shows_is_drawn_where_it_says(run: Path) -> None:
    catalog = Catalog.open(run)
    k = sample_of(catalog, "region.describe.v1", "qa")
    r = catalog.entries[k].record
    region = next(n["args"] for n in r["program"] if n["op"] == "region")
    written = re.search(r"\[[0-9., ]+\]", r["question"]).group(0)  # as the question writes it
    tags = parse(sample_card(catalog, k, EmbeddedLinks(catalog, 640))).tags
    shown = [a for t, a in tags if t == "rect" and a.get("class") == "shown"]
    assert len(shown) == 1
    assert [float(shown[0][key]) for key in ("x", "y")] == pytest.approx(region[:2], abs=0.05)
    assert float(shown[0]["width"]) == pytest.approx(region[2] - region[0], abs=0.1)
    assert written in question_marks(r, catalog.scene(r["images"][0]["id"]))


def test_points_are_labelled_as_the_question_writes_them(run: Path) -> None:
    catalog = Catalog.open(run)
    k = sample_of(catalog, "segmentation.same_object.v1", "qa")
    r = catalog.entries[k].record
    marks = question_marks(r, catalog.scene(r["images"][0]["id"]))
    written = re.findall(r"\[[0-9.]+, [0-9.]+\]", r["question"])
    assert len(written) == 3 and all(f">{p}</text>" in marks for p in written)
    points = [n["args"] for n in r["program"] if n["op"] == "point"]
    centres = sorted(f"{x} {y}" for x, y in re.findall(r"<circle cx='([0-9.]+)' cy='([0-9.]+)'", marks))
    assert centres == sorted(f"{x:.1f} {y:.1f}" for x, y in points)


def test_a_program_that_is_no_sample_s_draws_what_it_can(run: Path) -> None:
    """A record read from a file that is not veriscene's (its program nodes not all objects, or
    no list at all) draws its readable points and nothing else, instead of failing."""
    catalog = Catalog.open(run)
    r = catalog.entries[sample_of(catalog, "segmentation.same_object.v1", "qa")].record
    scene = catalog.scene(r["images"][0]["id"])
    marks = question_marks(r, scene)
    assert question_marks({**r, "program": ["point", 5, None, *r["program"], {"op": "point", "args": "1,2"}]},
                          scene) == marks
    assert "<circle" not in question_marks({**r, "program": "point"}, scene)


def test_box_options_are_drawn_with_their_letters_and_the_model_s_choice(run: Path, evaluated: Path) -> None:
    catalog = Catalog.open(run, results=evaluated)
    k = next(k for k, e in enumerate(catalog.entries) if e.task == "grounding.box.v1" and e.mode == "mc"
             and e.outcome == "wrong")
    r = catalog.entries[k].record
    text = sample_card(catalog, k, EmbeddedLinks(catalog, 640))
    tags = parse(text).tags
    shown = [a for t, a in tags if t == "rect" and a.get("class") == "shown"]
    assert len(shown) == len(r["choices"])
    for letter, choice in zip("ABCD", r["choices"]):
        assert f">{letter}. {choice}</text>" in text
    chosen = catalog.results[r["id"]]["parsed"]  # the option the model chose, in pixels
    predicted = [a for t, a in tags if t == "rect" and a.get("class") == "predicted"]
    assert len(predicted) == 1 and float(predicted[0]["x"]) == pytest.approx(chosen[0], abs=0.05)
    gold = r["choices"]["ABCD".index(r["meta"]["answer_letter"])]
    assert f"= <b>{gold}</b> in norm1" in text  # the answer as the question asks for it


@pytest.mark.parametrize("box_format, written", [("norm1", "[0.250, 0.500, 0.500, 1.000]"),
                                                 ("norm1000", "[250, 500, 500, 1000]"),
                                                 ("pixel", "[120, 180, 240, 360]")])
def test_a_box_answer_is_also_given_as_the_question_asks(run: Path, tmp_path: Path, box_format: str,
                                                         written: str) -> None:
    samples = records(run)
    k = next(k for k, s in enumerate(samples) if s["task"] == "grounding.box.v1" and not s["choices"])
    sample = samples[k]
    sample["answer"] = [120.0, 180.0, 240.0, 360.0]  # the demo's images are 480 x 360
    sample["meta"]["box_format"] = box_format
    (tmp_path / "samples.jsonl").write_bytes(orjson.dumps(sample) + b"\n")
    catalog = Catalog.open(tmp_path / "samples.jsonl", run / "scenes.jsonl")
    text = sample_card(catalog, 0, EmbeddedLinks(catalog, 640))
    assert f"= <b>{written}</b> in {box_format}" in text


def test_a_missing_image_says_where_it_was_looked_for(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    image = records(copy)[0]["images"][0]
    (copy / image["path"]).unlink()
    catalog = Catalog.open(copy)
    with serving(catalog) as base:
        for url in ("/sample/0", f"/scene/{image['id']}"):
            text = get(base + url)[2].decode()
            assert f"no image file for {image['id']}" in text  # a grey canvas, not a broken image
            assert "no readable image file: looked for " + str(copy / image["path"]) in text
            assert f"/image/{image['id']}" not in text
        other = records(copy)[-1]["images"][0]["id"]
        assert f"/image/{other}" in get(base + f"/scene/{other}")[2].decode()


def test_a_sample_for_a_notebook(run: Path, evaluated: Path) -> None:
    from veriscene.viewer import sample_html

    catalog = Catalog.open(run, results=evaluated)
    k = sample_of(catalog, "object.count.v1", "qa")
    fragment = sample_html(catalog, k)
    parse(fragment)
    style = re.search(r"<style>(.*?)</style>", fragment).group(1)
    rules = [rule.split("{")[0] for rule in style.split("}") if "{" in rule]
    # every rule kept inside the card: a notebook's own tables and page keep their style
    assert rules and all(sel.startswith(".veriscene ") for rule in rules for sel in rule.split(","))
    assert "body" not in style and fragment.count("src='data:") + fragment.count("href='data:image/jpeg") >= 1
    entry = catalog.entries[k]
    assert repr(entry) == (f"Entry(line={entry.line}, task='object.count.v1', mode='qa', outcome={entry.outcome!r}, "
                           f"question={entry.question[:60] + ('...' if len(entry.question) > 60 else '')!r})")


def test_the_html_export_holds_each_image_once(run: Path, tmp_path: Path) -> None:
    from veriscene.viewer import write_html

    catalog = Catalog.open(run)
    image = catalog.entries[0].image_ids[0]
    shown = len(catalog.of_image(image))
    out = tmp_path / "one.html"
    summary = write_html(run, out, count=1000, filters=Filters(image=image))
    text = out.read_text()
    assert summary.samples_written == shown > 10
    images = {i for k in catalog.of_image(image) for i in catalog.entries[k].image_ids}  # multi-image ones too
    defined = re.findall(r"<image id='(vs-\d+)' href='data:image/jpeg", text)
    assert len(defined) == len(images)  # each image's bytes once, every figure of it a reference
    assert text.count(f"<use href='#{defined[0]}'/>") == shown  # the first sample's image, in every card
    masks = re.findall(r"<image id='(vs-\d+)' href='data:image/png", text)
    assert len(masks) == len(set(masks)) and all(f"<use href='#{m}'/>" in text for m in masks)
    assert "<image href='data:" not in text


def test_the_list_gives_box_answers_as_the_questions_ask(run: Path) -> None:
    from veriscene.viewer.listing import _listed_answer

    catalog = Catalog.open(run)
    with serving(catalog) as base:
        listing = get(base + "/?task=grounding.box.v1&mode=mc")[2].decode()
    for k in catalog.select(Filters(task="grounding.box.v1", mode="mc")):
        r = catalog.entries[k].record
        gold = r["choices"]["ABCD".index(r["meta"]["answer_letter"])]  # the option, as the question writes it
        assert _listed_answer(r) == gold and f"<td class='a'>{gold}</td>" in listing
    count = next(e.record for e in catalog.entries if e.task == "object.count.v1")
    assert _listed_answer(count) == str(count["answer"])


def test_a_slice_says_its_sides_by_its_plane() -> None:
    from veriscene.scene.model import RADIOLOGICAL
    from veriscene.viewer.pages import RADIOLOGICAL_NOTE, SAGITTAL_NOTE, orientation_note

    assert orientation_note({}) == ""
    assert orientation_note({"orientation": RADIOLOGICAL, "plane": "axial"}) == RADIOLOGICAL_NOTE
    assert orientation_note({"orientation": RADIOLOGICAL, "plane": "sagittal"}) == SAGITTAL_NOTE
    assert "front (anterior) is on the image's left" in SAGITTAL_NOTE
