"""multi.marked_point.v1 (``marks: true``: one labelled mark drawn on each of 2-4 images, "In which
image does the marked point lie on a dog?"), the ops it programs (`image_marked_point`,
`marked_on`), the samples it makes (images[k].marks), verify's check of them, and the reading of a
reply that names the image or its mark."""

import math
from dataclasses import replace
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pytest

from tests.generators.helpers import rect_mask
from tests.generators.test_multi_ops import made
from veriscene.answers import score_sample
from veriscene.engine.pool import ScenePool
from veriscene.errors import ExecutionFailure
from veriscene.generators import SceneRunner, Vocabulary, get_generator
from veriscene.generators.base import GroupContext
from veriscene.generators.multi_image.marked_points import MARKS_UNPLACED
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.scene import Scene, write_scenes
from veriscene.scene.marks import LABEL_CORNERS, LABELS, mark_reach, marks_disagree, program_marks
from veriscene.verify import verify

NAME = "multi.marked_point.v1"
W, H = 200, 100
VOCAB = Vocabulary(names=Counter({"dog": 3, "cat": 3, "ball": 2}), attributes=Counter(), predicates=Counter())


def _scene(image_id: str, *objects: tuple[str, list[int]]) -> Scene:
    return Scene.from_objects(image_id, W, H, [
        {"name": name, "box": box, "attributes": [], "mask": rect_mask(W, H, [box])} for name, box in objects])


WORLD = {
    "dogs": _scene("dogs", ("dog", [20, 20, 80, 80]), ("cat", [120, 20, 180, 80])),
    "cats": _scene("cats", ("cat", [20, 20, 80, 80]), ("ball", [120, 20, 180, 80])),
    "both": _scene("both", ("dog", [10, 10, 50, 50]), ("cat", [100, 20, 190, 90])),
    "balls": _scene("balls", ("ball", [60, 20, 140, 80])),
}


def _marked(image: int, label: str, x: float, y: float, name: str) -> list[dict]:
    return [{"op": "scene", "inputs": [], "args": [image]},
            {"op": "filter_name", "inputs": [0], "args": [name]},
            {"op": "image_marked_point", "inputs": [], "args": [image, label, x, y]},
            {"op": "marked_on", "inputs": [1, 2], "args": []}]


def _program(points: list[tuple[float, float]], name: str) -> list[dict]:
    program: list[dict] = []
    flags = []
    for k, (x, y) in enumerate(points):
        start = len(program)
        for node in _marked(k, LABELS[k], x, y, name):
            program.append({**node, "inputs": [i + start for i in node["inputs"]]})
        flags.append(len(program) - 1)
    program.append({"op": f"select_image{len(points)}", "inputs": flags, "args": []})
    return program


def test_marked_on_and_the_image_it_selects() -> None:
    scenes = [WORLD["cats"], WORLD["dogs"]]
    # A on the cats image's ball, B on the dogs image's dog: Image 2
    assert execute(_program([(150.5, 50.5), (50.5, 50.5)], "dog"), ExecutionContext(scenes)) == 1
    assert execute(_marked(1, "B", 50.5, 50.5, "dog"), ExecutionContext(scenes)) is True
    assert execute(_marked(1, "B", 150.5, 50.5, "dog"), ExecutionContext(scenes)) is False
    with pytest.raises(ExecutionFailure, match="2 images qualify"):  # both on a cat
        execute(_program([(50.5, 50.5), (150.5, 50.5)], "cat"), ExecutionContext(scenes))


