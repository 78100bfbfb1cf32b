"""Comparing object counts between images (family multi_compare).

- multi.most_objects.v1 / multi.least_objects.v1: which image has the most (fewest) X? Partners
  come from `with_name(X)`, so every image of the group has at least one X and the question needs
  real counting; a draw whose maximum (minimum) is tied is discarded (`argmax_image{n}` fails on a
  tie too) and redrawn, at most `redraws` times.
- multi.count_compare.v1: are there more / fewer / as many X in Image i as in Image j? For a
  pair exactly one of the three holds, so every group yields yes and no candidates and the
  runner's answer balancing makes yes/no 50/50.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, ClassVar

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GroupContext
from veriscene.generators.common import sample_up_to
from veriscene.generators.multi_image.common import (
    GroupGenerator,
    alike_names,
    count_in,
    count_node,
    countable_names,
    counted_in,
    image_label,
    images_phrase,
    per_image,
    position,
    shuffled,
)
from veriscene.generators.registry import register
from veriscene.program.builder import ProgramBuilder
from veriscene.text import counted_plural


@mypyc_attr(allow_interpreted_subclasses=True)
class _ExtremeCount(GroupGenerator):
    """Shared body of most/least: `final` is the selection op, `pick_max` its direction."""

    answer_type = "image_index"
    in_order = True  # the group is shuffled: the answer position is uniform by construction
    final: ClassVar[str] = ""
    pick_max: ClassVar[bool] = True
    # the templates' degree words by whether the group is of two images: comparative for two
    # ("Which image has more cups?", "the larger number of"), superlative for three or four
    degree: ClassVar[dict[bool, dict[str, str]]] = {}
    redraws: ClassVar[int] = 2  # fresh groups tried per name when counts tie

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        for name in sample_up_to(ctx.rng, countable_names(ctx.index), 2):
            known = counted_in(ctx.pool, (name,), alike_names(ctx, (name,)))
            for _ in range(self.redraws):
                n = self.group_size(ctx)
                others = self.partners(ctx, n - 1, accept=known, among=ctx.pool.with_name(name))
                if others is None:
                    break  # the pool has too few scenes with this name
                scenes = shuffled(ctx, [ctx.scene, *others])
                counts = [count_in(ctx.index_of(s), name) for s in scenes]
                best = max(counts) if self.pick_max else min(counts)
                if counts.count(best) != 1:
                    continue
                answer = counts.index(best)
                yield Candidate(
                    None, {"objs": counted_plural(name), **self.degree[n == 2]}, expected=answer, scenes=scenes,
                    distractors=[i for i in range(n) if i != answer],
                    build=partial(per_image, n, partial(count_node, name=name), self.final),
                    meta={"counts": counts},
                )
                break


@mypyc_attr(allow_interpreted_subclasses=True)
class WhichHasMost(_ExtremeCount):
    """Which image has the most X? (every image has at least one X; the maximum is unique)"""

    description = "Which of 2-4 images has the largest number of objects of a given name."
    final = "argmax_image"
    pick_max = True
    degree = {False: {"most": "the most", "largest": "the largest"}, True: {"most": "more", "largest": "the larger"}}
    templates = {
        "default": (
            "Which image has {most} {objs}?",
            "In which of the images are there {most} {objs}?",
            "Which image contains {largest} number of {objs}?",
            "Count the {objs} in each image. Which image has {most}?",
        )
    }


register("multi.most_objects.v1", family="multi_compare")(WhichHasMost)


@mypyc_attr(allow_interpreted_subclasses=True)
class WhichHasLeast(_ExtremeCount):
    """Which image has the fewest X? (every image has at least one X; the minimum is unique)"""

    description = "Which of 2-4 images has the smallest number of objects of a given name."
    final = "argmin_image"
    pick_max = False
    degree = {False: {"fewest": "the fewest", "smallest": "the smallest"},
              True: {"fewest": "fewer", "smallest": "the smaller"}}
    templates = {
        "default": (
            "Which image has {fewest} {objs}?",
            "In which of the images are there {fewest} {objs}?",
            "Which image contains {smallest} number of {objs}?",
            "Count the {objs} in each image. Which image has {fewest}?",
        )
    }


register("multi.least_objects.v1", family="multi_compare")(WhichHasLeast)


@mypyc_attr(allow_interpreted_subclasses=True)
class CompareCountsAcross(GroupGenerator):
    """Are there more / fewer / as many X in Image i as in Image j? Image j is drawn from
    `with_name(X)` half of the time and from the whole pool otherwise (counts of 0 included)."""

    answer_type = "bool"
    description = "Compares the number of objects of a name in two of 2-4 images."
    templates = {
        "greater": (
            "Are there more {objs} in {img_a} than in {img_b}?",
            "Does {img_a} contain more {objs} than {img_b}?",
            "Compared with {img_b}, does {img_a} have more {objs}?",
        ),
        "less": (
            "Are there fewer {objs} in {img_a} than in {img_b}?",
            "Does {img_a} contain fewer {objs} than {img_b}?",
            "Compared with {img_b}, does {img_a} have fewer {objs}?",
        ),
        "equal": (
            "Are there as many {objs} in {img_a} as in {img_b}?",
            "Do {both} contain the same number of {objs}?",
            "Is the number of {objs} the same in {both}?",
        ),
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        for name in sample_up_to(ctx.rng, countable_names(ctx.index), 2):
            n = self.group_size(ctx)
            among = ctx.pool.with_name(name) if ctx.rng.random() < 0.5 else None
            others = self.partners(ctx, n - 1, accept=counted_in(ctx.pool, (name,), alike_names(ctx, (name,))), among=among)
            if others is None:
                continue
            scenes = shuffled(ctx, [ctx.scene, *others])
            a, b = position(scenes, ctx.scene), position(scenes, others[0])
            if ctx.rng.random() < 0.5:
                a, b = b, a
            ca, cb = count_in(ctx.index_of(scenes[a]), name), count_in(ctx.index_of(scenes[b]), name)
            truth = {"greater": ca > cb, "less": ca < cb, "equal": ca == cb}
            slots = {"objs": counted_plural(name), "img_a": image_label(a), "img_b": image_label(b),
                     "both": images_phrase(sorted((a, b)))}  # said together, in their order
            for how, expected in truth.items():
                yield Candidate(None, slots, group=how, expected=expected, distractors=[not expected], scenes=scenes,
                                build=partial(_compare_program, name, a, b, how))


register("multi.count_compare.v1", family="multi_compare")(CompareCountsAcross)


def _compare_program(name: str, a: int, b: int, how: str) -> list[dict[str, Any]]:
    prog = ProgramBuilder()
    prog.add("compare_int", count_node(prog, a, name), count_node(prog, b, name), args=[how])
    return prog.program
