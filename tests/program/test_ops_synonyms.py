"""Attribute words are read by meaning: an object annotated "large" or "huge" is big
(`vocab.implied_attributes`, `SceneIndex.having_attribute`), so filtering, counting, existence
and singling out agree whichever synonym an annotator chose (Visual Genome mixes them)."""

import pytest

from tests.conftest import make_scene
from tests.program.test_ops_crowd import named, run
from veriscene.errors import ExecutionFailure
from veriscene.program import ExecutionContext, ProgramBuilder, execute
from veriscene.program.executor import run_nodes
from veriscene.vocab import ATTRIBUTE_TYPES, attribute_type, implied_attributes

# index: 0 big dog, 1 large dog, 2 huge dog, 3 small dog, 4 tan cat, 5 beige cat, 6 dog "big" and
# "large" both (counted once), 7 a large wooden (not "wood") table
OBJECTS = [
    {"name": "dog", "box": [0, 0, 10, 10], "attributes": ["big", "brown"]},
    {"name": "dog", "box": [20, 0, 30, 10], "attributes": ["large", "black"]},
    {"name": "dog", "box": [40, 0, 50, 10], "attributes": ["huge", "white"]},
    {"name": "dog", "box": [60, 0, 70, 10], "attributes": ["small", "brown"]},
    {"name": "cat", "box": [80, 0, 90, 10], "attributes": ["tan"]},
    {"name": "cat", "box": [100, 0, 110, 10], "attributes": ["beige"]},
    {"name": "dog", "box": [120, 0, 130, 10], "attributes": ["big", "large"]},
    {"name": "table", "box": [140, 0, 190, 40], "attributes": ["large", "wooden"]},
]


@pytest.fixture
def scene():
    return make_scene(OBJECTS)


def attributed(b, name, *words):
    node = named(b, name)
    for w in words:
        node = b.add("filter_attribute", node, args=[w])
    return node


@pytest.mark.parametrize("name, word, expected", [
    ("dog", "big", 4),      # big, large, huge, big+large (once)
    ("dog", "large", 4),    # the same class
    ("dog", "huge", 1),     # a big dog is not taken to be huge
    ("dog", "giant", 1),
    ("dog", "little", 1),   # the small dog
    ("dog", "tiny", 0),
    ("dog", "brown", 2),    # words without synonyms: as annotated
    ("cat", "brown", 2),    # tan and beige are shades of brown
    ("cat", "beige", 1),    # a tan cat is not taken to be beige (the classes overlap, neither is narrower)
    ("cat", "tan", 1),
    (None, "big", 5),       # every object: the table too
    ("table", "wood", 1),
])
def test_count_by_meaning(scene, name, word, expected) -> None:
    assert run(scene, lambda b: b.add("count", attributed(b, name, word))) == expected


def members(scene, name, *words) -> tuple[int, ...]:
    b = ProgramBuilder()
    attributed(b, name, *words)
    return run_nodes(b.program, ExecutionContext(scene))[-1].idx


def test_filter_keeps_the_set_order_and_objects(scene) -> None:
    assert members(scene, "dog", "big") == (0, 1, 2, 6)
    assert members(scene, None, "large") == (0, 1, 2, 6, 7)
    # a set that is not every object (the branch that filters the set itself)
    assert members(scene, "dog", "brown", "big") == (0,)
    assert members(scene, "dog", "large", "brown") == (0,)


def test_exists_and_unique_by_meaning(scene) -> None:
    assert run(scene, lambda b: b.add("exists", attributed(b, "table", "big"))) is True
    assert run(scene, lambda b: b.add("exists", attributed(b, "cat", "big"))) is False
    # "the large dog" is not one dog when another is annotated "big"
    with pytest.raises(ExecutionFailure, match="expected exactly one object, found 4"):
        run(scene, lambda b: b.add("query_box", b.add("unique", attributed(b, "dog", "large"))))
    box = run(scene, lambda b: b.add("query_box", b.add("unique", attributed(b, "dog", "giant"))))
    assert box == [40.0, 0.0, 50.0, 10.0]


def test_sparse_attributes_complete_when_every_object_has_the_meaning() -> None:
    # every dog is big, large or huge: no dog is left that may be big unannotated
    dogs = [o for o in OBJECTS if o["name"] == "dog" and o["attributes"][0] != "small"]
    scene = make_scene(dogs, meta={"sparse": ["attributes"]})
    assert run(scene, lambda b: b.add("count", attributed(b, "dog", "big"))) == 4
    with pytest.raises(ExecutionFailure, match="the count is unknown"):  # a big dog may be huge
        run(scene, lambda b: b.add("count", attributed(b, "dog", "huge")))


