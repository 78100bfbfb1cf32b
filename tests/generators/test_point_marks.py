"""Point generators with ``marks: true`` (BLINK-style: the points drawn on the image, labelled
"A", "B", the question naming the labels, the answer a label computed by the program), the ops
they program (`marked_point`, `mark_label`), scoring of label replies, and verify's check that
the drawn marks are the program's points."""

import re
from pathlib import Path

import numpy as np
import orjson
import pytest

from tests.generators.helpers import VOCAB, candidates
from tests.generators.test_depth_map_points import floor_and_box, scene_with
from tests.generators.test_masks_depth import owner, scene as masked_scene
from veriscene.answers import score_sample
from veriscene.errors import ExecutionFailure
from veriscene.generators import SceneRunner, get_generator
from veriscene.program import execute
from veriscene.scene import write_scenes
from veriscene.scene.marks import marks_disagree, program_marks
from veriscene.verify import verify

POINT_GENERATORS = ("depth.map_points.v1", "depth.points.v1", "segmentation.same_object.v1",
                    "segmentation.different_object.v1", "segmentation.point_object.v1")


@pytest.fixture
def mapped(tmp_path: Path):
    np.save(tmp_path / "d.npy", floor_and_box())
    return scene_with(tmp_path / "d.npy")


def run(scene, name: str, **config):
    cls = get_generator(name)
    return [s.to_dict() for s in SceneRunner([cls(cls.Config(**config))], VOCAB).run(scene)]


def test_marked_point_ops() -> None:
    scene = masked_scene()
    marked = [{"op": "marked_point", "inputs": [], "args": ["A", 60.5, 50.5]},  # circle (depth 0.3)
              {"op": "marked_point", "inputs": [], "args": ["B", 30.5, 30.5]},  # square (0.8)
              {"op": "closer_point", "inputs": [0, 1], "args": ["farther"]},
              {"op": "mark_label", "inputs": [2], "args": []}]
    assert execute(marked, scene) == "B"
    assert execute(marked[:3], scene) == [30.5, 30.5]  # a marked point is a point
    plain = [{"op": "point", "inputs": [], "args": [60.5, 50.5]}, {"op": "mark_label", "inputs": [0], "args": []}]
    with pytest.raises(ExecutionFailure, match="not a marked point"):
        execute(plain, scene)


def test_depth_map_points_marked_answer_is_the_label_of_the_nearer_point(mapped) -> None:
    depth = floor_and_box()
    found = candidates(mapped, "depth.map_points.v1", marks=True)
    assert len(found) > 20 and {c.group for c, _ in found} == {"closer_marks", "farther_marks"}
    answers = set()
    for cand, answer in found:
        marks = program_marks(cand.get_program())
        drawn = [{"label": m["label"], "point": m["point"]} for m in cand.marks]  # (and each its label's corner)
        assert drawn == marks and [m["label"] for m in marks] == ["A", "B"]
        assert cand.slots == {"p1": "A", "p2": "B"}
        d = [depth[int(m["point"][1]), int(m["point"][0])] for m in marks]
        nearer = "A" if d[0] < d[1] else "B"
        assert answer == (nearer if cand.group == "closer_marks" else ({"A", "B"} - {nearer}).pop())
        answers.add(answer)
    assert answers == {"A", "B"}  # either label is the answer


@pytest.fixture
def marks_on_small_objects(monkeypatch):
    """The point generators mark objects of any size (`regions.fit_for_marks` always true): for the
    tests of what else marks do, on scenes of small objects (a 30 px circle, reach 8 px)."""
    from veriscene.generators.single_image import depth_points, segmentation

    for module in (depth_points, segmentation):
        monkeypatch.setattr(module, "fit_for_marks", lambda *args: True)


@pytest.mark.usefixtures("marks_on_small_objects")
def test_depth_points_marked_on_masks() -> None:
    found = candidates(masked_scene(), "depth.points.v1", marks=True)
    assert found
    for cand, answer in found:
        by_label = {m["label"]: m["point"] for m in cand.marks}
        assert owner(*by_label[answer]) == (1 if cand.group == "closer_marks" else 0)  # circle nearer


