"""Object questions over listed names, and hallucination probes.

- object.frequency.v1: which of the listed kinds appears most (least) often.
- object.extreme_among.v1: among the listed kinds, which is the left-/right-/top-/bottom-most.
- object.absent.v1: POPE-style probes; "no" questions name objects that often co-occur with the
  scene's objects in the data set but are absent here (adversarial negatives), "yes" questions
  name present objects, so a model that says "yes" to whatever fits the scene is caught while
  yes/no stays balanced.

Listed names are always present in the scene (a name with no object cannot be "least frequent"
or "leftmost" for a viewer), and a question is asked only when its answer is unique (a strict
winner in counts; a clear margin in position, like spatial.extreme). A scene with many names
(Visual Genome's have 20-40) proposes at most `MAX_NAME_LISTS` lists, drawn at random.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import accumulate, combinations
from math import comb
from typing import Any, Iterable, Sequence

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import (
    naming_alike,
    name_query,
    name_set_nodes,
    shuffled,
    single_names,
    uncountable_names,
)
from veriscene.generators.registry import register
from veriscene.generators.single_image.spatial import FEW_LISTS, SIDEWAYS, UPRIGHT, SpatialConfig, clear_extremes_among
from veriscene.generators.vocabulary_draws import known_in_full, naming_present
from veriscene.program.builder import ProgramBuilder
from veriscene.text import counted_plural, join_words, plural, with_article


def listed_names_nodes(b: ProgramBuilder, names: Sequence[str]) -> int:
    """Append nodes selecting the union of objects named any of `names`; return its node."""
    node = name_set_nodes(b, names[0])
    for name in names[1:]:
        node = b.add("union", node, name_set_nodes(b, name))
    return node


def _listed_query(names: Sequence[str], op: str, arg: str, final_op: str | None = None) -> list[dict[str, Any]]:
    """Program: `op` (with argument `arg`) over the objects named any of `names`, then `final_op`."""
    b = ProgramBuilder()
    node = b.add(op, listed_names_nodes(b, names), args=[arg])
    if final_op is not None:
        b.add(final_op, node)
    return b.program


# Lists of names a generator proposes on one scene at most. A scene with up to 9 names has at
# most 120 lists of 2 or 3 names; Visual Genome's have 20-40 distinct names, and 35 names make
# 7,140 such lists for the one or two questions asked.
MAX_NAME_LISTS = 120


def name_lists(ctx: GenContext, max_names: int) -> list[tuple[str, ...]]:
    """Lists of 2..max_names present names, each in a random order (order of the wording): all
    of them, or when there are more than `MAX_NAME_LISTS`, that many draws of a list, every list
    equally likely (a list drawn twice is kept once)."""
    return name_table(ctx, max_names)[0]


def name_table(ctx: GenContext, max_names: int, few: int = -1,
               names: Sequence[str] | None = None) -> tuple[list[tuple[str, ...]], np.ndarray | None]:
    """`name_lists`, and the same lists as a (lists, most names) array of positions among the
    present names in sorted order, shorter lists padded with the number of present names; None
    in place of the array where there are at most `few` lists (which callers go through in plain
    Python: `FEW_LISTS`). `names`: the sorted present names to list, if not all of them."""
    present = sorted(ctx.index.by_name) if names is None else list(names)
    n, rng = len(present), ctx.rng
    sizes = range(2, min(max_names, n) + 1)
    counts = [comb(n, k) for k in sizes]
    if sum(counts) <= MAX_NAME_LISTS:
        rows = [shuffled(rng, combo) for k in sizes for combo in combinations(range(n), k)]
        lists = [tuple(map(present.__getitem__, row)) for row in rows]
        if len(rows) <= few:
            return lists, None
        width = sizes[-1] if rows else 0
        table = np.array([row + [n] * (width - len(row)) for row in rows], dtype=np.int64).reshape(len(rows), width)
        return lists, table
    # All draws at once: a size per list, as often as its lists; then per list a uniformly random
    # order of the names (the argsort of random keys), of which the first `size` are listed: k
    # distinct names in a random order. A list is kept the first time its set of names comes.
    ends = list(accumulate(counts))
    drawn_sizes = np.array(sizes)[np.searchsorted(ends, rng.integers(ends[-1], size=MAX_NAME_LISTS), side="right")]
    width = sizes[-1]
    table = _lowest_first(rng.random((MAX_NAME_LISTS, n)), width)
    table[np.arange(width)[None, :] >= drawn_sizes[:, None]] = n  # beyond a list's size: padding
    as_sets = np.sort(table, axis=1)
    if (n + 1) ** width < 2**62:  # one number per set of names (numpy's unique over rows is slower)
        as_sets = as_sets @ (n + 1) ** np.arange(width, dtype=np.int64)
    _, first = np.unique(as_sets, axis=0 if as_sets.ndim == 2 else None, return_index=True)  # each set's first list
    kept = np.sort(first)
    table = table[kept]
    named = np.array([*present, ""], dtype=object)[table].tolist()  # (the padding's name is cut off)
    lists = [tuple(row[:k]) for row, k in zip(named, drawn_sizes[kept].tolist())]
    return lists, table


def apart(ctx: GenContext, lists: list[tuple[str, ...]],
          table: np.ndarray | None) -> tuple[list[tuple[str, ...]], np.ndarray | None]:
    """`lists` and `table`'s rows less those listing a name that may name an object another
    present name names: "Which are there fewer of: men or people?", "Among the cars and people,
    what is the leftmost object?" where the leftmost person is a man (men are people:
    `overlapping_kinds`; "man" and "group of men": `name_kind`). Unchanged on a scene without
    such names (found once per scene index)."""
    alike = naming_alike(ctx.index)
    if not alike:
        return lists, table
    keep = [m for m, names in enumerate(lists) if alike.isdisjoint(names)]
    return [lists[m] for m in keep], (table[keep] if table is not None else None)


def _lowest_first(keys: np.ndarray, k: int) -> np.ndarray:
    """(rows, k) the positions of each row's k lowest values, lowest first, ties by position:
    `keys.argsort(axis=1, kind="stable")[:, :k]`, by k passes of `argmin` where the rows are long
    beside k (numpy's stable sort costs about 100 instructions per value, 400,000 for 120 rows of
    35; a pass about 55,000)."""
    if keys.shape[1] < 5 * k:
        return keys.argsort(axis=1, kind="stable")[:, :k]
    left = keys.copy()
    lowest = np.empty((len(keys), k), dtype=np.intp)
    rows = np.arange(len(keys))
    for j in range(k):
        at = lowest[:, j] = left.argmin(axis=1)  # the first of the lowest left: ties by position
        left[rows, at] = np.inf  # (the keys are below 1)
    return lowest


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class ListConfig(GeneratorConfig):
    max_names: int = 3  # names listed in one question (at least 2)


# The frequency templates' degree words: comparative when two kinds are listed ("Which are there
# more of: cups or plates?"), superlative for three or more
_DEGREES = {
    False: {"most": "most", "least": "least", "most_numerous": "the most numerous", "the_most": "the most",
            "fewest": "the fewest"},
    True: {"most": "more", "least": "less", "most_numerous": "more numerous", "the_most": "more", "fewest": "fewer"},
}


@mypyc_attr(allow_interpreted_subclasses=True)
class NameFrequency(Generator):
    """Which of the listed kinds of object appears most (least) often? Needs a strict winner."""

    answer_type = "str"
    Config = ListConfig
    description = "Which of the listed kinds of object appears most or least often."
    templates = {
        "most": ("Which kind of object appears {most} often in the image: {list_or}?",
                 "Of the {list_and} in the image, which are {most_numerous}?",
                 "Which are there {the_most} of in this picture: {list_or}?"),
        "least": ("Which kind of object appears {least} often in the image: {list_or}?",
                  "Of the {list_and} in the image, which are {fewest}?",
                  "Which are there {fewest} of in this picture: {list_or}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: ListConfig = self.config  # type: ignore[assignment]
        by_name = ctx.index.by_name
        # never a substance ("patches of sky") nor a name held once by construction: "Which are
        # there fewer of: lesions or livers?" is "liver" wherever two lesions show (`uncountable_names`)
        left_out = uncountable_names(ctx.index)
        countable = sorted(n for n in by_name if n not in left_out)
        lists, table = apart(ctx, *name_table(ctx, config.max_names, few=FEW_LISTS, names=countable))
        answers: list[str] = []
        asked: list[tuple[tuple[str, ...], str, str]] = []
        if len(lists) <= FEW_LISTS:  # a few lists: each in plain Python (numpy's calls cost more)
            for names in lists:
                counts = [len(by_name[n]) for n in names]
                most, least = max(counts), min(counts)
                # a list is asked both ways or not at all (see below)
                if counts.count(most) == 1 and counts.count(least) == 1:
                    for which, count in (("most", most), ("least", least)):
                        answer = names[counts.index(count)]
                        answers.append(answer)
                        asked.append((names, which, answer))
        else:
            # per list (all at once; (names, lists) arrays, reduced over the names, the first
            # axis: numpy's sorts along a short axis cost thousands of instructions per list):
            # whether its largest and its smallest count are unique, and whose they are; padding
            # counts as -1 for the largest and as more than any count for the smallest
            # (arrays named apart from the lists and ints of the branch above: compiled, a variable
            # keeps one type)
            assert table is not None  # made for more than FEW_LISTS lists
            count_table = np.array([len(by_name[n]) for n in countable] + [-1])[table.T]
            for_least = np.where(count_table < 0, len(ctx.scene) + 1, count_table)
            is_most, is_least = count_table == count_table.max(axis=0), for_least == for_least.min(axis=0)
            # a list is asked both ways or not at all: asked "most" alone where its fewest tie
            # (one tree beside one hat and five men), a frequent name was the answer wherever it
            # was listed, and the options alone gave it away
            clear = (is_most.sum(axis=0) == 1) & (is_least.sum(axis=0) == 1)
            positions = np.arange(len(count_table))[:, None]  # of the one name where the count is unique
            winners = zip((is_most * positions).sum(axis=0)[clear].tolist(),
                          (is_least * positions).sum(axis=0)[clear].tolist())
            for m, (top, bottom) in zip(np.flatnonzero(clear).tolist(), winners):  # lists in order
                names = lists[m]
                answers += [names[top], names[bottom]]
                asked += [(names, "most", names[top]), (names, "least", names[bottom])]
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, self._make)

    def _make(self, names: tuple[str, ...], which: str, answer: str) -> Candidate:
        plurals = [counted_plural(n) for n in names]  # "shirts or pairs of jeans": counted
        slots = {"list_or": join_words(plurals, "or"), "list_and": join_words(plurals), **_DEGREES[len(names) == 2]}
        return Candidate(None, slots, group=which, expected=answer, distractors=[n for n in names if n != answer],
                         build=partial(_listed_query, names, "frequent_name", which))


register("object.frequency.v1", family="object")(NameFrequency)


_EXTREMES = {
    "leftmost": ("leftmost", "furthest to the left"),
    "rightmost": ("rightmost", "furthest to the right"),
    "topmost": ("topmost", "closest to the top of the image"),
    "bottommost": ("bottommost", "closest to the bottom of the image"),
}
_WHICHES = tuple(_EXTREMES)


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class ExtremeAmongConfig(SpatialConfig):
    max_names: int = 3  # names listed in one question (at least 2)


@mypyc_attr(allow_interpreted_subclasses=True)
class ExtremeAmongNames(Generator):
    """Among the <listed kinds>, what is the leftmost (rightmost, topmost, bottommost) object?
    Asked only when the winner leads the runner-up by `position_margin` of the image size, and
    its box's outer side leads every other's by `spatial.EDGE_MARGIN` (by centres alone, a tall
    man whose head is higher than a short man's could be asked as the lower one)."""

    answer_type = "str"
    Config = ExtremeAmongConfig
    description = "Which of the listed kinds of object is the left-, right-, top- or bottom-most."
    templates = {
        "default": ("Among the {list_and}, what is the {ext} object?",
                    "Considering only the {list_and}, which object is {ext_adv}?",
                    "Looking at the {list_and} in the image, which kind of object is {ext_adv}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: ExtremeAmongConfig = self.config  # type: ignore[assignment]
        names_of = ctx.scene.names
        lists, table = apart(ctx, *name_table(ctx, config.max_names, few=FEW_LISTS))
        found = clear_extremes_among(ctx, lists, _WHICHES, config, table)
        answers = [names_of[member] for _, _, member in found]
        asked = [(lists[m], which, answer) for (m, which, _), answer in zip(found, answers)]
        # many per scene, one or two used: phrased only if picked; a name held once by
        # construction said in the singular ("Among the lesions and liver", not "livers")
        yield Batch.of(answers, asked, partial(self._make, single_names(ctx.index)))

    def _make(self, single: frozenset[str], names: tuple[str, ...], which: str, answer: str) -> Candidate:
        ext, ext_adv = _EXTREMES[which]
        listed = join_words([n if n in single else plural(n) for n in names])
        return Candidate(None, {"list_and": listed, "ext": ext, "ext_adv": ext_adv}, expected=answer,
                         distractors=[n for n in names if n != answer], sides=which in SIDEWAYS,
                         vertical=which in UPRIGHT,
                         build=partial(_listed_query, names, "extreme", which, "query_name"))


register("object.extreme_among.v1", family="object")(ExtremeAmongNames)


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class AbsentConfig(GeneratorConfig):
    adversarial: int = 3  # absent names per scene, most co-occurring with the scene's names first


@mypyc_attr(allow_interpreted_subclasses=True)
class AbsentObjectProbe(Generator):
    """Hallucination probe: Is there a <name>? "No" names are absent objects that co-occur most
    with the scene's objects in the data set; "yes" names are present (answers balanced)."""

    answer_type = "bool"
    Config = AbsentConfig
    description = "Hallucination probe: absent objects that often co-occur with the scene's objects (POPE-style)."
    templates = {
        "default": ("Is there {a_obj} in the image?",
                    "Look carefully: is there {a_obj} anywhere in this picture?",
                    "Does this image show {a_obj}?",
                    "Can you find {a_obj} in the image?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: AbsentConfig = self.config  # type: ignore[assignment]
        present = sorted(ctx.index.by_name)
        # never a name that may name a present object: "Is there a person?" is not "no" beside a man
        alike = naming_present(ctx.vocab, ctx.index)
        # the names whose absence the scene can tell: LVIS's exhaustive ones, a COCO image's
        # categories (never "Is there a window?" of one, in a run mixing it with Visual Genome)
        complete = known_in_full(ctx.vocab, ctx.index)
        if complete is None:
            absent = ctx.vocab.cooccurring_absent(present, limit=config.adversarial + len(alike))
        else:  # only names annotated in full can be absent
            absent = [n for n in ctx.vocab.cooccurring_absent(present) if n in complete]
        absent = [n for n in absent if n not in alike][: config.adversarial]
        # "yes" names chosen as the "no" ones are, among the scene's (else the most typical
        # names of a scene would mostly be asked absent, and the question would tell the answer)
        shown = ctx.vocab.cooccurring_present(present, config.adversarial)
        asks = [(n, True, "present") for n in shown] + [(n, False, "adversarial") for n in absent]
        # one per name of the scene (dozens on dense scenes), one or two used: phrased only if picked
        yield Batch.of([expected for _, expected, _ in asks], asks, self._make)

    def _make(self, name: str, expected: bool, probe: str) -> Candidate:
        return Candidate(None, {"a_obj": with_article(name)}, expected=expected, distractors=[not expected],
                         meta={"probe": probe}, build=partial(name_query, name, (), "exists"))


register("object.absent.v1", family="object")(AbsentObjectProbe)
