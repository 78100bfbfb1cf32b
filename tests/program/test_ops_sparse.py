"""Scenes that record attributes and relations only in part (``meta["sparse"]``, Visual Genome):
what is annotated is true, but an attribute or relation not annotated may hold, so the ops that
would take it for absent fail."""

import pytest

from tests.conftest import make_scene
from tests.program.test_ops_crowd import named, run
from veriscene.errors import ExecutionFailure, SceneValidationError
from veriscene.evaluate.freeform import SceneFacts
from veriscene.evaluate.freeform.claims import Claim, Mention
from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.scene.describe import refer, refer_by_attributes, shared_description

OBJECTS = [
    {"name": "car", "box": [10, 10, 40, 30], "attributes": ["red"]},
    {"name": "car", "box": [60, 10, 90, 30]},  # colour not annotated: may be red
    {"name": "table", "box": [100, 40, 180, 90], "attributes": ["wooden"]},
    {"name": "cup", "box": [120, 30, 130, 40], "attributes": ["white"]},
    {"name": "cup", "box": [150, 30, 160, 40]},
    {"name": "man", "box": [0, 40, 30, 99]},
]
# the first cup is on the table and left of the second; the man is left of the table
RELATIONS = [(3, "on", 2), (3, "left of", 4), (5, "left of", 2)]
BOTH = ["attributes", "relations"]


@pytest.fixture
def sparse():
    return make_scene(OBJECTS, RELATIONS, meta={"sparse": BOTH})


@pytest.fixture
def full():
    return make_scene(OBJECTS, RELATIONS)


def red_cars(b):
    return b.add("filter_attribute", named(b, "car"), args=["red"])


def on_table(b):
    return b.add("filter_relation", named(b, "cup"), named(b, "table"), args=["on", "subject"])


def test_sets_filtered_by_sparse_attributes_may_miss_objects(sparse, full) -> None:
    assert run(full, lambda b: b.add("count", red_cars(b))) == 1
    with pytest.raises(ExecutionFailure, match="the count is unknown: .*meta.sparse leaves open"):
        run(sparse, lambda b: b.add("count", red_cars(b)))
    with pytest.raises(ExecutionFailure, match="whether there is only one is unknown"):
        run(sparse, lambda b: b.add("query_box", b.add("unique", red_cars(b))))
    assert run(sparse, lambda b: b.add("exists", red_cars(b))) is True  # annotated red is red
    green = lambda b: b.add("filter_attribute", named(b, "car"), args=["green"])  # noqa: E731
    assert run(full, lambda b: b.add("exists", green(b))) is False
    with pytest.raises(ExecutionFailure, match="absence is unknown"):
        run(sparse, lambda b: b.add("exists", green(b)))
    # every table is annotated wooden, and no dog is there to be red: those sets are complete
    assert run(sparse, lambda b: b.add("count", b.add("filter_attribute", named(b, "table"), args=["wooden"]))) == 1
    assert run(sparse, lambda b: b.add("exists", b.add("filter_attribute", named(b, "dog"), args=["red"]))) is False
    # names stay annotated in full: counting and singling out by name are unchanged
    assert run(sparse, lambda b: b.add("count", named(b, "car"))) == 2
    assert run(sparse, lambda b: b.add("query_box", b.add("unique", named(b, "table")))) == [100.0, 40.0, 180.0, 90.0]


def test_no_set_becomes_complete_again(sparse, full) -> None:
    red = lambda b: b.add("filter_attribute", named(b), args=["red"])  # noqa: E731
    by_name = lambda b: b.add("count", b.add("filter_name", red(b), args=["car"]))  # noqa: E731
    both = lambda b: b.add("count", b.add("intersect", named(b, "car"), red(b)))  # noqa: E731
    assert run(full, by_name) == run(full, both) == 1
    for build in (by_name, both):
        with pytest.raises(ExecutionFailure, match="the count is unknown"):
            run(sparse, build)
    # "the cars that are not red": the car without "red" annotated may be red
    not_red = lambda b: b.add("count", b.add("difference", named(b, "car"), red(b)))  # noqa: E731
    assert run(full, not_red) == 1
    with pytest.raises(ExecutionFailure, match="which objects are outside the second set is unknown"):
        run(sparse, not_red)


