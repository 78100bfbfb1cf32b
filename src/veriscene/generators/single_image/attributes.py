"""Attribute questions: typed query ("What color is ...?") and existence ("Is there a red X?")."""

from __future__ import annotations

from functools import partial
from typing import Iterable, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.agreement import plural_slots
from veriscene.generators.base import Batch, Candidate, GenContext, Generator
from veriscene.generators.common import asked_kind, kind_group, name_query, referent_query, sample_up_to
from veriscene.generators.registry import register
from veriscene.generators.vocabulary_draws import likely_wrong_attributes
from veriscene.program.context import SceneIndex
from veriscene.program.ops import one_value
from veriscene.scene.describe import Referent, noun_phrase, refer
from veriscene.text import is_uncountable, unit_phrase, with_article
from veriscene.vocab import UNTYPED, attribute_class, attribute_type


@mypyc_attr(allow_interpreted_subclasses=True)
class QueryAttribute(Generator):
    """What <type> is the <uniquely described object>? The description never uses the queried type."""

    answer_type = "str"
    requires = ("attributes",)
    description = "The color, size, material, ... of a uniquely described object."
    templates = {
        "color": ("What color is {the_ref}?", "What is the color of {the_ref}?", "Which color does {the_ref} have?"),
        "size": ("What size is {the_ref}?", "How big is {the_ref}: what is its size?", "What is the size of {the_ref}?"),
        "material": ("What material is {the_ref} made of?", "What is {the_ref} made of?"),
        "finish": ("What kind of surface does {the_ref} have?", "What is the surface finish of {the_ref}?"),
        "shape": ("What shape is {the_ref}?", "What is the shape of {the_ref}?"),
        "pattern": ("What pattern does {the_ref} have?", "What is the pattern on {the_ref}?"),
        # vocab.SUBKINDS: not "Which height does the man have?"
        "height": ("Is {the_ref} tall or short?", "Would you say {the_ref} is tall or short?"),
        "typed": ("What is the {kind} of {the_ref}?", "Which {kind} does {the_ref} have?"),
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        answers: list[str] = []
        asked: list[tuple[GenContext, int, str, str, Referent]] = []
        for i, values in enumerate(asked_values(ctx.index)):
            for kind, value in sorted(values):  # by type
                ref = refer(ctx.index, i, exclude_types=(kind,))
                if ref is None:
                    continue
                answers.append(value)
                asked.append((ctx, i, kind, value, ref))
        # many per scene, one or two used: the options are listed only if picked
        yield Batch.of(answers, asked, self._make)

    def _make(self, ctx: GenContext, i: int, kind: str, value: str, ref: Referent) -> Candidate:
        own = ctx.scene.attributes[i]
        # weighted as answers arise: every word of a synonym class, frequent ones most
        distractors = likely_wrong_attributes(ctx.rng, ctx.vocab, kind, value, self.config.num_choices - 1, own)
        # "height" of a tall lamp: "Is the lamp tall or short?"; the "typed" templates say others
        group = kind_group(kind, value, self.templates, "typed")
        return Candidate(None, {"the_ref": ref.the, "kind": asked_kind(kind, value)}, group=group,
                         distractors=distractors,
                         expected=value, plural=plural_slots(the_ref=ref),
                         build=partial(referent_query, (ref,), "query_attribute", (kind,)))


register("attribute.query.v1", family="attribute")(QueryAttribute)


def asked_values(index: SceneIndex) -> list[list[tuple[str, str]]]:
    """Per object: (type, answer) of the attribute questions about it, each type once, in the
    order of its first word; the answer as `query_attribute` gives it (`one_value`: the one word
    of the type, or the first of synonyms, "big" of "big" and "large"); none for two values
    ("red" and "blue": "What color is it?" has no single answer) nor for untyped words. Computed
    once per scene index (several generators ask)."""
    return index.memo(("asked values",), lambda: [_asked_values(own) for own in index.scene.attributes])


def _asked_values(own: Sequence[str]) -> list[tuple[str, str]]:
    by_kind: dict[str, list[str]] = {}  # type -> its words, types in the order of their first word
    for a in own:
        kind = attribute_type(a)
        found = by_kind.get(kind)
        if found is None:
            by_kind[kind] = [a]
        else:
            found.append(a)
    asked = []
    for kind, words in by_kind.items():
        if kind != UNTYPED:
            value = words[0] if len(words) == 1 else one_value(own, kind)  # (one word: its value)
            if value is not None:
                asked.append((kind, value))
    return asked


@mypyc_attr(allow_interpreted_subclasses=True)
class AttributeExists(Generator):
    """Is there a <attr> <name>? Negatives keep the name and swap in an attribute of the same type
    that no object of that name has (a hard negative), as many of a type as the name shows values
    of it, so that the attribute asked does not tell the answer. Attributes of no known type are
    not asked (they have no negative)."""

    answer_type = "bool"
    requires = ("attributes", "attributes_in_full")
    description = "Whether an object with a given attribute is in the image."
    templates = {
        "default": (
            "Is there {a_phrase} in the image?",
            "Is any {one} in the image {attr}?",
            "Does the picture show {a_phrase}?",
        )
    }

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        answers: list[bool] = []
        asked: list[tuple[str, str, bool]] = []
        attributes = ctx.scene.attributes
        # attributes of no known type have no negative (no value of the same kind to swap in):
        # asked, they would always be "yes"; the scene's words of a known type:
        typed = {a for a in ctx.index.by_attribute if attribute_type(a) != UNTYPED}
        for name, members in sorted(ctx.index.by_name.items()):
            annotated = sorted({a for i in members for a in attributes[i] if a in typed})
            # one question per value: of synonyms ("big" and "large" on one name) the first only,
            # so that a value annotated twice is neither asked twice nor paired with two negatives
            classes: set[str] = set()
            present: list[str] = []
            shown: dict[str, int] = {}  # type -> values of it in `present`
            for a in annotated:
                klass = attribute_class(a)
                if klass not in classes:
                    classes.add(klass)
                    present.append(a)
                    kind = attribute_type(a)
                    shown[kind] = shown.get(kind, 0) + 1
            absent = []
            for kind, others in ctx.vocab.unshown_values(present).items():
                # as many negatives of a type as the name shows values of it: all of them would
                # make colours (many values) mostly "no" and sizes (two) mostly "yes", and the
                # attribute in the question would tell the answer
                absent += sample_up_to(ctx.rng, others, shown[kind])
            answers += [True] * len(present) + [False] * len(absent)
            asked += [(name, a, True) for a in present] + [(name, a, False) for a in absent]
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, self._make)

    def _make(self, name: str, attr: str, expected: bool) -> Candidate:
        # "Is any pair of jeans in the image white?" (`unit_phrase`), never "Is any jeans"; a
        # substance as it is: "Is any grass in the image green?"
        one = name if is_uncountable(name) else unit_phrase(name)
        slots = {"a_phrase": with_article(noun_phrase(name, (attr,))), "one": one, "attr": attr}
        return Candidate(None, slots, expected=expected, distractors=[not expected],
                         build=partial(name_query, name, (attr,), "exists"))


register("attribute.exists.v1", family="attribute")(AttributeExists)
