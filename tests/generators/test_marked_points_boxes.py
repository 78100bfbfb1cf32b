"""multi.marked_point.v1 on scenes annotated with boxes alone (Visual Genome, GQA): asked whether the
marked point lies inside the bounding box of a <name> (template group "boxes", op `marked_in_box`),
the answer's point in the middle of a box of the name, every other image's inside a box of another
name and more than two marks' reaches from every box of the name."""

import math
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
from veriscene.generators.multi_image.marked_points import BOX_INSET, MARKS_UNPLACED, MARKS_UNPLACED_BOXES
from veriscene.program import ExecutionContext, SceneIndex, execute
from veriscene.scene import Scene, write_scenes
from veriscene.scene.marks import LABEL_CORNERS, LABELS, mark_reach, program_marks
from veriscene.verify import verify

NAME = "multi.marked_point.v1"
W, H = 200, 100
VOCAB = Vocabulary(names=Counter({"dog": 3, "cat": 3, "ball": 2}), attributes=Counter(), predicates=Counter())


def _scene(image_id: str, *objects: tuple[str, list[int]], masks: bool = False) -> Scene:
    return Scene.from_objects(image_id, W, H, [
        {"name": name, "box": box, "attributes": [], **({"mask": rect_mask(W, H, [box])} if masks else {})}
        for name, box in objects])


WORLD = {  # boxes alone; the dog of "dogs" overlaps a cat (a point inside its box may lie on the cat)
    "dogs": _scene("dogs", ("dog", [20, 20, 80, 80]), ("cat", [60, 10, 180, 90])),
    "cats": _scene("cats", ("cat", [20, 20, 80, 80]), ("ball", [120, 20, 180, 80])),
    "both": _scene("both", ("dog", [10, 10, 50, 50]), ("cat", [100, 20, 190, 90])),
    "balls": _scene("balls", ("ball", [60, 20, 140, 80])),
}


def _in_box(image: int, label: str, x: float, y: float, name: str) -> list[dict]:
    return [{"op": "scene", "inputs": [], "args": [image]},
            {"op": "filter_name", "inputs": [0], "args": [name]},
            {"op": "image_marked_point", "inputs": [], "args": [image, label, x, y]},
            {"op": "marked_in_box", "inputs": [1, 2], "args": []}]


def test_marked_in_box_reads_the_box_not_the_mask() -> None:
    scenes = [WORLD["dogs"], WORLD["cats"]]
    assert execute(_in_box(0, "A", 50.5, 50.5, "dog"), ExecutionContext(scenes)) is True
    assert execute(_in_box(0, "A", 80.0, 20.0, "dog"), ExecutionContext(scenes)) is True  # (edges included)
    assert execute(_in_box(0, "A", 100.5, 50.5, "dog"), ExecutionContext(scenes)) is False
    # a mask that misses the point does not matter: the question is the box's
    ring = Scene.from_objects("ring", W, H, [{"name": "dog", "box": [20, 20, 80, 80], "attributes": [],
                                              "mask": rect_mask(W, H, [[20, 20, 80, 30], [20, 70, 80, 80]])}])
    assert execute(_in_box(0, "A", 50.5, 50.5, "dog"), ExecutionContext([ring])) is True


@pytest.mark.parametrize("program, message", [
    ([{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": ["dog"]},
      {"op": "image_marked_point", "inputs": [], "args": [1, "B", 50.5, 50.5]},
      {"op": "marked_in_box", "inputs": [1, 2], "args": []}], "drawn on image 1, the objects are of image 0"),
    ([{"op": "scene", "inputs": [], "args": [0]}, {"op": "filter_name", "inputs": [0], "args": ["dog"]},
      {"op": "point", "inputs": [], "args": [50.5, 50.5]},
      {"op": "marked_in_box", "inputs": [1, 2], "args": []}], "not a marked point"),
])
def test_marked_in_box_fails_clearly(program, message) -> None:
    with pytest.raises(ExecutionFailure, match=message):
        execute(program, ExecutionContext([WORLD["dogs"], WORLD["cats"]]))


def test_marked_in_box_fails_on_an_absence_the_image_leaves_open() -> None:
    sparse = Scene.from_objects("sparse", W, H, [{"name": "cat", "box": [20, 20, 80, 80], "attributes": []}],
                                meta={"exhaustive": ["cat"]})  # a dog may lie anywhere, unannotated
    with pytest.raises(ExecutionFailure, match="unknown"):
        execute(_in_box(0, "A", 150.5, 50.5, "dog"), ExecutionContext([sparse]))


def _context(anchor: Scene, partners: list[Scene], seed: int) -> GroupContext:
    return GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed), VOCAB,
                        ScenePool.from_scenes(partners))