@pytest.mark.parametrize("name, side", [("segmentation.same_object.v1", "same"),
                                        ("segmentation.different_object.v1", "different")])
def test_segmentation_marked_options_a_b_reference_c(name, side) -> None:
    found = candidates(masked_scene(), name, marks=True)
    assert found
    for cand, answer in found:
        by_label = {m["label"]: m["point"] for m in cand.marks}
        assert sorted(by_label) == ["A", "B", "C"] and cand.slots == {"pa": "C", "p1": "A", "p2": "B"}
        same = owner(*by_label[answer]) == owner(*by_label["C"])
        assert same == (side == "same") and answer in ("A", "B")


def test_sample_carries_marks_and_mc_options_in_label_order(mapped) -> None:
    samples = run(mapped, "depth.map_points.v1", marks=True, per_scene=4)
    assert {s["meta"]["mode"] for s in samples} == {"qa", "mc"}
    for s in samples:
        assert s["answer_type"] == "str" and s["answer"] in ("A", "B")
        assert [{"label": m["label"], "point": m["point"]} for m in s["images"][0]["marks"]] == program_marks(s["program"])
        assert s["meta"]["mark_labels"] == ["A", "B"] and "box_format" not in s["meta"]
        assert "[" not in s["question"]  # no coordinates in the text
        if s["meta"]["mode"] == "mc":
            assert s["choices"] == ["point A", "point B"] and s["meta"]["answer_letter"] == s["answer"]
    # default off: the same generator asks about coordinates, as before
    plain = run(mapped, "depth.map_points.v1", per_scene=4)
    assert all("marks" not in s["images"][0] and s["answer_type"] == "point" for s in plain)


def test_point_object_marked_names_the_label() -> None:
    samples = run(masked_scene(), "segmentation.point_object.v1", marks=True, per_scene=3)
    assert samples
    for s in samples:
        (mark,) = s["images"][0]["marks"]
        assert mark["label"] == "A" and "mark_labels" not in s["meta"]
        assert "point A" in s["question"] or "point marked A" in s["question"]
        assert s["answer_type"] == "str" and s["answer"] != "A"


@pytest.mark.parametrize("reply, score", [("A", 1.0), ("(A)", 1.0), ("Point A.", 1.0), ("A is closer.", 1.0),
                                          ("<think>B is far</think><answer>A</answer>", 1.0), ("B", 0.0),
                                          ("point B", 0.0)])
def test_label_replies_are_scored(mapped, reply, score) -> None:
    sample = next(s for s in run(mapped, "depth.map_points.v1", marks=True, per_scene=4)
                  if s["meta"]["mode"] == "qa" and s["answer"] == "A")
    assert score_sample(reply, sample).score == score


def _write_run(tmp_path: Path, scene, samples) -> tuple[Path, Path]:
    scenes = tmp_path / "scenes.jsonl"
    write_scenes([scene], scenes)
    out = tmp_path / "samples.jsonl"
    out.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in samples))
    return out, scenes


def test_verify_passes_marked_samples_and_catches_a_moved_mark(tmp_path: Path, mapped) -> None:
    samples = run(mapped, "depth.map_points.v1", marks=True, per_scene=2)
    out, scenes = _write_run(tmp_path, mapped, samples)
    report = verify(out, scenes)
    assert report.ok and report.verified == len(samples)
    moved = orjson.loads(orjson.dumps(samples))
    moved[0]["images"][0]["marks"][1]["point"][0] += 5.0  # the drawn B is 5 px off the program's B
    del moved[1]["images"][0]["marks"]  # a marked question whose image shows no marks
    out.write_bytes(b"".join(orjson.dumps(s) + b"\n" for s in moved))
    report = verify(out, scenes)
    assert [p.kind for p in report.problems] == ["mark_mismatch", "mark_mismatch"] and report.mismatches == 2
    assert "differ from the program's marked points" in report.problems[0].detail
    assert "carries no marks" in report.problems[1].detail