def test_ops_that_list_every_attribute(sparse, full) -> None:
    first = lambda b: b.add("extreme", named(b, "car"), args=["leftmost"])  # noqa: E731
    assert run(full, lambda b: b.add("query_attributes", first(b))) == ["red"]
    with pytest.raises(ExecutionFailure, match="every attribute of the object is unknown: .*meta.sparse"):
        run(sparse, lambda b: b.add("query_attributes", first(b)))
    assert run(full, lambda b: b.add("attribute_values", named(b, "car"), args=["color"])) == ["red"]
    with pytest.raises(ExecutionFailure, match="which color values the set holds is unknown"):
        run(sparse, lambda b: b.add("attribute_values", named(b, "car"), args=["color"]))
    # the one annotated value of a type is still the answer to "what colour is it?"
    assert run(sparse, lambda b: b.add("query_attribute", first(b), args=["color"])) == "red"


def test_relations(sparse, full) -> None:
    assert run(full, lambda b: b.add("count", on_table(b))) == 1
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(sparse, lambda b: b.add("count", on_table(b)))
    assert run(sparse, lambda b: b.add("exists", on_table(b))) is True
    table = lambda b: b.add("unique", named(b, "table"))  # noqa: E731
    under = lambda b: b.add("relate", table(b), args=["on", "object"])  # noqa: E731
    assert run(full, lambda b: b.add("count", under(b))) == 1
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(sparse, lambda b: b.add("count", under(b)))
    man = lambda b: b.add("unique", named(b, "man"))  # noqa: E731

    def holds(predicate):
        return lambda b: b.add("has_relation", man(b), table(b), args=[predicate])

    assert run(sparse, holds("left of")) is True
    assert run(full, holds("holding")) is False
    with pytest.raises(ExecutionFailure, match="whether 'holding' does not hold is unknown"):
        run(sparse, holds("holding"))
    assert run(sparse, holds("right of")) is False  # its opposite, "left of", is annotated
    # the boxes rule out what no viewer could read into them: 70 px apart, side by side
    assert run(sparse, holds("near")) is False and run(sparse, holds("above")) is False
    cup = lambda b: b.add("unique", b.add("filter_attribute", named(b, "cup"), args=["white"]))  # noqa: E731
    with pytest.raises(ExecutionFailure, match="whether 'near' does not hold is unknown"):
        run(make_scene(OBJECTS, RELATIONS, meta={"sparse": ["relations"]}),
            lambda b: b.add("has_relation", cup(b), table(b), args=["near"]))  # the cup touches the table
    assert run(sparse, lambda b: b.add("query_relation", man(b), table(b))) == "left of"
    assert run(full, lambda b: b.add("query_relations", man(b), table(b))) == ["left of"]
    with pytest.raises(ExecutionFailure, match="every relation between the objects is unknown"):
        run(sparse, lambda b: b.add("query_relations", man(b), table(b)))


def test_sets_the_boxes_complete(sparse) -> None:
    """A relation with a geometric reading ("left of", "near") makes a complete set when no other
    object's box could be read into it."""
    man_left = lambda b: b.add("filter_relation", named(b, "man"), named(b, "table"), args=["left of", "subject"])  # noqa: E731
    assert run(sparse, lambda b: b.add("count", man_left(b))) == 1
    assert run(sparse, lambda b: b.add("query_box", b.add("unique", man_left(b)))) == [0.0, 40.0, 30.0, 99.0]
    # no cup lies left of the table: none is, annotated or not
    cups_left = lambda b: b.add("filter_relation", named(b, "cup"), named(b, "table"), args=["left of", "subject"])  # noqa: E731
    assert run(sparse, lambda b: b.add("count", cups_left(b))) == 0
    assert run(sparse, lambda b: b.add("exists", cups_left(b))) is False
    # what is left of the table: the man, and perhaps the first car (it lies left of it too)
    table = lambda b: b.add("unique", named(b, "table"))  # noqa: E731
    left_of_table = lambda b: b.add("relate", table(b), args=["left of", "object"])  # noqa: E731
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(sparse, lambda b: b.add("count", left_of_table(b)))
    # what the man is above: nothing annotated, and his feet are below every other object's top
    man_above = lambda b: b.add("relate", b.add("unique", named(b, "man")), args=["above", "subject"])  # noqa: E731
    assert run(sparse, lambda b: b.add("count", man_above(b))) == 0


