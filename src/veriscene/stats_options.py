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
Ties go to the value of smallest 64-bit hash. The guess is a function of the option texts and
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
left out of `options_alone` (`options_samples` says how many are in it).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Sequence

from veriscene.stats_bottomk import BottomK, key_hash

MAX_OPTION_VALUES = 20_000  # option values kept per task (offered/right counts)
MAX_OPTION_SETS = 20_000  # distinct option sets kept per task (for the guess)
PRIOR_WEIGHT = 2.0  # pseudo-questions at a value's chance added to its rate
# a value's rate steers the guess when this many standard deviations from its chance: 1 keeps a
# value right the one time it was offered (z 1.7 at chance 1/4); exactly balanced yes/no of 300
# questions come out at 49.1% (mean of 60 seeds), 47.7% with every rate steering, 0% leave-one-out
SCORE_Z = 1.0
TELLING_OFFERED = 20  # a value must be offered in at least this many questions to be reported
TELLING_P = 0.001  # one-sided binomial tail below which a value is telling
TELLING_SHOWN = 3  # telling values reported per task
_SEP = "\x1f"  # between the sorted option texts of an option set's key
# counter keys per fold: offered, right; of a set, the fold's right positions are "<fold>:<position>"
_OFFERED, _RIGHT = ("o0", "o1"), ("r0", "r1")


def fold_of(sample_id: str) -> int:
    """0 or 1: a sample's fold, by a stable hash of its id."""
    return key_hash(sample_id)[0] & 1


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


class TaskOptions:
    """One task's tallies of offered options (see the module notes)."""

    def __init__(self) -> None:
        # value -> {"o0", "o1": questions offering it per fold; "r0", "r1": right in them;
        #           "k<n>": questions of n options offering it (both folds)}
        self.values = BottomK(MAX_OPTION_VALUES)
        # sorted option texts joined by _SEP -> {"<fold>:<position of the answer in them>": questions}
        self.sets = BottomK(MAX_OPTION_SETS)

    def add(self, fold: int, choices: Sequence[str], answer: int) -> None:
        offered, right, size = _OFFERED[fold], _RIGHT[fold], f"k{len(choices)}"
        for k, value in enumerate(choices):
            counts = self.values.counts(value)
            if counts is not None:
                counts[offered] += 1
                counts[size] += 1
                if k == answer:
                    counts[right] += 1
        ordered = sorted(choices)
        found = self.sets.counts(_SEP.join(ordered))
        if found is not None:
            found[f"{fold}:{ordered.index(choices[answer])}"] += 1

    def merge(self, other: "TaskOptions") -> None:
        self.values.merge(other.values)
        self.sets.merge(other.sets)

    def cut(self) -> None:
        self.values.cut()
        self.sets.cut()

    def _chance(self, counts: Counter[str]) -> float:
        """A value's chance of being right: the mean 1/k of the questions offering it (both folds)."""
        return sum(n / int(k[1:]) for k, n in sorted(counts.items()) if k[0] == "k") / (counts["o0"] + counts["o1"])

    def _scores(self, fold: int) -> dict[str, float]:
        """Each value's score from the answers of `fold` (see the module notes)."""
        offered, right = _OFFERED[fold], _RIGHT[fold]
        scores = {}
        for value, counts in self.values.items():
            chance, n, hits = self._chance(counts), counts[offered], counts[right]
            steers = n and abs(hits - n * chance) >= SCORE_Z * math.sqrt(n * chance * (1 - chance))
            scores[value] = (hits + PRIOR_WEIGHT * chance) / (n + PRIOR_WEIGHT) if steers else chance
        return scores

    def guess(self) -> tuple[float, float, int] | None:
        """(share of questions the options-alone guess gets right, mean chance 1/k, questions
        counted), cross-fitted; None without any question."""
        scores = (self._scores(0), self._scores(1))
        ties: dict[str, tuple[int, str]] = {}  # value -> its hash, which breaks ties
        hits, total, sizes = 0, 0, Counter[int]()  # sizes: questions per number of options
        for key, answers in self.sets.items():
            values = key.split(_SEP)
            for value in values:
                if value not in ties:
                    ties[value] = key_hash(value)
            unknown = 1 / len(values)  # the score of a value not kept (`MAX_OPTION_VALUES`)
            picks = []
            for other in (scores[1], scores[0]):  # fold 0 guessed with fold 1's answers, and vice versa
                picks.append(min(range(len(values)), key=lambda k: (-other.get(values[k], unknown), ties[values[k]])))
            for where, n in answers.items():
                fold, position = int(where[0]), int(where[2:])
                hits += n * (values[picks[fold]] == values[position])
                sizes[len(values)] += n
                total += n
        chance = sum(n / k for k, n in sorted(sizes.items()))  # summed in one order: the same on any workers
        return (hits / total, chance / total, total) if total else None

    def telling(self) -> list[dict[str, Any]]:
        """The values offered in at least `TELLING_OFFERED` questions and right in them well above
        chance (binomial tail below `TELLING_P`), most telling first: at most `TELLING_SHOWN`."""
        found = []
        for value, c in self.values.items():
            offered, right = c["o0"] + c["o1"], c["r0"] + c["r1"]
            if offered < TELLING_OFFERED:
                continue
            chance = self._chance(c)
            if right <= chance * offered:
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
        tally.add(fold_of(sample_id), [str(c) for c in choices], answer)

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
        found = None if tally is None else tally.guess()
        if tally is None or found is None:
            return {"options_alone": None, "options_chance": None, "options_samples": 0, "options_telling": []}
        share, chance, n = found
        return {"options_alone": round(share, 4), "options_chance": round(chance, 4), "options_samples": n,
                "options_telling": tally.telling()}


def telling_text(entry: dict[str, Any]) -> str:
    """"'0' is right in 106 of the 170 questions that offer it, chance 25%"."""
    return (f"{entry['option']!r} is right in {entry['right']} of the {entry['offered']} questions that offer it, "
            f"chance {entry['chance']:.0%}")
