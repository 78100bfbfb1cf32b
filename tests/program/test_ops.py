import pytest

from veriscene.errors import ExecutionFailure
from veriscene.program import ProgramBuilder, execute, run_nodes, ExecutionContext


def run(scene, build):
    b = ProgramBuilder()
    build(b)
    return execute(b.program, scene)


def objs(b, name=None, *attrs):
    n = b.add("scene", args=[0])
    if name:
        n = b.add("filter_name", n, args=[name])
    for a in attrs:
        n = b.add("filter_attribute", n, args=[a])
    return n


def test_count_exists_filters(street) -> None:
    assert run(street, lambda b: b.add("count", objs(b, "circle"))) == 2
    assert run(street, lambda b: b.add("count", objs(b, "circle", "red", "large"))) == 1
    assert run(street, lambda b: b.add("exists", objs(b, "dog"))) is False
    assert run(street, lambda b: b.add("count", objs(b, None, "shiny"))) == 2


def test_unique_fails_on_ambiguity(street) -> None:
    with pytest.raises(ExecutionFailure, match="expected exactly one object, found 2") as info:
        run(street, lambda b: b.add("query_name", b.add("unique", objs(b, "circle"))))
    assert info.value.node == 2 and info.value.op == "unique"
    with pytest.raises(ExecutionFailure, match="found 0"):
        run(street, lambda b: b.add("query_name", b.add("unique", objs(b, "dog"))))


def test_queries(street) -> None:
    one = lambda b: b.add("unique", objs(b, "square"))
    assert run(street, lambda b: b.add("query_name", one(b))) == "square"
    assert run(street, lambda b: b.add("query_attribute", one(b), args=["color"])) == "blue"
    assert run(street, lambda b: b.add("query_attributes", one(b))) == ["blue", "large", "matte"]
    assert run(street, lambda b: b.add("query_box", one(b))) == [60.0, 20.0, 100.0, 55.0]


def test_query_attribute_fails_without_exactly_one_of_type(street) -> None:
    with pytest.raises(ExecutionFailure, match="0 attributes of type 'material'"):
        run(street, lambda b: b.add("query_attribute", b.add("unique", objs(b, "square")), args=["material"]))


@pytest.mark.parametrize(
    ("which", "name"),
    [("leftmost", "circle"), ("rightmost", "triangle"), ("topmost", "triangle"), ("bottommost", "circle"),
     ("largest", "circle"), ("closest", "circle"), ("farthest", "triangle")],
)
def test_extremes(street, which, name) -> None:
    assert run(street, lambda b: b.add("query_name", b.add("extreme", objs(b), args=[which]))) == name


def test_extreme_tie_fails() -> None:
    from tests.conftest import make_scene

    scene = make_scene([{"name": "a", "box": [0, 0, 10, 10]}, {"name": "b", "box": [50, 0, 60, 10]}])
    with pytest.raises(ExecutionFailure, match="2 objects tie for largest"):
        run(scene, lambda b: b.add("query_name", b.add("extreme", objs(b), args=["largest"])))


def test_relations(street) -> None:
    def ref(b, name, *attrs):
        return b.add("unique", objs(b, name, *attrs))

    assert run(street, lambda b: b.add("has_relation", ref(b, "circle", "large"), ref(b, "square"), args=["left of"]))
    assert not run(street, lambda b: b.add("has_relation", ref(b, "square"), ref(b, "circle", "large"), args=["left of"]))
    with pytest.raises(ExecutionFailure, match="2 relations"):
        run(street, lambda b: b.add("query_relation", ref(b, "circle", "large"), ref(b, "square")))
    assert run(street, lambda b: b.add("query_relation", ref(b, "circle", "small"), ref(b, "triangle"))) == "below"
    assert run(street, lambda b: b.add("query_relations", ref(b, "circle", "large"), ref(b, "square"))) == ["left of", "near"]
    # objects left of the square, and things the triangle is above
    assert run(street, lambda b: b.add("count", b.add("filter_relation", objs(b), objs(b, "square"), args=["left of", "subject"]))) == 1
    assert run(street, lambda b: b.add("count", b.add("relate", ref(b, "triangle"), args=["above", "subject"]))) == 1
    assert run(street, lambda b: b.add("count", b.add("relate", ref(b, "triangle"), args=["above", "object"]))) == 0


def test_logic_sets_and_comparison(street) -> None:
    def build(b):
        circles = objs(b, "circle")
        red = objs(b, None, "red")
        shiny = objs(b, None, "shiny")
        both = b.add("intersect", circles, shiny)
        either = b.add("union", red, shiny)
        rest = b.add("difference", either, circles)
        more = b.add("compare_int", b.add("count", either), b.add("count", both), args=["greater"])
        one = b.add("equal", b.add("count", rest), b.add("count", both))
        b.add("and", more, b.add("not", b.add("or", one, b.add("exists", objs(b, "dog")))))
    # either = {0,1,3} (3), both = {0} (1): more=True; rest={3} count 1 == 1 -> one=True; not(True or False)=False
    assert run(street, build) is False


def test_run_nodes_exposes_intermediate_values(street) -> None:
    b = ProgramBuilder()
    b.add("count", objs(b, "circle"))
    values = run_nodes(b.program, ExecutionContext(street))
    assert values[1].idx == (0, 1) and values[-1] == 2


def test_depth_ops_need_depth() -> None:
    from tests.conftest import make_scene

    scene = make_scene([{"name": "a", "box": [0, 0, 5, 5]}, {"name": "b", "box": [6, 0, 9, 5]}])
    with pytest.raises(ExecutionFailure, match="no depth"):
        run(scene, lambda b: b.add("query_name", b.add("extreme", objs(b), args=["closest"])))


def test_describe_scene_mentions_objects_and_relations(street) -> None:
    text = run(street, lambda b: b.add("describe_scene", args=[0]))
    assert text.startswith("The image shows four objects: a large shiny red circle, a large matte blue square")
    assert "The large circle is to the left of the square." in text
    assert "The square is to the right of" not in text  # converse pairs are stated once