@pytest.mark.parametrize("word", sorted(ATTRIBUTE_TYPES))
def test_the_index_is_implied_attributes(scene, word) -> None:
    # every word of the vocabulary: the objects whose annotation implies it, and no other
    index = ExecutionContext(scene).index(0)
    expected = tuple(i for i, attrs in enumerate(scene.attributes)
                     if any(word in implied_attributes(a) for a in attrs))
    assert index.having_attribute.get(word, ()) == expected
    assert index.by_attribute.get(word, ()) == tuple(i for i, attrs in enumerate(scene.attributes) if word in attrs)


def test_a_scene_without_implications_shares_the_annotated_table() -> None:
    scene = make_scene([{"name": "car", "box": [0, 0, 9, 9], "attributes": ["red", "attr0001"]}])
    index = ExecutionContext(scene).index(0)
    assert index.having_attribute == {"red": (0,), "attr0001": (0,)}
    assert index.having_attribute is index.by_attribute


def _differs(a: list[str], b: list[str]) -> str:
    scenes = [make_scene([{"name": "car", "box": [0, 0, 9, 9], "attributes": attrs}], image_id=f"s{k}")
              for k, attrs in enumerate((a, b))]
    p = ProgramBuilder()
    x, y = (p.add("unique", p.add("filter_name", p.add("scene", args=[k]), args=["car"])) for k in (0, 1))
    p.add("differing_attribute_type", x, y)
    return execute(p.program, ExecutionContext(scenes))


@pytest.mark.parametrize("a, b, expected", [
    (["red", "big"], ["blue", "large"], "color"),       # one size in two words
    (["red", "wood"], ["red", "wooden", "small"], None),  # kinds differ: not well posed
    (["grey", "metal"], ["gray", "metallic"], None),    # nothing differs
    (["red", "big"], ["red", "huge"], "size"),          # a big car is not taken to be huge
])
def test_differing_attribute_type_up_to_synonyms(a, b, expected) -> None:
    if expected is None:
        with pytest.raises(ExecutionFailure):
            _differs(a, b)
    else:
        assert _differs(a, b) == expected


# ---- one value in two words: "What size is the dog?" of a dog annotated "big" and "large" ----


def _query(attributes: list[str], kind: str) -> str:
    scene = make_scene([{"name": "dog", "box": [0, 0, 9, 9], "attributes": attributes}])
    return run(scene, lambda b: b.add("query_attribute", b.add("unique", named(b, "dog")), args=[kind]))


@pytest.mark.parametrize("attributes, kind, expected", [
    (["big", "large"], "size", "big"),           # one size in two words: the first annotated
    (["large", "big", "red"], "size", "big"),    # attributes are kept sorted: "big" comes first
    (["grey", "gray"], "color", "gray"),
    (["small", "little", "wood", "wooden"], "material", "wood"),
    (["little", "small"], "size", "little"),
    (["large"], "size", "large"),                # one word: as annotated (as every release did)
])
def test_query_attribute_reads_synonyms_as_one_value(attributes, kind, expected) -> None:
    assert _query(attributes, kind) == expected


@pytest.mark.parametrize("attributes, kind", [
    (["red", "blue"], "color"),        # two colours: ambiguous
    (["big", "huge"], "size"),         # overlapping classes, not synonyms: "big" or "huge"?
    (["big", "large", "tall"], "size"),  # a size and a height
    (["tan", "beige"], "color"),
    (["red"], "size"),
])
def test_query_attribute_fails_on_two_values(attributes, kind) -> None:
    with pytest.raises(ExecutionFailure, match=f"attributes of type '{kind}'"):
        _query(attributes, kind)


@pytest.mark.parametrize("reply", ["big", "large", "It is large."])
def test_a_synonym_of_the_answer_scores(reply) -> None:
    from veriscene.answers import match_answer

    assert match_answer(reply, _query(["big", "large"], "size"), "str").correct


@pytest.mark.parametrize("a, b, expected", [
    ("big", "large", True), ("large", "big", True), ("big", "big", True), ("gray", "grey", True),
    ("big", "huge", False),  # overlapping classes, not one value
    ("big", "small", False), ("red", "blue", False), ("tan", "beige", False),
])
def test_same_attribute_compares_up_to_synonyms(a, b, expected) -> None:
    scene = make_scene([{"name": "dog", "box": [0, 0, 9, 9], "attributes": [a]},
                        {"name": "cat", "box": [20, 0, 29, 9], "attributes": [b]}])
    kind = attribute_type(a)

    def program(p):
        x, y = (p.add("query_attribute", p.add("unique", named(p, n)), args=[kind]) for n in ("dog", "cat"))
        return p.add("same_attribute", x, y)

    assert run(scene, program) is expected
