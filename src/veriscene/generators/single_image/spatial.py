"""Spatial extremes: leftmost, rightmost, topmost, bottommost, largest, smallest.

A question is asked only when the extreme object wins by a clear margin (so a person looking at
the image agrees): positions differ by at least `position_margin` of the image size, areas by a
factor of at least `area_ratio`. Positions are box centres (the `extreme` op's), and the winner
must also reach furthest that way with its box's outer edge, by `EDGE_MARGIN` of the image size:
of a man spanning y 78-552 and one at y 204-246, the second is topmost by centre, but a viewer
sees the first reach higher, and neither is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Candidate, Deferred, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import asked_kind, kind_group, name_set_nodes
from veriscene.generators.registry import register
from veriscene.generators.single_image.attributes import asked_values
from veriscene.generators.vocabulary_draws import likely_wrong_attributes, likely_wrong_names
from veriscene.program.builder import ProgramBuilder
from veriscene.text import plural

# (before a noun, after "is": "Which object is furthest to the left?", "... is the biggest?")
_PHRASES = {
    "leftmost": ("leftmost", "furthest to the left"),
    "rightmost": ("rightmost", "furthest to the right"),
    "topmost": ("topmost", "closest to the top of the image"),
    "bottommost": ("bottommost", "closest to the bottom of the image"),
    "largest": ("largest", "the biggest"),
    "smallest": ("smallest", "the smallest"),  # not "the tiniest": a small house is not tiny
}


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class SpatialConfig(GeneratorConfig):
    position_margin: float = 0.08  # min gap between winner and runner-up centres, share of image size
    area_ratio: float = 1.5  # min ratio of winner's to runner-up's area (largest/smallest)


# What each extreme compares: centre x (0), centre y (1) or area ("area").
# The extremes that pick the object with the highest key (the others pick the lowest).
_HIGHEST = ("rightmost", "bottommost", "largest")
# The extremes that speak of left and right (`Candidate.sides`).
SIDEWAYS = ("leftmost", "rightmost")
# The extremes that speak of top and bottom (`Candidate.vertical`).
UPRIGHT = ("topmost", "bottommost")
_KEY: dict[str, int | str] = {"leftmost": 0, "rightmost": 0, "topmost": 1, "bottommost": 1,
                              "largest": "area", "smallest": "area"}
# The box side (x0, y0, x1, y1) a position extreme reaches furthest with: the key ("side", c).
_SIDE: dict[str, tuple[str, int]] = {"leftmost": ("side", 0), "topmost": ("side", 1),
                                     "rightmost": ("side", 2), "bottommost": ("side", 3)}
# Min lead of the winner's outer box side over every other member's, share of the image size.
EDGE_MARGIN = 0.02

Key = int | str | tuple[str, int]


def _keys(ctx: GenContext, key: Key) -> list[float]:
    """Per object: centre x (key 0), centre y (1), area ("area") or a box side (("side", c)),
    computed once per scene index (one table of them all: asked a hundred times a scene)."""
    tables: dict[Key, list[float]] = ctx.index.memo("spatial keys", dict)
    found = tables.get(key)
    if found is None:
        index = ctx.index
        if isinstance(key, tuple):
            found = [b[key[1]] for b in index.box_list]
        elif isinstance(key, str):  # "area"
            found = index.area_list
        else:
            found = [c[key] for c in index.center_list]
        tables[key] = found
    return found


def box_areas(ctx: GenContext) -> list[float]:
    """Per object: its box's area, computed once per scene index."""
    return ctx.index.memo("box area", lambda: [(b[2] - b[0]) * (b[3] - b[1]) for b in ctx.index.box_list])


def _box_leads(ctx: GenContext, members: Sequence[int], which: str, winner: int) -> bool:
    """Whether the largest (smallest) of `members` by visible area is also so by box area. A
    star's mask fills about half its box, a square's all of it: a star can cover less of the
    image than a square while looking as large or larger, so only a winner both measures agree on
    is asked about (the answer is still the visible area's, as the `extreme` op computes it)."""
    boxes = box_areas(ctx)
    own = boxes[winner]
    if which == "largest":
        return all(boxes[m] < own for m in members if m != winner)
    return all(boxes[m] > own for m in members if m != winner)


