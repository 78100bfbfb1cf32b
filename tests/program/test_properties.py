"""Property-based tests: programs on random scenes behave like set algebra over the columns."""

from hypothesis import given, settings
from hypothesis import strategies as st

from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.scene import Scene

NAMES = ["cup", "dog", "car"]
ATTRS = ["red", "blue", "small", "large"]


@st.composite
def scenes(draw):
    n = draw(st.integers(0, 8))
    objects = []
    for _ in range(n):
        x0 = draw(st.integers(0, 90))
        y0 = draw(st.integers(0, 90))
        objects.append({
            "name": draw(st.sampled_from(NAMES)),
            "box": [x0, y0, x0 + draw(st.integers(1, 10)), y0 + draw(st.integers(1, 10))],
            "attributes": draw(st.lists(st.sampled_from(ATTRS), max_size=3)),
            "depth": draw(st.floats(0, 1)),
        })
    rels = []
    if n >= 2:
        for _ in range(draw(st.integers(0, 6))):
            s, o = draw(st.sampled_from([(i, j) for i in range(n) for j in range(n) if i != j]))
            rels.append((s, draw(st.sampled_from(["on", "near"])), o))
    return Scene.from_objects("r", 100, 100, objects, rels)


def _count(scene, name, attr):
    b = ProgramBuilder()
    n = b.add("filter_name", b.add("scene", args=[0]), args=[name])
    b.add("count", b.add("filter_attribute", n, args=[attr]))
    return execute(b.program, scene)


@settings(max_examples=150, deadline=None)
@given(scenes(), st.sampled_from(NAMES), st.sampled_from(ATTRS))
def test_filter_count_matches_columns(scene, name, attr) -> None:
    expected = sum(1 for n, a in zip(scene.names, scene.attributes) if n == name and attr in a)
    assert _count(scene, name, attr) == expected


@settings(max_examples=150, deadline=None)
@given(scenes(), st.sampled_from(NAMES), st.sampled_from(ATTRS))
def test_union_intersection_sizes(scene, name, attr) -> None:
    b = ProgramBuilder()
    a = b.add("filter_name", b.add("scene", args=[0]), args=[name])
    c = b.add("filter_attribute", b.add("scene", args=[0]), args=[attr])
    u = b.add("count", b.add("union", a, c))
    i = b.add("count", b.add("intersect", a, c))
    na, nc = b.add("count", a), b.add("count", c)
    ctx = ExecutionContext(scene)
    from veriscene.program import run_nodes

    values = run_nodes(b.program, ctx)
    assert values[u] + values[i] == values[na] + values[nc]


@settings(max_examples=100, deadline=None)
@given(scenes())
def test_execution_is_deterministic_and_pure(scene) -> None:
    b = ProgramBuilder()
    b.add("describe_scene", args=[0])
    before = scene.boxes.copy()
    first = execute(b.program, scene)
    assert execute(b.program, scene) == first
    assert (scene.boxes == before).all()


@settings(max_examples=100, deadline=None)
@given(scenes(), st.sampled_from(["leftmost", "rightmost", "topmost", "bottommost", "largest", "closest"]))
def test_extreme_is_an_argmin_or_failure(scene, which) -> None:
    from veriscene.errors import ExecutionFailure

    b = ProgramBuilder()
    b.add("query_box", b.add("extreme", b.add("scene", args=[0]), args=[which]))
    try:
        box = execute(b.program, scene)
    except ExecutionFailure:
        return
    boxes = scene.boxes.astype(float)
    key = {
        "leftmost": (boxes[:, 0] + boxes[:, 2]) / 2, "rightmost": -(boxes[:, 0] + boxes[:, 2]) / 2,
        "topmost": (boxes[:, 1] + boxes[:, 3]) / 2, "bottommost": -(boxes[:, 1] + boxes[:, 3]) / 2,
        "largest": -(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), "closest": scene.depth.astype(float),
    }[which]
    assert key[[list(map(float, r)) for r in boxes].index(box)] == key.min()