@pytest.mark.parametrize("program, message", [
    ([{"op": "image_marked_point", "inputs": [], "args": [2, "C", 5.0, 5.0]}], "not one of the sample's 2 images"),
    ([{"op": "image_marked_point", "inputs": [], "args": [0, "A", 250.0, 5.0]}], "outside the 200x100 image"),
    ([{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": ["dog"]},
      {"op": "image_marked_point", "inputs": [], "args": [1, "B", 50.5, 50.5]},
      {"op": "marked_on", "inputs": [1, 2], "args": []}], "drawn on image 1, the objects are of image 0"),
    ([{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": ["dog"]},
      {"op": "point", "inputs": [], "args": [50.5, 50.5]},
      {"op": "marked_on", "inputs": [1, 2], "args": []}], "not a marked point"),
])
def test_marked_ops_fail_clearly(program, message) -> None:
    with pytest.raises(ExecutionFailure, match=message):
        execute(program, ExecutionContext([WORLD["dogs"], WORLD["cats"]]))


def test_an_absence_the_image_leaves_open_fails() -> None:
    sparse = Scene.from_objects("sparse", W, H, [{"name": "cat", "box": [20, 20, 80, 80], "attributes": [],
                                                  "mask": rect_mask(W, H, [[20, 20, 80, 80]])}],
                                meta={"exhaustive": ["cat"]})  # a dog may lie anywhere, unannotated
    with pytest.raises(ExecutionFailure, match="unknown"):
        execute(_marked(0, "A", 150.5, 50.5, "dog"), ExecutionContext([sparse]))
    assert execute(_marked(0, "A", 50.5, 50.5, "cat"), ExecutionContext([sparse])) is True


def _context(anchor: str | Scene, partners: list[str], seed: int) -> GroupContext:
    scene = WORLD[anchor] if isinstance(anchor, str) else anchor
    return GroupContext(scene, SceneIndex(scene), ExecutionContext(scene), np.random.default_rng(seed), VOCAB,
                        ScenePool.from_scenes([WORLD[p] for p in partners]))


def _generator(sizes: tuple[int, ...] = (2, 3), **config):
    cls = get_generator(NAME)
    gen = cls(cls.Config(marks=True, **config))
    gen.group_sizes = sizes
    return gen


def _inside(scene: Scene, i: int, p, margin: int) -> bool:
    x0, y0, x1, y1 = scene.boxes[i].tolist()  # (the masks are the boxes)
    return x0 + margin <= p[0] < x1 - margin and y0 + margin <= p[1] < y1 - margin


def _box_distance(box, p) -> float:
    x0, y0, x1, y1 = box
    return math.hypot(max(x0 - p[0], 0, p[0] - x1), max(y0 - p[1], 0, p[1] - y1))


@pytest.mark.parametrize("seed", range(12))
def test_one_mark_an_image_and_only_the_answers_lies_on_the_name(seed) -> None:
    gen = _generator()
    found = made(gen.propose(_context("dogs", ["cats", "both", "balls"], seed)))
    assert found
    for cand in found:
        scenes, name = cand.scenes, cand.slots["a_obj"].split()[-1]
        answer = execute(cand.get_program(), ExecutionContext(scenes))
        assert answer == cand.expected and scenes[answer] is WORLD["dogs"]
        assert sorted(cand.distractors) == [k for k in range(len(scenes)) if k != answer]
        assert [m["label"] for m in cand.marks] == list(LABELS[:len(scenes)])  # one an image, all distinct
        assert [m["image"] for m in cand.marks] == list(range(len(scenes)))
        assert program_marks(cand.get_program(), None) == [{k: v for k, v in m.items() if k != "label_at"} for m in cand.marks]
        assert all(m["label_at"] in LABEL_CORNERS for m in cand.marks)  # (the label's corner: drawn, not asked)
        for k, (scene, mark) in enumerate(zip(scenes, cand.marks)):
            # well inside one object's mask: the mark's ring lies on it
            on = [i for i, n in enumerate(scene.names) if _inside(scene, i, mark["point"], mark_reach(W, H))]
            assert len(on) == 1, (scene.image_id, mark)
            if k == answer:
                assert scene.names[on[0]] == name
            else:  # on another name, more than two marks' reaches from every box of the name
                assert scene.names[on[0]] != name
                assert all(_box_distance(scene.boxes[i].tolist(), mark["point"]) > 2 * mark_reach(W, H)
                           for i, n in enumerate(scene.names) if n == name)


def test_off_by_default_it_asks_nothing() -> None:
    cls = get_generator(NAME)
    gen = cls()
    assert gen.config.marks is False and gen.config.per_scene == 0
    assert list(gen.propose(_context("dogs", ["cats"], 0))) == []
    on = cls(cls.Config(marks=True))
    assert on.config.per_scene == 1
    # the filled configuration itself says so (what the card and resume's check fill from a
    # recorded one); options go over the filled default: marks: true over per_scene 0 asks
    assert cls.Config().per_scene == 0 and cls.Config(marks=False, per_scene=3).per_scene == 0
    assert cls.Config(marks=True, per_scene=2).per_scene == 2
    assert replace(cls.Config(), marks=True).per_scene == 1
    runner = SceneRunner([gen], VOCAB, pool=ScenePool.from_scenes([WORLD["cats"]]))
    assert runner.run(WORLD["dogs"]) == [] and not runner.stats  # never called: nothing counted


def test_an_image_offering_no_sound_point_is_not_asked_and_counted() -> None:
    # the partner's only other object, a ball, frames its dog: every point of it well inside it
    # lies within two marks' reaches (16 px) of the dog's box
    frame = [[0, 0, 100, 20], [0, 80, 100, 100], [0, 20, 20, 80], [80, 20, 100, 80]]
    near = Scene.from_objects("near", W, H, [
        {"name": "dog", "box": [20, 20, 80, 80], "attributes": [], "mask": rect_mask(W, H, [[20, 20, 80, 80]])},
        {"name": "ball", "box": [0, 0, 100, 100], "attributes": [], "mask": rect_mask(W, H, frame)}])
    ctx = _context("dogs", [], 0)
    ctx.pool = ScenePool.from_scenes([near])
    counts: Counter[str] = Counter()
    ctx.counts, ctx.task = counts, NAME
    found = made(_generator(sizes=(2,)).propose(ctx))
    assert all(c.slots["a_obj"] != "a dog" for c in found)
    assert counts[f"{MARKS_UNPLACED}:{NAME}"] >= 1


def test_no_mark_on_an_object_it_would_hide() -> None:
    # the anchor's dogs: one 20 px wide (under 4 marks' reaches, 32 px), one 40 px wide
    small = _scene("small", ("dog", [20, 20, 40, 80]), ("dog", [100, 20, 140, 80]))
    for seed in range(6):
        for cand in made(_generator(sizes=(2,)).propose(_context(small, ["cats"], seed))):
            assert cand.marks[cand.expected]["point"][0] > 100  # always on the larger dog
    tiny = _scene("tiny", ("dog", [20, 20, 40, 80]))
    assert made(_generator(sizes=(2,)).propose(_context(tiny, ["cats"], 0))) == []


def _samples(tmp_path: Path) -> list[dict]:
    runner = SceneRunner([_generator(sizes=(3,))], VOCAB, pool=ScenePool.from_scenes(
        [WORLD["cats"], WORLD["both"], WORLD["balls"]]), image_path=lambda s: f"{s.image_id}.png")
    return [s.to_dict() for s in runner.run(WORLD["dogs"])]


def test_samples_carry_each_images_marks_and_verify_checks_them(tmp_path: Path) -> None:
    samples = _samples(tmp_path)
    assert {s["meta"]["mode"] for s in samples} == {"qa", "mc"}
    for s in samples:
        assert [[m["label"] for m in image["marks"]] for image in s["images"]] == [["A"], ["B"], ["C"]]
        assert all("image" not in m for image in s["images"] for m in image["marks"])
        assert marks_disagree(s) is None
        if s["choices"]:  # options in image order: option letter k names the image mark k is on
            assert s["choices"] == ["Image 1", "Image 2", "Image 3"]
    write_scenes([WORLD[k] for k in ("dogs", "cats", "both", "balls")], tmp_path / "scenes.jsonl")
    out = tmp_path / "samples.jsonl"
    out.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in samples))
    report = verify(out, tmp_path / "scenes.jsonl")
    assert report.ok and report.verified == len(samples)
    moved = orjson.loads(orjson.dumps(samples))
    moved[0]["images"][1]["marks"][0]["point"][0] += 5.0  # the drawn B is 5 px off the program's B
    out.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in moved))
    report = verify(out, tmp_path / "scenes.jsonl")
    assert [p.kind for p in report.problems] == ["mark_mismatch"] and "images[1].marks B" in report.problems[0].detail
    moved = {**samples[0], "images": [dict(im) for im in samples[0]["images"]]}
    moved["images"][2] = {**moved["images"][2], "marks": [{"label": "C", "point": [1.5, 1.5]}]}
    assert "images[2].marks C [1.5, 1.5] differ from the program's marked points" in marks_disagree(moved)
    twice = {**samples[0], "images": [dict(im) for im in samples[0]["images"]]}
    twice["images"][1] = {**twice["images"][1], "marks": [{"label": "A", "point": [1.5, 1.5]}]}
    assert "repeat a label" in marks_disagree(twice)
    unmarked = {**samples[0], "images": [{k: v for k, v in im.items() if k != "marks"} for im in samples[0]["images"]]}
    assert "images[0] carries no marks" in marks_disagree(unmarked)


