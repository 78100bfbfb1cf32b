"""scene_graph.multihop never says "is of": a predicate that needs its subject's noun ("of": "the
leg is a leg of the table"; `text.has_subject_free_phrase`) is followed only from the anchor's
subject side, where the anchor's name says the noun. A Visual Genome-shaped audit found "What
kind of object is the object that is of the table?", "An object is of the person. ..." and "...
the object this object is an object of?"."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from tests.conftest import make_scene
from tests.generators.helpers import qa
from veriscene.generators import Vocabulary
from veriscene.scene import Scene

NAMES = ("leg", "table", "man", "cat")


def _scene(predicate: str) -> Scene:
    """A row of a leg, a table, a man and a cat (each clearly apart): the leg `predicate` (an
    "of") the table, the man holding the table, the cat holding the leg."""
    objects = [{"name": n, "box": [30 * k, 20, 30 * k + 20, 40],
                "attributes": ["red"] if n == "table" else []} for k, n in enumerate(NAMES)]
    return make_scene(objects, [(0, predicate, 1), (2, "holding", 1), (3, "holding", 0)],
                      width=30 * len(NAMES) + 10, height=60)


def _questions(scene: Scene) -> dict[str, Any]:
    """{question: answer} over every template of every multihop candidate."""
    vocab = Vocabulary(names=Counter(scene.names) + Counter({"dog": 1}),
                       attributes=Counter({"red": 1, "blue": 1, "green": 1}),
                       predicates=Counter(p for _, p, _ in scene.relations))
    out: dict[str, Any] = {}
    for template in range(3):
        out.update(qa(scene, "scene_graph.multihop.v1", vocab, template=template))
    return out


@pytest.mark.parametrize("predicate", ["of", "is of", "of a"])
def test_multihop_never_says_is_of(predicate: str) -> None:
    got = _questions(_scene(predicate))
    # it read "What kind of object is the object that is of the table?" (the leg) and "The cat is
    # holding an object. What kind of object is the object this object is an object of?"
    bad = [q for q in got if re.search(r"\b(is|are) of\b|\ban object of\b", q, re.IGNORECASE)]
    assert not bad
    # from the leg's own side its noun is said: kept
    assert got["What kind of object is the object the leg is a leg of?"] == "table"
    assert got["What color is the object the leg is a leg of?"] == "red"
    # and a second hop from the object's side nests to the right
    assert got["What kind of object is the object that is holding the object the leg is a leg of?"] == "man"
    # other hops as before
    assert got["What kind of object is the object the man is holding?"] == "table"
    assert got["What kind of object is the object that is holding the leg?"] == "cat"


def test_multihop_skips_only_the_unsayable_hops() -> None:
    # against "part of" (said without the subject's noun, every chain asked): the "of" chains are
    # the same, worded "is a leg of" for "is part of", less those whose "of" hop has no noun for
    # its subject: from the object's side ("the object that is part of the table", also as a
    # second hop) or as a second hop from "that object"
    of = {q.replace("is a leg of", "is part of") for q in _questions(_scene("of"))}
    part_of = set(_questions(_scene("part of")))
    assert of < part_of
    lost = part_of - of
    assert all("that is part of" in q or "that object is part of" in q for q in lost), sorted(lost)
    assert "What kind of object is the object that is part of the table?" in lost
    assert "What kind of object is the object that is part of the object the man is holding?" in lost
    assert ("The cat is holding an object, and that object is part of another object. "
            "What kind of object is the other object?") in lost
    assert "What kind of object is the object the leg is part of?" in of