def test_marks_disagree_on_swapped_labels() -> None:
    program = [{"op": "marked_point", "inputs": [], "args": ["A", 1.5, 2.5]},
               {"op": "marked_point", "inputs": [], "args": ["B", 9.5, 9.5]}]
    record = {"id": "x", "program": program,
              "images": [{"id": "s0", "marks": [{"label": "B", "point": [1.5, 2.5]}, {"label": "A", "point": [9.5, 9.5]}]}]}
    assert "differ" in marks_disagree(record)
    record["images"][0]["marks"] = program_marks(program)
    assert marks_disagree(record) is None
    record["images"][0]["marks"][0]["point"] = [1.5, "2"]
    assert "marks[0].point must be [x, y]" in marks_disagree(record)


@pytest.mark.parametrize("name", POINT_GENERATORS)
def test_marks_is_a_config_field_off_by_default(name) -> None:
    assert get_generator(name).Config().marks is False


@pytest.mark.parametrize("reply", ["A", "B", "(B)", "point A", "purple elephant"])
def test_reward_ground_truth_scores_labels_as_eval_does(mapped, reply) -> None:
    from veriscene.io.writers.records import ground_truth
    from veriscene.rewards.truth import GroundTruth

    for sample in run(mapped, "depth.map_points.v1", marks=True, per_scene=4):
        expected = score_sample(reply, sample).score
        assert GroundTruth.from_json(ground_truth(sample)).score(reply).score == expected
        assert GroundTruth.from_sample(sample).score(reply).score == expected


def test_a_marked_run_keeps_its_generators_fingerprints() -> None:
    """A run's manifest fingerprints its instances, verify the classes: a marked instance's own
    answer type ("str") must not read as a changed generator."""
    from veriscene.engine.manifest import generator_fingerprint

    for name in POINT_GENERATORS:
        cls = get_generator(name)
        assert generator_fingerprint(cls(cls.Config(marks=True))) == generator_fingerprint(cls)


def test_reasoning_names_marked_points_by_label() -> None:
    """A reasoning target says "the point A", as the question does, not its coordinates."""
    from veriscene.rationale import rationale

    scene = masked_scene()
    samples = run(scene, "depth.points.v1", marks=True, per_scene=2) + run(
        scene, "segmentation.same_object.v1", marks=True, per_scene=2)
    for s in samples:
        said = rationale(s, scene)
        assert re.search(r"\b[Tt]he point [ABC]\b", said)
        assert not re.search(r"point \[", said)  # no coordinates for the points


def test_a_mixture_sets_marks_and_refuses_a_non_bool() -> None:
    from veriscene.generators.mixture import Mixture, MixtureError

    mixture = Mixture.from_dict({"default_weight": 0.0,
                                 "generators": {"depth.points.v1": {"weight": 1.0, "config": {"marks": True}}}})
    (gen,) = mixture.make_generators()
    assert gen.config.marks is True and gen.answer_type == "str"
    with pytest.raises(MixtureError, match="marks"):
        Mixture.from_dict({"generators": {"depth.points.v1": {"weight": 1.0, "config": {"marks": "yes"}}}})


