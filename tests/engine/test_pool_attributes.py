"""The pool finds scenes by what their attributes say, as programs read them: "big" finds a
"large" or "huge" dog (`vocab.implied_attributes`, `SceneIndex.having_attribute`)."""

from __future__ import annotations

import pytest

from veriscene.engine.pool import ScenePool, annotations_implying
from veriscene.program.context import SceneIndex
from veriscene.scene import Scene
from veriscene.vocab import ATTRIBUTE_TYPES


def _scene(image_id: str, name: str, *attributes: str) -> Scene:
    return Scene.from_objects(image_id, 100, 100, [{"name": name, "box": [10, 10, 40, 40], "attributes": list(attributes)}])


@pytest.fixture
def pool() -> ScenePool:
    return ScenePool.from_scenes([
        _scene("a", "dog", "big"), _scene("b", "dog", "large"), _scene("c", "dog", "huge"),
        _scene("d", "dog", "small"), _scene("e", "cat", "big", "large"), _scene("f", "cat", "tan"),
    ])


@pytest.mark.parametrize("attribute, positions", [
    ("big", [0, 1, 2, 4]),     # big, large, huge, big + large (once)
    ("large", [0, 1, 2, 4]),
    ("huge", [2]),             # a big dog is not taken to be huge
    ("small", [3]),
    ("tiny", []),
    ("brown", [5]),            # tan is a shade of brown
    ("beige", []),             # tan and beige overlap, neither is narrower
])
def test_with_attribute_finds_scenes_by_meaning(pool, attribute, positions) -> None:
    assert pool.with_attribute(attribute).tolist() == positions
    assert pool.with_attribute(attribute) is pool.with_attribute(attribute)  # merged once


@pytest.mark.parametrize("word, positions", [("big", [0, 4]), ("large", [1, 4]), ("tiny", [])])
def test_annotated_with_finds_the_word_itself(pool, word, positions) -> None:
    assert pool.annotated_with(word).tolist() == positions


@pytest.mark.parametrize("word", sorted(ATTRIBUTE_TYPES))
def test_annotations_implying_is_what_programs_read(word) -> None:
    # every pair of vocabulary words: an object annotated `annotated` has `word` for programs
    # exactly when `annotated` is among the words implying it
    assert annotations_implying(word)[0] == word
    for annotated in sorted(ATTRIBUTE_TYPES):
        index = SceneIndex(_scene("p", "dog", annotated))
        assert (annotated in annotations_implying(word)) is bool(index.having_attribute.get(word)), annotated
