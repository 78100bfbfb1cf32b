"""Per task: how often the offered options alone (no image, no question) give a multiple-choice answer away.

A guesser sees only the option texts of a question and picks the one whose right-when-offered rate
(the share of the questions offering a value in which it is the answer) is highest. The rates are
cross-fitted: the samples are split into two folds by a stable hash of their id, each fold's
questions are guessed with the rates of the other fold, and the hits of both are added up
(`options_alone`). Leave-one-out would be biased: with yes/no options and balanced answers it
always guesses against the left-out sample's answer. A value's score is its rate in the other
fold (shrunk towards its chance with `PRIOR_WEIGHT` pseudo-questions) where that rate is at least
`SCORE_Z` standard deviations from its chance (the mean 1/k of the questions offering it), else
its chance: noise steers the guess less, and where a task balances its answers exactly (a fold a
little above balance means the other a little below) the guess falls less below chance.
Ties go to the value of smallest CRC-32. The guess is a function of the option texts and
the other fold's answers only, so where options carry no information it is right with chance 1/k
in expectation: `options_alone` is compared with `options_chance`, the mean of 1/k over the same
questions.

The telling options of a task (`options_telling`): values offered in at least `TELLING_OFFERED`
questions, right in more of them than chance (the mean 1/k of those questions), with a one-sided
binomial tail below `TELLING_P` (the exact binomial sum, its terms computed in log space with
`math.lgamma`; with unequal k the binomial of the mean chance is conservative), most telling first.

Memory is bounded as for question texts: per task at most `MAX_OPTION_VALUES` option values (with
their offered and right counts per fold) and `MAX_OPTION_SETS` distinct option sets (with their
right position per fold), each the bottom-k of their hashes (`veriscene.stats_bottomk`): tallies
of parts of a run merge into the tally of the whole. Questions whose option set is not kept are
left out of `options_alone` (`options_samples` says how many are in it). Both are held as numpy
rows of hashes (`OptionValues`, `OptionSets`): a value with its text (UTF-8 bytes), which
`options_telling` prints; a set with its options' hashes and ties (CRC-32), not its text.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from typing import Any, Sequence

import numpy as np

from veriscene.stats_bottomk import FIELD_BITS, FIELD_MASK, Columns, PackedCounts, Texts, text_hash, unit

MAX_OPTION_VALUES = 20_000  # option values kept per task (offered/right counts)
MAX_OPTION_SETS = 20_000  # distinct option sets kept per task (for the guess)
PRIOR_WEIGHT = 2.0  # pseudo-questions at a value's chance added to its rate
# a value's rate steers the guess when this many standard deviations from its chance: 1 keeps a
# value right the one time it was offered (z 1.7 at chance 1/4); exactly balanced yes/no of 300
# questions come out at 49.4% (mean of 60 seeds), 47.7% with every rate steering, 0% leave-one-out
SCORE_Z = 1.0
TELLING_OFFERED = 20  # a value must be offered in at least this many questions to be reported
TELLING_P = 0.001  # one-sided binomial tail below which a value is telling
TELLING_SHOWN = 3  # telling values reported per task
_SEP = "\x1f"  # between the sorted option texts of an option set's key
CHANCE_UNITS = 2520  # 1/k in these units, exact for up to 10 options (the least common multiple of 1-10)
# a value's packed counts (`veriscene.stats_bottomk.PackedCounts`): questions offering it in fold
# 0 and 1 (fields 0, 1), right in them (2, 3), and the sum of their 1/k in CHANCE_UNITS (4); an
# option set's: questions of fold f whose answer is its p-th option in sorted order (f * k + p)
_OFFERED, _RIGHT, _CHANCE = (unit(0), unit(1)), (unit(2), unit(3)), unit(4)


def fold_of(sample_id: str) -> int:
    """0 or 1: a sample's fold, by a stable hash of its id (CRC-32: any bit of it is as good, the
    fold needs only to be independent of the answer)."""
    return zlib.crc32(sample_id.encode("utf-8")) & 1


def _tie(value: str) -> int:
    """A value's place among values of equal score: a stable hash (CRC-32) of its text."""
    return zlib.crc32(value.encode("utf-8"))


def binomial_tail(right: int, n: int, p: float) -> float:
    """P(X >= right) for X ~ Binomial(n, p), summed exactly from `right` up (terms in log space),
    stopping once the terms no longer change the sum (they fall past the mean)."""
    if right <= 0 or p >= 1.0:
        return 1.0
    if right > n or p <= 0.0:
        return 0.0
    log_p, log_q, log_n = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    total = 0.0
    for k in range(right, n + 1):
        term = math.exp(log_n - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * log_p + (n - k) * log_q)
        total += term
        if k > n * p and term <= total * 1e-17:
            break
    return min(total, 1.0)


