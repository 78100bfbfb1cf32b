"""Object existence and counting."""

from __future__ import annotations

from bisect import bisect_right
from functools import partial
from typing import Any, Iterable

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator
from veriscene.generators.common import (
    MAX_PAIRED_OBJECTS,
    alike_present,
    name_query,
    name_set_nodes,
    sample_up_to,
    sorted_subset,
    uncountable_names,
)
from veriscene.generators.count_options import count_choices, wrong_counts
from veriscene.generators.registry import register
from veriscene.generators.vocabulary import absent_sample
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.describe import noun_phrase
from veriscene.text import counted_plural, is_uncountable, with_article


@mypyc_attr(allow_interpreted_subclasses=True)
class ObjectExists(Generator):
    """Is there an X? Negatives name objects of the data set that are absent from the scene."""

    answer_type = "bool"
    description = "Whether an object of a given name is in the image."
    templates = {
        "default": (
            "Is there {a_obj} in the image?",
            "Does the image contain {a_obj}?",
            "Can you see {a_obj} in this picture?",
            "Is {a_obj} present in the image?",
        )
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        present = sorted(ctx.index.by_name)
        asked = [(n, True) for n in present] + [(n, False) for n in absent_sample(ctx.rng, ctx.vocab, ctx.index, 4)]
        # one per name of the scene (dozens on dense scenes), one or two used: phrased only if picked
        yield Batch.of([expected for _, expected in asked], asked, self._make)

    def _make(self, name: str, expected: bool) -> Candidate:
        return Candidate(None, {"a_obj": with_article(name)}, expected=expected, distractors=[not expected],
                         build=partial(name_query, name, (), "exists"))


register("object.exists.v1", family="object")(ObjectExists)


@mypyc_attr(allow_interpreted_subclasses=True)
class CountObjects(Generator):
    """How many X (or attributed X) are there? Includes absent names (answer 0). Never a
    substance (`text.is_uncountable`: sky, grass, water): its boxes are patches drawn however the
    annotator chose, and "How many patches of sky?" has no answer in the image; nor a name the
    scene holds once at most by construction (`common.single_names`: a medical slice's liver,
    while its lesions are counted). The options are the other counts it asks on the scene
    (`count_options`)."""

    answer_type = "int"
    description = "Number of objects of a name, optionally with an attribute."
    templates = {
        "default": (
            "How many {objs} are there?",
            "How many {objs} are in the image?",
            "Count the {objs} in the image.",
            "What is the number of {objs} in this picture?",
        )
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        phrases: set[tuple[str, tuple[str, ...]]] = set()
        uncountable = uncountable_names(ctx.index)
        for i, name in enumerate(ctx.scene.names):
            if name in uncountable or not ctx.index.nameable(name):
                # a substance: "How many patches of sky?" counts how boxes were drawn; a crowd
                # region ("people" boxed as one) or a name not annotated in full: count unknown
                continue
            phrases.add((name, ()))
            for a in ctx.scene.attributes[i]:
                phrases.add((name, (a,)))
        # (an absent name held once at most: "How many spleens?" answered 0 asks presence too)
        absent = [n for n in absent_sample(ctx.rng, ctx.vocab, ctx.index, 2)
                  if not is_uncountable(n) and n not in uncountable and not alike_present(ctx.index, n)]
        phrases.update((n, ()) for n in absent[:1])
        phrases.update(_hard_zeros(ctx, phrases))
        having, by_name = ctx.index.having_attribute, ctx.index.by_name
        counts: list[int] = []
        asked: list[tuple[str, tuple[str, ...], int]] = []
        for name, attrs in sorted(phrases):
            members = by_name.get(name, ())
            if attrs:  # the members having every attribute
                held = set(members)
                for a in attrs:
                    held.intersection_update(having.get(a, ()))
                count = len(held)
            else:
                count = len(members)
            counts.append(count)
            asked.append((name, attrs, count))
        # options: the counts asked here, each as likely right as any other (`count_options`)
        choices = count_choices(counts)
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(counts, asked, partial(self._make, choices))

    def _make(self, choices: list[int], name: str, attrs: tuple[str, ...], count: int) -> Candidate:
        # counted as `counted` counts: "How many pairs of jeans", "How many patches of grass"
        return Candidate(None, {"objs": counted_plural(noun_phrase(name, attrs))}, expected=count,
                         distractors=wrong_counts(choices, count), build=partial(name_query, name, attrs, "count"))


register("object.count.v1", family="counting")(CountObjects)


def _hard_zeros(ctx: GenContext, phrases: set[tuple[str, tuple[str, ...]]]) -> list[tuple[str, tuple[str, ...]]]:
    """Phrases counting none of the scene's objects: a name it has with a value of an attribute
    type shown on it that none of them has ("green squares" beside red ones). As many as the
    scene has attributed phrases per plain name, so that a zero is not told by the phrase being
    plain (the absent name asked is plain, and most phrases counting some objects are not)."""
    plain = sum(1 for _, attrs in phrases if not attrs)
    attributed = len(phrases) - plain
    want = round(attributed / plain) if plain else 0
    if want == 0:
        return []
    # the pool: per name, the values of `unshown_values` (name, (value,)) in order; held as runs
    # of values by name, with their ends in the pool, and drawn from by position (the same draws)
    runs: list[tuple[str, list[str]]] = []
    ends: list[int] = []
    uncountable = uncountable_names(ctx.index)
    attributes = ctx.scene.attributes
    for name, members in sorted(ctx.index.by_name.items()):
        if not ctx.index.complete(name) or name in uncountable:
            continue
        shown = {a for i in members for a in attributes[i]}
        for others in ctx.vocab.unshown_values(shown).values():
            if others:
                runs.append((name, others))
                ends.append((ends[-1] if ends else 0) + len(others))
    picked: list[tuple[str, tuple[str, ...]]] = []
    for at in sample_up_to(ctx.rng, range(ends[-1] if ends else 0), want):
        run = bisect_right(ends, at)
        name, others = runs[run]
        picked.append((name, (others[at - (ends[run - 1] if run else 0)],)))
    return picked


# The comparisons `counting.compare` asks of each pair of names, in order.
_HOWS = ("greater", "less", "equal")


@mypyc_attr(allow_interpreted_subclasses=True)
class CompareCounts(Generator):
    """Are there more / fewer / as many X as Y? Pairs of names among at most
    `MAX_PAIRED_OBJECTS` of the scene's countable names (drawn at random when it has more; no
    substance, `text.is_uncountable`: "Are there more patches of grass than cups?", nor a name
    held once by construction, `common.single_names`)."""

    answer_type = "bool"
    description = "Compares the numbers of objects of two names."
    templates = {
        "greater": ("Are there more {as_} than {bs}?", "Is the number of {as_} greater than the number of {bs}?"),
        "less": ("Are there fewer {as_} than {bs}?", "Is the number of {as_} smaller than the number of {bs}?"),
        "equal": ("Are there as many {as_} as {bs}?", "Is the number of {as_} equal to the number of {bs}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        by_name = ctx.index.by_name
        uncountable = uncountable_names(ctx.index)
        countable = [name for name in by_name if name not in uncountable]
        # pairs of at most MAX_PAIRED_OBJECTS names (drawn at random on a scene with more)
        counts = [(name, len(by_name[name])) for name in sorted_subset(ctx.rng, countable, MAX_PAIRED_OBJECTS)]
        pairs = [(a, b) for a in counts for b in counts if a[0] != b[0]]
        # per pair: is there more of a, fewer, as many (`_HOWS`)
        truths = [t for (_, n_a), (_, n_b) in pairs for t in (n_a > n_b, n_a < n_b, n_a == n_b)]
        # 720 questions for 16 names, one or two used: made only if picked, from their number
        yield Batch(truths, partial(self._make_nth, pairs, truths))

    def _make_nth(self, pairs: list[tuple[tuple[str, int], tuple[str, int]]], truths: list[bool],
                  i: int) -> Candidate:
        pair, how = divmod(i, len(_HOWS))
        (a, _), (b_name, _) = pairs[pair]
        return self._make(a, b_name, _HOWS[how], truths[i])

    def _make(self, a: str, b_name: str, how: str, truth: bool) -> Candidate:
        return Candidate(None, {"as_": counted_plural(a), "bs": counted_plural(b_name)}, group=how, expected=truth,
                         distractors=[not truth], build=partial(_compare_program, a, b_name, how))


register("counting.compare.v1", family="counting")(CompareCounts)


def _compare_program(a: str, b_name: str, how: str) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    ca = b.add("count", name_set_nodes(b, a))
    cb = b.add("count", name_set_nodes(b, b_name))
    b.add("compare_int", ca, cb, args=[how])
    return b.program
