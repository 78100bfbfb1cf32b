"""What the images share and what sets one apart (family multi_aggregate).

- multi.common_objects.v1: which kinds of objects appear in every image? (str_set)
- multi.common_attributes.v1: which colors (sizes, ...) appear in every image, optionally among
  the objects of one name? (str_set)
- multi.only_in.v1: which kinds of objects appear in Image k and in none of the others? (str_set;
  when that answer lists more than `max_answer_items` names, group "listed": which of these
  names, listed in the question, appear in Image k and in none of the others? - possibly none)
(multi.exists_all.v1, is there an X in every image?, is in `exists_all`.)

Set answers are never empty (an empty intersection is a degenerate question; a listed question
may answer "none": its candidates make it a question), hold at most
`max_answer_items` words (`SetConfig`: a list of 26 names is no answer to write or score; dense
Visual Genome scenes gave them) and are written as comma-joined sorted lists in options. Wrong
sets are other sets of the answer's size drawn from its words and a few others (`same_size_sets`:
names some but not all images have, weighted by how often the data set holds them), different
sets by construction, so none is also correct; a listed only_in question's are near misses (the
answer plus a listed name, minus one, or with one swapped: `set_distractors`). Names of one kind
("man", "men", "group of men": `vocabulary_draws.name_kind`) that would make an answer
disputable are not asked (`common_kinds_disputed`, `only_kinds_disputed`). A lone common value's
wrong options are single words that cannot hold with it, drawn as attribute.query draws them
(`likely_wrong_attributes`: weighted against how seldom a word may be offered, never every class
left): drawn among the images' other values, a broad word seldom wrong where offered ("patterned",
wrong only beside "plain") was right 17 of the 21 times offered on 1,000 Visual Genome-shaped scenes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from mypy_extensions import mypyc_attr

from veriscene.generators.base import Candidate, GeneratorConfig, GroupContext, OpenAnswerNotes
from veriscene.generators.common import Later, sample_up_to
from veriscene.generators.multi_image.common import (
    GroupGenerator,
    alike_names,
    all_of,
    chain,
    counted_in,
    folded,
    holding,
    image_label,
    missing,
    position,
    shuffled,
)
from veriscene.generators.registry import register
from veriscene.generators.vocabulary import Without
from veriscene.generators.multi_image.set_options import (
    EXTRA_WORDS,
    LONE_POWER,
    MEMBER_POWER,
    common_kinds_disputed,
    kinds_of,
    listed_names,
    none_offered,
    only_kinds_disputed,
    same_size_sets,
    set_distractors,
)
from veriscene.generators.vocabulary_draws import (
    closed_names,
    likely_set_attributes,
    likely_set_names,
    likely_wrong_attributes,
    name_kind,
)
from veriscene.program.builder import ProgramBuilder
from veriscene.program.context import SceneIndex
from veriscene.scene.model import Scene
from veriscene.text import number_word, plural
from veriscene.vocab import (
    UNTYPED,
    attribute_class,
    attribute_type,
    attribute_types_version,
    implying_attributes,
    related_attributes,
)


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class SetConfig(GeneratorConfig):
    # the most words an answer lists: a group whose answer lists more is not asked. 10 keeps
    # every set answer of the demo (at most 5), of CLEVR-shaped scenes (7) and the common objects
    # and attributes of Visual Genome-shaped ones (9, 10); their only_in answers list 26 names
    # (median; 12-44) and are asked of a few listed names instead (`OnlyIn`)
    max_answer_items: int = 10


# Names a listed only_in question offers (fewer when the cap or the images' names are fewer):
# enough for answers of none to several, few enough to read each against the images.
LISTED_NAMES = 6
# Other groups of the anchor a common objects question draws for its wrong sets (`other_answers`):
# with 8, one question in five of two or more names on Visual Genome-shaped scenes got three; 24: most.
OTHER_GROUPS = 24


def every_image(n: int) -> str:
    """How a question of n images says all of them: "both images" for two ("Is there a cup in
    every image?" asks of three or more), else "every image"."""
    return "both images" if n == 2 else "every image"


def _names_node(b: ProgramBuilder, image: int) -> int:
    return b.add("names_in", b.add("scene", args=[image]))


def _among_node(words: tuple[str, ...], b: ProgramBuilder, image: int) -> int:
    return b.add("names_among", b.add("scene", args=[image]), args=[list(words)])


def _closed_group(scenes: Sequence[Scene]) -> bool:
    """Whether a group holds a scene of a closed category list (COCO: ``meta["category_set"]``),
    which may show a window, a tree or the sky unannotated: "which kinds of objects appear in
    every image?" (or in Image k alone) has answers no list of its objects holds, so such a group
    is asked of a few listed names."""
    return any(scene.meta.get("category_set") is not None for scene in scenes)


@mypyc_attr(allow_interpreted_subclasses=True)
class CommonObjects(OpenAnswerNotes, GroupGenerator):
    """Which kinds of objects appear in every image? Partners come from `with_name(X)` for an
    anchor name X, so the answer holds at least X. A group with a scene of a closed category
    list (`_closed_group`) is asked which of a few listed names appear in every image (group
    "listed", as `OnlyIn` lists names)."""

    answer_type = "str_set"
    Config = SetConfig
    description = "The object names present in every one of 2-4 images."
    templates = {
        "default": (
            "Which kinds of objects appear in {every_image}?",
            "What kinds of objects do the {n} images have in common?",
            "List the object types that are present in each of the {n} images.",
        ),
        "listed": (
            # the answer may be none of them: said in open questions (see `OnlyIn`)
            "Which of these appear in {every_image}: {listed}?{none_do}",
            "Of {listed}, which do the {n} images all contain?{none}",
            "Which of {listed} are present in each of the {n} images?{none_are}",
        ),
    }
    open_notes = ("none_do", "none", "none_are")

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        # partners that annotate every name of the anchor in full: a COCO image without a window
        # annotated may still show one (`counted_in`: none asked of a run without such images);
        # and of an anchor of a closed category list (COCO), partners of its categories alone
        full = counted_in(ctx.pool, sorted(ctx.index.by_name))
        closed = closed_names(ctx.vocab, ctx.index)
        if closed is not None:
            full = all_of([full, lambda e: closed.issuperset(e.names)])
        for name in sample_up_to(ctx.rng, sorted(ctx.index.by_name), 2):
            n = self.group_size(ctx)
            others = self.partners(ctx, n - 1, among=ctx.pool.with_name(name), accept=full)
            if others is None:
                continue
            scenes = shuffled(ctx, [ctx.scene, *others])
            sets = [set(s.names) for s in scenes]
            common = sorted(set.intersection(*sets))
            if len(common) > self.config.max_answer_items:  # type: ignore[attr-defined]
                continue
            near = sorted(set.union(*sets) - set(common))
            if common_kinds_disputed(common, near, sets):
                continue  # "man" in one image, "group of men" in the other: are men common?
            # not "man, men": a near name of an answer's kind is neither right nor wrong added
            answered = kinds_of(common)
            near = [n for n in near if name_kind(n) not in answered]
            if _closed_group(scenes):
                listed = self._listed(ctx, n, scenes, common, near)
                if listed is not None:
                    yield listed
                continue
            power = LONE_POWER if len(common) == 1 else MEMBER_POWER
            drawn = likely_set_names(ctx.rng, ctx.vocab, EXTRA_WORDS, common, among=near or None, power=power)
            extra = [w for w in drawn if name_kind(w) not in answered and _closed_on(ctx, scenes, w)]
            yield Candidate(None, {"n": number_word(n), "every_image": every_image(n)}, expected=common, scenes=scenes,
                            distractors=self.other_answers(ctx, n, common, extra, self.config.num_choices - 1),
                            build=partial(folded, n, _names_node, "set_intersect"))

    def _listed(self, ctx: GroupContext, n: int, scenes: tuple[Scene, ...], common: list[str],
                near: Sequence[str]) -> Candidate | None:
        """Which of a few names appear in every image: the answer's names and names of some
        images but not all (none a closed image may show unannotated: `_closed_on`), their
        number drawn as `listed_names` draws it; None where fewer than two names are left."""
        near = [w for w in near if _closed_on(ctx, scenes, w)]
        cap = self.config.max_answer_items  # type: ignore[attr-defined]
        words, answer = listed_names(ctx.rng, common, near, (), min(cap, LISTED_NAMES))
        if len(words) < 2:
            return None
        wrong = set_distractors(ctx.rng, answer, [w for w in words if w not in answer])
        if answer and none_offered(ctx.rng, len(words), len(near), self.config.num_choices):
            wrong = [[], *wrong[:self.config.num_choices - 2]]  # "none" as often wrong as right
        slots = {"n": number_word(n), "every_image": every_image(n), "listed": ", ".join(words),
                 "none_do": " Answer none if none do.", "none": " Answer none if none.",
                 "none_are": " Answer none if none are."}
        return Candidate(None, slots, group="listed", expected=answer, scenes=scenes, distractors=wrong,
                         build=partial(folded, n, partial(_among_node, tuple(words)), "set_intersect"))

    def other_answers(self, ctx: GroupContext, n: int, common: list[str], extra: Sequence[str],
                      k: int) -> Sequence[list[str]]:
        """Up to k wrong sets of the answer's size (two or more names): the names in every image of
        other groups of the anchor's (partners holding another of its names; of a longer list, its
        most frequent names), topped up with `same_size_sets`' (a lone name's are those alone).
        Drawn from the answer's names and a few others alone, a set left out 'man' as often as a
        rare name, though nearly every Visual Genome image holds a man: such a set ("shirt,
        window") was never right (0 of 25 times offered on 1,000 scenes), sets with 'man' were.
        The other groups are drawn only when the options are read (`Later`: a multiple choice,
        not an open question), with a generator of their own seeded by the run's at this point,
        and as many sets are offered as before: the run's draws (groups, answers, option order)
        are those it made before."""
        drawn = same_size_sets(ctx.rng, common, extra, k)
        if len(common) < 2:
            return drawn
        seed = zlib.crc32(repr(ctx.rng.bit_generator.state).encode())
        return Later(partial(self._other_groups, ctx, seed, n, common, drawn))

    def _other_groups(self, ctx: GroupContext, seed: int, n: int, common: list[str],
                      drawn: list[list[str]]) -> list[list[str]]:
        """`other_answers`' sets: other groups' common names first, then `drawn`'s."""
        draws = replace(ctx, rng=np.random.default_rng(seed))
        answered = kinds_of(common)
        found: list[list[str]] = []
        for name in sample_up_to(draws.rng, sorted(ctx.index.by_name), OTHER_GROUPS):
            others = self.partners(draws, n - 1, among=ctx.pool.with_name(name))
            if others is None:
                continue
            got = sorted(set(ctx.scene.names).intersection(*(s.names for s in others)))
            if len(got) > len(common):
                got = sorted(sorted(got, key=lambda w: (-ctx.vocab.images[w], w))[:len(common)])
            if (len(got) == len(common) and got != common and got not in found
                    and not common_kinds_disputed(got, (), ())  # not "man, men"
                    and all(w in common or name_kind(w) not in answered for w in got)):
                found.append(got)
                if len(found) == len(drawn):
                    break
        return (found + [s for s in drawn if s not in found])[:len(drawn)]


register("multi.common_objects.v1", family="multi_aggregate")(CommonObjects)


@mypyc_attr(allow_interpreted_subclasses=True)
class CommonAttributes(GroupGenerator):
    """Which colors (sizes, ...) appear in every image - on any object ("any") or on the objects of
    one name ("named")? Partners come from `annotated_with(a)` for a value a of the anchor: the
    answer lists annotated words (`attribute_values`), and a partner annotated with a synonym of
    a only ("large" for "big") makes a group that is not asked (see below).
    Degenerate answers are rejected: empty, or every value of that type in the data set."""

    answer_type = "str_set"
    Config = SetConfig
    requires = ("attributes", "attributes_in_full")
    description = "The attribute values of a type present in every one of 2-4 images."
    templates = {
        "any": (
            "Which {kinds} appear in {every_image}?",
            "Which {kinds} can be found in each of the {n} images?",
            "What {kinds} do the {n} images have in common?",
        ),
        "named": (
            "Which {kinds} do the {objs} have in {every_image}?",
            "In each of the {n} images, which {kinds} can be found among the {objs}?",
            "Which {kinds} of {objs} appear in each of the {n} images?",
        ),
    }

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        held = sorted({(kind, a, name) for name, attrs in zip(ctx.scene.names, ctx.scene.attributes)
                       for a in attrs if (kind := attribute_type(a)) != UNTYPED})
        for kind, attr, name in sample_up_to(ctx.rng, held, self.max_candidates):
            named = bool(ctx.rng.random() < 0.5)
            n = self.group_size(ctx)
            if named:
                others = self.partners(ctx, n - 1, among=ctx.pool.with_name(name), accept=holding(words=(attr,)))
            else:
                others = self.partners(ctx, n - 1, among=ctx.pool.annotated_with(attr))
            if others is None:
                continue
            scenes = shuffled(ctx, [ctx.scene, *others])
            target = name if named else None
            sets = [_values(ctx.index_of(s), kind, target) for s in scenes]
            common = sorted(frozenset.intersection(*sets))
            every = ctx.vocab.attribute_choices(kind)
            if not common:
                continue
            meaning = _classes(common)
            cap = self.config.max_answer_items  # type: ignore[attr-defined]
            if meaning >= _choice_classes(ctx, kind) or len(common) > cap:
                continue  # every value of the type in the data set, or too many to list
            near = sorted(frozenset.union(*sets) - set(common))
            if any(attribute_class(w) not in meaning and _said_in_all(w, sets) for w in near):
                continue  # "big" in one image, "large" (or "huge") in the other: a size of both, not answered
            if len(common) == 1:  # a lone value: wrong values as attribute.query draws them (see below)
                wrong = [[w] for w in likely_wrong_attributes(ctx.rng, ctx.vocab, kind, common[0],
                                                              self.config.num_choices - 1)]
            else:
                related = [w for a in common for w in related_attributes(a)]
                extra = likely_set_attributes(ctx.rng, ctx.vocab, kind, near or list(Without(every, related)),
                                              EXTRA_WORDS)
                # no wrong set that says what the answer says with synonyms ("large, small" for "big,
                # small"), nor one that holds two synonyms where the answer does not ("wood, wooden")
                twice = len(common) - len(meaning)
                wrong = [d for d in same_size_sets(ctx.rng, common, extra, 2 * self.config.num_choices)
                         if _classes(d) != meaning and len(d) - len(_classes(d)) <= twice]
            slots = {"kinds": plural(kind), "n": number_word(n), "objs": plural(name), "every_image": every_image(n)}
            yield Candidate(None, slots, group="named" if named else "any", expected=common, scenes=scenes,
                            distractors=wrong,
                            build=partial(folded, n, partial(_values_node, kind=kind, name=target), "set_intersect"))


register("multi.common_attributes.v1", family="multi_aggregate")(CommonAttributes)


def _said_in_all(word: str, sets: Sequence[frozenset[str]]) -> bool:
    """Whether every one of `sets` holds a word that says `word` holds (`implying_attributes`)."""
    saying = implying_attributes(word)
    return all(not saying.isdisjoint(values) for values in sets)


def _classes(words: Iterable[str]) -> frozenset[str]:
    """The synonym classes of attribute words: two sets that differ only by synonyms are one."""
    return frozenset(map(attribute_class, words))


def _choice_classes(ctx: GroupContext, kind: str) -> frozenset[str]:
    """The synonym classes of the data set's values of type `kind` (`Vocabulary.attribute_choices`),
    made once per vocabulary: an answer holding all of them is degenerate."""
    return ctx.vocab.view(("multi.choice classes", kind, attribute_types_version()),
                          lambda: _classes(ctx.vocab.attribute_choices(kind)))


def _values(index: SceneIndex, kind: str, name: str | None) -> frozenset[str]:
    """Attribute values of type `kind` held by the scene's objects (those named `name` if given),
    kept in the scene's index: pooled partners recur across anchors."""
    scene = index.scene

    def compute() -> frozenset[str]:
        return frozenset(a for x, attrs in zip(scene.names, scene.attributes) if name is None or x == name
                         for a in attrs if attribute_type(a) == kind)

    return index.memo(("multi.attribute_values", kind, name), compute)


def _values_node(b: ProgramBuilder, image: int, kind: str, name: str | None) -> int:
    node = b.add("scene", args=[image])
    if name is not None:
        node = b.add("filter_name", node, args=[name])
    return b.add("attribute_values", node, args=[kind])


@mypyc_attr(allow_interpreted_subclasses=True)
class OnlyIn(OpenAnswerNotes, GroupGenerator):
    """Which kinds of objects appear in Image k and in none of the other images? Image k is the
    anchor; partners are accepted on their entry lacking one of its names X (answer holds X).

    When the answer lists more than `max_answer_items` names (a dense scene: 12-44 on Visual
    Genome-shaped ones), the question lists a few names instead (group "listed", `listed_names`)
    and asks which of them; the program restricts every image's names to the list
    (`names_among`). Groups whose answer fits are asked as before."""

    answer_type = "str_set"
    Config = SetConfig
    description = "The object names present in one image and absent from the other 1-3."
    templates = {
        "default": (
            "Which kinds of objects appear in {img} but {in_no_other}?",
            "What kinds of objects does {img} contain that {no_other_contains}?",
            "Which object types are unique to {img} among these {n} images?",
        ),
        "listed": (
            # the answer may be none of them: an open question says so ("none" is then the
            # answer); multiple choice always offers "none", and says no second instruction
            "Which of these appear in {img} but {in_no_other}: {listed}?{none_do}",
            "Of {listed}, which does {img} contain that {no_other_contains}?{none}",
            "Which of {listed} are unique to {img} among these {n} images?{none_are}",
        ),
    }
    open_notes = ("none_do", "none", "none_are")

    def propose(self, ctx: GroupContext) -> Iterable[Candidate]:  # type: ignore[override]
        cap = self.config.max_answer_items  # type: ignore[attr-defined]
        # partners that annotate every name of the anchor in full (see `CommonObjects`)
        full = counted_in(ctx.pool, sorted(ctx.index.by_name))
        for name in sample_up_to(ctx.rng, sorted(ctx.index.by_name), 2):
            n = self.group_size(ctx)
            lacking = missing(names=(name,), alike=alike_names(ctx, (name,)))
            others = self.partners(ctx, n - 1, accept=lacking if full is None else all_of([lacking, full]))
            if others is None:
                continue
            scenes = shuffled(ctx, [ctx.scene, *others])
            k = position(scenes, ctx.scene)
            elsewhere = set().union(*(s.names for s in others))
            only = sorted(set(ctx.scene.names) - elsewhere)
            slots = {"img": image_label(k), "n": number_word(n),
                     "in_no_other": "not in the other image" if n == 2 else "in none of the other images",
                     "no_other_contains": "the other image does not" if n == 2 else "no other image contains"}
            # a group with a scene of a closed category list lists names too (`_closed_group`)
            closed = _closed_group(scenes)
            if len(only) > cap or closed:
                # the other names listed no more frequent than the answers may be (the data set's
                # scenes holding them): "man", in many images, was listed and never right (0 of 66)
                seen = ctx.vocab.images
                top = max(seen[w] for w in only)
                shared = [w for w in sorted(set(ctx.scene.names) & elsewhere) if seen[w] <= top]
                foreign = [w for w in sorted(elsewhere - set(ctx.scene.names)) if seen[w] <= top]
                words, answer = listed_names(ctx.rng, only, shared, foreign, min(cap, LISTED_NAMES))
                if only_kinds_disputed(answer, elsewhere) or (closed and len(words) < 2):
                    continue  # (a closed group of one name to list: its answer is that name, always)
                wrong = set_distractors(ctx.rng, answer, [w for w in words if w not in answer])
                if answer and none_offered(ctx.rng, len(words), len(shared) + len(foreign), self.config.num_choices):
                    # "none" a wrong option as often as it is right (offered only where it was
                    # right, it gave the answer away; offered always, it was right 15% of the time)
                    wrong = [[], *wrong[:self.config.num_choices - 2]]
                notes = {"none_do": " Answer none if none do.", "none": " Answer none if none.",
                         "none_are": " Answer none if none are."}
                yield Candidate(None, {**slots, **notes, "listed": ", ".join(words)}, group="listed", expected=answer,
                                scenes=scenes, distractors=wrong, build=partial(_listed_program, n, k, words))
                continue
            if only_kinds_disputed(only, elsewhere):
                continue  # "men" in Image 1 only, "man" in Image 2: are men only in Image 1?
            near = sorted(set(ctx.scene.names) & elsewhere)  # of other kinds than the answer's (above)
            answered = kinds_of(only)
            extra = [w for w in likely_set_names(ctx.rng, ctx.vocab, EXTRA_WORDS, only, among=near or None)
                     if name_kind(w) not in answered and _closed_on(ctx, scenes, w)]
            yield Candidate(None, slots, expected=only, scenes=scenes,
                            distractors=same_size_sets(ctx.rng, only, extra, self.config.num_choices - 1),
                            build=partial(_only_program, n, k))


register("multi.only_in.v1", family="multi_aggregate")(OnlyIn)


def _closed_on(ctx: GroupContext, scenes: Sequence[Scene], word: str) -> bool:
    """Whether every image of the group of a closed category list (``meta["category_set"]``:
    COCO) annotates `word` in full (`Vocabulary.closed_names`): a wrong set with "window" beside
    a COCO image may be right. Always so in a run without such images, or of one such set alone."""
    for scene in scenes:
        set_id = scene.meta.get("category_set")
        if set_id is not None:
            closed = ctx.vocab.closed_names(set_id)
            if closed is not None and word not in closed:
                return False
    return True


def _only_program(n: int, k: int) -> list[dict[str, Any]]:
    b = ProgramBuilder()
    mine = _names_node(b, k)
    rest = chain(b, "set_union", [_names_node(b, i) for i in range(n) if i != k])
    b.add("set_difference", mine, rest)
    return b.program


def _listed_program(n: int, k: int, words: Sequence[str]) -> list[dict[str, Any]]:
    b = ProgramBuilder()

    def among(image: int) -> int:
        return b.add("names_among", b.add("scene", args=[image]), args=[list(words)])

    mine = among(k)
    rest = chain(b, "set_union", [among(i) for i in range(n) if i != k])
    b.add("set_difference", mine, rest)
    return b.program