def test_one_kind_only() -> None:
    attributes = make_scene(OBJECTS, RELATIONS, meta={"sparse": ["attributes"]})
    relations = make_scene(OBJECTS, RELATIONS, meta={"sparse": ["relations"]})
    assert run(attributes, lambda b: b.add("count", on_table(b))) == 1
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(attributes, lambda b: b.add("count", red_cars(b)))
    assert run(relations, lambda b: b.add("count", red_cars(b))) == 1
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(relations, lambda b: b.add("count", on_table(b)))


def test_differing_attribute_type(sparse, full) -> None:
    def differs(scene_a, scene_b):
        b = ProgramBuilder()
        x, y = (b.add("unique", b.add("filter_name", b.add("scene", args=[i]), args=["table"])) for i in (0, 1))
        b.add("differing_attribute_type", x, y)
        return execute(b.program, ExecutionContext([scene_a, scene_b]))

    metal = make_scene([{**o, "attributes": ["metal"]} if o["name"] == "table" else o for o in OBJECTS], RELATIONS)
    assert differs(full, metal) == "material"
    with pytest.raises(ExecutionFailure, match="which attribute type differs is unknown"):
        differs(sparse, metal)


def test_referring_expressions(sparse, full) -> None:
    index, plain = ExecutionContext(sparse).index(0), ExecutionContext(full).index(0)
    # "the red car" picks car 0 only if car 1 is known not to be red
    assert refer_by_attributes(plain, 0).phrase == "red car"
    assert refer_by_attributes(index, 0) is None
    assert refer_by_attributes(index, 2).phrase == "table"  # the only table: its name is enough
    # "the cup left of the cup" would need every cup's relations
    assert refer(plain, 3).phrase == "white cup"
    assert refer(index, 3) is None
    assert shared_description(plain, 0, plain, 0) == ("red",)
    assert shared_description(index, 0, plain, 0) is None
    assert shared_description(index, 2, plain, 2) == ()


def test_free_form_claims_an_unannotated_attribute_or_relation_may_make_true(sparse, full) -> None:
    facts, plain = SceneFacts(sparse), SceneFacts(full)
    car, cup, table, man = (Mention(n, ()) for n in ("car", "cup", "table", "man"))

    def attribute(mention, word):
        return Claim("attribute", mention, attribute=word)

    def relation(a, predicate, b):
        return Claim("relation", a, predicate=predicate, object=b)

    # a colour of an object with none annotated is open; another colour than the annotated one is false
    assert facts.undetermined(attribute(Mention("car", ("red",)), "red")) is False
    assert not plain.undetermined(attribute(table, "white")) and not plain.supports(attribute(table, "white"))
    assert facts.undetermined(attribute(table, "white"))  # the table has no colour annotated
    assert not facts.undetermined(attribute(table, "metal"))  # its material is: wooden
    assert not facts.undetermined(attribute(Mention("dog", ()), "brown"))  # there is no dog
    # "two red cars": one is annotated red, the other may be; three is more cars than there are
    two_red = Claim("count", Mention("car", ("red",), 2), count=2)
    assert not plain.undetermined(two_red) and not plain.supports(two_red)
    assert facts.undetermined(two_red)
    assert not facts.undetermined(Claim("count", Mention("car", ("red",), 3), count=3))
    # a relation between objects that exist is open, unless its opposite is annotated
    assert facts.undetermined(relation(cup, "near", table))
    assert not plain.undetermined(relation(cup, "near", table))
    assert not facts.undetermined(relation(man, "right of", table))
    assert not facts.undetermined(relation(man, "left of", table)) and facts.supports(relation(man, "left of", table))
    assert not facts.undetermined(relation(Mention("dog", ()), "near", table))
    assert not facts.undetermined(relation(car, "near", Mention("dog", ())))


def test_sparse_is_validated() -> None:
    for value, field in (("attributes", "meta.sparse"), (["colours"], "meta.sparse[0]"),
                         (["relations", "relations"], "meta.sparse[1]")):
        with pytest.raises(SceneValidationError) as info:
            make_scene(OBJECTS, meta={"sparse": value})
        assert info.value.field == field
    assert make_scene(OBJECTS, meta={"sparse": []}).meta["sparse"] == []
