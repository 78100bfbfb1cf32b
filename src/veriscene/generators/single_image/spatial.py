"""Spatial extremes: leftmost, rightmost, topmost, bottommost, largest, smallest.

A question is asked only when the extreme object wins by a clear margin (so a person looking at
the image agrees): positions differ by at least `position_margin` of the image size, areas by a
factor of at least `area_ratio`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable, Sequence

from veriscene.generators.base import Candidate, Deferred, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import name_set_nodes
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder
from veriscene.text import plural
from veriscene.vocab import UNTYPED, attribute_type

_PHRASES = {
    "leftmost": ("leftmost", "furthest to the left"),
    "rightmost": ("rightmost", "furthest to the right"),
    "topmost": ("topmost", "closest to the top of the image"),
    "bottommost": ("bottommost", "closest to the bottom of the image"),
    "largest": ("largest", "biggest"),
    "smallest": ("smallest", "tiniest"),
}


@dataclass(frozen=True)
class SpatialConfig(GeneratorConfig):
    position_margin: float = 0.08  # min gap between winner and runner-up centres, share of image size
    area_ratio: float = 1.5  # min ratio of winner's to runner-up's area (largest/smallest)


# What each extreme compares: centre x (0), centre y (1) or area ("area").
# The extremes that pick the object with the highest key (the others pick the lowest).
_HIGHEST = ("rightmost", "bottommost", "largest")
_KEY: dict[str, int | str] = {"leftmost": 0, "rightmost": 0, "topmost": 1, "bottommost": 1,
                              "largest": "area", "smallest": "area"}


def _keys(ctx: GenContext, key: int | str) -> list[float]:
    """Per object: centre x (key 0), centre y (1) or area ("area"); computed once per scene index."""
    if isinstance(key, str):  # "area"
        return ctx.index.area_list
    return ctx.index.memo(("centre coordinate", key), lambda: [c[key] for c in ctx.index.center_list])


def _clear(ctx: GenContext, ranked: list[float], which: str, config: SpatialConfig) -> bool:
    """Whether the extreme is unambiguous, given the members' keys in ascending order (2 or more)."""
    if which in ("largest", "smallest"):
        low, high = (ranked[0], ranked[1]) if which == "smallest" else (ranked[-2], ranked[-1])
        return low > 0 and high / low >= config.area_ratio
    size = ctx.scene.width if _KEY[which] == 0 else ctx.scene.height
    gap = ranked[1] - ranked[0] if which in ("leftmost", "topmost") else ranked[-1] - ranked[-2]
    return gap >= config.position_margin * size


def clear_extremes(ctx: GenContext, members: Sequence[int], whiches: Iterable[str],
                   config: SpatialConfig) -> list[str]:
    """The extremes of `whiches` (in order) that are unambiguous to the eye among `members`
    (none with fewer than 2), sorting the members once per key rather than once per extreme."""
    if len(members) < 2:
        return []
    ranked: dict[int | str, list[float]] = {}
    clear = []
    for which in whiches:
        key = _KEY[which]
        if key not in ranked:
            keys = _keys(ctx, key)
            ranked[key] = sorted([keys[i] for i in members])
        if _clear(ctx, ranked[key], which, config):
            clear.append(which)
    return clear


def extreme_member(ctx: GenContext, members: Sequence[int], which: str) -> int:
    """The member the `extreme` op picks ("leftmost", ..., "largest", "smallest"); ties are
    ruled out by `clear_extremes`."""
    pick = max if which in _HIGHEST else min
    return pick(members, key=_keys(ctx, _KEY[which]).__getitem__)


_Ranks = tuple[int, list[float], list[float], int, int]  # per name, see `_name_ranks`


def _name_ranks(ctx: GenContext, key: int | str) -> dict[str, _Ranks]:
    """Per present name, for `key`: how many objects it has, their two lowest and two highest
    keys (ascending), and the objects that `extreme_member` picks among them as the minimum and
    as the maximum. Computed once per scene index."""

    def compute() -> dict[str, _Ranks]:
        keys = _keys(ctx, key)
        out: dict[str, _Ranks] = {}
        for name, members in ctx.index.by_name.items():
            values = sorted([keys[i] for i in members])
            out[name] = (len(values), values[:2], values[-2:], min(members, key=keys.__getitem__),
                         max(members, key=keys.__getitem__))
        return out

    return ctx.index.memo(("name ranks", key), compute)


