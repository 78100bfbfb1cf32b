"""Words drawn from the vocabulary for one scene: wrong options for attribute questions, the
names a scene lacks, and `Without`, a sorted word list minus a few words.

These are what generators ask of a `Vocabulary` (`veriscene.generators.vocabulary`, which
re-exports them) on every scene, so they avoid copying its word lists: a `Without` view stands for
"every name but the scene's", and absent names are drawn by bisection over running weight sums.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from itertools import accumulate
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence, overload

import numpy as np

from veriscene.vocab import compatible_attributes

if TYPE_CHECKING:  # annotations only: `vocabulary` imports this module
    from veriscene.generators.vocabulary import Vocabulary
    from veriscene.program.context import SceneIndex


class Without(Sequence[str]):
    """A sorted word list minus a few words, without copying it.

    Generators take absent names and distractors as "the vocabulary's sorted names except the
    ones here"; for a vocabulary of tens of thousands of words, building that list per scene
    cost more than the rest of the scene. This view holds the excluded positions (found by
    bisection, so `words` must be sorted and without repeats) and maps an index past them: the
    same items, in the same order, as `[w for w in words if w not in excluded]`, so draws by
    index (`sample_up_to`, the runner's options) pick the same words.
    """

    __slots__ = ("words", "excluded", "gaps")

    def __init__(self, words: Sequence[str], excluded: Iterable[str]) -> None:
        self.words = words
        self.excluded = frozenset(excluded)
        gaps = []
        for word in self.excluded:
            i = bisect_left(words, word)
            if i < len(words) and words[i] == word:
                gaps.append(i)
        self.gaps = sorted(gaps)

    def __len__(self) -> int:
        return len(self.words) - len(self.gaps)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("Without index out of range")
        for gap in self.gaps:  # few: the words of one scene
            if gap > index:
                break
            index += 1
        return self.words[index]

    def __iter__(self) -> Iterator[str]:
        excluded = self.excluded
        return (w for w in self.words if w not in excluded)

    def __contains__(self, word: object) -> bool:
        if word in self.excluded or not isinstance(word, str):
            return False
        i = bisect_left(self.words, word)
        return i < len(self.words) and self.words[i] == word

    def __repr__(self) -> str:
        return f"Without({len(self.words)} words, {len(self.gaps)} excluded)"


def wrong_attributes(vocab: Vocabulary, kind: str, answer: str, own: Iterable[str] = ()) -> "Without":
    """Wrong options for an attribute question of type `kind` whose answer is `answer`: the
    vocabulary's words of the type, one per synonym class (`Vocabulary.attribute_choices`), less
    the words that may hold with the answer (`vocab.compatible_attributes`: its synonyms, the
    classes overlapping its own, its type's other sub-kinds) and the object's own words `own`."""
    excluded = compatible_attributes(answer)
    return Without(vocab.attribute_choices(kind), excluded.union(own) if own else excluded)


def absent_names(vocab: Vocabulary, index: "SceneIndex") -> Sequence[str]:
    """The vocabulary's names that the scene has no object of, as a `Without` view; made once per
    scene index (several generators ask). On a scene that annotates only some names in full
    (`SceneIndex.exhaustive`), only those: the absence of any other is unknown."""
    exhaustive = index.exhaustive
    if exhaustive is not None:
        known, present = vocab.names, index.by_name
        return index.memo(("absent names", id(vocab)),
                          lambda: sorted(n for n in exhaustive if n in known and n not in present))
    return index.memo(("absent names", id(vocab)), lambda: Without(vocab.name_list(), index.by_name))


def _absent_weight(images: int, scenes: int) -> float:
    """Weight of a name among the absent names drawn for a scene: f / (1 - f) for the share f of
    the data set's scenes that hold it (`absent_sample`)."""
    return images / (scenes - images + 1)


def _name_weights(vocab: Vocabulary) -> tuple[dict[str, int], list[float], list[float]]:
    """(position of each name in `name_list`, its weight, the running sums of the weights); every
    weight 1 for a vocabulary without scene counts (one built by hand)."""
    names = vocab.name_list()
    weights = _weights(vocab, names)
    return {n: i for i, n in enumerate(names)}, weights, list(accumulate(weights))


def _weights(vocab: Vocabulary, names: Sequence[str]) -> list[float]:
    if not vocab.scenes:
        return [1.0] * len(names)
    return [_absent_weight(vocab.images[n], vocab.scenes) for n in names]


def absent_sample(rng: np.random.Generator, vocab: Vocabulary, index: "SceneIndex", k: int) -> list[str]:
    """Up to k names the scene lacks (`absent_names`), drawn without replacement, each with a
    weight that grows with how many of the data set's scenes hold it: f / (1 - f) for a share f.

    Present names come from the scene, so a name is asked as present about as often as scenes
    hold it. Absent names drawn uniformly made a rare name almost always absent and a common one
    almost always present: "Is there a person?" was "yes" nearly every time, and the question
    alone gave its answer away. Weighted, the two come closer: on 190 real COCO images tiled to
    2,000 scenes, a guess from the question text alone (`veriscene.stats`) of `object.exists`
    fell from 60% to 53% right, against 50-51% for a constant guess (the copies lift both). A
    name held by most scenes still leans to "yes": it can be absent only from the few scenes
    without it, and a scene asks about one of its drawn names; levelling it needs quotas over
    the whole run."""
    if k <= 0:
        return []
    if index.exhaustive is not None:  # a short list of names known absent: weighed directly
        absent = absent_names(vocab, index)
        weights = _weights(vocab, absent)
        return _weighted_draws(rng, absent, weights, list(accumulate(weights)), [], k)
    positions, weights, cum = vocab.view("absent weights", lambda: _name_weights(vocab))
    excluded = sorted(positions[n] for n in index.by_name if n in positions)
    return _weighted_draws(rng, vocab.name_list(), weights, cum, excluded, k)


def _weighted_draws(rng: np.random.Generator, names: Sequence[str], weights: list[float], cum: list[float],
                    excluded: list[int], k: int) -> list[str]:
    """Up to k of `names` but the `excluded` positions (sorted), drawn one at a time without
    replacement with probability proportional to `weights` (`cum`: their running sums). A draw
    is a point in the total weight of the names left, carried past the excluded names' weight
    before it, then found by bisection: a few steps, however long the list."""
    if not names:
        return []
    excluded = list(excluded)
    left = cum[-1] - sum(weights[e] for e in excluded)
    found: list[str] = []
    while len(found) < k and len(excluded) < len(names) and left > 0:
        u = rng.random() * left
        for e in excluded:  # ascending: skip the weight of every excluded name before the point
            if u >= cum[e] - weights[e]:
                u += weights[e]
            else:
                break
        i = min(bisect_right(cum, u), len(names) - 1)
        if i in excluded:  # rounding at a boundary: the nearest name left, before it or after
            before = [j for j in range(i) if j not in excluded]
            i = before[-1] if before else next(j for j in range(i + 1, len(names)) if j not in excluded)
        found.append(names[i])
        insort(excluded, i)
        left -= weights[i]
    return found

