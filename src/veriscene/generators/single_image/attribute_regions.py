"""Attributes by region and by count, and region descriptions.

- attribute.region.v1: What attributes does the object in region [box] have? (str_set)
- attribute.count.v1: How many red objects are there? (int; absent attributes give 0)
- region.describe.v1: Describe the object in region [box] (text: "a large shiny red circle";
  a description is scored by free-form matching, so its answer type is text, not str).

A region is the object's box as the question shows it (`box_format`, read back to pixels); it is
used only when it can mean that object alone (`regions.clear_regions_mask`: no other object fills
it or lies mostly inside it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, Iterable

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator, OpenAnswerNotes
from veriscene.generators.common import Later, sample_up_to
from veriscene.generators.count_options import count_choices, wrong_counts
from veriscene.generators.registry import register
from veriscene.generators.relation_options import wrong_options
from veriscene.generators.regions import clear_regions_mask, coord_meta, shown_box, shown_boxes_norm1
from veriscene.generators.vocabulary import Without
from veriscene.generators.vocabulary_draws import option_names
from veriscene.program.builder import ProgramBuilder
from veriscene.scene.describe import adjective_order, noun_phrase
from veriscene.scene.model import Scene
from veriscene.text import with_article
from veriscene.vocab import (
    UNTYPED,
    attribute_class,
    attribute_type,
    compatible_attributes,
    related_attributes,
)


def region_object_nodes(b: ProgramBuilder, box: list[float]) -> int:
    """Append scene + region + object_in_region; return the Object node."""
    return b.add("object_in_region", b.add("scene", args=[0]), b.add("region", args=box))


class ClearRegions(Mapping[int, tuple[str, list[float]]]):
    """Object index -> (shown region text, region in pixels) for the objects a region can name,
    in ascending order. A text is made on first use: dense scenes have dozens of clear regions,
    and a question shows one or two."""

    def __init__(self, scene: Scene, box_format: str, objects: list[int],
                 shown: dict[int, tuple[str, list[float]]] | None = None) -> None:
        self._scene, self._box_format = scene, box_format
        self._objects = objects
        self._members = frozenset(objects)
        self._shown = {} if shown is None else shown

    def __getitem__(self, i: int) -> tuple[str, list[float]]:
        found = self._shown.get(i)
        if found is None:
            if i not in self._members:
                raise KeyError(i)
            found = self._shown[i] = shown_box(self._scene, self._scene.boxes[i].tolist(), self._box_format)
        return found

    def __contains__(self, i: object) -> bool:
        return i in self._members

    def __iter__(self) -> Iterator[int]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)


def clear_regions(ctx: GenContext, box_format: str) -> ClearRegions:
    """The scene's clear regions (computed once per scene index; read-only)."""

    def compute() -> ClearRegions:
        scene = ctx.scene
        if len(scene) == 0:
            return ClearRegions(scene, box_format, [])
        if box_format == "norm1":  # every region read back at once, phrased only when used
            clear = clear_regions_mask(scene, shown_boxes_norm1(scene, scene.boxes))
            return ClearRegions(scene, box_format, np.flatnonzero(clear).tolist())
        shown = [shown_box(scene, box, box_format) for box in scene.boxes.tolist()]
        clear = clear_regions_mask(scene, np.array([box for _, box in shown], dtype=np.float64))
        objects = np.flatnonzero(clear).tolist()
        return ClearRegions(scene, box_format, objects, {i: shown[i] for i in objects})

    return ctx.index.memo(("clear_regions", box_format), compute)


def swaps(ctx: GenContext, own: Sequence[str]) -> list[tuple[str, str]]:
    """(a, other) for each typed attribute a of `own` and each word `other` of its type that makes
    a wrong description in its place: one word per synonym class (`attribute_choices`), not in
    `own` and unable to hold with a (`compatible_attributes`: not "large" for "big")."""
    found = []
    for a in own:
        kind = attribute_type(a)
        if kind == UNTYPED:
            continue
        ruled_out = compatible_attributes(a)
        found += [(a, other) for other in ctx.vocab.attribute_choices(kind)
                  if other not in own and other not in ruled_out]
    return found


def same_meaning(own: Sequence[str]) -> Callable[[Sequence[str]], bool]:
    """A test of whether a set of attributes says what `own` says, up to synonyms
    ("big, red" and "large, red")."""
    classes = frozenset(map(attribute_class, own))
    return lambda attrs: len(attrs) >= len(classes) and frozenset(map(attribute_class, attrs)) == classes