def _generator(sizes: tuple[int, ...] = (2, 3)):
    cls = get_generator(NAME)
    gen = cls(cls.Config(marks=True))
    gen.group_sizes = sizes
    return gen


def _distance(box, p) -> float:
    x0, y0, x1, y1 = box
    return math.hypot(max(x0 - p[0], 0, p[0] - x1), max(y0 - p[1], 0, p[1] - y1))


def _middle(box, p, reach: float) -> bool:
    """Whether p lies BOX_INSET of the box's sides (and a mark's reach) or more inside it."""
    x0, y0, x1, y1 = box
    dx, dy = max(reach, BOX_INSET * (x1 - x0)), max(reach, BOX_INSET * (y1 - y0))
    return x0 + dx <= p[0] <= x1 - dx and y0 + dy <= p[1] <= y1 - dy


@pytest.mark.parametrize("seed", range(12))
def test_on_boxes_alone_it_asks_of_the_box(seed) -> None:
    found = made(_generator().propose(_context(WORLD["dogs"], [WORLD[k] for k in ("cats", "both", "balls")], seed)))
    assert found
    reach = mark_reach(W, H)
    for cand in found:
        scenes, name = cand.scenes, cand.slots["a_obj"].split()[-1]
        assert cand.group == "boxes"
        program = cand.get_program()
        assert {n["op"] for n in program} >= {"marked_in_box"} and "marked_on" not in {n["op"] for n in program}
        answer = execute(program, ExecutionContext(scenes))
        assert answer == cand.expected and scenes[answer] is WORLD["dogs"]
        assert [m["label"] for m in cand.marks] == list(LABELS[:len(scenes)])
        assert program_marks(program, None) == [{k: v for k, v in m.items() if k != "label_at"} for m in cand.marks]
        assert all(m["label_at"] in LABEL_CORNERS for m in cand.marks)  # (the label's corner: drawn, not asked)
        for k, (scene, mark) in enumerate(zip(scenes, cand.marks)):
            boxes = scene.boxes.tolist()
            held = [i for i, box in enumerate(boxes) if _middle(box, mark["point"], reach)]
            if k == answer:  # in the middle of a box of the name
                assert any(scene.names[i] == name for i in held), (scene.image_id, mark)
            else:  # in the middle of another name's box, more than two reaches from every box of the name
                assert any(scene.names[i] != name for i in held), (scene.image_id, mark)
                assert all(_distance(box, mark["point"]) > 2 * reach
                           for box, n in zip(boxes, scene.names) if n == name)


def test_a_group_with_an_image_of_boxes_alone_asks_of_boxes() -> None:
    # the anchor has masks, its partner none: the whole group is asked of boxes
    dogs = _scene("masked-dogs", ("dog", [20, 20, 80, 80]), ("cat", [120, 20, 180, 80]), masks=True)
    masked_cats = _scene("masked-cats", ("cat", [20, 20, 80, 80]), ("ball", [120, 20, 180, 80]), masks=True)
    mixed = made(_generator(sizes=(2,)).propose(_context(dogs, [WORLD["cats"]], 0)))
    assert mixed and {c.group for c in mixed} == {"boxes"}
    masked = made(_generator(sizes=(2,)).propose(_context(dogs, [masked_cats], 0)))
    assert masked and {c.group for c in masked} == {"default"}  # every image with masks: on the mask, as before
    assert all("marked_on" in {n["op"] for n in c.get_program()} for c in masked)


def test_no_point_in_the_box_of_a_partner_is_counted() -> None:
    # the partner's ball box surrounds the dog's: its middle lies on the dog's box
    near = _scene("near", ("dog", [40, 30, 60, 70]), ("ball", [0, 0, 100, 100]))
    ctx = _context(WORLD["dogs"], [near], 0)
    counts: Counter[str] = Counter()
    ctx.counts, ctx.task = counts, NAME
    found = made(_generator(sizes=(2,)).propose(ctx))
    assert all(c.slots["a_obj"] != "a dog" for c in found)
    assert counts[f"{MARKS_UNPLACED_BOXES}:{NAME}"] >= 1 and counts[f"{MARKS_UNPLACED}:{NAME}"] == 0


