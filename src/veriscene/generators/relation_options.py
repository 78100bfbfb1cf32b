"""Wrong options for relation questions, drawn the way right answers arise.

A multiple choice must not be answerable from its options alone: a value offered only as a wrong
option ("near" where a pair is asked only when it holds one readable relation, a rare name drawn
uniformly from thousands) tells a reader it is wrong, and a value seldom offered as a wrong
option ("on", "man") that it is right. So wrong options are drawn

1. first from the answers the generator proposes on the same scene (`Batch` keys): the runner
   picks one answer group of a scene uniformly, so a value offered from them is right about one
   time in as many as the scene has values, as often as any other value offered there;
2. then, to fill the options, from the allowed values at large, weighted by how often the data
   set annotates them (`Vocabulary.predicates`, `.names`): a value is offered about as often as
   it arises as an answer, not uniformly over a long tail.

Filling has a limit no draw gets past: a guess that sees only the options and always takes a
value that is the answer of a share s of the questions is right at least that often where the
value is offered in all of them, so with k options no filling brings it to chance 1/k once
s > 1/k ("left of" answers 31% of the demo's region questions). Where a generator's answers are
few values, some that common, it fills only up to `fill_to` wrong options: taking the scene's
answers alone (each right 1 time in as many as there are: the runner draws one uniformly) is a
multiple choice of fewer options that tells nothing, where filling to k would tell.

Callers pass only values that are wrong for the question (the exclusions that keep an option
from also being true stay theirs); these draws change which of them are offered, not which may
be. Draws use the scene's `ctx.rng` only, and cost a few bisections per option.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Callable, Container, Hashable, Iterable, Mapping, Sequence

import numpy as np

from veriscene.generators.common import shuffled
from veriscene.generators.vocabulary import Vocabulary

# rejected draws tolerated (values excluded or taken) before the exact draw over what is left
_TRIES = 24


def scene_values(answers: Iterable[str]) -> list[str]:
    """The distinct answers a generator proposes on one scene, sorted (the draws' first pool)."""
    return sorted(set(answers))


def _cumulative(words: Sequence[str], counts: Mapping[str, int]) -> list[float]:
    """Running sums of the weights of `words`: their counts, at least 1 (a value the data set
    annotates once still arises)."""
    return list(accumulate(float(max(counts.get(w, 0), 1)) for w in words))


def wrong_options(rng: np.random.Generator, k: int, allowed: Sequence[str], ok: Callable[[str], bool],
                  counts: Mapping[str, int], *, vocab: Vocabulary | None = None, key: Hashable = None,
                  scene: Sequence[str] = (), first: Sequence[str] = (),
                  kind: Callable[[str], str] | None = None, fill_to: int | None = None,
                  scene_fits: Callable[[str], bool] | None = None) -> list[str]:
    """Up to k distinct wrong options: `first` (hard negatives, kept in order), then values of
    the scene's answers `scene` in `allowed` (or passing `scene_fits`, where `allowed` keeps one
    spelling of each class: `by_class`), in a random order, then, while fewer than `fill_to`
    (default k) are taken, values of `allowed` drawn
    without replacement with weights `counts`; each one passing `ok` (the caller's test that it
    is wrong for the question) and, with `kind`, of a kind not offered yet ("man" and "men":
    two wrong options of one kind would tell a careful reader that neither is right). `allowed`
    may be long (a `Without` view of the vocabulary's thousands of names): with `vocab` and a
    `key` naming its underlying list, the running weights are made once per vocabulary, and
    draws bisect them."""
    picked = _Picked(k, ok, kind)
    for value in first:
        picked.offer(value)
    usable = [v for v in scene if v in allowed] if scene_fits is None else [v for v in scene if scene_fits(v)]
    if usable and not picked.full():
        for i in shuffled(rng, range(len(usable))):  # (the order of `rng.permutation`, same draws)
            picked.offer(usable[i])
            if picked.full():
                break
    if fill_to is not None and fill_to < k:
        if len(picked.values) >= fill_to:
            return picked.values
        picked.k = fill_to
    if not picked.full() and len(allowed):
        _fill(rng, allowed, counts, vocab, key, picked)
    return picked.values


def by_class(allowed: Container[str], kept: Mapping[str, str], klass: Callable[[str], str],
             same: Callable[[str], bool]) -> Callable[[str], bool]:
    """The test of a scene's answer as a wrong option (`wrong_options(scene_fits=...)`) where
    `allowed` holds one spelling of each class (`kept`, by class `klass`: "near" of "near" and
    "next to"): it answers the same question (`same`) and its class's spelling is allowed. The
    scene's answer is then offered as it is spelled: offered only where `allowed` has it, "next
    to" was right every time it was offered (Visual Genome-shaped `relation.query`: 61 of 61)."""
    def fits(value: str) -> bool:
        return kept.get(klass(value)) in allowed and same(value)

    return fits


class _Picked:
    """The wrong options taken so far, and the test of one more."""

    def __init__(self, k: int, ok: Callable[[str], bool], kind: Callable[[str], str] | None) -> None:
        self.k, self.ok, self.kind = k, ok, kind
        self.values: list[str] = []
        self.kinds: set[str] = set()

    def full(self) -> bool:
        return len(self.values) >= self.k

    def fits(self, value: str) -> bool:
        return (value not in self.values and (self.kind is None or self.kind(value) not in self.kinds)
                and self.ok(value))

    def offer(self, value: str) -> None:
        """Take `value` if there is room and it fits."""
        if not self.full() and self.fits(value):
            self.values.append(value)
            if self.kind is not None:
                self.kinds.add(self.kind(value))


def _fill(rng: np.random.Generator, allowed: Sequence[str], counts: Mapping[str, int], vocab: Vocabulary | None,
          key: Hashable, picked: _Picked) -> None:
    """Fill `picked` with values of `allowed` drawn by weight (`wrong_options`)."""
    words: Sequence[str] = getattr(allowed, "words", allowed)  # a `Without` view: its whole list
    if vocab is not None and key is not None:
        cum = vocab.view(("relation option weights", key), lambda: _cumulative(words, counts))
    else:
        cum = _cumulative(words, counts)
    total = cum[-1]
    tries = 0
    while not picked.full() and tries < _TRIES:
        tries += 1
        value = words[min(bisect_right(cum, rng.random() * total), len(words) - 1)]
        if value in allowed:
            picked.offer(value)
    left = [w for w in allowed if picked.fits(w)] if not picked.full() else []
    while left and not picked.full():  # most of the weight excluded: exact draws over the values left
        weights = np.array([max(counts.get(w, 0), 1) for w in left], dtype=np.float64)
        picked.offer(left[int(rng.choice(len(left), p=weights / weights.sum()))])
        left = [w for w in left if picked.fits(w)]