def test_marked_points_keep_their_marks_clear_of_each_other(tmp_path: Path) -> None:
    """Two marks that overlap hide what lies under the points and leave it unclear which dot a
    label names: every marked question's marks are more than two reaches apart (rings apart)."""
    import math

    from tests.conftest import make_scene
    from tests.generators.test_masks_depth import rect_mask
    from veriscene.scene.marks import mark_reach, marks_apart

    assert marks_apart([[10.5, 10.5], [27.9, 10.5]], 100, 100)  # reach 8: 17 px apart clear
    assert not marks_apart([[10.5, 10.5], [26.9, 10.5]], 100, 100)  # 16 px: the rings touch
    assert not marks_apart([[10.5, 10.5], [60.5, 60.5], [12.5, 14.5]], 100, 100)  # any two
    # two small objects side by side (one in front): every pair of their points is 8-13 px apart
    side_by_side = make_scene([{"name": "cube", "box": [20, 20, 30, 30], "depth": 0.3,
                                "mask": rect_mask(200, 100, [[20, 20, 30, 30]])},
                               {"name": "ball", "box": [30, 20, 40, 30], "depth": 0.8,
                                "mask": rect_mask(200, 100, [[30, 20, 40, 30]])}], width=200, height=100)
    np.save(tmp_path / "d.npy", floor_and_box())
    apart = {"require_overlap": False}  # (their boxes touch)
    found = [(scene_with(tmp_path / "d.npy"), "depth.map_points.v1", {}), (side_by_side, "depth.points.v1", apart)] + [
        (masked_scene(), name, {}) for name in ("segmentation.same_object.v1", "segmentation.different_object.v1")]
    for scene, name, config in found:
        clear = 2 * mark_reach(scene.width, scene.height)
        for cand, _ in candidates(scene, name, marks=True, **config):
            points = [m["point"] for m in cand.marks]
            gaps = [math.dist(p, q) for k, p in enumerate(points) for q in points[k + 1:]]
            assert min(gaps) > clear - 1.5, (name, cand.marks)  # (centres at floor(x), floor(y))
            assert marks_apart(points, scene.width, scene.height)
        close = 0
        for cand, _ in candidates(scene, name, **config):  # unmarked questions: points as near as before
            points = [n["args"] for n in cand.get_program() if n["op"] == "point"]
            close += any(math.dist(p, q) <= clear for k, p in enumerate(points) for q in points[k + 1:])
        assert close > 0, name  # (these scenes have such points: the check is not idle)
    assert not candidates(side_by_side, "depth.points.v1", marks=True, **apart)


@pytest.mark.parametrize("name", ["segmentation.same_object.v1", "segmentation.different_object.v1"])
def test_a_reply_naming_the_reference_point_c_is_read(name) -> None:
    """"Which of the points A and B lies on the same object as the point C?": C is the reference,
    no option, so a reply that names it ("Point A lies on the same object as point C.") picks A.
    With C among the sample's mark labels such a reply named two options and scored 0."""
    from veriscene.io.writers.records import ground_truth
    from veriscene.rewards.truth import GroundTruth

    samples = [s for s in run(masked_scene(), name, marks=True, per_scene=6) if s["meta"]["mode"] == "qa"]
    assert samples
    for s in samples:
        assert s["meta"]["mark_labels"] == ["A", "B"]
        right, wrong = s["answer"], ({"A", "B"} - {s["answer"]}).pop()
        relation = "the same object as" if "same" in name else "a different object than"
        for reply, score in [(f"Point {right} lies on {relation} point C.", 1.0), (f"{right} (C is on it)", 1.0),
                             (f"Point {wrong} lies on {relation} point C.", 0.0), ("C", 0.0),
                             (f"Point {wrong} is not on {relation} point C; point {right} is.", 1.0)]:
            assert score_sample(reply, s).score == score, reply
            assert GroundTruth.from_json(ground_truth(s)).score(reply).score == score, reply


@pytest.mark.parametrize("reply, score", [
    ("{a} is {w} than {b}.", 1.0), ("Point {a} is {w} from the camera than point {b}.", 1.0),
    ("{a} appears {w} compared to {b}", 1.0), ("<answer>{a}</answer>, {w} than {b}", 1.0),
    ("{b} is {w} than {a}.", 0.0),  # the wrong label said as the answer
    ("{b} is {o} than {a}.", 0.0), ("{a} is not {w} than {b}.", 0.0),  # the other way round, denied: unread
    ("{a} or {b}", 0.0),
    ("{b} is not {w}, {a} is.", 1.0), ("Point {b} isn't the {w} one; point {a} is.", 1.0),  # denied: the other
    ("{b} is not {w} than {a}.", 1.0), ("{a} is not {o}, {b} is.", 0.0), ("{a} is not {w}, {b} is.", 0.0)])
def test_a_label_compared_with_is_not_the_answer(mapped, reply, score) -> None:
    """"Which point is farther from the camera: A or B?" - "B is farther than A.": the label after
    "than" is what the answer is compared with, and "A is not farther, B is." rules A out
    (`answers.mark_replies`); read as letters alone these replies named two options and scored 0."""
    from veriscene.io.writers.records import ground_truth
    from veriscene.rewards.truth import GroundTruth

    samples = run(mapped, "depth.map_points.v1", marks=True, per_scene=8)
    assert {s["meta"]["mode"] for s in samples} == {"qa", "mc"}
    for s in samples:
        a = s["answer"]
        w = "closer" if s["template_id"].startswith("closer") else "farther"  # (asked "nearer", "further away" too)
        said = reply.format(a=a, b=({"A", "B"} - {a}).pop(), w=w, o="farther" if w == "closer" else "closer")
        assert score_sample(said, s).score == score, (said, s["question"])
        assert GroundTruth.from_json(ground_truth(s)).score(said).score == score, said


