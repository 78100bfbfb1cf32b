"""relation.subject, relation.region, scene_graph.multihop and grounding.refexp on `street`.

`street` relations: large circle left of / near the square, square left of the triangle, small
circle below the triangle (and converses). Answers must be unique also to a generous viewer:
the large circle is also (unannotated) left of the triangle, the small circle could be read
as left of the triangle, and the square, a little lower than the triangle, below it.
"""

from tests.conftest import make_scene
from tests.generators.helpers import candidates, qa


def test_relation_subject_and_object_queries(street) -> None:
    got = qa(street, "relation.subject.v1")
    assert got == {
        "Which object is near the large circle?": "square",
        "Which object is to the left of the square?": "circle",
        "Which object is near the square?": "circle",
        "What is the large circle near?": "square",
        "What is the square near?": "circle",
        "What is the square to the right of?": "circle",
    }
    # the square is the only *annotated* object left of the triangle, but the large circle is
    # plainly left of it too: never asked
    assert "Which object is to the left of the triangle?" not in got
    # the small circle is the one annotated below the triangle, but the square beside it sits
    # lower too (both edges, its centre 12.5 px lower: `visual.may_read`): never asked
    assert "Which object is below the triangle?" not in got and "What is the triangle above?" not in got


def test_relation_subject_options_never_correct(street) -> None:
    for cand, answer in candidates(street, "relation.subject.v1"):
        assert answer not in cand.distractors


def test_relation_between_regions(street) -> None:
    got = qa(street, "relation.region.v1")
    # large circle/square: two relations (left of, near); small circle/triangle: also reads as
    # "left of" as clearly; square/triangle: clearly left of it, a little lower ("below" may be
    # read, `visual.may_read`, but says no more: asked as relation.query asks, never offered)
    assert got == {
        "Where is the object in the region [0.300, 0.200, 0.500, 0.550] relative to the object in the region "
        "[0.750, 0.100, 0.950, 0.400]?": "left of",
        "Where is the object in the region [0.750, 0.100, 0.950, 0.400] relative to the object in the region "
        "[0.300, 0.200, 0.500, 0.550]?": "right of",
    }
    for seed in range(6):
        for cand, answer in candidates(street, "relation.region.v1", seed=seed):
            assert cand.distractors and answer not in cand.distractors
            assert not {"below", "above"} & set(cand.distractors), (answer, cand.distractors)


def test_multihop_chains(street) -> None:
    got = qa(street, "scene_graph.multihop.v1")
    assert got["What color is the object the large circle is near?"] == "blue"
    assert got["What color is the object that is to the left of the square?"] == "red"
    assert "What size is the object that is below the triangle?" not in got  # the square sits lower too
    assert got["What kind of object is the object the square is to the right of?"] == "circle"
    assert not any("to the left of the triangle" in q for q in got)  # not unique to a viewer


def test_multihop_two_hops() -> None:
    # batter holding a bat; the bat is left of a ball
    scene = make_scene(
        [{"name": "batter", "box": [10, 10, 40, 90], "attributes": ["tall"]},
         {"name": "bat", "box": [40, 30, 70, 40], "attributes": ["brown", "wooden"]},
         {"name": "ball", "box": [150, 30, 160, 40], "attributes": ["white"]}],
        [(0, "holding", 1), (1, "left of", 2), (2, "right of", 1)],
    )
    got = qa(scene, "scene_graph.multihop.v1")
    assert got["What color is the object the batter is holding?"] == "brown"
    assert got["What is the material of the object the batter is holding?"] == "wooden"
    # a second hop from the subject's side: the first said on its own (nested, it read "the object
    # the object the batter is holding is to the left of")
    assert got["The batter is holding an object, and that object is to the left of another object. What color is the other object?"] == "white"
    assert got["What kind of object is the object that is holding the bat?"] == "batter"


def test_refexp_uses_the_relation_to_disambiguate(street) -> None:
    got = qa(street, "grounding.refexp.v1")
    note = "Answer with [x0, y0, x1, y1], coordinates normalised to 0-1 with three decimals."
    assert got == {
        f"Give the bounding box of the circle to the left of the square. {note}": [10.0, 10.0, 50.0, 50.0],
        f"Give the bounding box of the circle below the triangle. {note}": [120.0, 60.0, 140.0, 80.0],
    }
    for cand, answer in candidates(street, "grounding.refexp.v1"):
        assert answer not in cand.distractors


def test_sure_wrong_options_where_relations_are_sparse() -> None:
    """Where any unannotated predicate may hold, wrong options are only those sure not to: the
    annotated one's opposite and the spatial predicates the boxes rule out."""
    from veriscene.generators import Vocabulary
    from veriscene.generators.single_image.relations import sure_wrong
    from veriscene.program import ExecutionContext

    objects = [{"name": "man", "box": [0, 40, 30, 99]}, {"name": "table", "box": [100, 40, 180, 90]},
               {"name": "cup", "box": [120, 30, 130, 42]}]
    scene = make_scene(objects, [(0, "left of", 1), (2, "on", 1)], meta={"sparse": ["relations"]})
    vocab = Vocabulary()
    vocab.add_names(["man", "table", "cup"], [], ["left of", "right of", "above", "below", "near", "on", "holding"])
    index = ExecutionContext(scene).index(0)
    # the man stands clear left of the table: right of (the opposite), above, below and near are wrong
    assert sure_wrong(index, 0, 1, "left of", vocab) == ["right of", "above", "below", "near"]
    # the cup touches the table's top edge: it may be above it or near it; left or right of it it is not
    assert sure_wrong(index, 2, 1, "on", vocab) == ["left of", "right of", "below"]


def _sidewalk(padding: int) -> object:
    """A hydrant on the sidewalk, a man standing on it, a car parked on it; `padding` far-off
    cups make the scene large enough for the reader's numpy path (over 12 objects)."""
    objects = [
        {"name": "sidewalk", "box": [0, 60, 200, 100], "attributes": []},
        {"name": "fire hydrant", "box": [10, 50, 20, 70], "attributes": []},
        {"name": "man", "box": [40, 10, 60, 70], "attributes": []},
        {"name": "car", "box": [100, 40, 180, 70], "attributes": []},
    ] + [{"name": "cup", "box": [5 * k, 0, 5 * k + 3, 3], "attributes": []} for k in range(padding)]
    return make_scene(objects, [(1, "on", 0), (2, "standing on", 0), (3, "parked on", 0)])


def test_a_posture_at_a_place_is_read_as_the_place() -> None:
    """"What is on the sidewalk?" answered "fire hydrant" was wrong beside a man standing on it and
    a car parked on it: those are on the sidewalk too."""
    for padding in (0, 12):  # both readings of `GenerousReader` (plain and numpy)
        got = qa(_sidewalk(padding), "relation.subject.v1")
        assert "Which object is on the sidewalk?" not in got, padding
        assert got["Which object is standing on the sidewalk?"] == "man"
        assert got["Which object is parked on the sidewalk?"] == "car"
        assert got["What is the fire hydrant on?"] == "sidewalk"
