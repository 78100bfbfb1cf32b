"""Generous readings: the shortcut over a large vocabulary answers as `could_hold` does."""

from __future__ import annotations

from veriscene.demo.world import iter_scene_graphs
from veriscene.generators.visual import GenerousReader
from veriscene.program.context import SceneIndex


def test_other_reading_matches_could_hold_over_the_whole_vocabulary() -> None:
    vocabulary = frozenset({"left of", "right of", "above", "below", "near", "on top of", "in front of",
                            "behind", "holding", "next to"} | {f"made up {i}" for i in range(50)})
    checked = 0
    for scene in iter_scene_graphs(30, seed=3):
        reader = GenerousReader(SceneIndex(scene))
        n = len(scene)
        for a in range(n):
            for b in range(n):
                for predicate in ("left of", "near", "in front of", "holding"):
                    expected = any(reader.could_hold(a, p, b) for p in vocabulary if p != predicate)
                    assert reader.other_reading(a, b, predicate, vocabulary) == expected
                    checked += expected
    assert checked > 0  # some pairs do have another reading