def test_without_the_question_a_comparison_is_not_read() -> None:
    """A record without its question (lmms-eval's rows): which way a comparison goes is unknown,
    so "A is closer than B." is left naming two labels, never read as A to "which is farther?"."""
    from veriscene.answers.mark_replies import without_compared_labels

    assert without_compared_labels("A is closer than B.", None) == "A is closer than B."
    assert without_compared_labels("A is closer than B.", "Which point is closer: A or B?") == \
        "A is closer than the other one."
    assert without_compared_labels("A is closer than B.", "Which point is farther: A or B?") == "A is closer than B."


@pytest.mark.usefixtures("marks_on_small_objects")
def test_candidates_not_asked_for_marks_that_touch_are_counted(tmp_path: Path, capsys) -> None:
    """A run never drops a question silently: each candidate a generator does not ask because its
    marks would touch is counted as marks_clash:<generator> in the run's counts (the summary's
    generator_stats) and said after the run's table."""
    from tests.conftest import make_scene
    from tests.generators.test_masks_depth import rect_mask
    from veriscene.console import print_marks_clash

    np.save(tmp_path / "d.npy", floor_and_box())
    # (marks on two objects' visible masks never touch, each ring on its own object: two points on
    # an object of 26 px, each a reach (8 px) inside it and no distance apart asked, always do)
    two_small = make_scene([{"name": "cube", "box": [20, 20, 46, 46], "depth": 0.3,
                             "mask": rect_mask(200, 100, [[20, 20, 46, 46]])},
                            {"name": "ball", "box": [100, 20, 126, 46], "depth": 0.8,
                             "mask": rect_mask(200, 100, [[100, 20, 126, 46]])}], width=200, height=100)
    for scene, name, config in [(scene_with(tmp_path / "d.npy"), "depth.map_points.v1", {}),
                                (two_small, "segmentation.same_object.v1", {"min_distance_frac": 0.0})]:
        cls = get_generator(name)
        counts = {}
        for marks in (False, True):
            runner = SceneRunner([cls(cls.Config(marks=marks, **config))], VOCAB)
            runner.run(scene)
            counts[marks] = runner.stats[f"marks_clash:{name}"]
        assert counts[False] == 0 and counts[True] > 0, (name, counts)
    print_marks_clash({"marks_clash:depth.points.v1": 3, "rejected_unmade:depth.points.v1": 3})
    assert "marks would touch: depth.points.v1 3" in " ".join(capsys.readouterr().out.split())  # (folded)


@pytest.mark.parametrize("name", ["depth.points.v1", "segmentation.same_object.v1",
                                  "segmentation.different_object.v1", "segmentation.point_object.v1"])
@pytest.mark.usefixtures("marks_on_small_objects")
def test_marked_points_keep_their_ring_on_their_object(name) -> None:
    """A ring its object's edge crosses encloses two surfaces, and which one its label names is
    the viewer's guess: a marked point lies a mark's reach or more inside its object's visible
    mask (every pixel of the reach's disk on it, as multi.marked_point's); an unmarked one
    `margin_px` or more, as before (some nearer an edge than a reach: the check is not idle)."""
    from veriscene.generators.regions import point_margin
    from veriscene.scene.masks import decode_mask
    from veriscene.scene.marks import mark_reach

    scene = masked_scene()
    reach = mark_reach(scene.width, scene.height)
    assert point_margin(4, True, scene) == reach > 4 and point_margin(4, False, scene) == 4
    masks = [decode_mask(m) for m in scene.masks]
    rows, cols = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    disk = rows ** 2 + cols ** 2 <= reach ** 2

    def ring_on_object(p) -> bool:
        x, y = int(p[0]), int(p[1])
        mask = masks[owner(p[0], p[1])]
        window = mask[y - reach:y + reach + 1, x - reach:x + reach + 1]
        return window.shape == disk.shape and bool(window[disk].all())

    marked = candidates(scene, name, marks=True)
    assert marked
    for cand, _ in marked:
        assert all(ring_on_object(m["point"]) for m in cand.marks), cand.marks
    plain = [n["args"] for cand, _ in candidates(scene, name) for n in cand.get_program() if n["op"] == "point"]
    assert plain and not all(ring_on_object(p) for p in plain)