def clear_extremes(ctx: GenContext, members: Sequence[int], whiches: Iterable[str],
                   config: SpatialConfig) -> list[str]:
    """The extremes of `whiches` (in order) that are unambiguous to the eye among `members`
    (none with fewer than 2), sorting the members once per key rather than once per extreme."""
    return [which for which, _ in _clear_winners(ctx, members, whiches, config)]


def _clear_winners(ctx: GenContext, members: Sequence[int], whiches: Iterable[str],
                   config: SpatialConfig) -> list[tuple[str, int]]:
    """(extreme, the member `extreme_member` picks) for each extreme of `clear_extremes`: the
    extreme is unambiguous given the members' keys in ascending order (areas differ by
    `area_ratio`, positions by `position_margin` of the image size), and the winner also leads
    by box area (`_box_leads`) or, by centre, also reaches furthest that way with its box's
    outer side, ahead of every other member's by `EDGE_MARGIN` of the image size. (One loop:
    asked a dozen times a scene.)"""
    if len(members) < 2:
        return []
    tables: dict[Key, list[float]] = ctx.index.memo("spatial keys", dict)  # see `_keys`
    width, height = ctx.scene.width, ctx.scene.height
    ranked: dict[Key, tuple[list[float], list[float]]] = {}  # key -> (the members' keys, sorted)
    clear = []
    for which in whiches:
        key = _KEY[which]
        found = ranked.get(key)
        if found is None:
            keys = tables.get(key) or _keys(ctx, key)
            keyed = [keys[i] for i in members]
            found = ranked[key] = (keyed, sorted(keyed))
        keyed, values = found
        highest = which in _HIGHEST
        if key == "area":
            low, high = (values[-2], values[-1]) if highest else (values[0], values[1])
            if not (low > 0 and high / low >= config.area_ratio):
                continue
            # `extreme_member`: the first member of the highest (lowest) key, as max (min) picks
            winner = members[keyed.index(high if highest else low)]
            if _box_leads(ctx, members, which, winner):
                clear.append((which, winner))
            continue
        gap = values[-1] - values[-2] if highest else values[1] - values[0]
        if not gap >= config.position_margin * (width if key == 0 else height):
            continue
        winner = members[keyed.index(values[-1] if highest else values[0])]  # (as above)
        side = _SIDE[which]
        sides = tables.get(side) or _keys(ctx, side)
        margin = EDGE_MARGIN * (width if side[1] % 2 == 0 else height)
        # the others' furthest side: the members' furthest but for the winner's when it is that
        ends = sorted([sides[i] for i in members])
        own = sides[winner]
        if highest:
            leads = (ends[-2] if own == ends[-1] else ends[-1]) <= own - margin
        else:
            leads = (ends[1] if own == ends[0] else ends[0]) >= own + margin
        if leads:
            clear.append((which, winner))
    return clear


def extreme_member(ctx: GenContext, members: Sequence[int], which: str) -> int:
    """The member the `extreme` op picks ("leftmost", ..., "largest", "smallest"); ties are
    ruled out by `clear_extremes`."""
    pick = max if which in _HIGHEST else min
    return pick(members, key=_keys(ctx, _KEY[which]).__getitem__)


def _name_rows(ctx: GenContext) -> dict[str, int]:
    """Row of each present name in the tables of `_name_ranks` (names in sorted order)."""
    return ctx.index.memo("name rows", lambda: {name: r for r, name in enumerate(sorted(ctx.index.by_name))})


# The keys `_name_ranks` ranks by, one column each in its tables.
_COLUMNS: tuple[Key, ...] = (0, 1, ("side", 0), ("side", 1), ("side", 2), ("side", 3), "area")
_COLUMN: dict[Key, int] = {key: c for c, key in enumerate(_COLUMNS)}


class _Ranks(NamedTuple):
    """Per name (one row each, then a last row standing for "no name", which pads short lists),
    per key (one column each, `_COLUMNS`): what `clear_extremes_among` reads of a list's names."""

    # (names + 1,) objects of the name (0 for the padding row); a field named like tuple.count
    count: np.ndarray  # type: ignore[assignment]
    low: np.ndarray  # (2, names + 1, keys) its two lowest keys (+inf pads one object)
    high: np.ndarray  # (2, names + 1, keys) its two highest (-inf pads)
    low_member: np.ndarray  # (names + 1, keys) the object `extreme_member` picks as the minimum (-1 pads)
    high_member: np.ndarray  # (names + 1, keys) ... as the maximum (-1 pads)
    low_key: np.ndarray  # (names + 1, keys) low_member's key (+inf pads)
    high_key: np.ndarray  # (names + 1, keys) high_member's key (-inf pads)


