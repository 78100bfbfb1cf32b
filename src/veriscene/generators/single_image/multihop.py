"""Multi-hop scene-graph questions: chains of object, relation and attribute.

    What color is the object the batter is holding?
    What kind of object is the object that is below the object the large square is on top of?
    The zebra is lying on an object, and that object is next to another object. What color is the other object?

A chain starts at an anchor described by its name and attributes, follows one or two relations
(either direction: "the object that is left of X" or "the object X is holding") and asks for the
name or an attribute of where it ends. Every hop must lead to exactly one object, also under a
generous visual reading (`visual.GenerousReader`), a direction only as the boxes show it clearly
(`SceneIndex.shows`: no hop "the object that is above the dog" to an object merely shifted up from
it, or annotated from its own side), and a chain never ends on its anchor.

A second hop taken from the subject's side would nest one clause inside another ("the object the
object the zebra is lying on is next to", "the object the object that holds the cup is on"),
which nobody can read: both hops are then said in a sentence of their own ("The zebra is lying on
an object, and that object is next to another object."), and the question asks about "the other
object" (template groups "name_then", "attribute_then"; "the object this object is next to" left
a reader unsure which object "this object" was).

A predicate that needs its subject's noun ("of": "the leg is a leg of the table";
`text.has_subject_free_phrase`) is followed only from the anchor's subject side, where the
subject is the anchor and its name is said ("the object the leg is a leg of"). Elsewhere the
subject is "an object", "that object" or the one asked about, and it read "the object that is
of the table" or "that object is an object of another object".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Iterable, NamedTuple, Sequence

from mypy_extensions import mypyc_attr

from veriscene.generators.base import Batch, Candidate, GenContext, Generator, GeneratorConfig, OpenAnswerNotes
from veriscene.generators.common import add_unique, asked_kind, kind_group
from veriscene.generators.registry import register
from veriscene.generators.single_image.attributes import asked_values
from veriscene.generators.visual import GenerousReader
from veriscene.generators.vocabulary_draws import likely_wrong_attributes, likely_wrong_names
from veriscene.program.builder import ProgramBuilder
from veriscene.program.ops import one_value
from veriscene.scene.describe import Referent, referents
from veriscene.scene.spellings import objects_over_spellings, spelled_alike, subjects_over_spellings
from veriscene.text import (
    agreeing_relation_phrase, capitalise, has_subject_free_phrase, relation_phrase,
)


class Hop(NamedTuple):  # a tuple: made a dozen times a scene
    predicate: str
    side: str  # "object": the next object x has (x, p, current); "subject": (current, p, x)
    target: int


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class MultiHopConfig(GeneratorConfig):
    max_hops: int = 2  # relations followed (1 or 2)


_subject_free = lru_cache(maxsize=4096)(has_subject_free_phrase)  # asked of every hop of every chain


def _sayable(hop: Hop, first: bool) -> bool:
    """Whether `hop` can be said in a chain (as its first hop, if `first`): a predicate that needs
    its subject's noun ("of") only from the anchor's subject side, whose noun is the anchor's
    ("the object the leg is a leg of"); elsewhere the subject is no noun ("the object that is of
    the table", "the object this object is an object of")."""
    return _subject_free(hop.predicate) or (first and hop.side == "subject")


def _phrase(current: str, name: str, hop: Hop) -> str:
    """English for the object reached by `hop` from the object phrased `current` (named `name`,
    for the verb's number: "the object the jeans are on")."""
    if hop.side == "object":
        return f"the object that {relation_phrase(hop.predicate)} {current}"
    return f"the object {current} {agreeing_relation_phrase(name, hop.predicate)}"


def _chain_text(anchor: str, name: str, chain: list[Hop]) -> tuple[str, str]:
    """(sentence said first, or ""; phrase of the chain's end) for a chain from the anchor
    phrased `anchor` (named `name`). A second hop from the subject's side is said with the first
    in a sentence of their own ("The zebra is lying on an object, and that object is under
    another object.", "An object holds the cup, and that object is on another object.") and the
    chain's end is "the other object": nested, the clauses are unreadable."""
    first = chain[0]
    if len(chain) == 1 or chain[1].side == "object":
        phrase = _phrase(anchor, name, first)
        return "", phrase if len(chain) == 1 else _phrase(phrase, "object", chain[1])
    if first.side == "object":
        setup = f"An object {relation_phrase(first.predicate)} {anchor}"
    else:
        setup = capitalise(f"{anchor} {agreeing_relation_phrase(name, first.predicate)} an object")
    second = agreeing_relation_phrase("object", chain[1].predicate)
    return f"{setup}, and that object {second} another object.", "the other object"


def _with_setup(templates: dict[str, tuple[str, ...]]) -> dict[str, Sequence[str]]:
    """The templates and, as group + "_then", each after a {setup} sentence that says the first
    hop first (`_chain_text`)."""
    return {**templates, **{f"{group}_then": tuple(f"{{setup}} {t}" for t in ts) for group, ts in templates.items()}}


@mypyc_attr(allow_interpreted_subclasses=True)
class MultiHop(OpenAnswerNotes, Generator):
    """What <kind> is the object <relation> the <anchor>? (one or two relation hops)"""

    # "What is the other object? Name the object." in open questions; before options, no second
    # instruction beside the option letter's
    open_notes = ("name_it",)

    answer_type = "str"
    requires = ("relations", "relations_in_full")
    Config = MultiHopConfig
    description = "Multi-hop questions chaining objects, relations and attributes."
    templates = _with_setup({
        "name": ("What kind of object is {chain}?", "What is {chain}?{name_it}",
                 "Name {chain}."),
        "attribute": ("What {kind} is {chain}?", "What is the {kind} of {chain}?",
                      "Tell me the {kind} of {chain}."),
        # kinds English asks otherwise (`kind_group`): not "What height is the object on the table?"
        "height": ("Is {chain} tall or short?", "Would you say {chain} is tall or short?",
                   "Tell me whether {chain} is tall or short."),
        "material": ("What is the material of {chain}?", "What material is {chain} made of?",
                     "Tell me what material {chain} is made of."),
        "finish": ("What kind of surface does {chain} have?", "What is the surface finish of {chain}?",
                   "Tell me the surface finish of {chain}."),
        "pattern": ("What pattern does {chain} have?", "What is the pattern on {chain}?",
                    "Tell me the pattern on {chain}."),
    })

    def _hops(self, ctx: GenContext, reader: GenerousReader) -> dict[int, list[Hop]]:
        """Object -> hops from it that lead to exactly one object, over every spelling of the
        predicate ("the object holding the cup" is not one where another "holds" it:
        `subjects_over_spellings`) and also to a generous viewer."""
        index = ctx.index
        incoming, outgoing = index.incoming, index.outgoing
        # the predicates the scene spells one way (most): their hops read the index's own tables,
        # as `subjects_over_spellings` and `objects_over_spellings` do then
        alone = {p for p in {p for _, p in incoming} if len(spelled_alike(index, p)) == 1}
        hops: dict[int, list[Hop]] = {}
        # (a direction only as the boxes show it: `SceneIndex.shows`)
        for o, p in sorted(incoming):
            subjects = incoming[o, p] if p in alone else subjects_over_spellings(index, o, p)
            if len(subjects) == 1 and reader.only_subject(subjects[0], p, o) and index.shows(subjects[0], p, o):
                hops.setdefault(o, []).append(Hop(p, "object", subjects[0]))
        for s, p in sorted(outgoing):
            objects = outgoing[s, p] if p in alone else objects_over_spellings(index, s, p)
            if len(objects) == 1 and reader.only_object(objects[0], p, s) and index.shows(s, p, objects[0]):
                hops.setdefault(s, []).append(Hop(p, "subject", objects[0]))
        return hops

    def propose(self, ctx: GenContext) -> Iterable[Batch]:
        config: MultiHopConfig = self.config  # type: ignore[assignment]
        hops = self._hops(ctx, GenerousReader.of(ctx.index))
        answers: list[str] = []
        asked: list[tuple[GenContext, Referent, list[Hop], str | None]] = []
        values = asked_values(ctx.index)  # per object: (type, answer) of its attribute questions
        # per object: the hops from it that can be said second (asked of every chain reaching it)
        later = ({o: [h for h in found if _sayable(h, False)] for o, found in hops.items()}
                 if config.max_hops >= 2 else {})
        names = ctx.scene.names
        for anchor, ref in sorted(referents(ctx.index, allow_relations=False).items()):
            firsts = [h for h in hops.get(anchor, ()) if _sayable(h, True)]
            chains: list[list[Hop]] = [[h] for h in firsts]
            chains += [[h, second] for h in firsts for second in later.get(h.target, ())]
            for chain in chains:
                end = chain[-1].target
                # never back to the anchor, nor to the first hop's object
                if end == anchor or (len(chain) == 2 and chain[0].target == end):
                    continue
                answers.append(names[end])
                asked.append((ctx, ref, chain, None))
                for kind, value in values[end]:
                    answers.append(value)
                    asked.append((ctx, ref, chain, kind))
        # many per scene, one or two used: phrased only if picked
        yield Batch.of(answers, asked, self._make)

    def _make(self, ctx: GenContext, ref: Referent, chain: list[Hop], kind: str | None) -> Candidate:
        """The question about the name (`kind` None) or the `kind` attribute of the chain's end."""
        setup, phrase = _chain_text(ref.the, ctx.scene.names[ref.index], chain)
        slots = {"chain": phrase, "setup": setup} if setup else {"chain": phrase}
        then = "_then" if setup else ""
        meta = {"hops": len(chain)}
        end = chain[-1].target
        if kind is None:
            name = ctx.scene.names[end]
            return Candidate(None, {**slots, "name_it": " Name the object."}, group="name" + then, expected=name,
                             distractors=likely_wrong_names(ctx.rng, ctx.vocab, name, self.config.num_choices - 1,
                                                            ctx.index),
                             meta=meta,
                             build=partial(_chain_program, ref, chain, "query_name"))
        attr = one_value(ctx.scene.attributes[end], kind)
        assert attr is not None, "attribute questions are proposed only for a single value"
        wrong = likely_wrong_attributes(ctx.rng, ctx.vocab, kind, attr, self.config.num_choices - 1)
        group = kind_group(kind, attr, self.templates, "attribute", then)
        return Candidate(None, {**slots, "kind": asked_kind(kind, attr)}, group=group, expected=attr,
                         distractors=wrong, meta=meta,
                         build=partial(_chain_program, ref, chain, "query_attribute", (kind,)))


register("scene_graph.multihop.v1", family="scene_graph")(MultiHop)


def _chain_program(anchor: Referent, chain: list[Hop], final_op: str,
                   args: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Program: the anchor, one `relate` + `unique` per hop, then `final_op` on the object reached."""
    b = ProgramBuilder()
    node = add_unique(b, anchor)
    for hop in chain:
        node = b.add("unique", b.add("relate", node, args=[hop.predicate, hop.side]))
    b.add(final_op, node, args=list(args))
    return b.program