def test_depth_map_marked_points_have_no_edge_under_their_ring(mapped) -> None:
    """On a sharp map (a box 1 m away before a floor 2-6 m away), a marked point's ring encloses
    one surface: no pixel within a mark's reach of it across the box's edge; unmarked points keep
    the 5x5 neighbourhood (some nearer the edge than a reach: the check is not idle)."""
    from veriscene.scene.marks import mark_reach

    depth = floor_and_box()
    box = depth == 1.0
    reach = mark_reach(mapped.width, mapped.height)
    rows, cols = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    disk = rows ** 2 + cols ** 2 <= reach ** 2

    def one_surface(p) -> bool:
        x, y = int(p[0]), int(p[1])
        window = np.pad(box, reach, constant_values=False)[y:y + 2 * reach + 1, x:x + 2 * reach + 1]
        return bool(window[disk].all() or not window[disk].any())

    marked = candidates(mapped, "depth.map_points.v1", marks=True)
    assert marked
    for cand, _ in marked:
        assert all(one_surface(m["point"]) for m in cand.marks), cand.marks
    plain = [n["args"] for cand, _ in candidates(mapped, "depth.map_points.v1") for n in cand.get_program()
             if n["op"] == "point"]
    assert plain and not all(one_surface(p) for p in plain)


@pytest.mark.parametrize("name", ["depth.points.v1", "segmentation.same_object.v1",
                                  "segmentation.different_object.v1", "segmentation.point_object.v1"])
def test_marks_only_on_objects_they_leave_seen(tmp_path: Path, name) -> None:
    """A ring on a small object covers most of it (the shape asked about unseen): a marked point
    lies only on an object whose box's shorter side is `MIN_SIDE_REACHES` reaches or more
    (`scene.marks.fits_mark`, multi.marked_point's rule), the candidates left out counted as
    marks_unplaced; unmarked questions still ask about the small objects."""
    from veriscene.scene.marks import fits_mark

    scene = masked_scene()  # a 30 px circle, a 9 px star (reach 8: 32 px needed), 40 px square and triangle
    small = {i for i, box in enumerate(scene.boxes.tolist()) if not fits_mark(box, scene.width, scene.height)}
    assert small == {1, 2}
    on = {owner(*m["point"]) for cand, _ in candidates(scene, name, marks=True) for m in cand.marks}
    assert not on & small and (on or name == "depth.points.v1")  # (its one overlapping pair holds the circle)
    plain = candidates(scene, name)
    assert any(owner(*n["args"][-2:]) in small for cand, _ in plain for n in cand.get_program() if n["op"] == "point")
    cls = get_generator(name)
    runner = SceneRunner([cls(cls.Config(marks=True))], VOCAB)
    runner.run(scene)
    assert runner.stats[f"marks_unplaced:{name}"] > 0


def test_candidates_not_asked_for_marks_unplaced_are_said(capsys) -> None:
    from veriscene.console import print_marks_clash

    print_marks_clash({"marks_unplaced:segmentation.point_object.v1": 1234, "marks_clash:depth.points.v1": 0})
    out = " ".join(capsys.readouterr().out.split())
    assert "no mark could be placed where a viewer reads it" in out and "segmentation.point_object.v1 1,234" in out
    assert "touch" not in out