def _grouped_order(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """(N, keys) per key column: the objects ordered by row, then key, then position in `keys`
    (`np.lexsort((keys[:, c], rows))` for every column c in two stable sorts)."""
    by_key = np.argsort(keys, axis=0, kind="stable")
    return np.take_along_axis(by_key, np.argsort(rows[by_key], axis=0, kind="stable"), axis=0)


def _name_ranks(ctx: GenContext) -> _Ranks:
    """`_Ranks` of every key, computed once per scene index (in numpy, every key at once: a scene
    with more lists than `FEW_LISTS` has dozens of names)."""

    def compute() -> _Ranks:
        keys = np.array([_keys(ctx, key) for key in _COLUMNS], dtype=np.float64).T  # (N, keys)
        rows = _object_rows(ctx)
        n, width = len(_name_rows(ctx)), len(_COLUMNS)
        count = np.bincount(rows, minlength=n)
        first = np.cumsum(count) - count  # each row's first position in the orders below
        last = first + count - 1
        two = (count >= 2)[:, None]
        # objects by row, then key ascending, ties by object (as `min` picks them)
        ascending = _grouped_order(rows, keys)
        # the same with ties by object descending (the objects reversed): a row's last is the
        # first of its highest (`max`)
        highest_first = len(rows) - 1 - _grouped_order(rows[::-1], keys[::-1])
        ordered = np.take_along_axis(keys, ascending, axis=0)
        inf = np.inf
        low, high = np.full((2, n + 1, width), inf), np.full((2, n + 1, width), -inf)
        low[0, :n] = ordered[first]
        low[1, :n] = np.where(two, ordered[np.minimum(first + 1, last)], inf)
        high[1, :n] = ordered[last]
        high[0, :n] = np.where(two, ordered[np.maximum(last - 1, first)], -inf)
        low_member, high_member = np.full((n + 1, width), -1), np.full((n + 1, width), -1)
        low_member[:n], high_member[:n] = ascending[first], highest_first[last]
        low_key, high_key = np.full((n + 1, width), inf), np.full((n + 1, width), -inf)
        columns = np.arange(width)
        low_key[:n], high_key[:n] = keys[low_member[:n], columns], keys[high_member[:n], columns]
        return _Ranks(np.append(count, 0), low, high, low_member, high_member, low_key, high_key)

    return ctx.index.memo("name ranks", compute)


def _object_rows(ctx: GenContext) -> np.ndarray:
    """(N,) each object's name's row in `_name_rows`."""
    def compute() -> np.ndarray:
        rows = _name_rows(ctx)
        return np.array([rows[name] for name in ctx.scene.names], dtype=np.int64)

    return ctx.index.memo("object rows", compute)


_NO_MEMBER = np.iinfo(np.int64).max
# Up to this many lists, `clear_extremes_among` sorts each list's members in plain Python (the
# demo's scenes have about 10 lists, Visual Genome's 120: numpy's fixed cost pays from about 20).
FEW_LISTS = 20


def _list_extremes(ranks: _Ranks, rows: np.ndarray, highest: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per list and key ((lists, keys) each), for the lists of names `rows` ((names, lists): the
    transposed table): the member `extreme_member` picks as the maximum (if `highest`) or the
    minimum, the first of the tied ones; and the members' two lowest keys, ascending, or their
    two highest. The two lowest and two highest keys of a union are among each name's two
    lowest and two highest, and the union's extreme member is one of the names' own. (Reduced
    over the names, the first axis: numpy's sorts and reductions along a short axis cost
    thousands of instructions per list.)"""
    # (`take`: fancy indexing by rows of a few values costs several times more)
    ends = np.take(ranks.high if highest else ranks.low, rows, axis=1).reshape(-1, *rows.shape[1:], len(_COLUMNS))
    keys = np.take(ranks.high_key if highest else ranks.low_key, rows, axis=0)  # (names, lists, keys)
    members = np.take(ranks.high_member if highest else ranks.low_member, rows, axis=0)
    if highest:
        best, top = keys.max(axis=0), ends.max(axis=0)
        # the second highest: the highest again where it is there twice
        runner_up = np.where((ends == top).sum(axis=0) >= 2, top, np.where(ends < top, ends, -np.inf).max(axis=0))
        ends_pair = (runner_up, top)
    else:
        best, top = keys.min(axis=0), ends.min(axis=0)
        runner_up = np.where((ends == top).sum(axis=0) >= 2, top, np.where(ends > top, ends, np.inf).min(axis=0))
        ends_pair = (top, runner_up)
    return np.where(keys == best, members, _NO_MEMBER).min(axis=0), *ends_pair


def clear_extremes_among(ctx: GenContext, lists: Sequence[Sequence[str]], whiches: Sequence[str],
                         config: SpatialConfig, table: np.ndarray | None = None) -> list[tuple[int, str, int]]:
    """(list number, extreme, the member `extreme_member` picks) for each list of distinct present
    names and each extreme of `whiches` (lists in order, extremes in order within a list) that
    `clear_extremes` finds clear among the objects named any of the list's names (the winner
    leading by its outer side too, `_clear_winners`): the same results, for all lists at once in
    numpy from each name's ranks (`_name_ranks`, `_list_extremes`) instead of the members' keys
    sorted per list. `table`, if given, holds the lists as positions among the present names in
    sorted order, padded with their number (as `object_lists.name_table` makes them). Up to
    `FEW_LISTS` lists, `clear_extremes` per list in plain Python (the same results; numpy's calls
    cost more than a few lists' sorts)."""
    if not lists or not whiches:
        return []
    if len(lists) <= FEW_LISTS:
        by_name, listed = ctx.index.by_name, []
        for m, names in enumerate(lists):
            objects = sorted([i for name in names for i in by_name[name]])
            listed += [(m, which, winner) for which, winner in _clear_winners(ctx, objects, whiches, config)]
        return listed
    if table is None:
        row_of = _name_rows(ctx)
        width = max(len(names) for names in lists)
        table = np.array([[row_of[n] for n in names] + [len(row_of)] * (width - len(names)) for names in lists])
    ranks = _name_ranks(ctx)
    valid = ranks.count[table].sum(axis=1) >= 2  # fewer than 2 objects: no extreme
    # per direction, every key at once: (the members picked, the lower and the higher end)
    rows = table.T
    by_direction = {highest: _list_extremes(ranks, rows, highest) for highest in {which in _HIGHEST for which in whiches}}
    found = np.zeros((len(lists), len(whiches)), dtype=bool)
    picked = np.zeros((len(lists), len(whiches)), dtype=np.int64)
    for w, which in enumerate(whiches):
        key = _KEY[which]
        highest = which in _HIGHEST
        members, lower, higher = by_direction[highest]
        c = _COLUMN[key]
        member, low_end, high_end = members[:, c], lower[:, c], higher[:, c]
        if which in ("largest", "smallest"):
            with np.errstate(divide="ignore", invalid="ignore"):
                clear = (low_end > 0) & (high_end / low_end >= config.area_ratio)
            by_name = ctx.index.by_name
            for m in np.nonzero(clear)[0].tolist():  # the winner leads by box area too (`_box_leads`)
                names_members = [i for name in lists[m] for i in by_name[name]]
                clear[m] = _box_leads(ctx, names_members, which, int(member[m]))
        else:
            size = ctx.scene.width if key == 0 else ctx.scene.height
            clear = high_end - low_end >= config.position_margin * size
            # the winner by centre also leads by its box's outer side (as `_clear_winners` asks)
            s = _COLUMN[_SIDE[which]]
            clear &= (members[:, s] == member) & (higher[:, s] - lower[:, s] >= EDGE_MARGIN * size)
        found[:, w] = clear & valid
        picked[:, w] = member
    at_list, at_which = np.nonzero(found)  # row-major: lists in order, extremes in order
    return [(m, whiches[w], member) for m, w, member in
            zip(at_list.tolist(), at_which.tolist(), picked[at_list, at_which].tolist())]


def _extreme_name_program(which: str) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("query_name", b.add("extreme", b.add("scene", args=[0]), args=[which]))
    return b.program


def _extreme_attribute_program(name: str, which: str, kind: str) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("query_attribute", b.add("extreme", name_set_nodes(b, name), args=[which]), args=[kind])
    return b.program


@mypyc_attr(allow_interpreted_subclasses=True)
class SpatialExtreme(Generator):
    """What is the leftmost object? What color is the largest circle?"""

    answer_type = "str"
    Config = SpatialConfig
    description = "The name or attribute of the left-/right-/top-/bottom-most, largest or smallest object."
    templates = {
        "name": ("What is the {ext} object in the image?", "Which object is {ext_adv}?",
                 "Name the {ext} object in this picture."),
        # `one_ext` after "the one": "the one furthest to the left", "the one that is the smallest"
        # (it said "the one tiniest")
        "attribute": ("What {kind} is the {ext} {name}?", "Among the {names}, what {kind} is the one {one_ext}?"),
        # kinds English asks otherwise (`kind_group`): not "What height is the leftmost lamp?"
        "height": ("Is the {ext} {name} tall or short?", "Among the {names}, is the one {one_ext} tall or short?"),
        "material": ("What is the {ext} {name} made of?", "Among the {names}, what is the one {one_ext} made of?"),
        "finish": ("What kind of surface does the {ext} {name} have?",
                   "Among the {names}, what kind of surface does the one {one_ext} have?"),
        "pattern": ("What pattern does the {ext} {name} have?", "Among the {names}, what pattern does the one {one_ext} have?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Deferred]:
        config: SpatialConfig = self.config  # type: ignore[assignment]
        everyone = list(range(len(ctx.scene)))
        groups = [(name, members) for name, members in sorted(ctx.index.by_name.items()) if len(members) >= 2]
        # per object: (type, its one value) of each type it has one value of (`asked_values`)
        values = asked_values(ctx.index)
        # extreme -> its member, where clear
        clear_everyone = dict(_clear_winners(ctx, everyone, _PHRASES, config))
        clear_groups = [dict(_clear_winners(ctx, members, _PHRASES, config)) for _, members in groups]
        # many per scene, one or two used: phrased only if picked
        # "What is the leftmost object?" of an image of one kind: the name alone answers it; nor of
        # a scene of a closed category list (COCO: ``meta["category_set"]``), which annotates
        # none of the window, tree or sky that may be leftmost (`object.extreme_among` asks
        # "Among the cars and people, ...?"). Where objects are annotated in part
        # (``meta["exhaustive"]``) the program fails: the set of all objects is incomplete.
        kinds_shown = len(ctx.index.by_name) >= 2 and ctx.scene.meta.get("category_set") is None
        for which in _PHRASES:
            if kinds_shown and which in clear_everyone:
                answer = ctx.scene.names[clear_everyone[which]]
                yield Deferred(answer, partial(self._name_candidate, ctx, which, answer))
            for (name, members), clear in zip(groups, clear_groups):
                if which not in clear:
                    continue
                # by type: the winner's one <kind> as `query_attribute` answers it (the first of
                # synonyms: "big" of "big" and "large"); none where it has no single answer
                for kind, value in sorted(values[clear[which]]):
                    if kind == "size" and which in ("largest", "smallest"):
                        continue  # "What size is the largest circle?" gives itself away
                    if set(members) <= set(ctx.index.having_attribute.get(value, ())):
                        continue  # every <name> has it: "the leftmost" would do no work
                    yield Deferred(value, partial(self._attribute_candidate, ctx, which, name, kind, value))

    def _name_candidate(self, ctx: GenContext, which: str, answer: str) -> Candidate:
        ext, ext_adv = _PHRASES[which]
        return Candidate(None, {"ext": ext, "ext_adv": ext_adv}, group="name",
                         distractors=likely_wrong_names(ctx.rng, ctx.vocab, answer, self.config.num_choices - 1,
                                                        ctx.index),
                         expected=answer, build=partial(_extreme_name_program, which), sides=which in SIDEWAYS,
                         vertical=which in UPRIGHT)

    def _attribute_candidate(self, ctx: GenContext, which: str, name: str, kind: str, answer: str) -> Candidate:
        ext, ext_adv = _PHRASES[which]
        one_ext = f"that is {ext_adv}" if ext_adv.startswith("the ") else ext_adv
        slots = {"ext": ext, "one_ext": one_ext, "kind": asked_kind(kind, answer), "name": name,
                 "names": plural(name)}
        wrong = likely_wrong_attributes(ctx.rng, ctx.vocab, kind, answer, self.config.num_choices - 1)
        group = kind_group(kind, answer, self.templates, "attribute")
        return Candidate(None, slots, group=group, distractors=wrong, plural=plural_slots(name=name),
                         expected=answer, build=partial(_extreme_attribute_program, name, which, kind),
                         sides=which in SIDEWAYS, vertical=which in UPRIGHT)


register("spatial.extreme.v1", family="spatial")(SpatialExtreme)
