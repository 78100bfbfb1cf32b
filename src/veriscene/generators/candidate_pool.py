"""A generator's candidates on one scene, grouped by answer and executed lazily, from which the
runner picks (`veriscene.generators.runner`): answer balancing and the re-execution of each
picked program (a candidate whose program fails or contradicts its stated answer is dropped and
counted in the runner's `stats`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence, Union

import orjson

from veriscene.errors import ExecutionFailure
from veriscene.generators.base import Batch, Candidate, Deferred, GenContext, Generator, one_by_one
from veriscene.generators.draws import Draws
from veriscene.program.executor import answer_of

if TYPE_CHECKING:
    from veriscene.generators.runner import SceneRunner


def _key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# `_key` of the str, int and bool values met so far in this process, for every pool (`_cached_key`):
# a run's candidates have a few hundred distinct answers (200 demo scenes: 634 of 22,538 keys
# asked for), each serialised once instead of once per pool that meets it. Emptied when it holds
# `_KEYS_HELD` (a run over open vocabularies meets more: the names and attribute words it asks).
_KEYS: dict[tuple[type, Any], bytes] = {}
_KEYS_HELD = 1 << 16


def _cached_key(value: Any, cache: dict[tuple[type, Any], bytes]) -> bytes:
    """`_key`, kept in `cache` (`_KEYS`) for str, int and bool values (most answers)."""
    kind = type(value)
    if kind is bool or kind is int or kind is str:
        found = cache.get((kind, value))
        if found is None:
            found = cache[(kind, value)] = _key(value)
        return found
    return _key(value)


def _same_answer(answer: Any, expected: Any) -> bool:
    """Whether two answers have the same `_key`: compared as values where both are of one type
    among bool, int and str (most answers; equal values of these have equal keys, unequal
    ones unequal), else by their keys."""
    kind = type(answer)
    if kind is type(expected) and (kind is bool or kind is int or kind is str):
        return bool(answer == expected)
    return _key(answer) == _key(expected)


_SIMPLE_KINDS = frozenset((str, int, bool))


def _group_batch(values: Sequence[Any], first: int, cache: dict[tuple[type, Any], bytes],
                 groups: dict[bytes, list[int]]) -> None:
    """Add to `groups` (key -> positions in ascending order) the candidates of a batch whose keys
    are `values`, starting at position `first`, after any earlier members. Keys of one type among
    str, int and bool (most batches) are grouped by value, then serialised once per distinct
    value; equal values of those types have equal keys and unequal ones unequal. (A function
    that adds, not a generator of pairs: 146 batches a demo scene.)"""
    kinds = set(map(type, values))
    if len(kinds) == 1 and kinds <= _SIMPLE_KINDS:
        by_value: dict[Any, list[int]] = {}
        for j, value in enumerate(values, first):  # (no list made per value seen before)
            members = by_value.get(value)
            if members is None:
                by_value[value] = [j]
            else:
                members.append(j)
        for value, members in by_value.items():
            key = _cached_key(value, cache)
            found = groups.get(key)
            if found is None:
                groups[key] = members
            else:
                found.extend(members)
        return
    for j, value in enumerate(values, first):
        key = _cached_key(value, cache)
        found = groups.get(key)
        if found is None:
            groups[key] = [j]
        else:
            found.append(j)


# A candidate as proposed: a batch stands in the list once per candidate of it (see `Batch`)
_Proposed = Union[Candidate, Deferred, Batch]


_PENDING = object()  # answer not computed yet (or the program failed)
YES, NO = _key(True), _key(False)  # the keys of the answer groups of yes/no questions


class CandidatePool:
    """A generator's candidates on one scene, grouped by answer, executed lazily.

    A candidate that states its `expected` answer is grouped by it and its program is executed
    only when picked (the program's result must equal `expected`, else the candidate is dropped
    and counted); a `Deferred` candidate, or one of a `Batch`, is grouped by its key and made only
    when picked; other
    candidates are executed up front to learn their answer. Each pick draws an answer group
    uniformly among those not used yet, then a candidate within it.
    """

    def __init__(self, runner: "SceneRunner", gen: Generator, ctx: GenContext,
                 candidates: Iterable[Candidate | Deferred | Batch]) -> None:
        self.runner, self.gen, self.ctx = runner, gen, ctx
        self.candidates: list[_Proposed] = []
        self.batch_first: dict[int, int] = {}  # id of a batch -> the position of its first candidate
        self.answers: list[Any] = []
        self.groups: dict[bytes, list[int]] = {}
        self.any_valid = False
        answers, groups = self.answers, self.groups
        keys = _KEYS
        if len(keys) >= _KEYS_HELD:
            keys.clear()
        for cand in candidates:
            answer: Any = _PENDING
            if isinstance(cand, Batch):  # candidates i.. of the batch's keys, made when picked
                first = len(answers)
                _group_batch(cand.keys, first, keys, groups)
                answers.extend([_PENDING] * len(cand.keys))
                self.candidates.extend([cand] * len(cand.keys))  # candidate i is made by make(i - first)
                self.batch_first[id(cand)] = first
                continue
            self.candidates.append(cand)
            if isinstance(cand, Deferred):
                key = _cached_key(cand.key, keys)
            elif cand.expected is not None:
                key = _cached_key(cand.expected, keys)
            else:
                answer = self._run(cand)
                if answer is _PENDING:
                    answers.append(answer)
                    continue
                key = _cached_key(answer, keys)
                self.any_valid = True
            groups.setdefault(key, []).append(len(answers))
            answers.append(answer)

    def _run(self, cand: Candidate) -> Any:
        """The program's answer, or _PENDING when it fails or contradicts `expected` (counted)."""
        try:
            exec_ctx = self.ctx.exec_ctx if cand.scenes is None else self.ctx.group_context(cand.scenes)
            answer = answer_of(cand.get_program(), exec_ctx)
        except ExecutionFailure:
            self.runner.stats[f"rejected_program:{self.gen.name}"] += 1
            return _PENDING
        if cand.expected is not None and not _same_answer(answer, cand.expected):
            # The generator's wording assumed another answer: never emit such a question.
            self.runner.stats[f"rejected_inconsistent:{self.gen.name}"] += 1
            return _PENDING
        return answer

    def _made(self, cand: _Proposed, batch_at: int = -1) -> Candidate | None:
        """The candidate itself, or a deferred one made now (None, counted, if it cannot be);
        a batch's candidate at `batch_at` in it."""
        if isinstance(cand, Batch):
            made = cand.make(batch_at)
        elif isinstance(cand, Deferred):
            made = cand.make()
        else:
            return cand
        if made is None:
            self.runner.stats[f"rejected_unmade:{self.gen.name}"] += 1
        return made

    def _resolve(self, i: int) -> Any:
        """Make candidate i if it is deferred, then run it: its answer or _PENDING."""
        proposed = self.candidates[i]
        cand = self._made(proposed, i - self.batch_first[id(proposed)] if isinstance(proposed, Batch) else -1)
        if cand is None:
            return _PENDING
        self.candidates[i] = cand
        return self._run(cand)

    def viable(self, key: bytes) -> bool:
        """Whether answer group `key` holds a candidate whose program runs: its candidates are
        resolved in order until one does (the failures dropped and counted, as when picked)."""
        members = self.groups.get(key)
        while members:
            i = members[0]
            if self.answers[i] is _PENDING:
                self.answers[i] = self._resolve(i)
                if self.answers[i] is _PENDING:
                    members.pop(0)
                    continue
                self.any_valid = True
            return True
        self.groups.pop(key, None)
        return False

    def pick(self, k: int) -> list[tuple[Candidate, Any]]:
        """Up to k (candidate, answer) pairs with distinct answers, answer groups drawn uniformly."""
        rng = self.ctx.rng
        draw = rng.below if isinstance(rng, Draws) else rng.integers  # (the runner's: a Draws)
        keys = sorted(self.groups)
        picked: list[tuple[Candidate, Any]] = []
        while len(picked) < k and keys:
            # (a range of one value draws nothing: the call is left out there)
            slot = draw(len(keys)) if len(keys) > 1 else 0
            members = self.groups[keys[slot]]
            j = draw(len(members)) if len(members) > 1 else 0
            i = members[j]
            if self.answers[i] is _PENDING:
                self.answers[i] = self._resolve(i)
                if self.answers[i] is _PENDING:  # failed: drop it and draw again
                    members.pop(j)
                    if not members:
                        del self.groups[keys.pop(slot)]
                    continue
                self.any_valid = True
            keys.pop(slot)
            cand = self.candidates[i]
            assert isinstance(cand, Candidate)  # made when it was resolved
            picked.append((cand, self.answers[i]))
        return picked