@pytest.mark.parametrize("right, score", [(True, 1.0), (False, 0.0)])
@pytest.mark.parametrize("say", ["{label}", "Point {label}.", "({label})", "**{label}**", "The mark labelled {label}.",
                                 "{image}", "It is {image}.", "{image} (point {label})"])
def test_a_reply_names_the_image_or_its_mark(tmp_path: Path, say, right, score) -> None:
    qa = next(s for s in _samples(tmp_path) if s["meta"]["mode"] == "qa")
    k = qa["answer"] if right else (qa["answer"] + 1) % 3
    reply = say.format(label=LABELS[k], image=f"Image {k + 1}")
    assert score_sample(reply, qa).score == score, reply


@pytest.mark.parametrize("reply", ["A or B", "A, B or C", "Image 1, point B", "B and C", "Either (A) or (C)."])
def test_hedges_between_marks_or_images_score_0(tmp_path: Path, reply) -> None:
    qa = next(s for s in _samples(tmp_path) if s["meta"]["mode"] == "qa")
    assert score_sample(reply, qa).score == 0.0


def test_ordinals_and_a_dog_as_an_article_read_as_before(tmp_path: Path) -> None:
    qa = next(s for s in _samples(tmp_path) if s["meta"]["mode"] == "qa")
    nth = ["first", "second", "third"][qa["answer"]]
    assert score_sample(f"The {nth} image.", qa).score == 1.0
    assert score_sample(f"A dog is in the {nth} image.", qa).score == 1.0


def test_multiple_choice_letters_stay_option_letters(tmp_path: Path) -> None:
    mc = next(s for s in _samples(tmp_path) if s["meta"]["mode"] == "mc")
    assert score_sample(mc["meta"]["answer_letter"], mc).score == 1.0
    wrong = next(x for x in "ABC" if x != mc["meta"]["answer_letter"])
    assert score_sample(wrong, mc).score == 0.0