def test_samples_of_boxes_verify_and_score(tmp_path: Path) -> None:
    runner = SceneRunner([_generator(sizes=(3,))], VOCAB, pool=ScenePool.from_scenes(
        [WORLD["cats"], WORLD["both"], WORLD["balls"]]), image_path=lambda s: f"{s.image_id}.png")
    samples = [s.to_dict() for s in runner.run(WORLD["dogs"])]
    assert samples and all(s["template_id"].startswith("boxes.") for s in samples)
    assert all("bounding box of" in s["question"] for s in samples)
    write_scenes(list(WORLD.values()), tmp_path / "scenes.jsonl")
    out = tmp_path / "samples.jsonl"
    out.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in samples))
    report = verify(out, tmp_path / "scenes.jsonl")
    assert report.ok and report.verified == len(samples)
    qa = next(s for s in samples if s["meta"]["mode"] == "qa")
    label = LABELS[qa["answer"]]
    assert score_sample(f"Point {label}.", qa).score == 1.0
    assert score_sample(f"Image {(qa['answer'] + 1) % 3 + 1}", qa).score == 0.0


def test_the_labels_are_listed_as_the_images_carry_them() -> None:
    gen = _generator(sizes=(3,))
    for seed in range(12):
        for cand in made(gen.propose(_context(WORLD["dogs"], [WORLD[k] for k in ("cats", "both", "balls")], seed))):
            assert cand.slots["labels"] == "A, B and C"
    question = gen.templates["boxes"][2].format_map({"labels": "A, B and C", "a_obj": "a dog"})
    assert question.startswith("The images carry the marked points A, B and C, one each.")


def test_no_point_in_the_box_of_a_name_of_the_same_head() -> None:
    # a street sign is a sign: asked of a sign, no other image's point lies in a street sign's box
    # (Visual Genome's names are the annotators' own: a sign is often named by its kind)
    vocab = Vocabulary(names=Counter({"sign": 3, "street sign": 3, "car": 2, "tree": 2}), attributes=Counter(),
                       predicates=Counter())
    anchor = _scene("signs", ("sign", [20, 20, 80, 80]), ("car", [120, 20, 180, 80]))
    partner = _scene("street", ("street sign", [20, 20, 80, 80]), ("tree", [120, 10, 190, 90]))
    asked = 0
    for seed in range(12):
        ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed), vocab,
                           ScenePool.from_scenes([partner]))
        for cand in made(_generator(sizes=(2,)).propose(ctx)):
            if cand.slots["a_obj"] == "a sign":
                asked += 1
                point = cand.marks[[s.image_id for s in cand.scenes].index("street")]["point"]
                assert _distance([20, 20, 80, 80], point) > 2 * mark_reach(W, H), (seed, point)
    assert asked


def test_no_point_between_the_boxes_of_a_substance() -> None:
    # "the bounding box of grass": grass in two strips has the rectangle around both for its box
    # too (grass is no object to count), so no other image's point lies between them
    vocab = Vocabulary(names=Counter({"grass": 3, "dog": 3, "cat": 2}), attributes=Counter(), predicates=Counter())
    anchor = _scene("lawn", ("grass", [20, 20, 80, 80]), ("cat", [120, 20, 180, 80]))
    strips = _scene("strips", ("grass", [0, 0, 200, 20]), ("grass", [0, 80, 200, 100]), ("dog", [40, 20, 160, 80]))
    yard = _scene("yard", ("grass", [0, 0, 30, 100]), ("dog", [80, 20, 180, 80]))

    def asked(partner: Scene) -> list[list[float]]:
        points = []
        for seed in range(12):
            ctx = GroupContext(anchor, SceneIndex(anchor), ExecutionContext(anchor), np.random.default_rng(seed),
                               vocab, ScenePool.from_scenes([partner]))
            for cand in made(_generator(sizes=(2,)).propose(ctx)):
                if cand.slots["a_obj"] == "grass":
                    points.append(cand.marks[[s.image_id for s in cand.scenes].index(partner.image_id)]["point"])
        return points

    assert asked(strips) == []  # (every point of the dog lies between the strips)
    points = asked(yard)
    assert points and all(_distance([0, 0, 30, 100], p) > 2 * mark_reach(W, H) for p in points)