def said_of(own: Sequence[str]) -> Callable[[Sequence[str]], bool]:
    """A test of whether a set of attributes says nothing of an object with `own` that `own` does
    not, up to synonyms: "concrete" of a concrete oval thing, none at all ("a shirt" of a huge
    shirt). Such a set describes the object too, so it is no wrong option; `same_meaning` is the
    case of the sets saying all of `own`."""
    classes = frozenset(map(attribute_class, own))
    return lambda attrs: classes.issuperset(map(attribute_class, attrs))


def attribute_text(attributes: Iterable[str]) -> str:
    """Attributes in English adjective order, comma separated: "large, shiny, red"."""
    return ", ".join(adjective_order(attributes))  # as annotated: "on", not "switched-on"


@mypyc_attr(allow_interpreted_subclasses=True)
class RegionAttributes(Generator):
    """What attributes does the object in region [box] have? Answer: all its attributes.
    Options swap one attribute for another of the same type, or are other objects' sets."""

    answer_type = "str_set"
    requires = ("attributes", "attributes_in_full")
    description = "All attributes of the object in a given region."
    templates = {
        "default": ("What attributes does the object in the region {region} have?",
                    "List the attributes of the object inside the box {region}.",
                    "Which properties describe the object located at {region}?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        attributes = ctx.scene.attributes
        shown = [i for i in sorted(clear_regions(ctx, self.config.box_format)) if attributes[i]]
        # phrased only if picked
        yield Batch.of([sorted(attributes[i]) for i in shown], [(ctx, i) for i in shown], self._make)

    def _make(self, ctx: GenContext, i: int) -> Candidate:
        text, box = clear_regions(ctx, self.config.box_format)[i]
        own = ctx.scene.attributes[i]
        b = ProgramBuilder()
        b.add("query_attributes", region_object_nodes(b, box))

        def options() -> list[list[str]]:  # made only for multiple choice (`Later`)
            distractors = [sorted([x for x in own if x != a] + [other]) for a, other in swaps(ctx, own)]
            # (not a set another object has that is true of this one: "concrete" of a concrete oval)
            true_of = said_of(own)
            return distractors + [sorted(attrs) for attrs in ctx.scene.attributes if attrs and not true_of(attrs)]

        return Candidate(b.program, {"region": text}, expected=sorted(own), distractors=Later(options),
                         meta=coord_meta(ctx.scene, self.config.box_format))

    def choice_text(self, value: Any, scene: Scene) -> str:
        return attribute_text(value)


register("attribute.region.v1", family="attribute")(RegionAttributes)


@mypyc_attr(allow_interpreted_subclasses=True)
class CountAttribute(Generator):
    """How many <attribute> objects are there? Includes an attribute of the data set that no
    object here has, nor a synonym of it (answer 0). Attributes whose synonyms some object has
    are not asked (the count would be of words). The options are the other counts it asks on the
    scene (`count_options`)."""

    answer_type = "int"
    requires = ("attributes", "attributes_in_full")
    description = "How many objects have a given attribute."
    templates = {
        "default": ("How many {attr} objects are there?", "How many objects in the image are {attr}?",
                    "Count the {attr} objects in this picture.", "What is the number of {attr} objects?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        held = ctx.index.by_attribute
        # not an attribute whose synonym (or a word that may mean it) another object has: "How
        # many large objects?" beside a "big" one counts words, not sizes
        related = {a: related_attributes(a) for a in held}
        present = sorted(a for a in held if all(w == a or w not in held for w in related[a]))
        absent = Without(ctx.vocab.attribute_list(), set().union(held, *related.values()))
        asked = present + sample_up_to(ctx.rng, absent, 1)
        counts = [len(ctx.index.having_attribute.get(attr, ())) for attr in asked]
        # options: the counts asked here, each as likely right as any other (`count_options`)
        choices = count_choices(counts)  # shared: read-only
        # one per attribute of the scene (dozens on dense scenes), one or two used: made only if picked
        yield Batch.of(counts, [(attr, count, choices) for attr, count in zip(asked, counts)], self._make)

    def _make(self, attr: str, count: int, choices: list[int]) -> Candidate:
        return Candidate(None, {"attr": attr}, expected=count, distractors=wrong_counts(choices, count),
                         build=partial(_count_attribute_program, attr))


register("attribute.count.v1", family="attribute")(CountAttribute)


def _count_attribute_program(attr: str) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    b.add("count", b.add("filter_attribute", b.add("scene", args=[0]), args=[attr]))
    return b.program


def name_options(ctx: GenContext, name: str, answer: str, box_format: str,
                 same: Callable[[Sequence[str]], bool]) -> list[str]:
    """The wrong options of a region described by its name alone ("a car"): the descriptions of
    the scene's other clear regions (the answers it asks here; none of the same name whose
    attributes say what `same` says), or, where it has none, one name drawn by the data set's
    object counts (`relation_options.wrong_options`). Its other objects and three names drawn
    uniformly from the data set's offered "a person" (a seventh of the COCO-shaped answers)
    too seldom as a wrong option: right 139 of the 321 times offered on 1,000 scenes. On a scene
    of a closed category list, names of its set alone (`option_names`: "a window" may be right
    of a COCO image's box)."""
    scene = ctx.scene
    others = {with_article(noun_phrase(scene.names[j], scene.attributes[j])) for j in clear_regions(ctx, box_format)
              if scene.names[j] != name or not same(scene.attributes[j])}
    others.discard(answer)
    if others:
        return sorted(others)
    names, key = option_names(ctx.vocab, ctx.index)
    drawn = wrong_options(ctx.rng, 1, Without(names, (name,)), name.__ne__, ctx.vocab.names, vocab=ctx.vocab, key=key)
    return [with_article(noun_phrase(n, ())) for n in drawn]


@mypyc_attr(allow_interpreted_subclasses=True)
class DescribeRegion(OpenAnswerNotes, Generator):
    """Describe the object in region [box]: its name with every attribute ("a large shiny red
    circle"). Options are other objects' descriptions and one-attribute swaps."""

    answer_type = "text"
    description = "Short description (name and attributes) of the object in a given region."
    # how to answer, said in open questions only (before options it read as a second instruction)
    open_notes = ("briefly", "say_all")
    templates = {
        "default": ("Describe the object in the region {region}{briefly}.",
                    "What is the object inside the box {region}?{say_all}",
                    "Briefly describe what is located at {region}."),
        # objects annotated without attributes (COCO, ...): the answer is "a car"
        "name": ("What is the object in the region {region}?",
                 "What object is inside the box {region}?",
                 "Name the object located at {region}."),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        scene = ctx.scene
        shown = sorted(clear_regions(ctx, self.config.box_format))
        # phrased only if picked
        yield Batch.of([with_article(noun_phrase(scene.names[i], scene.attributes[i])) for i in shown],
                       [(ctx, i) for i in shown], self._make)

    def _make(self, ctx: GenContext, i: int) -> Candidate:
        scene = ctx.scene
        text, box = clear_regions(ctx, self.config.box_format)[i]
        name, own = scene.names[i], scene.attributes[i]
        b = ProgramBuilder()
        b.add("describe_object", region_object_nodes(b, box))
        answer = with_article(noun_phrase(name, own))
        # drawn now, phrased when read; of its set's names alone on a scene of a closed category list
        names = sample_up_to(ctx.rng, option_names(ctx.vocab, ctx.index)[0], 3)

        def options() -> list[str]:  # made only for multiple choice (`Later`)
            meaning = same_meaning(own)
            if not own:  # a name alone: the scene's other answers (`name_options`)
                return name_options(ctx, name, answer, self.config.box_format, meaning)
            # other objects, unless of the same name with nothing said of them this one lacks (up to
            # synonyms): "a shirt" or "a big shirt" is true of a big shirt too
            true_of = said_of(own)
            distractors = [with_article(noun_phrase(scene.names[j], scene.attributes[j]))
                           for j in range(len(scene)) if scene.names[j] != name or not true_of(scene.attributes[j])]
            for a, other in swaps(ctx, own):
                distractors.append(with_article(noun_phrase(name, tuple(x for x in own if x != a) + (other,))))
            distractors += [with_article(noun_phrase(n, own)) for n in names]
            return [d for d in distractors if d != answer]

        slots = {"region": text, "briefly": " in a few words", "say_all": " Give its attributes and name."}
        return Candidate(b.program, slots, group="default" if own else "name", expected=answer,
                         distractors=Later(options), meta=coord_meta(scene, self.config.box_format))


register("region.describe.v1", family="region")(DescribeRegion)