def test_labels_hide_no_other_mark_nor_the_marked_objects_where_they_can() -> None:
    """Each label goes at the corner of its ring (``label_at``) inside the image that meets no
    other mark's ring or label, hides the least of the objects the marks lie on, then no small
    other object, else the first corner (up right, up left, down right, down left)."""
    from tests.conftest import make_scene
    from tests.generators.test_masks_depth import rect_mask
    from veriscene.generators.regions import label_corners
    from veriscene.program.context import ExecutionContext
    from veriscene.scene.marks import boxes_meet, inside_image, label_box, ring_box

    cube = {"name": "cube", "box": [20, 20, 80, 80], "depth": 0.5, "mask": rect_mask(200, 100, [[20, 20, 80, 80]])}
    chip = {"name": "chip", "box": [80, 8, 92, 20], "depth": 0.4, "mask": rect_mask(200, 100, [[80, 8, 92, 20]])}
    alone, with_chip = (ExecutionContext(make_scene(objects, width=200, height=100)) for objects in ([cube], [cube, chip]))
    # (reach 8, label 13 px) near the cube's upper right corner: up right hides 4 of its pixels, up left
    # and down right 26, down left 169; near its upper left one, up left 4 and up right 26
    assert label_corners(alone, [[70.5, 30.5]], [0]) == ["up right"]
    assert label_corners(alone, [[30.5, 30.5]], [0]) == ["up left"]
    assert label_corners(with_chip, [[70.5, 30.5]], [0]) == ["up left"]  # up right would hide the chip
    assert label_corners(with_chip, [[70.5, 30.5]], [None]) == ["up left"]
    points = [[30.5, 70.5], [60.5, 70.5], [45.5, 40.5]]
    corners = label_corners(alone, points, [0, 0, 0])
    assert corners is not None
    boxes = [label_box(p, c, 200, 100) for p, c in zip(points, corners)]
    for k, box in enumerate(boxes):
        assert inside_image(box, 200, 100)
        assert not any(boxes_meet(box, ring_box(p, 200, 100)) for j, p in enumerate(points) if j != k)
        assert not any(boxes_meet(box, other) for j, other in enumerate(boxes) if j != k)


@pytest.mark.parametrize("masked", [True, False])
def test_labels_keep_off_a_neighbour_s_part_where_a_corner_is_free(masked: bool) -> None:
    """A label covering 10 % or more of another object (its visible pixels; its box on a scene
    without masks) is placed at a free corner that covers none: a handle beside the cube, of
    which up right's box would cover a quarter (under the half 0.32.0 looked for)."""
    from tests.conftest import make_scene
    from tests.generators.test_masks_depth import rect_mask
    from veriscene.generators.regions import label_corners
    from veriscene.program.context import ExecutionContext

    def thing(name: str, box: list[int]) -> dict:
        return {"name": name, "box": box, **({"mask": rect_mask(200, 100, [box])} if masked else {})}

    cube, handle = thing("cube", [20, 20, 80, 80]), thing("handle", [78, 0, 108, 22])
    # (reach 8, label 13 px) up right of [70.5, 30.5]: the box [78, 9, 91, 22], 169 of the handle's 660 px
    assert label_corners(ExecutionContext(make_scene([cube], width=200, height=100)), [[70.5, 30.5]], [0]) == ["up right"]
    beside = ExecutionContext(make_scene([cube, handle], width=200, height=100))
    assert label_corners(beside, [[70.5, 30.5]], [0]) == ["up left"]
    assert label_corners(beside, [[70.5, 30.5]], [None]) == ["up left"]


def test_on_boxes_only_a_label_keeps_off_its_own_object_where_it_can() -> None:
    """Without masks the marked object is its box: a label covering 10 % or more of it goes to a
    free corner that covers less (multi.marked_point on VG-shaped scenes; 0.32.0 kept up right)."""
    from tests.conftest import make_scene
    from veriscene.generators.regions import label_corners
    from veriscene.program.context import ExecutionContext

    scene = ExecutionContext(make_scene([{"name": "cup", "box": [40, 30, 80, 60]}], width=200, height=100))
    # (reach 8, label 13 px) near the cup's lower left corner: up right's box [53, 34, 66, 47] lies
    # in it (169 of 1,200 px), up left's [24, 34, 37, 47] beside it
    assert label_corners(scene, [[45.5, 55.5]], [0]) == ["up left"]
    # near its upper right corner: up right covers 4 px of it, up left 26
    assert label_corners(scene, [[70.5, 40.5]], [0]) == ["up right"]
