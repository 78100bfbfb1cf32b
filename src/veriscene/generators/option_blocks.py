"""Option sets drawn within one scene so that the options alone never tell the answer.

The runner picks one answer group of a scene uniformly, then one candidate of the group uniformly
(`candidate_pool.CandidatePool.pick`). Let an option set be a set of the scene's answers (values)
and let it be offered to the candidates of each of its values with the same total weight t per
group (a group of n candidates, m of them offered it with probabilities p_1..p_m: (p_1 + ... +
p_m) / n = t). Then the set is asked with each of its values right with probability t / (number of
groups): wherever it is offered, each of its values is the answer as often as any other, on any data
set and whatever the scenes hold. A guess that sees only the options (each value alone, or the
whole set) is right 1/k of the time.

Wrong options drawn from outside the scene cannot be matched so: a value offered where it is not
an answer of the scene is never right there, and only other scenes, with other readings, could
make up for it. On the demo world, a viewer may read a direction into a pair answered by a depth
order ("behind", boxes overlapping and shifted) three times as often as the reverse, and the depth
orders answer a fifth of the questions: filled from the data set, "behind" and "in front of" were
offered beside most directions and seldom right.

Each candidate may take a set only if every other value of it is a safe wrong option for its pair
(`safe`: the caller's test, never a reading a viewer may make of the pair). `allocate` chooses the
sets greedily, the larger first (up to `size` values: the runner offers `num_choices - 1` of the
wrong ones, drawn uniformly, which keeps every value of a larger set as often right), each time the
set that the most weight can still take; a candidate left with weight gets no multiple choice for
that weight (the runner asks it open only). Scenes of many answers (Visual Genome: up to 30) are
first cut into sets that every candidate of each value takes whole; `EXHAUSTIVE` values or fewer are
then shared out by weight.

Values are indices 0..n-1 and sets bit masks (bit x: value x).
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

# Values shared out by weight over every set of them (at most C(8, 4) = 70 sets a size); past
# this, only sets taken whole by every candidate of each value.
EXHAUSTIVE = 8
# Weights below this are left out (float sums of a few products).
_TINY = 1e-9

# per value, per candidate of it: [(set mask, probability)]
Allocation = list[list[list[tuple[int, float]]]]


def allocate(safe: Sequence[Sequence[int]], size: int) -> Allocation:
    """For each value x and each of its candidates j (``safe[x][j]``: the mask of the values that
    are safe wrong options for it; bit x clear), the option sets it is offered with their
    probabilities (summing to 1 or less), each set of 2 to `size` values offered to the candidates
    of each of its values with the same total weight (module doc)."""
    n = len(safe)
    out: Allocation = [[[] for _ in cands] for cands in safe]
    left = list(range(n))
    if n > EXHAUSTIVE:
        whole = [x for x in range(n) if safe[x]]
        agreed = [_all_of(safe[x]) for x in range(n)]  # values safe for every candidate of x
        left = []
        while whole:
            x = whole.pop(0)
            members = [x]
            for y in list(whole):
                if len(members) == size:
                    break
                if all(agreed[m] >> y & 1 and agreed[y] >> m & 1 for m in members):
                    members.append(y)
                    whole.remove(y)
            if len(members) == 1:
                left.append(x)
                continue
            mask = sum(1 << m for m in members)
            for m in members:
                for j in range(len(safe[m])):
                    out[m][j].append((mask, 1.0))
        if len(left) > EXHAUSTIVE:
            return out
    _share(safe, left, size, out)
    return out


def _any_of(masks: Sequence[int]) -> int:
    found = 0
    for m in masks:
        found |= m
    return found


def _all_of(masks: Sequence[int]) -> int:
    found = -1
    for m in masks:
        found &= m
    return found if masks else 0


def _share(safe: Sequence[Sequence[int]], values: list[int], size: int, out: Allocation) -> None:
    """Share out the candidates of `values` by weight (`allocate`), sets of `size` values first."""
    weight = {x: [1.0] * len(safe[x]) for x in values}
    reach = {x: _any_of(safe[x]) for x in values}  # values safe for some candidate of x
    n = len(values)
    for k in range(n if n < size else size, 1, -1):  # min(size, n) (ints), no call of the builtin
        sets: list[tuple[int, tuple[int, ...]]] = []
        for members in combinations(values, k):
            mask = 0
            for x in members:
                mask |= 1 << x
            # each member's other values safe for some candidate of it (a cheap test that leaves
            # out most sets before their weights are summed)
            for x in members:
                if mask & ~(1 << x) & ~reach[x]:
                    break
            else:
                sets.append((mask, members))
        while True:
            best: tuple[float, int, tuple[int, ...], list[float]] | None = None
            live: list[tuple[int, tuple[int, ...]]] = []  # the sets that can still take weight, in order
            for mask, members in sets:
                caps: list[float] = []
                t = 0.0  # min(caps), written out (the first of equal ones, as min keeps)
                for x in members:
                    others = mask & ~(1 << x)
                    # (a list summed: the same additions in the same order as of a generator)
                    cap = sum([w for w, s in zip(weight[x], safe[x]) if others & ~s == 0]) / len(safe[x])
                    if cap <= _TINY:
                        break
                    if not caps or cap < t:
                        t = cap
                    caps.append(cap)
                else:
                    live.append((mask, members))
                    if best is None or t > best[0]:
                        best = (t, mask, members, caps)
            # weights only fall (each taken share is positive), and so does each sum of them in
            # the same order (rounding is monotone): a set left out once never takes weight again
            sets = live
            if best is None:
                break
            t, mask, members, caps = best
            for x, cap in zip(members, caps):
                others = mask & ~(1 << x)
                for j, s in enumerate(safe[x]):
                    if others & ~s == 0 and weight[x][j] > 0:
                        taken = weight[x][j] * t / cap
                        out[x][j].append((mask, taken))
                        weight[x][j] -= taken


def draw(offered: Sequence[tuple[int, float]], u: float) -> int:
    """The set drawn for one candidate (`allocate`) by a uniform number u in [0, 1): 0 for none."""
    for mask, p in offered:
        if u < p:
            return mask
        u -= p
    return 0
