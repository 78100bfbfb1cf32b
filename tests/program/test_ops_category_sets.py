"""Scenes of a closed category list (``meta["category_set"]``: COCO annotates every instance of its
categories and nothing else): programs take the set's names as annotated in full, and the absence,
count or list of any other name ("window") fails as unknown."""

import pickle

import pytest

from tests.conftest import make_scene
from veriscene.category_sets import category_set_id, names_in_full, record_set_names
from veriscene.errors import ExecutionFailure
from veriscene.program import ExecutionContext, ProgramBuilder, SceneIndex, execute
from veriscene.program.executor import answer_of, run_nodes
from veriscene.program.types import OpenNames

CATEGORIES = ["car", "cat", "dog", "person", "tv"]  # a small closed list (COCO has 80)
SET_ID = category_set_id(CATEGORIES)
OBJECTS = [
    {"name": "dog", "box": [10, 10, 40, 40]},
    {"name": "dog", "box": [50, 10, 80, 40]},
    {"name": "person", "box": [100, 10, 140, 90]},
]


def coco(listed: bool = False, image_id: str = "c0", objects=OBJECTS, **meta):
    """A COCO-shaped scene: of the set, carrying its list where `listed` (a file's first scene)."""
    return make_scene(objects, image_id=image_id,
                      meta={"category_set": SET_ID, **({"categories": CATEGORIES} if listed else {}), **meta})


def asked(op: str, name: str) -> list[dict]:
    """`scene -> filter_name name -> op` (exists, count), as a user writes it."""
    b = ProgramBuilder()
    b.add(op, b.add("filter_name", b.add("scene", args=[0]), args=[name]))
    return b.program


@pytest.mark.parametrize("op", ["exists", "count"])
def test_a_name_outside_the_set_is_unknown(op: str) -> None:
    ctx = ExecutionContext(coco(), categories={SET_ID: CATEGORIES})
    with pytest.raises(ExecutionFailure, match="unknown: image 0 does not annotate every object.*category list"):
        execute(asked(op, "window"), ctx)


def test_names_of_the_set_answer_as_before() -> None:
    ctx = ExecutionContext(coco(), categories={SET_ID: CATEGORIES})
    assert execute(asked("count", "dog"), ctx) == 2
    assert execute(asked("count", "cat"), ctx) == 0
    assert execute(asked("exists", "cat"), ctx) is False
    assert execute(asked("exists", "person"), ctx) is True
    # the same scene without the set: every name is annotated in full, as before
    plain = make_scene(OBJECTS)
    assert execute(asked("exists", "window"), plain) is False and execute(asked("count", "window"), plain) == 0
    assert SceneIndex(plain).in_full is None


def test_every_object_of_a_set_scene_is_not_every_object_shown() -> None:
    b = ProgramBuilder()
    b.add("count", b.add("scene", args=[0]))
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        execute(b.program, ExecutionContext(coco(), categories={SET_ID: CATEGORIES}))


def test_the_three_sources_of_the_list() -> None:
    # 1. the mapping the caller gives (generation: the run's vocabulary; verify: the scene files)
    given = SceneIndex(coco(), {SET_ID: CATEGORIES})
    assert given.in_full == frozenset(CATEGORIES) and given.exhaustive is None
    assert given.complete("cat") and not given.complete("window")
    # 2. without it, the list the scene carries (the first scene of a COCO file)
    own = SceneIndex(coco(listed=True))
    assert own.in_full == frozenset(CATEGORIES)
    assert execute(asked("exists", "cat"), coco(listed=True)) is False
    # 3. neither: the names the scene shows (a name it annotates is one of its set's)
    alone = SceneIndex(coco())
    assert alone.in_full == frozenset({"dog", "person"})
    assert execute(asked("count", "dog"), coco()) == 2
    with pytest.raises(ExecutionFailure, match="absence is unknown"):
        execute(asked("exists", "cat"), coco())  # one of COCO's, but nothing here says so
    # the mapping wins over the scene's list, and the scene's own names are always in
    other = SceneIndex(coco(listed=True), {SET_ID: ["cat"]})
    assert other.in_full == frozenset({"cat", "dog", "person"})
    # a list that is not its id's is not read (the scan does not read it either)
    wrong = coco(listed=False, categories=["dog", "window"])
    assert SceneIndex(wrong).in_full == frozenset({"dog", "person"})


def test_within_exhaustive_where_both_are_given() -> None:
    index = SceneIndex(coco(exhaustive=["dog", "window"]), {SET_ID: CATEGORIES})
    assert index.in_full == frozenset({"dog"}) and index.exhaustive == frozenset({"dog", "window"})


