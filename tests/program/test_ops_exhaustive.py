"""Scenes that annotate only some names in full (``meta["exhaustive"]``, LVIS): the count, absence,
uniqueness and extremes of any other name are unknown, and the ops that would state them fail."""

import pytest

from tests.conftest import make_scene
from tests.program.test_ops_crowd import named, run
from veriscene.errors import ExecutionFailure, SceneValidationError
from veriscene.evaluate.freeform import SceneFacts
from veriscene.evaluate.freeform.claims import Claim, Mention
from veriscene.generators import Vocabulary
from veriscene.generators.vocabulary import absent_names
from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.scene.caption import scene_caption
from veriscene.scene.describe import referents

OBJECTS = [
    {"name": "cup", "box": [10, 10, 20, 20]},
    {"name": "cup", "box": [30, 10, 40, 20]},
    {"name": "dog", "box": [50, 50, 90, 90], "attributes": ["brown"]},
    {"name": "table", "box": [0, 0, 100, 40]},
]


@pytest.fixture
def partial():
    # every dog is annotated, and the image is known to have no giraffe; cups and tables may be missed
    return make_scene(OBJECTS, meta={"exhaustive": ["dog", "giraffe"]})


@pytest.fixture
def full():
    return make_scene(OBJECTS)


def test_counts_and_absence_of_names_not_annotated_in_full(partial, full) -> None:
    count = lambda name: lambda b: b.add("count", named(b, name))  # noqa: E731
    exists = lambda name: lambda b: b.add("exists", named(b, name))  # noqa: E731
    assert run(full, count("cup")) == 2 and run(full, exists("fork")) is False
    assert run(partial, count("dog")) == 1
    with pytest.raises(ExecutionFailure, match="the count is unknown: image 0 does not annotate every object"):
        run(partial, count("cup"))
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(partial, lambda b: b.add("count", named(b)))
    # present is present; absent only where the name is annotated in full
    assert run(partial, exists("cup")) is True
    assert run(partial, exists("giraffe")) is False
    with pytest.raises(ExecutionFailure, match="absence is unknown"):
        run(partial, exists("fork"))
    with pytest.raises(ExecutionFailure, match="absence is unknown"):
        run(partial, lambda b: b.add("exists", b.add("filter_attribute", named(b, "cup"), args=["red"])))
    assert run(partial, lambda b: b.add("exists", b.add("filter_attribute", named(b, "dog"), args=["red"]))) is False


def test_uniqueness_extremes_and_name_sets(partial, full) -> None:
    the = lambda name: lambda b: b.add("query_box", b.add("unique", named(b, name)))  # noqa: E731
    assert run(full, the("table")) == [0.0, 0.0, 100.0, 40.0]
    with pytest.raises(ExecutionFailure, match="whether there is only one is unknown"):
        run(partial, the("table"))
    assert run(partial, the("dog")) == [50.0, 50.0, 90.0, 90.0]
    with pytest.raises(ExecutionFailure, match="the largest object is unknown"):
        run(partial, lambda b: b.add("query_name", b.add("extreme", named(b), args=["largest"])))
    assert run(partial, lambda b: b.add("query_name", b.add("extreme", named(b, "dog"), args=["largest"]))) == "dog"
    with pytest.raises(ExecutionFailure, match="which names the set holds is unknown"):
        run(partial, lambda b: b.add("names_in", named(b)))
    with pytest.raises(ExecutionFailure, match="how often each name occurs is unknown"):
        run(partial, lambda b: b.add("frequent_name", named(b), args=["most"]))
    with pytest.raises(ExecutionFailure, match="which color values the set holds is unknown"):
        run(partial, lambda b: b.add("attribute_values", named(b), args=["color"]))
    assert run(partial, lambda b: b.add("attribute_values", named(b, "dog"), args=["color"])) == ["brown"]