class InOrder(CandidatePool):
    """Candidates of an `in_order` generator, taken from `propose` one at a time as needed (each
    one drawn costs a group draw; the ones never needed are never made). When `propose` runs
    dry, candidates already used (by an earlier mode) are used again, as the grouped pool does."""

    def __init__(self, runner: "SceneRunner", gen: Generator, ctx: GenContext,
                 candidates: Iterable[Candidate | Deferred | Batch]) -> None:
        self.runner, self.gen, self.ctx = runner, gen, ctx
        self.source: Iterator[Candidate | Deferred] = one_by_one(candidates)
        self.used: list[tuple[Candidate, Any, bytes]] = []  # (candidate, answer, its key)
        self.any_valid = False

    def pick(self, k: int) -> list[tuple[Candidate, Any]]:
        """The next up to k candidates that run, with distinct answers."""
        picked: list[tuple[Candidate, Any]] = []
        keys: set[bytes] = set()
        for proposed in self.source:
            cand = self._made(proposed)
            if cand is None:
                continue
            answer = self._run(cand)
            if answer is _PENDING:
                continue
            key = _cached_key(answer, _KEYS)
            if key in keys:
                continue
            self.any_valid = True
            keys.add(key)
            picked.append((cand, answer))
            self.used.append((cand, answer, key))
            if len(picked) == k:
                return picked
        for cand, answer, key in self.used:
            if len(picked) == k:
                break
            if key not in keys:
                keys.add(key)
                picked.append((cand, answer))
        return picked
