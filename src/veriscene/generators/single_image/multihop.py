"""Multi-hop scene-graph questions: chains of object, relation and attribute.

    What color is the object the batter is holding?
    What kind of object is the object that is below the object the large square is on top of?

A chain starts at an anchor described by its name and attributes, follows one or two relations
(either direction: "the object that is left of X" or "the object X is holding") and asks for the
name or an attribute of where it ends. Every hop must lead to exactly one object, also under a
generous visual reading (`visual.GenerousReader`), and a chain never ends on its anchor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from veriscene.generators.base import Candidate, GenContext, Generator, GeneratorConfig
from veriscene.generators.common import add_unique
from veriscene.generators.registry import register
from veriscene.generators.single_image.relations import _referents
from veriscene.generators.visual import GenerousReader
from veriscene.program.builder import ProgramBuilder
from veriscene.text import relation_phrase
from veriscene.vocab import UNTYPED, attribute_type


@dataclass(frozen=True)
class Hop:
    predicate: str
    side: str  # "object": the next object x has (x, p, current); "subject": (current, p, x)
    target: int


@dataclass(frozen=True)
class MultiHopConfig(GeneratorConfig):
    max_hops: int = 2  # relations followed (1 or 2)


def _phrase(current: str, hop: Hop) -> str:
    """English for the object reached by `hop` from the object phrased `current`."""
    rel = relation_phrase(hop.predicate)
    if hop.side == "object":
        return f"the object that {rel} {current}"
    return f"the object {current} {rel}"


@register("scene_graph.multihop.v1", family="scene_graph")
class MultiHop(Generator):
    """What <kind> is the object <relation> the <anchor>? (one or two relation hops)"""

    answer_type = "str"
    requires = ("relations",)
    Config = MultiHopConfig
    description = "Multi-hop questions chaining objects, relations and attributes."
    templates = {
        "name": ("What kind of object is {chain}?", "What is {chain}? Name the object.",
                 "Which object is {chain}? Answer with its name."),
        "attribute": ("What {kind} is {chain}?", "What is the {kind} of {chain}?",
                      "Tell me the {kind} of {chain}."),
    }

    def _hops(self, ctx: GenContext, reader: GenerousReader, current: int) -> Iterator[Hop]:
        """Hops from `current` that lead to exactly one object, also to a generous viewer."""
        for (o, p), subjects in sorted(ctx.index.incoming.items()):
            if o == current and len(subjects) == 1 and reader.only_subject(subjects[0], p, current):
                yield Hop(p, "object", subjects[0])
        for (s, p), objects in sorted(ctx.index.outgoing.items()):
            if s == current and len(objects) == 1 and reader.only_object(objects[0], p, current):
                yield Hop(p, "subject", objects[0])

    def propose(self, ctx: GenContext) -> Iterable[Candidate]:
        config: MultiHopConfig = self.config  # type: ignore[assignment]
        reader = GenerousReader(ctx.index)
        names = ctx.vocab.name_list()
        for anchor, ref in sorted(_referents(ctx).items()):
            chains: list[list[Hop]] = [[h] for h in self._hops(ctx, reader, anchor)]
            if config.max_hops >= 2:
                chains += [c + [h] for c in list(chains) for h in self._hops(ctx, reader, c[-1].target)]
            for chain in chains:
                end = chain[-1].target
                if end == anchor or len({h.target for h in chain}) != len(chain):
                    continue
                phrase = ref.the
                b = ProgramBuilder()
                node = add_unique(b, ref)
                for hop in chain:
                    phrase = _phrase(phrase, hop)
                    node = b.add("unique", b.add("relate", node, args=[hop.predicate, hop.side]))
                meta = {"hops": len(chain)}
                name = ctx.scene.names[end]
                q = ProgramBuilder()
                q.program = [dict(n) for n in b.program]
                q.add("query_name", node)
                yield Candidate(q.program, {"chain": phrase}, group="name", expected=name,
                                distractors=[n for n in names if n != name], meta=meta)
                own = ctx.scene.attributes[end]
                for attr in own:
                    kind = attribute_type(attr)
                    if kind == UNTYPED or sum(attribute_type(a) == kind for a in own) != 1:
                        continue
                    q = ProgramBuilder()
                    q.program = [dict(n) for n in b.program]
                    q.add("query_attribute", node, args=[kind])
                    wrong = [a for a in ctx.vocab.attributes_of_type(kind) if a != attr]
                    yield Candidate(q.program, {"chain": phrase, "kind": kind}, group="attribute",
                                    expected=attr, distractors=wrong, meta=meta)
