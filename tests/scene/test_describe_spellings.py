"""Referring expressions and captions take a predicate's spellings ("holding", "holds") for one
relation: "the man holding the cup" must be the only man holding it in any spelling, and a
caption states a relation once."""

from __future__ import annotations

import pytest

from veriscene.program import SceneIndex
from veriscene.scene.caption import scene_caption
from veriscene.scene.describe import refer
from veriscene.scene.spellings import objects_over_spellings, spelled_alike, subjects_over_spellings
from tests.conftest import make_scene

# two men hold the one cup, one "holding" it, the other "holds" it; the first wears the hat
MEN = make_scene(
    [{"name": "man", "box": [10, 10, 60, 90], "attributes": []},
     {"name": "man", "box": [140, 10, 190, 90], "attributes": []},
     {"name": "cup", "box": [90, 40, 110, 60], "attributes": []},
     {"name": "hat", "box": [20, 0, 50, 10], "attributes": []}],
    [(0, "holding", 2), (1, "holds", 2), (0, "wearing", 3)],
)


@pytest.mark.parametrize("i, phrase", [(0, "man wearing the hat"), (1, None)])
def test_refer_by_relation_counts_holders_in_every_spelling(i: int, phrase: str | None) -> None:
    ref = refer(SceneIndex(MEN), i)
    assert (ref.phrase if ref is not None else None) == phrase


def test_caption_states_a_relation_once_over_its_spellings() -> None:
    scene = make_scene(
        [{"name": "man", "box": [10, 10, 60, 90], "attributes": []},
         {"name": "cup", "box": [90, 40, 110, 60], "attributes": []}],
        [(0, "holding", 1), (0, "holds", 1), (0, "hold", 1)],
    )
    assert scene_caption(scene) == "The image shows two objects: a man and a cup. The man holds the cup."


def test_scene_spellings_merge_only_spellings() -> None:
    index = SceneIndex(MEN)
    assert spelled_alike(index, "holds") == ("holding", "holds")
    assert spelled_alike(index, "hold") == ("hold", "holding", "holds")  # not in the scene: itself too
    assert spelled_alike(index, "wearing") == ("wearing",)
    assert subjects_over_spellings(index, 2, "holding") == (0, 1)
    assert objects_over_spellings(index, 1, "holding") == (2,)
    assert subjects_over_spellings(index, 3, "holding") == ()
