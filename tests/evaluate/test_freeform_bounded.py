"""The caches of free-form scoring are bounded (`evaluate.freeform.bounded`): a run of many
distinct rows, replies and words holds at most their bounds, and the scores are those of an
unbounded memo."""

from __future__ import annotations

import pickle

import pytest

from veriscene.evaluate.freeform import score_texts
from veriscene.evaluate.freeform.bounded import Bounded
from veriscene.evaluate.freeform.scorer import FreeformItem, TextScorer
from veriscene.scene.model import Scene


def test_least_recently_used_dropped_first() -> None:
    memo: Bounded[str, int] = Bounded(2)
    memo["a"], memo["b"] = 1, 2
    assert memo["a"] == 1  # (used: "b" is now the oldest)
    memo["c"] = 3
    assert list(memo) == ["a", "c"] and memo.dropped == 1
    again = pickle.loads(pickle.dumps(memo))
    assert again.most == 2 and dict(again) == {"a": 1, "c": 3} and again.dropped == 1
    with pytest.raises(ValueError, match="at least 1"):
        Bounded(0)


def _scenes(n: int) -> dict[str, Scene]:
    return {f"s{k}": Scene.from_objects(f"s{k}", 400, 300, [
        {"name": "dog", "box": [10, 10, 100, 100], "attributes": ["brown"]},
        {"name": "bed", "box": [150, 100, 390, 290], "attributes": ["white"]},
    ]) for k in range(n)}


def test_kept_facts_and_words_stay_within_their_bounds() -> None:
    scenes = _scenes(6)
    scorer = TextScorer(scenes, "rules", matcher="lexical", keep_facts=True, most_images=3, most_words=5)
    items = [FreeformItem((f"s{k % 6}",), f"There is a brown dog{'x' * k} on a white bed.") for k in range(12)]
    scores, _, _ = scorer.score(items, scenes)
    sizes = scorer.cache_sizes()
    assert sizes["facts"] <= 3 and sizes["words"] <= 5
    # the same scores as scored without bounds
    plain = TextScorer(scenes, "rules", matcher="lexical", keep_facts=True)
    assert [s.combined for s in scores] == [s.combined for s in plain.score(items, scenes)[0]]
    assert plain.cache_sizes()["facts"] == 6
    (first,), _, _ = score_texts([("s0", items[0].text)], scenes, matcher="lexical")
    assert scores[0].combined == first.combined