def test_completeness_through_set_operations(partial) -> None:
    def count(build_set):
        return run(partial, lambda b: b.add("count", build_set(b)))

    # a complete set stays complete when intersected with anything, or when something is removed
    assert count(lambda b: b.add("intersect", named(b), named(b, "dog"))) == 1
    assert count(lambda b: b.add("intersect", named(b, "dog"), named(b, "cup"))) == 0
    assert count(lambda b: b.add("difference", named(b, "dog"), named(b, "cup"))) == 1
    assert count(lambda b: b.add("filter_name", named(b, "cup"), args=["dog"])) == 0
    assert count(lambda b: b.add("union", named(b, "dog"), named(b, "giraffe"))) == 1
    assert count(lambda b: b.add("as_set", b.add("unique", named(b, "dog")))) == 1
    for incomplete in (lambda b: b.add("union", named(b, "dog"), named(b, "cup")),
                       lambda b: b.add("difference", named(b), named(b, "dog")),
                       lambda b: b.add("relate", b.add("unique", named(b, "dog")), args=["near", "subject"]),
                       lambda b: b.add("filter_relation", named(b, "dog"), named(b, "cup"), args=["near", "subject"])):
        with pytest.raises(ExecutionFailure, match="the count is unknown"):
            count(incomplete)


def test_nothing_annotated_in_full() -> None:
    scene = make_scene(OBJECTS, meta={"exhaustive": []})
    with pytest.raises(ExecutionFailure, match="the count is unknown"):
        run(scene, lambda b: b.add("count", named(b, "dog")))
    assert run(scene, lambda b: b.add("exists", named(b, "dog"))) is True


def test_texts_and_referents(partial, full) -> None:
    assert scene_caption(full).startswith("The image shows four objects:")
    caption = scene_caption(partial)
    assert caption.startswith("The image shows ") and "objects" not in caption
    assert "at least two cups" in caption and "a brown dog" in caption and "a table" in caption
    index = ExecutionContext(partial).index(0)
    assert sorted(referents(index)) == [2]  # the dog; no "the table" where tables may be missed
    b = ProgramBuilder()
    b.add("describe_images")
    assert "Both images contain exactly one dog." in execute(b.program, ExecutionContext([full, full]))
    with pytest.raises(ExecutionFailure, match="what the images hold is unknown"):
        execute(b.program, ExecutionContext([partial, full]))
    vocab = Vocabulary()
    for name in ("cup", "dog", "fork", "giraffe", "table"):
        vocab.add_names([name], [], [])
    assert list(absent_names(vocab, index)) == ["giraffe"]
    assert list(absent_names(vocab, ExecutionContext(full).index(0))) == ["fork", "giraffe"]


def test_free_form_claims_the_scene_leaves_open(partial, full) -> None:
    entity = lambda name: Claim("entity", Mention(name, ()))  # noqa: E731
    count = lambda name, n: Claim("count", Mention(name, (), n), count=n)  # noqa: E731
    facts, plain = SceneFacts(partial), SceneFacts(full)
    assert not plain.undetermined(entity("fork")) and not plain.supports(entity("fork"))
    assert facts.undetermined(entity("fork"))  # no fork annotated, and forks are not annotated in full
    assert not facts.undetermined(entity("giraffe")) and not facts.supports(entity("giraffe"))
    assert not facts.undetermined(entity("cup")) and facts.supports(entity("cup"))
    assert facts.undetermined(count("cup", 2)) and facts.undetermined(count("cup", 5))
    assert not facts.undetermined(count("cup", 1))  # fewer than annotated: false
    assert not facts.undetermined(count("dog", 2)) and not facts.supports(count("dog", 2))
    assert facts.undetermined(count("object", 4))


def test_exhaustive_names_are_validated() -> None:
    for value, field in (("dog", "meta.exhaustive"), ([1], "meta.exhaustive[0]"), ([""], "meta.exhaustive[0]"),
                         (["dog", "dog"], "meta.exhaustive[1]")):
        with pytest.raises(SceneValidationError) as info:
            make_scene(OBJECTS, meta={"exhaustive": value})
        assert info.value.field == field
    assert make_scene(OBJECTS, meta={"exhaustive": []}).meta["exhaustive"] == []