def clear_extremes_among(ctx: GenContext, names: Sequence[str], whiches: Iterable[str],
                         config: SpatialConfig) -> list[tuple[str, int]]:
    """(extreme, the member `extreme_member` picks) for each extreme of `whiches` (in order) that
    `clear_extremes` finds clear among the objects named any of `names` (distinct present names):
    the same results, from each name's ranks (`_name_ranks`) instead of the members' keys sorted
    per list. The two lowest and two highest keys of the union are among each name's two lowest
    and two highest, and the union's extreme member is one of the names' own."""
    found: list[tuple[str, int]] = []
    ranked: dict[int | str, tuple[list[float], list[_Ranks]]] = {}
    for which in whiches:
        key = _KEY[which]
        if key not in ranked:
            table = _name_ranks(ctx, key)
            rows = [table[n] for n in names]
            if sum(row[0] for row in rows) < 2:
                return []
            lows = sorted([v for row in rows for v in row[1]])
            highs = sorted([v for row in rows for v in row[2]])
            ranked[key] = ([lows[0], lows[1], highs[-2], highs[-1]], rows)  # what `_clear` reads
        ends, rows = ranked[key]
        if _clear(ctx, ends, which, config):
            keys = _keys(ctx, key).__getitem__
            if which in _HIGHEST:
                found.append((which, max(sorted([row[4] for row in rows]), key=keys)))
            else:
                found.append((which, min(sorted([row[3] for row in rows]), key=keys)))
    return found


def _extreme_name_program(which: str) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("query_name", b.add("extreme", b.add("scene", args=[0]), args=[which]))
    return b.program


def _extreme_attribute_program(name: str, which: str, kind: str) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("query_attribute", b.add("extreme", name_set_nodes(b, name), args=[which]), args=[kind])
    return b.program


@register("spatial.extreme.v1", family="spatial")
class SpatialExtreme(Generator):
    """What is the leftmost object? What color is the largest circle?"""

    answer_type = "str"
    Config = SpatialConfig
    description = "The name or attribute of the left-/right-/top-/bottom-most, largest or smallest object."
    templates = {
        "name": ("What is the {ext} object in the image?", "Which object is {ext_adv}?",
                 "Name the {ext} object in this picture."),
        "attribute": ("What {kind} is the {ext} {name}?", "Among the {names}, what {kind} is the one {ext_adv}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Deferred]:
        config: SpatialConfig = self.config  # type: ignore[assignment]
        everyone = list(range(len(ctx.scene)))
        attributes = ctx.scene.attributes
        groups = [(name, members, sorted({attribute_type(a) for i in members for a in attributes[i]} - {UNTYPED}))
                  for name, members in sorted(ctx.index.by_name.items()) if len(members) >= 2]
        clear_everyone = clear_extremes(ctx, everyone, _PHRASES, config)
        clear_groups = [clear_extremes(ctx, members, _PHRASES, config) for _, members, _ in groups]
        # many per scene, one or two used: phrased only if picked
        for which in _PHRASES:
            if which in clear_everyone:
                answer = ctx.scene.names[extreme_member(ctx, everyone, which)]
                yield Deferred(answer, partial(self._name_candidate, ctx, which, answer))
            for (name, members, kinds), clear in zip(groups, clear_groups):
                if which not in clear:
                    continue
                winner = attributes[extreme_member(ctx, members, which)]
                for kind in kinds:
                    if kind == "size" and which in ("largest", "smallest"):
                        continue  # "What size is the largest circle?" gives itself away
                    values = [a for a in winner if attribute_type(a) == kind]
                    if len(values) != 1:
                        continue  # the winner has no single <kind>: no answer
                    yield Deferred(values[0], partial(self._attribute_candidate, ctx, which, name, kind, values[0]))

    def _name_candidate(self, ctx: GenContext, which: str, answer: str) -> Candidate:
        ext, ext_adv = _PHRASES[which]
        return Candidate(None, {"ext": ext, "ext_adv": ext_adv}, group="name", distractors=ctx.vocab.name_list(),
                         expected=answer, build=partial(_extreme_name_program, which))

    def _attribute_candidate(self, ctx: GenContext, which: str, name: str, kind: str, answer: str) -> Candidate:
        ext, ext_adv = _PHRASES[which]
        slots = {"ext": ext, "ext_adv": ext_adv, "kind": kind, "name": name, "names": plural(name)}
        return Candidate(None, slots, group="attribute", distractors=ctx.vocab.attributes_of_type(kind),
                         expected=answer, build=partial(_extreme_attribute_program, name, which, kind))