class OptionValues(PackedCounts):
    """Option text -> its packed counts (see `_OFFERED`); the rows: "key", "n" (the five counts)
    and "text" (the option text, for `options_telling`)."""

    def chunk(self, front: dict[str, int]) -> Columns:
        counts = np.array([[packed >> FIELD_BITS * f & FIELD_MASK for f in range(4)] + [packed >> 4 * FIELD_BITS]
                           for packed in front.values()], dtype=np.int64).reshape(-1, 5)
        return {"key": np.fromiter(map(text_hash, front), dtype=np.uint64, count=len(front)), "n": counts,
                "text": Texts.of(list(front))}


class OptionSets(PackedCounts):
    """Option set (its sorted option texts joined by `_SEP`) -> the questions of fold f whose
    answer is its p-th option (field f * k + p); the rows: one per field counted, "sub" the field,
    "n" its count, "k" the options, "values" their `text_hash`es and "ties" their `_tie`s (in the
    set's order, padded with zeros to the widest set)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit, by_sub=True)

    def chunk(self, front: dict[str, int]) -> Columns:
        keys, slots, ns, ks, values, ties = [], [], [], [], [], []
        known: dict[str, tuple[int, int]] = {}  # option text -> (text_hash, _tie): sets share options
        for joined, packed in front.items():
            h, parts = text_hash(joined), joined.split(_SEP)
            for v in parts:
                if v not in known:
                    known[v] = text_hash(v), _tie(v)
            hashes, crcs = [known[v][0] for v in parts], [known[v][1] for v in parts]
            slot = 0
            while packed:  # the set's counts field by field (mostly one question: one field)
                n = packed & FIELD_MASK
                if n:
                    keys.append(h)
                    slots.append(slot)
                    ns.append(n)
                    ks.append(len(parts))
                    values.append(hashes)
                    ties.append(crcs)
                packed >>= FIELD_BITS
                slot += 1
        width = max(ks, default=0)
        padded_values = np.zeros((len(keys), width), dtype=np.uint64)
        padded_ties = np.zeros((len(keys), width), dtype=np.uint32)
        for j, (hashes, crcs) in enumerate(zip(values, ties)):
            padded_values[j, :len(hashes)] = hashes
            padded_ties[j, :len(crcs)] = crcs
        return {"key": np.array(keys, dtype=np.uint64), "sub": np.array(slots, dtype=np.uint32),
                "n": np.array(ns, dtype=np.int64), "k": np.array(ks, dtype=np.uint32), "values": padded_values,
                "ties": padded_ties}


# a kept option value's counts: offered in fold 0, in fold 1, right in fold 0, in fold 1, chance (the
# mean 1/k of the questions offering it), its text and its `_tie`
ValueCounts = tuple[int, int, int, int, float, str, int]


class TaskOptions:
    """One task's tallies of offered options (see the module notes)."""

    def __init__(self) -> None:
        self.values = OptionValues(MAX_OPTION_VALUES)  # option text -> its packed counts
        self.sets = OptionSets(MAX_OPTION_SETS)  # sorted option texts joined by _SEP -> packed counts

    def add(self, fold: int, choices: Sequence[str], answer: int) -> None:
        offered = _OFFERED[fold] + _CHANCE * (CHANCE_UNITS // len(choices))
        values = self.values
        front = values.front  # (cleared when moved into the rows, never replaced)
        for k, value in enumerate(choices):  # (`PackedCounts.add` inlined for values in the front: the hot path)
            increment = offered + _RIGHT[fold] if k == answer else offered
            found = front.get(value)
            if found is None:
                values.add(value, increment)
            else:
                front[value] = found + increment
        ordered = sorted(choices)
        self.sets.add(_SEP.join(ordered), 1 << FIELD_BITS * (fold * len(choices) + ordered.index(choices[answer])))

    def merge(self, other: "TaskOptions") -> None:
        self.values.merge(other.values)
        self.sets.merge(other.sets)

    def cut(self) -> None:
        self.values.cut()
        self.sets.cut()

    def counts(self) -> dict[int, ValueCounts]:
        """Value (its `text_hash`) -> (offered in fold 0, in fold 1, right in fold 0, in fold 1,
        chance, text, tie): its chance of being right is the mean 1/k of the questions offering it
        (both folds)."""
        self.values.cut()
        rows = self.values.rows.kept
        if rows is None:
            return {}
        unpacked = {}
        for key, (o0, o1, r0, r1, units), text in zip(rows["key"].tolist(), rows["n"].tolist(), rows["text"]):
            unpacked[key] = (o0, o1, r0, r1, units / CHANCE_UNITS / (o0 + o1), text, _tie(text))
        return unpacked

    @staticmethod
    def _ranks(counts: dict[int, ValueCounts], fold: int) -> dict[int, tuple[float, int]]:
        """Each value's rank from the answers of `fold`, best first: (-score, tie); the score
        is its rate if far enough from chance, else its chance (see the module notes)."""
        ranks = {}
        for value, (*tally, chance, _, tie) in counts.items():
            n, hits = tally[fold], tally[2 + fold]
            steers = n and abs(hits - n * chance) >= SCORE_Z * math.sqrt(n * chance * (1 - chance))
            score = (hits + PRIOR_WEIGHT * chance) / (n + PRIOR_WEIGHT) if steers else chance
            ranks[value] = (-score, tie)
        return ranks

    def guess(self, counts: dict[int, ValueCounts]) -> tuple[float, float, int] | None:
        """(share of questions the options-alone guess gets right, mean chance 1/k, questions
        counted), cross-fitted, from the values' `counts()`; None without any question."""
        ranks = (self._ranks(counts, 1), self._ranks(counts, 0))  # fold 0 by fold 1's answers, and back
        hits, total, sizes = 0, 0, Counter[int]()  # sizes: questions per number of options
        self.sets.cut()
        rows = self.sets.rows.kept
        if rows is None:
            return None
        slots, ns, ks = rows["sub"].tolist(), rows["n"].tolist(), rows["k"].tolist()
        for _, start, end in self.sets.rows.groups():
            k = ks[start]
            values, ties = rows["values"][start, :k].tolist(), rows["ties"][start, :k].tolist()
            picks: list[int | None] = [None, None]  # the position guessed, per fold
            for j in range(start, end):
                n = ns[j]
                fold, position = divmod(slots[j], k)
                pick = picks[fold]
                if pick is None:  # a value not kept (`MAX_OPTION_VALUES`) is ranked at chance
                    rank = ranks[fold]
                    pick = picks[fold] = min(range(k), key=lambda p: rank.get(values[p]) or (-1 / k, ties[p]))
                hits += n * (values[position] == values[pick])
                sizes[k] += n
                total += n
        chance = sum(n / k for k, n in sorted(sizes.items()))  # summed in one order: the same on any workers
        return (hits / total, chance / total, total) if total else None

    @staticmethod
    def telling(counts: dict[int, ValueCounts]) -> list[dict[str, Any]]:
        """The values offered in at least `TELLING_OFFERED` questions and right in them well above
        chance (binomial tail below `TELLING_P`), most telling first: at most `TELLING_SHOWN`."""
        found = []
        for o0, o1, r0, r1, chance, value, _ in counts.values():
            offered, right = o0 + o1, r0 + r1
            if offered < TELLING_OFFERED or right <= chance * offered:
                continue
            p = binomial_tail(right, offered, chance)
            if p < TELLING_P:
                found.append((p, -right / offered, value, right, offered, chance))
        found.sort()
        return [{"option": value, "right": right, "offered": offered, "chance": round(chance, 4),
                 "p_value": float(f"{p:.3g}")} for p, _, value, right, offered, chance in found[:TELLING_SHOWN]]


class OptionGuess(dict[str, TaskOptions]):
    """Task -> its tallies of offered options: what `StatsReport` keeps for the options-alone figure."""

    def add(self, task: str, sample_id: str, choices: Sequence[Any], letter: str) -> None:
        """Count a multiple-choice sample (`letter`: its answer's, "A" first); a letter outside
        the options is not counted."""
        answer = ord(letter) - ord("A") if len(letter) == 1 else -1
        if not 0 <= answer < len(choices):
            return
        tally = self.get(task)
        if tally is None:
            tally = self[task] = TaskOptions()
        tally.add(fold_of(sample_id), list(map(str, choices)), answer)

    def merge(self, other: "OptionGuess") -> None:
        for task, tally in other.items():
            mine = self.get(task)
            if mine is None:
                self[task] = mine = TaskOptions()
            mine.merge(tally)

    def done(self) -> None:
        for tally in self.values():
            tally.cut()

    def fields(self, task: str) -> dict[str, Any]:
        """A task's row fields: `options_alone`, `options_chance`, `options_samples`, `options_telling`."""
        tally = self.get(task)
        if tally is not None:
            counts = tally.counts()
            found = tally.guess(counts)
            if found is not None:
                share, chance, n = found
                return {"options_alone": round(share, 4), "options_chance": round(chance, 4), "options_samples": n,
                        "options_telling": tally.telling(counts)}
        return {"options_alone": None, "options_chance": None, "options_samples": 0, "options_telling": []}


def options_tell(row: dict[str, Any], points: float) -> bool:
    """Whether a task row's options alone are right more than `points` percentage points above
    chance, over at least `TELLING_OFFERED` questions (fewer: too few to say)."""
    return (row["options_alone"] is not None and row["options_samples"] >= TELLING_OFFERED
            and row["options_alone"] - row["options_chance"] > points / 100)


def telling_text(entry: dict[str, Any]) -> str:
    """"'0' is right in 106 of the 170 questions that offer it, chance 25%"."""
    return (f"{entry['option']!r} is right in {entry['right']} of the {entry['offered']} questions that offer it, "
            f"chance {entry['chance']:.0%}")