def test_names_in_full_and_the_collected_lists() -> None:
    assert names_in_full(SET_ID, {"category_set": SET_ID}, ["dog"], {SET_ID: frozenset(CATEGORIES)}) == frozenset(
        CATEGORIES)
    sets: dict[str, set[str]] = {}
    assert record_set_names(sets, {"category_set": SET_ID}, ["dog"])
    assert record_set_names(sets, {"category_set": SET_ID, "categories": CATEGORIES}, ["person"])
    assert record_set_names(sets, {}, ["window"])  # no set: nothing recorded
    assert not record_set_names(sets, {"category_set": SET_ID, "categories": ["dog", "window"]}, ["car"])
    assert sets == {SET_ID: set(CATEGORIES)}


def vg(image_id: str, names: list[str]):
    """An open-vocabulary scene (Visual Genome): every name annotated in full."""
    return make_scene([{"name": n, "box": [10 * k, 10, 10 * k + 8, 30]} for k, n in enumerate(names)],
                      image_id=image_id)


def only_in(words: list[str], target: int, n: int) -> list[dict]:
    """"Which of `words` does image `target` contain that no other image does?" (multi.only_in)."""
    b = ProgramBuilder()
    among = [b.add("names_among", b.add("scene", args=[i]), args=[words]) for i in range(n)]
    others = [among[i] for i in range(n) if i != target]
    rest = others[0]
    for x in others[1:]:
        rest = b.add("set_union", rest, x)
    b.add("set_difference", among[target], rest)
    return b.program


def test_names_among_leaves_open_what_the_set_cannot_tell() -> None:
    group = [vg("v0", ["window", "man", "cat"]), coco(image_id="c1")]
    ctx = ExecutionContext(group, categories={SET_ID: CATEGORIES})
    # the COCO image may show a window, but Image 1 shows one: "window" is not only in Image 2
    assert execute(only_in(["window", "dog", "cat"], 1, 2), ctx) == ["dog"]
    # a tree: Image 1 shows none, and the COCO image may: unknown
    with pytest.raises(ExecutionFailure, match="the answer is unknown: an image of a closed category list"):
        execute(only_in(["tree", "dog"], 1, 2), ctx)
    # Image 1's own: the COCO image may show a window or a man (then not only in Image 1)
    with pytest.raises(ExecutionFailure, match="may show \\['man', 'window'\\]"):
        execute(only_in(["window", "man"], 0, 2), ctx)
    assert execute(only_in(["cat", "dog"], 0, 2), ctx) == ["cat"]  # COCO's cat: known absent there
    # the open words are carried as the value (and survive a pickle), and `equal` refuses them
    b = ProgramBuilder()
    b.add("names_among", b.add("scene", args=[1]), args=[["dog", "window"]])
    with pytest.raises(ExecutionFailure, match="node 1 \\(names_among\\): the answer is unknown"):
        answer_of(b.program, ctx)
    assert run_nodes(b.program, ctx)[-1].open == frozenset({"window"})  # the steps show what is known
    value = OpenNames(["dog"], frozenset({"window"}))
    assert pickle.loads(pickle.dumps(value)).open == frozenset({"window"}) and tuple(value) == ("dog",)
    b = ProgramBuilder()
    x = b.add("names_among", b.add("scene", args=[1]), args=[["dog", "window"]])
    y = b.add("names_among", b.add("scene", args=[0]), args=[["dog", "window"]])
    b.add("equal", x, y)
    with pytest.raises(ExecutionFailure, match="whether the sets are equal is unknown"):
        execute(b.program, ctx)


def test_names_among_elsewhere_fails_as_before() -> None:
    # an LVIS-like scene (meta.exhaustive alone): the whole image misses objects, and fails
    lvis = make_scene(OBJECTS, meta={"exhaustive": ["dog"]})
    b = ProgramBuilder()
    b.add("names_among", b.add("scene", args=[0]), args=[["dog"]])
    with pytest.raises(ExecutionFailure, match="which of the listed names the set holds is unknown"):
        execute(b.program, lvis)
    # of the set's names only: known, a plain answer
    assert execute(b.program, ExecutionContext(coco(), categories={SET_ID: CATEGORIES})) == ["dog"]


def test_group_descriptions_with_a_name_outside_the_set_fail() -> None:
    b = ProgramBuilder()
    b.add("describe_images")
    closed = ExecutionContext([coco(image_id="c1"), vg("v0", ["window", "dog"])], categories={SET_ID: CATEGORIES})
    with pytest.raises(ExecutionFailure, match="image 0 does not annotate 'window'"):
        execute(b.program, closed)
    within = ExecutionContext([coco(image_id="c1"), vg("v0", ["cat", "dog"])], categories={SET_ID: CATEGORIES})
    assert execute(b.program, within) == ("Only Image 2 contains a cat. Both images contain dogs: two in Image 1 and "
                                          "one in Image 2. Only Image 1 contains a person.")
    shared = ExecutionContext.of_indexes(within.indexes)  # as multi-image generators make them
    assert shared.closed and not shared.partial
